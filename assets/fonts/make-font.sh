#!/usr/bin/env bash
# Rebuild the CJK font embedded in the dossier binary from Debian's fonts-noto-cjk.
#
#   apt-get install -y fonts-noto-cjk && pip install fonttools   # once
#   bash assets/fonts/make-font.sh                                # from anywhere
#
# Output is deterministic: the same fonts-noto-cjk + fontTools versions give
# byte-identical files (fontTools keeps head.modified from the source font unless
# --recalc-timestamp is given, and nothing else in the subset depends on time).
#
# Environment knobs (defaults give the shipped file):
#   CHARSET = gb2312+big5l1 (default) | gb2312 | gb2312+big5 | uro
#   WEIGHTS = "Regular" (default) | "Regular Bold"
#   FAMILY  = Sans (default) | Serif: Noto Sans CJK SC, or Noto Serif CJK SC for the
#             official-document style (--style official), cut the same way
#   OUTDIR  = directory to write into (default: this script's directory)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="${OUTDIR:-$HERE}"
CHARSET="${CHARSET:-gb2312+big5l1}"
WEIGHTS="${WEIGHTS:-Regular}"
FAMILY="${FAMILY:-Sans}"
case "$FAMILY" in Sans|Serif) ;; *) echo "unknown FAMILY $FAMILY (Sans or Serif)" >&2; exit 1 ;; esac
SRC_DIR=/usr/share/fonts/opentype/noto
FACE_SC=2   # face index of the SC face inside NotoSansCJK-*.ttc and NotoSerifCJK-*.ttc (0 JP, 1 KR, 2 SC, 3 TC, 4 HK)

for w in $WEIGHTS; do
  [ -f "$SRC_DIR/Noto${FAMILY}CJK-$w.ttc" ] || { echo "missing $SRC_DIR/Noto${FAMILY}CJK-$w.ttc: apt-get install -y fonts-noto-cjk" >&2; exit 1; }
done
python3 -c 'import fontTools' 2>/dev/null || { echo "fontTools missing: pip install fonttools" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# ---- character set -------------------------------------------------------
CHARSET="$CHARSET" python3 - "$TMP/unicodes.txt" <<'PY'
import os, sys

def rng(a, b):
    return set(range(a, b + 1))

cps = set()
cps |= rng(0x20, 0x7E)          # ASCII
cps |= rng(0xA0, 0xFF)          # Latin-1 supplement (· U+00B7 is here)
cps |= rng(0x2000, 0x206F)      # General punctuation (— U+2014, … U+2026, ‘’“” …)
cps |= rng(0x3000, 0x303F)      # CJK symbols and punctuation (、。「」《》【】 …)
cps |= rng(0xFF00, 0xFFEF)      # Half-width and full-width forms (？ ＊ （） ，：；！ …)
cps |= rng(0x2460, 0x2473)      # ① .. ⑳
cps |= {0x25A1, 0x2713}        # □ ✓ (☐ ☑ ☒ are built from these below: Noto CJK has none)
cps |= {0x2713, 0x2714, 0x2717, 0x2718, 0x2022, 0x25CB, 0x25CF, 0x25A0, 0x25A1,
        0x2190, 0x2191, 0x2192, 0x2193, 0x203B, 0x2116, 0x2103, 0x00D7, 0x00F7}
                                # ✓✔✗✘ • ○● ■□ ←↑→↓ ※ № ℃ × ÷ (dropped below if the font lacks them)

def table(codec, lead, trail):
    out = set()
    for hi in lead:
        for lo in trail:
            try:
                s = bytes([hi, lo]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(s) == 1:
                out.add(ord(s))
    return out

# GB2312 = EUC-CN rows 0xA1-0xF7, cells 0xA1-0xFE: symbols (rows A1-A9),
# level-1 hanzi (B0-D7, 3755) and level-2 hanzi (D8-F7, 3008).
gb2312 = table("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))
# Big5 trail bytes: 0x40-0x7E and 0xA1-0xFE.
b5trail = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))
big5_sym = table("big5", range(0xA1, 0xA4), b5trail)   # A140-A3BF symbols, bopomofo
big5_l1 = table("big5", range(0xA4, 0xC7), b5trail)    # A440-C67E, 5401 frequent hanzi
big5_l2 = table("big5", range(0xC9, 0xFA), b5trail)    # C940-F9D5, 7652 less frequent

which = os.environ["CHARSET"]
if which == "gb2312":
    cps |= gb2312
elif which == "gb2312+big5l1":
    cps |= gb2312 | big5_sym | big5_l1
elif which == "gb2312+big5":
    cps |= gb2312 | big5_sym | big5_l1 | big5_l2
elif which == "uro":
    cps |= gb2312 | big5_sym | rng(0x4E00, 0x9FFF)
else:
    sys.exit(f"unknown CHARSET {which!r}")

with open(sys.argv[1], "w") as f:
    for cp in sorted(cps):
        f.write(f"U+{cp:04X}\n")
print(f"{which}: {len(cps)} code points requested", file=sys.stderr)
PY

# ---- subset ----------------------------------------------------------------
for w in $WEIGHTS; do
  out="$OUTDIR/Noto${FAMILY}CJKsc-$w-dossier.otf"
  # Horizontal, unshaped text only: the layout/vertical tables are dropped.
  # CFF outlines, subroutines and hints are kept as in the source.
  pyftsubset "$SRC_DIR/Noto${FAMILY}CJK-$w.ttc" \
    --font-number=$FACE_SC \
    --unicodes-file="$TMP/unicodes.txt" \
    --layout-features='' \
    --drop-tables+=GSUB,GPOS,GDEF,BASE,VORG,vhea,vmtx,DSIG \
    --name-IDs='*' --name-languages='*' \
    --notdef-outline \
    --no-recalc-timestamp \
    --output-file="$out"
  python3 - "$out" <<'PY'
"""Add ☐ ☑ ☒ (U+2610-2612), which Noto Sans and Serif CJK lack, to a CID-keyed CFF subset:
☐ = the font's own □ (U+25A1); ☑ = □ + the font's ✓ (U+2713) scaled into the box;
☒ = □ + two diagonal bars. Saved without touching head.modified (deterministic)."""
import sys
from fontTools.ttLib import TTFont
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.transformPen import TransformPen
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.boundsPen import BoundsPen

path = sys.argv[1]
font = TTFont(path, recalcTimestamp=False)
cmap = font.getBestCmap()
gs = font.getGlyphSet()
cff = font["CFF "].cff
td = cff.topDictIndex[0]
cs = td.CharStrings
assert hasattr(td, "ROS"), "expected a CID-keyed CFF"

box, check = cmap[0x25A1], cmap[0x2713]
box_fd = td.FDSelect[cs.charStrings[box]]
private = td.FDArray[box_fd].Private
box_w, box_lsb = font["hmtx"][box]

# inner square of □: the second-largest contour's bounds
rec = DecomposingRecordingPen(gs)
gs[box].draw(rec)
contours, cur = [], []
for op, args in rec.value:
    cur.append((op, args))
    if op in ("closePath", "endPath"):
        contours.append(cur)
        cur = []
def bounds(ops):
    pts = [p for _, a in ops for p in a]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)
