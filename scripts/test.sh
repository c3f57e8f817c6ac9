#!/usr/bin/env bash
# Runs every test of the workspace: formatting, clippy, the unit and integration tests, then each
# step under ci/steps/ (tshark oracle checks, fuzz smoke runs, namespace tunnels, interop with
# strongSwan and Libreswan, VM tests). Needs root for the namespace, interop and VM steps.
#
# Environment: SHARED_DIR (default ../shared), STEPS (a glob of step names to run, default all),
# SKIP_INSTALL=1 to skip scripts/install-deps.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export SHARED_DIR=${SHARED_DIR:-$(cd "$root/.." && pwd)/shared}
export CARGO_TERM_COLOR=never

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    scripts/install-deps.sh
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

passed=0
failed=0
failed_names=()
for step in ci/steps/${STEPS:-*}.sh; do
    [ -e "$step" ] || continue
    name=$(basename "$step" .sh)
    echo "=== step $name"
    start=$(date +%s)
    if bash "$step"; then
        passed=$((passed + 1))
        echo "=== step $name: ok ($(( $(date +%s) - start )) s)"
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        echo "=== step $name: FAILED ($(( $(date +%s) - start )) s)"
    fi
done

[ "$failed" -eq 0 ] || echo "failed steps: ${failed_names[*]}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
