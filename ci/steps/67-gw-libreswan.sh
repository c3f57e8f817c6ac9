#!/usr/bin/env bash
# Libreswan 4.10 on this host (the shared harness's unpacked package, run in our own namespaces
# gw-l-* through LS_NETNS): Main Mode completes both ways, with a pre-shared key and with RSA
# keys (ours made by `gateway rsasigkey`, Libreswan's in its NSS database). Quick Mode cannot
# complete here because the host kernel has no ESP and Libreswan installs its SAs there, so no
# ping or ESP capture is possible on this host; the full tunnel needs a kernel with ESP.
set -euo pipefail

root=$(pwd)
shared=${SHARED_DIR:-$root/../shared}
ls_harness=$shared/interop/libreswan
golden=$ls_harness/golden/config
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")
work=$(mktemp -d /tmp/gw-libreswan.XXXXXX)
namespaces=(gw-l-hostL gw-l-gwL gw-l-gwR gw-l-hostR)
export LS_STATE=$work/ls-state

cleanup() {
    for side in gwL gwR; do
        ip netns exec "gw-l-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
    done
    LS_NETNS=gw-l-gwL "$ls_harness/libreswan-peer.sh" stop L >/dev/null 2>&1 || true
    LS_NETNS=gw-l-gwR "$ls_harness/libreswan-peer.sh" stop R >/dev/null 2>&1 || true
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "gw-libreswan: FAILED: $*"
    exit 1
}

# Topology: hostL 172.16.1.1 - gwL 192.0.2.1 === 192.0.2.2 gwR - hostR 10.0.0.105.
for ns in "${namespaces[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip -n gw-l-hostL link add eth0 type veth peer name in0 netns gw-l-gwL
ip -n gw-l-gwL link add out0 type veth peer name out0 netns gw-l-gwR
ip -n gw-l-gwR link add in0 type veth peer name eth0 netns gw-l-hostR
ip -n gw-l-hostL addr add 172.16.1.1/24 dev eth0
ip -n gw-l-gwL addr add 172.16.1.254/24 dev in0
ip -n gw-l-gwL addr add 192.0.2.1/24 dev out0
ip -n gw-l-gwR addr add 192.0.2.2/24 dev out0
ip -n gw-l-gwR addr add 10.0.0.1/24 dev in0
ip -n gw-l-hostR addr add 10.0.0.105/24 dev eth0
for pair in gw-l-hostL:eth0 gw-l-gwL:in0 gw-l-gwL:out0 gw-l-gwR:out0 gw-l-gwR:in0 gw-l-hostR:eth0; do
    ip -n "${pair%%:*}" link set "${pair#*:}" up
done
ip -n gw-l-hostL route add default via 172.16.1.254
ip -n gw-l-hostR route add default via 10.0.0.1
for ns in gw-l-gwL gw-l-gwR; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done

# write_gateway_conf SIDE LINES...: our net-to-net conn with extra lines.
write_gateway_conf() {
    local side=$1
    shift
    mkdir -p "$work/$side"
    {
        printf 'conn net-to-net\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n'
        printf '    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    auto=add\n'
        for line in "$@"; do printf '    %s\n' "$line"; done
    } >"$work/$side/ipsec.conf"
}

start_gateway() {
    ip netns exec "gw-l-$1" "$gateway" setup start --retransmit-interval 1 \
        --config "$work/$1/ipsec.conf" --secrets "$work/$1/ipsec.secrets" --rundir "$work/$1/run"
}

stop_all() {
    for side in gwL gwR; do
        ip netns exec "gw-l-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
    done
    LS_NETNS=gw-l-gwL "$ls_harness/libreswan-peer.sh" stop L >/dev/null 2>&1 || true
    LS_NETNS=gw-l-gwR "$ls_harness/libreswan-peer.sh" stop R >/dev/null 2>&1 || true
}

