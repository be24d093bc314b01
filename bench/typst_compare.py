#!/usr/bin/env python3
"""Benchmark helper (not a test): sets a dossier Markdown document with Typst, for a
side-by-side of pages and seconds with dossier's own PDF of the same content.

    pip install typst            # the Typst compiler as a Python package
    python3 bench/typst_compare.py evidence-checklist.md out.typ out.pdf

Converts the Markdown dossier's templates produce (headings, paragraphs, pipe tables
with <br> inside cells, lists, <!-- pagebreak -->, **bold**) into Typst markup with the
same font (Noto Sans CJK SC from assets/fonts), A4 with the same margins, a running
header, a "第 N 页 共 M 页" footer and table headers repeated on every page, then
compiles it and prints `typst: PAGES pages, SECONDS s`. Every text goes in as a string
literal, so no character of the content is read as Typst markup.
"""
import pathlib
import re
import sys
import time

import typst

ROOT = pathlib.Path(__file__).resolve().parent.parent


def lit(text):
    """A Typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def inline(text):
    """Markdown inline text (bold, links, escapes) as Typst content."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\\(.)", r"\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    out = []
    for i, part in enumerate(re.split(r"\*\*", text)):
        if part:
            out.append(f"#strong({lit(part)})" if i % 2 else f"#{lit(part)}")
    return "".join(out)


def cell(text):
    lines = re.split(r"<br\s*/?>", text.strip())
    return "[" + " \\ ".join(inline(line) for line in lines) + "]"


def split_row(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [c.replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)]


def convert(md, title):
    out = [
        '#set page(paper: "a4", margin: (x: 18mm, top: 20mm, bottom: 18mm),',
        f'  header: align(left, text(size: 8pt, {lit(title)})),',
        '  footer: context align(center, text(size: 8pt)['
        '#"第 "#counter(page).display()#" 页 共 "#counter(page).final().first()#" 页"]))',
        '#set text(font: "Noto Sans CJK SC", size: 10pt, lang: "zh", region: "cn")',
        "#set par(justify: false)",
        "#show heading.where(level: 1): set align(center)",
        "",
    ]
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("<!-- pagebreak -->"):
            out.append("#pagebreak(weak: true)")
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            text = re.sub(r"\s*\{#[^}]*\}\s*$", "", line[level:].strip())
            out.append("=" * level + " " + inline(text))
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|?\s*:?-", lines[i + 1]):
            header = split_row(line)
            i += 2
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(split_row(lines[i]))
                i += 1
            n = len(header)
            out.append(f"#table(columns: {n}, stroke: 0.5pt + gray,")
            out.append("  table.header(" + ", ".join(f"strong({cell(h)})" for h in header) + "),")
            for r in rows:
                r = (r + [""] * n)[:n]
                out.append("  " + ", ".join(cell(c) for c in r) + ",")
            out.append(")")
            continue
        elif re.match(r"^\s*(\d+\.|[-*])\s", line):
            item = re.sub(r"^\s*(\d+\.|[-*])\s+", "", line)
            marker = "+" if re.match(r"^\s*\d+\.", line) else "-"
            out.append(f"{marker} {inline(item)}")
        elif line.strip().startswith(">"):
            out.append("#block(inset: (left: 8pt), stroke: (left: 2pt + gray))[" + inline(line.strip()[1:].strip()) + "]")
        elif line.strip():
            out.append(inline(line))
        else:
            out.append("")
        i += 1
    return "\n".join(out) + "\n"


def main():
    md_path, typ_path, pdf_path = map(pathlib.Path, sys.argv[1:4])
    md = md_path.read_text(encoding="utf-8")
    first = next((l for l in md.splitlines() if l.startswith("# ")), "# ")
    typ_path.write_text(convert(md, first[2:].strip()), encoding="utf-8")
    start = time.perf_counter()
    pdf = typst.compile(str(typ_path), font_paths=[str(ROOT / "assets" / "fonts")])
    seconds = time.perf_counter() - start
    pdf_path.write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    print(f"typst: {pages} pages, {seconds:.2f} s")


if __name__ == "__main__":
    main()
