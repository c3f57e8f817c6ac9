#!/usr/bin/env bash
# Fuzz smoke run of the ike-wire targets (ike_message, ike_payload_chain), seeded with every IKE
# message of the shared captures. FUZZ_SECONDS sets each target's run time (default 20); the
# recorded 10-minute runs use FUZZ_SECONDS=600. Runs from the repository root.
set -euo pipefail

seconds=${FUZZ_SECONDS:-20}
shared=${SHARED_DIR:-$(cd .. && pwd)/shared}
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT

# ikedump exits 1 because some captures are malformed on purpose; those make good seeds too.
status=0
cargo run -q -p ikedump -- --extract "$seeds" \
    $(find "$shared/captures" -name '*.pcap' -o -name '*.pcapng' -o -name '*.hex') \
    > /dev/null 2>&1 || status=$?
if [ "$status" -gt 1 ]; then
    echo "ikedump failed to extract seeds (exit $status)" >&2
    exit 1
fi
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
cd fuzz
for target in ike_message ike_payload_chain; do
    echo "fuzzing $target for $seconds s"
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" \
        -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz target $target failed" >&2
        exit 1
    fi
    grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || true
done
