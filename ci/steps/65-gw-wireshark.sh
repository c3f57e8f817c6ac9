#!/usr/bin/env bash
# Wireshark key export, in namespaces gw-w-*: with --wireshark-keys, the gateway writes
# ikev1_decryption_table and esp_sa; tshark, given only those files, decrypts Main Mode's
# encrypted messages (the ID payload) and the ESP packets of a ping (ICV good, ICMP inside).
# The capture also shows that the outside link carried nothing but IKE and ESP.
set -euo pipefail

. "$(dirname "$0")/../lib/gateway-netns.sh"

gw_init gw-wireshark gw-w
trap gw_cleanup EXIT
topology_up gw-w

for side in gwL gwR; do
    write_conf "$side" authby=secret ike=aes128-sha1-modp2048 phase2alg=aes128-sha1 auto=add
    write_psk "$side" gw-wireshark-psk-0123456789
    gw_start "$side" --wireshark-keys "$work/$side/keys"
done

capture_start gwL outside
gw_up 30 >/dev/null
ping_across || fail "ping across the tunnel"
sleep 0.3
capture_stop

clear=$(count_packets outside 'ip and not esp and not udp port 500')
[ "$clear" -eq 0 ] || fail "$clear packets on the outside link were neither IKE nor ESP"

for name in ikev1_decryption_table esp_sa; do
    [ -s "$work/gwL/keys/$name" ] || fail "$name was not written"
    [ "$(stat -c %a "$work/gwL/keys/$name")" = 600 ] || fail "$name is readable by others"
done

options=(-o "uat:ikev1_decryption_table:$(head -n 1 "$work/gwL/keys/ikev1_decryption_table")"
         -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE)
while read -r line; do
    options+=(-o "uat:esp_sa:$line")
done <"$work/gwL/keys/esp_sa"

# tshark warns about running as root on stderr; only stdout is parsed.
ids=$(tshark -r "$work/outside.pcap" "${options[@]}" -Y 'isakmp.exchangetype == 2' \
    -T fields -e isakmp.id.data.ipv4_addr 2>/dev/null | grep -c '192.0.2' || true)
[ "$ids" -ge 2 ] || fail "tshark decrypted $ids Main Mode ID payloads, expected 2"
icmp=$(tshark -r "$work/outside.pcap" "${options[@]}" -Y 'esp.icv_good == 1 && icmp' \
    -T fields -e frame.number 2>/dev/null | wc -l)
[ "$icmp" -ge 6 ] || fail "tshark decrypted $icmp ESP packets with a good ICV and ICMP inside, expected 6"
without=$(tshark -r "$work/outside.pcap" -Y icmp -T fields -e frame.number 2>/dev/null | wc -l)
[ "$without" -eq 0 ] || fail "ICMP is visible without the keys"
echo "gw-wireshark: ok: tshark decrypted $ids Main Mode ID payloads and $icmp ESP packets with the exported keys"
