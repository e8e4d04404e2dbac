# SPDX-License-Identifier: Apache-2.0
#
# pypi-lib.sh: helpers for the tests of `airlock serve`'s PyPI simple API, /packages/
# and /files/ (t1100-t1149). Source it after lib.sh and serve-lib.sh.
#
#   fetch NAME URL [CURL ARGS...]   one request with curl; the body goes to $T/http/NAME.body,
#                                   the headers to $T/http/NAME.hdr, the status to $CODE.
#                                   A transport failure (no answer at all) fails the test.
#   hdr NAME HEADER                 the value of HEADER in that answer ('' when absent)
#   expect_code NAME WANT           fails unless that answer's status is WANT
#   media_type NAME                 Content-Type without parameters, lower-case
#   pip_setup                       a pip environment steered by nothing from the caller;
#                                   fills PIP_PYS with the Python interpreters whose pip
#                                   the tests drive (skips the test when there is none)
#   pip_venv DIR PY                 an empty venv made by PY, without pip in it
#   pip_for PY ARGS...              PY's pip (for use with expect_exit)
#   wheels_req FILE PROJECT...      a --require-hashes requirements file for Debian's wheels
#   wheel_of PROJECT                the path of Debian's wheel of PROJECT

WHEELS_DIR=${AIRLOCK_E2E_WHEELS:-/usr/share/python-wheels}
mkdir -p "$T/http"

fetch() {
    local name=$1 url=$2 rc
    shift 2
    CODE=$(curl -sS --noproxy '*' --path-as-is --max-time 20 -o "$T/http/$name.body" \
        -D "$T/http/$name.hdr" -w '%{http_code}' "$@" "$url" 2>"$T/http/$name.err") && rc=0 || rc=$?
    [ "$rc" -eq 0 ] || {
        cat "$T/http/$name.err" >&2
        serve_alive
        fail "curl '$url' $* failed (exit $rc): no HTTP answer"
    }
}

# The last header block (after any 1xx), the last occurrence of HEADER, CR removed.
hdr() {
    awk -v want="$(printf '%s' "$2" | tr 'A-Z' 'a-z')" '
        /^HTTP\// { found = "" }
        {
            sub(/\r$/, "")
            i = index($0, ":")
            if (i > 0 && tolower(substr($0, 1, i - 1)) == want) {
                v = substr($0, i + 1)
                sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
                found = v
            }
        }
        END { print found }' "$T/http/$1.hdr"
}

expect_code() {
    [ "$CODE" = "$2" ] || {
        echo "--- headers:" >&2
        cat "$T/http/$1.hdr" >&2
        echo "--- body (start):" >&2
        head -c 600 "$T/http/$1.body" >&2 || true
        echo >&2
        fail "request '$1': HTTP status $CODE, expected $2"
    }
}

media_type() {
    hdr "$1" Content-Type | cut -d';' -f1 | tr -d ' \t' | tr 'A-Z' 'a-z'
}

# Content-Type must be exactly TYPE, optionally with '; charset=utf-8' (any case, spacing).
expect_content_type() {
    local ct norm
    ct=$(hdr "$1" Content-Type)
    norm=$(printf '%s' "$ct" | tr 'A-Z' 'a-z' | tr -d ' \t')
    case "$norm" in
    "$2" | "$2;charset=utf-8") ;;
    *) fail "request '$1': Content-Type '$ct', expected '$2'" ;;
    esac
}

# body_is NAME FILE: the answer's body is byte for byte FILE.
body_is() {
    cmp -s "$T/http/$1.body" "$2" ||
        fail "request '$1': the body ($(wc -c <"$T/http/$1.body") bytes, sha256 $(sha256 "$T/http/$1.body")) differs from '$2' ($(wc -c <"$2") bytes, sha256 $(sha256 "$2"))"
}

# ------------------------------------------------------------------ pip

# pip_setup: nothing from the caller's environment or configuration may steer pip (this
# machine sets PIP_FIND_LINKS, which would let pip find wheels without asking the server;
# a proxy variable could send 127.0.0.1 elsewhere), pip writes nothing outside $T, and it
# never waits for input. The interpreters are resolved before HOME moves (pyenv's shims
# find their root through it).
PIP_PYS=()
pip_setup() {
    local v py real seen=" " cand
    need python3
    cand=()
    [ -x /usr/bin/python3 ] && cand+=(/usr/bin/python3)   # Debian's python3-pip
    # the first python3 on PATH (here pyenv's, with its own newer pip)
    py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -n "$py" ] && cand+=("$py")
    for py in "${cand[@]}"; do
        real=$(readlink -f "$py")
        case "$seen" in *" $real "*) continue ;; esac
        seen="$seen$real "
        # pip >= 22.3 has --python, with which the interpreter's own pip installs into a
        # venv made without pip (see pip_venv)
        if "$py" - <<'PY' >/dev/null 2>&1; then
