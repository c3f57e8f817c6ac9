#!/usr/bin/env bash
# Recovery, in namespaces gw-r-*: with dpddelay=2, dpdtimeout=6, dpdaction=restart and
# auto=start on both gateways, killing the right gateway's daemon (SIGKILL) and starting it
# again brings the tunnel back within dpddelay + dpdtimeout + 10 s, proven by a ping from
# hostL to hostR and a capture of the outside link that shows only IKE and ESP.
set -euo pipefail

. "$(dirname "$0")/../lib/gateway-netns.sh"

dpddelay=2
dpdtimeout=6
deadline=$((dpddelay + dpdtimeout + 10))

gw_init gw-recovery gw-r
trap gw_cleanup EXIT
topology_up gw-r

for side in gwL gwR; do
    write_conf "$side" authby=secret dpddelay=$dpddelay dpdtimeout=$dpdtimeout dpdaction=restart auto=start
    write_psk "$side" gw-recovery-psk-0123456789
done

# wait_for_ping SECONDS: pings every half second until one gets a reply; prints the seconds taken.
wait_for_ping() {
    local start=$SECONDS
    while [ $((SECONDS - start)) -lt "$1" ]; do
        if ip netns exec "$prefix-hostL" ping -c 1 -W 1 10.0.0.105 >/dev/null 2>&1; then
            echo $((SECONDS - start))
            return 0
        fi
        sleep 0.5
    done
    return 1
}

gw_start gwR --retransmit-interval 1
gw_start gwL --retransmit-interval 1
wait_for_ping 20 >/dev/null || fail "the tunnel did not come up at start"
echo "gw-recovery: ok: auto=start brought the tunnel up"

# restart_right: kills the right daemon with SIGKILL and starts it again, then checks that a
# ping crosses within the deadline and that the outside link shows only IKE and ESP.
restart_right() {
    local label=$1 pid taken clear esp
    pid=$(cat "$work/gwR/run/pluto.pid")
    kill -KILL "$pid"
    while [ -e "/proc/$pid" ]; do sleep 0.1; done
    rm -f "$work/gwR/run/pluto.pid"
    gw_start gwR --retransmit-interval 1

    capture_start gwL recovery
    taken=$(wait_for_ping "$deadline") || fail "$label: no ping across the tunnel within $deadline s of the restart"
    ping_across || fail "$label: ping after recovery"
    sleep 0.3
    capture_stop
    clear=$(count_packets recovery 'ip and not esp and not udp port 500 and not udp port 4500')
    esp=$(count_packets recovery esp)
    [ "$clear" -eq 0 ] || fail "$label: $clear packets on the outside link were neither IKE nor ESP"
    [ "$esp" -ge 6 ] || fail "$label: expected at least 6 ESP packets after recovery, found $esp"
    echo "gw-recovery: ok: $label: tunnel back ${taken} s after the restart (limit $deadline s); $esp ESP packets, no plaintext"
}

# The restarted side initiates again by itself (auto=start).
restart_right "restarted peer re-initiates"

# Let the left side's DPD finish with the ISAKMP SA the first kill orphaned, so that the next
# measurement starts from a clean state.
sleep $((dpddelay + dpdtimeout + 2))

# The restarted side only waits (auto=add): the survivor must notice through DPD and
# re-initiate (dpdaction=restart).
sed -i 's/auto=start/auto=add/' "$work/gwR/ipsec.conf"
restart_right "survivor re-initiates after DPD"
