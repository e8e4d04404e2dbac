#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): one name as a file and as a directory. A directory entry with the
# name of a file, a regular file 'blobs' after the blobs/ entries, and one before them
# (GNU tar cannot extract that: blobs/sha256/... would need 'blobs' to be a directory).
# verify refuses each (exit 1); import refuses and quarantines, before staging anything
# (it used to fail with exit 2 on the staging error).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
need tar python3
small_bundle "$T/b.tar" --tar

# clash SRC DST MODE: the members of SRC, rewritten by python's tarfile, with MODE's clash.
clash() {
    python3 - "$@" <<'PY'
import io, sys, tarfile
src, dst, mode = sys.argv[1:4]
def info(name, type=tarfile.REGTYPE, data=b""):
    ti = tarfile.TarInfo(name)
    ti.mtime, ti.type, ti.size = 1704067200, type, len(data)
    return ti, io.BytesIO(data) if type == tarfile.REGTYPE else None
with tarfile.open(src) as tin, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as tout:
    if mode == "file-first":
        tout.addfile(*info("blobs", data=b"not a directory\n"))
    for m in tin.getmembers():
        if mode == "file-first" and m.isdir():
            continue
        tout.addfile(m, tin.extractfile(m) if m.isfile() else None)
    if mode == "dir-over-file":
        tout.addfile(*info("oci-layout/", tarfile.DIRTYPE))
    elif mode == "file-last":
        tout.addfile(*info("blobs", data=b"not a directory\n"))
    elif mode == "none":
        tout.addfile(*info("blobs/", tarfile.DIRTYPE))  # a directory named twice is harmless
PY
}

# the twin: the same members rewritten, and a directory entry repeated, verify
clash "$T/b.tar" "$T/copy.tar" none
expect_exit 0 airlock verify "$T/copy.tar"

clash "$T/b.tar" "$T/dir.tar" dir-over-file
expect_exit 1 airlock verify "$T/dir.tar"
expect_stderr_contains "'oci-layout' is both a file and a directory in the tar"
expect_stderr_contains "FAILED verification: 1 problem"

clash "$T/b.tar" "$T/last.tar" file-last
expect_exit 1 airlock verify "$T/last.tar"
expect_stderr_contains "'blobs' is both a file and a directory in the tar"
expect_stderr_contains "FAILED verification: 1 problem"

clash "$T/b.tar" "$T/first.tar" file-first
# GNU tar cannot make a directory of it
mkdir "$T/x"
expect_exit 2 tar -C "$T/x" -xf "$T/first.tar"
expect_stderr_contains "Not a directory"
expect_exit 1 airlock verify "$T/first.tar"
expect_stderr_contains "'blobs' is a file in the tar, and also a directory above 'blobs/sha256/"
expect_stdout_not_contains "intact"

expect_exit 0 airlock init --store "$T/store"
for t in first last dir; do
    expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/$t.tar"
    expect_stderr_contains "failed verification"
    ls "$T/store/quarantine" | grep "$t.tar" >/dev/null || fail "'$t.tar' was not quarantined"
done
expect_exit 0 airlock import --allow-unsigned --store "$T/store" "$T/copy.tar"
expect_exit 0 airlock store fsck --store "$T/store"
