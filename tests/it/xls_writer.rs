//! A small BIFF8 writer, so a test can hand dossier an Excel 97-2003 `.xls` it made
//! itself (a department that returns its sheet re-saved as `.xls`) instead of a fixture
//! nobody can regenerate.
//!
//! What it writes: a version 3 compound file (512-byte sectors, as Excel 97-2003 writes)
//! holding one `Workbook` stream. The globals substream has BOF, CODEPAGE 1200, WINDOW1,
//! DATE1904, four FONT records, one FORMAT (`yyyy-mm-dd`), the 15 style XFs and the
//! default cell XF Excel's own files start with plus one date XF, the Normal STYLE, a
//! BOUNDSHEET8 per sheet (pointing at the absolute stream offset of that sheet's BOF),
//! the SST (split into CONTINUE records at 8,224 bytes, a string's header never split, a
//! string's characters continued after a one-byte flags field, surrogate pairs kept
//! together), EXTSST and EOF. Each sheet is BOF, DIMENSIONS, LABELSST and NUMBER records
//! row by row, WINDOW2 and EOF. All text is written uncompressed (UTF-16LE).
//!
//! What it leaves out: ROW, INDEX and DBCELL records (calamine ignores them and
//! LibreOffice does without them), column widths, merged cells, formulas, booleans and
//! errors. It is checked here against calamine, which is what dossier reads `.xls` with,
//! and was checked by hand by converting its files to xlsx with LibreOffice; no test
//! runs Excel, so what Excel alone would say of these files is untested.

use crate::common::*;
use calamine::{Data, DataType, Reader};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;

/// One cell of a sheet given to [`write_xls`]; the variants are what dossier's tests
/// need a returned `.xls` to carry.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing is written for it.
    Empty,
    /// A string, stored once in the shared string table.
    Text(String),
    /// A plain number (General format), as a NUMBER record.
    Number(f64),
    /// A date: its 1900-system serial number under a `yyyy-mm-dd` cell format, so
    /// readers (calamine among them) see a date, not a number.
    Date(NaiveDate),
}

impl From<&str> for Cell {
    /// Text, with the empty string as an empty cell (as `common::xlsx` treats it).
    fn from(text: &str) -> Self {
        if text.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(text.to_string())
        }
    }
}

/// Rows of text as rows of cells (empty strings as empty cells), for the common case of
/// a sheet that is all text.
pub fn text_rows(rows: &[&[&str]]) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|row| row.iter().map(|&t| Cell::from(t)).collect())
        .collect()
}

/// A sheet calamine read (from an xlsx, say) as rows of cells, each at the row and
/// column it had, so a test can re-save what a department sent as `.xls`. Panics on
/// what the writer cannot hold: booleans, errors, and date-times with a time of day.
pub fn rows_from_range(range: &calamine::Range<Data>) -> Vec<Vec<Cell>> {
    let Some((r0, c0)) = range.start() else {
        return Vec::new();
    };
    let mut rows: Vec<Vec<Cell>> = (0..r0).map(|_| Vec::new()).collect();
    for row in range.rows() {
        let mut cells: Vec<Cell> = (0..c0).map(|_| Cell::Empty).collect();
        for data in row {
            cells.push(match data {
                Data::Empty => Cell::Empty,
                Data::String(s) => Cell::Text(s.clone()),
                Data::Float(f) => Cell::Number(*f),
                Data::Int(i) => Cell::Number(*i as f64),
                Data::DateTime(d) => match d.as_datetime() {
                    Some(t) if t.time() == chrono::NaiveTime::MIN => Cell::Date(t.date()),
                    _ => panic!("the xls writer holds whole days only, not {d}"),
                },
                other => panic!("the xls writer has no cell for {other:?}"),
            });
        }
        rows.push(cells);
    }
    rows
}

/// The longest record body BIFF8 allows; longer data goes on in CONTINUE records.
const MAX_RECORD: usize = 8224;
/// The XF of text and number cells: the default cell XF (index 15, after the 15 style XFs).
const XF_GENERAL: u16 = 15;
/// The XF of date cells, whose number format is [`FMT_DATE`].
const XF_DATE: u16 = 16;
/// The number format written for dates (the first index for a workbook's own formats).
const FMT_DATE: u16 = 164;
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const SST: u16 = 0x00FC;
const CONTINUE: u16 = 0x003C;
const EXTSST: u16 = 0x00FF;
const BOUNDSHEET: u16 = 0x0085;
const LABELSST: u16 = 0x00FD;
const NUMBER: u16 = 0x0203;

