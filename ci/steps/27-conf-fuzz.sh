#!/usr/bin/env bash
# Fuzz smoke run of the ipsec-conf targets (conf_parse, secrets_parse), seeded with every file of
# the shared config corpus and the Libreswan golden configs. FUZZ_SECONDS sets each target's run
# time (default 20); the recorded 10-minute runs use FUZZ_SECONDS=600. Runs from the repository
# root.
set -euo pipefail

. "$(dirname "$0")/../lib/fuzz.sh"

seconds=${FUZZ_SECONDS:-20}
shared=${SHARED_DIR:-$(cd .. && pwd)/shared}

mkdir -p fuzz/corpus/conf_parse fuzz/corpus/secrets_parse
count=0
while IFS= read -r -d '' file; do
    name=$(basename "$file")
    case "$name" in
        *secrets*) cp "$file" "fuzz/corpus/secrets_parse/$name" ;;
        *) cp "$file" "fuzz/corpus/conf_parse/$name" ;;
    esac
    count=$((count + 1))
done < <(find "$shared/corpus" "$shared/interop/libreswan/golden/configcheck" -type f \
    \( -name '*.conf*' -o -name '*secrets*' -o -name '*.j2' -o -name '*.erb' -o -name '*.tpl' \
    -o -name '*.heredoc' -o -name '*.in' \) -print0)
if [ "$count" -lt 40 ]; then
    echo "only $count seed files found under $shared" >&2
    exit 1
fi
echo "seeded $count files"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in conf_parse secrets_parse; do
    fuzz_run "$log" "$target" "$seconds" -max_len=8192
done
