use super::*;
use crate::ingest::grid::Grid;
use crate::merge::xlsx::MasterXlsx;
use std::io::Write;

const NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2""#;

fn text(t: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
    )
}

fn number(v: f64) -> String {
    format!(
        r#"<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>"#
    )
}

/// A small ods as an office would keep its master: a measures sheet (title merged
/// across the columns, header rows repeated on each page, full-width text, a text
/// deadline, a real date, a number, a formula, a boolean, a time), an instructions
/// sheet, and a hidden sheet; column widths, a custom row height, landscape A4
/// fitted to one page wide.
fn ods() -> Vec<u8> {
    let measures = [
        (
            r#"<table:table-row table:style-name="ro1"><table:table-cell table:number-columns-spanned="4" table:number-rows-spanned="1" office:value-type="string"><text:p>某镇安全生产措施清单（2026年）</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="3"/></table:table-row>"#
        ).to_string(),
        format!(
            "<table:table-header-rows><table:table-row>{}{}{}{}</table:table-row></table:table-header-rows>",
            text("序号"),
            text("措施内容"),
            text("落实情况"),
            text("完成时限")
        ),
        format!(
            "<table:table-row>{}{}{}{}</table:table-row>",
            number(1.0),
            text("各村（社区）开展隐患排查"),
            text("（11月已验收）"),
            text("2026年底")
        ),
        format!(
            r#"<table:table-row>{}{}{}<table:table-cell office:value-type="date" office:date-value="2026-06-30"><text:p>2026-06-30</text:p></table:table-cell></table:table-row>"#,
            number(2.0),
            text("  前后留空，全角ＡＢＣ、繁體字  "),
            text("=不是公式")
        ),
        (
            r#"<table:table-row><table:table-cell table:formula="of:=[.A3]+[.A4]" office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell><table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell><table:table-cell office:value-type="time" office:time-value="PT10H30M00S"><text:p>10:30</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2026-07-01T09:15:00"><text:p>x</text:p></table:table-cell></table:table-row>"#
        ).to_string(),
        r#"<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#.to_string(),
    ]
    .concat();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content {NS}><office:automatic-styles>
<style:style style:name="co1" style:family="table-column"><style:table-column-properties style:column-width="1.5cm"/></style:style>
<style:style style:name="co2" style:family="table-column"><style:table-column-properties style:column-width="8cm"/></style:style>
<style:style style:name="co3" style:family="table-column"><style:table-column-properties style:column-width="2.258cm"/></style:style>
<style:style style:name="ro1" style:family="table-row"><style:table-row-properties style:row-height="1.2cm" style:use-optimal-row-height="false"/></style:style>
<style:style style:name="ta1" style:family="table" style:master-page-name="Wide"><style:table-properties table:display="true"/></style:style>
<style:style style:name="ta2" style:family="table" style:master-page-name="Default"><style:table-properties table:display="false"/></style:style>
</office:automatic-styles><office:body><office:spreadsheet>
<table:table table:name="措施清单" table:style-name="ta1"><table:table-column table:style-name="co1"/><table:table-column table:style-name="co2" table:number-columns-repeated="2"/><table:table-column table:style-name="co3" table:number-columns-repeated="1021"/>{measures}</table:table>
<table:table table:name="填表说明" table:style-name="ta1"><table:table-column table:style-name="co2"/><table:table-row><table:table-cell office:value-type="string"><text:p>1. 每项措施填写落实情况。</text:p><text:p>2. 完成时限写“2026年底”也可以。</text:p></table:table-cell></table:table-row></table:table>
<table:table table:name="旧表" table:style-name="ta2"><table:table-column table:style-name="co3"/><table:table-row>{}</table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"#,
        text("已隐藏")
    );
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {NS}><office:automatic-styles>
<style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="29.7cm" fo:page-height="21cm" style:print-orientation="landscape" style:scale-to-X="1" style:scale-to-Y="0" fo:margin-left="1cm" fo:margin-right="1cm" fo:margin-top="1.5cm" fo:margin-bottom="1.5cm"/></style:page-layout>
<style:page-layout style:name="pm2"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" style:print-orientation="portrait"/></style:page-layout>
</office:automatic-styles><office:master-styles><style:master-page style:name="Wide" style:page-layout-name="pm1"/><style:master-page style:name="Default" style:page-layout-name="pm2"/></office:master-styles></office:document-styles>"#
    );
    ods_zip(&content, Some(&styles))
}