/// Writes a workbook with these sheets (name, rows of cells; row 0 is the first row) as
/// the bytes of an `.xls` file. Sheets are written in the order given and the first is
/// the active one. Panics on what Excel would refuse: no sheets, a sheet name that is
/// empty, longer than 31 characters, holds `[]:*?/\`, or repeats another (ignoring
/// case); more than 65,536 rows or 256 columns; a text longer than 32,767 UTF-16 units;
/// a number that is not finite; a date before 1900-03-01 (where Excel's 1900 leap-year
/// bug makes serials ambiguous).
pub fn write_xls(sheets: &[(&str, Vec<Vec<Cell>>)]) -> Vec<u8> {
    assert!(!sheets.is_empty(), "a workbook has at least one sheet");
    let mut seen = Vec::new();
    for (name, _) in sheets {
        check_sheet_name(name);
        let folded = name.to_lowercase();
        assert!(!seen.contains(&folded), "sheet name {name:?} is used twice");
        seen.push(folded);
    }
    let mut sst = Sst::default();
    let substreams: Vec<Vec<u8>> = sheets
        .iter()
        .enumerate()
        .map(|(i, (_, rows))| sheet_substream(rows, i == 0, &mut sst))
        .collect();
    let mut stream = Vec::new();
    let names: Vec<&str> = sheets.iter().map(|(n, _)| *n).collect();
    let offsets = globals(&mut stream, &names, &sst);
    // Each BOUNDSHEET8 holds the absolute stream offset of its sheet's BOF.
    let mut pos = stream.len();
    for (at, sub) in offsets.into_iter().zip(&substreams) {
        let pos32 = u32::try_from(pos).expect("a Workbook stream under 4 GB");
        stream[at..at + 4].copy_from_slice(&pos32.to_le_bytes());
        pos += sub.len();
    }
    for sub in substreams {
        stream.extend_from_slice(&sub);
    }
    compound_file(&stream)
}

fn check_sheet_name(name: &str) {
    let units = name.encode_utf16().count();
    assert!(
        (1..=31).contains(&units),
        "sheet name {name:?} must be 1 to 31 characters"
    );
    assert!(
        !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
        "sheet name {name:?} holds a character Excel refuses"
    );
    assert!(
        !name.starts_with('\'') && !name.ends_with('\''),
        "sheet name {name:?} starts or ends with an apostrophe"
    );
}

/// Wraps the Workbook stream in a version 3 compound file. calamine refuses a version 4
/// file whose root entry starts no mini stream (an empty root directory, it says), which
/// is what a version 4 file with only a large stream is; Excel 97-2003 writes version 3.
fn compound_file(stream: &[u8]) -> Vec<u8> {
    let mut cfb = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
        .expect("an in-memory compound file");
    {
        let mut s = cfb.create_stream("/Workbook").expect("the Workbook stream");
        s.write_all(stream).expect("writing the Workbook stream");
        s.flush().expect("flushing the Workbook stream");
    }
    cfb.flush().expect("flushing the compound file");
    cfb.into_inner().into_inner()
}

fn record(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    assert!(body.len() <= MAX_RECORD, "record {typ:#06x} is too long");
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(body);
}

fn utf16le(units: &[u16]) -> impl Iterator<Item = u8> + '_ {
    units.iter().flat_map(|u| u.to_le_bytes())
}

/// `ShortXLUnicodeString`: an 8-bit character count, flags (1: uncompressed), UTF-16LE.
fn short_string(text: &str) -> Vec<u8> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut out = vec![u8::try_from(units.len()).expect("a short string"), 0x01];
    out.extend(utf16le(&units));
    out
}

/// `XLUnicodeString`: a 16-bit character count, flags (1: uncompressed), UTF-16LE.
fn unicode_string(text: &str) -> Vec<u8> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut out = u16::try_from(units.len())
        .expect("a string")
        .to_le_bytes()
        .to_vec();
    out.push(0x01);
    out.extend(utf16le(&units));
    out
}

/// BOF of a BIFF8 substream of type `dt` (5: workbook globals, 0x10: worksheet).
fn bof(out: &mut Vec<u8>, dt: u16) {
    let mut body = Vec::with_capacity(16);
    body.extend_from_slice(&0x0600u16.to_le_bytes()); // BIFF8
    body.extend_from_slice(&dt.to_le_bytes());
    body.extend_from_slice(&0x0DBBu16.to_le_bytes()); // build
    body.extend_from_slice(&0x07CCu16.to_le_bytes()); // year 1996
    body.extend_from_slice(&0u32.to_le_bytes()); // file history flags
    body.extend_from_slice(&6u32.to_le_bytes()); // lowest BIFF version that can read it: 8
    record(out, BOF, &body);
}

