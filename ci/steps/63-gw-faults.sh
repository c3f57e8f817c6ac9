#!/usr/bin/env bash
# The HOWTO's faults, in namespaces gw-f-*: auto=add waits for `auto --up` (nothing is sent
# before it, then the tunnel carries a ping as ESP only); a wrong RSA key gives
# INVALID_KEY_INFORMATION and the retransmission limit message; a config with unindented
# parameters is rejected with file:line and the daemon does not start.
set -euo pipefail

. "$(dirname "$0")/../lib/gateway-netns.sh"

gw_init gw-faults gw-f
trap gw_cleanup EXIT
topology_up gw-f

# --- auto=add does not start the tunnel until auto --up.
for side in gwL gwR; do
    write_conf "$side" authby=secret auto=add
    write_psk "$side" gw-faults-psk-0123456789
done
capture_start gwR idle
gw_start gwR --retransmit-interval 1
gw_start gwL --retransmit-interval 1
sleep 3
capture_stop
idle=$(count_packets idle)
[ "$idle" -eq 0 ] || fail "auto=add sent $idle packets before auto --up"
status=$(gw_auto gwL --status)
if grep -q 'STATE_' <<<"$status"; then fail "auto=add created a state before auto --up"; fi
echo "gw-faults: ok: auto=add sent nothing and created no state in 3 s"

capture_start gwR up
gw_up 30 | tee "$work/up.txt"
grep -q 'IPsec SA established' "$work/up.txt" || fail "auto --up did not establish the SA"
ping_across || fail "ping across the tunnel"
sleep 0.3
capture_stop
esp=$(count_packets up esp)
clear=$(count_packets up 'ip and not esp and not udp port 500')
[ "$esp" -ge 6 ] || fail "expected at least 6 ESP packets on the outside link, found $esp"
[ "$clear" -eq 0 ] || fail "$clear packets on the outside link were neither IKE nor ESP"
echo "gw-faults: ok: auto --up brought the tunnel up; ping crossed as $esp ESP packets"
gw_stop gwL
gw_stop gwR

# --- A wrong RSA key: the responder has a key for the left side that is not left's.
for side in gwL gwR other; do
    mkdir -p "$work/$side"
    key=$("$gateway" rsasigkey 2048)
    printf ': RSA {\n%s\n}\n' "$key" >"$work/$side/ipsec.secrets"
    chmod 600 "$work/$side/ipsec.secrets"
done
left_key=$("$gateway" showhostkey --left --secrets "$work/gwL/ipsec.secrets" | grep -o 'leftrsasigkey=.*')
right_key=$("$gateway" showhostkey --right --secrets "$work/gwR/ipsec.secrets" | grep -o 'rightrsasigkey=.*')
wrong_left_key=$("$gateway" showhostkey --left --secrets "$work/other/ipsec.secrets" | grep -o 'leftrsasigkey=.*')
write_conf gwL authby=rsasig leftid=@vpn1.example.com rightid=@vpn2.example.com "$left_key" "$right_key" auto=add
write_conf gwR authby=rsasig leftid=@vpn1.example.com rightid=@vpn2.example.com "$wrong_left_key" "$right_key" auto=add
gw_start gwR --retransmit-interval 1
gw_start gwL --retransmit-interval 1
set +e
gw_up 60 >"$work/wrong.txt"
rc=$?
set -e
cat "$work/wrong.txt"
[ "$rc" -ne 0 ] || fail "auto --up with a wrong RSA key exited 0"
[ "$rc" -ne 124 ] || fail "auto --up with a wrong RSA key did not finish within 60 s"
grep -q 'ignoring informational payload, type INVALID_KEY_INFORMATION' "$work/wrong.txt" \
    || fail "no INVALID_KEY_INFORMATION line"
grep -q '^031 .*max number of retransmissions (2) reached STATE_MAIN_I3' "$work/wrong.txt" \
    || fail "no retransmission limit line"
echo "gw-faults: ok: a wrong RSA key gives INVALID_KEY_INFORMATION and exit status $rc"
gw_stop gwL
gw_stop gwR

# --- Unindented parameters: rejected with file:line, and no daemon is left behind.
printf 'conn net-to-net\nleft=192.0.2.1\nleftsubnet=172.16.1.0/24\n    right=192.0.2.2\n    auto=add\n' \
    >"$work/gwL/ipsec.conf"
set +e
gw_start gwL --retransmit-interval 1 2>"$work/unindented.txt"
rc=$?
set -e
cat "$work/unindented.txt"
[ "$rc" -ne 0 ] || fail "setup start accepted unindented parameters"
grep -q "$work/gwL/ipsec.conf:2" "$work/unindented.txt" || fail "the error does not name ipsec.conf:2"
[ ! -e "$work/gwL/run/pluto.pid" ] || fail "a pid file was left behind"
[ ! -e "$work/gwL/run/pluto.ctl" ] || fail "a control socket was left behind"
if ip -n gw-f-gwL link show ipsec0 >/dev/null 2>&1; then fail "the TUN device was created"; fi
echo "gw-faults: ok: unindented parameters are rejected and the daemon does not start"
