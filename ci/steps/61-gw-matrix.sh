#!/usr/bin/env bash
# Gateway to gateway in network namespaces (gw-m-*): each proposal set (AES-GCM ESP included),
# PFS on and off, raw ESP and forced UDP encapsulation. Each case pings across the tunnel and
# checks that the outside link carried only ESP (the demo's own checks). Needs root, iproute2,
# ping and tcpdump.
set -euo pipefail

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway="$CARGO_TARGET_DIR/debug/gateway"

cleanup() {
    for ns in gw-m-hostL gw-m-gwL gw-m-rtr gw-m-gwR gw-m-hostR; do
        ip netns del "$ns" 2>/dev/null || true
    done
}
trap cleanup EXIT

cases=(
    "--ike 3des-md5-modp1024 --esp 3des-md5"
    "--ike aes128-sha1-modp2048 --esp aes128-sha1 --pfs yes"
    "--ike aes128-sha1-modp2048 --esp aes128-sha1 --pfs no"
    "--ike aes256-sha2_256-modp2048 --esp aes256-sha2_256"
    "--ike aes128-sha1-modp2048 --esp aes128-sha1 --forceencaps"
    "--ike aes256-sha2_256-modp2048 --esp aes256-sha2_256 --pfs no --forceencaps"
    "--ike aes128-sha1-modp2048 --esp aes_gcm128-null"
    "--ike aes256-sha2_256-modp2048 --esp aes_gcm256-null --pfs no --forceencaps"
)
failed=0
for case in "${cases[@]}"; do
    log=$(mktemp)
    # shellcheck disable=SC2086 # each case is a list of options
    if timeout 90 "$gateway" demo --auth psk --prefix gw-m $case >"$log" 2>&1; then
        echo "gw-matrix: ok: $case"
    else
        echo "gw-matrix: FAILED: $case"
        cat "$log"
        failed=1
    fi
    rm -f "$log"
done
exit "$failed"
