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
mkdir -p "$work/share"
cp "$gateway" "$work/share/gateway"
cat >"$work/share/guest.sh" <<'GUEST'
#!/bin/bash
set -euo pipefail
modprobe -a esp4 xfrm_user xfrm4_tunnel tunnel4 veth 2>/dev/null || true
gateway=$PWD/gateway
conf=/tmp/gw-conf
fail() { echo "guest: FAILED: $*"; for s in gwL gwR; do tail -n 20 "$conf/$s/run/pluto.log" 2>/dev/null || true; done; exit 1; }

for ns in hostL gwL gwR hostR; do ip netns add "gw-v-$ns"; ip -n "gw-v-$ns" link set lo up; done
ip -n gw-v-hostL link add eth0 type veth peer name in0 netns gw-v-gwL
ip -n gw-v-gwL link add out0 type veth peer name out0 netns gw-v-gwR
ip -n gw-v-gwR link add in0 type veth peer name eth0 netns gw-v-hostR
ip -n gw-v-hostL addr add 172.16.1.1/24 dev eth0
ip -n gw-v-gwL addr add 172.16.1.254/24 dev in0
ip -n gw-v-gwL addr add 192.0.2.1/24 dev out0
ip -n gw-v-gwR addr add 192.0.2.2/24 dev out0
ip -n gw-v-gwR addr add 10.0.0.1/24 dev in0
ip -n gw-v-hostR addr add 10.0.0.105/24 dev eth0
for pair in hostL:eth0 gwL:in0 gwL:out0 gwR:out0 gwR:in0 hostR:eth0; do
    ip -n "gw-v-${pair%%:*}" link set "${pair#*:}" up
done
ip -n gw-v-hostL route add default via 172.16.1.254
ip -n gw-v-hostR route add default via 10.0.0.1
for ns in gw-v-gwL gw-v-gwR; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done

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

# check_ping LABEL: pings hostR from hostL and captures what each gateway sends on the outside
# link (-Q out: the kernel shows decrypted inner packets as arriving on out0 too).
check_ping() {
    local label=$1 left right esp clear
    rm -f /tmp/outL.err /tmp/outR.err
    ip netns exec gw-v-gwL tcpdump -i out0 -Q out -n -U --immediate-mode -w /tmp/outL.pcap ip 2>/tmp/outL.err &
    left=$!
    ip netns exec gw-v-gwR tcpdump -i out0 -Q out -n -U --immediate-mode -w /tmp/outR.pcap ip 2>/tmp/outR.err &
    right=$!
    # Without KVM the VM is slow: wait until both captures are running (at most 20 s).
    for _ in $(seq 200); do
        grep -q 'listening on' /tmp/outL.err 2>/dev/null && grep -q 'listening on' /tmp/outR.err 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.5
    ip netns exec gw-v-hostL ping -c 3 -i 0.3 -W 2 10.0.0.105 || fail "$label: ping across the tunnel"
    sleep 0.5
    kill -INT "$left" "$right"; wait "$left" "$right" || true
    esp=0 clear=0
    for file in /tmp/outL.pcap /tmp/outR.pcap; do
        tcpdump -n -r "$file" 2>/dev/null | head -n 3
        esp=$((esp + $(tcpdump -n -r "$file" esp 2>/dev/null | wc -l)))
        clear=$((clear + $(tcpdump -n -r "$file" 'ip and not esp and not udp port 500 and not udp port 4500' 2>/dev/null | wc -l)))
    done
    [ "$esp" -ge 6 ] || fail "$label: expected at least 6 ESP packets on the outside link, found $esp"
    [ "$clear" -eq 0 ] || fail "$label: $clear packets on the outside link were neither IKE nor ESP"
    echo "guest: ok: $label: ping crossed as $esp ESP packets, nothing in clear"
}
check_ping "gateway to gateway, kernel datapath"
echo "guest: ok: kernel datapath: $states SAs and $policies policies on gwL"

for side in gwL gwR; do
    ip netns exec "gw-v-$side" "$gateway" setup stop --rundir "$conf/$side/run" >/dev/null
done
left=$(ip netns exec gw-v-gwL ip xfrm state | grep -c '^src' || true)
[ "$left" -eq 0 ] || fail "$left kernel SAs left after setup stop"
echo "guest: ok: setup stop removed the kernel SAs"

