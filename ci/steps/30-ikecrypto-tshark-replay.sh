#!/usr/bin/env bash
# tshark as an independent check of ike-sm's key derivation on the captured strongSwan sessions.
#
# The strongswan_replay test derives each session's phase 1 encryption key, ESP keys and HASH
# values, and with IKE_REPLAY_EXPORT_DIR set writes them in Wireshark's UAT formats. Given only
# those files, tshark must decrypt every encrypted ISAKMP message (and show the same HASH payload
# values) and every ESP packet (ICV good, ICMP inside). Without the files the encrypted messages
# must stay opaque, which shows that the check can fail. Runs in about 10 s after the build.
set -euo pipefail

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
shared=${SHARED_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
sessions=${STRONGSWAN_SESSIONS_DIR:-$shared/captures/strongswan}
work=$(mktemp -d /tmp/ikecrypto-tshark.XXXXXX)
trap 'rm -rf "$work"' EXIT

IKE_REPLAY_EXPORT_DIR=$work SHARED_DIR=$shared STRONGSWAN_SESSIONS_DIR=$sessions \
    cargo test --locked -q -p ike-sm --test strongswan_replay >"$work/test.log" 2>&1 || {
    cat "$work/test.log"
    echo "ikecrypto-tshark-replay: FAILED: the strongswan_replay test failed"
    exit 1
}

python3 - "$sessions" "$work" <<'EOF'
import os
import subprocess
import sys

sessions_dir, export_dir = sys.argv[1], sys.argv[2]
passed = failed = 0


def check(name, condition):
    global passed, failed
    print(("PASS " if condition else "FAIL ") + name)
    passed, failed = passed + bool(condition), failed + (not condition)


def frames(pcap, names, options=()):
    # tshark prints a "Running as user root" warning on stderr, so only stdout is parsed.
    command = ["tshark", "-r", pcap, *options, "-T", "fields", "-E", "separator=\t", "-E", "aggregator=|"]
    for name in names:
        command += ["-e", name]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        sys.exit(f"tshark failed on {pcap}: {result.stderr}")
    return [dict(zip(names, line.split("\t"))) for line in result.stdout.splitlines()]


names = ["frame.number", "isakmp.flags", "isakmp.typepayload", "isakmp.hash", "esp.spi", "esp.icv_good", "icmp.type"]
sessions = sorted(os.listdir(export_dir))
sessions = [s for s in sessions if os.path.isdir(os.path.join(export_dir, s))]
check("replay exported at least one session", len(sessions) > 0)

for session in sessions:
    keys = os.path.join(export_dir, session)
    pcap = os.path.join(sessions_dir, session, "session.pcap")
    table = open(os.path.join(keys, "ikev1_decryption_table")).read().strip()
    options = ["-o", f"uat:ikev1_decryption_table:{table}",
               "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE"]
    for line in open(os.path.join(keys, "esp_sa")).read().splitlines():
        options += ["-o", f"uat:esp_sa:{line}"]
    expected_hashes = set(open(os.path.join(keys, "hashes")).read().split())

    plain = frames(pcap, names)
    keyed = frames(pcap, names, options)
    encrypted = [i for i, f in enumerate(keyed) if f["isakmp.flags"] and int(f["isakmp.flags"], 16) & 1]
    esp = [i for i, f in enumerate(keyed) if f["esp.spi"]]

    check(f"{session}: has encrypted ISAKMP messages", len(encrypted) >= 5)
    check(f"{session}: encrypted messages opaque without keys",
          all(plain[i]["isakmp.typepayload"] == "" for i in encrypted))
    check(f"{session}: every encrypted message decrypts",
          all(keyed[i]["isakmp.typepayload"] != "" for i in encrypted))
    displayed_hashes = {keyed[i]["isakmp.hash"] for i in encrypted if keyed[i]["isakmp.hash"]}
    check(f"{session}: HASH payloads equal the derived values", displayed_hashes == expected_hashes)
    check(f"{session}: has ESP packets", len(esp) > 0)
    check(f"{session}: every ESP ICV good with derived keys",
          all(keyed[i]["esp.icv_good"] == "1" for i in esp))
    check(f"{session}: every ESP packet decrypts to ICMP",
          all(keyed[i]["icmp.type"] in ("0", "8") for i in esp))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
