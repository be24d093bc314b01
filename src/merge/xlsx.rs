//! Editing an `.xlsx` master in place of re-creating it: the merged workbook is the
//! master's own zip with only the changed cells of the changed sheets replaced.
//!
//! An office's master carries years of work that no reader models: styles, merged
//! cells, column widths, print setup, formulas, other sheets, comments. Writing the
//! measures out afresh would lose all of it, so a merge splices new `<c>` elements into
//! the sheet XML at the byte positions the parser reports, leaves every other byte of the
//! sheet alone, and copies every other zip entry without even recompressing it.
//!
//! This module knows cells, not measures: which cell gets which value is decided by the
//! caller ([`super::workbook`]).

use crate::ingest::grid::Region;
use crate::ingest::xlsx_extras::{attr, cell_ref, region, sheet_parts};
use crate::model::cell_name;
use crate::render::escape::xml;
use chrono::NaiveDate;
use quick_xml::events::Event;
use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read, Write};

/// What a cell of the master becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum NewValue {
    /// An inline string (never a formula, whatever it starts with).
    Text(String),
    /// A date: a serial number in the cell's own (date) style when the master keeps the
    /// cell as a number, else ISO text (`2026-12-31`), which the reader takes as a date.
    Date(NaiveDate),
    /// No value; the cell keeps its style.
    Blank,
}

/// One cell to write: 1-based row, 0-based column, as the reader's `Source` counts.
#[derive(Debug, Clone, PartialEq)]
pub struct CellEdit {
    pub row: u32,
    pub col: u32,
    pub value: NewValue,
    /// The style (`s`) for a cell the sheet does not have yet; an existing cell keeps
    /// its own.
    pub style: Option<String>,
}

/// A column to add after the sheet's last one (a field the master has no column for).
#[derive(Debug, Clone, PartialEq)]
pub struct NewColumn {
    pub col: u32,
    /// Width in characters.
    pub width: f64,
}

/// Why the master could not be edited at all.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("not an xlsx workbook: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the workbook lists no part for sheet \"{0}\"")]
    NoSheet(String),
    #[error("cannot read {part}: {message}")]
    Part { part: String, message: String },
}

/// A cell as the sheet XML has it.
#[derive(Debug, Clone)]
pub struct CellSpan {
    pub col: u32,
    start: usize,
    end: usize,
    /// The `s` attribute.
    pub style: Option<String>,
    /// The cell holds a formula: its value is not data to overwrite.
    pub formula: bool,
    /// The cell holds a number (no `t`, or `t="n"`), so a date there is a serial.
    pub number: bool,
}

#[derive(Debug, Clone)]
struct RowSpan {
    start: usize,
    /// Where `</row>` starts, or the end of an empty `<row …/>`.
    close: usize,
    empty: bool,
    cells: Vec<CellSpan>,
}

/// One sheet's XML with the byte positions of its rows and cells.
pub struct SheetXml {
    text: String,
    rows: BTreeMap<u32, RowSpan>,
    /// Where `</sheetData>` starts.
    data_end: usize,
    /// Where `<sheetData` starts.
    data_start: usize,
    merges: Vec<Region>,
    /// The `<dimension ref>` attribute's value span, when there is one.
    dimension: Option<(usize, usize, String)>,
    /// Where `</cols>` starts, and the columns `<col>` elements cover (0-based, inclusive).
    cols: Option<(usize, Vec<(u32, u32)>)>,
    /// The last column any cell uses (0-based).
    pub max_col: u32,
}

fn xml_error(part: &str, e: impl std::fmt::Display) -> EditError {
    EditError::Part {
        part: part.to_string(),
        message: e.to_string(),
    }
}

