//! Converting an `.xls` master to xlsx (`dossier::merge::convert`): the sheets, cells,
//! merged regions, formulas, widths and print setup an office keeps in it survive, so
//! the merge can edit the master in place.
//!
//! The `.xls` is made by the test's BIFF writer (`xls_writer`) and then given, record by
//! record, what that writer leaves out and offices use: a hidden sheet, merged cells,
//! column widths, a row height, a hidden row, a formula, a boolean, page setup, a header
//! and the rows repeated on each page.

use crate::xls_writer::{Cell, write_xls};
use calamine::{Data, Reader, SheetVisible};
use chrono::NaiveDate;
use dossier::limits::Limits;
use dossier::merge::convert::to_xlsx;
use dossier::merge::xlsx::MasterXlsx;
use std::io::{Cursor, Read, Write};

fn record(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(body);
}

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The records added to sheet `i` before its EOF.
fn sheet_extras(i: usize) -> Vec<u8> {
    let mut out = Vec::new();
    if i != 0 {
        return out;
    }
    // COLINFO: column A 1500/256 characters, B:C 40 characters.
    record(&mut out, 0x007D, &u16s(&[0, 0, 1500, 15, 0, 0]));
    record(&mut out, 0x007D, &u16s(&[1, 2, 40 * 256, 15, 0, 0]));
    // ROW: row 1 at 30 points (600 twips, a custom height), row 6 hidden.
    let mut row = u16s(&[0, 0, 4, 600, 0, 0]);
    row.extend_from_slice(&(0x0140u32 | (15 << 16)).to_le_bytes());
    record(&mut out, 0x0208, &row);
    let mut row = u16s(&[5, 0, 1, 255, 0, 0]);
    row.extend_from_slice(&(0x0120u32 | (15 << 16)).to_le_bytes());
    record(&mut out, 0x0208, &row);
    // A formula in A5, =A3+A4, whose last value is 3.
    let mut f = u16s(&[4, 0, 15]);
    f.extend_from_slice(&3.0f64.to_le_bytes());
    f.extend_from_slice(&u16s(&[0, 0, 0]));
    let rgce = [
        vec![0x24],
        u16s(&[2, 0xC000]),
        vec![0x24],
        u16s(&[3, 0xC000]),
        vec![0x03],
    ]
    .concat();
    f.extend_from_slice(&(rgce.len() as u16).to_le_bytes());
    f.extend_from_slice(&rgce);
    record(&mut out, 0x0006, &f);
    // BOOLERR: TRUE in B5.
    let mut b = u16s(&[4, 1, 15]);
    b.extend_from_slice(&[1, 0]);
    record(&mut out, 0x0205, &b);
    // WSBOOL with fFitToPage; SETUP: A4, landscape, 1 page wide, any number tall.
    record(&mut out, 0x0081, &u16s(&[0x05C1]));
    let mut setup = u16s(&[9, 100, 1, 1, 0, 0, 600, 600]);
    setup.extend_from_slice(&0.3f64.to_le_bytes());
    setup.extend_from_slice(&0.3f64.to_le_bytes());
    setup.extend_from_slice(&u16s(&[1]));
    record(&mut out, 0x00A1, &setup);
    // HEADER: the sheet name, centred.
    let mut header = u16s(&[4]);
    header.push(0);
    header.extend_from_slice(b"&C&A");
    record(&mut out, 0x0014, &header);
    // MERGECELLS: the title across A1:D1.
    record(&mut out, 0x00E5, &u16s(&[1, 0, 0, 0, 3]));
    out
}

