# Shared code of the guest scripts that ci/steps/68 and 69 run in the throwaway VM, where it is
# sourced from the share next to topology.sh. Our gateway runs in gw-v-gwL of the topology and
# Libreswan 4.10 in gw-v-gwR, with its own mount namespace for /etc/ipsec.*, /run/pluto and its
# NSS database. The guest script defines fail and sets gateway (our binary) and ls_dir, the
# directory of Libreswan's files, where it writes ipsec.conf and ipsec.secrets first.

# shellcheck source=ci/lib/topology.sh
. ./topology.sh

# check_ping LABEL: pings hostR from hostL and captures what each gateway sends on the outside
# link (-Q out, because the kernel shows decrypted inner packets as arriving on out0 too). Fails
# unless at least 6 packets are ESP and none are neither IKE nor ESP.
check_ping() {
    local label=$1 left right esp clear file
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

# lsexec COMMAND...: runs COMMAND in Libreswan's mount namespace and in gw-v-gwR.
lsexec() {
    nsenter --mount=/run/mntns/gwR --net=/run/netns/gw-v-gwR -- "$@"
}

# libreswan_prepare: creates Libreswan's mount namespace, where $ls_dir's ipsec.conf,
# ipsec.secrets, ipsec.d, run and nss are bind-mounted at their usual paths, and its NSS database.
libreswan_prepare() {
    mkdir -p "$ls_dir/run" "$ls_dir/nss" "$ls_dir/ipsec.d/policies" /run/mntns
    mountpoint -q /run/mntns || { mount --bind /run/mntns /run/mntns; mount --make-private /run/mntns; }
    touch /run/mntns/gwR
    mkdir -p /run/pluto /var/lib/ipsec/nss
    unshare --mount=/run/mntns/gwR --propagation private sh -ec "
        mount --bind $ls_dir/ipsec.conf /etc/ipsec.conf
        mount --bind $ls_dir/ipsec.secrets /etc/ipsec.secrets
        mount --bind $ls_dir/ipsec.d /etc/ipsec.d
        mount --bind $ls_dir/run /run/pluto
        mount --bind $ls_dir/nss /var/lib/ipsec/nss"
    lsexec ipsec initnss >/dev/null 2>&1 || lsexec ipsec checknss >/dev/null
}

# libreswan_start: starts pluto, loads conn net-to-net, and adds the route to hostL's subnet
# that Libreswan does not add for a plain subnet-to-subnet conn.
libreswan_start() {
    lsexec ipsec pluto --config /etc/ipsec.conf
    for _ in $(seq 100); do lsexec test -S /run/pluto/pluto.ctl && break; sleep 0.1; done
    lsexec ipsec whack --listen >/dev/null
    lsexec ipsec auto --add net-to-net >/dev/null
    ip -n gw-v-gwR route replace 172.16.1.0/24 via 192.0.2.1 dev out0
}

# libreswan_both_ways KIND DIR: brings net-to-net up between our gateway (--datapath kernel,
# with DIR's ipsec.conf, ipsec.secrets and run directory) and the running Libreswan, first with
# our gateway as initiator, then as responder. Checks a ping each time, then stops pluto.
libreswan_both_ways() {
    local kind=$1 dir=$2 status
    local gw_args=(--config "$dir/ipsec.conf" --secrets "$dir/ipsec.secrets" --rundir "$dir/run")

    ip netns exec gw-v-gwL "$gateway" setup start --datapath kernel "${gw_args[@]}"
    timeout 60 ip netns exec gw-v-gwL "$gateway" auto --up net-to-net --rundir "$dir/run" \
        || fail "our gateway could not bring the $kind tunnel up with Libreswan"
    check_ping "$kind, gateway initiator, Libreswan responder"
    ip netns exec gw-v-gwL "$gateway" setup stop --rundir "$dir/run" >/dev/null
    sleep 1
    lsexec ipsec auto --delete net-to-net >/dev/null 2>&1 || true
    lsexec ipsec auto --add net-to-net >/dev/null

    ip netns exec gw-v-gwL "$gateway" setup start --datapath kernel "${gw_args[@]}"
    # Libreswan initiates from the right side towards our gateway, which only responds.
    lsexec timeout 60 ipsec auto --up net-to-net | tail -n 3
    status=$(ip netns exec gw-v-gwL "$gateway" auto --status --rundir "$dir/run")
    grep -q 'STATE_QUICK_R2' <<<"$status" || fail "our gateway did not reach STATE_QUICK_R2 with Libreswan initiating"
    check_ping "$kind, Libreswan initiator, gateway responder"
    ip netns exec gw-v-gwL "$gateway" setup stop --rundir "$dir/run" >/dev/null
    lsexec ipsec whack --shutdown >/dev/null 2>&1 || true
}
