#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# pip's lazy wheel (--use-feature=fast-deps) against `airlock serve`: pip HEADs the wheel
# (it asserts a 200 and reads Content-Length and Accept-Ranges) and then reads the zip's
# central directory and METADATA with ranged GETs, so the server's HEAD and single ranges
# are what a real client depends on. A pip that does not read PEP 714 `core-metadata`
# (< 23.2, e.g. Debian 12's 23.0.1) takes this path on the JSON index; a newer pip reads
# the .metadata file instead and is not run here. The download is still the wheel byte
# for byte, and the access log shows the HEAD and the 206s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need curl python3

pip_setup
old=()
for py in "${PIP_PYS[@]}"; do
    "$py" -c 'import sys, pip; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) >= (23, 2))' &&
        old+=("$py")
done
[ "${#old[@]}" -gt 0 ] || skip "no pip < 23.2 here (newer ones use the .metadata file, not ranges)"

serve_store
serve_start

# count_since N METHOD PATH STATUS: how many such requests the access log has after line N
count_since() {
    tail -n +"$(($1 + 1))" "$T/access.log" | python3 -c '
import json, sys
m, p, s = sys.argv[1], sys.argv[2], int(sys.argv[3])
print(sum(1 for l in sys.stdin if (lambda r: r.get("method") == m and r.get("path") == p and r.get("status") == s)(json.loads(l))))
' "$2" "$3" "$4"
}

i=0
for py in "${old[@]}"; do
    i=$((i + 1))
    note "pip $(pip_version "$py") of $py"
    for p in wheel setuptools; do
        W=$(wheel_of "$p")
        F=$(basename "$W")
        n0=$(log_lines)
        expect_exit 0 pip_for "$py" download --no-deps --no-cache-dir --use-feature=fast-deps \
            --index-url "$URL/simple/" -d "$T/dl$i" "$p==$(wheel_version "$W")"
        cmp -s "$W" "$T/dl$i/$F" || fail "fast-deps download of $F differs from $W"
        log_since "$n0" HEAD "/packages/$F" 200 || fail "pip did not HEAD /packages/$F (or not 200)"
        log_since "$n0" GET "/packages/$F" 206 || fail "pip's lazy wheel made no ranged GET (206) of /packages/$F"
        ranged=$(count_since "$n0" GET "/packages/$F" 206)
        note "$F: HEAD, $ranged ranged GETs"
    done
done

serve_alive
serve_stop