/// `write_xls`'s file with the extras: sheet 3 hidden, Print_Titles on sheet 1 (row 2),
/// and [`sheet_extras`]; every BOUNDSHEET's offset moved to where its sheet now starts.
fn patched(xls: &[u8]) -> Vec<u8> {
    let mut cfb = cfb::CompoundFile::open(Cursor::new(xls)).unwrap();
    let mut stream = Vec::new();
    cfb.open_stream("/Workbook")
        .unwrap()
        .read_to_end(&mut stream)
        .unwrap();
    let mut out = Vec::new();
    let (mut fields, mut bofs) = (Vec::new(), Vec::new());
    let (mut bof_count, mut sheet) = (0usize, None::<usize>);
    let mut at = 0;
    while at + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = u16::from_le_bytes([stream[at + 2], stream[at + 3]]) as usize;
        let mut body = stream[at + 4..at + 4 + len].to_vec();
        at += 4 + len;
        match typ {
            0x0809 => {
                if bof_count > 0 {
                    bofs.push(out.len());
                    sheet = Some(bof_count - 1);
                }
                bof_count += 1;
            }
            0x0085 => {
                if fields.len() == 2 {
                    body[4] = 1; // hidden
                }
                fields.push(out.len() + 4);
            }
            0x000A => match sheet {
                Some(i) => out.extend(sheet_extras(i)),
                None => {
                    // Lbl: built-in Print_Titles (7) of sheet 1, rows 2:2.
                    let mut lbl = u16s(&[0x0020]);
                    lbl.extend_from_slice(&[0, 1]);
                    lbl.extend_from_slice(&u16s(&[11, 0, 1, 0, 0]));
                    lbl.extend_from_slice(&[0, 7]);
                    lbl.push(0x3B);
                    lbl.extend_from_slice(&u16s(&[0, 1, 1, 0, 255]));
                    record(&mut out, 0x0018, &lbl);
                }
            },
            _ => {}
        }
        record(&mut out, typ, &body);
    }
    for (field, bof) in fields.iter().zip(&bofs) {
        out[*field..*field + 4].copy_from_slice(&(*bof as u32).to_le_bytes());
    }
    let mut cfb =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    {
        let mut s = cfb.create_stream("/Workbook").unwrap();
        s.write_all(&out).unwrap();
    }
    cfb.flush().unwrap();
    cfb.into_inner().into_inner()
}

fn master() -> Vec<u8> {
    let date = |y, m, d| Cell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
    let text = |t: &str| Cell::Text(t.to_string());
    let measures = vec![
        vec![text("某镇安全生产措施清单（2026年）")],
        vec![
            text("序号"),
            text("措施内容"),
            text("落实情况"),
            text("完成时限"),
        ],
        vec![
            Cell::Number(1.0),
            text("各村（社区）开展隐患排查"),
            text("（11月已验收）"),
            text("2026年底"),
        ],
        vec![
            Cell::Number(2.0),
            text("  前后留空，全角ＡＢＣ、繁體字  "),
            text("=不是公式"),
            date(2026, 6, 30),
        ],
        vec![],
        vec![text("隐藏的一行")],
    ];
    let notes = vec![vec![text(
        "1. 每项措施填写落实情况。\n2. 完成时限写“2026年底”也可以。",
    )]];
    let old = vec![vec![text("已隐藏")]];
    patched(&write_xls(&[
        ("措施清单", measures),
        ("填表说明", notes),
        ("旧表", old),
    ]))
}

fn part(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// A sheet's cells as calamine reads them: its name, then each cell and its value.
type SheetCells = (String, Vec<((u32, u32), String)>);

/// The cells of every sheet as calamine reads them, dates as date-times.
fn cells<R: Reader<Cursor<Vec<u8>>>>(book: &mut R) -> Vec<SheetCells> {
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).ok().unwrap();
            let start = range.start().unwrap_or((0, 0));
            let cells = range
                .used_cells()
                .map(|(r, c, d)| {
                    let shown = match d {
                        Data::DateTime(dt) => format!("date {:?}", dt.as_datetime()),
                        Data::Int(i) => format!("number {i}"),
                        Data::Float(f) => format!("number {f}"),
                        other => format!("{other:?}"),
                    };
                    ((start.0 + r as u32, start.1 + c as u32), shown)
                })
                .collect();
            (name, cells)
        })
        .collect()
}

