#!/usr/bin/env bash
# Benchmark: the documents of one very large unit — by default 50,000 measures (100 sets x
# 500 measures, generated) — in each format alone and all together: whole-process wall
# time and peak RSS from GNU time. Issue 8 asks for all PDFs of 50,000 measures in under
# 10 s and 300 MB on the project's 2-core machine.
#
# This is a measurement, not a test: it prints figures and never fails on them.
#
#   bench/scale.sh                    # 50,000 measures
#   SETS=20 PER_SET=500 bench/scale.sh
#   CARGO_TARGET_DIR=/tmp/t bench/scale.sh
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
SETS=${SETS:-100}
PER_SET=${PER_SET:-500}
AS_OF=${AS_OF:-2026-12-15}

target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in
/*) ;;
*) target_dir="$root/$target_dir" ;;
esac
export CARGO_TARGET_DIR="$target_dir"
if [ ! -x /usr/bin/time ]; then
    echo "bench/scale.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

out="$root/out/bench-scale"
mkdir -p "$out"
echo "== build (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
cargo build --release --quiet --bin dossier --example gen_workbook
dossier="$CARGO_TARGET_DIR/release/dossier"
n=$((SETS * PER_SET))
big="$out/scale-$n.xlsx"
"$CARGO_TARGET_DIR/release/examples/gen_workbook" "$big" --sets "$SETS" --per-set "$PER_SET" >/dev/null

echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "input:   $(basename "$big") ($(du -k "$big" | cut -f1) KB, $n measures)"
printf '%-10s %9s %10s %12s\n' format "wall (s)" "RSS (MB)" "output (MB)"
for format in json md html pdf json,md,html,pdf; do
    dir="$out/out-${format//,/-}"
    /usr/bin/time -f '%e %M' -o "$out/time.txt" \
        "$dossier" build "$big" --as-of "$AS_OF" --format "$format" -o "$dir" >/dev/null 2>&1
    read -r wall rss <"$out/time.txt"
    printf '%-10s %9.2f %10.1f %12.1f\n' "$format" "$wall" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" \
        "$(du -sk "$dir" | awk '{print $1 / 1024}')"
done
