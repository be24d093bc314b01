//! A master that is not an xlsx (`.xls`, `.ods`, `.xlsb`, CSV/TSV) turned into an xlsx
//! that holds the same sheets and the same cells in the same places, so the merge edits
//! it cell by cell like any xlsx master ([`super::xlsx`]) instead of rewriting the
//! measures in the contract's layout, which lost the office's other sheets, its words,
//! its column widths and so its printing.
//!
//! Kept:
//! - every worksheet, in order, under its own name, hidden or very hidden as it was;
//! - every cell at its own row and column, with its value as typed: text exactly
//!   (nothing trimmed, folded or normalised; text that looks like a date stays text),
//!   numbers, booleans, dates and date-times as date cells (`yyyy-mm-dd`, with
//!   `hh:mm` when there is a time of day), times and durations as time cells;
//! - error cells (`#N/A`) as their error text, a string: an xlsx cell holds an error only
//!   as a formula's result, and the ordinary reader takes that text as the same error;
//! - merged regions;
//! - formulas of an `.xls` and the plain ones of an `.ods` (translated from
//!   OpenFormula), each with its last value, so the merge sees a formula there and
//!   leaves the cell alone; a formula that cannot be carried over safely keeps its last
//!   value only;
//! - column widths, hidden columns, row heights, hidden rows, manual page
//!   breaks, frozen panes, and the print setup (orientation, paper, scale or fit to
//!   pages, margins, centring, rows repeated on each page, the print area, gridlines;
//!   headers and footers of an `.xls`) of `.xls` and `.ods` masters. Row heights are
//!   written for every row the master holds a height for (an `.xls` row, an `.ods`
//!   custom height), since LibreOffice does not size the rows of an xlsx itself when it
//!   opens one; rows an `.ods` sizes to their content when it opens get heights
//!   estimated from their text. A CSV/TSV or `.xlsb` master gets column widths and row
//!   heights estimated from its content.
//!
//! Lost, and named in [`Converted::lost`] for the note that goes with the merged
//! workbook: cell styles (fonts, borders, fills, alignment and number formats other
//! than dates: every cell is written centred vertically, text cells wrapped),
//! comments, pictures, charts and chart sheets,
//! conditional formats, data validation, defined names other than the print ones,
//! formulas that could not be carried over, headers and footers of an `.ods`; of an
//! `.xlsb`, merges, formulas, widths and print setup.
//!
//! An xlsx (or xlsm) master needs no conversion: its bytes come back unchanged.
//!
//! Work and memory follow the cells that hold something: the master is opened through
//! [`crate::ingest::workbook::open`] under the same `[limits]` as for reading, sheets are
//! read one at a time from the used cells only, and sizes the file declares allocate
//! nothing.

use crate::ingest::InputError;
use crate::ingest::grid::Region;
use crate::ingest::workbook::{self as wb, Kind};
use crate::limits::Limits;
use calamine::{Data, Reader, SheetType, SheetVisible, Sheets};
use quick_xml::events::{BytesStart, Event};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Worksheet, XlsxError,
};
use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read};

/// A master converted to xlsx: the bytes [`super::xlsx::MasterXlsx::open`] edits, and
/// what the xlsx could not keep, for the note to the office.
#[derive(Debug, Clone)]
pub struct Converted {
    pub bytes: Vec<u8>,
    /// What could not be kept, as short English phrases for a note ("cell styles",
    /// "formulas (their last values are kept)"), each once, in a fixed order.
    pub lost: Vec<&'static str>,
}

/// Why a master could not be converted: the merge then has no workbook to edit and
/// says so, rather than write one that lost the office's work.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The master cannot be read (damaged, encrypted, past a limit, not a spreadsheet).
    #[error(transparent)]
    Read(#[from] InputError),
    /// A sheet's name cannot be an xlsx sheet name (longer than 31 characters, say); a
    /// renamed sheet would not be found by the merge.
    #[error("sheet {name:?} cannot keep its name in an xlsx: {reason}")]
    SheetName { name: String, reason: String },
    /// The xlsx could not be written.
    #[error("the xlsx cannot be written: {0}")]
    Write(#[from] XlsxError),
}

/// Lost-feature phrases, in the order a note lists them.
const LOST_ORDER: [&str; 14] = [
    STYLES,
    FORMULAS,
    OTHER_SHEETS,
    LAYOUT,
    MERGES,
    HEADERS,
    SCALING,
    EARLY_DATES,
    LONG_TEXT,
    FAR_CELLS,
    SOME_MERGES,
    VISIBILITY,
    EXTRAS,
    BREAKS,
];
/// The label key (`merge.lost_*`) of a phrase of [`Converted::lost`], so the merge log
/// says it in the document language.
pub fn lost_key(phrase: &str) -> &'static str {
    match phrase {
        STYLES => "styles",
        FORMULAS => "formulas",
        OTHER_SHEETS => "other_sheets",
        LAYOUT => "layout",
        MERGES => "merges",
        HEADERS => "headers",
        SCALING => "scaling",
        EARLY_DATES => "early_dates",
        LONG_TEXT => "long_text",
        FAR_CELLS => "far_cells",
        SOME_MERGES => "some_merges",
        VISIBILITY => "visibility",
        EXTRAS => "extras",
        BREAKS => "breaks",
        _ => "other",
    }
}

