#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The command line: usage errors exit 64; --help of each command exits 0 and prints the
# first line of its page (docs/cmd/*.md).
. "$(dirname "$0")/lib.sh"

D=$SRCDIR/docs/cmd
first() { head -n 1 "$D/$1.md"; }

expect_exit 64 airlock
expect_stderr_contains "$(first airlock)"
expect_exit 64 airlock frobnicate
expect_stderr_contains "unknown command 'frobnicate'"
expect_exit 64 airlock bundle
expect_exit 64 airlock bundle frobnicate
expect_stderr_contains "unknown subcommand 'frobnicate'"
expect_exit 64 airlock store
expect_exit 64 airlock store frobnicate
expect_exit 64 airlock verify
expect_exit 64 airlock verify a b
expect_exit 64 airlock verify --no-such-option "$T"
expect_exit 64 airlock import
expect_exit 64 airlock init extra-argument
expect_exit 64 airlock bundle create -f spec.yaml
expect_stderr_contains "both -f SPEC and -o OUT are required"
expect_exit 64 airlock bundle inspect
expect_exit 64 airlock store ls extra-argument
expect_exit 64 airlock push
expect_stderr_contains "--to oci://REGISTRY[/NAMESPACE] is required"
expect_exit 64 airlock push --to oci://r.example/ns extra-argument
expect_stderr_contains "unexpected argument 'extra-argument'"
expect_exit 64 airlock push --to oci://r.example/ns --chunk-size 1k
expect_stderr_contains "--chunk-size wants a size from 1M to 4G"

check_help() {
    local page=$1
    shift
    expect_exit 0 airlock "$@"
    assert_eq "$(head -n 1 "$OUT")" "$(first "$page")" "first line of 'airlock $*'"
}
check_help airlock --help
check_help airlock -h
check_help airlock help
check_help init init --help
check_help bundle-create bundle create --help
check_help bundle-inspect bundle inspect --help
check_help verify verify --help
check_help import import --help
check_help store store --help
check_help store store ls --help
check_help store store fsck --help
check_help store store gc --help
check_help bundle-create bundle --help
# help CMD [SUB] is the command's own page, not the top page
check_help verify help verify
check_help import help import
check_help bundle-inspect help bundle inspect
check_help serve help serve
check_help push push --help
check_help push help push
expect_exit 64 airlock help no-such-command
expect_stderr_contains "unknown command 'no-such-command'"

expect_exit 0 airlock version
expect_stdout_contains "airlock "
expect_exit 0 airlock --version

# Operational errors are 2, not 64.
expect_exit 2 airlock verify "$T/no-such-bundle"
expect_stderr_contains "cannot open bundle '$T/no-such-bundle'"
expect_exit 2 airlock bundle inspect "$T/no-such-bundle"
expect_stderr_contains "'$T/no-such-bundle' is not a readable bundle"
expect_exit 2 airlock store ls --store "$T/no-such-store"
expect_stderr_contains "no store at '$T/no-such-store'"

# The usage hint of an unknown command points at a command that exists.
expect_exit 64 airlock frobnicate
expect_stderr_contains "(see 'airlock --help')"
