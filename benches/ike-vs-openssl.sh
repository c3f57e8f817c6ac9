#!/usr/bin/env bash
# Compares ike-sm's Diffie-Hellman cost with OpenSSL's for the same group sizes, in one run.
#
# Runs the criterion bench crates/ike-sm/benches/dh.rs (MODP2048 and Curve25519: key generation
# and shared secret) and `openssl speed ffdh2048 ecdhx25519`, then prints microseconds per
# operation and the ratio ours/OpenSSL. OpenSSL's ffdh2048 uses the RFC 7919 ffdhe2048 prime and
# its own exponent length, so the MODP2048 row compares same-size groups, not the same prime.
#
# Handshake hook: the script also runs the criterion bench named `handshake` in the package
# HANDSHAKE_BENCH_PACKAGE (default: ipsec-benches) when that package declares it. For each group
# (modp2048, curve25519) that bench reports `handshake-<group>/psk_main_quick`, one complete
# in-memory PSK Main Mode + Quick Mode handshake between two engines without PFS. The script
# prints its time, and the share of it spent in DH. It also prints its ratio to four of our DH
# operations (two key generations and two shared secrets) and to four OpenSSL DH operations. The
# four DH operations come from `handshake-<group>/four_dh_operations` in the same bench process,
# measured right after the handshakes. The dh bench runs in another process minutes earlier, and
# on a shared 2-CPU VM its figures can drift by 20% or more from the handshake bench's, which
# would show up as non-DH cost that the engine does not have.
#
# Usage: benches/ike-vs-openssl.sh            (about 5 minutes including the release build)
# Environment: BENCH_SECONDS (measurement time per benchmark, default 3), CARGO_TARGET_DIR,
#              HANDSHAKE_BENCH_PACKAGE, SKIP_HANDSHAKE=1 to skip the hook.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
seconds=${BENCH_SECONDS:-3}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
handshake_package=${HANDSHAKE_BENCH_PACKAGE:-ipsec-benches}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in cargo openssl python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found in PATH" >&2; exit 1; }
done

# Other processes distort every figure, so the load average is printed with the results.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== ike-sm DH bench (criterion, ${seconds}s per benchmark)" >&2
cargo bench -p ike-sm --bench dh -- --warm-up-time 1 --measurement-time "$seconds" >"$work/dh.log" 2>&1 || {
    cat "$work/dh.log" >&2
    echo "error: cargo bench -p ike-sm --bench dh failed" >&2
    exit 1
}

echo "== openssl speed ffdh2048 ecdhx25519 (${seconds}s each)" >&2
openssl speed -seconds "$seconds" ffdh2048 ecdhx25519 >"$work/openssl.txt" 2>"$work/openssl.err" || {
    cat "$work/openssl.err" >&2
    echo "error: openssl speed failed (ffdh needs OpenSSL 3.0 or later)" >&2
    exit 1
}

handshake=no
if [[ ${SKIP_HANDSHAKE:-0} != 1 ]] && grep -q 'name = "handshake"' "$(cargo metadata --format-version 1 --no-deps \
        | python3 -c "import json,sys; m=json.load(sys.stdin); print(next((p['manifest_path'] for p in m['packages'] if p['name']=='$handshake_package'), '/dev/null'))")"; then
    echo "== handshake bench ($handshake_package)" >&2
    if cargo bench -p "$handshake_package" --bench handshake -- --warm-up-time 1 --measurement-time "$seconds" \
            handshake- >"$work/handshake.log" 2>&1; then
        handshake=yes
    else
        cat "$work/handshake.log" >&2
        echo "error: cargo bench -p $handshake_package --bench handshake failed" >&2
        exit 1
    fi
fi

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average before: $load_before, after: $load_after ($(nproc) CPUs)"
python3 - "$target_dir/criterion" "$work/openssl.txt" "$handshake" <<'EOF'
import json
import os
import re
import sys

criterion_dir, openssl_path, handshake = sys.argv[1], sys.argv[2], sys.argv[3] == "yes"


def mean_us(bench_id):
    """Criterion's mean estimate in microseconds, or None when the bench did not report it."""
    path = os.path.join(criterion_dir, *bench_id.split("/"), "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"] / 1000.0


def openssl_us(pattern):
    with open(openssl_path) as f:
        for line in f:
            if re.search(pattern, line):
                ops_per_second = float(line.split()[-1])
                return 1e6 / ops_per_second
    sys.exit(f"error: no line matching {pattern!r} in openssl speed output")


rows = [
    ("MODP2048", "modp2048", openssl_us(r"2048 bits ffdh"), "ffdh2048 (ffdhe2048)"),
    ("Curve25519", "curve25519", openssl_us(r"ecdh \(X25519\)"), "x25519"),
]

print(f"{'group':<11} {'ours generate':>14} {'ours shared':>12} {'openssl op':>11} {'ratio':>6}  openssl group")
for label, name, reference, openssl_name in rows:
    generate = mean_us(f"dh_{name}/generate")
    shared = mean_us(f"dh_{name}/shared_secret")
    if generate is None or shared is None:
        sys.exit(f"error: criterion reported no dh/{name} results under {criterion_dir}")
    ratio = shared / reference
    print(f"{label:<11} {generate:>11.1f} us {shared:>9.1f} us {reference:>8.1f} us {ratio:>5.2f}x  {openssl_name}")

if handshake:
    print()
    print(f"{'group':<11} {'handshake':>11} {'4 DH ours':>10} {'ratio':>6} {'DH share':>9} {'4 DH openssl':>13} {'ratio':>6}")
    for label, name, reference, _ in rows:
        total = mean_us(f"handshake-{name}/psk_main_quick")
        if total is None:
            print(f"{label:<11} no handshake-{name}/psk_main_quick result")
            continue
        four_dh = mean_us(f"handshake-{name}/four_dh_operations")
        if four_dh is None:
            print(f"{label:<11} no handshake-{name}/four_dh_operations result")
            continue
        print(f"{label:<11} {total:>8.1f} us {four_dh:>7.1f} us {total / four_dh:>5.2f}x {100 * four_dh / total:>8.1f}%"
              f" {4 * reference:>10.1f} us {total / (4 * reference):>5.2f}x")
EOF
