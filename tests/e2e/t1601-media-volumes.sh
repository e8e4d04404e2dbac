#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock media split|check|join` and `import VOLUME…` (src/lib/xfer/, docs/cmd/media.md):
#   - a bundle split with 2 parity volumes joins back byte-exact (cmp and sha256sum against
#     the tar, GNU tar reads it, `airlock verify` passes) with every set of 1 and of 2
#     volumes lost, not just one;
#   - 3 lost: the error names exactly which volumes to add, and nothing is written;
#   - a join onto a file that is there is refused, and the file is left as it was;
#   - a corrupt chunk, a truncated chunk, a volume cut short, a lost MEDIA.json: `check`
#     names each on the volume alone; `join` names and rebuilds each; byte-exact again;
#   - volumes in any order and given twice (a corrupt copy beside a good one) join;
#   - a volume of another bundle is refused naming both sets; damage beyond the parity in
#     one stripe stops the join naming the stripe, leaving no tar behind;
#   - `import` straight from volumes, two of them missing, installs the bundle; from
#     volumes damaged beyond repair it installs nothing;
#   - every volume fits --size, as du counts it; a bundle that does not verify is not split;
#   - (root) a split onto a disk that fills up fails naming the chunk and the cause, and
#     leaves no volume behind; a join onto it names its part file and leaves nothing.
. "$(dirname "$0")/lib.sh"
need jq tar cmp sha256sum du
rnd() { head -c "$1" /dev/urandom | base64 -w0; }
file_spec "$(rnd 60000)" "$(rnd 90000)" "$(rnd 30000)"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b.tar" --tar --quiet
TAR=$T/b.tar
SIZE=64K

# ---------------------------------------------------------------- split
expect_exit 0 airlock media split "$TAR" --size $SIZE --parity 2 -o "$T/m" --json
N=$(jq .volumes "$OUT")
K=$(jq .data_volumes "$OUT")
[ "$N" -ge 5 ] && [ "$K" -eq $((N - 2)) ] || fail "split made $N volumes with $K for data; the test wants at least 3 data and 2 parity"
[ "$(jq -r .tar_digest "$OUT")" = "sha256:$(sha256 "$TAR")" ] || fail "MEDIA's tar digest is not sha256sum's"
vols=()
for i in $(seq 1 "$N"); do vols+=("$T/m/$(printf 'vol-%02d' "$i")"); done
for v in "${vols[@]}"; do
    assert_exists "$v/MEDIA.json"
    assert_exists "$v/README.txt"
    used=$(du -sB1 "$v" | cut -f1)
    [ "$used" -le 65536 ] || fail "$v takes $used bytes, more than --size $SIZE"
done
[ -z "$(find "$T/m" -name '.*part*')" ] || fail "split left hidden parts behind"
expect_exit 0 airlock media check "${vols[@]}"
grep -q "volume 1 of $N" "$T/m/vol-01/README.txt" || fail "README.txt does not say which volume it is"

# join WANT-EXIT VOL...: joins into $T/j.tar; on success it must be the tar, byte for byte
join_ok() {
    rm -f "$T/j.tar"
    expect_exit 0 airlock media join "$@" -o "$T/j.tar"
    cmp "$TAR" "$T/j.tar" || fail "the join of $* is not the tar"
}
join_ok "${vols[@]}"
tar -tf "$T/j.tar" >/dev/null || fail "GNU tar cannot read the joined tar"
expect_exit 0 airlock verify "$T/j.tar" --quiet
# a join never replaces a file that is there (and leaves no part file)
echo "keep me" >"$T/kept.tar"
expect_exit 1 airlock media join "${vols[@]}" -o "$T/kept.tar"
expect_stderr_contains "'$T/kept.tar' already exists: it is not replaced"
assert_eq "$(cat "$T/kept.tar")" "keep me" "the file a join was pointed at"
assert_absent "$T/kept.tar.part"

