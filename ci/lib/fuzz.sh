# Shared code of the fuzz smoke steps (ci/steps/15, 26, 27, 35, 53), which run from the
# repository root.

# fuzz_extract_capture_seeds DIR: writes every IKE message of the shared captures ($shared) into
# DIR as one .bin file each, with ikedump. Exits the step if ikedump fails.
fuzz_extract_capture_seeds() {
    local status=0
    # ikedump exits 1 because some captures are malformed on purpose; those make good seeds too.
    cargo run -q -p ikedump -- --extract "$1" \
        $(find "$shared/captures" -name '*.pcap' -o -name '*.pcapng' -o -name '*.hex') \
        >/dev/null 2>&1 || status=$?
    if [ "$status" -gt 1 ]; then
        echo "ikedump failed to extract seeds (exit $status)" >&2
        exit 1
    fi
}

# fuzz_run LOG TARGET SECONDS [OPTION...]: runs the cargo-fuzz TARGET of fuzz/ for SECONDS with
# the libFuzzer OPTIONs, logging to file LOG, and prints libFuzzer's final stats. If the target
# fails (a crash, a leak, more than 2048 MB), prints the log's last 60 lines and exits the step.
fuzz_run() {
    local log=$1 target=$2 seconds=$3
    shift 3
    echo "fuzzing $target for $seconds s"
    if ! (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" "$@" \
        -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz target $target failed" >&2
        exit 1
    fi
    grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || true
}
