#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of t0900: forged records. An outsider signs record 2 with its own key,
# then makes it claim the courier's key: (a) only the key id field replaced: record 2 has
# a malformed key; (b) the courier's key id and public key put in, the outsider's
# signature kept: record 2's signature does not match; (c) the courier's key number put
# inside the outsider's public key (key id and key agree, the signature verifies): without
# a policy the chain verifies (docs/cmd/custody.md: that proves the chain, not who made
# it, and the output says so), with the policy record 2 is refused. custody add refuses
# (a) and (b); import with the policy quarantines all three.
. "$(dirname "$0")/custody-lib.sh"

twin_setup
PKC=$(sed -n 2p "$K/courier.pub")

# the outsider's record 2 after the builder's record 1, honestly signed: it verifies
# without a policy and is refused with one (t0904 covers that case)
cp -a "$T/good" "$T/o"
log_lines "$T/o" 'del L[1:]'
add "$T/o" handed-over courier outsider --medium USB-0042
expect_intact "$T/o" 2

# (a) the key id field replaced by the courier's
cp -a "$T/o" "$T/a"
log_lines "$T/a" "f = L[1].split('\t'); assert f[1] == '$KX'; f[1] = '$KC'; L[1] = '\t'.join(f)"
malformed="custody record 2 has a malformed key or signature"
expect_broken "$T/a" "" "$malformed"
expect_broken "$T/a" "$T/trust.yaml" "$malformed"

# (b) the courier's key id and public key, the outsider's signature
cp -a "$T/o" "$T/b"
log_lines "$T/b" "f = L[1].split('\t'); f[1] = '$KC'; f[2] = '$PKC'; L[1] = '\t'.join(f)"
nomatch="custody record 2 (by key $KC): the signature does not match the record (edited?)"
expect_broken "$T/b" "" "$nomatch"
expect_broken "$T/b" "$T/trust.yaml" "$nomatch"

# (c) the outsider's public key with the courier's key number (and so its key id)
cp -a "$T/o" "$T/c"
log_lines "$T/c" "
import base64
f = L[1].split('\t')
raw = base64.b64decode(f[2]); courier = base64.b64decode('$PKC')
f[1] = '$KC'; f[2] = base64.b64encode(raw[:2] + courier[2:10] + raw[10:]).decode()
L[1] = '\t'.join(f)"
add "$T/c" received "Rita Receiver" receiver   # add checks the chain, not keys
expect_intact "$T/c" 3
expect_exit 0 airlock custody show "$T/c"
expect_stdout_contains "(keys not checked against a policy: give --trust FILE)"
expect_broken "$T/c" "$T/trust.yaml" \
    "custody record 2 claims key id $KC, but its public key is not that key of the trust policy (forged)"

expect_add_refused "$T/a" "$malformed"
expect_add_refused "$T/b" "$nomatch"
expect_import_rejected "$T/st" "$T/a" "$malformed"
expect_import_rejected "$T/st" "$T/b" "$nomatch"
expect_import_rejected "$T/st" "$T/c" "custody record 2 claims key id $KC, but its public key is not that key of the trust policy (forged)"
expect_import_ok "$T/st" "$T/good" tiny 1 3
