#!/bin/bash
# Benchmark (not a test): dossier's evidence checklist PDF beside Typst setting the same
# content (bench/typst_compare.py converts dossier's Markdown of the document), for the
# sample and for a generated 5,000-measure workbook: pages and seconds side by side.
# dossier's time is the whole `build --format pdf` run, which lays out all three
# documents, so it is an upper bound for the checklist alone.
# Needs: pip install typst; GNU time. Usage: bash bench/typst.sh [WORKDIR]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --manifest-path "$ROOT/Cargo.toml" -q --bin dossier --example gen_workbook
T=${CARGO_TARGET_DIR:-$ROOT/target}/release
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK" && cd "$WORK"
"$T/examples/gen_workbook" gen5000.xlsx --sets 50 --per-set 100 2>/dev/null
for input in "$ROOT/inputs/qingxi-town.xlsx" gen5000.xlsx; do
  name=$(basename "$input" .xlsx)
  rm -rf "md-$name" "pdf-$name"
  "$T/dossier" build "$input" -o "md-$name" --format md --as-of 2026-12-15 2>/dev/null
  /usr/bin/time -f "%e" -o time.txt "$T/dossier" build "$input" -o "pdf-$name" --format pdf --as-of 2026-12-15 2>/dev/null
  pages=$(pdfinfo "pdf-$name/evidence-checklist.pdf" | awk '/^Pages:/ {print $2}')
  echo "$name: dossier: $pages pages, $(cat time.txt) s (all three PDFs)"
  echo -n "$name: "
  python3 "$ROOT/bench/typst_compare.py" "md-$name/evidence-checklist.md" "$name.typ" "$name-typst.pdf"
done