/// One XF record: font 0, number format `ifmt`; a style XF (parent 0xFFF) or a cell XF
/// whose parent is the Normal style. `used` are the fAtr* bits (which attributes the XF
/// sets for itself).
fn xf(out: &mut Vec<u8>, ifmt: u16, style: bool, used: u8) {
    let mut body = Vec::with_capacity(20);
    body.extend_from_slice(&0u16.to_le_bytes()); // font
    body.extend_from_slice(&ifmt.to_le_bytes());
    // Locked; a style XF has fStyle and parent 0xFFF, a cell XF parent 0 (Normal).
    let protection: u16 = if style { 0xFFF5 } else { 0x0001 };
    body.extend_from_slice(&protection.to_le_bytes());
    body.push(0x20); // horizontal General, vertical bottom
    body.push(0); // rotation
    body.push(0); // indent, shrink, reading order
    body.push(used);
    body.extend_from_slice(&[0; 8]); // no borders
    body.extend_from_slice(&0x20C0u16.to_le_bytes()); // pattern colours: system fore/back
    record(out, 0x00E0, &body);
}

/// The globals substream; returns where each BOUNDSHEET8's stream offset is, to be
/// filled in once the offsets are known.
fn globals(out: &mut Vec<u8>, names: &[&str], sst: &Sst) -> Vec<usize> {
    bof(out, 0x0005);
    record(out, 0x0042, &1200u16.to_le_bytes()); // CODEPAGE: UTF-16
    let mut window = Vec::with_capacity(18);
    for v in [0u16, 0, 16000, 9000, 0x0038, 0, 0, 1, 600] {
        window.extend_from_slice(&v.to_le_bytes());
    }
    record(out, 0x003D, &window); // WINDOW1: position, size, scroll bars and tabs
    record(out, 0x0022, &0u16.to_le_bytes()); // DATE1904: the 1900 date system
    // Four fonts, as files from Excel start with (font indexes skip 4, so these are
    // 0 to 3); every XF here uses the first.
    let mut font = Vec::new();
    font.extend_from_slice(&200u16.to_le_bytes()); // 10 pt
    font.extend_from_slice(&0u16.to_le_bytes()); // no italic, strike-out
    font.extend_from_slice(&0x7FFFu16.to_le_bytes()); // the window text colour
    font.extend_from_slice(&400u16.to_le_bytes()); // normal weight
    font.extend_from_slice(&0u16.to_le_bytes()); // no super- or subscript
    font.extend_from_slice(&[0, 0, 0, 0]); // no underline, family, charset, reserved
    font.extend(short_string("Arial"));
    for _ in 0..4 {
        record(out, 0x0031, &font);
    }
    let mut format = FMT_DATE.to_le_bytes().to_vec();
    format.extend(unicode_string("yyyy-mm-dd"));
    record(out, 0x041E, &format);
    // The 15 style XFs (Normal and the built-in styles), then the default cell XF.
    for _ in 0..15 {
        xf(out, 0, true, 0xF4);
    }
    xf(out, 0, false, 0x00);
    // The date XF: sets its own number format (fAtrNum).
    xf(out, FMT_DATE, false, 0x04);
    // STYLE: built-in style Normal (0) is XF 0.
    record(out, 0x0293, &[0x00, 0x80, 0x00, 0xFF]);
    let mut offsets = Vec::new();
    for name in names {
        let mut body = vec![0; 4]; // lbPlyPos, filled in by write_xls
        body.push(0); // visible
        body.push(0); // worksheet
        body.extend(short_string(name));
        offsets.push(out.len() + 4);
        record(out, BOUNDSHEET, &body);
    }
    sst.write(out);
    record(out, EOF, &[]);
    offsets
}

/// The strings of the workbook, each stored once; `total` counts the cells using them.
#[derive(Default)]
struct Sst {
    strings: Vec<Vec<u16>>,
    index: HashMap<String, u32>,
    total: u32,
}

impl Sst {
    fn add(&mut self, text: &str) -> u32 {
        self.total += 1;
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(text.encode_utf16().collect());
        self.index.insert(text.to_string(), i);
        i
    }

    /// Strings per EXTSST bucket: at least 8, and no more than 128 buckets (Excel's own
    /// limit).
    fn bucket_size(&self) -> usize {
        self.strings.len().div_ceil(128).max(8)
    }

