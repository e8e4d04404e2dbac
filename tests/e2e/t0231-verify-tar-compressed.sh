#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): a compressed tar is refused with a message that says so and what to
# do (libarchive alone would say "unrecognized archive format"); decompressed, it verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
need gzip xz zstd bzip2
small_bundle "$T/b.tar" --tar
for c in gzip xz zstd bzip2; do
    "$c" -c "$T/b.tar" >"$T/b.tar.$c"
    expect_exit 1 airlock verify "$T/b.tar.$c"
    expect_stderr_contains "tar '$T/b.tar.$c' is $c-compressed: compressed tars are not accepted (decompress it first)"
    # the twin: decompressed by the same tool, it is the bundle again
    "$c" -dc "$T/b.tar.$c" >"$T/back.tar"
    expect_exit 0 airlock verify "$T/back.tar"
    rm "$T/back.tar"
done
expect_exit 0 airlock init --store "$T/store"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/b.tar.gzip"
expect_stderr_contains "is gzip-compressed: compressed tars are not accepted (decompress it first)"
