#!/usr/bin/env bash
# `gateway readwriteconf` and `gateway addconn --checkconfig` against Libreswan 4.10's recorded
# behaviour on the same files (interop/libreswan/golden/configcheck): the same exit status, and
# for a file that cannot be loaded, an error at the same FILE:LINE. One difference is deliberate:
# a duplicate conn name, which Libreswan 4.10 accepts silently, is an error here. Runs from the
# repository root.
set -euo pipefail

shared=${SHARED_DIR:-$(cd .. && pwd)/shared}
golden="$shared/interop/libreswan/golden/configcheck"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build -q -p gateway
gateway=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/gateway

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

for case in a-valid b-not-indented c-blank-line d-unknown-keyword e-duplicate-conn f-no-ikev1-policy; do
    mkdir -p "$work/$case"
    conf="$work/$case/ipsec.conf"
    cp "$golden/$case/ipsec.conf" "$conf"

    for tool in readwriteconf addconn-checkconfig; do
        expected_rc=$(cat "$golden/$case/$tool.rc")
        expected_err=$(cat "$golden/$case/$tool.stderr")
        if [ "$case" = e-duplicate-conn ]; then
            expected_rc=3
            expected_err="/etc/ipsec.conf:15: duplicate conn"
        fi
        if [ "$tool" = readwriteconf ]; then
            args=(readwriteconf --config "$conf")
        else
            args=(addconn --checkconfig --config "$conf" --secrets "$golden/$case/ipsec.secrets")
        fi

        rc=0
        "$gateway" "${args[@]}" > "$work/$case/$tool.out" 2> "$work/$case/$tool.err" || rc=$?
        if [ "$rc" != "$expected_rc" ]; then
            fail "$case $tool: exit status $rc, Libreswan $expected_rc"
            cat "$work/$case/$tool.err" >&2
            continue
        fi

        # Libreswan names /etc/ipsec.conf:LINE; the same line must be named here.
        line=$(printf '%s\n' "$expected_err" | sed -n 's|.*/etc/ipsec.conf:\([0-9]*\):.*|\1|p' | head -n 1)
        if [ -n "$line" ] && ! grep -qE "$conf:$line(:[0-9]+)?: " "$work/$case/$tool.err"; then
            fail "$case $tool: no error at $conf:$line"
            cat "$work/$case/$tool.err" >&2
        fi
    done

    # The canonical form reads back to itself.
    if [ -s "$work/$case/readwriteconf.out" ]; then
        cp "$work/$case/readwriteconf.out" "$work/$case/canonical.conf"
        "$gateway" readwriteconf --config "$work/$case/canonical.conf" > "$work/$case/again.out" \
            2> "$work/$case/again.err" || fail "$case: canonical output does not load"
        cmp -s "$work/$case/readwriteconf.out" "$work/$case/again.out" \
            || fail "$case: canonical output changes when written again"
    fi
    echo "$case: ok"
done

[ "$failures" -eq 0 ]
