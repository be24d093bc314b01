//! The limits of `[limits]` (docs/limits.md): hostile or huge inputs, made here, end in
//! one line and exit 2, or in a correct result, never in an abort or a hang. The runs that
//! could ask for much memory run under a 2 GB address-space cap (`ulimit -v`), where an
//! unbounded allocation would abort with exit 134.

use crate::common::{AS_OF, xlsx};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Runs `dossier ARGS…` in `dir` under a 2 GB virtual memory cap. The timeout only keeps
/// a hang from hanging the suite; nothing asserts on time.
fn capped(dir: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.current_dir(dir)
        .env("DOSSIER_LANG", crate::common::MESSAGES_LANG)
        .arg("-c")
        .arg(r#"ulimit -v 2000000; exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .timeout(std::time::Duration::from_secs(120));
    cmd.output().expect("runs")
}

/// `dossier check INPUT --as-of AS_OF [--config CONFIG]`, capped.
fn check(dir: &Path, input: &Path, config: Option<&Path>) -> Output {
    use std::ffi::OsStr;
    let mut args: Vec<&OsStr> = vec![OsStr::new("check"), input.as_os_str()];
    args.extend([OsStr::new("--as-of"), OsStr::new(AS_OF)]);
    if let Some(c) = config {
        args.extend([OsStr::new("--config"), c.as_os_str()]);
    }
    capped(dir, &args)
}

/// Asserts the refusal contract: exit 2, one line on stderr holding every `parts`.
fn assert_refused(out: &Output, parts: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    for part in parts {
        assert!(stderr.contains(part), "{stderr:?} does not name {part:?}");
    }
}

/// Asserts a clean run: exit 0 or 1 (diagnostics), nothing aborted.
fn assert_read(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {stderr}",
        out.status.code()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `dossier.toml` holding `[limits]` with `body`.
fn limits_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("dossier.toml");
    std::fs::write(&path, format!("[limits]\n{body}\n")).unwrap();
    path
}

const HEADER: &[&str] = &["序号", "措施内容", "落实情况"];

/// Rewrites a zip, passing each part's name and bytes through `edit`.
fn rezip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut data = Vec::new();
        part.read_to_end(&mut data).unwrap();
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(&edit(&name, data)).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A hand-made ods with `rows` of `content.xml` table rows in one sheet.
fn ods(dir: &Path, name: &str, rows: &str) -> PathBuf {
    ods_body(
        dir,
        name,
        &format!(r#"<table:table table:name="台账">{rows}</table:table>"#),
    )
}

/// A hand-made ods whose `office:spreadsheet` holds `body` as written (tables, or
/// elements nested as no office program writes them).
fn ods_body(dir: &Path, name: &str, body: &str) -> PathBuf {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    out.start_file("mimetype", stored).unwrap();
    out.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    out.start_file("content.xml", deflated).unwrap();
    out.write_all(content.as_bytes()).unwrap();
    out.start_file("META-INF/manifest.xml", deflated).unwrap();
    out.write_all(manifest.as_bytes()).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, out.finish().unwrap().into_inner()).unwrap();
    path
}

/// An ods row of string cells; `repeat` on the last one.
fn ods_row(cells: &[&str], last_repeat: Option<u64>) -> String {
    let mut row = String::from("<table:table-row>");
    for (i, text) in cells.iter().enumerate() {
        let repeat = match last_repeat {
            Some(n) if i + 1 == cells.len() => format!(r#" table:number-columns-repeated="{n}""#),
            _ => String::new(),
        };
        row.push_str(&format!(
            r#"<table:table-cell office:value-type="string"{repeat}><text:p>{text}</text:p></table:table-cell>"#
        ));
    }
    row.push_str("</table:table-row>");
    row
}

#[test]
fn a_value_in_the_last_cell_of_a_sheet_is_read_without_the_rectangle() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "1").unwrap();
    ws.write_string(1, 1, "落实安全生产责任").unwrap();
    ws.write_string(1, 2, "已完成").unwrap();
    ws.write_string(1_048_575, 16_383, "XFD1048576").unwrap();
    let path = dir.path().join("last-cell.xlsx");
    book.save(&path).unwrap();
    let out = check(dir.path(), &path, None);
    let stdout = assert_read(&out);
    assert!(stdout.starts_with("1 measures"), "{stdout}");
}

