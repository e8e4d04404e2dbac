# SPDX-License-Identifier: Apache-2.0
#
# wheels-lib.sh: a PEP 503 tree of made-up wheels for the tests of wheel selection
# (t1450-t1459). Source it after lib.sh and pypi-lib.sh (for pip_setup).
#
#   wheels_setup           skips without Debian's pip; pip_setup; TREE=$T/tree
#   make_tree DIR          writes DIR/<project>/index.html (and index.json, the PEP 691
#                          form of the same page) from the table in $T/tree.txt: lines
#                          "PROJECT FILE [requires-python=SPEC] [yanked]"; every file
#                          named *.whl is a real wheel (python3 zipfile) with METADATA,
#                          WHEEL and RECORD; others are stand-in sdists.
#   file_hash DIR FILE     the sha256 of DIR/<project>/FILE, by sha256sum
#   pick PY PLATFORM REQ [ARGS]      wheelpick's choices, one file a line, sorted
#   pip_pick PY PLATFORM REQ [ARGS]  the files `pip download` writes, sorted; ARGS
#                          are --glibc N / --musl N as for pip-tags.py

wheels_setup() {
    need python3 sha256sum
    [ -n "${WHEELPICK:-}" ] || fail "WHEELPICK is not set (run through meson)"
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pip' 2>/dev/null || skip "Debian's python3-pip is missing"
    pip_setup
    TREE=$T/tree
}

make_tree() {
    local dir=$1
    mkdir -p "$dir"
    python3 - "$dir" "$T/tree.txt" <<'PY' || fail "cannot make the wheel tree"
import base64, hashlib, html, json, os, re, sys, zipfile
root, table = sys.argv[1], sys.argv[2]
pages = {}
for line in open(table):
    parts = line.split()
    if not parts or parts[0].startswith("#"):
        continue
    project, fn, extra = parts[0], parts[1], parts[2:]
    d = os.path.join(root, project)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, fn)
    if fn.endswith(".whl"):
        parts = fn[:-4].split("-")
        name, version = parts[:2]
        py, abi, plat = parts[-3:]
        di = f"{name}-{version}.dist-info"
        files = {
            f"{di}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
            f"{di}/WHEEL": ("Wheel-Version: 1.0\nGenerator: airlock-tests\nRoot-Is-Purelib: false\n" +
                            "".join(f"Tag: {a}-{b}-{c}\n" for a in py.split(".") for b in abi.split(".")
                                    for c in plat.split(".")) +
                            (f"Build: {parts[2]}\n" if len(parts) == 6 else "")).encode(),
        }
        record = ""
        with zipfile.ZipFile(path, "w") as z:
            for n, b in files.items():
                z.writestr(n, b)
                h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
                record += f"{n},sha256={h},{len(b)}\n"
            record += f"{di}/RECORD,,\n"
            z.writestr(f"{di}/RECORD", record)
    else:
        open(path, "wb").write(b"not really an sdist: " + fn.encode())
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    rp = next((e.split("=", 1)[1] for e in extra if e.startswith("requires-python=")), None)
    pages.setdefault(project, []).append((fn, sha, rp, "yanked" in extra))
for project, files in pages.items():
    d = os.path.join(root, project)
    a = []
    for fn, sha, rp, y in files:
        attrs = f' data-requires-python="{html.escape(rp)}"' if rp else ""
        attrs += ' data-yanked=""' if y else ""
        a.append(f'<a href="{fn}#sha256={sha}"{attrs}>{fn}</a><br>')
    open(os.path.join(d, "index.html"), "w").write(
        "<!DOCTYPE html><html><body><h1>Links for %s</h1>\n%s\n</body></html>\n" % (project, "\n".join(a)))
    j = {"meta": {"api-version": "1.0"}, "name": project, "files": []}
    for fn, sha, rp, y in files:
        f = {"filename": fn, "url": fn, "hashes": {"sha256": sha}, "yanked": y}
        if rp:
            f["requires-python"] = rp
        j["files"].append(f)
    json.dump(j, open(os.path.join(d, "index.json"), "w"))
PY
}

file_hash() { sha256 "$(ls "$1"/*/"$2")"; }

pick() {
    local py=$1 plat=$2 req=$3
    shift 3
    "$WHEELPICK" pick "$py" "$plat" "$req" "$TREE" "file://$TREE" "$@" | sort
}

pip_pick() {
    local py=$1 plat=$2 req=$3 out p
    shift 3
    out=$T/pip-out.$$.$RANDOM
    local args=()
    for p in $(/usr/bin/python3 "$SRCDIR/tests/e2e/pip-tags.py" platforms "$py" "$plat" "$@"); do
        args+=(--platform "$p")
    done
    /usr/bin/python3 -m pip download --no-deps --only-binary=:all: --python-version "$py" \
        "${args[@]}" -d "$out" -r "$req" --index-url "file://$TREE" >"$T/pip.log" 2>&1 ||
        { cat "$T/pip.log" >&2; fail "pip download for $py $plat failed"; }
    ls "$out" | sort
    rm -rf "$out"
}