    /// Writes the SST, its CONTINUE records and the EXTSST that indexes them.
    fn write(&self, out: &mut Vec<u8>) {
        let mut bodies: Vec<Vec<u8>> = vec![Vec::new()];
        bodies[0].extend_from_slice(&self.total.to_le_bytes());
        bodies[0].extend_from_slice(&(self.strings.len() as u32).to_le_bytes());
        // Where each bucket's first string starts: record index, offset in its body.
        let mut buckets = Vec::new();
        let dsst = self.bucket_size();
        for (k, units) in self.strings.iter().enumerate() {
            // The header (count, flags) and the first character go in one record.
            let first = match units.first() {
                Some(u) if is_high_surrogate(*u) => 4,
                Some(_) => 2,
                None => 0,
            };
            if MAX_RECORD - bodies.last().unwrap().len() < 3 + first {
                bodies.push(Vec::new());
            }
            if k % dsst == 0 {
                buckets.push((bodies.len() - 1, bodies.last().unwrap().len()));
            }
            let body = bodies.last_mut().unwrap();
            body.extend_from_slice(&(units.len() as u16).to_le_bytes());
            body.push(0x01);
            let mut rest = &units[..];
            loop {
                let body = bodies.last_mut().unwrap();
                let mut take = ((MAX_RECORD - body.len()) / 2).min(rest.len());
                // Never part a surrogate pair across records.
                if take < rest.len() && take > 0 && is_high_surrogate(rest[take - 1]) {
                    take -= 1;
                }
                body.extend(utf16le(&rest[..take]));
                rest = &rest[take..];
                if rest.is_empty() {
                    break;
                }
                // The characters go on in a CONTINUE record after a flags byte.
                bodies.push(vec![0x01]);
            }
        }
        let mut data_at = Vec::with_capacity(bodies.len());
        for (i, body) in bodies.iter().enumerate() {
            data_at.push(out.len() + 4);
            record(out, if i == 0 { SST } else { CONTINUE }, body);
        }
        let mut ext = (dsst as u16).to_le_bytes().to_vec();
        for (rec, off) in buckets {
            // The string's absolute stream position, and its offset in its record
            // counting the record's four-byte header.
            ext.extend_from_slice(&((data_at[rec] + off) as u32).to_le_bytes());
            ext.extend_from_slice(&((off + 4) as u16).to_le_bytes());
            ext.extend_from_slice(&0u16.to_le_bytes());
        }
        record(out, EXTSST, &ext);
    }
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..0xDC00).contains(&unit)
}

/// The serial number of a date in Excel's 1900 date system.
fn serial(date: NaiveDate) -> f64 {
    let first = NaiveDate::from_ymd_opt(1900, 3, 1).unwrap();
    assert!(
        date >= first,
        "{date}: dates before 1900-03-01 have no unambiguous serial"
    );
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    (date - epoch).num_days() as f64
}

/// One worksheet substream: BOF, DIMENSIONS, the cells row by row, WINDOW2, EOF.
fn sheet_substream(rows: &[Vec<Cell>], active: bool, sst: &mut Sst) -> Vec<u8> {
    assert!(rows.len() <= 65_536, "a sheet holds at most 65,536 rows");
    let mut out = Vec::new();
    bof(&mut out, 0x0010);
    let filled = |c: &Cell| !matches!(c, Cell::Empty);
    let used_rows: Vec<usize> = (0..rows.len())
        .filter(|&r| rows[r].iter().any(filled))
        .collect();
    let used_cols: Vec<usize> = rows
        .iter()
        .flat_map(|row| (0..row.len()).filter(|&c| filled(&row[c])))
        .collect();
    let mut dims = Vec::with_capacity(14);
    match (used_rows.first(), used_rows.last()) {
        (Some(&r0), Some(&r1)) => {
            let c0 = *used_cols.iter().min().unwrap();
            let c1 = *used_cols.iter().max().unwrap();
            assert!(c1 < 256, "a sheet holds at most 256 columns");
            dims.extend_from_slice(&(r0 as u32).to_le_bytes());
            dims.extend_from_slice(&(r1 as u32 + 1).to_le_bytes());
            dims.extend_from_slice(&(c0 as u16).to_le_bytes());
            dims.extend_from_slice(&(c1 as u16 + 1).to_le_bytes());
        }
        _ => dims.extend_from_slice(&[0; 12]),
    }
    dims.extend_from_slice(&[0, 0]);
    record(&mut out, 0x0200, &dims);
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let mut body = Vec::with_capacity(14);
            body.extend_from_slice(&(r as u16).to_le_bytes());
            body.extend_from_slice(&(c as u16).to_le_bytes());
            match cell {
                Cell::Empty => continue,
                Cell::Text(text) => {
                    assert!(
                        text.encode_utf16().count() <= 32_767,
                        "a cell holds at most 32,767 characters"
                    );
                    body.extend_from_slice(&XF_GENERAL.to_le_bytes());
                    body.extend_from_slice(&sst.add(text).to_le_bytes());
                    record(&mut out, LABELSST, &body);
                }
                Cell::Number(v) => {
                    assert!(v.is_finite(), "{v} is not a number Excel can hold");
                    body.extend_from_slice(&XF_GENERAL.to_le_bytes());
                    body.extend_from_slice(&v.to_le_bytes());
                    record(&mut out, NUMBER, &body);
                }
                Cell::Date(d) => {
                    body.extend_from_slice(&XF_DATE.to_le_bytes());
                    body.extend_from_slice(&serial(*d).to_le_bytes());
                    record(&mut out, NUMBER, &body);
                }
            }
        }
    }
    // WINDOW2: grid, headers, zeros, outline symbols; the first sheet selected and shown.
    let flags: u16 = if active { 0x06B6 } else { 0x00B6 };
    let mut window = flags.to_le_bytes().to_vec();
    window.extend_from_slice(&[0, 0, 0, 0]); // top row, left column
    window.extend_from_slice(&0x0040u16.to_le_bytes()); // gridline colour: automatic
    window.extend_from_slice(&[0; 10]); // zoom: default
    record(&mut out, 0x023E, &window);
    record(&mut out, EOF, &[]);
    out
}

