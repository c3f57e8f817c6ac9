#!/usr/bin/env bash
# tshark as an independent decoder of ike-sm's output. Handshakes (three phase 1 suites, PSK
# with forceencaps and behind a NAT, RSA signatures, transport mode behind a NAT) are written to
# a pcap, which must show no malformed or error-level expert item. With the engine's exported
# ikev1_decryption_table, tshark must decrypt both encrypted Main Mode messages and all three
# Quick Mode messages, and read the NAT-OA addresses of the transport-mode Quick Mode.
# Runs from the repository root; needs tshark.
set -euo pipefail

command -v tshark > /dev/null || { echo "tshark is not installed" >&2; exit 1; }
cargo test --locked -q -p ike-sm --test tshark -- --ignored