#[test]
fn a_huge_shared_strings_count_is_refused_before_it_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let plain = xlsx(
        dir.path(),
        "plain.xlsx",
        "台账",
        &[HEADER, &["1", "落实责任", "已完成"]],
    );
    let bytes = rezip(&std::fs::read(plain).unwrap(), |name, data| {
        if name != "xl/sharedStrings.xml" {
            return data;
        }
        let text = String::from_utf8(data).unwrap();
        let re = regex::Regex::new(r#"uniqueCount="\d+""#).unwrap();
        assert!(re.is_match(&text), "{text}");
        re.replace(&text, r#"uniqueCount="4294967295""#)
            .into_owned()
            .into_bytes()
    });
    let path = dir.path().join("sst.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let out = check(dir.path(), &path, None);
    assert_refused(&out, &["sst.xlsx: ", "sharedStrings.xml", "4294967295"]);
}

#[test]
fn a_workbook_listing_forty_thousand_sheets_is_refused_before_it_is_opened() {
    // One sheet element repeated in workbook.xml: the reader would do work for each.
    let dir = tempfile::tempdir().unwrap();
    let plain = xlsx(
        dir.path(),
        "plain.xlsx",
        "台账",
        &[HEADER, &["1", "落实责任", "已完成"]],
    );
    let bytes = rezip(&std::fs::read(plain).unwrap(), |name, data| {
        if name != "xl/workbook.xml" {
            return data;
        }
        let text = String::from_utf8(data).unwrap();
        let re = regex::Regex::new(r"<sheet [^>]*/>").unwrap();
        let sheet = re
            .find(&text)
            .expect("a sheet element")
            .as_str()
            .to_string();
        text.replacen(&sheet, &sheet.repeat(40_000), 1).into_bytes()
    });
    let path = dir.path().join("sheets.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let out = check(dir.path(), &path, None);
    assert_refused(
        &out,
        &[
            "sheets.xlsx: ",
            "40000 sheets, more than 1000",
            "sheets_per_workbook",
        ],
    );
}

/// A sheet of `rows` measures, its sheet1.xml some tens of KB per thousand rows.
fn many_rows(dir: &Path, name: &str, rows: usize) -> PathBuf {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=rows as u32 {
        ws.write_number(r, 0, f64::from(r)).unwrap();
        ws.write_string(r, 1, format!("措施 {r}")).unwrap();
        ws.write_string(r, 2, "已完成").unwrap();
    }
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}

#[test]
fn a_part_inflating_past_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = many_rows(dir.path(), "big.xlsx", 3000);
    let config = limits_config(dir.path(), "zip_part_bytes = 65536");
    let out = check(dir.path(), &path, Some(&config));
    assert_refused(
        &out,
        &[
            "big.xlsx: xl/worksheets/sheet1.xml inflates past 64 KB",
            "(limits.zip_part_bytes); raise it in dossier.toml [limits]",
        ],
    );
    let config = limits_config(dir.path(), "zip_total_bytes = 65536");
    let out = check(dir.path(), &path, Some(&config));
    assert_refused(&out, &["big.xlsx: ", "limits.zip_total_bytes"]);
}

/// Sets the declared uncompressed size of `part` in both its local and its central header.
fn declare_size(bytes: &mut [u8], part: &str, size: u32) {
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        let (size_at, name_len_at, name_at) = match &bytes[i..i + 4] {
            b"PK\x03\x04" => (i + 22, i + 26, i + 30),
            b"PK\x01\x02" => (i + 24, i + 28, i + 46),
            _ => continue,
        };
        let len = u16::from_le_bytes([bytes[name_len_at], bytes[name_len_at + 1]]) as usize;
        if bytes.get(name_at..name_at + len) == Some(part.as_bytes()) {
            bytes[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local and central header of {part}");
}

#[test]
fn a_part_inflating_past_its_declared_size_is_stopped_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = many_rows(dir.path(), "lies.xlsx", 3000);
    let mut bytes = std::fs::read(&path).unwrap();
    declare_size(&mut bytes, "xl/worksheets/sheet1.xml", 1000);
    std::fs::write(&path, bytes).unwrap();
    let out = check(dir.path(), &path, None);
    assert_refused(&out, &["lies.xlsx: ", "declared uncompressed size"]);
}

#[test]
fn too_many_cells_in_a_sheet_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = many_rows(dir.path(), "cells.xlsx", 10);
    let config = limits_config(dir.path(), "cells_per_sheet = 20");
    let out = check(dir.path(), &path, Some(&config));
    assert_refused(
        &out,
        &[
            "cells.xlsx: ",
            "more than 20 cells",
            "limits.cells_per_sheet",
        ],
    );
}

#[test]
fn an_ods_value_repeated_a_billion_times_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        ods_row(HEADER, None),
        ods_row(&["1", "落实责任", "已完成"], Some(999_999_999)),
    ]
    .concat();
    let path = ods(dir.path(), "repeat.ods", &rows);
    let out = check(dir.path(), &path, None);
    assert_refused(
        &out,
        &["repeat.ods: ", "999999999 times", "(limits.ods_repeat)"],
    );
    let rows = format!(
        r#"{}<table:table-row table:number-rows-repeated="999999999"><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#,
        ods_row(HEADER, None)
    );
    let path = ods(dir.path(), "rows.ods", &rows);
    let out = check(dir.path(), &path, None);
    assert_refused(
        &out,
        &["rows.ods: ", "repeats a row", "(limits.ods_repeat)"],
    );
}

