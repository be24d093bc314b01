//! The same small workbook through every format whose reading differs: merged cells in
//! xlsx, xls and ods; CSV in each encoding the contract names; TSV; and files whose
//! extension lies. Every variant must give the same measures.
//!
//! The spreadsheet fixtures are in `tests/fixtures/formats/`, made by `make.sh` there
//! (LibreOffice cannot write .xlsb, so there is no xlsb variant). The text variants are
//! made here.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A spreadsheet fixture of this module.
fn sheet_fixture(name: &str) -> PathBuf {
    fixture(&format!("formats/{name}"))
}

/// What `merged.xlsx` holds, written out flat as delimited text: the merged category and
/// owner repeated on every row they cover, the title and the section row kept as
/// one-cell rows. The file is named after the sheet, so the set name (the file stem for
/// CSV, the sheet name for workbooks) is the same.
const FLAT: &[&[&str]] = &[
    &["清溪镇落实市安委会78条硬措施工作台账", "", "", "", "", ""],
    &[
        "序号",
        "类别",
        "措施内容",
        "责任单位",
        "落实情况",
        "完成时限",
    ],
    &[
        "1",
        "安全责任",
        "制定年度安全生产工作要点",
        "应急管理办",
        "已完成",
        "2026-06-30",
    ],
    &[
        "2",
        "安全责任",
        "签订安全生产责任书",
        "应急管理办",
        "推进中",
        "2026年12月底",
    ],
    &[
        "3",
        "安全责任",
        "召开安委会全体会议",
        "安监中队",
        "未启动",
        "2026-12-20",
    ],
    &[
        "4",
        "隐患排查",
        "开展“三小”场所隐患排查",
        "市场监管分局",
        "常态化",
        "长期坚持",
    ],
    &[
        "5",
        "隐患排查",
        "整治出租屋消防隐患",
        "消防站",
        "不适用",
        "",
    ],
    &["三、应急管理", "", "", "", "", ""],
    &[
        "6",
        "",
        "修订镇级应急预案",
        "应急管理办",
        "基本完成",
        "2026年10月31日",
    ],
];