import sys
from pip import __version__ as v
parts = tuple(int(x) for x in v.split(".")[:2])
sys.exit(0 if parts >= (22, 3) else 1)
PY
            PIP_PYS+=("$py")
        fi
    done
    for v in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY PYTHONPATH \
        PYTHONHOME VIRTUAL_ENV
    export no_proxy='127.0.0.1,localhost,::1' NO_PROXY='127.0.0.1,localhost,::1'
    export PIP_CONFIG_FILE=/dev/null          # pip reads no configuration file at all
    export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
    export PIP_DEFAULT_TIMEOUT=20 PIP_RETRIES=0 PYTHONDONTWRITEBYTECODE=1
    export HOME=$T/home XDG_CACHE_HOME=$T/home/.cache XDG_CONFIG_HOME=$T/home/.config
    mkdir -p "$HOME"
    [ "${#PIP_PYS[@]}" -gt 0 ] || skip "no python3 with pip >= 22.3"
}

# pip_venv DIR PY: `python3 -m venv --without-pip` needs neither ensurepip (which Debian
# only ships in python3-venv) nor the network; the venv is then filled by PY's own pip
# through `pip --python DIR/bin/python`, so the client under test is that pip, unchanged.
pip_venv() {
    "$2" -m venv --without-pip "$1" >"$T/.venv.log" 2>&1 ||
        { cat "$T/.venv.log" >&2; fail "'$2 -m venv --without-pip $1' failed"; }
}

pip_for() {
    local py=$1
    shift
    "$py" -m pip "$@"
}

# pip_version PY: the version of PY's pip.
pip_version() { "$1" -c 'import pip; print(pip.__version__)'; }

wheel_of() {
    local f
    for f in "$WHEELS_DIR/$1"-*-py3-none-any.whl "$WHEELS_DIR/$1"-*-py2.py3-none-any.whl; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    skip "no wheel of '$1' in $WHEELS_DIR"
}

# wheel_version WHEEL: the version from the file name (PEP 427).
wheel_version() { basename "$1" | cut -d- -f2; }

wheels_req() {
    local out=$1 p w
    shift
    : >"$out"
    for p in "$@"; do
        w=$(wheel_of "$p")
        echo "$p==$(wheel_version "$w") --hash=sha256:$(sha256 "$w")" >>"$out"
    done
}

# wheel_metadata WHEEL OUT: the wheel's one top-level *.dist-info/METADATA, extracted.
wheel_metadata() {
    python3 - "$1" "$2" <<'PY' || fail "cannot read the METADATA of '$1'"
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = [n for n in z.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
    assert len(names) == 1, names
    open(sys.argv[2], "wb").write(z.read(names[0]))
PY
}

# metadata_field FILE FIELD: a header of a METADATA file ('' when absent).
metadata_field() {
    python3 - "$1" "$2" <<'PY'
import email.parser, sys
m = email.parser.BytesHeaderParser().parse(open(sys.argv[1], "rb"))
print(m.get(sys.argv[2], ""))
PY
}

# log_lines: how many lines the access log has now.
log_lines() { if [ -f "$T/access.log" ]; then wc -l <"$T/access.log"; else echo 0; fi; }

# log_since N METHOD PATH STATUS: the access log, after its first N lines, records such a
# request (the path as sent). The log may lag the answer a little: it is read again for up
# to 60 s before the answer is no.
log_since() { wait_until 60 _log_since_once "$@"; }
_log_since_once() {
    local n=$1
    shift
    [ -f "$T/access.log" ] || return 1
    tail -n +"$((n + 1))" "$T/access.log" >"$T/.access.part"
    python3 - "$T/.access.part" "$@" <<'PY'
import json, sys
log, method, path, status = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for line in open(log, encoding="utf-8", errors="replace"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("method") == method and r.get("path") == path and r.get("status") == status:
        sys.exit(0)
sys.exit(1)
PY
}
