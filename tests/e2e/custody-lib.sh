# SPDX-License-Identifier: Apache-2.0
#
# custody-lib.sh: shared setup for the custody tests (t09NN-custody-*.sh). Sources lib.sh,
# then adds four fresh unencrypted keys (builder, courier, receiver and an outsider no
# policy lists), a tiny bundle that needs no umoci, a policy whose custody_keys are the
# first three, a three-record chain, ways to damage custody.log, and the checks every
# must-fail twin makes (verify, show, --json, add refuses, import quarantines).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need python3 jq sha256sum

# custody_keys: makes $K/{builder,courier,receiver,outsider}.{key,pub} with airlock and
# sets their ids: $KB, $KC, $KR, $KX.
K=$T/keys
custody_keys() {
    local k
    mkdir -p "$K"
    for k in builder courier receiver outsider; do
        expect_exit 0 airlock key generate -o "$K/$k" -W
        assert_exists "$K/$k.key"
        assert_exists "$K/$k.pub"
    done
    KB=$(keyid "$K/builder.pub")
    KC=$(keyid "$K/courier.pub")
    KR=$(keyid "$K/receiver.pub")
    KX=$(keyid "$K/outsider.pub")
}

# custody_policy FILE KEYNAME...: builder 1 of 1 required; custody_keys are the named keys.
custody_policy() {
    local f=$1 k list=
    shift
    for k in "$@"; do list="${list:+$list, }keys/$k.pub"; done
    cat >"$f" <<EOF
roles:
  builder: {threshold: 1, keys: [keys/builder.pub]}
require: [builder]
custody_keys: [$list]
EOF
}

# tiny_bundle OUT NAME VERSION [TEXT]: a one-file bundle (no umoci needed), built from its
# own spec directory; it must verify.
TINY_N=0
tiny_bundle() {
    local out=$1 name=$2 ver=$3 text=${4:-hello from $2 $3}
    local d=$T/spec$((TINY_N += 1))
    mkdir -p "$d/files"
    printf '%s\n' "$text" >"$d/files/note.txt"
    printf 'name: %s\nversion: %s\nexpires: 30d\nartifacts:\n  - kind: file\n    path: files/note.txt\n' \
        "$name" "$ver" >"$d/airlock.yaml"
    expect_exit 0 airlock bundle create -f "$d/airlock.yaml" -o "$out" --quiet
    expect_exit 0 airlock verify "$out" --quiet
}

# sums_digest BUNDLE: "sha256:" and the sha256sum of its SHA256SUMS (what records name).
sums_digest() { echo "sha256:$(sha256 "$1/SHA256SUMS")"; }

# add BUNDLE EVENT ACTOR KEYNAME [OPTIONS...]: custody add, which must succeed and say so.
add() {
    local b=$1 ev=$2 actor=$3 key=$4
    shift 4
    expect_exit 0 airlock custody add "$b" --event "$ev" --actor "$actor" --key "$K/$key.key" "$@"
    expect_stdout_contains "custody record added to '$b': $ev by $actor (key $(keyid "$K/$key.pub"))"
}

# chain3 BUNDLE: packed by the builder, handed over by the courier (medium, seal), received
# by the receiver (note).
chain3() {
    add "$1" packed "Bob Builder" builder --note "built in CI"
    add "$1" handed-over courier courier --medium USB-0042 --seal S-7
    add "$1" received "Rita Receiver" receiver --note "seal S-7 unbroken"
    assert_eq "$(wc -l <"$1/custody.log")" 3 "lines in $1/custody.log"
}

# log_lines BUNDLE CODE: runs python CODE on L, the lines of BUNDLE/custody.log (without
# their newlines), and writes L back, one a line.
log_lines() {
    python3 - "$1/custody.log" "$2" <<'PY' || fail "log_lines '$2' failed"
import sys
p, code = sys.argv[1], sys.argv[2]
s = open(p, encoding="utf-8", newline="").read()
assert s.endswith("\n"), "custody.log does not end with a newline"
L = s[:-1].split("\n")
ns = {"L": L}
exec(code, ns)
open(p, "w", encoding="utf-8", newline="").write("".join(l + "\n" for l in ns["L"]))
PY
}

