#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock deploy render` (src/lib/store/deploy.c, docs/cmd/deploy.md) of a release of the
# sample bundle, against `airlock serve` of the same store:
#   - pip (each interpreter here with pip >= 22.3) reads the rendered pip.conf and installs
#     every wheel of requirements.lock from the inside index; the lock's lines are what
#     sha256sum and the wheels' file names say; the twin: one hash changed and pip refuses;
#   - images.json's inside reference is what skopeo reads from the server, by digest;
#   - models.lock names the model at the digest `store ls` lists; airlock.env sets the
#     endpoint and exactly the variables docs/cmd/deploy.md documents;
#   - the model server's systemd unit passes systemd-analyze verify, its compose file
#     docker-compose config (a misspelt key fails it), its Kubernetes manifests read back
#     with the image by digest and the model at its revision;
#   - the same release gives the same bytes, by release name or through the channel
#     it is on; refusals: an endpoint that is not http(s), an unknown release or channel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need skopeo jq sha256sum systemd-analyze docker-compose
pip_setup
serve_store
expect_exit 0 airlock release create r1 --from demo-stack@1 --store "$STORE"
serve_start
HP=${URL#http://}

expect_exit 0 airlock deploy render --release r1 --endpoint "$URL" --registry registry.site/prod -o "$T/out" --store "$STORE"
expect_stdout_contains "rendered release 'r1' (sha256:"
for f in airlock.env models.lock pip.conf requirements.lock images.json; do assert_exists "$T/out/$f"; done

# --- pip installs the lock from the inside index, through pip.conf alone
want=$T/want.lock
for w in /usr/share/python-wheels/*.whl; do
    b=$(basename "$w" .whl)
    n=$(echo "${b%%-*}" | tr 'A-Z_.' 'a-z--')
    v=$(echo "$b" | cut -d- -f2)
    echo "$n==$v sha256:$(sha256 "$w")"
done | LC_ALL=C sort >"$want"
grep -v '^#' "$T/out/requirements.lock" | tr -d '\\' | tr -s ' \n' ' ' | sed 's/ \([a-z]\)/\n\1/g; s/--hash=//g; s/ $//' |
    LC_ALL=C sort >"$T/got.lock"
echo >>"$T/got.lock"
sed -i '/^$/d' "$T/got.lock"
[ "$(wc -l <"$want")" -ge 3 ] || fail "fewer than 3 wheels to lock"
cmp -s "$want" "$T/got.lock" || fail "requirements.lock: $(diff "$want" "$T/got.lock")"
nwheels=$(ls /usr/share/python-wheels/*.whl | wc -l)
for py in "${PIP_PYS[@]}"; do
    rm -rf "$T/site"
    asked=$(grep -c '/simple/' "$T/access.log" || true)
    expect_exit 0 env PIP_CONFIG_FILE="$T/out/pip.conf" "$py" -m pip install --no-deps --target "$T/site" \
        -r "$T/out/requirements.lock"
    assert_eq "$(ls -d "$T/site"/*.dist-info | wc -l)" "$nwheels" "wheels $py installed from the lock"
    [ "$(grep -c '/simple/' "$T/access.log")" -gt "$asked" ] || fail "$py did not ask the inside index"
    # the twin: one hash changed, pip refuses to install
    cp "$T/out/requirements.lock" "$T/bad.lock"
    python3 - "$T/bad.lock" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
m = re.search(r"--hash=sha256:([0-9a-f]{64})", s)
flipped = ("0" if m.group(1)[0] != "0" else "1") + m.group(1)[1:]
open(p, "w").write(s[:m.start(1)] + flipped + s[m.end(1):])
PY
    rm -rf "$T/site"
    expect_exit 1 env PIP_CONFIG_FILE="$T/out/pip.conf" "$py" -m pip install --no-deps --target "$T/site" -r "$T/bad.lock"
    expect_stderr_contains "DO NOT MATCH THE HASHES"
done
grep -qxF "index-url = $URL/simple/" "$T/out/pip.conf" || fail "pip.conf: no index-url at the endpoint"
grep -qxF "require-hashes = true" "$T/out/pip.conf" || fail "pip.conf: hashes are not required"

# --- images: the inside reference is what the server serves
expect_exit 0 airlock store ls --store "$STORE" --json
idig=$(json "$OUT" '.artifacts[] | select(.kind == "image") | .digest')
mdig=$(json "$OUT" '.artifacts[] | select(.kind == "model") | .digest')
assert_eq "$(json "$T/out/images.json" '.images[0].inside')" "$HP/myorg/app@$idig" "the inside reference"
assert_eq "$(json "$T/out/images.json" '.images[0].registry')" "registry.site/prod/myorg/app@$idig" "the site registry's reference"
expect_exit 0 skopeo inspect --raw --tls-verify=false "docker://$HP/myorg/app@$idig"
assert_eq "sha256:$(sha256 "$OUT")" "$idig" "the manifest skopeo read by the rendered reference"
# a model from local files is pinned to the commit serve gives it, never to a branch that moves
commit=${mdig:7:40}
grep -qxF "local/tiny-model $commit $mdig" "$T/out/models.lock" || fail "models.lock: $(cat "$T/out/models.lock")"
curl -fsS "$URL/api/models/local/tiny-model/revision/$commit" >"$T/rev.json" || fail "serve does not know revision $commit"
assert_eq "$(json "$T/rev.json" .sha)" "$commit" "the commit the Hub endpoint gives the pinned revision"

# --- the environment: the endpoint, and the documented variables, no more and no fewer
grep -qxF "HF_ENDPOINT=$URL" "$T/out/airlock.env" || fail "airlock.env: no HF_ENDPOINT"
grep -qxF "PIP_INDEX_URL=$URL/simple/" "$T/out/airlock.env" || fail "airlock.env: no PIP_INDEX_URL"
sed -n 's/^\([A-Z_]*\)=.*/\1/p' "$T/out/airlock.env" | grep -vxE 'HF_ENDPOINT|PIP_INDEX_URL' | LC_ALL=C sort >"$T/env-names"
sed -n 's/^| `\([A-Z_]*\)` | .*/\1/p' "$SRCDIR/docs/cmd/deploy.md" | LC_ALL=C sort >"$T/doc-names"
[ "$(wc -l <"$T/doc-names")" -ge 10 ] || fail "docs/cmd/deploy.md documents fewer than 10 variables"
cmp -s "$T/env-names" "$T/doc-names" || fail "airlock.env and docs/cmd/deploy.md differ: $(diff "$T/doc-names" "$T/env-names")"
(set -a; . "$T/out/airlock.env"; [ "$HF_HUB_DISABLE_TELEMETRY" = 1 ] && [ "$WANDB_MODE" = disabled ]) ||
    fail "airlock.env does not source"

# --- the same bytes: again, and through the channel
expect_exit 0 airlock deploy render --release r1 --endpoint "$URL" --registry registry.site/prod -o "$T/again" --store "$STORE"
sql "$STORE/catalog.db" "UPDATE bundles SET unsigned = 0" >/dev/null   # as if signed: the gates are t1700's
expect_exit 0 airlock release promote r1 --to production --store "$STORE"
expect_exit 0 airlock deploy render --release production --endpoint "$URL" --registry registry.site/prod -o "$T/prod" --store "$STORE" --json
assert_eq "$(json "$OUT" .release)" r1 "the release production renders"
for f in airlock.env models.lock pip.conf requirements.lock images.json; do
    cmp -s "$T/out/$f" "$T/again/$f" || fail "$f differs between two renderings"
    cmp -s "$T/out/$f" "$T/prod/$f" || fail "$f differs rendered through the channel"
done

# --- the model server's manifests, each checked by its own tool
expect_exit 0 airlock deploy render --release r1 --endpoint "$URL" --target env,systemd,compose,k8s \
    --server-command /bin/true --port 8001 -o "$T/srv" --store "$STORE"
expect_exit 0 systemd-analyze verify "$T/srv/airlock-model-server.service"
assert_eq "$(cat "$ERR")" "" "what systemd-analyze says of the model server's unit"
grep -qxF "ExecStart=/bin/true serve local/tiny-model --revision $commit --port 8001" "$T/srv/airlock-model-server.service" ||
    fail "the unit's ExecStart: $(grep ExecStart "$T/srv/airlock-model-server.service")"
expect_exit 0 bash -c "cd '$T/srv' && docker-compose config"
expect_stdout_contains "image: $HP/myorg/app@$idig"
sed 's/^    restart:/    restrat:/' "$T/srv/docker-compose.yml" >"$T/srv/bad-compose.yml"
expect_exit 1 bash -c "cd '$T/srv' && docker-compose -f bad-compose.yml config"
expect_stderr_contains "'restrat'"
/usr/bin/python3 - "$T/srv/model-server.k8s.yaml" "$HP/myorg/app@$idig" "$URL" "$commit" <<'PY' || fail "the Kubernetes manifests"
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
assert [d["kind"] for d in docs] == ["ConfigMap", "Deployment", "Service"], [d["kind"] for d in docs]
assert all(d["apiVersion"] in ("v1", "apps/v1") and d["metadata"]["name"] for d in docs)
cm, dep, svc = docs
assert cm["data"]["HF_ENDPOINT"] == sys.argv[3] and cm["data"]["HF_HUB_DISABLE_TELEMETRY"] == "1", cm["data"]
c = dep["spec"]["template"]["spec"]["containers"][0]
assert c["image"] == sys.argv[2], c["image"]
assert c["args"] == ["--model", "local/tiny-model", "--revision", sys.argv[4], "--port", "8001"], c["args"]
assert c["envFrom"] == [{"configMapRef": {"name": "airlock-env"}}]
assert dep["spec"]["selector"]["matchLabels"] == dep["spec"]["template"]["metadata"]["labels"] == svc["spec"]["selector"]
assert svc["spec"]["ports"] == [{"port": 8001, "targetPort": 8001}]
PY
expect_exit 2 airlock deploy render --release r1 --endpoint "$URL" --target k8s --model no/such -o "$T/srv2" --store "$STORE"
expect_stderr_contains "release 'r1' holds no model named no/such"
expect_exit 64 airlock deploy render --release r1 --endpoint "$URL" --target systemd --server-command vllm -o "$T/srv2" --store "$STORE"

# --- refusals
expect_exit 64 airlock deploy render --release r1 --endpoint ftp://x -o "$T/x" --store "$STORE"
expect_stderr_contains "--endpoint 'ftp://x'"
expect_exit 2 airlock deploy render --release nothing --endpoint "$URL" -o "$T/x" --store "$STORE"
expect_stderr_contains "has no release 'nothing'"
expect_exit 64 airlock deploy render --release r1 --endpoint "$URL" -o "$T/x" --target yaml --store "$STORE"
expect_exit 64 airlock deploy render --release r1 -o "$T/x" --store "$STORE"
assert_absent "$T/x"
serve_stop
