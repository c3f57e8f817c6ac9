# Shared code of the gateway steps that run two of our gateways in the namespace topology of
# topology.sh (ci/steps/63-66). A step calls gw_init, sets `trap gw_cleanup EXIT`, then
# topology_up "$prefix". The functions below read the globals that gw_init sets: step (the
# name in messages), prefix (of the namespaces), gateway (the binary) and work (a temporary
# directory with one subdirectory per gateway side, gwL or gwR).

# shellcheck source=ci/lib/topology.sh
. "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

# gw_init STEP PREFIX: builds the gateway and sets step, prefix, gateway and work.
gw_init() {
    step=$1
    prefix=$2
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
    cargo build --locked -q -p gateway
    gateway=$(readlink -f "$CARGO_TARGET_DIR/debug/gateway")
    work=$(mktemp -d "/tmp/$step.XXXXXX")
}

# gw_cleanup: the EXIT trap. Stops both daemons and the capture, deletes the namespaces, and
# removes the work directory unless KEEP_WORK is set.
gw_cleanup() {
    local side
    for side in gwL gwR; do
        ip netns exec "$prefix-$side" "$gateway" setup stop --rundir "$work/$side/run" >/dev/null 2>&1 || true
    done
    [ -z "${capture_pid:-}" ] || kill "$capture_pid" 2>/dev/null || true
    topology_down "$prefix"
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}

# fail MESSAGE: prints MESSAGE and the end of each daemon's log, then exits with status 1.
fail() {
    local side
    echo "$step: FAILED: $*"
    for side in gwL gwR; do
        [ -f "$work/$side/run/pluto.log" ] || continue
        echo "--- $side log"
        tail -n 30 "$work/$side/run/pluto.log"
    done
    exit 1
}

# write_conf SIDE PARAMETER...: writes $work/SIDE/ipsec.conf, the HOWTO's conn net-to-net from
# 192.0.2.1 (172.16.1.0/24) to 192.0.2.2 (10.0.0.0/24) with each PARAMETER (`auto=add`, ...).
write_conf() {
    local side=$1 parameter
    shift
    mkdir -p "$work/$side"
    {
        printf 'conn net-to-net\n'
        printf '    left=192.0.2.1\n    leftsubnet=172.16.1.0/24\n'
        printf '    right=192.0.2.2\n    rightsubnet=10.0.0.0/24\n'
        for parameter in "$@"; do printf '    %s\n' "$parameter"; done
    } >"$work/$side/ipsec.conf"
}

# write_psk SIDE PSK: writes $work/SIDE/ipsec.secrets (mode 600) with PSK for the two gateways.
write_psk() {
    mkdir -p "$work/$1"
    echo "192.0.2.1 192.0.2.2 : PSK \"$2\"" >"$work/$1/ipsec.secrets"
    chmod 600 "$work/$1/ipsec.secrets"
}

# gw_start SIDE [OPTION...]: starts SIDE's daemon (`setup start OPTION...`) with the ipsec.conf,
# ipsec.secrets and run directory under $work/SIDE.
gw_start() {
    local side=$1
    shift
    ip netns exec "$prefix-$side" "$gateway" setup start "$@" \
        --config "$work/$side/ipsec.conf" --secrets "$work/$side/ipsec.secrets" --rundir "$work/$side/run"
}

# gw_stop SIDE: stops SIDE's daemon.
gw_stop() {
    ip netns exec "$prefix-$1" "$gateway" setup stop --rundir "$work/$1/run" >/dev/null
}

# gw_auto SIDE ARGUMENT...: runs `gateway auto ARGUMENT...` against SIDE's daemon.
gw_auto() {
    local side=$1
    shift
    ip netns exec "$prefix-$side" "$gateway" auto "$@" --rundir "$work/$side/run"
}

# gw_up SECONDS: runs `auto --up net-to-net` on gwL, killed after SECONDS, and returns its status.
gw_up() {
    timeout "$1" ip netns exec "$prefix-gwL" "$gateway" auto --up net-to-net --rundir "$work/gwL/run"
}

# ping_across: pings hostR from hostL three times and returns ping's status.
ping_across() {
    ip netns exec "$prefix-hostL" ping -c 3 -i 0.3 -W 2 10.0.0.105 >/dev/null
}

# capture_start SIDE NAME: captures IP packets on SIDE's out0 into $work/NAME.pcap in the
# background, sets capture_pid, and waits until tcpdump listens (at most 10 s).
capture_start() {
    local side=$1 name=$2
    ip netns exec "$prefix-$side" tcpdump -i out0 -n -U --immediate-mode -w "$work/$name.pcap" ip \
        2>"$work/$name.err" &
    capture_pid=$!
    for _ in $(seq 100); do
        grep -q 'listening on' "$work/$name.err" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "tcpdump on $side out0 did not start within 10 s"
}

# capture_stop: interrupts the capture, so that tcpdump writes what it has, and waits for it.
capture_stop() {
    kill -INT "$capture_pid"
    wait "$capture_pid" || true
    capture_pid=
}

# count_packets NAME [FILTER...]: prints how many packets of $work/NAME.pcap match the tcpdump
# FILTER (all packets without one).
count_packets() {
    local name=$1
    shift
    tcpdump -n -r "$work/$name.pcap" "$@" 2>/dev/null | wc -l
}
