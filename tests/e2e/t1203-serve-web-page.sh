#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The / page of `airlock serve`, as headless Chromium (Debian's) shows it: every artifact
# of the sample bundle with its kind, the bundle name demo-stack, its signer (role and key
# id) and its custody chain (events, actors, key ids, and the store's own records). The
# page has no <script> and shows the same with JavaScript off. A custody actor full of
# HTML (<i>, &, quotes, a <script>) is shown as text: no element and no script comes of it.
# (Chromium's --dump-dom needs JavaScript on, so "without JavaScript" is checked on the HTML
# as served: no <script> in it, and everything above is in it.)
# Twins: the same bundle imported unsigned into another store shows no signer and no
# chain; a bundle imported while the server runs appears on the next load, not before; an
# image pushed with skopeo appears, marked as pushed, and was not there before.
. "$(dirname "$0")/custody-lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need chromium curl jq python3 minisign skopeo

EVIL='Cara <i>Courier</i> & "Co" '\''x'\'' <script>document.body.setAttribute("data-pwned","1")</script>'

# --- the bundle: unsigned copy for the twin, then signed by the builder with a chain
B=$T/bundle
sample_bundle "$B"
cp -a "$B" "$T/bundle-unsigned"
custody_keys
custody_policy "$T/trust.yaml" builder courier receiver
expect_exit 0 airlock sign "$B" --key "$K/builder.key" --role builder
add "$B" packed "Bob Builder" builder --note "built in CI"
add "$B" handed-over "$EVIL" courier --medium USB-0042
add "$B" received "Rita Receiver" receiver
expect_intact "$B" 3 "$T/trust.yaml"
STORE=$T/store
new_store "$STORE" "$T/trust.yaml"
expect_import_ok "$STORE" "$B" demo-stack 1 3
expect_exit 0 airlock store ls --store "$STORE" --json
cp "$OUT" "$T/ls.json"
[ "$(json "$T/ls.json" '.artifacts | length')" -ge 7 ] || fail "the sample store has too few artifacts"

serve_start

# page NAME: the DOM Chromium builds from $URL/ in $T/NAME.html, and its text (tags dropped,
# entities decoded, whitespace squeezed) in $T/NAME.txt.
page() {
    local name=$1
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$T/chromium-profile" \
        --dump-dom "$URL/" >"$T/$name.html" 2>"$T/$name.err" </dev/null ||
        { cat "$T/$name.err" >&2; fail "chromium --dump-dom $URL/ failed"; }
    grep -qi '<body' "$T/$name.html" || { cat "$T/$name.err" >&2; fail "chromium gave no DOM for $URL/"; }
    page_text "$name"
}
# page_text NAME: $T/NAME.txt from $T/NAME.html.
page_text() {
    local name=$1
    python3 - "$T/$name.html" >"$T/$name.txt" <<'PY' || fail "cannot read the DOM of $name"
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        self.out.append(" ")
    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip -= 1
        self.out.append(" ")
    def handle_data(self, d):
        if not self.skip:
            self.out.append(d)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(" ".join("".join(p.out).split()))
PY
}
# by_kind NAME: each artifact is shown with its kind, whatever the markup: either the last
# kind word before it (a heading) is its kind, or the smallest element around it that names
# a kind (a table row, a list item) names its kind and no artifact of another kind.
by_kind() {
    python3 - "$T/$1.html" "$T/ls.json" <<'PY' || fail "the page ($1) does not show the artifacts by kind"
import json, re, sys
from html.parser import HTMLParser
KINDS = ("model", "wheel", "image", "file", "vulndb")
# a kind as a page may name it: "model", "Models", "Python wheels", "vulndb",
# "Vulnerability data"
KIND_RE = re.compile(r"(?<![\w/.-])(models?|wheels?|images?|files?|vulndbs?|vulnerabilit(?:y|ies))(?![\w/.-])", re.I)
def kind_of(word):
    w = word.lower()
    return "vulndb" if w.startswith("vulnerabilit") else w.rstrip("s") if w != "vulndbs" else "vulndb"
arts = [(a["name"], a["kind"]) for a in json.load(open(sys.argv[2]))["artifacts"]]

class Node:
    def __init__(self, parent):
        self.parent, self.kids = parent, []
class P(HTMLParser):
    VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base", "source"}
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node(None)
        self.texts = []   # (node, text) in document order
    def handle_starttag(self, tag, attrs):
        n = Node(self.cur)
        self.cur.kids.append(n)
        if tag not in self.VOID:
            self.cur = n
    def handle_endtag(self, tag):
        if self.cur.parent is not None:
            self.cur = self.cur.parent
    def handle_data(self, d):
        self.cur.kids.append(d)
        self.texts.append((self.cur, d))
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())