# Our gateway initiates from gwL; Libreswan responds on gwR with CONF_DIR.
initiator() {
    local label=$1 conf_dir=$2
    LS_NETNS=gw-l-gwR "$ls_harness/libreswan-peer.sh" start R "$conf_dir" >/dev/null
    start_gateway gwL
    set +e
    timeout 40 ip netns exec gw-l-gwL "$gateway" auto --up net-to-net --rundir "$work/gwL/run" >"$work/up.txt"
    set -e
    cat "$work/up.txt"
    grep -q '^004 "net-to-net" #1: STATE_MAIN_I4: ISAKMP SA established' "$work/up.txt" \
        || fail "$label: Main Mode did not reach STATE_MAIN_I4"
    echo "gw-libreswan: ok: gateway initiator, $label: STATE_MAIN_I4"
    stop_all
}

# Libreswan initiates from gwL with CONF_DIR; our gateway responds on gwR.
responder() {
    local label=$1 conf_dir=$2
    start_gateway gwR
    LS_NETNS=gw-l-gwL "$ls_harness/libreswan-peer.sh" start L "$conf_dir" >/dev/null
    LS_UP_TIMEOUT=10 LS_NETNS=gw-l-gwL "$ls_harness/libreswan-peer.sh" up L net-to-net \
        >"$work/ls-up.txt" 2>&1 || true
    cat "$work/ls-up.txt"
    grep -q 'IKE SA established' "$work/ls-up.txt" || fail "$label: Libreswan did not establish the IKE SA"
    ip netns exec gw-l-gwR "$gateway" auto --status --rundir "$work/gwR/run" >"$work/status.txt"
    grep -q 'STATE_MAIN_R3 (sent MR3, ISAKMP SA established)' "$work/status.txt" \
        || fail "$label: our gateway is not in STATE_MAIN_R3"
    echo "gw-libreswan: ok: gateway responder, $label: STATE_MAIN_R3"
    stop_all
}

# --- PSK: the golden configs, with our conn and secret matching theirs.
psk=$(grep -o '"[^"]*"' "$golden/psk/R/ipsec.secrets")
for side in gwL gwR; do
    write_gateway_conf "$side" authby=secret
    echo "192.0.2.1 192.0.2.2 : PSK $psk" >"$work/$side/ipsec.secrets"
    chmod 600 "$work/$side/ipsec.secrets"
done
initiator PSK "$golden/psk/R"
responder PSK "$golden/psk/L"

# --- RSA: our key replaces the other end's key in a copy of Libreswan's config.
key=$("$gateway" rsasigkey 2048)
printf ': RSA {\n%s\n}\n' "$key" >"$work/rsa.secrets"
chmod 600 "$work/rsa.secrets"
ours=$("$gateway" showhostkey --left --secrets "$work/rsa.secrets" | grep -o '0s[A-Za-z0-9+/=]*')
theirs_left=$(grep -o 'leftrsasigkey=.*' "$golden/rsa/L/ipsec.conf")
theirs_right=$(grep -o 'rightrsasigkey=.*' "$golden/rsa/R/ipsec.conf")
for side in L R; do
    cp -r "$golden/rsa/$side" "$work/ls-rsa-$side"
done
sed -i "s|^\tleftrsasigkey=.*|\tleftrsasigkey=$ours|" "$work/ls-rsa-R/ipsec.conf"
sed -i "s|^\trightrsasigkey=.*|\trightrsasigkey=$ours|" "$work/ls-rsa-L/ipsec.conf"
for side in gwL gwR; do
    cp "$work/rsa.secrets" "$work/$side/ipsec.secrets"
done
write_gateway_conf gwL authby=rsasig leftid=@gwL.example.org rightid=@gwR.example.org \
    "leftrsasigkey=$ours" "$theirs_right"
write_gateway_conf gwR authby=rsasig leftid=@gwL.example.org rightid=@gwR.example.org \
    "$theirs_left" "rightrsasigkey=$ours"
initiator RSA "$work/ls-rsa-R"
responder RSA "$work/ls-rsa-L"