# log_bytes BUNDLE CODE: runs python CODE on s, the bytes of BUNDLE/custody.log, and writes s back.
log_bytes() {
    python3 - "$1/custody.log" "$2" <<'PY' || fail "log_bytes '$2' failed"
import sys
p, code = sys.argv[1], sys.argv[2]
ns = {"s": open(p, "rb").read()}
exec(code, ns)
open(p, "wb").write(ns["s"])
PY
}

# expect_intact BUNDLE COUNT [POLICY]: custody verify exits 0 and says the chain is intact
# (and whether keys were checked).
expect_intact() {
    local b=$1 n=$2 p=${3:-}
    if [ -n "$p" ]; then
        expect_exit 0 airlock custody verify "$b" --trust "$p"
        expect_stdout_contains "custody chain of '$b': $n records, intact, every key allowed by the trust policy"
    else
        expect_exit 0 airlock custody verify "$b"
        expect_stdout_contains "custody chain of '$b': $n records, intact (keys not checked against a policy: give --trust FILE)"
    fi
    expect_stderr_not_contains "custody record"
}

# expect_broken BUNDLE POLICY|"" MESSAGE...: custody verify and show exit 1, name every
# MESSAGE on stderr and say the chain failed; --json says the same; the problems are
# exactly the MESSAGEs given (so a test names every record at fault).
expect_broken() {
    local b=$1 p=$2 m sub
    local -a trust=()
    shift 2
    [ -z "$p" ] || trust=(--trust "$p")
    for sub in verify show; do
        expect_exit 1 airlock custody "$sub" "$b" "${trust[@]}"
        for m in "$@"; do expect_stderr_contains "airlock: custody: $m"; done
        expect_stderr_contains "airlock: the custody chain of '$b' FAILED verification"
        expect_stdout_not_contains "intact"
        assert_eq "$(grep -c '^airlock: custody: ' "$ERR")" $# "problems printed by 'custody $sub'"
    done
    expect_exit 1 airlock custody verify "$b" "${trust[@]}" --json
    assert_eq "$(json "$OUT" .ok)" false "custody verify --json .ok"
    assert_eq "$(json "$OUT" '.problems | length')" $# "custody verify --json: number of problems"
    for m in "$@"; do
        json "$OUT" '.problems[]' | grep -F -- "$m" >/dev/null || fail "custody verify --json lacks the problem: $m"
    done
}

# expect_add_refused BUNDLE MESSAGE: custody add exits 1, names MESSAGE, and leaves the log alone.
expect_add_refused() {
    cp "$1/custody.log" "$T/log-before-add"
    expect_exit 1 airlock custody add "$1" --event stored --actor "Rita Receiver" --key "$K/receiver.key"
    expect_stderr_contains "airlock: custody: $2"
    expect_stderr_contains "airlock: refusing to extend a broken custody chain in '$1'"
    expect_stdout_not_contains "custody record added"
    cmp -s "$T/log-before-add" "$1/custody.log" || fail "a refused custody add changed '$1/custody.log'"
}

# new_store DIR POLICY: an empty store with that trust policy.
new_store() {
    expect_exit 0 airlock init --store "$1" --trust "$2"
    expect_stdout_contains "store ready at '$1' with its trust policy"
}

# catalog STORE: what a rejected import must not change.
catalog() {
    expect_exit 0 airlock store ls --store "$1" --json
    jq -S '{bundles, artifacts, custody, totals}' "$OUT"
}

