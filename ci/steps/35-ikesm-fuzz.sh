#!/usr/bin/env bash
# Fuzz smoke run of the ike-sm engine targets: ike_responder (arbitrary datagrams to a
# responder) and ike_initiator (arbitrary datagrams to an initiator at each step of Main Mode
# and Quick Mode), seeded with the IKE messages of the shared captures. FUZZ_SECONDS sets each
# target's run time (default 20); the recorded 10-minute runs use FUZZ_SECONDS=600. Runs from
# the repository root.
set -euo pipefail

. "$(dirname "$0")/../lib/fuzz.sh"

seconds=${FUZZ_SECONDS:-20}
shared=${SHARED_DIR:-$(cd .. && pwd)/shared}
seeds=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$seeds" "$log"' EXIT

fuzz_extract_capture_seeds "$seeds"

# Both targets read a selector byte first: an odd one makes the responder take the rest as one
# datagram, and picks the initiator's handshake step (bits 1-3) and port (bit 7).
mkdir -p fuzz/corpus/ike_responder fuzz/corpus/ike_initiator
count=0
for seed in "$seeds"/*.bin; do
    [ -e "$seed" ] || continue
    count=$((count + 1))
    name=$(basename "$seed")
    { printf '\x01'; cat "$seed"; } > "fuzz/corpus/ike_responder/$name"
    for step in 00 02 04 06 08; do
        { printf "\\x$step"; cat "$seed"; } > "fuzz/corpus/ike_initiator/$step-$name"
    done
done
echo "seeded $count messages"

for target in ike_responder ike_initiator; do
    fuzz_run "$log" "$target" "$seconds"
done
