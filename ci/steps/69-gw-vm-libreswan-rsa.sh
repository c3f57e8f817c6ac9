#!/usr/bin/env bash
# Libreswan 4.10 and our gateway with RSA signatures, full tunnels inside the throwaway VM.
# Both keys come from `gateway rsasigkey` and are placed with `gateway showhostkey`. Libreswan
# keeps its private key in NSS, so its key goes into a PKCS#12 file on the host, with a
# self-signed certificate that OpenSSL makes from the same key. The guest imports that file with
# pk12util, and Libreswan reads both public keys as raw `0s...` keys. Our gateway initiates
# first, then Libreswan does. Each time a ping crosses and the outside link carries only IKE
# and ESP.
set -euo pipefail

root=$(pwd)
shared=${SHARED_DIR:-$root/../shared}
. "$(dirname "$0")/../lib/rsa-key.sh"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")
work=$(mktemp -d /tmp/gw-vm-rsa.XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() {
    echo "gw-vm-libreswan-rsa: FAILED: $*"
    exit 1
}

# --- Keys, on the host: ours (gwL) and Libreswan's (gwR), both from `gateway rsasigkey`.
mkdir -p "$work/share"
declare -A pubkey
for side in gwL gwR; do
    "$gateway" rsasigkey --hostname "$side" 2048 >"$work/$side.key" || fail "$side: rsasigkey failed"
    printf ': RSA {\n%s\n}\n' "$(cat "$work/$side.key")" >"$work/$side.secrets"
    chmod 600 "$work/$side.secrets"
    if [ "$side" = gwL ]; then end=left; else end=right; fi
    pubkey[$side]=$("$gateway" showhostkey "--$end" --secrets "$work/$side.secrets" | grep -o '0s[A-Za-z0-9+/=]*') \
        || fail "$side: showhostkey --$end failed"
    [ -n "${pubkey[$side]}" ] || fail "$side: showhostkey printed no key"
done
cp "$work/gwL.secrets" "$work/share/gwL.secrets"

rsa_block_to_der "$work/gwR.key" "$work/gwR.der" || fail "OpenSSL cannot encode the key's numbers"
openssl rsa -inform DER -in "$work/gwR.der" -out "$work/gwR.pem" 2>/dev/null || fail "OpenSSL rejects the key"
openssl req -x509 -new -key "$work/gwR.pem" -subj /CN=gwR -days 30 -out "$work/gwR.crt" 2>/dev/null \
    || fail "OpenSSL cannot make a certificate for the key"
openssl pkcs12 -export -inkey "$work/gwR.pem" -in "$work/gwR.crt" -name gwR \
    -passout pass:gw-vm-rsa -out "$work/share/gwR.p12" || fail "OpenSSL cannot write the PKCS#12 file"

cp "$gateway" "$work/share/gateway"
cat >"$work/share/keys.sh" <<EOF
left_key=${pubkey[gwL]}
right_key=${pubkey[gwR]}
EOF
cat >"$work/share/guest.sh" <<'GUEST'
#!/bin/bash
set -euo pipefail
modprobe -a esp4 xfrm_user xfrm4_tunnel tunnel4 veth 2>/dev/null || true
gateway=$PWD/gateway
. ./keys.sh
conf=/tmp/gw-conf
ls_dir=/run/gw-ls/gwR
fail() { echo "guest: FAILED: $*"; tail -n 20 "$conf/run/pluto.log" 2>/dev/null || true;
    tail -n 20 "$ls_dir/run/pluto.log" 2>/dev/null || true; exit 1; }

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

# Our gateway on gwL, with its key from `gateway rsasigkey` and Libreswan's public key.
mkdir -p "$conf"
printf 'conn net-to-net\n    authby=rsasig\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n    leftrsasigkey=%s\n    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    rightrsasigkey=%s\n    auto=add\n' \
    "$left_key" "$right_key" >"$conf/ipsec.conf"
cp gwL.secrets "$conf/ipsec.secrets"
chmod 600 "$conf/ipsec.secrets"
gw_args=(--config "$conf/ipsec.conf" --secrets "$conf/ipsec.secrets" --rundir "$conf/run")

# check_ping LABEL pings hostR from hostL and captures what each gateway sends on the outside
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

# --- Libreswan 4.10 on gwR (own mount namespace for its /etc, /run/pluto and NSS database).
mkdir -p "$ls_dir/run" "$ls_dir/nss" "$ls_dir/ipsec.d/policies" /run/mntns
mountpoint -q /run/mntns || { mount --bind /run/mntns /run/mntns; mount --make-private /run/mntns; }
printf 'config setup\n\tikev1-policy=accept\n\tlogfile=/run/pluto/pluto.log\n\tplutodebug=none\n\tdumpdir=/run/pluto\n\nconn net-to-net\n\tikev2=no\n\tauthby=rsasig\n\tleft=192.0.2.1\n\tleftsubnet=172.16.1.0/24\n\tleftrsasigkey=%s\n\tright=192.0.2.2\n\trightsubnet=10.0.0.0/24\n\trightrsasigkey=%s\n\tike=aes128-sha1;modp2048\n\tesp=aes128-sha1\n\tpfs=yes\n\tauto=add\n' \
    "$left_key" "$right_key" >"$ls_dir/ipsec.conf"
: >"$ls_dir/ipsec.secrets"
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
lsexec pk12util -i "$PWD/gwR.p12" -d sql:/var/lib/ipsec/nss -W gw-vm-rsa || fail "pk12util could not import Libreswan's key"
lsexec ipsec pluto --config /etc/ipsec.conf
for _ in $(seq 100); do lsexec test -S /run/pluto/pluto.ctl && break; sleep 0.1; done
lsexec ipsec whack --listen >/dev/null
lsexec ipsec auto --add net-to-net >/dev/null
lsexec ipsec showhostkey --list || fail "Libreswan lists no key in its NSS database"
# Libreswan adds no route for a plain subnet-to-subnet conn.
ip -n gw-v-gwR route replace 172.16.1.0/24 via 192.0.2.1 dev out0

ip netns exec gw-v-gwL "$gateway" setup start --datapath kernel "${gw_args[@]}"
timeout 60 ip netns exec gw-v-gwL "$gateway" auto --up net-to-net --rundir "$conf/run" \
    || fail "our gateway could not bring the RSA tunnel up with Libreswan"
check_ping "RSA, gateway initiator, Libreswan responder"
ip netns exec gw-v-gwL "$gateway" setup stop --rundir "$conf/run" >/dev/null
sleep 1
lsexec ipsec auto --delete net-to-net >/dev/null 2>&1 || true
lsexec ipsec auto --add net-to-net >/dev/null

ip netns exec gw-v-gwL "$gateway" setup start --datapath kernel "${gw_args[@]}"
# Libreswan initiates from the right side towards our gateway, which only responds.
lsexec timeout 60 ipsec auto --up net-to-net | tail -n 3
status=$(ip netns exec gw-v-gwL "$gateway" auto --status --rundir "$conf/run")
grep -q 'STATE_QUICK_R2' <<<"$status" || fail "our gateway did not reach STATE_QUICK_R2 with Libreswan initiating"
check_ping "RSA, Libreswan initiator, gateway responder"
ip netns exec gw-v-gwL "$gateway" setup stop --rundir "$conf/run" >/dev/null
lsexec ipsec whack --shutdown >/dev/null 2>&1 || true
echo "guest: ok: RSA tunnels with Libreswan 4.10 both ways"
GUEST

timeout 300 "$shared/interop/vm/run-vm.sh" --share "$work/share" --timeout 240 -- bash guest.sh \
    | tee "$work/guest.txt"
grep -q 'guest: ok: RSA tunnels with Libreswan 4.10 both ways' "$work/guest.txt" || fail "the VM run did not pass"
echo "gw-vm-libreswan-rsa: ok: RSA tunnels with Libreswan in the VM, both ways"
