#!/usr/bin/env bash
# The HOWTO's faults, in namespaces gw-f-*: auto=add waits for `auto --up` (nothing is sent
# before it, then the tunnel carries a ping as ESP only); a wrong RSA key gives
# INVALID_KEY_INFORMATION and the retransmission limit message; a config with unindented
# parameters is rejected with file:line and the daemon does not start.
set -euo pipefail

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")
work=$(mktemp -d /tmp/gw-faults.XXXXXX)
namespaces=(gw-f-hostL gw-f-gwL gw-f-gwR gw-f-hostR)

cleanup() {
    for side in gwL gwR; do
        ip netns exec "gw-f-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
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
    echo "gw-faults: FAILED: $*"
    exit 1
}

# Topology: hostL 172.16.1.1 - gwL 192.0.2.1 === 192.0.2.2 gwR - hostR 10.0.0.105.
for ns in "${namespaces[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip -n gw-f-hostL link add eth0 type veth peer name in0 netns gw-f-gwL
ip -n gw-f-gwL link add out0 type veth peer name out0 netns gw-f-gwR
ip -n gw-f-gwR link add in0 type veth peer name eth0 netns gw-f-hostR
ip -n gw-f-hostL addr add 172.16.1.1/24 dev eth0
ip -n gw-f-gwL addr add 172.16.1.254/24 dev in0
ip -n gw-f-gwL addr add 192.0.2.1/24 dev out0
ip -n gw-f-gwR addr add 192.0.2.2/24 dev out0
ip -n gw-f-gwR addr add 10.0.0.1/24 dev in0
ip -n gw-f-hostR addr add 10.0.0.105/24 dev eth0
for pair in gw-f-hostL:eth0 gw-f-gwL:in0 gw-f-gwL:out0 gw-f-gwR:out0 gw-f-gwR:in0 gw-f-hostR:eth0; do
    ip -n "${pair%%:*}" link set "${pair#*:}" up
done
ip -n gw-f-hostL route add default via 172.16.1.254
ip -n gw-f-hostR route add default via 10.0.0.1
for ns in gw-f-gwL gw-f-gwR; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done

# write_conf SIDE AUTH_LINES...: the HOWTO's net-to-net conn with auto=add.
write_conf() {
    local side=$1
    shift
    mkdir -p "$work/$side"
    {
        printf 'conn net-to-net\n'
        for line in "$@"; do printf '    %s\n' "$line"; done
        printf '    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n'
        printf '    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    auto=add\n'
    } >"$work/$side/ipsec.conf"
}

start() {
    ip netns exec "gw-f-$1" "$gateway" setup start --retransmit-interval 1 \
        --config "$work/$1/ipsec.conf" --secrets "$work/$1/ipsec.secrets" --rundir "$work/$1/run"
}

stop() {
    ip netns exec "gw-f-$1" "$gateway" setup stop --rundir "$work/$1/run" >/dev/null
}

# --- auto=add does not start the tunnel until auto --up.
for side in gwL gwR; do
    write_conf "$side" authby=secret
    echo '192.0.2.1 192.0.2.2 : PSK "gw-faults-psk-0123456789"' >"$work/$side/ipsec.secrets"
    chmod 600 "$work/$side/ipsec.secrets"
done
ip netns exec gw-f-gwR tcpdump -i out0 -n -U --immediate-mode -w "$work/idle.pcap" ip 2>"$work/idle.err" &
capture_pid=$!
wait_capture "$work/idle.err" || fail "tcpdump did not start"
start gwR
start gwL
sleep 3
kill -INT "$capture_pid"
wait "$capture_pid" || true
capture_pid=
idle=$(tcpdump -n -r "$work/idle.pcap" 2>/dev/null | wc -l)
[ "$idle" -eq 0 ] || fail "auto=add sent $idle packets before auto --up"
status=$(ip netns exec gw-f-gwL "$gateway" auto --status --rundir "$work/gwL/run")
if grep -q 'STATE_' <<<"$status"; then fail "auto=add created a state before auto --up"; fi
echo "gw-faults: ok: auto=add sent nothing and created no state in 3 s"