bb = sorted((bounds(c) for c in contours), key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
ox0, oy0, ox1, oy1 = bb[-1]
ix0, iy0, ix1, iy1 = bb[-2]
stroke = ix0 - ox0

def draw_box(pen):
    gs[box].draw(pen)

def draw_check(pen):
    bp = BoundsPen(gs); gs[check].draw(bp)
    cx0, cy0, cx1, cy1 = bp.bounds
    pad = stroke * 1.6
    sx = (ix1 - ix0 - 2 * pad) / (cx1 - cx0)
    sy = (iy1 - iy0 - 2 * pad) / (cy1 - cy0)
    s = min(sx, sy)
    dx = ix0 + ((ix1 - ix0) - (cx1 - cx0) * s) / 2 - cx0 * s
    dy = iy0 + ((iy1 - iy0) - (cy1 - cy0) * s) / 2 - cy0 * s
    gs[check].draw(TransformPen(pen, (s, 0, 0, s, dx, dy)))

def draw_cross(pen):
    pad = stroke * 1.8
    x0, y0, x1, y1 = ix0 + pad, iy0 + pad, ix1 - pad, iy1 - pad
    t = stroke * 0.75  # half-thickness measured along x
    for (ax, ay, bx, by) in ((x0, y0, x1, y1), (x0, y1, x1, y0)):
        # parallelogram from (ax,ay) to (bx,by); counter-clockwise like CFF outer contours
        pts = [(ax - t, ay), (ax + t, ay), (bx + t, by), (bx - t, by)]
        if (bx - ax) * (by - ay) < 0:
            pts = [(ax + t, ay), (ax - t, ay), (bx - t, by), (bx + t, by)]
        # ensure counter-clockwise orientation
        area = sum(pts[i][0] * pts[(i + 1) % 4][1] - pts[(i + 1) % 4][0] * pts[i][1] for i in range(4))
        if area < 0:
            pts.reverse()
        pen.moveTo(pts[0])
        for p in pts[1:]:
            pen.lineTo(p)
        pen.closePath()

used_cids = {int(n[3:]) for n in font.getGlyphOrder() if n.startswith("cid")}
free_cids = (c for c in range(td.CIDCount - 1, 0, -1) if c not in used_cids)

order = list(font.getGlyphOrder())
new = {}
for cp, parts in ((0x2610, [draw_box]), (0x2611, [draw_box, draw_check]), (0x2612, [draw_box, draw_cross])):
    if cp in cmap:
        continue
    name = "cid%05d" % next(free_cids)
    pen = T2CharStringPen(box_w - private.nominalWidthX, None)
    for part in parts:
        part(pen)
    charstring = pen.getCharString(private=private, globalSubrs=cff.GlobalSubrs)
    cs.charStringsIndex.append(charstring)
    cs.charStrings[name] = len(cs.charStringsIndex) - 1
    td.FDSelect.append(box_fd)
    td.charset.append(name)
    order.append(name)
    font["hmtx"][name] = (box_w, box_lsb)
    if "vmtx" in font:
        font["vmtx"][name] = font["vmtx"][box]
    new[cp] = name

font.setGlyphOrder(order)
for table in font["cmap"].tables:
    if table.isUnicode():
        for cp, name in new.items():
            if cp <= 0xFFFF or table.format in (12, 13):
                table.cmap[cp] = name
font.save(path)
print(f"{path}: added {', '.join(chr(c) for c in new)}", file=sys.stderr)
PY
  python3 - "$out" <<'PY'
import sys
from fontTools.ttLib import TTFont
f = TTFont(sys.argv[1])
cmap = f.getBestCmap()
han = sum(1 for c in cmap if 0x4E00 <= c <= 0x9FFF)
print(f"{sys.argv[1]}: {len(f.getGlyphOrder())} glyphs, {len(cmap)} mapped chars ({han} hanzi)", file=sys.stderr)
PY
  ls -l "$out"
done
