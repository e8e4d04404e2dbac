#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twins of t0900 for the fields of a record (docs/FORMAT.md §9): records that
# are signed and chained correctly by keys the policy allows, but carry an unknown field,
# an unknown version, a field of the wrong type, a missing field, a time that is not
# RFC 3339, or a time earlier than the record before it. Each is refused by custody
# verify and show (naming the record and the field), by custody add, and by import.
# The passing twin: the same records written again unchanged by the same forger hold.
. "$(dirname "$0")/custody-lib.sh"

twin_setup

# passing twin: forged again without a change, the chain is exactly as good
cp -a "$T/good" "$T/same"
forge_log "$T/same" 'pass'
cmp -s "$T/good/custody.log" "$T/same/custody.log" || fail "the forger does not write records as airlock does"
expect_intact "$T/same" 3 "$T/trust.yaml"

# case NAME CODE MESSAGE: a copy of the good bundle whose records CODE changed (and
# signed again): custody verify and show name exactly MESSAGE, with and without policy.
case_n=0
case_() {
    local b=$T/case$((case_n += 1))
    cp -a "$T/good" "$b"
    forge_log "$b" "$1"
    expect_broken "$b" "" "$2"
    expect_broken "$b" "$T/trust.yaml" "$2"
    LAST_CASE=$b
}

case_ 'R[1]["extra"] = "x"' \
    "custody record 2 has an unknown field 'extra' (refused: only version 1 fields are known)"
expect_add_refused "$LAST_CASE" "custody record 2 has an unknown field 'extra'"
expect_import_rejected "$T/st" "$LAST_CASE" "custody record 2 has an unknown field 'extra'"

case_ 'R[2]["v"] = 2' \
    "custody record 3: field 'v' says version 2, and only version 1 is known (refused)"
expect_import_rejected "$T/st" "$LAST_CASE" "custody record 3: field 'v' says version 2"

case_ 'R[1]["seq"] = "2"' "custody record 2: field 'seq' is a string, expected an integer"
case_ 'R[0]["note"] = ["built", "in CI"]' "custody record 1: field 'note' is an array, expected a string"
case_ 'del R[0]["actor"]' "custody record 1: field 'actor' is missing"
case_ 'R[0]["time"] = "yesterday"' \
    "custody record 1: field 'time' is 'yesterday', not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"
case_ 'R[0]["time"] = R[0]["time"][:10]' \
    "custody record 1: field 'time' is '$(head -1 "$T/good/custody.log" | cut -f1 | jq -r .time | cut -c1-10)', not an RFC 3339 UTC time"

# back in time: record 3 dated before record 2, though signed and chained by its actor
t2=$(sed -n 2p "$T/good/custody.log" | cut -f1 | jq -r .time)
case_ 'R[2]["time"] = "2000-01-01T00:00:00Z"' \
    "custody record 3: field 'time' 2000-01-01T00:00:00Z is earlier than $t2, the time of the record before it (times never go backwards along the chain)"
expect_add_refused "$LAST_CASE" "custody record 3: field 'time' 2000-01-01T00:00:00Z is earlier than $t2"
expect_import_rejected "$T/st" "$LAST_CASE" "custody record 3: field 'time' 2000-01-01T00:00:00Z is earlier than $t2"

# the same time as the record before is fine (a second is the resolution)
cp -a "$T/good" "$T/sametime"
forge_log "$T/sametime" 'R[2]["time"] = R[1]["time"]; R[0]["time"] = R[1]["time"]'
expect_intact "$T/sametime" 3 "$T/trust.yaml"

# the intact twin still goes into the store the rejected copies went to
expect_import_ok "$T/st" "$T/good" tiny 1 3

# custody add never writes a record dated before the last one (a clock behind the last
# actor's would otherwise break the chain it extends): refused, the log left alone
cp -a "$T/good" "$T/future"
forge_log "$T/future" 'R[2]["time"] = "2099-01-01T00:00:00Z"'
expect_intact "$T/future" 3 "$T/trust.yaml"
cp "$T/future/custody.log" "$T/future-before"
expect_exit 2 airlock custody add "$T/future" --event stored --actor "Rita Receiver" --key "$K/receiver.key"
expect_stderr_contains "earlier than the last custody record's, 2099-01-01T00:00:00Z: times never go backwards along the chain (check this machine's clock)"
cmp -s "$T/future-before" "$T/future/custody.log" || fail "a refused custody add changed custody.log"
expect_intact "$T/future" 3 "$T/trust.yaml"

# the record's own text never reaches the terminal raw in a problem (al_report_add makes control
# characters '?'; a guard, it held before): a 'bundle' with an
# escape sequence is shown with '?' for its control characters
cp -a "$T/good" "$T/esc"
forge_log "$T/esc" 'R[1]["bundle"] = "sha256:\u001b[2J\u001b[Hforged"'
expect_broken "$T/esc" "" "custody record 2 is for another bundle (sha256:?[2J?[Hforged, this bundle's SHA256SUMS is $(sums_digest "$T/esc"))"
if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$ERR"; then fail "a custody problem printed raw control characters"; fi