# --- Libreswan 4.10 on gwR (own mount namespace for its /etc and /run/pluto), our gateway on gwL.
ls_dir=/run/gw-ls/gwR
mkdir -p "$ls_dir/run" "$ls_dir/nss" "$ls_dir/ipsec.d/policies" /run/mntns
mountpoint -q /run/mntns || { mount --bind /run/mntns /run/mntns; mount --make-private /run/mntns; }
printf 'config setup\n\tikev1-policy=accept\n\tlogfile=/run/pluto/pluto.log\n\tplutodebug=none\n\tdumpdir=/run/pluto\n\nconn net-to-net\n\tikev2=no\n\tauthby=secret\n\tleft=192.0.2.1\n\tleftsubnet=172.16.1.0/24\n\tright=192.0.2.2\n\trightsubnet=10.0.0.0/24\n\tike=aes128-sha1;modp2048\n\tesp=aes128-sha1\n\tpfs=yes\n\tauto=add\n' \
    >"$ls_dir/ipsec.conf"
echo '192.0.2.1 192.0.2.2 : PSK "gw-vm-psk-0123456789"' >"$ls_dir/ipsec.secrets"
chmod 600 "$ls_dir/ipsec.secrets"
touch /run/mntns/gwR
mkdir -p /run/pluto /var/lib/ipsec/nss
unshare --mount=/run/mntns/gwR --propagation private sh -ec "
    mount --bind $ls_dir/ipsec.conf /etc/ipsec.conf
    mount --bind $ls_dir/ipsec.secrets /etc/ipsec.secrets
    mount --bind $ls_dir/ipsec.d /etc/ipsec.d
    mount --bind $ls_dir/run /run/pluto
    mount --bind $ls_dir/nss /var/lib/ipsec/nss"
lsexec() { nsenter --mount=/run/mntns/gwR --net=/run/netns/gw-v-gwR -- "$@"; }
lsexec ipsec initnss >/dev/null 2>&1 || lsexec ipsec checknss >/dev/null
lsexec ipsec pluto --config /etc/ipsec.conf
for _ in $(seq 100); do lsexec test -S /run/pluto/pluto.ctl && break; sleep 0.1; done
lsexec ipsec whack --listen >/dev/null
lsexec ipsec auto --add net-to-net >/dev/null
# Libreswan adds no route for a plain subnet-to-subnet conn.
ip -n gw-v-gwR route replace 172.16.1.0/24 via 192.0.2.1 dev out0

ip netns exec gw-v-gwL "$gateway" setup start --datapath kernel \
    --config "$conf/gwL/ipsec.conf" --secrets "$conf/gwL/ipsec.secrets" --rundir "$conf/gwL/run"
timeout 60 ip netns exec gw-v-gwL "$gateway" auto --up net-to-net --rundir "$conf/gwL/run" \
    || fail "our gateway could not bring the tunnel up with Libreswan"
check_ping "gateway initiator, Libreswan responder"
ip netns exec gw-v-gwL "$gateway" setup stop --rundir "$conf/gwL/run" >/dev/null
sleep 1
lsexec ipsec auto --delete net-to-net >/dev/null 2>&1 || true
lsexec ipsec auto --add net-to-net >/dev/null

ip netns exec gw-v-gwL "$gateway" setup start --datapath kernel \
    --config "$conf/gwL/ipsec.conf" --secrets "$conf/gwL/ipsec.secrets" --rundir "$conf/gwL/run"
# Libreswan initiates from the right side towards our gateway, which only responds.
lsexec timeout 60 ipsec auto --up net-to-net | tail -n 3
status=$(ip netns exec gw-v-gwL "$gateway" auto --status --rundir "$conf/gwL/run")
grep -q 'STATE_QUICK_R2' <<<"$status" || fail "our gateway did not reach STATE_QUICK_R2 with Libreswan initiating"
check_ping "Libreswan initiator, gateway responder"
ip netns exec gw-v-gwL "$gateway" setup stop --rundir "$conf/gwL/run" >/dev/null
lsexec ipsec whack --shutdown >/dev/null 2>&1 || true
echo "guest: ok: full tunnels with Libreswan 4.10 both ways"
GUEST

timeout 300 "$shared/interop/vm/run-vm.sh" --share "$work/share" --timeout 240 -- bash guest.sh \
    | tee "$work/guest.txt"
grep -q 'guest: ok: full tunnels with Libreswan 4.10 both ways' "$work/guest.txt" || fail "the VM run did not pass"
echo "gw-vm-kernel: ok: kernel datapath and Libreswan tunnels in the VM"