const STYLES: &str = "cell styles (fonts, borders, fills, alignment, number formats)";
const FORMULAS: &str = "formulas (their last values are kept)";
const OTHER_SHEETS: &str = "chart and macro sheets";
const LAYOUT: &str = "column widths, row heights and print setup";
const MERGES: &str = "merged cells";
const HEADERS: &str = "page headers and footers";
const SCALING: &str = "print scaling to a number of pages";
const EARLY_DATES: &str = "dates before 1900-03-01 (kept as text)";
const LONG_TEXT: &str = "text past 32,767 characters in a cell";
const FAR_CELLS: &str = "cells past xlsx's 1,048,576 rows or 16,384 columns";
const SOME_MERGES: &str = "overlapping or oversized merged regions";
const VISIBILITY: &str = "sheet visibility (every sheet was hidden)";
const EXTRAS: &str = "comments, pictures, charts, conditional formats and data validation";
const BREAKS: &str = "some manual page breaks";

/// What was lost so far, each once.
#[derive(Default)]
struct Lost(Vec<&'static str>);

impl Lost {
    fn add(&mut self, what: &'static str) {
        if !self.0.contains(&what) {
            self.0.push(what);
        }
    }

    fn sorted(mut self) -> Vec<&'static str> {
        self.0
            .sort_by_key(|w| LOST_ORDER.iter().position(|o| o == w).unwrap_or(usize::MAX));
        self.0
    }
}

/// Converts a master that is not an xlsx into one that holds the same sheets and cells
/// in the same places (see the module doc for what is kept and lost). `file_name`
/// names a CSV/TSV master's one sheet and says whether it is TSV; the format itself is
/// sniffed from the bytes, as the reader does. The same bytes always give the same
/// xlsx, byte for byte.
pub fn to_xlsx(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Converted, ConvertError> {
    if bytes.is_empty() {
        return Err(InputError::Empty.into());
    }
    let kind = wb::sniff(bytes);
    let mut lost = Lost::default();
    let mut out = Writer::new();
    match kind {
        Kind::Text => from_text(bytes, file_name, limits, &mut out)?,
        Kind::Ooxml if !is_xlsb(bytes) => {
            return Ok(Converted {
                bytes: bytes.to_vec(),
                lost: Vec::new(),
            });
        }
        _ => from_calamine(bytes, kind, limits, &mut out, &mut lost)?,
    }
    let bytes = out.finish(&mut lost)?;
    Ok(Converted {
        bytes,
        lost: lost.sorted(),
    })
}

/// The sheet name a CSV/TSV master's one sheet gets: the file's stem, with what an xlsx
/// sheet name may not hold (`[]:*?/\`, more than 31 characters, an apostrophe at either
/// end) replaced or cut; `Sheet1` when nothing is left.
pub fn text_sheet_name(file_name: &str) -> String {
    let stem = std::path::Path::new(file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    let clean = clean.trim_matches('\'').to_string();
    if clean.is_empty() {
        "Sheet1".to_string()
    } else if clean.eq_ignore_ascii_case("history") {
        format!("{clean}_")
    } else {
        clean
    }
}

fn is_xlsb(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(bytes))
        .map(|z| z.file_names().flatten().any(|n| n == "xl/workbook.bin"))
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------------
// The sheets as read, before they are written.

/// A date-like cell's number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    Date,
    DateTime,
    Time,
    Duration,
}

/// One cell's content, as the xlsx will hold it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Bool(bool),
    /// A serial number (1900 epoch) in a date or time format.
    Date(f64, Clock),
    /// A formula (Excel syntax, without `=`) with its last value, as text, and the
    /// date format that value is shown in, if any.
    Formula {
        formula: String,
        result: String,
        clock: Option<Clock>,
    },
}