# ---------------------------------------------------------------- every set of 1 and 2 lost
combos=0
for ((a = 0; a < N; a++)); do
    rest=("${vols[@]:0:a}" "${vols[@]:a+1}")
    join_ok "${rest[@]}"
    combos=$((combos + 1))
    for ((b = a + 1; b < N; b++)); do
        rest=()
        for ((i = 0; i < N; i++)); do [ $i -ne $a ] && [ $i -ne $b ] && rest+=("${vols[i]}"); done
        join_ok "${rest[@]}"
        combos=$((combos + 1))
    done
done
[ "$combos" -eq $((N + N * (N - 1) / 2)) ] || fail "only $combos sets of lost volumes were tried"
note "joined byte-exact with each of the $combos sets of 1 or 2 lost volumes of $N"

# ---------------------------------------------------------------- 3 lost
rm -f "$T/j.tar"
expect_exit 2 airlock media join "${vols[@]:3}" -o "$T/j.tar"
expect_stderr_contains "needs $K of its $N volumes and $((N - 3)) were given: add 1 more of vol-01, vol-02, vol-03"
assert_absent "$T/j.tar"
assert_absent "$T/j.tar.part"

# ---------------------------------------------------------------- damage inside volumes
cp -r "$T/m" "$T/d"
dv=()
for i in $(seq 1 "$N"); do dv+=("$T/d/$(printf 'vol-%02d' "$i")"); done
flip_byte "$T/d/vol-01/chunks/000001"
truncate -s -100 "$T/d/vol-02/chunks/000002"
last=$(ls "$T/d/vol-03/chunks" | tail -1)
rm "$T/d/vol-03/chunks/$last"                       # a volume cut short
expect_exit 1 airlock media check "${dv[0]}"
expect_stderr_contains "vol-01/chunks/000001: corrupt"
expect_exit 1 airlock media check "${dv[1]}"
expect_stderr_contains "vol-02/chunks/000002: "
expect_stderr_contains "(truncated)"
expect_exit 1 airlock media check "${dv[2]}"
expect_stderr_contains "vol-03/chunks/$last: missing"
expect_exit 0 airlock media check "${dv[3]}"
join_ok "${dv[@]}"
expect_stdout_contains "volume 01 chunk 000001:"
expect_stdout_contains "corrupt"
expect_stdout_contains "volume 02 chunk 000002:"
expect_stdout_contains "truncated"
expect_stdout_contains "volume 03 chunk ${last}: "
# a lost MEDIA.json: the volume counts as missing, the others rebuild it
rm "$T/d/vol-04/MEDIA.json"
join_ok "${dv[@]}"
expect_stdout_contains "MEDIA.json cannot be read"

# ---------------------------------------------------------------- any order, twice
rev=()
for ((i = N - 1; i >= 0; i--)); do rev+=("${vols[i]}"); done
join_ok "${rev[@]}" "${vols[1]}"
# a corrupt copy of volume 1 given first, the good one after it: no rebuild is needed
join_ok "${dv[0]}" "${vols[@]}"
expect_stdout_not_contains "rebuilt"

# ---------------------------------------------------------------- another set
file_spec "other"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/other.tar" --tar --quiet
expect_exit 0 airlock media split "$T/other.tar" --size 64K --parity 1 -o "$T/o" --quiet
rm -f "$T/j.tar"
expect_exit 1 airlock media join "${vols[@]}" "$T/o/vol-01" -o "$T/j.tar"
expect_stderr_contains "volumes of two sets were given"
expect_stderr_contains "o/vol-01"
assert_absent "$T/j.tar"

# ---------------------------------------------------------------- beyond the parity in one stripe
cp -r "$T/m" "$T/x"
for i in 1 2 3; do flip_byte "$T/x/vol-0$i/chunks/000002"; done
expect_exit 1 airlock media join "$T"/x/vol-* -o "$T/j.tar"
expect_stderr_contains "stripe 000002 cannot be rebuilt"
expect_stderr_contains "x/vol-01/chunks/000002"
assert_absent "$T/j.tar"
assert_absent "$T/j.tar.part"