#[test]
fn repeated_empty_ods_rows_and_cells_cost_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rows = format!(
        r#"{}{}<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
        ods_row(HEADER, None),
        ods_row(&["1", "落实责任", "已完成"], None)
    );
    let path = ods(dir.path(), "empty-repeats.ods", &rows);
    let out = check(dir.path(), &path, None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// Issue 18, item 4: calamine reads a table up to its end tag and, at the end of
/// `content.xml`, asks again for ever (and so for a cell comment). Under 1 KB, these
/// spun for minutes; the pass that reads the file first the way calamine does refuses
/// them at once.
#[test]
fn an_ods_sheet_or_comment_never_closed_is_refused_instead_of_read_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    // The table's end tag sits in a cell's text, where calamine skips it.
    let body = format!(
        r#"<table:table table:name="台账">{}<table:table-row><table:table-cell office:value-type="string"><text:p>x</table:table></text:p></table:table-cell></table:table-row>"#,
        ods_row(HEADER, None)
    );
    let path = ods_body(dir.path(), "unclosed.ods", &body);
    assert!(std::fs::metadata(&path).unwrap().len() < 1024);
    assert_refused(
        &check(dir.path(), &path, None),
        &[
            "unclosed.ods: the workbook is damaged or truncated: content.xml ends inside sheet \"台账\", whose table is never closed",
        ],
    );
    let rows = format!(
        r#"{}<table:table-row><table:table-cell office:value-type="string"><office:annotation><text:p>备注</text:p></table:table-cell></table:table-row>"#,
        ods_row(HEADER, None)
    );
    let path = ods(dir.path(), "comment.ods", &rows);
    assert_refused(
        &check(dir.path(), &path, None),
        &[
            "comment.ods: the workbook is damaged or truncated: content.xml ends inside a comment (office:annotation) of sheet \"台账\", which is never closed",
        ],
    );
}