#[test]
fn an_xls_master_keeps_its_sheets_cells_merges_formulas_and_layout() {
    let xls = master();
    let converted = to_xlsx(&xls, "master.xls", &Limits::default()).unwrap();
    let xlsx = converted.bytes.clone();

    let mut before: calamine::Xls<_> =
        calamine::open_workbook_from_rs(Cursor::new(xls.clone())).unwrap();
    let mut after: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(xlsx.clone())).unwrap();
    let visibility = |meta: &[calamine::Sheet]| -> Vec<(String, SheetVisible)> {
        meta.iter().map(|s| (s.name.clone(), s.visible)).collect()
    };
    assert_eq!(
        visibility(after.sheets_metadata()),
        [
            ("措施清单".to_string(), SheetVisible::Visible),
            ("填表说明".to_string(), SheetVisible::Visible),
            ("旧表".to_string(), SheetVisible::Hidden),
        ]
    );
    assert_eq!(
        visibility(before.sheets_metadata()),
        visibility(after.sheets_metadata())
    );
    // Every cell, as typed, where it was.
    assert_eq!(cells(&mut before), cells(&mut after));
    let range = after.worksheet_range("措施清单").unwrap();
    assert_eq!(
        range.get_value((3, 2)),
        Some(&Data::String("=不是公式".into()))
    );
    assert_eq!(
        range.get_value((2, 3)),
        Some(&Data::String("2026年底".into()))
    );
    assert_eq!(range.get_value((4, 1)), Some(&Data::Bool(true)));
    let formulas = after.worksheet_formula("措施清单").unwrap();
    assert_eq!(
        formulas.get_value((4, 0)).map(String::as_str),
        Some("A3+A4")
    );
    assert_eq!(
        after
            .merge_cells_by_sheet_name("措施清单")
            .unwrap()
            .into_iter()
            .map(|d| (d.start, d.end))
            .collect::<Vec<_>>(),
        [((0, 0), (0, 3))]
    );

    // The ordinary reader sees the same grids.
    let grids = |bytes: &[u8]| {
        let kind = dossier::ingest::workbook::sniff(bytes);
        let grids = dossier::ingest::workbook::read(bytes, kind, &Limits::default()).unwrap();
        grids
            .iter()
            .map(|g| {
                let cells: Vec<_> = g
                    .row_numbers()
                    .flat_map(|r| {
                        g.own_cells(r)
                            .map(move |(c, s)| ((r, c), format!("{:?}", s.value)))
                    })
                    .collect();
                (g.name.clone(), g.hidden, g.hidden_rows.clone(), cells)
            })
            .collect::<Vec<_>>()
    };
    let converted_grids = grids(&xlsx);
    assert_eq!(converted_grids[0].2, [5], "the hidden row");
    let mut original = grids(&xls);
    // The xls reader does not report hidden rows; the xlsx one does.
    original[0].2 = vec![5];
    assert_eq!(original, converted_grids);

    // Widths, heights, the hidden row, page setup, header, titles.
    let xml = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"<col min="2" max="3" width="40""#), "{xml}");
    assert!(xml.contains(r#"<col min="1" max="1" width="#), "{xml}");
    assert!(
        xml.contains(r#"<row r="1" spans="1:4" ht="30" customHeight="1""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<row r="6" spans="1:4" hidden="1""#),
        "{xml}"
    );
    assert!(xml.contains(r#"orientation="landscape""#), "{xml}");
    assert!(xml.contains(r#"paperSize="9""#), "{xml}");
    assert!(xml.contains(r#"<pageSetUpPr fitToPage="1"/>"#), "{xml}");
    assert!(xml.contains(r#"fitToHeight="0""#), "{xml}");
    assert!(xml.contains("<oddHeader>&amp;C&amp;A</oddHeader>"), "{xml}");
    assert!(xml.contains("<f>A3+A4</f><v>3</v>"), "{xml}");
    let workbook = part(&xlsx, "xl/workbook.xml");
    assert!(workbook.contains("_xlnm.Print_Titles"), "{workbook}");
    assert!(workbook.contains("$2:$2"), "{workbook}");

    // The merge's editor opens every sheet and sees the formula it must not overwrite.
    let edit = MasterXlsx::open(&xlsx, u64::MAX).unwrap();
    let sheet = edit.sheet("措施清单").unwrap();
    assert!(sheet.cell(5, 0).is_some_and(|c| c.formula));
    assert!(sheet.cell(4, 3).is_some_and(|c| !c.formula && c.number));
    edit.sheet("填表说明").unwrap();
    edit.sheet("旧表").unwrap();

    assert!(
        !converted
            .lost
            .contains(&"formulas (their last values are kept)")
    );
    assert!(
        !converted
            .lost
            .contains(&"column widths, row heights and print setup")
    );
    assert!(
        converted
            .lost
            .contains(&"cell styles (fonts, borders, fills, alignment, number formats)")
    );

    // The same master, the same bytes.
    let again = to_xlsx(&xls, "master.xls", &Limits::default()).unwrap();
    assert_eq!(again.bytes, xlsx);
}

#[test]
fn a_damaged_xls_is_an_error_not_a_panic() {
    let xls = master();
    let limits = Limits::default();
    for cut in [600, xls.len() / 2, xls.len() - 100] {
        let _ = to_xlsx(&xls[..cut], "master.xls", &limits);
    }
    // Flip bytes through the Workbook stream.
    for at in (512..xls.len()).step_by(97) {
        let mut bad = xls.clone();
        bad[at] ^= 0xFF;
        let _ = to_xlsx(&bad, "master.xls", &limits);
    }
    assert!(to_xlsx(&xls[..600], "master.xls", &limits).is_err());
}
