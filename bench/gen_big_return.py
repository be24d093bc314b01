"""Makes a hostile department return for bench/merge.sh: a sheet from `dossier split`
whose table rows (row 10 on) are repeated, renumbered, to ROWS measure rows.

    python3 bench/gen_big_return.py SPLIT_SHEET.xlsx OUT.xlsx ROWS

The header rows 1-9, the hidden key column and every other part are kept as they are;
the repeated rows reuse the sheet's shared-string indices (so sharedStrings.xml stays the
department's), as a program appending rows would. The sheet XML is streamed into the zip
a batch of rows at a time, so this takes a few MB however many rows are asked for.

The part must stay under dossier's zip_part_bytes (512 MiB inflated) or the file would be
refused for that, before its rows are read: when the rows as split wrote them would pass
it, the optional row attributes (spans, height) and the empty styled cells are left out,
and if that is not enough the style indices too. The sizes used are printed.
"""

import re
import sys
import zipfile

SHEET = "xl/worksheets/sheet1.xml"
PART_MAX = 500 * 1024 * 1024  # under the 512 MiB default zip_part_bytes
BATCH = 5000


def templates(rows_xml, level):
    """Each table row as a template: its row number replaced by NUL, thinned by level."""
    out = []
    for row in rows_xml:
        m = re.match(r'<row r="(\d+)"', row)
        n = m.group(1)
        if level >= 1:
            row = re.sub(r"<row [^>]*>", '<row r="%s">' % n, row, count=1)
            row = re.sub(r'<c r="[A-Z]+\d+"[^>]*/>', "", row)  # empty cells
        if level >= 2:
            row = re.sub(r' s="\d+"', "", row)
        row = re.sub(r'(r="[A-Z]*)%s"' % n, "\\1\0\"", row)
        out.append(row)
    return out


def main():
    src, dst, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    z = zipfile.ZipFile(src)
    sheet = z.read(SHEET).decode()
    head_end = sheet.index("</row>", sheet.index('<row r="9"')) + len("</row>")
    tail_start = sheet.index("</sheetData>")
    table = re.findall(r"<row .*?</row>", sheet[head_end:tail_start], re.S)
    if not table:
        sys.exit(f"{src}: no table rows after row 9")
    last = 9 + rows
    head = re.sub(r'<dimension ref="([A-Z]+1:[A-Z]+)\d+"/>',
                  lambda m: '<dimension ref="%s%d"/>' % (m.group(1), last),
                  sheet[:head_end], count=1)
    tail = sheet[tail_start:]
    for level in (0, 1, 2):
        rows_t = templates(table, level)
        # Row numbers of 6-7 digits, at each of the NULs.
        per_row = sum(len(t.encode()) + t.count("\0") * (len(str(last)) - 1)
                      for t in rows_t) / len(rows_t)
        size = len(head.encode()) + len(tail.encode()) + per_row * rows
        if size < PART_MAX:
            break
    else:
        sys.exit(f"{rows} rows of {src} would inflate past {PART_MAX} bytes")
    out = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
    for info in z.infolist():
        if info.filename != SHEET:
            out.writestr(info, z.read(info.filename))
            continue
        part_info = zipfile.ZipInfo(SHEET, info.date_time)
        part_info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(part_info, "w") as part:
            part.write(head.encode())
            r = 10
            k = len(rows_t)
            while r <= last:
                end = min(r + BATCH, last + 1)
                part.write("".join(rows_t[(i - 10) % k].replace("\0", str(i))
                                   for i in range(r, end)).encode())
                r = end
            part.write(tail.encode())
    out.close()
    info = zipfile.ZipFile(dst).getinfo(SHEET)
    print(f"big return: {rows:,} measure rows from {len(table)} of {src} "
          f"(row form {level}); sheet part {info.file_size / 2**20:.0f} MiB inflated, "
          f"file {info.compress_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