ip netns exec gw-f-gwR tcpdump -i out0 -n -U --immediate-mode -w "$work/up.pcap" ip 2>"$work/up.err" &
capture_pid=$!
wait_capture "$work/up.err" || fail "tcpdump did not start"
timeout 30 ip netns exec gw-f-gwL "$gateway" auto --up net-to-net --rundir "$work/gwL/run" \
    | tee "$work/up.txt"
grep -q 'IPsec SA established' "$work/up.txt" || fail "auto --up did not establish the SA"
ip netns exec gw-f-hostL ping -c 3 -i 0.3 -W 2 10.0.0.105 >/dev/null || fail "ping across the tunnel"
sleep 0.3
kill -INT "$capture_pid"
wait "$capture_pid" || true
capture_pid=
esp=$(tcpdump -n -r "$work/up.pcap" esp 2>/dev/null | wc -l)
clear=$(tcpdump -n -r "$work/up.pcap" 'ip and not esp and not udp port 500' 2>/dev/null | wc -l)
[ "$esp" -ge 6 ] || fail "expected at least 6 ESP packets on the outside link, found $esp"
[ "$clear" -eq 0 ] || fail "$clear packets on the outside link were neither IKE nor ESP"
echo "gw-faults: ok: auto --up brought the tunnel up; ping crossed as $esp ESP packets"
stop gwL
stop gwR

# --- A wrong RSA key: the responder has a key for the left side that is not left's.
for side in gwL gwR other; do
    mkdir -p "$work/$side"
    key=$("$gateway" rsasigkey 2048)
    printf ': RSA {\n%s\n}\n' "$key" >"$work/$side/ipsec.secrets"
    chmod 600 "$work/$side/ipsec.secrets"
done
left_key=$("$gateway" showhostkey --left --secrets "$work/gwL/ipsec.secrets" | grep -o 'leftrsasigkey=.*')
right_key=$("$gateway" showhostkey --right --secrets "$work/gwR/ipsec.secrets" | grep -o 'rightrsasigkey=.*')
wrong_left_key=$("$gateway" showhostkey --left --secrets "$work/other/ipsec.secrets" | grep -o 'leftrsasigkey=.*')
write_conf gwL authby=rsasig leftid=@vpn1.example.com rightid=@vpn2.example.com "$left_key" "$right_key"
write_conf gwR authby=rsasig leftid=@vpn1.example.com rightid=@vpn2.example.com "$wrong_left_key" "$right_key"
start gwR
start gwL
set +e
timeout 60 ip netns exec gw-f-gwL "$gateway" auto --up net-to-net --rundir "$work/gwL/run" >"$work/wrong.txt"
rc=$?
set -e
cat "$work/wrong.txt"
[ "$rc" -ne 0 ] || fail "auto --up with a wrong RSA key exited 0"
[ "$rc" -ne 124 ] || fail "auto --up with a wrong RSA key did not finish within 60 s"
grep -q 'ignoring informational payload, type INVALID_KEY_INFORMATION' "$work/wrong.txt" \
    || fail "no INVALID_KEY_INFORMATION line"
grep -q '^031 .*max number of retransmissions (2) reached STATE_MAIN_I3' "$work/wrong.txt" \
    || fail "no retransmission limit line"
echo "gw-faults: ok: a wrong RSA key gives INVALID_KEY_INFORMATION and exit status $rc"
stop gwL
stop gwR

# --- Unindented parameters: rejected with file:line, and no daemon is left behind.
printf 'conn net-to-net\nleft=192.0.2.1\nleftsubnet=172.16.1.0/24\n    right=192.0.2.2\n    auto=add\n' \
    >"$work/gwL/ipsec.conf"
set +e
start gwL 2>"$work/unindented.txt"
rc=$?
set -e
cat "$work/unindented.txt"
[ "$rc" -ne 0 ] || fail "setup start accepted unindented parameters"
grep -q "$work/gwL/ipsec.conf:2" "$work/unindented.txt" || fail "the error does not name ipsec.conf:2"
[ ! -e "$work/gwL/run/pluto.pid" ] || fail "a pid file was left behind"
[ ! -e "$work/gwL/run/pluto.ctl" ] || fail "a control socket was left behind"
if ip -n gw-f-gwL link show ipsec0 >/dev/null 2>&1; then fail "the TUN device was created"; fi
echo "gw-faults: ok: unindented parameters are rejected and the daemon does not start"