# ---------------------------------------------------------------- import from volumes
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
expect_exit 1 airlock import "$T"/x/vol-* --store "$STORE" --allow-unsigned
expect_stderr_contains "stripe 000002 cannot be rebuilt"
expect_exit 0 airlock store ls --store "$STORE" --json
[ "$(jq ".bundles | length" "$OUT")" -eq 0 ] && [ "$(jq ".totals.blobs" "$OUT")" -eq 0 ] || fail "an import from damaged volumes installed something"
expect_exit 0 airlock import "${vols[@]:2}" --store "$STORE" --allow-unsigned
expect_stdout_contains "imported tiny version 1"
expect_exit 0 airlock store ls --store "$STORE" --json
[ "$(jq ".artifacts | length" "$OUT")" -eq 3 ] || fail "the import from volumes did not install the bundle's 3 artifacts"
expect_exit 64 airlock import "${vols[0]}" "$TAR" --store "$STORE"
expect_stderr_contains "is not a volume"

# ---------------------------------------------------------------- sizes and refusals
expect_exit 0 airlock media split "$TAR" --size bd25 --parity 1 -o "$T/bd" --json
[ "$(jq .volumes "$OUT")" -eq 2 ] || fail "a small bundle on bd25 is not one data and one parity volume"
expect_exit 64 airlock media split "$TAR" --size 25Q -o "$T/q"
expect_stderr_contains "'25Q' is not a size"
expect_exit 2 airlock media split "$TAR" --size 8K -o "$T/tiny"
expect_stderr_contains "use larger media"
expect_exit 1 airlock media split "$TAR" --size 64K -o "$T/m"
expect_stderr_contains "already exists"
mkdir "$T/bad"
tar -xf "$TAR" -C "$T/bad"
blobs=("$T"/bad/blobs/sha256/*)
flip_byte "${blobs[0]}"
expect_exit 1 airlock media split "$T/bad" --size 64K -o "$T/badm"
expect_stderr_contains "does not verify"
[ -z "$(ls -A "$T/badm" 2>/dev/null)" ] || fail "a bundle that does not verify left volumes"

# ---------------------------------------------------------------- a disk that fills up
# (the chunks are written by a thread of their own: its failure stops the split, names the
# file and the cause, and leaves no volume, finished or not)
if [ "$(id -u)" -eq 0 ]; then
    mkdir "$T/small"
    mount -t tmpfs -o size=96k tmpfs "$T/small" || fail "cannot mount a small tmpfs"
    expect_exit 2 airlock media split "$TAR" --size $SIZE --parity 2 -o "$T/small/m"
    left=$(ls -A "$T/small/m" 2>/dev/null)
    split_err=$(cat "$ERR")
    # a join written past the page cache onto the same full disk: named, and no part left
    rmdir "$T/small/m"
    expect_exit 2 airlock media join "${vols[@]}" -o "$T/small/j.tar"
    join_left=$(ls -A "$T/small")
    umount "$T/small"
    [ -z "$left" ] || fail "a split that ran out of room left volumes behind: $left"
    [ -z "$join_left" ] || fail "a join that ran out of room left $join_left behind"
    expect_stderr_contains "cannot write '$T/small/j.tar.part'"
    expect_stderr_contains "No space left on device"
    ERR_SPLIT=$T/split.err; printf '%s\n' "$split_err" >"$ERR_SPLIT"
    stdin_has "No space left on device" <"$ERR_SPLIT" || fail "the full disk was not named: $split_err"
    stdin_has "/chunks/" <"$ERR_SPLIT" || fail "the chunk that could not be written was not named: $split_err"
else
    note "not root: the full-disk case is left out"
fi
