#!/usr/bin/env bash
# Interop with a real strongSwan 5.9.8 (the shared harness, namespaces sw-*): our gateway as
# initiator and as responder, with a pre-shared key (strongSwan's default proposals, and
# 3des-md5-modp1024, aes128-sha1-modp2048 and aes256-sha2_256-modp2048 with PFS) and with RSA
# keys (ours made by `gateway rsasigkey`, given to strongSwan as "dns:0s..."). Each
# case pings across the tunnel with the harness's check-tunnel.sh, which passes only if the
# outside link carried ESP both ways and no plaintext. strongSwan's userspace ESP works only in
# UDP/4500, so our side runs with nat_traversal=yes. The harness is shared: every use holds
# /tmp/ipsec-rs-sw.lock.
set -euo pipefail

root=$(pwd)
shared=${SHARED_DIR:-$root/../shared}
sw=$shared/interop/strongswan
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p gateway
gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")

work=$(mktemp -d /tmp/gw-strongswan.XXXXXX)
psk='sw-interop-test-psk-0123456789'

cleanup() {
    for side in gwL gwR; do
        ip netns exec "sw-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
        "$sw/strongswan-peer.sh" stop "$side" >/dev/null 2>&1 || true
    done
    "$sw/topology.sh" down >/dev/null 2>&1 || true
    rm -rf "$work"
}

# write_gateway_conf SIDE CONN LINES...: our ipsec.conf for CONN, with extra conn lines.
write_gateway_conf() {
    local side=$1 conn=$2
    shift 2
    mkdir -p "$work/$side"
    {
        printf 'config setup\n    nat_traversal=yes\n\nconn %s\n' "$conn"
        printf '    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n'
        printf '    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n    auto=add\n'
        for line in "$@"; do printf '    %s\n' "$line"; done
    } >"$work/$side/ipsec.conf"
    if [ "$conn" = sw-psk ]; then
        printf '192.0.2.1 192.0.2.2 : PSK "%s"\n' "$psk" >"$work/$side/ipsec.secrets"
    else
        printf ': RSA {\n%s\n}\n' "$rsa_key" >"$work/$side/ipsec.secrets"
    fi
    chmod 600 "$work/$side/ipsec.secrets"
}

# strongswan_conf SIDE IKE ESP: a copy of the harness's PSK config for SIDE with ike=/esp=
# added (empty: strongSwan's defaults); prints its directory.
strongswan_conf() {
    local side=$1 ike=$2 esp=$3 dir="$work/sw-$1"
    rm -rf "$dir"
    cp -r "$sw/configs/psk/$side" "$dir"
    if [ -n "$ike" ]; then
        sed -i "s/^\tauthby=secret$/\tauthby=secret\n\tike=$ike\n\tesp=$esp/" "$dir/ipsec.conf"
    fi
    echo "$dir"
}

start_gateway() {
    local side=$1
    ip netns exec "sw-$side" "$gateway" setup start --config "$work/$side/ipsec.conf" \
        --secrets "$work/$side/ipsec.secrets" --rundir "$work/$side/run"
}

stop_all() {
    for side in gwL gwR; do
        ip netns exec "sw-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
        "$sw/strongswan-peer.sh" stop "$side" >/dev/null 2>&1 || true
    done
}

# Our gateway on gwL initiates; strongSwan on gwR responds.
case_initiator() {
    local name=$1 sw_ike=$2 sw_esp=$3
    shift 3
    write_gateway_conf gwL sw-psk authby=secret "$@"
    "$sw/strongswan-peer.sh" start gwR "$(strongswan_conf gwR "$sw_ike" "$sw_esp")" >/dev/null
    start_gateway gwL
    timeout 40 ip netns exec sw-gwL "$gateway" auto --up sw-psk --rundir "$work/gwL/run"
    "$sw/check-tunnel.sh" -t 15
    echo "gw-strongswan: ok: gateway initiator, $name"
    stop_all
}

# strongSwan on gwL initiates (auto=start); our gateway on gwR responds.
case_responder() {
    local name=$1 sw_ike=$2 sw_esp=$3
    shift 3
    write_gateway_conf gwR sw-psk authby=secret "$@"
    start_gateway gwR
    "$sw/strongswan-peer.sh" start gwL "$(strongswan_conf gwL "$sw_ike" "$sw_esp")" >/dev/null
    "$sw/strongswan-peer.sh" wait gwL sw-psk 30 >/dev/null
    "$sw/check-tunnel.sh" -t 15 -g gwR
    status=$(ip netns exec sw-gwR "$gateway" auto --status --rundir "$work/gwR/run")
    grep -q 'STATE_QUICK_R2' <<<"$status"
    echo "gw-strongswan: ok: gateway responder, $name"
    stop_all
}