/// Issue 18, item 4: an end tag closing the wrong element made the bounds pass give up
/// (its reader checks end names; calamine's does not), so a row repeated a million times
/// reached calamine unchecked and took gigabytes. Elements nested as calamine reads them
/// are counted as calamine counts them.
#[test]
fn mis_nested_ods_elements_are_bounded_as_calamine_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let rows = format!(
        r#"{}<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string" table:number-columns-repeated="99"><text:p>x</text:q></table:table-cell></table:table-row>"#,
        ods_row(HEADER, None)
    );
    let path = ods(dir.path(), "misnested.ods", &rows);
    assert!(std::fs::metadata(&path).unwrap().len() < 1024);
    assert_refused(
        &check(dir.path(), &path, None),
        &[
            "misnested.ods: sheet \"台账\" repeats a row holding a value 1000000 times (limits.ods_repeat)",
        ],
    );
    // A row inside a string cell is text to calamine, and a cell outside a row is
    // skipped: neither counts, and the measure reads.
    let rows = format!(
        r#"{}<table:table-row><table:table-cell office:value-type="string"><text:p>1</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>落实责任</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>已完成</text:p><table:table-row table:number-rows-repeated="999999999"><table:table-cell table:number-columns-repeated="999999999"/></table:table-row></table:table-cell></table:table-row><table:table-cell office:value-type="string" table:number-columns-repeated="999999999"><text:p>x</text:p></table:table-cell>"#,
        ods_row(HEADER, None)
    );
    let path = ods(dir.path(), "nested-row.ods", &rows);
    let stdout = assert_read(&check(dir.path(), &path, None));
    assert!(stdout.starts_with("1 measures"), "{stdout}");
}

/// Issue 18, item 4: what calamine builds from a few hundred bytes, checked however the
/// value is written: a number without `office:value-type` (the bounds pass took it for
/// an empty cell), a `text:s` of two billion spaces, and sheets that each pass but
/// together hold more cells than one sheet may (calamine builds every sheet at once).
#[test]
fn ods_repeats_are_bounded_however_the_value_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let rows = format!(
        r#"{}<table:table-row table:number-rows-repeated="6000"><table:table-cell office:value="1" table:number-columns-repeated="16384"/></table:table-row>"#,
        ods_row(HEADER, None)
    );
    let path = ods(dir.path(), "untyped.ods", &rows);
    assert_refused(
        &check(dir.path(), &path, None),
        &[
            "untyped.ods: sheet \"台账\" spans 98320384 cells from its first to its last value, more than 20000000 (an ods sheet is read whole) (limits.cells_per_sheet)",
        ],
    );
    let rows = format!(
        r#"{}<table:table-row><table:table-cell office:value-type="string"><text:p>1</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>落实<text:s text:c="2000000000"/>责任</text:p></table:table-cell></table:table-row>"#,
        ods_row(HEADER, None)
    );
    let path = ods(dir.path(), "spaces.ods", &rows);
    assert_refused(
        &check(dir.path(), &path, None),
        &[
            "spaces.ods: sheet \"台账\" holds more than 512 MB of text once its repeats are written out (limits.zip_part_bytes)",
        ],
    );
    let sheet = format!(
        r#"{}<table:table-row table:number-rows-repeated="100000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="150"/></table:table-row>"#,
        ods_row(HEADER, None)
    );
    let body: String = (1..=10)
        .map(|i| format!(r#"<table:table table:name="S{i}">{sheet}</table:table>"#))
        .collect();
    let path = ods_body(dir.path(), "sheets.ods", &body);
    assert!(std::fs::metadata(&path).unwrap().len() < 1024);
    assert_refused(
        &check(dir.path(), &path, None),
        &[
            "sheets.ods: its sheets span 30000300 cells together from their first to their last values, more than 20000000 (an ods is read whole, every sheet at once) (limits.cells_per_sheet)",
        ],
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.csv");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let out = check(dir.path(), &fifo, None);
    assert_refused(&out, &["pipe.csv: ", "a FIFO, not a regular file"]);
}

#[cfg(unix)]
#[test]
fn a_device_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), Path::new("/dev/zero"), None);
    assert_refused(&out, &["zero: ", "a device, not a regular file"]);
}

/// `/proc/kmsg` says it is a regular, empty file and blocks for ever when read: a
/// kernel pseudo-file is refused before it is opened (issue 18, item 6).
#[cfg(target_os = "linux")]
#[test]
fn a_kernel_pseudo_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    for path in ["/proc/kmsg", "/proc/self/status"] {
        if std::fs::metadata(path).is_err() {
            continue;
        }
        let out = check(dir.path(), Path::new(path), None);
        assert_refused(&out, &["a pseudo-file of the kernel (/proc, /sys)"]);
    }
}

