#!/usr/bin/env bash
# TCP throughput through our tunnel and through a strongSwan 5.9.8 pair, in one run and in the
# same topology (the strongSwan harness's sw-* namespaces: hostL - gwL === gwR - hostR), with the
# same ESP suite (AES-128-CBC, HMAC-SHA2-256-128) in UDP/4500 on both, since strongSwan's
# userspace ESP works only in UDP. Prints both figures and the ratio. Run as root, by hand:
#
#     benches/tunnel-iperf.sh [SECONDS]
#
# Needs iperf3 and the harness's packages (scripts/install-deps.sh). Builds the gateway in
# release mode. Holds /tmp/ipsec-rs-sw.lock while it uses the harness.
set -euo pipefail

seconds=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_DIR:-$root/../shared}
sw=$shared/interop/strongswan
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --locked -q --release -p gateway)
gateway=$(readlink -f "$CARGO_TARGET_DIR/release/gateway")
work=$(mktemp -d /tmp/gw-iperf.XXXXXX)
psk='sw-interop-test-psk-0123456789'

run() {
    cleanup() {
        for side in gwL gwR; do
            ip netns exec "sw-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
            "$sw/strongswan-peer.sh" stop "$side" >/dev/null 2>&1 || true
        done
        [ -z "${server_pid:-}" ] || kill "$server_pid" 2>/dev/null || true
        "$sw/topology.sh" down >/dev/null 2>&1 || true
        rm -rf "$work"
    }
    trap cleanup EXIT

    # measure LABEL: iperf3 from hostL to hostR; prints bits per second.
    measure() {
        ip netns exec sw-hostR iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
        server_pid=$!
        sleep 0.5
        ip netns exec sw-hostL iperf3 -c 10.0.0.105 -p 5201 -t "$seconds" -J >"$work/$1.json"
        wait "$server_pid" || true
        server_pid=
        python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
            "$work/$1.json"
    }

    "$sw/topology.sh" up >/dev/null

    # Our gateway on both sides.
    for side in gwL gwR; do
        mkdir -p "$work/$side"
        printf 'config setup\n    nat_traversal=yes\n\nconn sw-psk\n    authby=secret\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    ike=aes128-sha1-modp2048\n    phase2alg=aes128-sha2_256\n    forceencaps=yes\n    auto=add\n' \
            >"$work/$side/ipsec.conf"
        printf '192.0.2.1 192.0.2.2 : PSK "%s"\n' "$psk" >"$work/$side/ipsec.secrets"
        chmod 600 "$work/$side/ipsec.secrets"
        ip netns exec "sw-$side" "$gateway" setup start --config "$work/$side/ipsec.conf" \
            --secrets "$work/$side/ipsec.secrets" --rundir "$work/$side/run"
    done
    timeout 30 ip netns exec sw-gwL "$gateway" auto --up sw-psk --rundir "$work/gwL/run" >/dev/null
    "$sw/check-tunnel.sh" -t 10 >/dev/null
    ours=$(measure gateway)
    for side in gwL gwR; do
        ip netns exec "sw-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null
    done

    # strongSwan on both sides, with the same ESP suite.
    for side in gwR gwL; do
        rm -rf "$work/sw-$side"
        cp -r "$sw/configs/psk/$side" "$work/sw-$side"
        sed -i 's/^\tauthby=secret$/\tauthby=secret\n\tike=aes128-sha1-modp2048!\n\tesp=aes128-sha256!/' \
            "$work/sw-$side/ipsec.conf"
        "$sw/strongswan-peer.sh" start "$side" "$work/sw-$side" >/dev/null
    done
    "$sw/strongswan-peer.sh" wait gwL sw-psk 30 >/dev/null
    "$sw/check-tunnel.sh" -t 10 >/dev/null
    theirs=$(measure strongswan)

    python3 - "$ours" "$theirs" "$seconds" <<'PY'
import sys
ours, theirs, seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print(f"iperf3 TCP, {seconds} s, hostL -> hostR, ESP AES-128-CBC/HMAC-SHA2-256 in UDP/4500")
print(f"gateway (userspace ESP):      {ours / 1e6:10.1f} Mbit/s")
print(f"strongSwan 5.9.8 (libipsec):  {theirs / 1e6:10.1f} Mbit/s")
print(f"ratio gateway / strongSwan:   {ours / theirs:10.2f}")
PY
}

export -f run
export sw gateway work psk seconds
flock /tmp/ipsec-rs-sw.lock bash -c 'set -euo pipefail; run'
