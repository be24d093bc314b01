#!/bin/bash
# Benchmark (not a test): split and merge for a generated workbook of 5,000 measures
# (50 sets x 100) led by 40 departments. Each returned sheet has its first three statuses
# changed (edited in the xlsx's XML by a few lines of Python, as a department's program
# would save them); merge then reads all 40, plans, edits the master and writes the log.
# Wall time and peak RSS from GNU time; issue 10 asks for under 2 s each, release build.
# Usage: bash bench/merge.sh [WORKDIR]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --manifest-path "$ROOT/Cargo.toml" -q --bin dossier --example gen_workbook
T=${CARGO_TARGET_DIR:-$ROOT/target}/release
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK" && cd "$WORK"
rm -rf split back out && mkdir back
"$T/examples/gen_workbook" master.xlsx --sets 50 --per-set 100 --departments 40 2>/dev/null
echo "machine: $(nproc) CPUs; master: 5,000 measures, $(du -k master.xlsx | cut -f1) KB"
/usr/bin/time -f "split, sheets only:  %e s wall, peak RSS %M KB" \
  "$T/dossier" split master.xlsx -o split-nopdf --as-of 2026-12-15 --no-pdf 2>&1 | tail -1
/usr/bin/time -f "split, sheets + PDFs: %e s wall, peak RSS %M KB" \
  "$T/dossier" split master.xlsx -o split --as-of 2026-12-15 2>&1 | tail -1
echo "departments: $(ls split/*.xlsx | wc -l)"
python3 - split back <<'PY'
import re, sys, zipfile, pathlib
src, dst = map(pathlib.Path, sys.argv[1:3])
for f in sorted(src.glob("*.xlsx")):
    z = zipfile.ZipFile(f)
    ss = z.read("xl/sharedStrings.xml").decode()
    sh = z.read("xl/worksheets/sheet1.xml").decode()
    n = len(re.findall(r"<si>", ss))
    ss = ss.replace("</sst>", "<si><t>已完成</t></si></sst>")
    for row in (10, 11, 12):  # the first three measures; status is column I
        sh = re.sub(r'<c r="I%d"([^>]*?)(/>|>.*?</c>)' % row,
                    lambda m: '<c r="I%d"%s t="s"><v>%d</v></c>' % (row, re.sub(r' t="\w+"', "", m.group(1)), n), sh, count=1)
    out = zipfile.ZipFile(dst / f.name, "w", zipfile.ZIP_DEFLATED)
    for i in z.infolist():
        data = {"xl/sharedStrings.xml": ss.encode(), "xl/worksheets/sheet1.xml": sh.encode()}.get(i.filename) or z.read(i.filename)
        out.writestr(i, data)
    out.close()
PY
/usr/bin/time -f "merge of 40 returns:  %e s wall, peak RSS %M KB" \
  "$T/dossier" merge master.xlsx back/*.xlsx -o out/merged.xlsx --as-of 2026-12-15 2>&1 | tail -2
