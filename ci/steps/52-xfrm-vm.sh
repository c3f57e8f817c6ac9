#!/usr/bin/env bash
# Runs the xfrm-sys tests that need kernel ESP inside the throwaway VM (Debian 12's stock kernel):
# every algorithm installs and dumps back, a byte limit expires an SA with events, pings cross
# tunnel- and transport-mode SAs. The live host tests run there too, where the probe reports ESP.
# The test executables are built on the host; the guest has no Rust toolchain.
set -euo pipefail

shared=${SHARED_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
vm="$shared/interop/vm"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

work=$(mktemp -d /tmp/xf-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! "$vm/build-image.sh" > "$work/build-image.log" 2>&1; then
    tail -n 40 "$work/build-image.log" >&2
    echo "building the VM image failed" >&2
    exit 1
fi

# `cargo test --no-run` names each executable on stderr: "Executable tests/x.rs (PATH)".
cargo test -p xfrm-sys --locked --test kernel_esp --test live_host --no-run 2>&1 \
    | sed -n 's/.*Executable .*(\(.*\))$/\1/p' > "$work/executables"
[ "$(wc -l < "$work/executables")" -eq 2 ] || { echo "expected 2 test executables" >&2; exit 1; }
while read -r executable; do
    case "$executable" in
        /*) cp "$executable" "$work/" ;;
        *) cp "$PWD/$executable" "$work/" ;;
    esac
done < "$work/executables"
kernel_esp=$(basename "$(grep kernel_esp "$work/executables")")
live_host=$(basename "$(grep live_host "$work/executables")")

# Under TCG the step took 60-100 s here (three runs); the timeout bounds a hung guest.
"$vm/run-vm.sh" --share "$work" --timeout 240 -- bash -c \
    "./$kernel_esp --include-ignored --test-threads=1 && ./$live_host --test-threads=1"