impl SheetXml {
    /// Parses the rows, cells, merged regions and the few elements an edit touches.
    pub fn parse(part: &str, text: String) -> Result<SheetXml, EditError> {
        let mut sheet = SheetXml {
            text: String::new(),
            rows: BTreeMap::new(),
            data_end: 0,
            data_start: 0,
            merges: Vec::new(),
            dimension: None,
            cols: None,
            max_col: 0,
        };
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut row: Option<(u32, RowSpan)> = None;
        let mut last_row = 0u32;
        let mut cell: Option<CellSpan> = None;
        let mut last_col: Option<u32> = None;
        let mut col_ranges: Vec<(u32, u32)> = Vec::new();
        loop {
            let before = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| xml_error(part, e))?;
            let after = reader.buffer_position() as usize;
            match event {
                Event::Start(e) | Event::Empty(e)
                    if e.name().as_ref() == "row" || e.name().as_ref() == "c" =>
                {
                    let empty = after >= 2 && &text.as_bytes()[after - 2..after] == b"/>";
                    if e.name().as_ref() == "row" {
                        let r = attr(&e, "r")
                            .and_then(|r| r.parse::<u32>().ok())
                            .unwrap_or(last_row + 1);
                        last_row = r;
                        last_col = None;
                        let span = RowSpan {
                            start: before,
                            close: after,
                            empty,
                            cells: Vec::new(),
                        };
                        if empty {
                            sheet.rows.insert(r, span);
                        } else {
                            row = Some((r, span));
                        }
                    } else {
                        let col = attr(&e, "r")
                            .and_then(|r| cell_ref(&r))
                            .map(|(_, c)| c)
                            .unwrap_or_else(|| last_col.map_or(0, |c| c + 1));
                        last_col = Some(col);
                        sheet.max_col = sheet.max_col.max(col);
                        let t = attr(&e, "t");
                        let span = CellSpan {
                            col,
                            start: before,
                            end: after,
                            style: attr(&e, "s"),
                            formula: false,
                            number: t.is_none() || t.as_deref() == Some("n"),
                        };
                        if empty {
                            if let Some((_, r)) = row.as_mut() {
                                r.cells.push(span);
                            }
                        } else {
                            cell = Some(span);
                        }
                    }
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "f" => {
                    if let Some(c) = cell.as_mut() {
                        c.formula = true;
                    }
                }
                Event::End(e) if e.name().as_ref() == "c" => {
                    if let (Some(mut c), Some((_, r))) = (cell.take(), row.as_mut()) {
                        c.end = after;
                        r.cells.push(c);
                    }
                }
                Event::End(e) if e.name().as_ref() == "row" => {
                    if let Some((r, mut span)) = row.take() {
                        span.close = before;
                        sheet.rows.insert(r, span);
                    }
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "sheetData" => {
                    sheet.data_start = before;
                    sheet.data_end = after;
                }
                Event::End(e) if e.name().as_ref() == "sheetData" => {
                    sheet.data_end = before;
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "mergeCell" => {
                    if let Some(r) = attr(&e, "ref").and_then(|r| region(&r)) {
                        sheet.merges.push(r);
                    }
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "dimension" => {
                    if let Some(value) = attr(&e, "ref") {
                        let tag = &text[before..after];
                        if let Some(at) = tag.find("ref=") {
                            let open = before + at + 5;
                            let quote = text.as_bytes()[open - 1];
                            if let Some(len) = text[open..after].find(quote as char) {
                                sheet.dimension = Some((open, open + len, value));
                            }
                        }
                    }
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "col" => {
                    let n = |k| attr(&e, k).and_then(|v| v.parse::<u32>().ok());
                    if let (Some(min), Some(max)) = (n("min"), n("max")) {
                        col_ranges.push((min.saturating_sub(1), max.saturating_sub(1)));
                    }
                }
                Event::End(e) if e.name().as_ref() == "cols" => {
                    sheet.cols = Some((before, std::mem::take(&mut col_ranges)));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if sheet.data_end == 0 {
            return Err(xml_error(part, "no <sheetData>"));
        }
        sheet.text = text;
        Ok(sheet)
    }

    /// The cell at (1-based row, 0-based column), if the sheet has one.
    pub fn cell(&self, row: u32, col: u32) -> Option<&CellSpan> {
        self.rows.get(&row)?.cells.iter().find(|c| c.col == col)
    }

    /// The merged region (0-based corners) that covers the cell, if any.
    pub fn merged(&self, row: u32, col: u32) -> Option<Region> {
        let (r, c) = (row - 1, col);
        self.merges
            .iter()
            .find(|m| m.start.0 <= r && r <= m.end.0 && m.start.1 <= c && c <= m.end.1)
            .copied()
    }

    /// The sheet with `edits` written and `columns` added; every byte outside the edited
    /// cells (and the dimension and column widths a new column needs) is kept.
    pub fn edited(&self, edits: &[CellEdit], columns: &[NewColumn], date1904: bool) -> String {
        // (position, bytes removed, text inserted), applied back to front.
        let mut splices: Vec<(usize, usize, String)> = Vec::new();
        let mut new_rows: BTreeMap<u32, Vec<&CellEdit>> = BTreeMap::new();
        let mut by_row: BTreeMap<u32, Vec<&CellEdit>> = BTreeMap::new();
        for e in edits {
            by_row.entry(e.row).or_default().push(e);
        }
        for (r, mut row_edits) in by_row {
            row_edits.sort_by_key(|e| e.col);
            let Some(span) = self.rows.get(&r) else {
                new_rows.insert(r, row_edits);
                continue;
            };
            let mut appended = String::new();
            for e in row_edits {
                match span.cells.iter().find(|c| c.col == e.col) {
                    Some(c) => splices.push((
                        c.start,
                        c.end - c.start,
                        cell_xml(r, e, c.style.as_deref(), c.number, date1904),
                    )),
                    None => {
                        let xml = cell_xml(r, e, e.style.as_deref(), false, date1904);
                        match span.cells.iter().find(|c| c.col > e.col) {
                            Some(next) => splices.push((next.start, 0, xml)),
                            None => appended.push_str(&xml),
                        }
                    }
                }
            }
            if !appended.is_empty() {
                if span.empty {
                    // `<row r="5"/>` becomes `<row r="5">…</row>`.
                    let tag = &self.text[span.start..span.close];
                    let open = tag.trim_end_matches("/>").trim_end();
                    splices.push((
                        span.start,
                        span.close - span.start,
                        format!("{open}>{appended}</row>"),
                    ));
                } else {
                    splices.push((span.close, 0, appended));
                }
            }
        }
        for (r, row_edits) in new_rows {
            let cells: String = row_edits
                .iter()
                .map(|e| cell_xml(r, e, e.style.as_deref(), false, date1904))
                .collect();
            let at = self
                .rows
                .range(r + 1..)
                .next()
                .map_or(self.data_end, |(_, s)| s.start);
            splices.push((at, 0, format!("<row r=\"{r}\">{cells}</row>")));
        }
        if let Some(widest) = columns.iter().map(|c| c.col).max() {
            if let Some((start, end, value)) = &self.dimension {
                let grown = grow_dimension(value, widest);
                if grown != *value {
                    splices.push((*start, end - start, grown));
                }
            }
            let mut cols = String::new();
            for c in columns {
                let covered = self.cols.as_ref().is_some_and(|(_, ranges)| {
                    ranges.iter().any(|&(a, b)| a <= c.col && c.col <= b)
                });
                if !covered {
                    cols.push_str(&format!(
                        "<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>",
                        n = c.col + 1,
                        w = c.width
                    ));
                }
            }
            if !cols.is_empty() {
                match &self.cols {
                    Some((close, _)) => splices.push((*close, 0, cols)),
                    None => splices.push((self.data_start, 0, format!("<cols>{cols}</cols>"))),
                }
            }
        }
        // Back to front, so earlier positions stay valid. At one position a replaced
        // cell goes first, so the cells inserted before it land before it; insertions at
        // one position are joined in the order made (the sort is stable).
        splices.sort_by_key(|(at, len, _)| (std::cmp::Reverse(*at), *len == 0));
        let mut out = self.text.clone();
        let mut groups: Vec<(usize, usize, String)> = Vec::new();
        for (at, len, text) in splices {
            match groups.last_mut() {
                Some(last) if last.0 == at && len == 0 && last.1 == 0 => last.2.push_str(&text),
                _ => groups.push((at, len, text)),
            }
        }
        for (at, len, text) in groups {
            out.replace_range(at..at + len, &text);
        }
        out
    }
}

/// `A1:N19` grown to reach column `col` (0-based).
fn grow_dimension(value: &str, col: u32) -> String {
    let Some(r) = region(value) else {
        return value.to_string();
    };
    if r.end.1 >= col {
        return value.to_string();
    }
    format!(
        "{}:{}",
        cell_name(r.start.0, r.start.1),
        cell_name(r.end.0, col)
    )
}

/// Days since the workbook's epoch, as a date cell holds them.
fn serial(date: NaiveDate, date1904: bool) -> i64 {
    let epoch = if date1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 30)
    }
    .expect("a valid epoch");
    (date - epoch).num_days()
}

fn cell_xml(row: u32, e: &CellEdit, style: Option<&str>, number: bool, date1904: bool) -> String {
    let name = cell_name(row - 1, e.col);
    let s = style.map_or(String::new(), |s| format!(" s=\"{}\"", xml(s)));
    let inline = |text: &str| {
        format!(
            "<c r=\"{name}\"{s} t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
            xml(text)
        )
    };
    match &e.value {
        NewValue::Text(t) if t.is_empty() => format!("<c r=\"{name}\"{s}/>"),
        NewValue::Text(t) => inline(t),
        NewValue::Date(d) if number && serial(*d, date1904) > 60 => {
            format!("<c r=\"{name}\"{s}><v>{}</v></c>", serial(*d, date1904))
        }
        NewValue::Date(d) => inline(&d.to_string()),
        NewValue::Blank => format!("<c r=\"{name}\"{s}/>"),
    }
}

/// An xlsx master, opened for editing.
pub struct MasterXlsx<'b> {
    bytes: &'b [u8],
    /// Sheet name → part path.
    parts: HashMap<String, String>,
    /// Dates count from 1904 (`<workbookPr date1904="1">`).
    pub date1904: bool,
    max_part: u64,
}

impl<'b> MasterXlsx<'b> {
    /// Opens the master's zip and finds its sheets; no part larger than `max_part`
    /// bytes inflated is read (the reader's own limit, which the master already passed).
    pub fn open(bytes: &'b [u8], max_part: u64) -> Result<MasterXlsx<'b>, EditError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes))?;
        let parts = sheet_parts(&mut zip)
            .ok_or_else(|| xml_error("xl/workbook.xml", "no sheets listed"))?
            .into_iter()
            .collect();
        let mut workbook = String::new();
        zip.by_name("xl/workbook.xml")?
            .take(max_part)
            .read_to_string(&mut workbook)
            .map_err(|e| xml_error("xl/workbook.xml", e))?;
        let mut date1904 = false;
        let mut reader = quick_xml::Reader::from_str(&workbook);
        loop {
            match reader.read_event() {
                Ok(Event::Start(e) | Event::Empty(e)) if e.name().as_ref() == "workbookPr" => {
                    date1904 = matches!(attr(&e, "date1904").as_deref(), Some("1" | "true"));
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        Ok(MasterXlsx {
            bytes,
            parts,
            date1904,
            max_part,
        })
    }

    /// The part path of a sheet.
    pub fn part(&self, sheet: &str) -> Result<&str, EditError> {
        self.parts
            .get(sheet)
            .map(String::as_str)
            .ok_or_else(|| EditError::NoSheet(sheet.to_string()))
    }

    /// One sheet's XML, parsed.
    pub fn sheet(&self, sheet: &str) -> Result<SheetXml, EditError> {
        let part = self.part(sheet)?;
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes))?;
        let mut text = String::new();
        zip.by_name(part)?
            .take(self.max_part)
            .read_to_string(&mut text)
            .map_err(|e| xml_error(part, e))?;
        SheetXml::parse(part, text)
    }

    /// The master's zip with the parts in `replaced` (path → new XML) replaced; every
    /// other entry is copied as it is stored, compressed bytes and all.
    pub fn write(&self, replaced: &HashMap<String, String>) -> Result<Vec<u8>, EditError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes))?;
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i)?;
            let name = entry.name()?.into_owned();
            match replaced.get(&name) {
                Some(xml) => {
                    let mut options = zip::write::SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Deflated);
                    if let Some(time) = entry.last_modified() {
                        options = options.last_modified_time(time);
                    }
                    drop(entry);
                    out.start_file(name, options)?;
                    out.write_all(xml.as_bytes())
                        .map_err(|e| xml_error("the merged workbook", e))?;
                }
                None => out.raw_copy_file(entry)?,
            }
        }
        Ok(out.finish()?.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHEET: &str = concat!(
        r#"<worksheet><dimension ref="A1:C3"/><sheetData>"#,
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c><c r="C1" s="2" t="inlineStr"><is><t>落实情况</t></is></c></row>"#,
        r#"<row r="2" spans="1:3"><c r="A2"><v>1</v></c><c r="B2" s="4"><v>46000</v></c><c r="C2" s="3"><f>A2&amp;"x"</f><v>1x</v></c></row>"#,
        r#"<row r="3"/>"#,
        r#"</sheetData><mergeCells count="1"><mergeCell ref="A3:B4"/></mergeCells></worksheet>"#
    );

    fn edit(row: u32, col: u32, value: NewValue) -> CellEdit {
        CellEdit {
            row,
            col,
            value,
            style: Some("7".into()),
        }
    }

    #[test]
    fn cells_are_found_with_their_style_formula_and_kind() {
        let s = SheetXml::parse("s", SHEET.into()).unwrap();
        assert!(s.cell(2, 2).unwrap().formula);
        assert!(s.cell(2, 1).unwrap().number);
        assert_eq!(s.cell(1, 2).unwrap().style.as_deref(), Some("2"));
        assert!(!s.cell(1, 2).unwrap().number);
        assert!(s.cell(1, 1).is_none());
        assert_eq!(s.max_col, 2);
        let m = s.merged(4, 1).unwrap();
        assert_eq!((m.start, m.end), ((2, 0), (3, 1)));
        assert!(s.merged(2, 1).is_none());
    }

    #[test]
    fn only_the_edited_cells_change() {
        let s = SheetXml::parse("s", SHEET.into()).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let out = s.edited(
            &[
                edit(1, 1, NewValue::Text("a<b&c".into())),
                edit(2, 1, NewValue::Date(date)),
                edit(3, 0, NewValue::Text("新".into())),
                edit(5, 3, NewValue::Blank),
            ],
            &[NewColumn {
                col: 3,
                width: 20.0,
            }],
            false,
        );
        let expected = SHEET
            .replace(r#"A1:C3"#, "A1:D3")
            .replace("<sheetData>", r#"<cols><col min="4" max="4" width="20" customWidth="1"/></cols><sheetData>"#)
            .replace(
                r#"<c r="C1" s="2""#,
                r#"<c r="B1" s="7" t="inlineStr"><is><t xml:space="preserve">a&lt;b&amp;c</t></is></c><c r="C1" s="2""#,
            )
            .replace(r#"<c r="B2" s="4"><v>46000</v></c>"#, r#"<c r="B2" s="4"><v>46387</v></c>"#)
            .replace(
                r#"<row r="3"/>"#,
                r#"<row r="3"><c r="A3" s="7" t="inlineStr"><is><t xml:space="preserve">新</t></is></c></row><row r="5"><c r="D5" s="7"/></row>"#,
            );
        assert_eq!(out, expected);
    }

    #[test]
    fn a_date_in_a_text_cell_is_written_as_iso_text() {
        let s = SheetXml::parse("s", SHEET.into()).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let out = s.edited(&[edit(1, 2, NewValue::Date(date))], &[], false);
        assert!(out.contains(r#"<c r="C1" s="2" t="inlineStr"><is><t xml:space="preserve">2026-12-31</t></is></c>"#), "{out}");
    }
}
