#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): bytes after the end-of-archive marker. libarchive stops at the
# first zero block; GNU tar -i (and anyone who reads a second archive appended) does not,
# so a tar is refused unless everything after its end marker is zero padding: a second
# archive appended, garbage appended, and a lone zero block followed by more members.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
need tar python3
small_bundle "$T/b.tar" --tar
# the twins: more zero padding after the end marker is still the same archive
cp "$T/b.tar" "$T/padded.tar"
head -c 20480 /dev/zero >>"$T/padded.tar"
expect_exit 0 airlock verify "$T/padded.tar"
tar_rewrite "$T/b.tar" "$T/copy.tar" none
expect_exit 0 airlock verify "$T/copy.tar"

# a second archive appended: GNU tar -i lists its member, airlock refuses the whole
mkdir "$T/evil" && printf 'evil\n' >"$T/evil/evil.txt"
tar -C "$T/evil" -cf "$T/evil.tar" evil.txt
cat "$T/b.tar" "$T/evil.tar" >"$T/two.tar"
expect_exit 0 tar -itf "$T/two.tar"
expect_stdout_contains "evil.txt"
expect_exit 1 airlock verify "$T/two.tar"
expect_stderr_contains "tar '$T/two.tar' has data after its end-of-archive marker, at byte $(stat -c %s "$T/b.tar")"
expect_stderr_contains "FAILED verification: 1 problem"
expect_stdout_not_contains "intact"

# garbage appended
cp "$T/b.tar" "$T/garbage.tar"
printf 'garbage' >>"$T/garbage.tar"
expect_exit 1 airlock verify "$T/garbage.tar"
expect_stderr_contains "has data after its end-of-archive marker"

# a lone zero block, then a member: GNU tar stops there (with a warning), GNU tar -i does not
end=$(tar_end "$T/b.tar")
{ head -c "$end" "$T/b.tar"; head -c 512 /dev/zero; cat "$T/evil.tar"; } >"$T/lone.tar"
expect_exit 0 tar -itf "$T/lone.tar"
expect_stdout_contains "evil.txt"
expect_exit 1 airlock verify "$T/lone.tar"
expect_stderr_contains "tar '$T/lone.tar' has data after its end-of-archive marker, at byte $((end + 512))"

# import refuses it too (exit 1) and quarantines it
expect_exit 0 airlock init --store "$T/store"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/lone.tar"
expect_stderr_contains "has data after its end-of-archive marker"
ls "$T/store/quarantine" | grep lone.tar >/dev/null || fail "the tar was not quarantined"
expect_exit 0 airlock import --allow-unsigned --store "$T/store" "$T/padded.tar"
