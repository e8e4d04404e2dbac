#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of bundle create: an image layout whose layer no longer matches its
# digest stops the build with exit 1, naming the blob, and nothing is left at -o.
. "$(dirname "$0")/lib.sh"
need jq

make_sample "$S"
expect_exit 0 airlock bundle create -f "$S/airlock.yaml" -o "$T/good" --quiet

man=$(json "$S/images/app-oci/index.json" '.manifests[0].digest')
layer=$(json "$S/images/app-oci/blobs/sha256/${man#sha256:}" '.layers[0].digest')
flip_byte "$S/images/app-oci/blobs/sha256/${layer#sha256:}" 40
got=$(sha256 "$S/images/app-oci/blobs/sha256/${layer#sha256:}")
for form in dir tar; do
    o=$T/out-$form
    if [ $form = tar ]; then
        expect_exit 1 airlock bundle create -f "$S/airlock.yaml" -o "$o" --tar --quiet
    else
        expect_exit 1 airlock bundle create -f "$S/airlock.yaml" -o "$o" --quiet
    fi
    expect_stderr_contains "blobs/sha256/${layer#sha256:}"
    expect_stderr_contains "expected $layer, got sha256:$got"
    assert_no_leftovers "$o"
done
