#!/usr/bin/env bash
# Recovery, in namespaces gw-r-*: with dpddelay=2, dpdtimeout=6, dpdaction=restart and
# auto=start on both gateways, killing the right gateway's daemon (SIGKILL) and starting it
# again brings the tunnel back within dpddelay + dpdtimeout + 10 s, proven by a ping from
# hostL to hostR and a capture of the outside link that shows only IKE and ESP.
set -euo pipefail

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")
work=$(mktemp -d /tmp/gw-recovery.XXXXXX)
namespaces=(gw-r-hostL gw-r-gwL gw-r-gwR gw-r-hostR)
dpddelay=2
dpdtimeout=6
deadline=$((dpddelay + dpdtimeout + 10))

cleanup() {
    for side in gwL gwR; do
        ip netns exec "gw-r-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
    done
    [ -z "${capture_pid:-}" ] || kill "$capture_pid" 2>/dev/null || true
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# wait_capture ERRFILE: waits until the tcpdump writing ERRFILE listens (at most 10 s).
wait_capture() {
    for _ in $(seq 100); do
        grep -q 'listening on' "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

fail() {
    echo "gw-recovery: FAILED: $*"
    for side in gwL gwR; do
        echo "--- $side log"
        tail -n 30 "$work/$side/run/pluto.log" 2>/dev/null || true
    done
    exit 1
}

# Topology: hostL 172.16.1.1 - gwL 192.0.2.1 === 192.0.2.2 gwR - hostR 10.0.0.105.
for ns in "${namespaces[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip -n gw-r-hostL link add eth0 type veth peer name in0 netns gw-r-gwL
ip -n gw-r-gwL link add out0 type veth peer name out0 netns gw-r-gwR
ip -n gw-r-gwR link add in0 type veth peer name eth0 netns gw-r-hostR
ip -n gw-r-hostL addr add 172.16.1.1/24 dev eth0
ip -n gw-r-gwL addr add 172.16.1.254/24 dev in0
ip -n gw-r-gwL addr add 192.0.2.1/24 dev out0
ip -n gw-r-gwR addr add 192.0.2.2/24 dev out0
ip -n gw-r-gwR addr add 10.0.0.1/24 dev in0
ip -n gw-r-hostR addr add 10.0.0.105/24 dev eth0
for pair in gw-r-hostL:eth0 gw-r-gwL:in0 gw-r-gwL:out0 gw-r-gwR:out0 gw-r-gwR:in0 gw-r-hostR:eth0; do
    ip -n "${pair%%:*}" link set "${pair#*:}" up
done
ip -n gw-r-hostL route add default via 172.16.1.254
ip -n gw-r-hostR route add default via 10.0.0.1
for ns in gw-r-gwL gw-r-gwR; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done

for side in gwL gwR; do
    mkdir -p "$work/$side"
    printf 'conn net-to-net\n    authby=secret\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    dpddelay=%s\n    dpdtimeout=%s\n    dpdaction=restart\n    auto=start\n' \
        "$dpddelay" "$dpdtimeout" >"$work/$side/ipsec.conf"
    echo '192.0.2.1 192.0.2.2 : PSK "gw-recovery-psk-0123456789"' >"$work/$side/ipsec.secrets"
    chmod 600 "$work/$side/ipsec.secrets"
done

start() {
    ip netns exec "gw-r-$1" "$gateway" setup start --retransmit-interval 1 \
        --config "$work/$1/ipsec.conf" --secrets "$work/$1/ipsec.secrets" --rundir "$work/$1/run"
}

# wait_for_ping SECONDS: pings every half second until one gets a reply; prints the seconds taken.
wait_for_ping() {
    local start=$SECONDS
    while [ $((SECONDS - start)) -lt "$1" ]; do
        if ip netns exec gw-r-hostL ping -c 1 -W 1 10.0.0.105 >/dev/null 2>&1; then
            echo $((SECONDS - start))
            return 0
        fi
        sleep 0.5
    done
    return 1
}

start gwR
start gwL
wait_for_ping 20 >/dev/null || fail "the tunnel did not come up at start"
echo "gw-recovery: ok: auto=start brought the tunnel up"

# restart_right: kills the right daemon with SIGKILL and starts it again, then checks that a
# ping crosses within the deadline and that the outside link shows only IKE and ESP.
restart_right() {
    local label=$1 pid taken clear esp
    pid=$(cat "$work/gwR/run/pluto.pid")
    kill -KILL "$pid"
    while [ -e "/proc/$pid" ]; do sleep 0.1; done
    rm -f "$work/gwR/run/pluto.pid"
    start gwR

    ip netns exec gw-r-gwL tcpdump -i out0 -n -U --immediate-mode -w "$work/recovery.pcap" ip 2>"$work/recovery.err" &
    capture_pid=$!
    wait_capture "$work/recovery.err" || fail "$label: tcpdump did not start"
    taken=$(wait_for_ping "$deadline") || fail "$label: no ping across the tunnel within $deadline s of the restart"
    ip netns exec gw-r-hostL ping -c 3 -i 0.3 -W 2 10.0.0.105 >/dev/null || fail "$label: ping after recovery"
    sleep 0.3
    kill -INT "$capture_pid"
    wait "$capture_pid" || true
    capture_pid=
    clear=$(tcpdump -n -r "$work/recovery.pcap" 'ip and not esp and not udp port 500 and not udp port 4500' 2>/dev/null | wc -l)
    esp=$(tcpdump -n -r "$work/recovery.pcap" esp 2>/dev/null | wc -l)
    [ "$clear" -eq 0 ] || fail "$label: $clear packets on the outside link were neither IKE nor ESP"
    [ "$esp" -ge 6 ] || fail "$label: expected at least 6 ESP packets after recovery, found $esp"
    echo "gw-recovery: ok: $label: tunnel back ${taken} s after the restart (limit $deadline s); $esp ESP packets, no plaintext"
}

# The restarted side initiates again by itself (auto=start).
restart_right "restarted peer re-initiates"

# Let the left side's DPD finish with the ISAKMP SA the first kill orphaned, so that the next
# measurement starts from a clean state.
sleep $((dpddelay + dpdtimeout + 2))

# The restarted side only waits (auto=add): the survivor must notice through DPD and
# re-initiate (dpdaction=restart).
sed -i 's/auto=start/auto=add/' "$work/gwR/ipsec.conf"
restart_right "survivor re-initiates after DPD"
