#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of t0900: a truncated custody.log. Without its final newline the log is
# refused as truncated; cut inside record 3's JSON, record 3 is named as not a record;
# cut inside its signature, record 3 is named as having a malformed signature. custody add
# refuses each; import quarantines them.
. "$(dirname "$0")/custody-lib.sh"

twin_setup
nonl="custody.log does not end with a newline (is it truncated?)"

# the final newline removed
cp -a "$T/good" "$T/nonl"
log_bytes "$T/nonl" 'assert s.endswith(b"\n"); s = s[:-1]'
expect_broken "$T/nonl" "" "$nonl"
expect_broken "$T/nonl" "$T/trust.yaml" "$nonl"

# cut in the middle of record 3's JSON
cp -a "$T/good" "$T/json"
log_bytes "$T/json" 'i = s.rstrip(b"\n").rfind(b"\n") + 1; s = s[:i + 60]; assert b"\t" not in s[i:]'
notrec="custody record 3 is not a record (JSON, key id, public key, signature)"
expect_broken "$T/json" "" "$nonl" "$notrec"
expect_broken "$T/json" "$T/trust.yaml" "$nonl" "$notrec"

# cut in the middle of record 3's signature
cp -a "$T/good" "$T/sig"
log_bytes "$T/sig" 's = s[:-20]; assert s.count(b"\t") == 9'
badsig="custody record 3 has a malformed key or signature"
expect_broken "$T/sig" "" "$nonl" "$badsig"
expect_broken "$T/sig" "$T/trust.yaml" "$nonl" "$badsig"

for b in nonl json sig; do expect_add_refused "$T/$b" "$nonl"; done
expect_import_rejected "$T/st" "$T/nonl" "$nonl"
expect_import_rejected "$T/st" "$T/json" "$nonl" "$notrec"
expect_import_rejected "$T/st" "$T/sig" "$nonl" "$badsig"
expect_import_ok "$T/st" "$T/good" tiny 1 3
