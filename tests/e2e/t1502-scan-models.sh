#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock scan` over models: each model file is judged by what it is, and the findings
# are exactly the expected ones, no more, no fewer.
#   - a clean model (a valid safetensors file, a GGUF that llama.cpp's format allows, a
#     benign torch zip checkpoint, a numeric .npy, an Apache-2.0 card) has no finding and
#     passes;
#   - a model with a torch checkpoint whose pickle calls os.system, safetensors headers
#     that lie four ways (overlap, data past the end, a header larger than the file, a
#     size that is not the shape's), GGUF files cut short and of an unknown version,
#     auto_map entries (one of them in another repository) and a modeling_*.py file,
#     and a card with a Llama licence: each is named, with its file, and the verdict
#     fails; the licence is "review" or "denied" by the policy's lists;
#   - an origin on the policy's deny list fails.
. "$(dirname "$0")/lib.sh"
need jq python3
m=$T/src/models
mkdir -p "$m/clean" "$m/risky"

python3 - "$m" "$SRCDIR/tests/e2e/make-gguf.py" <<'PY' || fail "cannot make the models"
import collections, json, os, pickle, struct, subprocess, sys, zipfile
m, make_gguf = sys.argv[1], sys.argv[2]

def safetensors(path, tensors, data_len=None, header_len=None, pad=True):
    h = json.dumps(tensors).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    end = max([t["data_offsets"][1] for k, t in tensors.items() if k != "__metadata__"] + [0])
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h) if header_len is None else header_len) + h + b"\0" * (end if data_len is None else data_len))

def torch_zip(path, data_pkl):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/version", "3\n")
        z.writestr("archive/data/0", b"\0" * 16)

class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))

ok = {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
      "b": {"dtype": "BF16", "shape": [4], "data_offsets": [16, 24]},
      "__metadata__": {"format": "pt"}}
