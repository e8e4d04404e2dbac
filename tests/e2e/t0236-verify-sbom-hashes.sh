#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: the SBOM's hashes must be those of the content (the file or wheel
# itself, or the manifest), one component per artifact; and airlock.json's sha256 of a
# file must be the file's own blob. SHA256SUMS is regenerated each time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
need jq
resummed_small_bundle "$T/b"
# the SBOM's hash of a.txt is what sha256sum says of the source file
assert_eq "$(json "$T/b/sbom.cdx.json" '.components[0].hashes[0].content')" "$(sha256 "$T/small/a.txt")" "SBOM hash of a.txt"

edit() {
    rm -rf "$T/c" && cp -a "$T/b" "$T/c"
    jq "$2" "$T/c/$1" >"$T/j" && mv "$T/j" "$T/c/$1"
    regen_sums "$T/c"
}
other=$(printf 'other\n' | sha256sum | cut -d' ' -f1)

edit sbom.cdx.json ".components[0].hashes[0].content = \"$other\""
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'sbom.cdx.json': the SHA-256 of 'file/a.txt' is $other, but its content has $(sha256 "$T/small/a.txt")"
expect_stderr_contains "FAILED verification: 1 problem"

edit sbom.cdx.json '.components[1].properties[1].value = "sha256:'"$other"'"'
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'sbom.cdx.json': airlock:manifest of 'file/b.json' is sha256:$other"

edit sbom.cdx.json 'del(.components[1])'
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'sbom.cdx.json' has no component for 'file/b.json'"

edit sbom.cdx.json '.components += [.components[0] | .["bom-ref"] = "file/ghost"]'
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'sbom.cdx.json': component 'file/ghost' is no artifact of this bundle"

# airlock.json and the SBOM agree with each other on a hash the file does not have
rm -rf "$T/c" && cp -a "$T/b" "$T/c"
jq ".artifacts[0].info.sha256 = \"$other\"" "$T/b/airlock.json" >"$T/c/airlock.json"
jq ".components[0].hashes[0].content = \"$other\"" "$T/b/sbom.cdx.json" >"$T/c/sbom.cdx.json"
regen_sums "$T/c"
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'airlock.json': the sha256 of 'file/a.txt' is not the digest of its file"
expect_stderr_contains "FAILED verification: 1 problem"