def text(n):
    return " ".join(k if isinstance(k, str) else text(k) for k in n.kids)
def has_name(t, name):
    return re.search(r"(?<![\w/.:@+-])" + re.escape(name) + r"(?![\w/.:@+-])", t) is not None
def kind_words(t):
    for name, _ in arts:   # a name like local/tiny-model holds a kind word: drop it
        if name.lower() not in KINDS:
            t = re.sub(r"(?<![\w/.:@+-])" + re.escape(name) + r"(?![\w/.:@+-])", " ", t)
    return [kind_of(m.group(1)) for m in KIND_RE.finditer(t)]

bad = []
for name, kind in arts:
    if name.lower() in KINDS:
        continue   # the wheel named "wheel": ambiguous by nature
    at = next((i for i, (_, t) in enumerate(p.texts) if has_name(t, name)), None)
    if at is None:
        bad.append("%s: not on the page" % name)
        continue
    before = kind_words(" ".join(t for _, t in p.texts[:at]))
    if before and before[-1] == kind:
        continue
    n, ok = p.texts[at][0], False
    while n is not None:
        t = text(n)
        ks = set(kind_words(t))
        if ks:
            others = [o for o, k in arts if k != kind and o.lower() not in KINDS and has_name(t, o)]
            ok = kind in ks and not others
            break
        n = n.parent
    if not ok:
        bad.append("%s: not shown with its kind %s" % (name, kind))
if bad:
    sys.exit("\n".join(bad))
PY
}

# shows NAME TEXT: the page's text has TEXT.
shows() { grep -qF -- "$2" "$T/$1.txt" || fail "the page ($1) does not show: $2"; }
hides() { if grep -qF -- "$2" "$T/$1.txt"; then fail "the page ($1) shows what it should not: $2"; fi; }

# --- the raw page: HTML, and no script at all
code=$(curl -sS -D "$T/h" -o "$T/raw.html" -w '%{http_code}' "$URL/") || fail "curl $URL/ failed"
assert_eq "$code" 200 "status of GET /"
case $(tr -d '\r' <"$T/h" | sed -n 's/^content-type: *//Ip') in
    text/html*) ;;
    *) fail "/ is not text/html: $(tr -d '\r' <"$T/h" | sed -n 's/^content-type: *//Ip')" ;;
esac
if grep -qi '<script' "$T/raw.html"; then fail "the page has a <script>: it must work without JavaScript"; fi
# and the browser is told so: no script, no outside resource, no framing, no sniffing
hdr() { tr -d '\r' <"$T/h" | sed -n "s/^$1: *//Ip"; }
case $(hdr content-security-policy) in
    *"default-src 'none'"*"frame-ancestors 'none'"*) ;;
    *) fail "/ has no Content-Security-Policy that forbids scripts and outside resources: '$(hdr content-security-policy)'" ;;
esac
assert_eq "$(hdr x-content-type-options)" nosniff "X-Content-Type-Options of /"
if grep -qF 'Courier</i>' "$T/raw.html"; then fail "the custody actor's HTML went into the page unescaped"; fi

