#!/usr/bin/env bash
# The kernel datapath. On this host (no ESP in the kernel) `--datapath auto` must pick the
# userspace datapath and `--datapath kernel` must be rejected. Inside the throwaway VM (Debian's
# stock kernel, with ESP; no network device), two gateways in namespaces gw-v-* bring up
# net-to-net with `--datapath kernel`: SAs and policies go in through XFRM, a ping crosses,
# the outside link shows only IKE and ESP, and `--datapath auto` picks the kernel there. Then
# Libreswan 4.10 takes the right side: full tunnels with our gateway as initiator and as responder.
set -euo pipefail

root=$(pwd)
shared=${SHARED_DIR:-$root/../shared}
. "$(dirname "$0")/../lib/vm.sh"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")
work=$(mktemp -d /tmp/gw-vm.XXXXXX)

cleanup() {
    ip netns exec gw-v-host "$gateway" setup stop --rundir "$work/host/run" >/dev/null 2>&1 || true
    ip netns del gw-v-host 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "gw-vm-kernel: FAILED: $*"
    exit 1
}

# --- On this host: auto picks userspace, kernel is rejected.
ip netns add gw-v-host
ip -n gw-v-host link add out0 type veth peer name peer0
ip -n gw-v-host addr add 192.0.2.1/24 dev out0
ip -n gw-v-host link set out0 up
mkdir -p "$work/host"
printf 'conn net-to-net\n    authby=secret\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    auto=add\n' \
    >"$work/host/ipsec.conf"
echo '192.0.2.1 192.0.2.2 : PSK "gw-vm-psk-0123456789"' >"$work/host/ipsec.secrets"
chmod 600 "$work/host/ipsec.secrets"
host_args=(--config "$work/host/ipsec.conf" --secrets "$work/host/ipsec.secrets" --rundir "$work/host/run")
if ip netns exec gw-v-host "$gateway" setup start --datapath kernel "${host_args[@]}" 2>"$work/kernel.txt"; then
    fail "--datapath kernel started on a kernel without ESP"
fi
grep -q 'cannot install ESP SAs' "$work/kernel.txt" || fail "--datapath kernel did not say why it failed"
ip netns exec gw-v-host "$gateway" setup start --datapath auto "${host_args[@]}"
grep -q 'datapath: userspace' "$work/host/run/pluto.log" || fail "--datapath auto did not pick userspace here"
ip netns exec gw-v-host "$gateway" setup stop --rundir "$work/host/run" >/dev/null
echo "gw-vm-kernel: ok: on this host --datapath auto picks userspace and kernel is rejected"

# --- In the VM.
vm_share_prepare
cat >"$work/share/guest.sh" <<'GUEST'
#!/bin/bash
set -euo pipefail
modprobe -a esp4 xfrm_user xfrm4_tunnel tunnel4 veth 2>/dev/null || true
. ./vm-guest.sh
gateway=$PWD/gateway
conf=/tmp/gw-conf
ls_dir=/run/gw-ls/gwR
fail() { echo "guest: FAILED: $*"; for s in gwL gwR; do tail -n 20 "$conf/$s/run/pluto.log" 2>/dev/null || true; done; exit 1; }

topology_up gw-v

for side in gwL gwR; do
    mkdir -p "$conf/$side"
    printf 'conn net-to-net\n    authby=secret\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    auto=add\n' \
        >"$conf/$side/ipsec.conf"
    echo '192.0.2.1 192.0.2.2 : PSK "gw-vm-psk-0123456789"' >"$conf/$side/ipsec.secrets"
    chmod 600 "$conf/$side/ipsec.secrets"
done
ip netns exec gw-v-gwR "$gateway" setup start --datapath kernel \
    --config "$conf/gwR/ipsec.conf" --secrets "$conf/gwR/ipsec.secrets" --rundir "$conf/gwR/run"
ip netns exec gw-v-gwL "$gateway" setup start --datapath auto \
    --config "$conf/gwL/ipsec.conf" --secrets "$conf/gwL/ipsec.secrets" --rundir "$conf/gwL/run"
grep -q 'datapath: kernel' "$conf/gwL/run/pluto.log" || fail "--datapath auto did not pick the kernel"
echo "guest: ok: --datapath auto picks the kernel"

timeout 30 ip netns exec gw-v-gwL "$gateway" auto --up net-to-net --rundir "$conf/gwL/run"
states=$(ip netns exec gw-v-gwL ip xfrm state | grep -c '^src')
policies=$(ip netns exec gw-v-gwL ip xfrm policy | grep -c '^src')
[ "$states" -eq 2 ] || fail "expected 2 kernel SAs on gwL, found $states"
[ "$policies" -eq 3 ] || fail "expected 3 kernel policies on gwL, found $policies"
ip netns exec gw-v-gwL ip link show ipsec0 >/dev/null 2>&1 && fail "a TUN device exists with the kernel datapath"

check_ping "gateway to gateway, kernel datapath"
echo "guest: ok: kernel datapath: $states SAs and $policies policies on gwL"

for side in gwL gwR; do
    ip netns exec "gw-v-$side" "$gateway" setup stop --rundir "$conf/$side/run" >/dev/null
done
left=$(ip netns exec gw-v-gwL ip xfrm state | grep -c '^src' || true)
[ "$left" -eq 0 ] || fail "$left kernel SAs left after setup stop"
echo "guest: ok: setup stop removed the kernel SAs"

# --- Libreswan 4.10 on gwR, our gateway on gwL.
mkdir -p "$ls_dir"
printf 'config setup\n\tikev1-policy=accept\n\tlogfile=/run/pluto/pluto.log\n\tplutodebug=none\n\tdumpdir=/run/pluto\n\nconn net-to-net\n\tikev2=no\n\tauthby=secret\n\tleft=192.0.2.1\n\tleftsubnet=172.16.1.0/24\n\tright=192.0.2.2\n\trightsubnet=10.0.0.0/24\n\tike=aes128-sha1;modp2048\n\tesp=aes128-sha1\n\tpfs=yes\n\tauto=add\n' \
    >"$ls_dir/ipsec.conf"
echo '192.0.2.1 192.0.2.2 : PSK "gw-vm-psk-0123456789"' >"$ls_dir/ipsec.secrets"
chmod 600 "$ls_dir/ipsec.secrets"
libreswan_prepare
libreswan_start
libreswan_both_ways PSK "$conf/gwL"
echo "guest: ok: full tunnels with Libreswan 4.10 both ways"
GUEST

vm_run_guest 'guest: ok: full tunnels with Libreswan 4.10 both ways'
echo "gw-vm-kernel: ok: kernel datapath and Libreswan tunnels in the VM"
