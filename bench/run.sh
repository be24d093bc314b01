#!/usr/bin/env bash
# Benchmark: how long `dossier check` and `dossier build --format json` take (beside a bare
# calamine read of the same file, examples/calamine_read.rs), and how much
# memory they use, on a generated 5,000-measure workbook (50 sets x 100 measures, the full
# column set) and on the bundled 158-measure sample inputs/qingxi-town.xlsx.
#
# This is a measurement, not a test: it prints figures and never fails on them.
#
#   bench/run.sh                 # 7 runs per case
#   RUNS=15 bench/run.sh         # more runs
#   SETS=100 PER_SET=200 bench/run.sh
#   CARGO_TARGET_DIR=/tmp/t bench/run.sh
#
# Whole-process wall time (median over the runs) and peak RSS (max over the runs) come
# from GNU time (`/usr/bin/time -v`); wall time is also taken with nanosecond resolution
# around each run, since GNU time rounds to 10 ms. hyperfine runs too when installed.
# Outputs go to out/bench/ (git-ignored).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

RUNS=${RUNS:-7}
SETS=${SETS:-50}
PER_SET=${PER_SET:-100}
AS_OF=${AS_OF:-2026-12-15}
# Targets for the generated workbook (informational only).
TARGET_WALL_S=${TARGET_WALL_S:-0.5}
TARGET_RSS_MB=${TARGET_RSS_MB:-100}

target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in
/*) ;;
*) target_dir="$root/$target_dir" ;;
esac
export CARGO_TARGET_DIR="$target_dir"

out="$root/out/bench"
mkdir -p "$out"

if [ ! -x /usr/bin/time ]; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "installing GNU time (apt-get install time)…" >&2
        apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
    else
        echo "bench/run.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2
        exit 2
    fi
fi

echo "== build (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
cargo build --release --quiet --bin dossier --example gen_workbook --example calamine_read
dossier="$CARGO_TARGET_DIR/release/dossier"
gen="$CARGO_TARGET_DIR/release/examples/gen_workbook"
calamine="$CARGO_TARGET_DIR/release/examples/calamine_read"

big="$out/bench-$((SETS * PER_SET)).xlsx"
"$gen" "$big" --sets "$SETS" --per-set "$PER_SET"
sample="$root/inputs/qingxi-town.xlsx"

# One case: name, then the command. Prints one result line and keeps the raw GNU time
# reports in out/bench/<name>.time.
results=()
measure() {
    local name=$1
    shift
    local log="$out/$name.time"
    : >"$log"
    local walls=() rss=() ns=()
    # One warm-up run, so the page cache holds the binary and the input.
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq "$RUNS"); do
        local t0 t1 rc=0
        t0=$(date +%s%N)
        /usr/bin/time -v -o "$log.run" "$@" >/dev/null 2>"$out/$name.stderr" || rc=$?
        t1=$(date +%s%N)
        # check exits 1 when the inputs have error diagnostics: a result, not a failure.
        if [ "$rc" -gt 1 ]; then
            echo "$name: exit $rc" >&2
            cat "$out/$name.stderr" >&2
            exit 1
        fi
        cat "$log.run" >>"$log"
        ns+=("$(((t1 - t0) / 1000))")
        walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log.run")")
        rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log.run")")
    done
    rm -f "$log.run"
    local wall_med us_med us_min rss_max rss_med
    wall_med=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
    us_med=$(printf '%s\n' "${ns[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
    us_min=$(printf '%s\n' "${ns[@]}" | sort -n | head -1)
    rss_max=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
    rss_med=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    results+=("$(printf '%-22s %9.3f %9.3f %9.2f %9.1f %9.1f' "$name" \
        "$(awk -v v="$us_med" 'BEGIN {print v / 1e6}')" \
        "$(awk -v v="$us_min" 'BEGIN {print v / 1e6}')" \
        "$wall_med" \
        "$(awk -v v="$rss_max" 'BEGIN {print v / 1024}')" \
        "$(awk -v v="$rss_med" 'BEGIN {print v / 1024}')")")
    # Keep the numbers for the verdict below.
    eval "wall_${name//-/_}=$(awk -v v="$us_med" 'BEGIN {print v / 1e6}')"
    eval "rss_${name//-/_}=$(awk -v v="$rss_max" 'BEGIN {print v / 1024}')"
}

echo "== measuring ($RUNS runs per case, after one warm-up run)" >&2
measure calamine-5000 "$calamine" "$big"
measure check-5000 "$dossier" check "$big" --as-of "$AS_OF"
measure build-5000 "$dossier" build "$big" -o "$out/report-5000" --format json --as-of "$AS_OF"
measure check-sample "$dossier" check "$sample" --as-of "$AS_OF"
measure build-sample "$dossier" build "$sample" -o "$out/report-sample" --format json --as-of "$AS_OF"

echo
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "inputs:  $(basename "$big") ($(du -k "$big" | cut -f1) KB, $((SETS * PER_SET)) measures);" \
    "qingxi-town.xlsx ($(du -k "$sample" | cut -f1) KB)"
echo "summary: $("$dossier" check "$big" --as-of "$AS_OF" 2>/dev/null | tail -1)"
echo "report:  $(du -k "$out/report-5000/report.json" | cut -f1) KB report.json for the 5,000 measures"
echo
printf '%-22s %9s %9s %9s %9s %9s\n' case "wall med" "wall min" "time -v" "RSS max" "RSS med"
printf '%-22s %9s %9s %9s %9s %9s\n' "" "(s)" "(s)" "med (s)" "(MB)" "(MB)"
printf '%s\n' "${results[@]}"
echo
# shellcheck disable=SC2154 # set by measure through eval
for c in check_5000 build_5000; do
    w=$(eval echo "\$wall_$c")
    r=$(eval echo "\$rss_$c")
    verdict=$(awk -v w="$w" -v r="$r" -v tw="$TARGET_WALL_S" -v tr="$TARGET_RSS_MB" \
        'BEGIN { print ((w < tw && r < tr) ? "within" : "OVER") }')
    echo "${c//_/-}: $verdict target (< ${TARGET_WALL_S} s wall, < ${TARGET_RSS_MB} MB peak RSS)"
done
# shellcheck disable=SC2154 # set by measure through eval
echo "reading and judging against a bare calamine read of the same file (target: at most 2x):" \
    "$(awk -v c="$wall_check_5000" -v b="$wall_calamine_5000" 'BEGIN { printf "%.2fx", c / b }')"
echo "raw GNU time reports: out/bench/*.time"

if command -v hyperfine >/dev/null; then
    echo
    echo "== hyperfine" >&2
    hyperfine --warmup 2 --runs "$((RUNS < 10 ? 10 : RUNS))" -N -i \
        --export-markdown "$out/hyperfine.md" \
        -n check-5000 "$dossier check $big --as-of $AS_OF" \
        -n build-5000 "$dossier build $big -o $out/report-5000 --format json --as-of $AS_OF" \
        -n check-sample "$dossier check $sample --as-of $AS_OF" \
        -n build-sample "$dossier build $sample -o $out/report-sample --format json --as-of $AS_OF"
else
    echo "(hyperfine not installed; apt-get install hyperfine for a second opinion)"
fi
