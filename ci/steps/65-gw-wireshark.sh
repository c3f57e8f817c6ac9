#!/usr/bin/env bash
# Wireshark key export, in namespaces gw-w-*: with --wireshark-keys, the gateway writes
# ikev1_decryption_table and esp_sa; tshark, given only those files, decrypts Main Mode's
# encrypted messages (the ID payload) and the ESP packets of a ping (ICV good, ICMP inside).
# The capture also shows that the outside link carried nothing but IKE and ESP.
set -euo pipefail

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")
work=$(mktemp -d /tmp/gw-wireshark.XXXXXX)
namespaces=(gw-w-hostL gw-w-gwL gw-w-gwR gw-w-hostR)

cleanup() {
    for side in gwL gwR; do
        ip netns exec "gw-w-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
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
    echo "gw-wireshark: FAILED: $*"
    exit 1
}

# Topology: hostL 172.16.1.1 - gwL 192.0.2.1 === 192.0.2.2 gwR - hostR 10.0.0.105.
for ns in "${namespaces[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip -n gw-w-hostL link add eth0 type veth peer name in0 netns gw-w-gwL
ip -n gw-w-gwL link add out0 type veth peer name out0 netns gw-w-gwR
ip -n gw-w-gwR link add in0 type veth peer name eth0 netns gw-w-hostR
ip -n gw-w-hostL addr add 172.16.1.1/24 dev eth0
ip -n gw-w-gwL addr add 172.16.1.254/24 dev in0
ip -n gw-w-gwL addr add 192.0.2.1/24 dev out0
ip -n gw-w-gwR addr add 192.0.2.2/24 dev out0
ip -n gw-w-gwR addr add 10.0.0.1/24 dev in0
ip -n gw-w-hostR addr add 10.0.0.105/24 dev eth0
for pair in gw-w-hostL:eth0 gw-w-gwL:in0 gw-w-gwL:out0 gw-w-gwR:out0 gw-w-gwR:in0 gw-w-hostR:eth0; do
    ip -n "${pair%%:*}" link set "${pair#*:}" up
done
ip -n gw-w-hostL route add default via 172.16.1.254
ip -n gw-w-hostR route add default via 10.0.0.1
for ns in gw-w-gwL gw-w-gwR; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done

for side in gwL gwR; do
    mkdir -p "$work/$side"
    printf 'conn net-to-net\n    authby=secret\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    ike=aes128-sha1-modp2048\n    phase2alg=aes128-sha1\n    auto=add\n' \
        >"$work/$side/ipsec.conf"
    echo '192.0.2.1 192.0.2.2 : PSK "gw-wireshark-psk-0123456789"' >"$work/$side/ipsec.secrets"
    chmod 600 "$work/$side/ipsec.secrets"
    ip netns exec "gw-w-$side" "$gateway" setup start --wireshark-keys "$work/$side/keys" \
        --config "$work/$side/ipsec.conf" --secrets "$work/$side/ipsec.secrets" --rundir "$work/$side/run"
done

ip netns exec gw-w-gwL tcpdump -i out0 -n -U --immediate-mode -w "$work/outside.pcap" ip 2>"$work/outside.err" &
capture_pid=$!
wait_capture "$work/outside.err" || fail "tcpdump did not start"
timeout 30 ip netns exec gw-w-gwL "$gateway" auto --up net-to-net --rundir "$work/gwL/run" >/dev/null
ip netns exec gw-w-hostL ping -c 3 -i 0.3 -W 2 10.0.0.105 >/dev/null || fail "ping across the tunnel"
sleep 0.3
kill -INT "$capture_pid"
wait "$capture_pid" || true
capture_pid=

clear=$(tcpdump -n -r "$work/outside.pcap" 'ip and not esp and not udp port 500' 2>/dev/null | wc -l)
[ "$clear" -eq 0 ] || fail "$clear packets on the outside link were neither IKE nor ESP"

for name in ikev1_decryption_table esp_sa; do
    [ -s "$work/gwL/keys/$name" ] || fail "$name was not written"
    [ "$(stat -c %a "$work/gwL/keys/$name")" = 600 ] || fail "$name is readable by others"
done

options=(-o "uat:ikev1_decryption_table:$(head -n 1 "$work/gwL/keys/ikev1_decryption_table")"
         -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE)
while read -r line; do
    options+=(-o "uat:esp_sa:$line")
done <"$work/gwL/keys/esp_sa"

# tshark warns about running as root on stderr; only stdout is parsed.
ids=$(tshark -r "$work/outside.pcap" "${options[@]}" -Y 'isakmp.exchangetype == 2' \
    -T fields -e isakmp.id.data.ipv4_addr 2>/dev/null | grep -c '192.0.2' || true)
[ "$ids" -ge 2 ] || fail "tshark decrypted $ids Main Mode ID payloads, expected 2"
icmp=$(tshark -r "$work/outside.pcap" "${options[@]}" -Y 'esp.icv_good == 1 && icmp' \
    -T fields -e frame.number 2>/dev/null | wc -l)
[ "$icmp" -ge 6 ] || fail "tshark decrypted $icmp ESP packets with a good ICV and ICMP inside, expected 6"
without=$(tshark -r "$work/outside.pcap" -Y icmp -T fields -e frame.number 2>/dev/null | wc -l)
[ "$without" -eq 0 ] || fail "ICMP is visible without the keys"
echo "gw-wireshark: ok: tshark decrypted $ids Main Mode ID payloads and $icmp ESP packets with the exported keys"
