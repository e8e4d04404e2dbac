# SPDX-License-Identifier: Apache-2.0
#
# lib.sh: shared setup for the end-to-end tests. Each tNNNN-*.sh sources it.
#
# It gives every test a fresh temporary directory ($T, also the working directory and
# $TMPDIR, so nothing a test or a tool writes lands outside it), removed by a trap; the
# binary under test ($AIRLOCK, set by meson); and helpers that run a command, keep its
# stdout and stderr, and fail the test with everything a reader needs when an exit code
# or a message is not the expected one. A test that lacks a tool exits 77 (meson: skip).
#
# Never use a helper here to hide a failure: every check either passes or ends the test.

set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
: "${AIRLOCK:?AIRLOCK must name the airlock binary (meson sets it)}"
[ -x "$AIRLOCK" ] || { echo "$TEST_NAME: AIRLOCK '$AIRLOCK' is not executable" >&2; exit 1; }
AIRLOCK=$(cd "$(dirname "$AIRLOCK")" && pwd -P)/$(basename "$AIRLOCK")   # the tests cd
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}

# Nothing from the caller's environment may steer the binary.
unset AIRLOCK_STORE AIRLOCK_FAULT

T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-e2e-$TEST_NAME.XXXXXX")
T=$(cd "$T" && pwd -P)
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
OUT=$T/.stdout
ERR=$T/.stderr
: >"$OUT"
: >"$ERR"
BG_PIDS=()

