#!/usr/bin/env bash
# Bad packets from the network, in namespaces gw-b-*: with the tunnel up, the right gateway's
# namespace sends the left gateway Libreswan's malformed IKEv1 regression datagrams and random
# bytes to UDP 500 and 4500, and ESP with unknown SPIs as raw ESP and in UDP/4500. The left
# gateway must count them in `auto --status`, log them rate-limited, keep exactly the same
# states, and still carry a ping as ESP only.
set -euo pipefail

root=$(pwd)
shared=${SHARED_DIR:-$root/../shared}
vectors=$shared/vectors/malformed-ikev1/libreswan-fuzzer-ikev1.tsv
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")
work=$(mktemp -d /tmp/gw-badpackets.XXXXXX)
namespaces=(gw-b-hostL gw-b-gwL gw-b-gwR gw-b-hostR)

cleanup() {
    for side in gwL gwR; do
        ip netns exec "gw-b-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
    done
    [ -z "${capture_pid:-}" ] || kill "$capture_pid" 2>/dev/null || true
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
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
    echo "gw-badpackets: FAILED: $*"
    exit 1
}

# Topology: hostL 172.16.1.1 - gwL 192.0.2.1 === 192.0.2.2 gwR - hostR 10.0.0.105.
for ns in "${namespaces[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip -n gw-b-hostL link add eth0 type veth peer name in0 netns gw-b-gwL
ip -n gw-b-gwL link add out0 type veth peer name out0 netns gw-b-gwR
ip -n gw-b-gwR link add in0 type veth peer name eth0 netns gw-b-hostR
ip -n gw-b-hostL addr add 172.16.1.1/24 dev eth0
ip -n gw-b-gwL addr add 172.16.1.254/24 dev in0
ip -n gw-b-gwL addr add 192.0.2.1/24 dev out0
ip -n gw-b-gwR addr add 192.0.2.2/24 dev out0
ip -n gw-b-gwR addr add 10.0.0.1/24 dev in0
ip -n gw-b-hostR addr add 10.0.0.105/24 dev eth0
for pair in gw-b-hostL:eth0 gw-b-gwL:in0 gw-b-gwL:out0 gw-b-gwR:out0 gw-b-gwR:in0 gw-b-hostR:eth0; do
    ip -n "${pair%%:*}" link set "${pair#*:}" up
done
ip -n gw-b-hostL route add default via 172.16.1.254
ip -n gw-b-hostR route add default via 10.0.0.1
for ns in gw-b-gwL gw-b-gwR; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done

for side in gwL gwR; do
    mkdir -p "$work/$side"
    printf 'conn net-to-net\n    authby=secret\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    auto=add\n' \
        >"$work/$side/ipsec.conf"
    echo '192.0.2.1 192.0.2.2 : PSK "gw-badpackets-psk-0123456789"' >"$work/$side/ipsec.secrets"
    chmod 600 "$work/$side/ipsec.secrets"
    ip netns exec "gw-b-$side" "$gateway" setup start \
        --config "$work/$side/ipsec.conf" --secrets "$work/$side/ipsec.secrets" --rundir "$work/$side/run"
done
timeout 30 ip netns exec gw-b-gwL "$gateway" auto --up net-to-net --rundir "$work/gwL/run" >/dev/null \
    || fail "the tunnel did not come up"

status() {
    ip netns exec gw-b-gwL "$gateway" auto --status --rundir "$work/gwL/run"
}
# The state lines without their timers, which count down.
states() {
    status | grep '^000 #' | sed 's/; EVENT_[A-Z_]* in [0-9]*s//'
}
counter() {
    status | grep '^000 stats dropped' | grep -o "$1 [0-9]*" | grep -o '[0-9]*$'
}
before=$(states)
[ -n "$before" ] || fail "no states before the bad packets"

# Sent from the right gateway's namespace (source 192.0.2.2, ports other than 500 and 4500).
grep -v '^#' "$vectors" | cut -f2 >"$work/malformed.hex"
ip netns exec gw-b-gwR python3 - "$work/malformed.hex" <<'PY'
import os, socket, sys, time

# Paced, 1 ms apart, so that the receiver's socket buffers do not overflow (400 datagrams a side).
def pause():
    time.sleep(0.001)

target = "192.0.2.1"
malformed = [bytes.fromhex(line.strip()) for line in open(sys.argv[1]) if line.strip()]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for datagram in malformed:
    udp.sendto(datagram, (target, 500))
    udp.sendto(b"\0\0\0\0" + datagram, (target, 4500))
    pause()
for _ in range(200):
    udp.sendto(os.urandom(1 + os.urandom(1)[0] * 4), (target, 500))
    udp.sendto(b"\0\0\0\0" + os.urandom(1 + os.urandom(1)[0] * 4), (target, 4500))
    pause()
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
for index in range(100):
    esp = (0x7fff0000 + index).to_bytes(4, "big") + index.to_bytes(4, "big") + os.urandom(64)
    udp.sendto(esp, (target, 4500))
    raw.sendto(esp, (target, 0))
    pause()
PY
sleep 1

malformed_ike=$(counter 'malformed IKE')
unknown_spi=$(counter 'unknown SPI')
echo "gw-badpackets: counted malformed IKE $malformed_ike, unknown SPI $unknown_spi"
[ "$unknown_spi" -ge 200 ] || fail "expected at least 200 ESP packets with unknown SPIs counted, found $unknown_spi"
# Every random datagram is malformed unless it happens to parse. The six regression datagrams
# may parse and reach the engine, which drops them, so the bound is loose.
[ "$malformed_ike" -ge 300 ] || fail "expected at least 300 malformed IKE datagrams counted, found $malformed_ike"
after=$(states)
[ "$before" = "$after" ] || fail "the states changed:
$before
---
$after"
logged=$(grep -c 'ESP packet with an unknown SPI dropped' "$work/gwL/run/pluto.log" || true)
[ "$logged" -le 2 ] || fail "$logged log lines for unknown SPIs: the log is not rate-limited"
pgrep -F "$work/gwL/run/pluto.pid" >/dev/null || fail "the left daemon died"

ip netns exec gw-b-gwL tcpdump -i out0 -n -U --immediate-mode -w "$work/after.pcap" ip 2>"$work/after.err" &
capture_pid=$!
wait_capture "$work/after.err" || fail "tcpdump did not start"
ip netns exec gw-b-hostL ping -c 3 -i 0.3 -W 2 10.0.0.105 >/dev/null || fail "ping after the bad packets"
sleep 0.3
kill -INT "$capture_pid"
wait "$capture_pid" || true
capture_pid=
esp=$(tcpdump -n -r "$work/after.pcap" esp 2>/dev/null | wc -l)
clear=$(tcpdump -n -r "$work/after.pcap" 'ip and not esp and not udp port 500' 2>/dev/null | wc -l)
[ "$esp" -ge 6 ] || fail "expected at least 6 ESP packets, found $esp"
[ "$clear" -eq 0 ] || fail "$clear packets on the outside link were neither IKE nor ESP"
echo "gw-badpackets: ok: states unchanged, $logged log lines, tunnel still carries ESP only"
