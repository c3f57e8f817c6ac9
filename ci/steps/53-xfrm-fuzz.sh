#!/usr/bin/env bash
# Fuzz smoke run of the xfrm_netlink target (netlink datagrams from a NETLINK_XFRM socket), seeded
# with SA and policy dumps, deletions and an extended-ack error built by the crate's
# xfrm_fuzz_seeds example. FUZZ_SECONDS sets the run time (default 20); the recorded 10-minute
# run uses FUZZ_SECONDS=600. Runs from the repository root.
set -euo pipefail

. "$(dirname "$0")/../lib/fuzz.sh"

seconds=${FUZZ_SECONDS:-20}
corpus=fuzz/corpus/xfrm_netlink

cargo run -q -p xfrm-sys --locked --example xfrm_fuzz_seeds -- "$corpus"
echo "seeded $(find "$corpus" -type f | wc -l) files"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
fuzz_run "$log" xfrm_netlink "$seconds" -max_len=4096