/// Writes a workbook as `name` in `dir` and returns its path.
fn save(dir: &Path, name: &str, sheets: &[(&str, Vec<Vec<Cell>>)]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, write_xls(sheets)).unwrap();
    path
}

/// The Workbook stream of an `.xls`.
fn workbook_stream(bytes: &[u8]) -> Vec<u8> {
    let mut cfb = cfb::CompoundFile::open(Cursor::new(bytes)).unwrap();
    let mut data = Vec::new();
    cfb.open_stream("/Workbook")
        .unwrap()
        .read_to_end(&mut data)
        .unwrap();
    data
}

/// Every record of a stream from `at` on: type, where the record starts, its body.
fn records(stream: &[u8], mut at: usize) -> Vec<(u16, usize, &[u8])> {
    let mut out = Vec::new();
    while at + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = u16::from_le_bytes([stream[at + 2], stream[at + 3]]) as usize;
        out.push((typ, at, &stream[at + 4..at + 4 + len]));
        at += 4 + len;
    }
    assert_eq!(at, stream.len(), "the last record runs past the stream");
    out
}

fn u16_at(data: &[u8], at: usize) -> usize {
    u16::from_le_bytes([data[at], data[at + 1]]) as usize
}

fn u32_at(data: &[u8], at: usize) -> usize {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as usize
}

/// calamine's reading of every sheet, in the workbook's order.
fn read_back(bytes: &[u8]) -> Vec<(String, calamine::Range<Data>)> {
    let mut book = calamine::Xls::new(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let range = book.worksheet_range(&n).unwrap();
            (n, range)
        })
        .collect()
}

