# SPDX-License-Identifier: Apache-2.0
#
# trust-lib.sh: shared setup for the trust tests (t08NN-*.sh). Sources lib.sh, then adds
# the committed test-only keys (tests/data/keys, made by `minisign -G -W`), a tiny bundle
# that needs no umoci, the usual policy (builder 1 of 1, security 2 of 2, both required)
# and helpers around signature files.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need minisign python3 jq

KEYS_SRC=$SRCDIR/tests/data/keys

# test_keys: copies the committed keys to $K (secret keys 0600) and sets their ids:
# $B (builder), $S1, $S2 (security; S2's id begins with a 0, which minisign 0.11 drops
# when it prints it) and $X (a key no policy lists).
K=$T/keys
test_keys() {
    mkdir -p "$K"
    cp "$KEYS_SRC"/{builder,security1,security2,outsider}.{key,pub} "$K/"
    chmod 600 "$K"/*.key
    B=$(keyid "$K/builder.pub")
    S1=$(keyid "$K/security1.pub")
    S2=$(keyid "$K/security2.pub")
    X=$(keyid "$K/outsider.pub")
    assert_eq "${S2:0:1}" 0 "the first digit of security2's key id"
}

# policy FILE [LINE...]: the usual trust policy (key paths relative to FILE, which
# lives in $T), plus extra top-level YAML lines.
policy() {
    local f=$1
    shift
    policy_of "$f" keys/builder.pub "keys/security1.pub, keys/security2.pub" "builder, security" "$@"
}

# policy_of FILE BUILDER_KEYS SECURITY_KEYS REQUIRE [LINE...]: the usual policy's shape
# (builder 1 of BUILDER_KEYS, security 2 of SECURITY_KEYS, REQUIRE required; each the
# inside of a YAML flow list) with other keys or roles, plus extra top-level YAML lines.
policy_of() {
    local f=$1
    cat >"$f" <<EOF
roles:
  builder:
    threshold: 1
    keys: [$2]
  security:
    threshold: 2
    keys: [$3]
require: [$4]
EOF
    shift 4
    [ $# -eq 0 ] || printf '%s\n' "$@" >>"$f"
}

# tiny_bundle OUT NAME VERSION [EXPIRES [TEXT]]: a one-file bundle (no umoci needed),
# built from its own spec directory; it must verify.
TINY_N=0
tiny_bundle() {
    local out=$1 name=$2 ver=$3 exp=${4:-30d} text=${5:-hello from $2 $3}
    local d=$T/spec$((TINY_N += 1))
    mkdir -p "$d/files"
    printf '%s\n' "$text" >"$d/files/note.txt"
    printf 'name: %s\nversion: %s\nexpires: %s\nartifacts:\n  - kind: file\n    path: files/note.txt\n' \
        "$name" "$ver" "$exp" >"$d/airlock.yaml"
    expect_exit 0 airlock bundle create -f "$d/airlock.yaml" -o "$out" --quiet
    expect_exit 0 airlock verify "$out" --quiet
}

# sigfile BUNDLE ROLE KEYID: the path airlock writes a signature to.
sigfile() { echo "$1/signatures/$2.$3.minisig"; }

# sign BUNDLE ROLE KEYNAME: signs with $K/KEYNAME.key and checks the file it wrote.
sign() {
    local id
    id=$(keyid "$K/$3.pub")
    expect_exit 0 airlock sign "$1" --key "$K/$3.key" --role "$2"
    expect_stdout_contains "$(sigfile "$1" "$2" "$id")"
    assert_exists "$(sigfile "$1" "$2" "$id")"
}

# sign_all BUNDLE: builder, security1 and security2: what the usual policy needs.
sign_all() {
    sign "$1" builder builder
    sign "$1" security security1
    sign "$1" security security2
}

# expect_role_keys ROLE COUNT KEYID...: stdout has the line "role ROLE COUNT: ..." that
# names exactly these key ids (in any order).
expect_role_keys() {
    local role=$1 count=$2 line want got
    shift 2
    line=$(grep -E "^  role $role +$count: " "$OUT") || fail "stdout lacks a line 'role $role $count: ...'"
    want=$(printf '%s\n' "$@" | LC_ALL=C sort | paste -sd' ' -)
    got=$(echo "${line#*: }" | tr -d ',' | tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort | paste -sd' ' -)
    assert_eq "$got" "$want" "the keys listed for role $role"
}

# expect_verified BUNDLE POLICY: verify --trust passes and names every role's keys.
expect_verified() {
    expect_exit 0 airlock verify "$1" --trust "$2"
    expect_role_keys builder "1 of 1 needed" "$B"
    expect_role_keys security "2 of 2 needed" "$S1" "$S2"
    expect_stdout_contains "signatures satisfy the trust policy '$2'"
}

# expect_refused BUNDLE POLICY MESSAGE...: verify --trust exits 1, and stderr names
# each MESSAGE and says the bundle failed.
expect_refused() {
    local b=$1 p=$2 m
    shift 2
    expect_exit 1 airlock verify "$b" --trust "$p"
    for m in "$@"; do expect_stderr_contains "$m"; done
    expect_stderr_contains "airlock: bundle '$b' FAILED verification"
    expect_stdout_not_contains "signatures satisfy"
}

# tty_run PROMPT ANSWER [PROMPT ANSWER...] -- CMD...: runs CMD on a pseudo-terminal
# (expect), answers each PROMPT in turn, and exits with CMD's exit code (98 if a prompt
# never comes). Use it with expect_exit; stdout then holds the whole terminal session.
# Each answer waits $TTY_DELAY seconds (default 0.5) after its prompt: airlock prints its
# prompt before it turns echo off and flushes pending input, so an instant answer would be
# echoed or lost (t0805 checks that). $TTY_TIMEOUT (default 120) bounds each wait.
tty_run() {
    need expect
    cat >"$T/tty.exp" <<'EOF'
set timeout $env(TTY_TIMEOUT)
set delay $env(TTY_DELAY)
set i [lsearch -exact $argv --]
set pairs [lrange $argv 0 [expr {$i - 1}]]
spawn {*}[lrange $argv [expr {$i + 1}] end]
foreach {p a} $pairs {
    expect {
        timeout { puts "TIMEOUT waiting for: $p"; exit 98 }
        eof { puts "EOF while waiting for: $p"; exit 97 }
        -ex $p
    }
    if {$delay > 0} { sleep $delay }
    send -- "$a\r"
}
expect {
    timeout { puts "TIMEOUT waiting for the end"; exit 98 }
    eof
}
lassign [wait] pid spawnid oserr rc
exit $rc
EOF
    TTY_TIMEOUT=${TTY_TIMEOUT:-120} TTY_DELAY=${TTY_DELAY:-0.5} expect -f "$T/tty.exp" "$@"
}

# forge_keynum SIGFILE PUBFILE: rewrites the key number in SIGFILE's line 2 to PUBFILE's,
# so that the signature claims to be by that key (the signature bytes stay the signer's).
forge_keynum() {
    python3 - "$1" "$2" <<'PY' || fail "cannot rewrite the key number of '$1'"
import base64, sys
sig, pub = sys.argv[1:3]
lines = open(sig).read().split("\n")
raw = bytearray(base64.b64decode(lines[1]))
keynum = base64.b64decode(open(pub).read().split("\n")[1])[2:10]
raw[2:10] = keynum
lines[1] = base64.b64encode(bytes(raw)).decode()
open(sig, "w").write("\n".join(lines))
PY
}

# signed_setup: the usual keys, policy ($T/trust.yaml) and a tiny bundle $T/b (tiny,
# version 1) signed by builder, security1 and security2, which verifies: the passing
# twin every must-fail test starts from.
signed_setup() {
    test_keys
    policy "$T/trust.yaml"
    tiny_bundle "$T/b" tiny 1
    sign_all "$T/b"
    expect_verified "$T/b" "$T/trust.yaml"
}
