#!/usr/bin/env bash
# Fuzz smoke run of the ike-wire targets (ike_message, ike_payload_chain), seeded with every IKE
# message of the shared captures. FUZZ_SECONDS sets each target's run time (default 20); the
# recorded 10-minute runs use FUZZ_SECONDS=600. Runs from the repository root.
set -euo pipefail

. "$(dirname "$0")/../lib/fuzz.sh"

seconds=${FUZZ_SECONDS:-20}
shared=${SHARED_DIR:-$(cd .. && pwd)/shared}
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT

fuzz_extract_capture_seeds "$seeds"
count=$(find "$seeds" -name '*.bin' | wc -l)
if [ "$count" -lt 50 ]; then
    echo "only $count seed messages extracted from $shared/captures" >&2
    exit 1
fi

# ike_message takes whole messages. ike_payload_chain takes the first payload type (the header's
# Next Payload, byte 16) followed by the chain after the 28-byte header.
mkdir -p fuzz/corpus/ike_message fuzz/corpus/ike_payload_chain
cp "$seeds"/*.bin fuzz/corpus/ike_message/
for seed in "$seeds"/*.bin; do
    [ "$(stat -c %s "$seed")" -ge 28 ] || continue
    first=$(od -An -tx1 -j16 -N1 "$seed" | tr -d ' \n')
    { printf "\\x$first"; tail -c +29 "$seed"; } > "fuzz/corpus/ike_payload_chain/$(basename "$seed")"
done
echo "seeded $count messages"

log=$(mktemp)
trap 'rm -rf "$seeds" "$log"' EXIT
for target in ike_message ike_payload_chain; do
    fuzz_run "$log" "$target" "$seconds"
done
