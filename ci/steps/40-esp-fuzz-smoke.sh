#!/usr/bin/env bash
# Smoke run of the esp_decap fuzz target: fuzz for 20 seconds from an empty corpus (or
# ESP_FUZZ_SECONDS). Long runs are done by hand and recorded in BENCHMARKS.md.
#
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the stable toolchain.
# The build uses cargo-fuzz's default AddressSanitizer, like the other fuzz steps, so that
# they share one build of the fuzz crate.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${ESP_FUZZ_SECONDS:-20}
corpus=$(mktemp -d /tmp/es-fuzz-smoke.XXXXXX)
trap 'rm -rf "$corpus"' EXIT

cd "$root/fuzz"
RUSTC_BOOTSTRAP=1 cargo fuzz run esp_decap "$corpus" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$corpus/"