_cleanup() {
    local rc=$? pid
    for pid in "${BG_PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    cd /
    if [ "${AIRLOCK_E2E_KEEP:-}" = 1 ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        echo "$TEST_NAME: keeping $T" >&2
    else
        chmod -R u+rwX "$T" 2>/dev/null || true
        rm -rf "$T"
    fi
    exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$T"

# ------------------------------------------------------------------ reporting

note() { echo "# $*"; }

_show_output() {
    echo "--- stdout of the last command:" >&2
    head -c 8000 "$OUT" >&2 || true
    echo "--- stderr of the last command:" >&2
    head -c 8000 "$ERR" >&2 || true
    echo "---" >&2
}

fail() {
    echo "FAIL [$TEST_NAME]: $*" >&2
    _show_output
    exit 1
}

skip() {
    echo "SKIP [$TEST_NAME]: $*"
    exit 77
}

# need TOOL...: skip the test unless every tool is on PATH.
need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed"
    done
}

# need_node_package PKG: the npm package PKG, pinned in tests/node, must be installed there
# (scripts/install-deps runs npm ci): a missing one fails the test, as an install step left
# out, rather than skipping it. Sets $NODE_DIR.
need_node_package() {
    need node
    NODE_DIR=$SRCDIR/tests/node
    [ -d "$NODE_DIR/node_modules/$1" ] ||
        fail "$1 is not installed in $NODE_DIR (scripts/install-deps runs npm ci there)"
}

# ------------------------------------------------------------------ running

# expect_exit CODE CMD...: runs CMD (stdout to $OUT, stderr to $ERR, stdin closed) and
# fails the test unless it exits with CODE.
LAST_CMD=
expect_exit() {
    local want=$1 rc
    shift
    LAST_CMD=$*
    # (the braces keep bash's "Killed" notice for a signalled command out of the log)
    if { "$@"; } >"$OUT" 2>"$ERR" </dev/null; then rc=0; else rc=$?; fi
    [ "$rc" -eq "$want" ] || fail "'$LAST_CMD' exited $rc, expected $want"
}

# airlock ARGS...: the binary under test (for use with expect_exit).
airlock() { "$AIRLOCK" "$@"; }

# expect_exit_stdin CODE FILE CMD...: as expect_exit, with FILE as the command's standard input.
expect_exit_stdin() {
    local want=$1 in=$2 rc=0
    shift 2
    LAST_CMD="$* < $in"
    "$@" >"$OUT" 2>"$ERR" <"$in" || rc=$?
    [ "$rc" -eq "$want" ] || fail "'$LAST_CMD' exited $rc, expected $want"
}

# skopeo ARGS...: skopeo with its big temporary files (oci-archive:) in $TMPDIR, not /var/tmp.
skopeo() { command skopeo --tmpdir "$TMPDIR" "$@"; }

expect_stderr_contains() {
    grep -qF -- "$1" "$ERR" || fail "stderr of '$LAST_CMD' lacks: $1"
}

expect_stdout_contains() {
    grep -qF -- "$1" "$OUT" || fail "stdout of '$LAST_CMD' lacks: $1"
}

expect_stderr_not_contains() {
    ! grep -qF -- "$1" "$ERR" || fail "stderr of '$LAST_CMD' should not contain: $1"
}

expect_stdout_not_contains() {
    ! grep -qF -- "$1" "$OUT" || fail "stdout of '$LAST_CMD' should not contain: $1"
}

# ... | stdin_has [GREP-OPTIONS] PATTERN: grep -q, but only after the whole of stdin is read.
# Under pipefail, "producer | grep -q" fails at random: grep exits at the first match and a
# producer still writing dies of SIGPIPE. t0001 refuses that form in every script.
stdin_has() {
    local all
    all=$(cat) || return 2
    grep -q "$@" <<<"$all"
}

# sql DB STATEMENT…: runs each statement on the SQLite file DB with Python's sqlite3 (not
# airlock), printing the rows with '|' between columns: to read a catalog, or to age it.
sql() {
    python3 - "$@" <<'PY' || fail "python3 sqlite3 failed on $1"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
for s in sys.argv[2:]:
    for row in c.execute(s):
        print("|".join(str(x) for x in row))
c.close()
PY
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
    [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

assert_exists() { [ -e "$1" ] || fail "'$1' should exist"; }
assert_absent() { if [ -e "$1" ] || [ -L "$1" ]; then fail "'$1' should not exist"; fi; }

# assert_no_leftovers PATH: neither PATH nor any PATH.partial* exists.
assert_no_leftovers() {
    local f
    assert_absent "$1"
    for f in "$1".partial*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        fail "leftover '$f' after a failed create"
    done
}

# wait_until SECONDS CMD...: runs CMD every 0.05 s until it succeeds (status 0), or until
# SECONDS of wall time have passed (status 1). The limit is a safety net for a hang, not a
# measure: give one far above the expected time, so a loaded machine never reaches it.
wait_until() {
    local end=$((SECONDS + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}

# rss_checked: sets and exports $CHECK_RSS, 1, or 0 in an AddressSanitizer build, whose
# shadow memory and quarantine inflate RSS: there a test reports RSS rather than checks it.
rss_checked() {
    CHECK_RSS=1
    if ldd "$AIRLOCK" 2>/dev/null | grep libasan >/dev/null; then
        CHECK_RSS=0
        note "AddressSanitizer build: RSS is reported, not checked"
    fi
    export CHECK_RSS
}

# run_paused POINT ACTION CMD...: runs CMD in the background with AIRLOCK_FAULT=POINT (the
# process stops itself there with SIGSTOP), waits for that stop (an event, polled for at most
# about 5 minutes), runs the shell command ACTION (may be ""), lets CMD go on and waits for
# it. Its exit status is in RC, its output in $OUT and $ERR.
run_paused() {
    local point=$1 action=$2 pid state i
    shift 2
    env AIRLOCK_FAULT="$point" "$@" >"$OUT" 2>"$ERR" </dev/null &
    pid=$!
    BG_PIDS+=("$pid")
    for ((i = 0; i < 3000; i++)); do
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
        [ "$state" = T ] && break
        [ "$state" = gone ] || [ "$state" = Z ] && fail "'$*' exited before its pause point $point"
        sleep 0.1
    done
    [ "$state" = T ] || fail "'$*' never reached its pause point $point"
    [ -z "$action" ] || eval "$action"
    kill -CONT "$pid"
    if wait "$pid"; then RC=0; else RC=$?; fi
    # reaped: its id may be reused, so the cleanup must not kill it any more
    local -a keep=()
    for i in "${BG_PIDS[@]}"; do [ "$i" = "$pid" ] || keep+=("$i"); done
    BG_PIDS=("${keep[@]+"${keep[@]}"}")
}

# ------------------------------------------------------------------ data

# make_sample DIR: the sample artifacts and spec (scripts/make-sample-data), once per test.
make_sample() {
    need python3 umoci
    "$SRCDIR/scripts/make-sample-data" "$1" >"$T/make-sample.log" 2>&1 ||
        { cat "$T/make-sample.log" >&2; fail "make-sample-data '$1' failed"; }
}

# sample_bundle OUT [--tar]: makes the sample (in $T/sample) on first use and writes
# its bundle to OUT, which must then verify.
S=$T/sample
sample_bundle() {
    [ -f "$S/airlock.yaml" ] || make_sample "$S"
    expect_exit 0 airlock bundle create -f "$S/airlock.yaml" -o "$@" --quiet
    expect_exit 0 airlock verify "$1" --quiet
}

# file_spec TEXT...: writes the spec $T/src/airlock.yaml of a bundle 'tiny', version 1,
# expiring in 120 days, with one `kind: file` artifact per TEXT: files/a.txt holding the
# first TEXT (and a newline), files/b.txt the second, and so on.
file_spec() {
    local names=(a b c d e f) i=0 text
    mkdir -p "$T/src/files"
    printf 'name: tiny\nversion: 1\nexpires: 120d\nartifacts:\n' >"$T/src/airlock.yaml"
    for text in "$@"; do
        echo "$text" >"$T/src/files/${names[i]}.txt"
        printf '  - kind: file\n    path: files/%s.txt\n' "${names[i]}" >>"$T/src/airlock.yaml"
        i=$((i + 1))
    done
}

# sha256 FILE: the hex digest, as sha256sum computes it.
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# model_blob: the blob of the sample model's weights, named by sha256sum of the source.
model_blob() { echo "blobs/sha256/$(sha256 "$S/models/tiny-model/model.safetensors")"; }

# flip_byte FILE [OFFSET]: xors one bit of the byte at OFFSET (default: the middle).
flip_byte() {
    python3 - "$1" "${2:--1}" <<'PY'
import os, sys
path, off = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(path)
if off < 0:
    off = size // 2
with open(path, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 1]))
PY
}

# regen_sums DIR: rewrites DIR/SHA256SUMS with sha256sum over every file but itself.
regen_sums() {
    local tmp
    tmp=$(mktemp)   # outside the bundle, so that find cannot list it
    (cd "$1" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort |
        xargs -r sha256sum) >"$tmp" || fail "sha256sum over '$1' failed"
    mv "$tmp" "$1/SHA256SUMS"
}

# tar_rewrite SRC DST MODE: copies the tar bundle SRC to DST with python's tarfile (pax),
# then damages it as MODE says: none, dotdot, absolute, symlink, hardlink,
# modify:PATH (one bit of that member's content flipped, size unchanged), or
# duplicate:PATH (a second member PATH, with other content, appended).
tar_rewrite() {
    python3 - "$@" <<'PY'
import io, sys, tarfile
src, dst, mode = sys.argv[1:4]
target = mode.split(":", 1)[1] if mode.startswith("modify:") else None
hit = False
with tarfile.open(src) as tin, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as tout:
    for m in tin.getmembers():
        data = tin.extractfile(m).read() if m.isfile() else None
        if target is not None and m.isfile() and m.name == target:
            data = bytearray(data)
            data[len(data) // 2] ^= 1
            data = bytes(data)
            hit = True
        tout.addfile(m, io.BytesIO(data) if data is not None else None)
    def add(name, data=b"evil\n", **kw):
        ti = tarfile.TarInfo(name)
        ti.mtime = 1704067200
        for k, v in kw.items():
            setattr(ti, k, v)
        if ti.type == tarfile.REGTYPE:
            ti.size = len(data)
            tout.addfile(ti, io.BytesIO(data))
        else:
            tout.addfile(ti)
    if mode == "dotdot":
        add("../evil")
    elif mode == "absolute":
        add("/tmp/airlock-e2e-evil")
    elif mode == "symlink":
        add("blobs/sha256/evil", type=tarfile.SYMTYPE, linkname="/etc/passwd")
    elif mode == "hardlink":
        add("evil", type=tarfile.LNKTYPE, linkname="oci-layout")
    elif mode.startswith("duplicate:"):
        add(mode.split(":", 1)[1], b'{"evil": true}\n')
    elif mode != "none" and target is None:
        sys.exit("tar_rewrite: unknown mode " + mode)
if target is not None and not hit:
    sys.exit("tar_rewrite: no member " + target)
PY
}

# json FILE FILTER: jq -r over FILE, failing the test if jq does.
json() {
    jq -r "$2" "$1" || fail "jq '$2' failed on '$1'"
}

# keyid PUBFILE: the key id as minisign defines it (the 8 keynum bytes read as a
# little-endian number, 16 upper-case hex digits), computed here, not by airlock.
keyid() {
    python3 - "$1" <<'PY'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
b64 = lines[1] if lines[0].startswith("untrusted comment:") else lines[0]
raw = base64.b64decode(b64)
assert len(raw) == 42 and raw[:2] == b"Ed", "not a minisign public key"
print(raw[2:10][::-1].hex().upper())
PY
}