/// Issue 18, item 2: `--evidence /` walked the whole machine (round `/proc/self/root`
/// for ever) at 45 MB/s. An evidence folder holding more than `max_files` files and
/// folders is refused while it is read, and the root of the file system and the
/// kernel's folders are refused before.
#[test]
fn an_evidence_folder_past_max_files_or_at_the_root_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("台账.csv");
    std::fs::write(&book, "序号,措施内容,落实情况\n1,落实责任,已完成\n").unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(ev.join("市78条/1")).unwrap();
    for i in 0..30 {
        std::fs::write(ev.join(format!("市78条/1/{i:02}.txt")), i.to_string()).unwrap();
    }
    let run = |evidence: &Path, config: Option<&Path>| {
        use std::ffi::OsStr;
        let mut args: Vec<&OsStr> = vec![OsStr::new("check"), book.as_os_str()];
        args.extend([OsStr::new("--as-of"), OsStr::new(AS_OF)]);
        args.extend([OsStr::new("--evidence"), evidence.as_os_str()]);
        if let Some(c) = config {
            args.extend([OsStr::new("--config"), c.as_os_str()]);
        }
        capped(dir.path(), &args)
    };
    let config = limits_config(dir.path(), "max_files = 20");
    assert_refused(
        &run(&ev, Some(&config)),
        &[&format!(
            "dossier: evidence folder {}: more than 20 files and folders (limits.max_files); point evidence at the unit's own folder",
            ev.display()
        )],
    );
    // 32 entries (two folders, thirty files) are within a bound of 32.
    let config = limits_config(dir.path(), "max_files = 32");
    let stdout = assert_read(&run(&ev, Some(&config)));
    assert!(stdout.contains("evidence ev: 30 files"), "{stdout}");
    assert_refused(
        &run(Path::new("/"), None),
        &[
            "dossier: evidence folder /: the root of the file system, not an evidence folder; point evidence at the unit's own folder",
        ],
    );
    if cfg!(target_os = "linux") && Path::new("/proc/self").is_dir() {
        assert_refused(
            &run(Path::new("/proc/self"), None),
            &[
                "dossier: evidence folder /proc/self: a folder of the kernel (/proc, /sys, /dev), not an evidence folder",
            ],
        );
    }
}

/// Issue 18, item 2: `units = "/**"` in dossier.toml globbed its way through the whole
/// machine without end. The folders a `units` or `inputs` glob reads are counted first,
/// and a glob reaching more than `max_files` files and folders is refused before it is
/// walked.
#[test]
fn a_units_glob_reaching_past_max_files_is_refused_before_it_is_walked() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        std::fs::create_dir_all(dir.path().join(format!("towns/{i:02}"))).unwrap();
    }
    let build = |config: &str| {
        std::fs::write(dir.path().join("dossier.toml"), config).unwrap();
        capped(
            dir.path(),
            &["build".as_ref(), "--format".as_ref(), "json".as_ref()],
        )
    };
    assert_refused(
        &build("units = \"towns/**\"\n[limits]\nmax_files = 20\n"),
        &[
            "dossier: dossier.toml: units \"towns/**\" reaches more than 20 files and folders (limits.max_files); point it at the units' own folders",
        ],
    );
    assert_refused(
        &build("[[unit]]\nname = \"a\"\ninputs = \"towns/*/*.xlsx\"\n[limits]\nmax_files = 20\n"),
        &[
            "dossier: dossier.toml: inputs \"towns/*/*.xlsx\" reaches more than 20 files and folders (limits.max_files)",
        ],
    );
    // Within the bound, the 30 unit folders are found (and fail: they hold no workbook).
    let out = build("units = \"towns/*\"\n[limits]\nmax_files = 30\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("0 of 30 units built"), "{stderr}");
    // `/**` (where /proc/self/root leads back to / for ever) ends with the default bound.
    if Path::new("/proc/self/root").is_dir() {
        assert_refused(
            &build("units = \"/**\"\n"),
            &[
                "dossier: dossier.toml: units \"/**\" reaches more than 100000 files and folders (limits.max_files)",
            ],
        );
    }
}

