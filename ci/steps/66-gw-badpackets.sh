#!/usr/bin/env bash
# Bad packets from the network, in namespaces gw-b-*: with the tunnel up, the right gateway's
# namespace sends the left gateway Libreswan's malformed IKEv1 regression datagrams and random
# bytes to UDP 500 and 4500, and ESP with unknown SPIs as raw ESP and in UDP/4500. The left
# gateway must count them in `auto --status`, log them rate-limited, keep exactly the same
# states, and still carry a ping as ESP only.
set -euo pipefail

root=$(pwd)
shared=${SHARED_DIR:-$root/../shared}
vectors=$shared/vectors/malformed-ikev1/libreswan-fuzzer-ikev1.tsv

. "$(dirname "$0")/../lib/gateway-netns.sh"

gw_init gw-badpackets gw-b
trap gw_cleanup EXIT
topology_up gw-b

for side in gwL gwR; do
    write_conf "$side" authby=secret auto=add
    write_psk "$side" gw-badpackets-psk-0123456789
    gw_start "$side"
done
gw_up 30 >/dev/null || fail "the tunnel did not come up"

# The state lines without their timers, which count down.
states() {
    gw_auto gwL --status | grep '^000 #' | sed 's/; EVENT_[A-Z_]* in [0-9]*s//'
}
counter() {
    gw_auto gwL --status | grep '^000 stats dropped' | grep -o "$1 [0-9]*" | grep -o '[0-9]*$'
}
before=$(states)
[ -n "$before" ] || fail "no states before the bad packets"

# Sent from the right gateway's namespace (source 192.0.2.2, ports other than 500 and 4500).
grep -v '^#' "$vectors" | cut -f2 >"$work/malformed.hex"
ip netns exec gw-b-gwR python3 - "$work/malformed.hex" <<'PY'
import os, socket, sys, time

# Paced, 1 ms apart, so that the receiver's socket buffers do not overflow (400 datagrams a side).
def pause():
    time.sleep(0.001)

target = "192.0.2.1"
malformed = [bytes.fromhex(line.strip()) for line in open(sys.argv[1]) if line.strip()]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for datagram in malformed:
    udp.sendto(datagram, (target, 500))
    udp.sendto(b"\0\0\0\0" + datagram, (target, 4500))
    pause()
for _ in range(200):
    udp.sendto(os.urandom(1 + os.urandom(1)[0] * 4), (target, 500))
    udp.sendto(b"\0\0\0\0" + os.urandom(1 + os.urandom(1)[0] * 4), (target, 4500))
    pause()
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
for index in range(100):
    esp = (0x7fff0000 + index).to_bytes(4, "big") + index.to_bytes(4, "big") + os.urandom(64)
    udp.sendto(esp, (target, 4500))
    raw.sendto(esp, (target, 0))
    pause()
PY
sleep 1

malformed_ike=$(counter 'malformed IKE')
unknown_spi=$(counter 'unknown SPI')
echo "gw-badpackets: counted malformed IKE $malformed_ike, unknown SPI $unknown_spi"
[ "$unknown_spi" -ge 200 ] || fail "expected at least 200 ESP packets with unknown SPIs counted, found $unknown_spi"
# Every random datagram is malformed unless it happens to parse. The six regression datagrams
# may parse and reach the engine, which drops them, so the bound is loose.
[ "$malformed_ike" -ge 300 ] || fail "expected at least 300 malformed IKE datagrams counted, found $malformed_ike"
after=$(states)
[ "$before" = "$after" ] || fail "the states changed:
$before
---
$after"
logged=$(grep -c 'ESP packet with an unknown SPI dropped' "$work/gwL/run/pluto.log" || true)
[ "$logged" -le 2 ] || fail "$logged log lines for unknown SPIs: the log is not rate-limited"
pgrep -F "$work/gwL/run/pluto.pid" >/dev/null || fail "the left daemon died"

capture_start gwL after
ping_across || fail "ping after the bad packets"
sleep 0.3
capture_stop
esp=$(count_packets after esp)
clear=$(count_packets after 'ip and not esp and not udp port 500')
[ "$esp" -ge 6 ] || fail "expected at least 6 ESP packets, found $esp"
[ "$clear" -eq 0 ] || fail "$clear packets on the outside link were neither IKE nor ESP"
echo "gw-badpackets: ok: states unchanged, $logged log lines, tunnel still carries ESP only"