# strongswan_rsa_conf SIDE: a copy of the harness's RSA config for SIDE in which the other
# side's key is ours, in the "dns:0s..." form strongSwan reads; prints its directory.
strongswan_rsa_conf() {
    local side=$1 dir="$work/sw-$1" other_end
    rm -rf "$dir"
    cp -r "$sw/configs/rsa/$side" "$dir"
    if [ "$side" = gwR ]; then other_end=left; else other_end=right; fi
    sed -i "s|^\t${other_end}rsasigkey=.*|\t${other_end}rsasigkey=\"dns:$rsa_public\"|" "$dir/ipsec.conf"
    echo "$dir"
}

# RSA, our gateway on gwL initiating, strongSwan on gwR responding.
case_rsa_initiator() {
    write_gateway_conf gwL sw-rsa authby=rsasig leftid=@gwL rightid=@gwR \
        "leftrsasigkey=$rsa_public" "rightrsasigkey=$(cat "$sw/configs/rsa/gwR/gwR.rfc3110")" \
        ike=aes128-sha1-modp2048 pfs=no
    "$sw/strongswan-peer.sh" start gwR "$(strongswan_rsa_conf gwR)" >/dev/null
    start_gateway gwL
    timeout 40 ip netns exec sw-gwL "$gateway" auto --up sw-rsa --rundir "$work/gwL/run"
    "$sw/check-tunnel.sh" -t 15
    echo "gw-strongswan: ok: gateway initiator, RSA"
    stop_all
}

# RSA, strongSwan on gwL initiating with its defaults, our gateway on gwR responding.
case_rsa_responder() {
    write_gateway_conf gwR sw-rsa authby=rsasig leftid=@gwL rightid=@gwR \
        "leftrsasigkey=$(cat "$sw/configs/rsa/gwL/gwL.rfc3110")" "rightrsasigkey=$rsa_public" \
        ike=aes128-sha2_256-curve25519 phase2alg=aes128-sha2_256 pfs=no
    start_gateway gwR
    "$sw/strongswan-peer.sh" start gwL "$(strongswan_rsa_conf gwL)" >/dev/null
    "$sw/strongswan-peer.sh" wait gwL sw-rsa 30 >/dev/null
    "$sw/check-tunnel.sh" -t 15 -g gwR
    status=$(ip netns exec sw-gwR "$gateway" auto --status --rundir "$work/gwR/run")
    grep -q 'STATE_QUICK_R2' <<<"$status"
    echo "gw-strongswan: ok: gateway responder, RSA"
    stop_all
}

run_all() {
    trap cleanup EXIT
    "$sw/topology.sh" up >/dev/null

    # strongSwan without ike=/esp= accepts aes128-sha1-modp2048 without PFS, and offers
    # AES-128/SHA2-256/Curve25519 with ESP AES-128/SHA2-256 and no PFS.
    case_initiator "strongSwan defaults" "" "" ike=aes128-sha1-modp2048 pfs=no
    case_responder "strongSwan defaults" "" "" ike=aes128-sha2_256-curve25519 \
        phase2alg=aes128-sha2_256 pfs=no

    case_initiator "3des-md5-modp1024" '3des-md5-modp1024!' '3des-md5-modp1024!' \
        ike=3des-md5-modp1024 phase2alg=3des-md5 pfs=yes
    case_initiator "aes128-sha1-modp2048" 'aes128-sha1-modp2048!' 'aes128-sha1-modp2048!' \
        ike=aes128-sha1-modp2048 phase2alg=aes128-sha1 pfs=yes
    case_initiator "aes256-sha2_256-modp2048" 'aes256-sha256-modp2048!' 'aes256-sha256-modp2048!' \
        ike=aes256-sha2_256-modp2048 phase2alg=aes256-sha2_256 pfs=yes
    case_responder "3des-md5-modp1024" '3des-md5-modp1024!' '3des-md5-modp1024!' \
        ike=3des-md5-modp1024 phase2alg=3des-md5 pfs=yes
    case_responder "aes256-sha2_256-modp2048" 'aes256-sha256-modp2048!' 'aes256-sha256-modp2048!' \
        ike=aes256-sha2_256-modp2048 phase2alg=aes256-sha2_256 pfs=yes

    case_rsa_initiator
    case_rsa_responder
}

rsa_key=$("$gateway" rsasigkey 2048)
printf ': RSA {\n%s\n}\n' "$rsa_key" >"$work/rsa.secrets"
rsa_public=$("$gateway" showhostkey --left --secrets "$work/rsa.secrets" | grep -o '0s[A-Za-z0-9+/=]*')

export -f run_all case_initiator case_responder case_rsa_initiator case_rsa_responder \
    write_gateway_conf strongswan_conf strongswan_rsa_conf start_gateway stop_all cleanup
export sw gateway work psk rsa_key rsa_public
timeout 300 flock /tmp/ipsec-rs-sw.lock bash -c 'set -euo pipefail; run_all'
