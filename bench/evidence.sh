#!/usr/bin/env bash
# Benchmark: `dossier check --evidence` and `dossier pack` on a ~1 GB evidence folder, each
# beside the plain tool doing the bulk of the same work:
#
#   check --evidence DIR    vs  find DIR -type f -exec sha256sum {} +   (and the same on 2 cores)
#   pack --evidence DIR     vs  zip -r -0 -q out.zip DIR   (and the same followed by an fsync)
#   each binder 装订/NN set  vs  qpdf --empty --pages <the set's PDFs> -- out.pdf
#                               (and the same with --stream-data=preserve)
#
# The folder is generated (deterministically, by bench/gen_evidence.py, once) into
# out/bench/evidence/: 2,000 files over the 158 measures of inputs/qingxi-town.xlsx, laid
# out as set folders and measure folders (国务院15条/第12条/…): half valid PDFs of 1-8 pages
# and 100-400 KB, half `.mp4` files of random bytes, ~1 GiB in all.
#
# This is a measurement, not a test: it prints figures and never fails on them.
#
#   bench/evidence.sh                          # 3 runs per case
#   RUNS=5 bench/evidence.sh
#   DOSSIER=/tmp/dossier-bench bench/evidence.sh
#   FILES=500 TOTAL_MB=256 bench/evidence.sh   # a smaller folder
#   HYPERFINE=0 bench/evidence.sh              # skip the hyperfine second opinion
#
# It does not build: it runs $DOSSIER (default target/release/dossier; build it first with
# `cargo build --release`). Whole-process wall time (median over the runs, nanosecond clock
# around each run) and peak RSS (max over the runs) from GNU time (`/usr/bin/time -v`).
# Every command runs once as a warm-up before the measured runs, so all of them read the
# folder from the page cache (caches are not dropped). Outputs go to out/bench/evidence/
# (git-ignored).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

