#!/usr/bin/env bash
# Compares the esp crate's per-core ESP throughput with `openssl speed -evp` in one run.
#
# For each pair it prints our encapsulation MB/s, OpenSSL's MB/s for the same cipher and MAC,
# and the ratio of packets per second. Both sides divide by CPU time (ours from
# /proc/thread-self/schedstat, OpenSSL's by default), so the figures are per core even on a
# loaded machine. Each side runs ROUNDS times, interleaved, and the best round counts.
#
# Our packets are 1400-byte inner IPv4 packets in tunnel mode. AES-CBC pads them to 1408
# bytes of ciphertext, so OpenSSL's AES-CBC rows use 1408-byte buffers: its stitched
# aes-128-cbc-hmac-sha1 also rejects lengths that are not a multiple of 16 and would report
# a meaningless rate for 1400. The ratio compares packets per second: ours / (OpenSSL's
# bytes per second / its buffer length).
#
# Environment: SECONDS_PER_RUN (default 2), ROUNDS (default 3), CARGO_TARGET_DIR.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${SECONDS_PER_RUN:-2}
rounds=${ROUNDS:-3}
target=${CARGO_TARGET_DIR:-$root/target}

cargo build --quiet --release -p esp --example esp_speed
speed="$target/release/examples/esp_speed"

# ours-suite  our-size  openssl-cipher  openssl-size
pairs=(
    "aes128-sha1 1400 aes-128-cbc-hmac-sha1 1408"
    "aes128-gcm 1400 aes-128-gcm 1400"
    "aes256-gcm 1400 aes-256-gcm 1400"
    "aes128-sha256 1400 aes-128-cbc-hmac-sha256 1408"
    "3des-md5 1400 des-ede3-cbc 1408"
)

openssl_rate() { # cipher size -> bytes per second of CPU time
    openssl speed -evp "$1" -bytes "$2" -seconds "$seconds" -mr 2>/dev/null |
        awk -F: '/^\+F:/ { print $4 }'
}

printf '%-16s %6s %12s %12s %-26s %6s %12s %7s\n' \
    suite size "encap MB/s" "decap MB/s" "openssl -evp" size "MB/s" ratio
for pair in "${pairs[@]}"; do
    read -r ours size cipher openssl_size <<<"$pair"
    best_encap=0 best_decap=0 best_openssl=0
    for _ in $(seq "$rounds"); do
        read -r _ _ encap decap < <("$speed" "$ours" "$size" "$seconds")
        rate=$(openssl_rate "$cipher" "$openssl_size")
        [ -n "$rate" ] || { echo "openssl speed -evp $cipher produced no result" >&2; exit 1; }
        best_encap=$(awk -v a="$best_encap" -v b="$encap" 'BEGIN { print (b > a) ? b : a }')
        best_decap=$(awk -v a="$best_decap" -v b="$decap" 'BEGIN { print (b > a) ? b : a }')
        best_openssl=$(awk -v a="$best_openssl" -v b="$rate" 'BEGIN { print (b > a) ? b : a }')
    done
    awk -v ours="$ours" -v size="$size" -v encap="$best_encap" -v decap="$best_decap" \
        -v cipher="$cipher" -v osize="$openssl_size" -v rate="$best_openssl" 'BEGIN {
        openssl_mbps = rate / 1e6
        ratio = (encap / size) / (openssl_mbps / osize)
        printf "%-16s %6d %12.1f %12.1f %-26s %6d %12.1f %7.2f\n", ours, size, encap, decap, cipher, osize, openssl_mbps, ratio
    }'
done
