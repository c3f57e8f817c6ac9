#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian 12 machine (root, idempotent).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_DIR:-$root/../shared}

apt_pkgs=(tshark tcpdump iproute2 iputils-ping iperf3 ike-scan openssl strace valgrind
          iptables procps python3)
missing=()
for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -q
    # tshark asks whether non-root users may capture; answer no without a prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}"
fi

# Real peers and the VM image come from the shared interop harnesses.
if [ -d "$shared/interop" ]; then
    "$shared/interop/strongswan/install-deps.sh" >/dev/null
    "$shared/interop/libreswan/install-deps.sh" >/dev/null
    if [ "${SKIP_VM:-0}" != 1 ]; then
        "$shared/interop/vm/build-image.sh" >/dev/null
    fi
fi

# cargo-fuzz, for the fuzz smoke runs.
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi
