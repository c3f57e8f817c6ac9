#!/usr/bin/env bash
# The README's first command: `gateway demo` builds the HOWTO's two sites in network namespaces
# and brings up net-to-net with a pre-shared key and with RSA keys, pinging across and checking
# that the outside link carried only ESP. Needs root, iproute2, ping and tcpdump.
set -euo pipefail

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway="$CARGO_TARGET_DIR/debug/gateway"

# The demo deletes its namespaces itself, also on failure; this only covers a killed run.
cleanup() {
    for ns in demo-hostL demo-gwL demo-rtr demo-gwR demo-hostR; do
        ip netns del "$ns" 2>/dev/null || true
    done
}
trap cleanup EXIT

timeout 180 "$gateway" demo