/// A column of cells as calamine read it, from row 0 (a range may start lower).
fn column(range: &calamine::Range<Data>, col: u32, rows: u32) -> Vec<Data> {
    (0..rows)
        .map(|r| range.get_value((r, col)).cloned().unwrap_or(Data::Empty))
        .collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A department's returned sheet as the office would get it back: a title row, the
/// headers dossier reads, numbers for the ids and a mix of real dates and text dates.
fn department_sheet() -> Vec<Vec<Cell>> {
    let t = |s: &str| Cell::Text(s.to_string());
    vec![
        vec![t("清溪镇 应急管理办 措施落实情况反馈表")],
        vec![
            t("序号"),
            t("类别"),
            t("措施内容"),
            t("责任单位"),
            t("落实情况"),
            t("完成时限"),
        ],
        vec![
            Cell::Number(1.0),
            t("安全责任"),
            t("制定年度安全生产工作要点"),
            t("应急管理办"),
            t("已完成"),
            Cell::Date(date(2026, 6, 30)),
        ],
        vec![
            Cell::Number(2.0),
            t("安全责任"),
            t("签订安全生产责任书"),
            t("应急管理办"),
            t("推进中"),
            t("2026年12月底"),
        ],
        vec![
            Cell::Number(3.0),
            t("隐患排查"),
            t("开展“三小”场所隐患排查"),
            t("应急管理办"),
            t("未启动"),
            Cell::Date(date(2026, 12, 20)),
        ],
        vec![
            Cell::Number(4.0),
            t("隐患排查"),
            t("整治出租屋消防隐患"),
            t("消防站"),
            t("不适用"),
            Cell::Empty,
        ],
        vec![
            Cell::Number(5.0),
            t("应急管理"),
            t("修订镇级应急预案"),
            t("应急管理办"),
            t("常态化"),
            t("长期坚持"),
        ],
    ]
}

#[test]
fn a_department_sheet_saved_as_xls_reads_back_its_measures() {
    let tmp = tempfile::tempdir().unwrap();
    let path = save(
        tmp.path(),
        "应急管理办.xls",
        &[("市78条", department_sheet())],
    );
    let report = report(&[&path]);
    let want = [
        (
            "1",
            "安全责任",
            "制定年度安全生产工作要点",
            "应急管理办",
            "done",
            "已完成",
            "2026-06-30",
        ),
        (
            "2",
            "安全责任",
            "签订安全生产责任书",
            "应急管理办",
            "partial",
            "推进中",
            "2026-12-31",
        ),
        (
            "3",
            "隐患排查",
            "开展“三小”场所隐患排查",
            "应急管理办",
            "not_started",
            "未启动",
            "2026-12-20",
        ),
        (
            "4",
            "隐患排查",
            "整治出租屋消防隐患",
            "消防站",
            "not_applicable",
            "不适用",
            "",
        ),
        (
            "5",
            "应急管理",
            "修订镇级应急预案",
            "应急管理办",
            "ongoing",
            "常态化",
            "",
        ),
    ];
    for (id, category, text, owner, status, status_text, deadline) in want {
        let m = measure(&report, id);
        assert_eq!(m["set"], "市78条", "measure {id}");
        assert_eq!(m["category"], category, "measure {id}");
        assert_eq!(m["measure"], text, "measure {id}");
        assert_eq!(m["owners"], serde_json::json!([owner]), "measure {id}");
        assert_eq!(m["status"], status, "measure {id}");
        assert_eq!(m["status_text"], status_text, "measure {id}");
        assert_eq!(
            m["deadline"].as_str().unwrap_or(""),
            deadline,
            "measure {id}"
        );
    }
    assert!(measure(&report, "5")["continuous"].as_bool().unwrap());
    assert_eq!(report["measures"].as_array().unwrap().len(), 5);
    assert_eq!(
        report["sheets"][0]["title"],
        "清溪镇 应急管理办 措施落实情况反馈表"
    );
    assert_eq!(diagnostic_lines(&report), Vec::<String>::new());
    // `check --format json` lists no diagnostics and exits 0.
    let args = [
        "check".as_ref(),
        path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--as-of".as_ref(),
        AS_OF.as_ref(),
    ];
    let text = stdout_of(tmp.path(), &args, 0);
    let diagnostics: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(diagnostics, serde_json::json!([]), "{text}");
}

#[test]
fn every_sheet_is_read_from_where_its_boundsheet_points() {
    let mut second = department_sheet();
    second[2][2] = Cell::Text("镇级措施一".into());
    let sheets = [
        (
            "填表说明",
            text_rows(&[&["请按实际情况填写"], &[], &["", "落实情况：已完成/推进中"]]),
        ),
        ("市78条", department_sheet()),
        ("镇级措施", second),
        ("空表", Vec::new()),
    ];
    let bytes = write_xls(&sheets);
    // The BOUNDSHEET8 records point at worksheet BOFs, in order, each after the last.
    let stream = workbook_stream(&bytes);
    let globals = records(&stream, 0);
    let offsets: Vec<usize> = globals
        .iter()
        .filter(|r| r.0 == BOUNDSHEET)
        .map(|r| u32_at(r.2, 0))
        .collect();
    assert_eq!(offsets.len(), 4);
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
    for &at in &offsets {
        let (typ, _, body) = records(&stream, at)[0];
        assert_eq!(
            (typ, u16_at(body, 0), u16_at(body, 2)),
            (BOF, 0x0600, 0x0010)
        );
    }
    // calamine reads each sheet under its name with its own cells.
    let read = read_back(&bytes);
    let names: Vec<&str> = read.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["填表说明", "市78条", "镇级措施", "空表"]);
    assert_eq!(
        read[0].1.get_value((0, 0)),
        Some(&Data::String("请按实际情况填写".into()))
    );
    assert_eq!(
        read[0].1.get_value((2, 1)),
        Some(&Data::String("落实情况：已完成/推进中".into()))
    );
    assert_eq!(
        read[1].1.get_value((2, 2)),
        Some(&Data::String("制定年度安全生产工作要点".into()))
    );
    assert_eq!(
        read[2].1.get_value((2, 2)),
        Some(&Data::String("镇级措施一".into()))
    );
    assert_eq!(read[1].1.get_value((2, 0)), Some(&Data::Float(1.0)));
    let deadline = read[1].1.get_value((2, 5)).unwrap();
    assert!(matches!(deadline, Data::DateTime(_)), "{deadline:?}");
    assert_eq!(deadline.as_date(), Some(date(2026, 6, 30)));
    assert!(read[3].1.is_empty());
    // dossier reads both measure sheets as sets.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("book.xls");
    std::fs::write(&path, &bytes).unwrap();
    let report = report(&[&path]);
    let sets: Vec<&str> = report["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(sets, ["市78条", "镇级措施"]);
    let texts: Vec<&str> = report["measures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["set"] == "镇级措施")
        .map(|m| m["measure"].as_str().unwrap())
        .collect();
    assert_eq!(texts[0], "镇级措施一");
}

/// The `i`th of many distinct measure texts, of varying length (5 to 60 characters).
fn many_text(i: usize) -> String {
    let len = 5 + (i * 7919) % 56;
    let mut text = format!("{i}号");
    for j in 0..len {
        let code = 0x4E00 + ((i * 131 + j * 17) % 0x5000) as u32;
        text.push(char::from_u32(code).unwrap());
    }
    text
}

#[test]
fn three_thousand_strings_force_sst_continue_records_and_read_back_exactly() {
    let n = 3000;
    let owners = ["应急管理办", "消防站", "市场监管分局", "安监中队"];
    let statuses = ["已完成", "推进中", "未启动", "基本完成"];
    let mut rows = vec![text_rows(&[&["序号", "措施内容", "责任单位", "落实情况"]]).remove(0)];
    for i in 0..n {
        rows.push(vec![
            Cell::Number((i + 1) as f64),
            Cell::Text(many_text(i)),
            Cell::from(owners[i % 4]),
            Cell::from(statuses[i % 3]),
        ]);
    }
    let bytes = write_xls(&[("市78条", rows)]);
    // The SST went on in CONTINUE records, and the stream left the mini stream.
    let stream = workbook_stream(&bytes);
    assert!(stream.len() > 4096);
    let types: Vec<u16> = records(&stream, 0).iter().map(|r| r.0).collect();
    let sst = types.iter().position(|&t| t == SST).unwrap();
    let continues = types[sst + 1..]
        .iter()
        .take_while(|&&t| t == CONTINUE)
        .count();
    assert!(continues >= 10, "only {continues} CONTINUE records");
    assert_eq!(types[sst + 1 + continues], EXTSST);
    // calamine reads every string exactly.
    let read = read_back(&bytes);
    let got = column(&read[0].1, 1, n as u32 + 1);
    for i in 0..n {
        assert_eq!(got[i + 1], Data::String(many_text(i)), "row {}", i + 2);
    }
    // So does dossier: every measure, its text, owner and status.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("市78条.xls");
    std::fs::write(&path, &bytes).unwrap();
    let report = report(&[&path]);
    let measures = report["measures"].as_array().unwrap();
    assert_eq!(measures.len(), n);
    for (i, m) in measures.iter().enumerate() {
        assert_eq!(m["id"], (i + 1).to_string());
        assert_eq!(m["measure"], many_text(i), "measure {}", i + 1);
        assert_eq!(m["owners"], serde_json::json!([owners[i % 4]]));
        assert_eq!(m["status_text"], statuses[i % 3]);
    }
    assert_eq!(diagnostic_lines(&report), Vec::<String>::new());
}

#[test]
fn strings_split_at_any_offset_near_a_record_end_read_back_exactly() {
    // A string of 9,000 characters (three records), every third one outside the BMP.
    let long: String = (0..9000)
        .map(|i| {
            if i % 3 == 0 {
                char::from_u32(0x20000 + i).unwrap()
            } else {
                char::from_u32(0x4E00 + i).unwrap()
            }
        })
        .collect();
    let probes = ["𠀀中文𠀁", "甲乙", "丙", "", "𠀂"];
    // Shift where the probes start by one byte at a time across the SST record's end:
    // an empty string first moves them by three bytes, the filler by two per character.
    for shift in 0..16usize {
        let with_empty = shift % 2 == 1;
        let before = 8 + 3 + if with_empty { 3 } else { 0 };
        let filler_len = (MAX_RECORD - 12 + shift - before) / 2;
        let filler: String = "填".repeat(filler_len);
        let mut texts: Vec<String> = Vec::new();
        if with_empty {
            texts.push(String::new());
        }
        texts.push(filler);
        texts.extend(probes.iter().map(|s| s.to_string()));
        texts.push(long.clone());
        texts.extend(probes.iter().map(|s| format!("{s}尾")));
        let rows: Vec<Vec<Cell>> = texts.iter().map(|t| vec![Cell::Text(t.clone())]).collect();
        let bytes = write_xls(&[("字符串", rows)]);
        let read = read_back(&bytes);
        let got = column(&read[0].1, 0, texts.len() as u32);
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(
                got[i],
                Data::String(text.clone()),
                "shift {shift}, string {i}"
            );
        }
        // Every record is within the BIFF8 limit, and the long string needed CONTINUEs.
        let stream = workbook_stream(&bytes);
        let recs = records(&stream, 0);
        assert!(recs.iter().all(|r| r.2.len() <= MAX_RECORD));
        assert!(recs.iter().filter(|r| r.0 == CONTINUE).count() >= 2);
    }
}

#[test]
fn the_container_is_version_3_and_extsst_points_at_each_bucket_first_string() {
    let rows: Vec<Vec<Cell>> = (0..3000).map(|i| vec![Cell::Text(many_text(i))]).collect();
    let bytes = write_xls(&[("市78条", rows)]);
    // A version 3 compound file (512-byte sectors), as Excel 97-2003 writes.
    assert_eq!(&bytes[..8], b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    assert_eq!(u16_at(&bytes, 0x1A), 3);
    assert_eq!(u16_at(&bytes, 0x1E), 9);
    let stream = workbook_stream(&bytes);
    let recs = records(&stream, 0);
    assert_eq!((recs[0].0, u16_at(recs[0].2, 2)), (BOF, 0x0005));
    assert!(recs.iter().any(|r| r.0 == 0x0042 && u16_at(r.2, 0) == 1200));
    let sst = recs.iter().find(|r| r.0 == SST).unwrap();
    assert_eq!((u32_at(sst.2, 0), u32_at(sst.2, 4)), (3000, 3000));
    let ext = recs.iter().find(|r| r.0 == EXTSST).unwrap().2;
    let dsst = u16_at(ext, 0);
    assert_eq!(dsst, 24); // 3,000 strings in at most 128 buckets
    let buckets = (ext.len() - 2) / 8;
    assert_eq!(buckets, 3000usize.div_ceil(dsst));
    let starts: Vec<usize> = recs.iter().map(|r| r.1).collect();
    for b in 0..buckets {
        let ib = u32_at(ext, 2 + 8 * b);
        let cb = u16_at(ext, 2 + 8 * b + 4);
        // The string's record starts `cb` bytes before it, and the string there is the
        // bucket's first: its character count and its first character match.
        assert!(starts.contains(&(ib - cb)), "bucket {b}");
        let want: Vec<u16> = many_text(b * dsst).encode_utf16().collect();
        assert_eq!(u16_at(&stream, ib), want.len(), "bucket {b}");
        assert_eq!(stream[ib + 2], 0x01, "bucket {b}");
        assert_eq!(u16_at(&stream, ib + 3), want[0] as usize, "bucket {b}");
    }
}

#[test]
fn the_sample_re_saved_as_xls_reads_as_the_xlsx_does() {
    let sample_path = sample("qingxi-town.xlsx");
    let mut xlsx: calamine::Xlsx<_> = calamine::open_workbook(&sample_path).unwrap();
    let sheets: Vec<(String, calamine::Range<Data>)> = xlsx
        .sheet_names()
        .into_iter()
        .map(|n| {
            let r = xlsx.worksheet_range(&n).unwrap();
            (n, r)
        })
        .collect();
    let converted: Vec<(&str, Vec<Vec<Cell>>)> = sheets
        .iter()
        .map(|(n, r)| (n.as_str(), rows_from_range(r)))
        .collect();
    let bytes = write_xls(&converted);
    // Cell for cell, as calamine reads both (numbers are floats in an xls).
    let read = read_back(&bytes);
    assert_eq!(read.len(), sheets.len());
    let same = |d: &Data| match d {
        Data::Int(i) => Data::Float(*i as f64),
        other => other.clone(),
    };
    for ((name, want), (got_name, got)) in sheets.iter().zip(&read) {
        assert_eq!(name, got_name);
        assert_eq!(want.start(), got.start(), "{name}");
        assert_eq!(want.end(), got.end(), "{name}");
        let (r0, c0) = want.start().unwrap();
        for (r, c, cell) in want.cells() {
            let at = (r as u32 + r0, c as u32 + c0);
            assert_eq!(
                got.get_value(at).map(same),
                Some(same(cell)),
                "{name} {at:?}"
            );
        }
    }
    // dossier reads the same measures from it (the category merges aside: the writer
    // writes no merged cells, so a category shows only on the first row of its block).
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("qingxi-town.xls");
    std::fs::write(&path, &bytes).unwrap();
    let key = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["measures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                serde_json::json!([
                    m["set"],
                    m["id"],
                    m["measure"],
                    m["owners"],
                    m["status"],
                    m["status_text"],
                    m["deadline"],
                    m["veto"],
                    m["evidence"]
                ])
            })
            .collect()
    };
    let from_xlsx = report(&[&sample_path]);
    let from_xls = report(&[&path]);
    assert_eq!(key(&from_xls), key(&from_xlsx));
    assert!(key(&from_xls).len() > 100);
}