/// The flat table as delimited text.
fn flat_text(delimiter: &str, newline: &str) -> String {
    FLAT.iter()
        .map(|row| row.join(delimiter) + newline)
        .collect()
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The parts of a report that must not depend on the format: every measure without the
/// file and sheet it came from (the row stays), the summary and the groupings, and the
/// diagnostics without their file and sheet.
fn comparable(report: &Value) -> Value {
    let mut r = report.clone();
    for m in r["measures"].as_array_mut().unwrap() {
        let source = m["source"].as_object_mut().unwrap();
        source.remove("file");
        source.remove("sheet");
    }
    for d in r["diagnostics"].as_array_mut().unwrap() {
        let d = d.as_object_mut().unwrap();
        d.remove("file");
        d.remove("sheet");
    }
    let keep = [
        "as_of",
        "summary",
        "sets",
        "categories",
        "owners",
        "measures",
        "diagnostics",
    ];
    Value::Object(
        r.as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| keep.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// Pins the reference reading of `merged.xlsx` against the contract, so the other
/// formats are compared with something known to be right.
#[test]
fn merged_xlsx_reads_as_the_contract_says() {
    let report = report(&[&sheet_fixture("merged.xlsx")]);
    let row = |id: &str| {
        let m = measure(&report, id);
        (
            m["category"].as_str().unwrap_or("").to_string(),
            m["owners"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join("|"),
            m["status"].as_str().unwrap().to_string(),
            m["deadline"].as_str().unwrap_or("").to_string(),
        )
    };
    let want = [
        ("1", "安全责任", "应急管理办", "done", "2026-06-30"),
        ("2", "安全责任", "应急管理办", "partial", "2026-12-31"),
        ("3", "安全责任", "安监中队", "not_started", "2026-12-20"),
        ("4", "隐患排查", "市场监管分局", "ongoing", ""),
        ("5", "隐患排查", "消防站", "not_applicable", ""),
        ("6", "应急管理", "应急管理办", "partial", "2026-10-31"),
    ];
    for (id, category, owners, status, deadline) in want {
        assert_eq!(
            row(id),
            (
                category.to_string(),
                owners.to_string(),
                status.to_string(),
                deadline.to_string()
            ),
            "measure {id}"
        );
    }
    assert_eq!(report["measures"].as_array().unwrap().len(), 6);
    assert_eq!(report["summary"]["applicable"], 5);
    assert_eq!(report["summary"]["grade"], "一般");
    assert!((report["summary"]["score"].as_f64().unwrap() - 65.0).abs() < 1e-9);
    assert_eq!(report["sets"][0]["name"], "市78条");
    assert_eq!(
        report["sheets"][0]["title"],
        "清溪镇落实市安委会78条硬措施工作台账"
    );
    assert_eq!(
        report["diagnostics"].as_array().unwrap().len(),
        0,
        "{:#}",
        report["diagnostics"]
    );
}

/// The merged regions are real in every spreadsheet fixture, so the test below does test
/// merges: the ODS carries row spans in content.xml.
#[test]
fn the_ods_fixture_really_has_merged_cells() {
    use std::io::Read;
    let bytes = std::fs::read(sheet_fixture("merged.ods")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("content.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("table:number-rows-spanned=\"3\""));
    assert!(xml.contains("table:number-columns-spanned=\"6\""));
}

#[test]
fn merged_cells_read_the_same_in_xlsx_xls_and_ods() {
    let reference = comparable(&report(&[&sheet_fixture("merged.xlsx")]));
    for name in ["merged.ods", "merged.xls"] {
        let got = comparable(&report(&[&sheet_fixture(name)]));
        assert_eq!(got, reference, "{name} differs from merged.xlsx");
        // The title merged across is the sheet's title in every format.
        let full = report(&[&sheet_fixture(name)]);
        assert_eq!(
            full["sheets"][0]["title"], "清溪镇落实市安委会78条硬措施工作台账",
            "{name}"
        );
    }
}

#[test]
fn csv_in_every_encoding_reads_like_the_workbook() {
    let reference = comparable(&report(&[&sheet_fixture("merged.xlsx")]));
    let tmp = tempfile::tempdir().unwrap();
    let lf = flat_text(",", "\n");
    let crlf = flat_text(",", "\r\n");
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(crlf.as_bytes());
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(&crlf);
    assert!(!unmappable);
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("UTF-8", lf.as_bytes().to_vec()),
        ("UTF-8 with BOM", bom),
        ("UTF-16LE with BOM", utf16(&crlf, false)),
        ("UTF-16BE with BOM", utf16(&crlf, true)),
        ("GB18030", gbk.into_owned()),
    ];
    for (encoding, bytes) in variants {
        let dir = tmp.path().join(encoding.replace(' ', "-"));
        std::fs::create_dir(&dir).unwrap();
        let path = write(&dir, "市78条.csv", &bytes);
        let got = comparable(&report(&[&path]));
        assert_eq!(got, reference, "CSV in {encoding} differs from merged.xlsx");
    }
}

#[test]
fn tsv_reads_like_the_workbook() {
    let reference = comparable(&report(&[&sheet_fixture("merged.xlsx")]));
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), "市78条.tsv", flat_text("\t", "\n").as_bytes());
    assert_eq!(comparable(&report(&[&path])), reference);
    // Tab-separated text behind a .csv extension is still split on tabs.
    let dir = tmp.path().join("csv");
    std::fs::create_dir(&dir).unwrap();
    let path = write(&dir, "市78条.csv", flat_text("\t", "\r\n").as_bytes());
    assert_eq!(comparable(&report(&[&path])), reference);
}

#[test]
fn a_lying_extension_is_ignored() {
    let reference = comparable(&report(&[&sheet_fixture("merged.xlsx")]));
    let tmp = tempfile::tempdir().unwrap();
    // A workbook named .csv (and one named .txt, and one with no extension at all).
    let xlsx = std::fs::read(sheet_fixture("merged.xlsx")).unwrap();
    for name in ["merged.csv", "merged.txt", "merged"] {
        let path = write(tmp.path(), name, &xlsx);
        let got = comparable(&report(&[&path]));
        assert_eq!(got, reference, "xlsx named {name}");
    }
    // The ods and the xls named .xlsx.
    for (fixture_name, name) in [("merged.ods", "ods.xlsx"), ("merged.xls", "xls.xlsx")] {
        let bytes = std::fs::read(sheet_fixture(fixture_name)).unwrap();
        let path = write(tmp.path(), name, &bytes);
        let got = comparable(&report(&[&path]));
        assert_eq!(got, reference, "{fixture_name} named {name}");
    }
    // CSV text named .xlsx, in UTF-8 and in GB18030.
    let dir = tmp.path().join("csv");
    std::fs::create_dir(&dir).unwrap();
    let path = write(&dir, "市78条.xlsx", flat_text(",", "\n").as_bytes());
    assert_eq!(comparable(&report(&[&path])), reference, "CSV named .xlsx");
    let crlf = flat_text(",", "\r\n");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&crlf);
    let path = write(&dir, "市78条.xls", &gbk);
    assert_eq!(
        comparable(&report(&[&path])),
        reference,
        "GB18030 CSV named .xls"
    );
}

/// `check` reads every format without an error or a warning.
#[test]
fn check_is_clean_for_every_spreadsheet_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["merged.xlsx", "merged.ods", "merged.xls"] {
        let input = sheet_fixture(name);
        let args = [
            "check".as_ref(),
            input.as_os_str(),
            "--as-of".as_ref(),
            AS_OF.as_ref(),
        ];
        let text = stdout_of(tmp.path(), &args, 0);
        assert!(text.ends_with("0 errors, 0 warnings\n"), "{name}: {text}");
        assert!(
            text.starts_with("6 measures (5 applicable)"),
            "{name}: {text}"
        );
    }
}

/// A minimal OpenDocument spreadsheet, written by hand: one sheet, rows of strings, the
/// row at `hidden` collapsed.
fn tiny_ods(path: &Path, rows: &[&[&str]], hidden: usize) {
    use std::io::Write;
    let mut body = String::new();
    for (i, row) in rows.iter().enumerate() {
        let vis = if i == hidden {
            " table:visibility=\"collapse\""
        } else {
            ""
        };
        body.push_str(&format!("<table:table-row{vis}>"));
        for cell in *row {
            body.push_str(&format!(
                "<table:table-cell office:value-type=\"string\"><text:p>{cell}</text:p></table:table-cell>"
            ));
        }
        body.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="台账">{body}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn hidden_ods_rows_are_read_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("hidden.ods");
    tiny_ods(
        &path,
        &[
            &["序号", "措施内容", "落实情况"],
            &["1", "排查隐患", "已完成"],
            &["2", "开展培训", "未启动"],
        ],
        2,
    );
    let r = report(&[&path]);
    assert_eq!(r["summary"]["measures"], 2);
    assert_eq!(
        diagnostic_lines(&r),
        ["info A3: a row is hidden: 3; hidden rows are read like the others"]
    );
}
