#!/usr/bin/env bash
# Fuzz smoke run of the rfc3110_key target (RFC 3110 key text and blobs, Openswan RSA blocks),
# seeded with the shared RFC 3110 vectors in 0s, 0x, dns:0s and binary form and with the RSA
# blocks of the Openswan sample secrets. FUZZ_SECONDS sets the run time (default 20); the
# recorded 10-minute run uses FUZZ_SECONDS=600. Runs from the repository root.
set -euo pipefail

. "$(dirname "$0")/../lib/fuzz.sh"

seconds=${FUZZ_SECONDS:-20}
shared=${SHARED_DIR:-$(cd .. && pwd)/shared}
corpus=fuzz/corpus/rfc3110_key
mkdir -p "$corpus"

count=0
for key in $(grep -o '"pubkey_0s": "0s[^"]*"' "$shared/vectors/rsa-keys/openswan_pubkey_0s_vs_modulus.json" \
        | sed 's/.*"\(0s[^"]*\)"/\1/'); do
    count=$((count + 1))
    printf '%s' "$key" > "$corpus/vector-$count-0s"
    printf 'dns:%s' "$key" > "$corpus/vector-$count-dns"
    printf '%s' "${key#0s}" | base64 -d > "$corpus/vector-$count-blob"
    printf '0x%s' "$(od -An -v -tx1 "$corpus/vector-$count-blob" | tr -d ' \n')" > "$corpus/vector-$count-0x"
done
if [ "$count" -ne 13 ]; then
    echo "expected 13 RFC 3110 vectors, found $count" >&2
    exit 1
fi

blocks=0
for file in "$shared"/corpus/openswan-samples/*secrets*; do
    blocks=$((blocks + 1))
    # Each `: RSA {` ... `}` entry becomes one seed.
    awk -v prefix="$corpus/block-$blocks-" '
        /: RSA/ { inside = 1; n++ }
        inside { print > (prefix n) }
        inside && /^[[:space:]]*}/ { inside = 0 }
    ' "$file"
done
echo "seeded $count vectors and the RSA blocks of $blocks secrets files"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
fuzz_run "$log" rfc3110_key "$seconds" -max_len=16384