/// An ods zip of these parts, with the mimetype and manifest every ods has.
fn ods_zip(content: &str, styles: Option<&str>) -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    let mut parts = vec![
        ("content.xml", content),
        ("META-INF/manifest.xml", manifest),
    ];
    if let Some(styles) = styles {
        parts.push(("styles.xml", styles));
    }
    for (name, body) in parts {
        zip.start_file(name, deflated).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn sheet_xml(xlsx: &[u8], n: usize) -> String {
    zip_part(
        xlsx,
        &format!("xl/worksheets/sheet{n}.xml"),
        &Limits::default(),
    )
    .unwrap()
}

/// A sheet as the ordinary reader sees it: name, hidden, cells.
type Seen = (Option<String>, bool, Vec<((u32, u32), String)>);

/// Every cell the ordinary reader sees, by sheet.
fn cells_read(bytes: &[u8]) -> Vec<Seen> {
    let grids: Vec<Grid> = crate::ingest::workbook::read(
        bytes,
        crate::ingest::workbook::sniff(bytes),
        &Limits::default(),
    )
    .unwrap();
    grids
        .iter()
        .map(|g| {
            let cells = g
                .row_numbers()
                .flat_map(|r| {
                    g.own_cells(r)
                        .map(move |(c, slot)| ((r, c), format!("{:?}", slot.value)))
                })
                .collect();
            (g.name.clone(), g.hidden, cells)
        })
        .collect()
}

#[test]
fn an_ods_master_keeps_its_sheets_cells_merges_and_layout() {
    let master = ods();
    let converted = to_xlsx(&master, "master.ods", &Limits::default()).unwrap();
    let xlsx = &converted.bytes;

    // Sheets: same names, order and visibility, the instructions sheet included.
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let meta: Vec<(String, SheetVisible)> = book
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible))
        .collect();
    assert_eq!(
        meta,
        [
            ("措施清单".to_string(), SheetVisible::Visible),
            ("填表说明".to_string(), SheetVisible::Visible),
            ("旧表".to_string(), SheetVisible::Hidden),
        ]
    );

    // Cell by cell, as typed, where they were.
    let range = book.worksheet_range("措施清单").unwrap();
    let at = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or_default();
    assert_eq!(
        at(0, 0),
        Data::String("某镇安全生产措施清单（2026年）".into())
    );
    assert_eq!(at(2, 1), Data::String("各村（社区）开展隐患排查".into()));
    assert_eq!(at(2, 2), Data::String("（11月已验收）".into()));
    assert_eq!(at(2, 3), Data::String("2026年底".into()));
    assert_eq!(
        at(3, 1),
        Data::String("  前后留空，全角ＡＢＣ、繁體字  ".into())
    );
    assert_eq!(at(3, 2), Data::String("=不是公式".into()));
    assert_eq!(at(2, 0), Data::Float(1.0));
    match at(3, 3) {
        Data::DateTime(d) => assert_eq!(
            d.as_datetime().unwrap().date(),
            chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
        ),
        other => panic!("not a date: {other:?}"),
    }
    match at(4, 3) {
        Data::DateTime(d) => {
            assert_eq!(d.as_datetime().unwrap().to_string(), "2026-07-01 09:15:00")
        }
        other => panic!("not a date-time: {other:?}"),
    }
    assert_eq!(at(4, 1), Data::Bool(true));
    assert_eq!(at(4, 0), Data::Float(3.0));
    let formulas = book.worksheet_formula("措施清单").unwrap();
    assert_eq!(
        formulas.get_value((4, 0)).map(String::as_str),
        Some("A3+A4")
    );
    let notes = book.worksheet_range("填表说明").unwrap();
    assert_eq!(
        notes.get_value((0, 0)),
        Some(&Data::String(
            "1. 每项措施填写落实情况。\n2. 完成时限写“2026年底”也可以。".into()
        ))
    );

    // What the ordinary reader sees is the same, cell for cell, but for the time
    // cell: the reader takes an ods time as its ISO text and an xlsx time as a
    // date-time, and the time cell is kept a time cell.
    let time_cell = |sheets: &mut Vec<Seen>| {
        sheets[0].2.retain(|(at, _)| *at != (4, 2));
    };
    let (mut before, mut after) = (cells_read(&master), cells_read(xlsx));
    time_cell(&mut before);
    time_cell(&mut after);
    assert_eq!(before, after);
    match at(4, 2) {
        Data::DateTime(d) => assert_eq!(d.as_f64(), 0.4375),
        other => panic!("not a time: {other:?}"),
    }

    // The merged title.
    let merged: Vec<_> = book
        .merge_cells_by_sheet_name("措施清单")
        .unwrap()
        .into_iter()
        .map(|d| (d.start, d.end))
        .collect();
    assert_eq!(merged, [((0, 0), (0, 3))]);

    // Widths (8 cm is 302 pixels: 43.1 characters with the padding), the row height
    // (1.2 cm, 34 points, to the pixel), print setup.
    let xml = sheet_xml(xlsx, 1);
    assert!(xml.contains(r#"<col min="1" max="1" width="#), "{xml}");
    assert!(xml.contains(r#"<col min="2" max="3" width="43.1"#), "{xml}");
    assert!(xml.contains(r#"<col min="4" max="4" width="#), "{xml}");
    assert!(
        !xml.contains(r#"max="1024""#),
        "widths past the used columns: {xml}"
    );
    assert!(
        xml.contains(r#"ht="33.75""#) && xml.contains(r#"customHeight="1""#),
        "{xml}"
    );
    assert!(xml.contains(r#"orientation="landscape""#), "{xml}");
    assert!(xml.contains(r#"paperSize="9""#), "{xml}");
    assert!(
        xml.contains(r#"fitToHeight="0""#) && xml.contains("<pageSetUpPr fitToPage=\"1\"/>"),
        "{xml}"
    );
    let workbook_xml = zip_part(xlsx, "xl/workbook.xml", &Limits::default()).unwrap();
    assert!(
        workbook_xml.contains("_xlnm.Print_Titles"),
        "{workbook_xml}"
    );
    assert!(workbook_xml.contains("$2:$2"), "{workbook_xml}");

    // The merge's editor opens it, and sees the formula it must leave alone.
    let edit = MasterXlsx::open(xlsx, u64::MAX).unwrap();
    let sheet = edit.sheet("措施清单").unwrap();
    assert!(sheet.cell(5, 0).is_some_and(|c| c.formula));
    assert!(sheet.cell(3, 2).is_some_and(|c| !c.formula));
    assert!(sheet.merged(1, 2).is_some());
    edit.sheet("填表说明").unwrap();
    edit.sheet("旧表").unwrap();

    assert!(converted.lost.contains(&STYLES));
    assert!(!converted.lost.contains(&FORMULAS));
    assert!(!converted.lost.contains(&LAYOUT));
}

#[test]
fn the_same_master_gives_the_same_bytes() {
    let master = ods();
    let a = to_xlsx(&master, "m.ods", &Limits::default()).unwrap();
    let b = to_xlsx(&master, "m.ods", &Limits::default()).unwrap();
    assert_eq!(a.bytes, b.bytes);
    let csv = "序号,措施\n1,排查\n".as_bytes();
    assert_eq!(
        to_xlsx(csv, "m.csv", &Limits::default()).unwrap().bytes,
        to_xlsx(csv, "m.csv", &Limits::default()).unwrap().bytes
    );
}

#[test]
fn a_csv_master_keeps_its_text_where_the_reader_puts_it() {
    let text = "序号,措施内容,完成时限,备注\n1,\"各村（社区）, 排查\",2026年底,=1+1\n\n2,  留空  ,2026-06-30,\n,,,#N/A\n";
    let converted = to_xlsx(text.as_bytes(), "镇/措施.csv", &Limits::default()).unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(&converted.bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["措施"]);
    assert_eq!(text_sheet_name("镇/措施.csv"), "措施");
    let range = book.worksheet_range("措施").unwrap();
    let grid = crate::ingest::delimited::read(text, false, &Limits::default()).unwrap();
    let mut seen = 0;
    for r in grid.row_numbers() {
        for (c, slot) in grid.own_cells(r) {
            let value = range.get_value((r, c)).cloned();
            let expected = match &slot.value {
                crate::ingest::grid::Value::Text(t) => t.clone(),
                crate::ingest::grid::Value::Error(e) => e.clone(),
                other => panic!("{other:?}"),
            };
            assert_eq!(value, Some(Data::String(expected)), "at {r},{c}");
            seen += 1;
        }
    }
    assert_eq!(seen, range.used_cells().count());
    // Text stays text: the date-like and formula-like fields too.
    assert_eq!(range.get_value((1, 3)), Some(&Data::String("=1+1".into())));
    assert_eq!(
        range.get_value((2, 2)),
        Some(&Data::String("2026-06-30".into()))
    );
    assert_eq!(
        range.get_value((2, 1)),
        Some(&Data::String("  留空  ".into()))
    );
    let xml = sheet_xml(&converted.bytes, 1);
    assert!(xml.contains("<col "), "widths from the content: {xml}");
    assert!(!xml.contains("<f>"));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let limits = Limits::default();
    assert!(to_xlsx(b"", "x.xls", &limits).is_err());
    assert!(to_xlsx(b"PK\x03\x04 not really a zip", "x.ods", &limits).is_err());
    let mut compound = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    compound.extend((0..3000u32).map(|i| (i * 7919 % 251) as u8));
    assert!(to_xlsx(&compound, "x.xls", &limits).is_err());
    assert!(to_xlsx(&[0u8, 1, 2, 0, 0, 0, 9], "x.csv", &limits).is_err());
    // A cut-off ods.
    let master = ods();
    for cut in [30, master.len() / 2, master.len() - 10] {
        let _ = to_xlsx(&master[..cut], "x.ods", &limits);
    }
    // An ods whose content.xml is not XML.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"<office:document-content><table:table table:name=\"a\"><<<")
        .unwrap();
    let broken = zip.finish().unwrap().into_inner();
    assert!(to_xlsx(&broken, "x.ods", &limits).is_err());
}

#[test]
fn a_sheet_name_an_xlsx_cannot_hold_is_an_error() {
    let long = "一".repeat(40);
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body><office:spreadsheet><table:table table:name="{long}"><table:table-row>{}</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#,
        text("x")
    );
    let bytes = ods_zip(&content, None);
    let result = to_xlsx(&bytes, "x.ods", &Limits::default());
    assert!(
        matches!(result, Err(ConvertError::SheetName { .. })),
        "{:?}",
        result.map(|c| c.lost)
    );
}

#[test]
fn open_formulas_become_excel_formulas_or_nothing() {
    use formula::from_open_formula as of;
    assert_eq!(of("of:=SUM([.A1:.B3])").as_deref(), Some("SUM(A1:B3)"));
    assert_eq!(
        of("of:=IF([.$A$1]>0;\"是;否\";[$Sheet2.B2])").as_deref(),
        Some("IF($A$1>0,\"是;否\",Sheet2!B2)")
    );
    assert_eq!(
        of("of:=[$'填表 说明'.A1]*1.5").as_deref(),
        Some("'填表 说明'!A1*1.5")
    );
    assert_eq!(of("of:=[$填表说明.A1]").as_deref(), Some("填表说明!A1"));
    assert_eq!(of("of:=COM.MICROSOFT.CONCAT([.A1])"), None);
    assert_eq!(of("of:=SUM(my_range)"), None);
    assert_eq!(of("of:={1;2}"), None);
    assert_eq!(of("of:=[.A1]~[.B1]"), None);
    assert_eq!(of("of:=[#REF!]"), None);
    assert_eq!(of("oooc:=1"), None);
    assert_eq!(
        formula::from_xls("SUM(表 一!A1:A3)", &["表 一".to_string()]).as_deref(),
        Some("SUM('表 一'!A1:A3)")
    );
    assert_eq!(formula::from_xls("Unrecognised formula", &[]), None);
    assert_eq!(formula::from_xls("SUM(A1", &[]), None);
}

#[test]
fn iso_dates_and_durations_become_serials() {
    assert_eq!(iso_serial("2026-06-30"), Some((46203.0, Clock::Date)));
    assert_eq!(iso_serial("1900-01-01"), None);
    let (s, c) = iso_serial("2026-06-30T12:00:00").unwrap();
    assert_eq!((s, c), (46203.5, Clock::DateTime));
    assert_eq!(duration_serial("PT12H00M00S"), Some(0.5));
    assert_eq!(duration_serial("P1DT6H"), Some(1.25));
    assert_eq!(duration_serial("12:00"), None);
}