# --- what Chromium shows, and what the HTML itself holds (a browser without JavaScript
# shows that: there is no script to change it)
page js
cp "$T/raw.html" "$T/nojs.html"
page_text nojs
for v in js nojs; do
    shows "$v" demo-stack
    while read -r name; do shows "$v" "$name"; done < <(json "$T/ls.json" '.artifacts[].name')
    # the signer
    shows "$v" builder
    shows "$v" "$KB"
    # the custody chain, the store's own records too
    for a in "Bob Builder" "Rita Receiver" "$EVIL" "airlock import"; do shows "$v" "$a"; done
    for e in packed handed-over received verified; do shows "$v" "$e"; done
    for k in "$KC" "$KR"; do shows "$v" "$k"; done
    # what an auditor matches against the paperwork: the medium, the note, the SHA256SUMS digest
    shows "$v" USB-0042
    shows "$v" "built in CI"
    shows "$v" "sha256:$(sha256 "$B/SHA256SUMS")"
    shows "$v" "(the store's own record, unsigned)"
    # sizes for people, and how each kind is fetched from inside
    shows "$v" " KiB"
    shows "$v" "pip install --index-url http://HOST:PORT/simple/"
    shows "$v" "skopeo copy docker://HOST:PORT/"
    shows "$v" "HF_ENDPOINT=http://HOST:PORT"
    by_kind "$v"
done
# names are links to where tools fetch them, and bundles are linked from their artifacts
grep -qF 'href="/api/models/local/tiny-model"' "$T/raw.html" || fail "the model is not a link to its Hub API entry"
grep -qF 'href="#bundle-demo-stack-1"' "$T/raw.html" || fail "an artifact does not link to its bundle"
grep -qF 'id="bundle-demo-stack-1"' "$T/raw.html" || fail "the bundle has no anchor"
# the twin of the size: the exact bytes are in the title
grep -qE 'title="[0-9]+ bytes"' "$T/raw.html" || fail "a size has no exact byte count"
# the actor is text: no <i> element, no script ran, no attribute set
if grep -qF 'Courier</i>' "$T/js.html"; then fail "the custody actor's <i> became an element"; fi
if grep -q '<body[^>]*data-pwned' "$T/js.html"; then fail "the custody actor's <script> ran"; fi
grep -qF '&lt;script&gt;document.body.setAttribute' "$T/js.html" ||
    fail "the custody actor's <script> is not shown as escaped text"

# --- twin: the same bundle, unsigned and without a chain, in another store
STORE1=$STORE
serve_stop
STORE=$T/store-unsigned
expect_exit 0 airlock init --store "$STORE"
expect_exit 0 airlock import "$T/bundle-unsigned" --store "$STORE" --allow-unsigned
serve_start
page twin
shows twin demo-stack
while read -r name; do shows twin "$name"; done < <(json "$T/ls.json" '.artifacts[].name')
for x in "$KB" "$KC" "$KR" "Bob Builder" "Rita Receiver" "Courier" handed-over; do hides twin "$x"; done
serve_stop

# --- twin: an import while serving shows on the next load, and was not there before
STORE=$STORE1
serve_start
mkdir -p "$T/late/files"
printf 'late\n' >"$T/late/files/late-note.txt"
printf 'name: late-arrival\nversion: 1\nexpires: 30d\nartifacts:\n  - kind: file\n    path: files/late-note.txt\n' >"$T/late/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/late/airlock.yaml" -o "$T/late-bundle" --quiet
expect_exit 0 airlock sign "$T/late-bundle" --key "$K/builder.key" --role builder
page before
hides before late-arrival
hides before late-note.txt
expect_import_ok "$STORE" "$T/late-bundle" late-arrival 1 0
page after
shows after late-arrival
shows after late-note.txt
shows after demo-stack
serve_stop

# --- an image pushed (with a token) is shown, and shown as pushed, not from a bundle
printf 'page-test-token-%s\n' "$RANDOM$RANDOM" >"$T/token"
chmod 600 "$T/token"
serve_start --push-token-file "$T/token"
page before-push
hides before-push ci/build
hides before-push pushed
expect_exit 0 skopeo copy --dest-tls-verify=false --dest-creds "user:$(head -n 1 "$T/token")" \
    "oci:$S/images/app-oci:1.4" "docker://$HOSTPORT/ci/build:7"
page after-push
shows after-push ci/build
shows after-push pushed
shows after-push demo-stack

serve_alive
serve_stop
