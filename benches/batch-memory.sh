#!/bin/sh
# Peak memory of a batch, per output format: the release binary reads N server names (default
# 100,000) from stdin and writes every report to a file. The names break the grammar
# ("bad name 17"), so each check ends at once without network: what is measured is the batch
# machinery alone (name list, runner, writer), not the checks. Also an endless stream and
# an over-long line, which must end at once. Peak RSS is `/usr/bin/time`'s maximum resident
# set size. Results and method: BENCHMARKS.md.
#
#   benches/batch-memory.sh [N] [BINARY]
set -eu
cd "$(dirname "$0")/.."
n=${1:-100000}
bin=${2:-}
if [ -z "$bin" ]; then
    cargo build --release --locked --quiet
    bin=${CARGO_TARGET_DIR:-target}/release/delegcheck
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seq 1 "$n" | sed 's/^/bad name /' >"$work/names"

# Runs the binary under /usr/bin/time; prints exit, output size, wall and peak RSS cells.
measure() {
    code=0
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" --resolver 127.0.0.1:9 "$@" \
        >"$work/out" 2>"$work/err" || code=$?
    read -r wall kib <<EOF
$(tail -n 1 "$work/time")
EOF
    bytes=$(wc -c <"$work/out")
    awk -v c="$code" -v b="$bytes" -v w="$wall" -v k="$kib" \
        'BEGIN { printf "| %s | %.1f MiB | %s s | %.1f MiB |\n", c, b / 1048576, w, k / 1024 }'
}

echo "| input | format | exit | output | wall | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- |"
for format in jsonl json human prometheus nagios; do
    printf '| %s names on stdin | %s ' "$n" "$format"
    measure --format "$format" -f - <"$work/names"
done
printf '| `-f /dev/zero` | jsonl '
measure --format jsonl -f /dev/zero
printf '| `yes example.org` on stdin | jsonl '
yes example.org | measure --format jsonl -f -