RUNS=${RUNS:-3}
FILES=${FILES:-2000}
TOTAL_MB=${TOTAL_MB:-1024}
SEED=${SEED:-1}
AS_OF=${AS_OF:-2026-12-15}
HYPERFINE=${HYPERFINE:-1}
TARGET_RSS_MB=${TARGET_RSS_MB:-300}
DOSSIER=${DOSSIER:-target/release/dossier}
case "$DOSSIER" in
/*) dossier=$DOSSIER ;;
*) dossier="$root/$DOSSIER" ;;
esac
if [ ! -x "$dossier" ]; then
    echo "bench/evidence.sh: no dossier binary at $dossier (cargo build --release, or set DOSSIER)" >&2
    exit 2
fi

# Tools: GNU time, qpdf, zip (needed); hyperfine (optional).
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v qpdf >/dev/null || need+=(qpdf)
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
[ "$HYPERFINE" = 0 ] || command -v hyperfine >/dev/null || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "installing ${need[*]} (apt-get install)…" >&2
        apt-get install -y "${need[@]}" >/dev/null 2>&1 ||
            { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; } || true
    fi
    for t in "${need[@]}"; do
        case $t in
        time) [ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2 && exit 2; } ;;
        hyperfine) command -v hyperfine >/dev/null || HYPERFINE=0 ;;
        *) command -v "$t" >/dev/null || { echo "needs $t (apt-get install $t)" >&2 && exit 2; } ;;
        esac
    done
fi

work="$root/out/bench/evidence"
runs="$work/run"
mkdir -p "$work" "$runs"
sample="$root/inputs/qingxi-town.xlsx"
ev="$work/qingxi-town" # the evidence folder
lists="$ev.lists"      # per set, its PDFs in binder order (written by the generator)

echo "== generating the evidence folder ($FILES files, ~$TOTAL_MB MiB) in ${ev#"$root"/}" >&2
"$dossier" build "$sample" --as-of "$AS_OF" --format json -o "$work/report" >/dev/null
python3 "$root/bench/gen_evidence.py" "$work/report/report.json" "$ev" \
    --files "$FILES" --total-mb "$TOTAL_MB" --seed "$SEED"
sets=() # "NN set", in workbook order, as the pack names its binders
for f in "$lists"/*.pdfs; do
    sets+=("$(basename "$f" .pdfs)")
done
# Sanity: a sample of the generated PDFs must pass a real parser.
bad=0
for s in "${sets[@]}"; do
    mapfile -t pdfs <"$lists/$s.pdfs"
    for f in "${pdfs[0]}" "${pdfs[$((${#pdfs[@]} / 2))]}" "${pdfs[-1]}"; do
        qpdf --check "$f" >/dev/null 2>&1 || { bad=$((bad + 1)) && echo "qpdf --check fails: $f" >&2; }
    done
done

# One case: name, then the command. Runs it once to warm up, then $RUNS times; keeps the
# raw GNU time reports in out/bench/evidence/run/<name>.time. $clean, when set, is removed
# before every run (outside the timing), so zip and pack always write a new archive.
declare -A WALL WALL_MIN CPU RSS
order=()
clean=
measure() {
    local name=$1
    shift
    local log="$runs/$name.time"
    : >"$log"
    local rss=() us=() cpu=()
    echo "   $name" >&2
    [ -z "$clean" ] || rm -rf "$clean"
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq "$RUNS"); do
        local t0 t1 rc=0
        [ -z "$clean" ] || rm -rf "$clean"
        sync
        t0=$(date +%s%N)
        /usr/bin/time -v -o "$log.run" "$@" >"$runs/$name.stdout" 2>"$runs/$name.stderr" || rc=$?
        t1=$(date +%s%N)
        # check exits 1 when the inputs have error diagnostics: a result, not a failure.
        if [ "$rc" -gt 1 ]; then
            echo "$name: exit $rc" >&2
            tail -5 "$runs/$name.stderr" >&2
            exit 1
        fi
        cat "$log.run" >>"$log"
        us+=("$(((t1 - t0) / 1000))")
        rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log.run")")
        cpu+=("$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {print s}' "$log.run")")
    done
    rm -f "$log.run"
    WALL[$name]=$(printf '%s\n' "${us[@]}" | sort -n |
        awk '{a[NR]=$1} END {print ((NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) / 1e6}')
    WALL_MIN[$name]=$(printf '%s\n' "${us[@]}" | sort -n | head -1 | awk '{print $1 / 1e6}')
    CPU[$name]=$(printf '%s\n' "${cpu[@]}" | sort -g |
        awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
    RSS[$name]=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1 | awk '{print $1 / 1024}')
    order+=("$name")
}

cd "$work" # so zip stores paths as qingxi-town/…
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== measuring ($RUNS runs per case, after one warm-up run each; page cache warm)" >&2
measure check "$dossier" check "$sample" --as-of "$AS_OF" --evidence "$ev"
measure sha256sum find qingxi-town -type f -exec sha256sum {} +
measure sha256sum-P2 sh -c 'find qingxi-town -type f -print0 | xargs -0 -P2 -n 64 sha256sum'
clean="$runs/pack.zip"
measure pack "$dossier" pack "$sample" --as-of "$AS_OF" --evidence "$ev" -o "$runs/pack.zip"
clean="$runs/zip.zip"
measure zip zip -r -0 -q "$runs/zip.zip" qingxi-town
# pack fsyncs its zip before the rename (nothing partial); zip does not: the same with an fsync.
measure zip+fsync sh -c 'zip -r -0 -q "$1" qingxi-town && sync "$1"' sh "$runs/zip.zip"
clean=
i=0
for s in "${sets[@]}"; do
    i=$((i + 1))
    mapfile -t pdfs <"$lists/$s.pdfs"
    clean="$runs/qpdf-$i.pdf"
    measure "qpdf-$i" qpdf --empty --pages "${pdfs[@]}" -- "$runs/qpdf-$i.pdf"
    # qpdf compresses the uncompressed content streams by default; the binder copies them as
    # they are. --stream-data=preserve does the same as the binder.
    clean="$runs/qpdf-$i-keep.pdf"
    measure "qpdf-$i-keep" qpdf --stream-data=preserve --empty --pages "${pdfs[@]}" -- "$runs/qpdf-$i-keep.pdf"
    clean=
done

# Figures about the inputs and outputs.
files=$(find "$ev" -type f | wc -l)
bytes=$(du -sb "$ev" | cut -f1)
n_pdf=$(find "$ev" -type f -name '*.pdf' | wc -l)
unzip -Z1 "$runs/pack.zip" >"$runs/pack.list"
i=0
binder_rows=()
qpdf_sum=0
keep_sum=0
for s in "${sets[@]}"; do
    i=$((i + 1))
    entry=$(grep -xF -e "装订/$s.pdf" -e "binders/$s.pdf" "$runs/pack.list" | head -1 || true)
    bpages=- bsize=-
    if [ -n "$entry" ]; then
        unzip -p "$runs/pack.zip" "$entry" >"$runs/binder-$i.pdf"
        bpages=$(qpdf --show-npages "$runs/binder-$i.pdf" 2>/dev/null || echo "?")
        bsize=$(($(stat -c %s "$runs/binder-$i.pdf") / 1000000))
    fi
    qpages=$(qpdf --show-npages "$runs/qpdf-$i.pdf")
    qsize=$(($(stat -c %s "$runs/qpdf-$i.pdf") / 1000000))
    n=$(wc -l <"$lists/$s.pdfs")
    ksize=$(($(stat -c %s "$runs/qpdf-$i-keep.pdf") / 1000000))
    binder_rows+=("$(printf '%-7s %5d %8s %8s %8s %8s %8s %8.3f %8.3f  %s' "qpdf-$i" "$n" "$qpages" \
        "$bpages" "$qsize" "$ksize" "$bsize" "${WALL[qpdf-$i]}" "${WALL[qpdf-$i-keep]}" "$s")")
    keep_sum=$(awk -v a="$keep_sum" -v b="${WALL[qpdf-$i-keep]}" 'BEGIN {print a + b}')
    qpdf_sum=$(awk -v a="$qpdf_sum" -v b="${WALL[qpdf-$i]}" 'BEGIN {print a + b}')
done

echo
echo "machine:  $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM"
echo "dossier:  $dossier ($("$dossier" --version))"
echo "inputs:   qingxi-town.xlsx (158 measures) + evidence folder out/bench/evidence/qingxi-town:" \
    "$files files ($n_pdf pdf, $((files - n_pdf)) mp4), $((bytes / 1000000)) MB"
echo "          sampled PDFs failing qpdf --check: $bad"
echo "check:    $(tail -1 "$runs/check.stdout")"
echo "pack:     $(cat "$runs/pack.stdout" "$runs/pack.stderr" | grep -m1 packed || true)," \
    "$(($(stat -c %s "$runs/pack.zip") / 1000000)) MB, $(wc -l <"$runs/pack.list") entries;" \
    "zip -r -0: $(($(stat -c %s "$runs/zip.zip") / 1000000)) MB"
echo "wall time: median of $RUNS runs after a warm-up (page cache warm, not dropped);" \
    "load average before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-14s %9s %9s %9s %9s\n' case "wall med" "wall min" "cpu med" "RSS max"
printf '%-14s %9s %9s %9s %9s\n' "" "(s)" "(s)" "(s)" "(MB)"
for n in "${order[@]}"; do
    printf '%-14s %9.3f %9.3f %9.2f %9.1f\n' "$n" "${WALL[$n]}" "${WALL_MIN[$n]}" "${CPU[$n]}" "${RSS[$n]}"
done
echo "(cpu = user + system time, from GNU time: 10 ms resolution, less disturbed than wall"
echo " time when something else runs on the machine)"
echo
echo "binders (qpdf-N = qpdf --empty --pages <set N's PDFs> -- out.pdf; dossier builds them inside pack):"
printf '%-7s %5s %8s %8s %8s %8s %8s %8s %8s  %s\n' case pdfs "qpdf pp" "bind. pp" "qpdf MB" \
    "keep MB" "bind. MB" "qpdf s" "keep s" "set (binder)"
echo "(keep = qpdf --stream-data=preserve; bind. = the binder in the pack: + cover and contents pages)"
printf '%s\n' "${binder_rows[@]}"
echo
ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN {printf "%-42s %7.2f   (%.3f s / %.3f s)\n", l, a / b, a, b}'; }
zq=$(awk -v a="${WALL[zip]}" -v b="$qpdf_sum" 'BEGIN {print a + b}')
zqs=$(awk -v a="$zq" -v b="${WALL[sha256sum]}" 'BEGIN {print a + b}')
zk=$(awk -v a="${WALL[zip+fsync]}" -v b="$keep_sum" 'BEGIN {print a + b}')
zks=$(awk -v a="$zk" -v b="${WALL[sha256sum-P2]}" 'BEGIN {print a + b}')
echo "ratios (wall med):"
ratio "check / sha256sum" "${WALL[check]}" "${WALL[sha256sum]}"
ratio "check / sha256sum-P2" "${WALL[check]}" "${WALL[sha256sum-P2]}"
ratio "pack / zip" "${WALL[pack]}" "${WALL[zip]}"
ratio "pack / (zip+fsync)" "${WALL[pack]}" "${WALL[zip+fsync]}"
ratio "sum(qpdf) / pack" "$qpdf_sum" "${WALL[pack]}"
ratio "pack / (zip + sum(qpdf))" "${WALL[pack]}" "$zq"
ratio "pack / (sha256sum + zip + sum(qpdf))" "${WALL[pack]}" "$zqs"
ratio "pack / (zip+fsync + sum(qpdf keep))" "${WALL[pack]}" "$zk"
ratio "pack / (sha256sum-P2 + zip+fsync + keep)" "${WALL[pack]}" "$zks"
ratio "pack / check" "${WALL[pack]}" "${WALL[check]}"
echo
for c in check pack; do
    verdict=$(awk -v r="${RSS[$c]}" -v t="$TARGET_RSS_MB" 'BEGIN { print (r < t) ? "within" : "OVER" }')
    printf '%s: peak RSS %.1f MB, %s the %s MB target\n' "$c" "${RSS[$c]}" "$verdict" "$TARGET_RSS_MB"
done
echo "raw GNU time reports: out/bench/evidence/run/*.time"

if [ "$HYPERFINE" != 0 ]; then
    echo
    echo "== hyperfine (second opinion, $RUNS runs each)" >&2
    hyperfine --warmup 1 --runs "$RUNS" -N -i --style basic \
        --export-markdown "$runs/hyperfine.md" \
        --prepare true --prepare true \
        --prepare "rm -f $runs/pack.zip" --prepare "rm -f $runs/zip.zip" \
        -n check "$dossier check $sample --as-of $AS_OF --evidence $ev" \
        -n sha256sum "find qingxi-town -type f -exec sha256sum {} +" \
        -n pack "$dossier pack $sample --as-of $AS_OF --evidence $ev -o $runs/pack.zip" \
        -n zip "zip -r -0 -q $runs/zip.zip qingxi-town" ||
        echo "(hyperfine failed; the figures above stand)"
fi