# expect_import_ok STORE BUNDLE NAME VERSION RECORDS: the import succeeds and the catalog
# holds the bundle's RECORDS custody records, then the store's received and verified.
expect_import_ok() {
    local st=$1 b=$2 name=$3 ver=$4 n=$5
    expect_exit 0 airlock import "$b" --store "$st"
    expect_stdout_contains "imported $name version $ver into '$st'"
    expect_exit 0 airlock store ls --store "$st" --json
    assert_eq "$(json "$OUT" "[.custody[] | select(.bundle == \"$name\" and .bundleVersion == $ver) | .seq] | map(tostring) | join(\",\")")" \
        "$(seq -s, 1 $((n + 2)))" "custody rows of $name $ver in the catalog"
    assert_eq "$(json "$OUT" "[.custody[] | select(.bundle == \"$name\" and .bundleVersion == $ver)][-2:] | map(.event + \"/\" + .actor) | join(\",\")")" \
        "received/airlock import,verified/airlock import" "the store's own custody rows"
}

# expect_import_rejected STORE BUNDLE MESSAGE...: the import exits 1, names every MESSAGE,
# moves what arrived to quarantine/ with a REASON naming them, and changes no catalog row.
expect_import_rejected() {
    local st=$1 b=$2 m q
    shift 2
    catalog "$st" >"$T/catalog-before"
    find "$st/quarantine" -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort >"$T/quarantine-before"
    expect_exit 1 airlock import "$b" --store "$st"
    for m in "$@"; do expect_stderr_contains "airlock: import: $m"; done
    expect_stderr_contains "airlock: bundle '$b' failed verification ($# problem"
    expect_stderr_contains "it was moved to '$st/quarantine/"
    expect_stdout_not_contains "imported"
    catalog "$st" >"$T/catalog-after"
    cmp -s "$T/catalog-before" "$T/catalog-after" || fail "a rejected import changed the catalog"
    q=$(find "$st/quarantine" -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort |
        comm -13 "$T/quarantine-before" -)
    assert_eq "$(printf '%s' "$q" | grep -c .)" 1 "new directories in '$st/quarantine'"
    assert_exists "$q/REASON"
    for m in "$@"; do grep -qF -- "$m" "$q/REASON" || fail "'$q/REASON' does not name: $m"; done
    if [ -f "$b/custody.log" ] && [ ! -L "$b/custody.log" ]; then
        cmp -s "$b/custody.log" "$q/custody.log" || fail "'$q' does not keep the custody.log that arrived"
    fi
    assert_exists "$b/custody.log"   # the source is left alone
    expect_exit 0 airlock store fsck --store "$st"
}

# twin_setup: keys, $T/trust.yaml (custody_keys: builder, courier, receiver), and $T/good:
# a bundle signed by the builder with the three-record chain, which verifies with and
# without the policy and goes into a fresh store ($T/st-good): the passing twin.
twin_setup() {
    custody_keys
    custody_policy "$T/trust.yaml" builder courier receiver
    tiny_bundle "$T/good" tiny 1
    expect_exit 0 airlock sign "$T/good" --key "$K/builder.key" --role builder
    chain3 "$T/good"
    expect_intact "$T/good" 3
    expect_intact "$T/good" 3 "$T/trust.yaml"
    new_store "$T/st-good" "$T/trust.yaml"
    expect_import_ok "$T/st-good" "$T/good" tiny 1 3
    new_store "$T/st" "$T/trust.yaml"   # where the damaged copies go
}

# forge_log BUNDLE CODE: runs python CODE on R, the records of BUNDLE/custody.log as
# parsed JSON objects (in order), then writes the log again as its signers would have:
# each record compact JSON, chained to the line before it ('prev' set afresh) and signed
# again with the key that signed it ($K/<name>.key). So the only defect in the result is
# the one CODE made. Needs python's 'cryptography' module (the test is skipped without).
forge_log() {
    python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' 2>/dev/null ||
        skip "python3 has no 'cryptography' module to sign forged records with"
    python3 - "$1/custody.log" "$K" "$2" <<'PY' || fail "forge_log '$2' failed"
import base64, glob, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
path, keys, code = sys.argv[1:4]
secret = {}
for k in glob.glob(keys + "/*.key"):
    raw = base64.b64decode(open(k).read().split("\n")[1])
    assert raw[2:4] == b"\0\0", k + " is encrypted"
    pub = base64.b64encode(b"Ed" + raw[54:62] + raw[62 + 32:126]).decode()
    secret[pub] = (raw[54:62][::-1].hex().upper(), raw[62:94])
lines = open(path, "rb").read().decode().split("\n")[:-1]
R = [json.loads(l.split("\t")[0]) for l in lines]
P = [l.split("\t")[2] for l in lines]
ns = {"R": R, "P": P}
exec(code, ns)
out, prev = [], ""
for rec, pub in zip(ns["R"], ns["P"]):
    if "prev" in rec:
        rec["prev"] = prev
    js = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
    kid, seed = secret[pub]
    sig = Ed25519PrivateKey.from_private_bytes(seed).sign(hashlib.blake2b(js.encode()).digest())
    line = "\t".join([js, kid, pub, base64.b64encode(sig).decode()])
    out.append(line + "\n")
    prev = "sha256:" + hashlib.sha256(line.encode()).hexdigest()
open(path, "w", encoding="utf-8", newline="").write("".join(out))
PY
}
