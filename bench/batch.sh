#!/bin/bash
# Benchmark (not a test): a project of N copies of the sample built by one
# `dossier build` (all formats) against a shell loop of one `dossier build` per unit,
# for N = 400, 800, 1600; wall time, CPU and peak RSS from /usr/bin/time -v's fields.
# Usage: bash bench/batch.sh [WORKDIR]   (needs about 4 GB free in WORKDIR)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --manifest-path "$ROOT/Cargo.toml" -q
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/dossier
WORK=${1:-$(mktemp -d)}
cd "$WORK"
for n in 400 800 1600; do
  rm -rf "p$n" && mkdir -p "p$n/towns"
  for i in $(seq -w 0 $((n - 1))); do
    mkdir "p$n/towns/u$i" && cp "$ROOT/inputs/qingxi-town.xlsx" "p$n/towns/u$i/"
  done
  printf 'as_of = 2026-12-15\nunits = "towns/*"\n' > "p$n/dossier.toml"
  (cd "p$n" && /usr/bin/time -f "batch $n: %e s wall, %U s user, %S s sys, peak RSS %M KB" \
    "$BIN" build 2>&1 >/dev/null | tail -1)
  (cd "p$n" && /usr/bin/time -f "loop  $n: %e s wall, %U s user, %S s sys, peak RSS %M KB" \
    bash -c 'for d in towns/*/; do u=$(basename "$d"); "$0" build "$d"qingxi-town.xlsx --as-of 2026-12-15 -o "loop/$u" 2>/dev/null; done' "$BIN" 2>&1 | tail -1)
  diff -r "p$n/out/u$(printf %0${#n}d 0)" "p$n/loop/u$(printf %0${#n}d 0)" >/dev/null && echo "  unit folders identical"
done
