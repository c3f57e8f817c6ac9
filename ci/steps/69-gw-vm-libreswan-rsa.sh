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
. "$(dirname "$0")/../lib/vm.sh"
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
vm_share_prepare
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

cat >"$work/share/keys.sh" <<EOF
left_key=${pubkey[gwL]}
right_key=${pubkey[gwR]}
EOF
cat >"$work/share/guest.sh" <<'GUEST'
#!/bin/bash
set -euo pipefail
modprobe -a esp4 xfrm_user xfrm4_tunnel tunnel4 veth 2>/dev/null || true
. ./vm-guest.sh
gateway=$PWD/gateway
. ./keys.sh
conf=/tmp/gw-conf
ls_dir=/run/gw-ls/gwR
fail() { echo "guest: FAILED: $*"; tail -n 20 "$conf/run/pluto.log" 2>/dev/null || true;
    tail -n 20 "$ls_dir/run/pluto.log" 2>/dev/null || true; exit 1; }

topology_up gw-v

# Our gateway on gwL, with its key from `gateway rsasigkey` and Libreswan's public key.
mkdir -p "$conf"
printf 'conn net-to-net\n    authby=rsasig\n    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n    leftrsasigkey=%s\n    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    rightrsasigkey=%s\n    auto=add\n' \
    "$left_key" "$right_key" >"$conf/ipsec.conf"
cp gwL.secrets "$conf/ipsec.secrets"
chmod 600 "$conf/ipsec.secrets"

# --- Libreswan 4.10 on gwR, with its private key imported into its NSS database.
mkdir -p "$ls_dir"
printf 'config setup\n\tikev1-policy=accept\n\tlogfile=/run/pluto/pluto.log\n\tplutodebug=none\n\tdumpdir=/run/pluto\n\nconn net-to-net\n\tikev2=no\n\tauthby=rsasig\n\tleft=192.0.2.1\n\tleftsubnet=172.16.1.0/24\n\tleftrsasigkey=%s\n\tright=192.0.2.2\n\trightsubnet=10.0.0.0/24\n\trightrsasigkey=%s\n\tike=aes128-sha1;modp2048\n\tesp=aes128-sha1\n\tpfs=yes\n\tauto=add\n' \
    "$left_key" "$right_key" >"$ls_dir/ipsec.conf"
: >"$ls_dir/ipsec.secrets"
chmod 600 "$ls_dir/ipsec.secrets"
libreswan_prepare
lsexec pk12util -i "$PWD/gwR.p12" -d sql:/var/lib/ipsec/nss -W gw-vm-rsa || fail "pk12util could not import Libreswan's key"
libreswan_start
lsexec ipsec showhostkey --list || fail "Libreswan lists no key in its NSS database"

libreswan_both_ways RSA "$conf"
echo "guest: ok: RSA tunnels with Libreswan 4.10 both ways"
GUEST

vm_run_guest 'guest: ok: RSA tunnels with Libreswan 4.10 both ways'
echo "gw-vm-libreswan-rsa: ok: RSA tunnels with Libreswan in the VM, both ways"
