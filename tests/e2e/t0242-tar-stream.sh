#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A bundle crosses as a tar stream: `bundle create -o -` writes the tar to standard output
# (its report to stderr) and `import -` reads one from standard input, staging it exactly
# as it stages a tar file. What GNU tar lists is what was written, and the stream imports
# and passes fsck. The stream is read in chunks of 1 MiB, so the bundle here spans several,
# and is fed through a pipe in small writes. The must-fail twins, each piped in: data after
# the end-of-archive marker (right after it, and 3 MiB later behind zeros), a truncated
# stream, a flipped byte in a blob, a gzip-compressed stream. Each is rejected (exit 1) with
# its reason, quarantined, and nothing of it is installed. Zero padding after the marker,
# however long, is not data and passes.
. "$(dirname "$0")/lib.sh"
need jq python3 tar gzip

mkdir -p "$T/src/model"
python3 -c "import os; open('$T/src/model/weights.bin','wb').write(os.urandom(3 * 1024 * 1024 + 517))"
echo '{"model_type": "tiny"}' >"$T/src/model/config.json"
printf 'name: streamed\nversion: 1\nexpires: 120d\nartifacts:\n  - kind: model\n    name: tiny\n    path: model\n' \
    >"$T/src/airlock.yaml"

# to standard output: the tar alone on stdout, the report on stderr
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o - --quiet
cp "$OUT" "$T/s.tar"
expect_stderr_contains "wrote tar bundle '-': streamed version 1"
tar -tf "$T/s.tar" >"$T/list" || fail "GNU tar cannot list the streamed bundle"
grep -qx 'SHA256SUMS' "$T/list" || fail "SHA256SUMS missing from the stream: $(cat "$T/list")"
grep -q '^blobs/sha256/' "$T/list" || fail "no blobs in the stream"
expect_exit 0 airlock verify "$T/s.tar" --quiet
assert_absent "$TMPDIR/airlock-create-"*

# a stream into import, through a pipe written in small pieces
St=$T/store
expect_exit 0 airlock init --store "$St"
slow_cat() { python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 4000):
    sys.stdout.buffer.write(data[i:i + 4000]); sys.stdout.buffer.flush()' "$1"; }
LAST_CMD="slow_cat s.tar | airlock import - --allow-unsigned"
slow_cat "$T/s.tar" | "$AIRLOCK" import - --allow-unsigned --store "$St" --json >"$OUT" 2>"$ERR" ||
    fail "import from a pipe failed: $(cat "$ERR")"
[ "$(jq -r .status "$OUT")" = imported ] || fail "not imported: $(cat "$OUT")"
[ "$(jq -r .name "$OUT")" = streamed ] || fail "wrong name: $(cat "$OUT")"
expect_exit 0 airlock store fsck --store "$St"
# the directory pipe of the two commands, end to end, for version 2
sed -i 's/^version: 1$/version: 2/' "$T/src/airlock.yaml"
LAST_CMD="airlock bundle create -o - | airlock import -"
"$AIRLOCK" bundle create -f "$T/src/airlock.yaml" -o - --quiet 2>"$T/create.err" |
    "$AIRLOCK" import - --allow-unsigned --store "$St" >"$OUT" 2>"$ERR" || fail "pipe import failed: $(cat "$ERR")"
expect_stdout_contains "imported streamed version 2"

# zero padding after the marker, 5 MiB of it, is no data
python3 -c "open('$T/padded.tar','wb').write(open('$T/s.tar','rb').read() + bytes(5 * 1024 * 1024))"
St2=$T/store2
expect_exit 0 airlock init --store "$St2"
expect_exit_stdin 0 "$T/padded.tar" airlock import - --allow-unsigned --store "$St2"
expect_stdout_contains "imported streamed version 1"

# the must-fail twins: each rejected, quarantined, nothing installed
reject() { # NAME FILE MESSAGE
    local st=$T/store-$1
    expect_exit 0 airlock init --store "$st"
    expect_exit_stdin 1 "$2" airlock import - --allow-unsigned --store "$st"
    expect_stderr_contains "$3"
    [ -n "$(ls "$st/quarantine")" ] || fail "$1: nothing in quarantine"
    [ -z "$(ls "$st/blobs/sha256")" ] || fail "$1: blobs were installed"
    expect_exit 0 airlock store ls --json --store "$st"
    [ "$(jq '.bundles | length' "$OUT")" = 0 ] || fail "$1: a bundle was recorded"
}
python3 -c "open('$T/appended.tar','wb').write(open('$T/s.tar','rb').read() + b'hidden member')"
reject appended "$T/appended.tar" "data after its end-of-archive marker"
python3 -c "
d = open('$T/s.tar','rb').read() + bytes(3 * 1024 * 1024) + b'x' + bytes(10240)
open('$T/late.tar','wb').write(d)"
reject late "$T/late.tar" "data after its end-of-archive marker, at byte"
size=$(stat -c %s "$T/s.tar")
head -c $((size / 2)) "$T/s.tar" >"$T/short.tar"
reject truncated "$T/short.tar" "truncated"
python3 - "$T/s.tar" "$T/flipped.tar" <<'PY'
import sys, tarfile
src = open(sys.argv[1], 'rb').read()
with tarfile.open(sys.argv[1]) as t:
    m = max((m for m in t.getmembers() if m.name.startswith('blobs/')), key=lambda m: m.size)
d = bytearray(src)
d[m.offset_data + m.size // 2] ^= 0x01
open(sys.argv[2], 'wb').write(bytes(d))
PY
reject flipped "$T/flipped.tar" "sha256"
gzip -c "$T/s.tar" >"$T/s.tar.gz"
st=$T/store-gz
expect_exit 0 airlock init --store "$st"
expect_exit_stdin 1 "$T/s.tar.gz" airlock import - --allow-unsigned --store "$st"
expect_stderr_contains "tar 'standard input' is gzip-compressed: compressed tars are not accepted"
# nothing at all on standard input
expect_exit_stdin 1 /dev/null airlock import - --allow-unsigned --store "$st"
expect_stderr_contains "not a tar 'standard input': it is empty"
