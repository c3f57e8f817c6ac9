#!/usr/bin/env bash
# Keys made by `gateway rsasigkey --verbose 2048` work in a real strongSwan 5.9.8 tunnel.
#
# For each of the two strongSwan gateways of the shared harness (sw-gwL, sw-gwR):
#   1. `gateway rsasigkey --verbose --hostname gwX 2048` prints an Openswan secrets block body;
#   2. the block, wrapped in `: RSA { ... }`, is the ipsec.secrets that
#      `gateway showhostkey --left|--right` reads; its line must carry the block's #pubkey;
#   3. OpenSSL rebuilds the private key from the block's eight numbers (asn1parse -genconf) and
#      checks it (`openssl rsa -check`), because strongSwan reads only key files;
#   4. strongSwan gets the public keys as leftrsasigkey="dns:0s..." (the spelling it needs for
#      RFC 3110 keys), brings the IKEv1 RSA tunnel up, and a ping crosses it as ESP only.
#
# Environment: SHARED_DIR (default ../shared), GATEWAY (a built gateway binary; default: build
# it with cargo). Root. Every use of the sw-* namespaces holds /tmp/ipsec-rs-sw.lock, and the
# namespaces and daemons are removed on exit, even on failure. Takes about 15 s after the build.
set -euo pipefail

if [ -z "${KEYS_SW_LOCKED:-}" ]; then
    # -o: the daemons started below must not inherit the lock.
    exec env KEYS_SW_LOCKED=1 flock -o -w 600 /tmp/ipsec-rs-sw.lock "$0" "$@"
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED_DIR:-$root/../shared}
harness=$shared/interop/strongswan
. "$root/ci/lib/rsa-key.sh"
export SW_STATE_DIR=/tmp/keys-sw-state
work=$(mktemp -d /tmp/keys-sw.XXXXXX)

cleanup() {
    set +e
    "$harness/strongswan-peer.sh" stop gwL >/dev/null 2>&1
    "$harness/strongswan-peer.sh" stop gwR >/dev/null 2>&1
    "$harness/topology.sh" down >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for side in gwL gwR; do
        log=$("$harness/strongswan-peer.sh" log "$side" 2>/dev/null) || continue
        [ -f "$log" ] && { echo "--- $side charon.log (tail)" >&2; tail -n 40 "$log" >&2; }
    done
    exit 1
}

# scripts/install-deps.sh already ran the harness's installer in a full CI run. Calling it again
# only when strongSwan is missing avoids a second run of its last line, `ipsec --version | head
# -1` under pipefail, which exits 141 when `head` closes the pipe first (seen once in 30 runs).
if [ ! -x /usr/sbin/ipsec ] || [ ! -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ]; then
    "$harness/install-deps.sh" >/dev/null
fi

gateway=${GATEWAY:-}
if [ -z "$gateway" ]; then
    (cd "$root" && cargo build --quiet -p gateway --bin gateway)
    gateway=${CARGO_TARGET_DIR:-$root/target}/debug/gateway
fi

declare -A pubkey
for side in gwL gwR; do
    dir=$work/$side
    mkdir -p "$dir"/ipsec.d/{private,certs,cacerts,aacerts,ocspcerts,acerts,crls}

    "$gateway" rsasigkey --verbose --hostname "$side" 2048 >"$dir/rsasigkey.out" 2>"$dir/rsasigkey.err" \
        || fail "$side: rsasigkey failed: $(cat "$dir/rsasigkey.err")"
    grep -q "^	# RSA 2048 bits   $side   " "$dir/rsasigkey.out" || fail "$side: no '# RSA 2048 bits' line"
    [ -s "$dir/rsasigkey.err" ] || fail "$side: --verbose printed nothing on stderr"
    { echo ": RSA {"; cat "$dir/rsasigkey.out"; echo "	}"; } >"$dir/openswan.secrets"

    if [ "$side" = gwL ]; then end=left; else end=right; fi
    "$gateway" showhostkey "--$end" --secrets "$dir/openswan.secrets" >"$dir/showhostkey.out" \
        || fail "$side: showhostkey --$end failed"
    key=$(sed -n "s/^	${end}rsasigkey=//p" "$dir/showhostkey.out")
    expected=$(sed -n 's/^[[:space:]]*#pubkey=//p' "$dir/rsasigkey.out")
    [ -n "$key" ] && [ "$key" = "$expected" ] || fail "$side: showhostkey printed '$key', block has '$expected'"
    case $key in 0sAwEAA*) ;; *) fail "$side: key $key is not an e=65537 RFC 3110 key" ;; esac
    pubkey[$side]=$key

    rsa_block_to_der "$dir/rsasigkey.out" "$dir/key.der" \
        || fail "$side: OpenSSL cannot encode the block's numbers"
    openssl rsa -inform DER -in "$dir/key.der" -check -noout 2>&1 | grep -q "RSA key ok" \
        || fail "$side: openssl rsa -check rejects the generated key"
    openssl rsa -inform DER -in "$dir/key.der" -out "$dir/ipsec.d/private/$side.pem" 2>/dev/null
    chmod 600 "$dir/ipsec.d/private/$side.pem" "$dir/key.der"
    printf ': RSA %s.pem\n' "$side" >"$dir/ipsec.secrets"
    chmod 600 "$dir/ipsec.secrets"
    cp "$harness/configs/strongswan.conf.libipsec" "$dir/strongswan.conf"
done

for side in gwL gwR; do
    if [ "$side" = gwL ]; then auto=start; else auto=add; fi
    cat >"$work/$side/ipsec.conf" <<EOF
config setup

conn sw-rsa
	keyexchange=ikev1
	authby=rsasig
	left=192.0.2.1
	leftid=@gwL
	leftsubnet=172.16.1.0/24
	leftrsasigkey="dns:${pubkey[gwL]}"
	right=192.0.2.2
	rightid=@gwR
	rightsubnet=10.0.0.0/24
	rightrsasigkey="dns:${pubkey[gwR]}"
	keyingtries=3
	auto=$auto
EOF
done

"$harness/topology.sh" up >/dev/null || fail "topology up"
"$harness/strongswan-peer.sh" start gwR "$work/gwR" >/dev/null || fail "strongSwan gwR did not start"
"$harness/strongswan-peer.sh" start gwL "$work/gwL" >/dev/null || fail "strongSwan gwL did not start"
elapsed=$("$harness/strongswan-peer.sh" wait gwL sw-rsa 20) || fail "sw-rsa not established"

log=$("$harness/strongswan-peer.sh" log gwL)
grep -q "authentication of 'gwR' with RSA_EMSA_PKCS1_NULL successful" "$log" \
    || fail "gwL's log has no successful RSA authentication of gwR"
"$harness/check-tunnel.sh" >"$work/check-tunnel.out" 2>&1 || { cat "$work/check-tunnel.out"; fail "tunnel check"; }

echo "PASS: strongSwan 5.9.8 used rsasigkey's keys as dns:0s...; SA up after ${elapsed} ms; $(grep PASS "$work/check-tunnel.out")"