/// Issue 18, item 1: a display name of a megabyte in dossier.toml ran through every
/// document's title and running header, and laying the PDFs out took minutes (the
/// header, as long as the name, was laid out again on each of the pages the name
/// filled). Names of units are short: the config refuses one past 200 characters before
/// anything is read.
#[test]
fn a_display_name_of_a_megabyte_is_refused_when_the_config_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("gamma");
    std::fs::create_dir_all(&unit).unwrap();
    std::fs::copy(
        crate::common::sample("qingxi-town.xlsx"),
        unit.join("qingxi-town.xlsx"),
    )
    .unwrap();
    let display = "镇".repeat(350_000);
    std::fs::write(
        dir.path().join("dossier.toml"),
        format!("[[unit]]\nname = \"gamma\"\ninputs = \"gamma/*.xlsx\"\ndisplay = \"{display}\"\n"),
    )
    .unwrap();
    let out = capped(
        dir.path(),
        &["build".as_ref(), "--as-of".as_ref(), AS_OF.as_ref()],
    );
    assert_refused(
        &out,
        &[
            "dossier: dossier.toml: [[unit]] \"gamma\": display is 350000 characters, more than the 200 a unit's name may have",
        ],
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_cell_over_the_character_limit_is_cut_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let long = "安".repeat(40_000);
    let path = dir.path().join("long.csv");
    std::fs::write(&path, format!("序号,措施内容,落实情况\n1,{long},已完成\n")).unwrap();
    let out = check(dir.path(), &path, None);
    let stdout = assert_read(&out);
    assert!(
        stdout.contains("40000 characters; only the first 32767 are read (limits.cell_chars)"),
        "{stdout}"
    );
    // The same in an xlsx, with the limit lowered.
    let text = "安".repeat(500);
    let path = xlsx(
        dir.path(),
        "long.xlsx",
        "台账",
        &[HEADER, &["1", &text, "已完成"]],
    );
    let config = limits_config(dir.path(), "cell_chars = 100");
    let out = check(dir.path(), &path, Some(&config));
    let stdout = assert_read(&out);
    assert!(
        stdout.contains("500 characters; only the first 100"),
        "{stdout}"
    );
    assert!(stdout.contains("B2"), "{stdout}");
}

#[test]
fn a_csv_line_or_field_over_the_limit_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.csv");
    let commas = ",".repeat(5000);
    std::fs::write(
        &path,
        format!("序号,措施内容,落实情况\n1,措施,已完成\n2{commas}\n"),
    )
    .unwrap();
    let config = limits_config(dir.path(), "csv_line_bytes = 1000");
    let out = check(dir.path(), &path, Some(&config));
    assert_refused(
        &out,
        &["wide.csv: line 3 is 5001 bytes", "(limits.csv_line_bytes)"],
    );
    let path = dir.path().join("field.csv");
    let field = "x".repeat(500);
    std::fs::write(
        &path,
        format!("序号,措施内容,落实情况\n1,\"{field}\",已完成\n"),
    )
    .unwrap();
    let config = limits_config(dir.path(), "csv_field_bytes = 100");
    let out = check(dir.path(), &path, Some(&config));
    assert_refused(
        &out,
        &[
            "field.csv: line 2: a field of 500 bytes",
            "(limits.csv_field_bytes)",
        ],
    );
}

#[test]
fn sheets_measures_and_input_size_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    for _ in 0..3 {
        book.add_worksheet().write_string(0, 0, "x").unwrap();
    }
    let path = dir.path().join("sheets.xlsx");
    book.save(&path).unwrap();
    let config = limits_config(dir.path(), "sheets_per_workbook = 2");
    let out = check(dir.path(), &path, Some(&config));
    assert_refused(&out, &["sheets.xlsx: ", "(limits.sheets_per_workbook)"]);

    let path = many_rows(dir.path(), "measures.xlsx", 5);
    let config = limits_config(dir.path(), "measures_per_run = 4");
    let out = check(dir.path(), &path, Some(&config));
    assert_refused(
        &out,
        &[
            "measures.xlsx: ",
            "more than 4 measures",
            "(limits.measures_per_run)",
        ],
    );

    let config = limits_config(dir.path(), "input_bytes = 1024");
    let out = check(dir.path(), &path, Some(&config));
    assert_refused(
        &out,
        &["measures.xlsx: the file is ", "(limits.input_bytes)"],
    );
}

