#!/usr/bin/env bash
# Smoke run of the esp_decap fuzz target: build it and fuzz for 20 seconds from an empty
# corpus. Long runs are done by hand and recorded in BENCHMARKS.md.
#
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the stable toolchain.
# `-s none` skips AddressSanitizer: the esp crate forbids unsafe code, so the run looks for
# panics, and an uninstrumented build is faster to compile.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$(mktemp -d /tmp/es-fuzz-smoke.XXXXXX)
trap 'rm -rf "$corpus"' EXIT

cd "$root/fuzz"
RUSTC_BOOTSTRAP=1 cargo fuzz build -s none esp_decap
RUSTC_BOOTSTRAP=1 cargo fuzz run -s none esp_decap "$corpus" -- \
    -max_total_time=20 -rss_limit_mb=2048 -artifact_prefix="$corpus/"
