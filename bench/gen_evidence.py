#!/usr/bin/env python3
"""Generate a deterministic evidence folder for bench/evidence.sh (standard library only).

    gen_evidence.py REPORT_JSON DIR [--files 2000] [--total-mb 1024] [--seed 1]

REPORT_JSON is a `dossier build --format json` report of the workbook: its measures (set,
id, evidence items) decide the layout. DIR gets one folder per set (named after the set),
one folder per measure inside it (第N条), and the files spread round-robin over the
measures: half the files PDFs (valid, 1-8 pages, 100-400 KB, sizes from padded content
streams of real drawing operators), the rest `.mp4` "videos" of random bytes sized so that
the folder totals about --total-mb MiB. Each file is named after one of its measure's
required items, some with a date in the name. Beside DIR, `DIR.lists/<NN set>.pdfs` lists
the set's PDFs, one path a line, in binder order (measure order, then path); NN is the
set's place in the workbook, as in the pack's binder names.

Same arguments, same bytes. A stamp file in DIR.lists makes a second run with the same
arguments a no-op.
"""

import argparse
import json
import os
import random
import shutil
import sys


def pdf_bytes(rng, target, title):
    """A valid PDF of 1-8 pages, about `target` bytes: one text line per page and a
    content stream padded with filled grey rectangles."""
    pages = rng.randint(1, 8)
    # Objects: 1 catalog, 2 pages, 3 font, 4 info, then per page: page, content.
    per_page = max(200, (target - 600 - 180 * pages) // pages)
    objs = {}
    kids = []
    for p in range(pages):
        page_id = 5 + 2 * p
        content_id = page_id + 1
        kids.append(f"{page_id} 0 R")
        lines = [f"BT /F1 18 Tf 72 770 Td ({title} - page {p + 1}) Tj ET"]
        size = len(lines[0]) + 1
        while size < per_page:
            op = "%.2f g %d %d %d %d re f" % (
                rng.uniform(0.6, 0.95),
                rng.randint(0, 560),
                rng.randint(0, 740),
                rng.randint(1, 40),
                rng.randint(1, 40),
            )
            lines.append(op)
            size += len(op) + 1
        stream = ("\n".join(lines) + "\n").encode("ascii")
        objs[content_id] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream"
        objs[page_id] = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
        ).encode("ascii")
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode("ascii")
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    month, day = rng.randint(1, 11), rng.randint(1, 28)
    objs[4] = f"<< /Producer (gen_evidence) /CreationDate (D:2026{month:02d}{day:02d}090000+08'00') >>".encode(
        "ascii"
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for i in sorted(objs):
        offsets[i] = len(out)
        out += b"%d 0 obj\n" % i + objs[i] + b"\nendobj\n"
    xref = len(out)
    n = max(objs) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % n
    for i in range(1, n):
        out += b"%010d 00000 n \n" % offsets[i]
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xref)
    return bytes(out), pages


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report")
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--total-mb", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    stamp_text = json.dumps({"v": 2, "files": a.files, "total_mb": a.total_mb, "seed": a.seed})
    lists = a.dir.rstrip("/") + ".lists"
    stamp = os.path.join(lists, "stamp")
    if os.path.exists(stamp) and os.path.isdir(a.dir) and open(stamp).read() == stamp_text:
        print(f"{a.dir}: up to date", file=sys.stderr)
        return
    for d in (a.dir, lists):
        if os.path.exists(d):
            shutil.rmtree(d)
    os.makedirs(lists)

    measures = [m for m in json.load(open(a.report))["measures"]]
    rng = random.Random(a.seed)
    n_pdf = (a.files + 1) // 2
    n_video = a.files - n_pdf
    pdf_sizes = [rng.randint(100_000, 400_000) for _ in range(n_pdf)]
    # Videos fill the rest, skewed like real clips: most a few hundred KB, a few several MB.
    rest = max(a.total_mb * 1024 * 1024 - sum(pdf_sizes), n_video * 1024)
    weights = [rng.lognormvariate(0, 0.8) for _ in range(n_video)]
    scale = rest / sum(weights)
    video_sizes = [max(1024, int(w * scale)) for w in weights]

    # Which files are PDFs: exactly half, shuffled so every measure gets both kinds.
    is_pdf = [True] * n_pdf + [False] * n_video
    rng.shuffle(is_pdf)
    per_set = {}  # set -> [(measure index, path)]
    total = pages_total = 0
    for i in range(a.files):
        mi = i % len(measures)
        m = measures[mi]
        items = m.get("evidence") or ["其他材料"]
        k = i // len(measures)
        item = items[k % len(items)]
        sub = "照片" if (i % 7 == 3) else ""
        d = os.path.join(a.dir, m["set"], f"第{m['id']}条", sub)
        os.makedirs(d, exist_ok=True)
        date = f"2026-{1 + (i * 7) % 11:02d}-{1 + (i * 13) % 28:02d} " if i % 3 else ""
        if is_pdf[i]:
            data, pages = pdf_bytes(rng, pdf_sizes.pop(), f"{m['set']} {m['id']} {k}".encode("ascii", "replace").decode())
            name = f"{date}{item} {k:02d}.pdf"
            pages_total += pages
        else:
            data = rng.randbytes(video_sizes.pop())
            name = f"{date}{item} 视频 {k:02d}.mp4"
        path = os.path.join(d, name)
        with open(path, "wb") as f:
            f.write(data)
        total += len(data)
        if name.endswith(".pdf"):
            per_set.setdefault(m["set"], []).append((mi, path))
    set_order = list(dict.fromkeys(m["set"] for m in measures))
    for s, entries in per_set.items():
        entries.sort()
        with open(os.path.join(lists, f"{set_order.index(s) + 1:02d} {s}.pdfs"), "w") as f:
            f.writelines(p + "\n" for _, p in entries)
    with open(stamp, "w") as f:
        f.write(stamp_text)
    print(
        f"{a.dir}: {a.files} files ({n_pdf} pdf, {pages_total} pages; {n_video} mp4), {total / 1e6:.0f} MB",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