/// The first offset of a BIFF record `typ` of length `len` in an xls file's bytes (the
/// fixture's Workbook stream lies in order in the file).
fn record_at(bytes: &[u8], typ: u16, len: u16) -> usize {
    let head = [typ.to_le_bytes(), len.to_le_bytes()].concat();
    bytes
        .windows(4)
        .position(|w| w == head.as_slice())
        .expect("the record is in the fixture")
}

#[test]
fn an_xls_whose_cells_span_past_the_limit_is_refused_before_calamine_reserves_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(crate::common::fixture("formats/merged.xls")).unwrap();
    // One LabelSst moved to column 64,768: calamine would make the dense range span it.
    let at = record_at(&bytes, 0x00FD, 10) + 4;
    bytes[at + 2..at + 4].copy_from_slice(&64768u16.to_le_bytes());
    let far = tmp.path().join("far.xls");
    std::fs::write(&far, &bytes).unwrap();
    let cfg = limits_config(tmp.path(), "cells_per_sheet = 100000");
    assert_refused(
        &check(tmp.path(), &far, Some(&cfg)),
        &["far.xls", "cells_per_sheet"],
    );
    // A DIMENSIONS record whose last row comes before its first: calamine's subtraction
    // wraps and asks for terabytes.
    let mut bytes = std::fs::read(crate::common::fixture("formats/merged.xls")).unwrap();
    let at = record_at(&bytes, 0x0200, 14) + 4;
    bytes[at..at + 4].copy_from_slice(&9u32.to_le_bytes());
    bytes[at + 4..at + 8].copy_from_slice(&2u32.to_le_bytes());
    let dims = tmp.path().join("dims.xls");
    std::fs::write(&dims, &bytes).unwrap();
    assert_refused(&check(tmp.path(), &dims, None), &["dims.xls", "DIMENSIONS"]);
}

/// Found by fuzzing `read_xls`: a compound file whose FAT runs past its end made calamine
/// reserve 4 GB for one sheet.
#[test]
fn an_xls_container_that_does_not_hold_together_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = check(
        tmp.path(),
        &crate::common::fixture("fuzz/xls-fat-past-end.xls"),
        None,
    );
    assert_refused(&out, &["xls-fat-past-end.xls", "compound-file container"]);
}

/// Found by the hour-long fuzzing campaign of `read_xls`: the cells calamine reads for a
/// sheet are the records from where its BoundSheet record points, which the bounds must
/// walk the same way (a sequential walk saw other records), else 66 GB are asked for.
#[test]
fn an_xls_sheet_is_bounded_where_its_boundsheet_record_points() {
    let tmp = tempfile::tempdir().unwrap();
    let out = check(
        tmp.path(),
        &crate::common::fixture("fuzz/xls-sheet-read-from-its-boundsheet.xls"),
        None,
    );
    assert_refused(
        &out,
        &[
            "xls-sheet-read-from-its-boundsheet.xls: ",
            "cells from its first to its last value",
            "cells_per_sheet",
        ],
    );
}

/// A 59-byte evidence PDF with no cross-reference table and one object numbered
/// 999999999: the rebuilt table holds the one object, so `check` ends at once in a
/// few megabytes, under a 2 GB address-space limit (issue 18, item 6; it used to ask for
/// 20 GB and abort).
#[cfg(target_os = "linux")]
#[test]
fn an_evidence_pdf_claiming_a_billion_objects_is_checked_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    let set = evidence.join("2026年市78条佐证材料/19 特种设备");
    std::fs::create_dir_all(&set).unwrap();
    std::fs::write(
        set.join("2026-06-09 值班表.pdf"),
        "%PDF-1.4\n999999999 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("dossier");
    let script = format!(
        "ulimit -v 2000000; exec '{}' check '{}' --as-of {AS_OF} --evidence '{}'",
        bin.display(),
        crate::common::sample("qingxi-town.xlsx").display(),
        evidence.display()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("DOSSIER_LANG", crate::common::MESSAGES_LANG)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("evidence"), "{stdout}");
}