/// The layout of one sheet: what makes it look and print as it did.
#[derive(Debug, Default, Clone)]
struct Layout {
    /// Column widths in pixels (xlsx's 7-pixel digit at 96 dpi), by inclusive ranges.
    widths: Vec<(u32, u32, u32)>,
    /// The width of columns not in `widths`, in pixels, when the master says one.
    default_width: Option<u32>,
    hidden_cols: Vec<(u32, u32)>,
    /// Rows of a custom height (points), by inclusive ranges.
    heights: Vec<(u32, u32, f64)>,
    default_height: Option<f64>,
    /// Rows the master's application sizes to their content when it opens the file (an
    /// ods's optimal heights): their heights are estimated from the text, since an
    /// xlsx reader does not size rows itself.
    fitted_rows: Vec<(u32, u32)>,
    hidden_rows: Vec<(u32, u32)>,
    /// Rows (0-based) a new page starts at, and columns.
    row_breaks: Vec<u32>,
    col_breaks: Vec<u32>,
    /// Rows and columns frozen at the top and left.
    freeze: Option<(u32, u32)>,
    print: Print,
    header: Option<String>,
    footer: Option<String>,
    /// Whether the master said anything of its widths (else they come from the content).
    known: bool,
    /// The master prints headers or footers this layout does not carry.
    headers_lost: bool,
}

impl Layout {
    /// The characters (digit widths) column `col` holds, padding taken off.
    fn chars(&self, col: u32) -> usize {
        let px = self
            .widths
            .iter()
            .find(|(a, b, _)| (*a..=*b).contains(&col))
            .map(|w| w.2)
            .or(self.default_width)
            .unwrap_or(64);
        (px.saturating_sub(5) / 7) as usize
    }
}

/// A sheet's print setup.
#[derive(Debug, Default, Clone, PartialEq)]
struct Print {
    landscape: Option<bool>,
    /// Excel's paper index.
    paper: Option<u8>,
    scale: Option<u16>,
    /// Fit to this many pages wide and tall (0: as many as needed).
    fit: Option<(u16, u16)>,
    /// Left, right, top, bottom, header, footer, in inches.
    margins: Option<[f64; 6]>,
    center_h: bool,
    center_v: bool,
    repeat_rows: Option<(u32, u32)>,
    area: Option<(u32, u32, u32, u32)>,
    gridlines: bool,
}

/// A sheet's cells: row, column (0-based), content.
type Cells = Vec<(u32, u32, Cell)>;

/// One sheet read from the master.
struct Sheet {
    name: String,
    visible: SheetVisible,
    cells: Cells,
    merges: Vec<Region>,
    layout: Layout,
}

mod read;
mod write;
use read::*;
use write::*;

// ---------------------------------------------------------------------------------
// Formulas.

mod formula;

// ---------------------------------------------------------------------------------
// Reading helpers shared by the layouts.

/// Pixels at 96 dpi for an ODF length (`2.258cm`, `0.889in`, `25mm`, `72pt`).
fn length_in(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let v: f64 = number.trim().parse().ok()?;
    let inches = match unit {
        "in" => v,
        "cm" => v / 2.54,
        "mm" => v / 25.4,
        "pt" => v / 72.0,
        "pc" => v / 6.0,
        "px" => v / 96.0,
        _ => return None,
    };
    (inches.is_finite() && inches >= 0.0).then_some(inches)
}

/// Excel's paper index for a page of this size (inches, either orientation).
fn paper_index(w: f64, h: f64) -> Option<u8> {
    let (a, b) = (w.min(h) * 2.54, w.max(h) * 2.54);
    const PAPERS: [(f64, f64, u8); 6] = [
        (21.0, 29.7, 9),
        (29.7, 42.0, 8),
        (21.59, 27.94, 1),
        (21.59, 35.56, 5),
        (14.8, 21.0, 11),
        (18.2, 25.7, 13),
    ];
    PAPERS
        .iter()
        .find(|(pw, ph, _)| (a - pw).abs() < 0.3 && (b - ph).abs() < 0.3)
        .map(|p| p.2)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    crate::ingest::xlsx_extras::attr(e, name)
}

/// One part of a zip, read whole within the part limit (already checked against the
/// declared sizes by the opening); `None` when it cannot be read.
fn zip_part(bytes: &[u8], name: &str, limits: &Limits) -> Option<String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let part = zip.by_name(name).ok()?;
    let mut text = String::new();
    part.take(limits.zip_part_bytes)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

// ---------------------------------------------------------------------------------
// ods layout: content.xml's column and row styles, styles.xml's page layouts.

mod ods;

// ---------------------------------------------------------------------------------
// xls layout: the BIFF8 records calamine does not read.

mod xls;

#[cfg(test)]
mod tests;