# the clean model
safetensors(f"{m}/clean/model.safetensors", ok)
subprocess.run([sys.executable, make_gguf, f"{m}/clean/tiny.gguf", "--seed", "5"], check=True)
torch_zip(f"{m}/clean/pytorch_model.bin", pickle.dumps(collections.OrderedDict([("w", 1)]), protocol=2))
hdr = repr({"descr": "<f4", "fortran_order": False, "shape": (2,)}).encode()
hdr += b" " * (-(10 + len(hdr) + 1) % 64) + b"\n"
open(f"{m}/clean/weights.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + b"\0" * 8)
json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama"}, open(f"{m}/clean/config.json", "w"))
open(f"{m}/clean/README.md", "w").write("---\nlicense: apache-2.0\nbase_model: none\n---\n# clean\n")
# the risky one
torch_zip(f"{m}/risky/pytorch_model.bin", pickle.dumps({"x": Evil()}, protocol=2))
safetensors(f"{m}/risky/overlap.safetensors",
            {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
             "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})
safetensors(f"{m}/risky/past-end.safetensors", ok, data_len=20)
safetensors(f"{m}/risky/huge-header.safetensors", ok, header_len=1 << 40)
safetensors(f"{m}/risky/wrong-size.safetensors", {"a": {"dtype": "F16", "shape": [3, 3], "data_offsets": [0, 16]}})
g = open(f"{m}/clean/tiny.gguf", "rb").read()
open(f"{m}/risky/cut.gguf", "wb").write(g[: len(g) // 2])
open(f"{m}/risky/v9.gguf", "wb").write(g[:4] + struct.pack("<I", 9) + g[8:])
json.dump({"model_type": "x", "auto_map": {"AutoConfig": "configuration_x.XConfig",
                                           "AutoModelForCausalLM": "other-org/repo--modeling_x.XForCausalLM"},
           "telemetry_url": "https://collect.vendor-metrics.io/v2", "local": "http://localhost:9000/"},
          open(f"{m}/risky/config.json", "w"))
open(f"{m}/risky/modeling_x.py", "w").write("import os\nimport wandb.sdk\n# see https://docs.example-vendor.io/ for help\n")
open(f"{m}/risky/README.md", "w").write("---\nlicense: llama3\n---\n# risky\n")
PY

cat >"$T/src/airlock.yaml" <<EOF
name: models
version: 1
expires: 30d
artifacts:
  - kind: model
    path: models/clean
    name: acme/clean
    source: hf://acme/clean
  - kind: model
    path: models/risky
    name: shady/risky
    source: hf://shady/risky
EOF
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet

# ---------------------------------------------------------------- the findings, exactly
expect_exit 1 airlock scan "$T/b" --json -o "$T/scan.json"
jq -r '.model_files[] | [.artifact, .file, .kind, .disposition] | @tsv' "$T/scan.json" | sort >"$T/got"
sort >"$T/want" <<'EOF'
shady/risky	config.json	remote-code	review
shady/risky	config.json	remote-code	review
shady/risky	cut.gguf	malformed-gguf	fail
shady/risky	huge-header.safetensors	malformed-safetensors	fail
shady/risky	modeling_x.py	remote-code	review
shady/risky	overlap.safetensors	malformed-safetensors	fail
shady/risky	past-end.safetensors	malformed-safetensors	fail
shady/risky	pytorch_model.bin	unsafe-pickle	fail
shady/risky	v9.gguf	malformed-gguf	fail
shady/risky	wrong-size.safetensors	malformed-safetensors	fail
EOF
diff "$T/want" "$T/got" >&2 || fail "the model-file findings differ from the expected ones (< expected, > found)"
detail() { jq -r --arg f "$1" '.model_files[] | select(.file == $f) | .detail' "$T/scan.json"; }
detail pytorch_model.bin | stdin_has "imports posix.system" || fail "the pickle finding does not name posix.system: $(detail pytorch_model.bin)"
detail overlap.safetensors | stdin_has "they overlap" || fail "overlap: $(detail overlap.safetensors)"
detail past-end.safetensors | stdin_has "runs past the end of the file" || fail "past end: $(detail past-end.safetensors)"
detail huge-header.safetensors | stdin_has "a header of 1099511627776 bytes" || fail "huge header: $(detail huge-header.safetensors)"
detail wrong-size.safetensors | stdin_has "holds 18 bytes but data_offsets give 16" || fail "size: $(detail wrong-size.safetensors)"
detail cut.gguf | stdin_has "past the end of the file" || fail "cut gguf: $(detail cut.gguf)"
detail v9.gguf | stdin_has "GGUF version 9" || fail "gguf version: $(detail v9.gguf)"
detail config.json | stdin_has "another repository" || fail "the cross-repository auto_map is not named: $(detail config.json)"
jq -e '.verdict.result == "fail" and .verdict.failing == 7 and .verdict.to_review == 4' "$T/scan.json" >/dev/null ||
    fail "the verdict is not fail with 7 failing and 4 to review: $(jq -c .verdict "$T/scan.json")"
# what the model's code and config would reach, by file and line (a comment's URL and localhost are not)
jq -r '.phone_home[] | [.artifact, .file, (.line | tostring), .kind, .what, .disposition] | @tsv' "$T/scan.json" >"$T/ph"
printf 'shady/risky\tconfig.json\t1\toutside-host\tcollect.vendor-metrics.io\treported\nshady/risky\tmodeling_x.py\t2\ttelemetry-sdk\twandb\treview\n' |
    diff - "$T/ph" >&2 || fail "the model's phone-home findings differ (< expected, > found)"
jq -e '[.licenses[] | [.artifact, .license, .verdict]] == [["acme/clean", "apache-2.0", "reported"], ["shady/risky", "llama3", "reported"]]' \
    "$T/scan.json" >/dev/null || fail "the licences read from the cards: $(jq -c .licenses "$T/scan.json")"
airlock scan "$T/b" >"$T/text" 2>&1 || true
grep -q "shady/risky: pytorch_model.bin: unsafe-pickle: .*posix.system.*: FAIL" "$T/text" || { cat "$T/text" >&2; fail "the text output does not show the pickle finding"; }

# ---------------------------------------------------------------- the policy: licences, origins, remote code
cat >"$T/p1.yaml" <<'EOF'
remote_code: allow
licenses:
  allow: [apache-2.0, mit]
  review: [llama3]
origins:
  deny: ["hf://shady/*"]
EOF
expect_exit 1 airlock scan "$T/b" --policy "$T/p1.yaml" --json
jq -e '([.licenses[] | [.artifact, .verdict]] == [["acme/clean", "allowed"], ["shady/risky", "review"]]) and
       ([.origins[] | [.artifact, .disposition]] == [["shady/risky", "fail"]]) and
       ([.model_files[] | select(.kind == "remote-code") | .disposition] | unique == ["allow"])' "$OUT" >/dev/null ||
    fail "policy p1 was not applied as written: $(jq -c '{licenses, origins}' "$OUT")"
printf 'licenses:\n  allow: [apache-2.0]\n' >"$T/p2.yaml"
expect_exit 1 airlock scan "$T/b" --policy "$T/p2.yaml" --json
jq -e '[.licenses[] | select(.artifact == "shady/risky") | .verdict] == ["denied"]' "$OUT" >/dev/null || fail "a licence outside both lists is not denied"
printf 'remote_code: maybe\n' >"$T/p3.yaml"
expect_exit 2 airlock scan "$T/b" --policy "$T/p3.yaml"
expect_stderr_contains "remote_code must be review, fail or allow"

# ---------------------------------------------------------------- the clean model alone passes
printf 'name: clean\nversion: 1\nexpires: 30d\nartifacts:\n  - kind: model\n    path: models/clean\n    name: acme/clean\n' >"$T/src/clean.yaml"
expect_exit 0 airlock bundle create -f "$T/src/clean.yaml" -o "$T/clean.tar" --tar --quiet
expect_exit 0 airlock scan "$T/clean.tar" --json
jq -e '(.model_files == []) and .verdict.result == "pass"' "$OUT" >/dev/null || fail "the clean model has findings: $(jq -c .model_files "$OUT")"
[ -z "$(find "$TMPDIR" -maxdepth 1 -name 'airlock-scan-*')" ] || fail "the scan of a tar left its staging directory behind"
note "$(jq -r ".model_files | length" "$T/scan.json") model-file findings, exactly the expected; the clean model passes"

