#!/usr/bin/env bash
# Fuzz smoke run of the xfrm_netlink target (netlink datagrams from a NETLINK_XFRM socket), seeded
# with SA and policy dumps, deletions and an extended-ack error built by the crate's
# xfrm_fuzz_seeds example. FUZZ_SECONDS sets the run time (default 20); the recorded 10-minute
# run uses FUZZ_SECONDS=600. Runs from the repository root.
set -euo pipefail

seconds=${FUZZ_SECONDS:-20}
corpus=fuzz/corpus/xfrm_netlink

cargo run -q -p xfrm-sys --locked --example xfrm_fuzz_seeds -- "$corpus"
echo "seeded $(find "$corpus" -type f | wc -l) files"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd fuzz
echo "fuzzing xfrm_netlink for $seconds s"
if ! RUSTC_BOOTSTRAP=1 cargo fuzz run xfrm_netlink -- -max_total_time="$seconds" \
    -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz target xfrm_netlink failed" >&2
    exit 1
fi
grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || true
