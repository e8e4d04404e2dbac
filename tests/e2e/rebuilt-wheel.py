#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# rebuilt-wheel.py OUTDIR BODY: writes OUTDIR/air_lock_rebuilt-1.0-py3-none-any.whl, whose
# module air_lock_rebuilt_mod says BUILD = BODY: two calls with two BODYs make two builds
# of one file name with other bytes (t1106, t1752).
import base64, hashlib, sys, zipfile
out, body = sys.argv[1], sys.argv[2]
info = "air_lock_rebuilt-1.0.dist-info"
files = {
    "air_lock_rebuilt_mod/__init__.py": "BUILD = %r\n" % body,
    info + "/METADATA": "Metadata-Version: 2.1\nName: air-lock-rebuilt\nVersion: 1.0\nRequires-Python: >=3\n",
    info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: airlock-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
rec = ""
for p, t in files.items():
    h = base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b"=").decode()
    rec += "%s,sha256=%s,%d\n" % (p, h, len(t.encode()))
files[info + "/RECORD"] = rec + info + "/RECORD,,\n"
with zipfile.ZipFile(out + "/air_lock_rebuilt-1.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
    for p, t in files.items():
        z.writestr(zipfile.ZipInfo(p, (2024, 1, 1, 0, 0, 0)), t.encode())
