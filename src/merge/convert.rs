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

// ---------------------------------------------------------------------------------
// Writing.

/// The xlsx being written, a sheet at a time.
struct Writer {
    book: rust_xlsxwriter::Workbook,
    formats: Formats,
    /// Index of the first visible sheet.
    first_visible: Option<usize>,
    sheets: usize,
}

/// The cell formats, by kind: text (wrapped), number, date, date-time, time, duration;
/// all centred vertically.
struct Formats([Format; 6]);

impl Formats {
    fn new() -> Formats {
        let base = Format::new().set_align(FormatAlign::VerticalCenter);
        let text = base.clone().set_text_wrap();
        let kinds = [
            text,
            base.clone(),
            base.clone().set_num_format("yyyy-mm-dd"),
            base.clone().set_num_format("yyyy-mm-dd hh:mm"),
            base.clone().set_num_format("hh:mm:ss"),
            base.set_num_format("[h]:mm:ss"),
        ];
        Formats(kinds)
    }

    fn get(&self, cell: &Cell) -> &Format {
        let clock = |c: &Clock| match c {
            Clock::Date => 2,
            Clock::DateTime => 3,
            Clock::Time => 4,
            Clock::Duration => 5,
        };
        let kind = match cell {
            Cell::Text(_) => 0,
            Cell::Number(_) | Cell::Bool(_) => 1,
            Cell::Date(_, c) => clock(c),
            Cell::Formula { clock: Some(c), .. } => clock(c),
            Cell::Formula {
                clock: None,
                result,
                ..
            } => usize::from(result.parse::<f64>().is_ok()),
        };
        &self.0[kind]
    }
}

/// Excel's last row and column (0-based).
const ROW_MAX: u32 = 1_048_575;
const COL_MAX: u32 = 16_383;
/// Excel's longest cell text, in characters.
const TEXT_MAX: usize = 32_767;

impl Writer {
    fn new() -> Writer {
        let mut book = rust_xlsxwriter::Workbook::new();
        // A fixed creation time: the same master always gives the same bytes.
        if let Ok(when) = ExcelDateTime::from_ymd(2000, 1, 1) {
            book.set_properties(&DocProperties::new().set_creation_datetime(&when));
        }
        Writer {
            book,
            formats: Formats::new(),
            first_visible: None,
            sheets: 0,
        }
    }

    /// Writes one sheet; its cells are dropped after.
    fn add(&mut self, sheet: Sheet, limits: &Limits, lost: &mut Lost) -> Result<(), ConvertError> {
        let Sheet {
            name,
            visible,
            mut cells,
            mut merges,
            layout,
        } = sheet;
        let mut ws = Worksheet::new();
        ws.set_name(&name).map_err(|e| ConvertError::SheetName {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        match visible {
            SheetVisible::Visible => {
                if self.first_visible.is_none() {
                    self.first_visible = Some(self.sheets);
                }
            }
            SheetVisible::Hidden => {
                ws.set_hidden(true);
            }
            SheetVisible::VeryHidden => {
                ws.set_very_hidden(true);
            }
        }
        // Merged regions first: writing one fills it with blanks, which the values
        // written after replace where the master has one.
        merges.sort_by_key(|r| (r.start, r.end));
        merges.dedup();
        let mut area = 0u64;
        let mut anchors: HashMap<(u32, u32), ()> = HashMap::new();
        let (mut last_row, mut last_col) = (0u32, 0u32);
        for r in &merges {
            let (r0, c0, r1, c1) = (r.start.0, r.start.1, r.end.0, r.end.1);
            if r0 > r1 || c0 > c1 || (r0, c0) == (r1, c1) {
                continue;
            }
            if r1 > ROW_MAX || c1 > COL_MAX {
                lost.add(SOME_MERGES);
                continue;
            }
            let cells_in = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
            area = area.saturating_add(cells_in);
            if area > limits.cells_per_sheet {
                lost.add(SOME_MERGES);
                break;
            }
            let format = &self.formats.0[0];
            match ws.merge_range(r0, c0 as u16, r1, c1 as u16, "", format) {
                Ok(_) => {
                    anchors.insert((r0, c0), ());
                    last_row = last_row.max(r1);
                    last_col = last_col.max(c1);
                }
                Err(_) => lost.add(SOME_MERGES),
            }
        }
        drop(merges);
        cells.sort_by_key(|(r, c, _)| (*r, *c));
        // Without the master's layout, widths and heights come from the content: about
        // two characters' room per Han character, between the default width and a wide
        // text column; long text wraps, and its row is as tall as its lines.
        let mut widths: BTreeMap<u32, usize> = BTreeMap::new();
        if !layout.known {
            for (row, col, cell) in &cells {
                if anchors.contains_key(&(*row, *col)) {
                    continue;
                }
                let chars = match cell {
                    Cell::Text(t) => display_width(t),
                    Cell::Number(n) => n.to_string().len(),
                    Cell::Date(..) => 16,
                    _ => 0,
                };
                let w = widths.entry(*col).or_default();
                *w = (*w).max(chars.clamp(8, 50));
            }
            for (col, chars) in &widths {
                if *col <= COL_MAX {
                    ws.set_column_width(*col as u16, (*chars as f64) + 1.0)?;
                }
            }
        }
        let mut lines_of_row: (u32, usize) = (0, 1);
        for (row, col, cell) in cells.drain(..) {
            if row > ROW_MAX || col > COL_MAX {
                lost.add(FAR_CELLS);
                continue;
            }
            let fitted = !layout.known
                || layout
                    .fitted_rows
                    .iter()
                    .any(|(a, b)| (*a..=*b).contains(&row));
            if row != lines_of_row.0 {
                set_lines(&mut ws, lines_of_row);
                lines_of_row = (row, 1);
            }
            last_row = last_row.max(row);
            last_col = last_col.max(col);
            let format = self.formats.get(&cell);
            let c = col as u16;
            match cell {
                Cell::Text(mut t) => {
                    if let Some((at, _)) = t.char_indices().nth(TEXT_MAX) {
                        t.truncate(at);
                        lost.add(LONG_TEXT);
                    }
                    if fitted && !anchors.contains_key(&(row, col)) {
                        let width = if layout.known {
                            layout.chars(col)
                        } else {
                            widths.get(&col).copied().unwrap_or(8)
                        }
                        .max(1);
                        let lines: usize = t
                            .split('\n')
                            .map(|l| l.chars().count().div_ceil(width).max(1))
                            .sum();
                        lines_of_row.1 = lines_of_row.1.max(lines);
                    }
                    ws.write_string_with_format(row, c, t, format)?;
                }
                Cell::Number(n) => {
                    ws.write_number_with_format(row, c, n, format)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean_with_format(row, c, b, format)?;
                }
                Cell::Date(serial, _) => {
                    ws.write_number_with_format(row, c, serial, format)?;
                }
                Cell::Formula {
                    formula, result, ..
                } => {
                    ws.write_formula_with_format(
                        row,
                        c,
                        Formula::new(formula).set_result(result),
                        format,
                    )?;
                }
            }
        }
        drop(anchors);
        set_lines(&mut ws, lines_of_row);
        if layout.known {
            apply_layout(&mut ws, &layout, last_row, last_col, limits, lost);
        }
        self.book.push_worksheet(ws);
        self.sheets += 1;
        Ok(())
    }

    fn finish(mut self, lost: &mut Lost) -> Result<Vec<u8>, ConvertError> {
        if self.sheets == 0 {
            // An xlsx needs a sheet; a master without one is not a master.
            return Err(InputError::NoHeader("the workbook has no worksheet".into()).into());
        }
        match self.first_visible {
            Some(i) => {
                let ws = self.book.worksheet_from_index(i)?;
                ws.set_active(true);
            }
            None => {
                // Excel refuses a workbook with no visible sheet: show the first.
                let ws = self.book.worksheet_from_index(0)?;
                ws.set_hidden(false);
                ws.set_active(true);
                lost.add(VISIBILITY);
            }
        }
        Ok(self.book.save_to_buffer()?)
    }
}

/// A row sized to its content as tall as its most lines of text (15 points a line, up
/// to Excel's 409); a row of one line keeps its height. Lines are estimated at one
/// column-width character per character, Han ones included, which is how LibreOffice
/// sets an xlsx's text; Excel sets Han text wider, so it may show such a row a line
/// short. An estimate, not a measurement: rows the master sized itself keep its
/// heights.
fn set_lines(ws: &mut Worksheet, (row, lines): (u32, usize)) {
    if lines > 1 {
        let _ = ws.set_row_height(row, (lines as f64 * 15.0).min(409.0));
    }
}

/// Columns a text takes: two for a wide (Han, full-width) character, one for others;
/// the longest line counts.
fn display_width(text: &str) -> usize {
    text.lines()
        .map(|l| {
            l.chars()
                .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

/// Applies a sheet's layout, within the rows and columns it uses: a width or height
/// repeated to the sheet's end costs nothing.
fn apply_layout(
    ws: &mut Worksheet,
    layout: &Layout,
    last_row: u32,
    last_col: u32,
    limits: &Limits,
    lost: &mut Lost,
) {
    let p = &layout.print;
    let last_col = last_col.max(p.area.map_or(0, |a| a.3)).min(COL_MAX);
    let last_row = last_row.max(p.area.map_or(0, |a| a.2)).min(ROW_MAX);
    if let Some(px) = layout.default_width {
        let _ = ws.set_column_range_width_pixels(0, last_col as u16, px);
    }
    for (a, b, px) in &layout.widths {
        if *a > last_col {
            continue;
        }
        let _ = ws.set_column_range_width_pixels(*a as u16, (*b).min(last_col) as u16, *px);
    }
    for (a, b) in &layout.hidden_cols {
        for col in *a..=(*b).min(last_col) {
            let _ = ws.set_column_hidden(col as u16);
        }
    }
    if let Some(h) = layout.default_height {
        ws.set_default_row_height(h);
    }
    // Rows set one by one: at most as many as a sheet may hold cells.
    let mut budget = limits.cells_per_sheet;
    for (a, b, h) in &layout.heights {
        for row in *a..=(*b).min(last_row) {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let _ = ws.set_row_height(row, *h);
        }
    }
    for (a, b) in &layout.hidden_rows {
        for row in *a..=(*b).min(last_row) {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let _ = ws.set_row_hidden(row);
        }
    }
    let rows: Vec<u32> = layout
        .row_breaks
        .iter()
        .copied()
        .filter(|r| *r > 0 && *r <= last_row)
        .collect();
    if ws.set_page_breaks(&rows).is_err() {
        lost.add(BREAKS);
    }
    let cols: Vec<u32> = layout
        .col_breaks
        .iter()
        .copied()
        .filter(|c| *c > 0 && *c <= last_col)
        .collect();
    if ws.set_vertical_page_breaks(&cols).is_err() {
        lost.add(BREAKS);
    }
    if let Some((r, c)) = layout.freeze
        && (r > 0 || c > 0)
        && r <= ROW_MAX
        && c <= COL_MAX
    {
        let _ = ws.set_freeze_panes(r, c as u16);
    }
    match p.landscape {
        Some(true) => {
            ws.set_landscape();
        }
        Some(false) => {
            ws.set_portrait();
        }
        None => {}
    }
    if let Some(paper) = p.paper {
        ws.set_paper_size(paper);
    }
    if let Some((w, h)) = p.fit {
        ws.set_print_fit_to_pages(w, h);
    } else if let Some(scale) = p.scale
        && (10..=400).contains(&scale)
    {
        ws.set_print_scale(scale);
    }
    if let Some([l, r, t, b, h, f]) = p.margins {
        ws.set_margins(l, r, t, b, h, f);
    }
    if p.center_h {
        ws.set_print_center_horizontally(true);
    }
    if p.center_v {
        ws.set_print_center_vertically(true);
    }
    if p.gridlines {
        ws.set_print_gridlines(true);
    }
    if let Some((a, b)) = p.repeat_rows
        && a <= b
        && b <= ROW_MAX
    {
        let _ = ws.set_repeat_rows(a, b);
    }
    if let Some((r0, c0, r1, c1)) = p.area
        && r0 <= r1
        && c0 <= c1
        && r1 <= ROW_MAX
        && c1 <= COL_MAX
    {
        let _ = ws.set_print_area(r0, c0 as u16, r1, c1 as u16);
    }
    if let Some(h) = &layout.header {
        ws.set_header(h);
    }
    if let Some(f) = &layout.footer {
        ws.set_footer(f);
    }
}

// ---------------------------------------------------------------------------------
// CSV and TSV.

/// A CSV/TSV master: one sheet of text cells, where [`crate::ingest::delimited::read`]
/// puts them (same decoding, delimiter, and reader settings; empty fields are no cell).
fn from_text(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    out: &mut Writer,
) -> Result<(), ConvertError> {
    use crate::ingest::delimited;
    let (text, _) = delimited::decode(bytes)?;
    let tsv = file_name.to_ascii_lowercase().ends_with(".tsv");
    delimited::check_lines(&text, limits)?;
    let delimiter = delimited::sniff_delimiter(&text, tsv);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut cells = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(InputError::Broken(format!("line {}: {}", row + 1, e)).into());
            }
        }
        for (col, field) in record.iter().enumerate() {
            if field.len() > limits.csv_field_bytes {
                return Err(InputError::limit(
                    format!("line {}: a field longer than a CSV field may be", row + 1),
                    "csv_field_bytes",
                )
                .into());
            }
            if field.is_empty() {
                continue;
            }
            if cells.len() as u64 >= limits.cells_per_sheet {
                return Err(delimited::too_many_cells(None, limits).into());
            }
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            cells.push((row, col, Cell::Text(cut(field, limits))));
        }
        row = row.saturating_add(1);
    }
    let mut lost = Lost::default();
    out.add(
        Sheet {
            name: text_sheet_name(file_name),
            visible: SheetVisible::Visible,
            cells,
            merges: Vec::new(),
            layout: Layout::default(),
        },
        limits,
        &mut lost,
    )
}

/// A text cut to `limits.cell_chars`, as the reader cuts it.
fn cut(text: &str, limits: &Limits) -> String {
    let mut t = text.to_string();
    crate::ingest::grid::cut_text(&mut t, limits.cell_chars);
    t
}

// ---------------------------------------------------------------------------------
// Workbooks calamine reads: xls, ods, xlsb.

fn from_calamine(
    bytes: &[u8],
    kind: Kind,
    limits: &Limits,
    out: &mut Writer,
    lost: &mut Lost,
) -> Result<(), ConvertError> {
    // Opened and bounded as for reading (sizes, sheet counts, extents, loops).
    let (mut book, ods_sheets) = wb::open(bytes, kind, limits)?.into_parts();
    let meta = book.sheets_metadata().to_vec();
    if meta.len() > limits.sheets_per_workbook {
        return Err(InputError::limit(
            format!(
                "the workbook has {} sheets, more than {}",
                meta.len(),
                limits.sheets_per_workbook
            ),
            "sheets_per_workbook",
        )
        .into());
    }
    let layouts: Option<Vec<Layout>> = match &book {
        Sheets::Xls(_) => xls::layouts(bytes, limits),
        Sheets::Ods(_) => ods::layouts(bytes, limits),
        _ => None,
    }
    .filter(|l| l.len() == meta.len());
    let date1904 = matches!(&book, Sheets::Xls(x) if x.has_1904_epoch());
    let names: Vec<String> = meta.iter().map(|s| s.name.clone()).collect();
    lost.add(STYLES);
    lost.add(EXTRAS);
    if let Sheets::Xlsb(_) = &book {
        lost.add(FORMULAS);
        lost.add(MERGES);
        lost.add(LAYOUT);
    }
    if layouts.is_none() && !matches!(&book, Sheets::Xlsb(_)) {
        lost.add(LAYOUT);
    }
    for (i, info) in meta.iter().enumerate() {
        if info.typ != SheetType::WorkSheet {
            lost.add(OTHER_SHEETS);
            continue;
        }
        let mut layout = layouts
            .as_ref()
            .and_then(|l| l.get(i).cloned())
            .unwrap_or_default();
        let (cells, merges) = wb::guarded(|| {
            read_sheet(
                &mut book,
                &info.name,
                &names,
                date1904,
                &ods_sheets,
                limits,
                lost,
            )
        })?;
        if layout.known {
            if let Some(ods) = ods_sheets.get(&info.name)
                && layout.hidden_rows.is_empty()
            {
                layout.hidden_rows = ods.hidden.iter().map(|(a, b)| (*a, b - 1)).collect();
            }
            if layout.print.fit.is_none() && layout.print.scale == Some(0) {
                lost.add(SCALING);
            }
            if layout.headers_lost {
                lost.add(HEADERS);
            }
        }
        out.add(
            Sheet {
                name: info.name.clone(),
                visible: info.visible,
                cells,
                merges,
                layout,
            },
            limits,
            lost,
        )?;
    }
    Ok(())
}

/// The cells and merged regions of one sheet.
fn read_sheet(
    book: &mut Sheets<Cursor<&[u8]>>,
    name: &str,
    names: &[String],
    date1904: bool,
    ods_sheets: &HashMap<String, crate::ingest::ods::OdsSheet>,
    limits: &Limits,
    lost: &mut Lost,
) -> Result<(Cells, Vec<Region>), InputError> {
    let unreadable = |e: &dyn std::fmt::Display| {
        InputError::Broken(format!("sheet {name:?} cannot be read: {e}"))
    };
    let too_many = || crate::ingest::delimited::too_many_cells(Some(name), limits);
    let mut cells = Vec::new();
    if let Sheets::Xlsb(x) = book {
        // Read cell by cell: calamine's ranges are dense rectangles.
        let mut reader = x.worksheet_cells_reader(name).map_err(|e| unreadable(&e))?;
        while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
            let data = Data::from(cell.get_value().clone());
            if let Some(c) = to_cell(&data, date1904, limits, lost) {
                if cells.len() as u64 >= limits.cells_per_sheet {
                    return Err(too_many());
                }
                let (r, col) = cell.get_position();
                cells.push((r, col, c));
            }
        }
        return Ok((cells, Vec::new()));
    }
    // xls and ods: calamine built the sheets whole when it opened the file, within the
    // bounds checked before.
    let range = book.worksheet_range(name).map_err(|e| unreadable(&e))?;
    let formulas = book.worksheet_formula(name).map_err(|e| unreadable(&e))?;
    let mut by_cell: HashMap<(u32, u32), &String> = HashMap::new();
    let fstart = formulas.start().unwrap_or((0, 0));
    for (r, c, f) in formulas.used_cells() {
        if !f.is_empty() {
            by_cell.insert((fstart.0 + r as u32, fstart.1 + c as u32), f);
        }
    }
    let ods = matches!(book, Sheets::Ods(_));
    let start = range.start().unwrap_or((0, 0));
    let mut place = |at: (u32, u32), data: &Data, formula: Option<&String>| {
        if cells.len() as u64 >= limits.cells_per_sheet {
            return Err(too_many());
        }
        let value = to_cell(data, date1904, limits, lost);
        let cell = match formula {
            Some(f) => {
                let formula = if ods {
                    formula::from_open_formula(f)
                } else {
                    formula::from_xls(f, names)
                };
                match formula {
                    Some(formula) => Some(Cell::Formula {
                        formula,
                        result: result_text(value.as_ref()),
                        clock: match &value {
                            Some(Cell::Date(_, c)) => Some(*c),
                            _ => None,
                        },
                    }),
                    None => {
                        lost.add(FORMULAS);
                        value
                    }
                }
            }
            None => value,
        };
        if let Some(cell) = cell {
            cells.push((at.0, at.1, cell));
        }
        Ok(())
    };
    for (r, c, data) in range.used_cells() {
        let at = (start.0 + r as u32, start.1 + c as u32);
        place(at, data, by_cell.remove(&at))?;
    }
    // Formulas whose last value is empty.
    let mut rest: Vec<((u32, u32), &String)> = by_cell.into_iter().collect();
    rest.sort_unstable();
    for (at, f) in rest {
        place(at, &Data::String(String::new()), Some(f))?;
    }
    let merges = match book {
        Sheets::Xls(x) => x
            .merge_cells_by_sheet_name(name)
            .unwrap_or_default()
            .into_iter()
            .map(|d| Region {
                start: d.start,
                end: d.end,
            })
            .collect(),
        Sheets::Ods(_) => ods_sheets
            .get(name)
            .map(|s| s.merges.clone())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Ok((cells, merges))
}

/// A formula's last value as rust_xlsxwriter takes it (a number, TRUE/FALSE, an error
/// literal, or text).
fn result_text(value: Option<&Cell>) -> String {
    match value {
        Some(Cell::Text(t)) => t.clone(),
        Some(Cell::Number(n)) => n.to_string(),
        Some(Cell::Date(n, _)) => n.to_string(),
        Some(Cell::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        _ => String::new(),
    }
}

/// A calamine value as the xlsx cell it becomes; `None` for an empty cell.
fn to_cell(data: &Data, date1904: bool, limits: &Limits, lost: &mut Lost) -> Option<Cell> {
    Some(match data {
        Data::Empty => return None,
        Data::String(s) => Cell::Text(cut(s, limits)),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) if f.is_finite() => Cell::Number(*f),
        Data::Float(f) => Cell::Text(f.to_string()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::Error(e) => Cell::Text(e.to_string()),
        Data::DateTime(d) => {
            let mut serial = d.as_f64();
            if date1904 {
                serial += 1462.0;
            }
            if !serial.is_finite() || serial < 0.0 {
                return Some(Cell::Text(data.to_string()));
            }
            let clock = if d.is_duration() {
                Clock::Duration
            } else if serial < 1.0 {
                Clock::Time
            } else if serial.fract() == 0.0 {
                Clock::Date
            } else {
                Clock::DateTime
            };
            Cell::Date(serial, clock)
        }
        Data::DateTimeIso(s) => match iso_serial(s) {
            Some((serial, clock)) => Cell::Date(serial, clock),
            None => {
                lost.add(EARLY_DATES);
                Cell::Text(cut(s, limits))
            }
        },
        Data::DurationIso(s) => match duration_serial(s) {
            Some(serial) => Cell::Date(
                serial,
                if serial < 1.0 {
                    Clock::Time
                } else {
                    Clock::Duration
                },
            ),
            None => Cell::Text(cut(s, limits)),
        },
    })
}

/// An ISO 8601 date or date-time (as ods writes `office:date-value`) as an Excel serial
/// in the 1900 epoch; `None` before 1900-03-01 (where Excel's leap-year bug makes
/// serials ambiguous) or past 9999.
fn iso_serial(text: &str) -> Option<(f64, Clock)> {
    use chrono::{NaiveDate, NaiveDateTime};
    let text = text.trim();
    let (at, clock) = match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => (d.and_hms_opt(0, 0, 0)?, Clock::Date),
        Err(_) => {
            let t = text.trim_end_matches('Z');
            let at = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M"))
                .ok()?;
            (at, Clock::DateTime)
        }
    };
    let first = NaiveDate::from_ymd_opt(1900, 3, 1)?.and_hms_opt(0, 0, 0)?;
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)?.and_hms_opt(23, 59, 59)?;
    if at < first || at > last {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let ms = (at - epoch).num_milliseconds();
    let serial = ms as f64 / 86_400_000.0;
    let clock = if clock == Clock::DateTime && serial.fract() == 0.0 {
        Clock::Date
    } else {
        clock
    };
    Some((serial, clock))
}

/// An ISO 8601 duration as ods writes `office:time-value` (`PT10H30M00S`, `P1DT2H`) in
/// days.
fn duration_serial(text: &str) -> Option<f64> {
    let rest = text.trim().strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total = 0.0;
    if !days.is_empty() {
        total += days.strip_suffix('D')?.parse::<f64>().ok()?;
    }
    let mut number = String::new();
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'H' | 'M' | 'S' => {
                let v: f64 = number.parse().ok()?;
                number.clear();
                total += match c {
                    'H' => v / 24.0,
                    'M' => v / 1440.0,
                    _ => v / 86_400.0,
                };
            }
            _ => return None,
        }
    }
    (number.is_empty() && total.is_finite() && total >= 0.0).then_some(total)
}

// ---------------------------------------------------------------------------------
// Formulas.

mod formula {
    /// Whether a sheet name must be quoted in an Excel formula.
    fn needs_quotes(name: &str) -> bool {
        name.is_empty()
            || name.starts_with(|c: char| c.is_ascii_digit())
            || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
            || crate::ingest::xlsx_extras::cell_ref(name).is_some()
    }

    fn sheet_ref(name: &str) -> String {
        if needs_quotes(name) {
            format!("'{}'!", name.replace('\'', "''"))
        } else {
            format!("{name}!")
        }
    }

    /// Whether quotes and parentheses outside strings balance: what calamine could not
    /// decode leaves them open.
    fn balanced(f: &str) -> bool {
        let (mut depth, mut in_string) = (0i64, false);
        for c in f.chars() {
            match c {
                '"' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => {
                    depth -= 1;
                    if depth < 0 {
                        return false;
                    }
                }
                _ => {}
            }
        }
        depth == 0 && !in_string
    }

    /// An `.xls` formula as calamine decodes it, in Excel's syntax with sheet names
    /// quoted where Excel needs it; `None` when calamine could not decode it (a shared
    /// formula, an unknown token, a sheet it could not name).
    pub(super) fn from_xls(f: &str, sheets: &[String]) -> Option<String> {
        let f = f.trim().trim_start_matches('=');
        if f.is_empty() || f.starts_with("Unrecognised") || f.contains("#REF") || !balanced(f) {
            return None;
        }
        let mut out = f.to_string();
        for name in sheets.iter().filter(|n| needs_quotes(n)) {
            let raw = format!("{name}!");
            if !out.contains(&raw) {
                continue;
            }
            // Another sheet's name holding this one would be quoted wrongly.
            if sheets
                .iter()
                .any(|o| o != name && o.contains(name.as_str()))
            {
                return None;
            }
            out = out.replace(&raw, &sheet_ref(name));
        }
        Some(out)
    }

    /// An `.ods` formula (OpenFormula, `of:=SUM([.A1:.A3])`) in Excel's syntax, for the
    /// plain ones: cell and range references, functions whose names are the same in
    /// both, operators, numbers and strings. `None` for anything else (inline arrays,
    /// the union and intersection operators, namespaced functions, references to
    /// other files or to whole columns), which keeps its last value only.
    pub(super) fn from_open_formula(f: &str) -> Option<String> {
        let body = f.strip_prefix("of:")?.strip_prefix('=')?;
        let mut out = String::with_capacity(body.len());
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    out.push('"');
                    loop {
                        let c = chars.next()?;
                        out.push(c);
                        if c == '"' {
                            if chars.peek() == Some(&'"') {
                                out.push(chars.next()?);
                            } else {
                                break;
                            }
                        }
                    }
                }
                '[' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next()? {
                            ']' => break,
                            '\'' => {
                                inner.push('\'');
                                loop {
                                    let c = chars.next()?;
                                    inner.push(c);
                                    if c == '\'' {
                                        if chars.peek() == Some(&'\'') {
                                            inner.push(chars.next()?);
                                        } else {
                                            break;
                                        }
                                    }
                                }
                            }
                            c => inner.push(c),
                        }
                    }
                    out.push_str(&reference(&inner)?);
                }
                ';' => out.push(','),
                '{' | '}' | '~' | '!' | ']' | '#' | '|' => return None,
                c if c.is_alphabetic() || c == '_' => {
                    let mut word = String::from(c);
                    while let Some(&n) = chars.peek() {
                        if n.is_alphanumeric() || n == '_' || n == '.' {
                            word.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    // A function (followed by its parenthesis) or a boolean; a bare
                    // name is a named range, which the xlsx does not carry.
                    let mut ahead = chars.clone();
                    while ahead.peek().is_some_and(|c| c.is_whitespace()) {
                        ahead.next();
                    }
                    let call = ahead.peek() == Some(&'(');
                    let boolean =
                        word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false");
                    if word.contains('.') || !(call || boolean) {
                        return None;
                    }
                    out.push_str(&word);
                }
                c => out.push(c),
            }
        }
        (!out.trim().is_empty() && balanced(&out)).then_some(out)
    }

    /// The inside of an OpenFormula reference (`.A1`, `.A1:.B2`, `$Sheet1.$A$1`,
    /// `$'My sheet'.A1:.B2`) in Excel's syntax.
    fn reference(inner: &str) -> Option<String> {
        let mut parts = Vec::new();
        let mut sheet: Option<String> = None;
        for (i, part) in split_outside_quotes(inner, ':').into_iter().enumerate() {
            let (name, cell) = split_sheet(&part)?;
            if i == 0 {
                sheet = name;
            } else if name.is_some() && name != sheet {
                // A 3-D range across sheets.
                return None;
            }
            let bare = cell.replace('$', "");
            crate::ingest::xlsx_extras::cell_ref(&bare)?;
            parts.push(cell);
        }
        if parts.is_empty() || parts.len() > 2 {
            return None;
        }
        let prefix = sheet.map(|s| sheet_ref(&s)).unwrap_or_default();
        Some(format!("{prefix}{}", parts.join(":")))
    }

    /// `$Sheet1.$A$1` → (Some("Sheet1"), "$A$1"); `.A1` → (None, "A1").
    fn split_sheet(part: &str) -> Option<(Option<String>, String)> {
        let part = part.trim();
        if let Some(cell) = part.strip_prefix('.') {
            return Some((None, cell.to_string()));
        }
        let name_part = part.strip_prefix('$').unwrap_or(part);
        if let Some(quoted) = name_part.strip_prefix('\'') {
            // 'name''s'.A1
            let mut name = String::new();
            let mut chars = quoted.chars().peekable();
            loop {
                let c = chars.next()?;
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        name.push('\'');
                    } else {
                        break;
                    }
                } else {
                    name.push(c);
                }
            }
            let rest: String = chars.collect();
            let cell = rest.strip_prefix('.')?;
            return Some((Some(name), cell.to_string()));
        }
        let (name, cell) = name_part.rsplit_once('.')?;
        if name.is_empty() || name.contains('#') {
            return None;
        }
        Some((Some(name.to_string()), cell.to_string()))
    }

    fn split_outside_quotes(text: &str, sep: char) -> Vec<String> {
        let mut parts = vec![String::new()];
        let mut quoted = false;
        for c in text.chars() {
            if c == '\'' {
                quoted = !quoted;
            }
            if c == sep && !quoted {
                parts.push(String::new());
            } else if let Some(last) = parts.last_mut() {
                last.push(c);
            }
        }
        parts
    }
}

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

mod ods {
    use super::*;

    /// A row style: height in points, whether the application sizes it to its
    /// content, and whether a page starts before it.
    #[derive(Clone, Copy)]
    struct RowStyle {
        points: Option<f64>,
        optimal: bool,
        page_break: bool,
    }

    /// The layout of every `table:table` of content.xml, in order; `None` when the
    /// parts cannot be read.
    pub(super) fn layouts(bytes: &[u8], limits: &Limits) -> Option<Vec<Layout>> {
        let pages = zip_part(bytes, "styles.xml", limits)
            .map(|s| page_layouts(&s))
            .unwrap_or_default();
        let content = zip_part(bytes, "content.xml", limits)?;
        read_content(&content, &pages, limits)
    }

    /// The print setup of each master page, by name.
    fn page_layouts(xml: &str) -> HashMap<String, (Print, bool)> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut layouts: HashMap<String, Print> = HashMap::new();
        let mut masters: Vec<(String, String, bool)> = Vec::new();
        let mut current_layout: Option<String> = None;
        let mut current_master: Option<usize> = None;
        loop {
            let (e, empty) = match reader.read_event() {
                Ok(Event::Start(e)) => (e, false),
                Ok(Event::Empty(e)) => (e, true),
                Ok(Event::End(e)) => {
                    match e.name().as_ref() {
                        "style:page-layout" => current_layout = None,
                        "style:master-page" => current_master = None,
                        _ => {}
                    }
                    continue;
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => continue,
            };
            match e.name().as_ref() {
                "style:page-layout" if !empty => {
                    current_layout = attr(&e, "style:name");
                }
                "style:page-layout-properties" => {
                    if let Some(name) = &current_layout {
                        layouts.insert(name.clone(), page_print(&e));
                    }
                }
                "style:master-page" => {
                    if let (Some(name), Some(layout)) =
                        (attr(&e, "style:name"), attr(&e, "style:page-layout-name"))
                    {
                        masters.push((name, layout, false));
                        current_master = (!empty).then(|| masters.len() - 1);
                    }
                }
                "style:header" | "style:footer" | "style:header-left" | "style:footer-left" => {
                    let shown = attr(&e, "style:display").as_deref() != Some("false");
                    if let Some(i) = current_master
                        && shown
                        && !empty
                    {
                        masters[i].2 = true;
                    }
                }
                _ => {}
            }
        }
        masters
            .into_iter()
            .filter_map(|(name, layout, headers)| {
                layouts.get(&layout).map(|p| (name, (p.clone(), headers)))
            })
            .collect()
    }

    fn page_print(e: &BytesStart<'_>) -> Print {
        let mut p = Print::default();
        let inches = |name: &str| attr(e, name).and_then(|v| length_in(&v));
        p.landscape = attr(e, "style:print-orientation").map(|o| o == "landscape");
        if let (Some(w), Some(h)) = (inches("fo:page-width"), inches("fo:page-height")) {
            p.paper = paper_index(w, h);
        }
        let number = |name: &str| attr(e, name).and_then(|v| v.trim().parse::<u16>().ok());
        if let (Some(x), Some(y)) = (number("style:scale-to-X"), number("style:scale-to-Y")) {
            p.fit = Some((x, y));
        } else if let Some(n) = number("style:scale-to-pages") {
            if n == 1 {
                p.fit = Some((1, 1));
            } else {
                // Excel fits to pages wide and tall, not to a page count.
                p.scale = Some(0);
            }
        } else if let Some(s) = attr(e, "style:scale-to") {
            p.scale = s
                .trim()
                .trim_end_matches('%')
                .parse::<f64>()
                .ok()
                .map(|v| v.round() as u16);
        }
        let margins = [
            inches("fo:margin-left"),
            inches("fo:margin-right"),
            inches("fo:margin-top"),
            inches("fo:margin-bottom"),
        ];
        if margins.iter().any(|m| m.is_some()) {
            let m = |i: usize| margins[i].unwrap_or(0.75);
            p.margins = Some([m(0), m(1), m(2), m(3), 0.3, 0.3]);
        }
        if let Some(c) = attr(e, "style:table-centering") {
            p.center_h = c == "horizontal" || c == "both";
            p.center_v = c == "vertical" || c == "both";
        }
        p.gridlines =
            attr(e, "style:print").is_some_and(|v| v.split_whitespace().any(|w| w == "grid"));
        p
    }

    fn read_content(
        xml: &str,
        pages: &HashMap<String, (Print, bool)>,
        limits: &Limits,
    ) -> Option<Vec<Layout>> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut col_px: HashMap<String, u32> = HashMap::new();
        let mut col_break: HashMap<String, bool> = HashMap::new();
        let mut rows: HashMap<String, RowStyle> = HashMap::new();
        let mut table_master: HashMap<String, String> = HashMap::new();
        // The style being read: name and family.
        let mut style: Option<(String, String)> = None;
        let mut out: Vec<Layout> = Vec::new();
        let mut layout = Layout::default();
        let mut depth = 0usize;
        let (mut row, mut col) = (0u64, 0u64);
        let mut row_repeat = 1u64;
        let mut header_start: Option<u64> = None;
        let clip = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        loop {
            let (e, empty) = match reader.read_event() {
                Ok(Event::Start(e)) => (e, false),
                Ok(Event::Empty(e)) => (e, true),
                Ok(Event::End(e)) => {
                    match e.name().as_ref() {
                        "style:style" => style = None,
                        "table:table" => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                out.push(std::mem::take(&mut layout));
                            }
                        }
                        "table:table-row" if depth == 1 => {
                            row = row.saturating_add(row_repeat);
                        }
                        "table:table-header-rows" if depth == 1 => {
                            if let Some(start) = header_start.take()
                                && row > start
                            {
                                layout.print.repeat_rows = Some((clip(start), clip(row - 1)));
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                Ok(Event::Eof) => break,
                Err(_) => return None,
                _ => continue,
            };
            match e.name().as_ref() {
                "style:style" => {
                    let name = attr(&e, "style:name").unwrap_or_default();
                    let family = attr(&e, "style:family").unwrap_or_default();
                    if family == "table"
                        && let Some(master) = attr(&e, "style:master-page-name")
                    {
                        table_master.insert(name.clone(), master);
                    }
                    style = (!empty).then_some((name, family));
                }
                "style:table-column-properties" => {
                    if let Some((name, _)) = &style {
                        if let Some(w) = attr(&e, "style:column-width").and_then(|v| length_in(&v))
                        {
                            col_px.insert(name.clone(), (w * 96.0).round().max(0.0) as u32);
                        }
                        if attr(&e, "fo:break-before").as_deref() == Some("page") {
                            col_break.insert(name.clone(), true);
                        }
                    }
                }
                "style:table-row-properties" => {
                    if let Some((name, _)) = &style {
                        rows.insert(
                            name.clone(),
                            RowStyle {
                                points: attr(&e, "style:row-height")
                                    .and_then(|v| length_in(&v))
                                    .map(|i| i * 72.0),
                                optimal: attr(&e, "style:use-optimal-row-height").as_deref()
                                    == Some("true"),
                                page_break: attr(&e, "fo:break-before").as_deref() == Some("page"),
                            },
                        );
                    }
                }
                "table:table" => {
                    depth += 1;
                    if depth > 1 {
                        continue;
                    }
                    if out.len() >= limits.sheets_per_workbook {
                        return None;
                    }
                    layout = Layout {
                        known: true,
                        ..Layout::default()
                    };
                    let master = attr(&e, "table:style-name")
                        .and_then(|s| table_master.get(&s).cloned())
                        .unwrap_or_else(|| "Default".to_string());
                    if let Some((print, headers)) = pages.get(&master) {
                        layout.print = print.clone();
                        layout.headers_lost = *headers;
                    }
                    layout.print.area =
                        attr(&e, "table:print-ranges").and_then(|r| print_range(&r));
                    (row, col) = (0, 0);
                    row_repeat = 1;
                    if empty {
                        depth -= 1;
                        out.push(std::mem::take(&mut layout));
                    }
                }
                "table:table-column" if depth == 1 => {
                    let repeat = repeat(&e, "table:number-columns-repeated");
                    let first = col;
                    let last = col.saturating_add(repeat - 1).min(u64::from(COL_MAX));
                    col = col.saturating_add(repeat);
                    if first > u64::from(COL_MAX) {
                        continue;
                    }
                    let style = attr(&e, "table:style-name").unwrap_or_default();
                    if let Some(px) = col_px.get(&style) {
                        layout.widths.push((clip(first), clip(last), *px));
                    }
                    if col_break.contains_key(&style) && first > 0 {
                        layout.col_breaks.push(clip(first));
                    }
                    if attr(&e, "table:visibility").is_some_and(|v| v != "visible") {
                        layout.hidden_cols.push((clip(first), clip(last)));
                    }
                }
                "table:table-header-rows" if depth == 1 && !empty => {
                    header_start = Some(row);
                }
                "table:table-row" if depth == 1 => {
                    row_repeat = repeat(&e, "table:number-rows-repeated");
                    let first = row;
                    let last = row.saturating_add(row_repeat - 1).min(u64::from(ROW_MAX));
                    if first <= u64::from(ROW_MAX) {
                        let style = attr(&e, "table:style-name").unwrap_or_default();
                        if let Some(s) = rows.get(&style) {
                            match (s.points, s.optimal) {
                                (_, true) => layout.fitted_rows.push((clip(first), clip(last))),
                                (Some(points), false) => {
                                    layout.heights.push((clip(first), clip(last), points))
                                }
                                (None, false) => {}
                            }
                            if s.page_break && first > 0 {
                                layout.row_breaks.push(clip(first));
                            }
                        }
                        if attr(&e, "table:visibility").is_some_and(|v| v != "visible") {
                            layout.hidden_rows.push((clip(first), clip(last)));
                        }
                    }
                    if empty {
                        row = row.saturating_add(row_repeat);
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }

    fn repeat(e: &BytesStart<'_>, name: &str) -> u64 {
        attr(e, name)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    }

    /// `Sheet1.A1:Sheet1.H20` or `$Sheet1.$A$1:.$H$20` → (first row, first column,
    /// last row, last column); `None` for several ranges or anything else.
    fn print_range(text: &str) -> Option<(u32, u32, u32, u32)> {
        let text = text.trim();
        if text.contains(' ') {
            return None;
        }
        let (a, b) = text.split_once(':')?;
        let cell = |p: &str| {
            let bare = p.rsplit('.').next()?.replace('$', "");
            crate::ingest::xlsx_extras::cell_ref(&bare)
        };
        let (s, e) = (cell(a)?, cell(b)?);
        Some((s.0.min(e.0), s.1.min(e.1), s.0.max(e.0), s.1.max(e.1)))
    }
}

// ---------------------------------------------------------------------------------
// xls layout: the BIFF8 records calamine does not read.

mod xls {
    use super::*;
    use crate::ingest::xls_bounds::{Records, u16_at, u32_at};

    fn f64_at(data: &[u8], at: usize) -> Option<f64> {
        let b = data.get(at..at + 8)?;
        let v = f64::from_le_bytes(b.try_into().ok()?);
        v.is_finite().then_some(v)
    }

    /// The layout of every sheet of the Workbook stream, in BOUNDSHEET order (calamine's
    /// order); `None` for a file this cannot read (not BIFF8, no Workbook stream).
    pub(super) fn layouts(bytes: &[u8], limits: &Limits) -> Option<Vec<Layout>> {
        let mut cfb = cfb::CompoundFile::open(Cursor::new(bytes)).ok()?;
        let mut stream = cfb
            .open_stream("/Workbook")
            .or_else(|_| cfb.open_stream("/Book"))
            .ok()?;
        let mut data = Vec::new();
        stream
            .by_ref()
            .take(limits.input_bytes)
            .read_to_end(&mut data)
            .ok()?;
        let mut positions = Vec::new();
        let mut names: Vec<(usize, u8, Vec<u8>)> = Vec::new();
        for (i, (typ, body)) in Records::new(&data).enumerate() {
            match typ {
                // BOF: only BIFF8 is read here.
                0x0809 if i == 0 && u16_at(body, 0)? != 0x0600 => return None,
                0x0085 => {
                    positions.push(u32_at(body, 0)? as usize);
                    if positions.len() > limits.sheets_per_workbook {
                        return None;
                    }
                }
                0x0018 => {
                    if let Some(name) = builtin_name(body) {
                        names.push(name);
                    }
                }
                0x000A => break,
                _ => {}
            }
        }
        let mut out: Vec<Layout> = positions
            .iter()
            .map(|pos| data.get(*pos..).map(sheet_layout).unwrap_or_default())
            .collect();
        for (sheet, which, rgce) in names {
            let Some(layout) = sheet.checked_sub(1).and_then(|i| out.get_mut(i)) else {
                continue;
            };
            let areas = areas(&rgce);
            match which {
                // Print_Area: the first area.
                0x06 => {
                    layout.print.area = areas.first().copied();
                }
                // Print_Titles: the area spanning every column is the rows repeated.
                0x07 => {
                    if let Some((r0, _, r1, _)) =
                        areas.iter().find(|(_, c0, _, c1)| *c0 == 0 && *c1 >= 255)
                    {
                        layout.print.repeat_rows = Some((*r0, *r1));
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }

    /// A built-in defined name (Lbl record): the sheet it belongs to (1-based), its
    /// built-in code, and its formula tokens.
    fn builtin_name(body: &[u8]) -> Option<(usize, u8, Vec<u8>)> {
        let flags = u16_at(body, 0)?;
        if flags & 0x0020 == 0 {
            return None;
        }
        let cch = usize::from(*body.get(3)?);
        let cce = u16_at(body, 4)? as usize;
        let itab = u16_at(body, 8)? as usize;
        let high = body.get(14)? & 1 == 1;
        let code = *body.get(15)?;
        let start = 15 + cch * if high { 2 } else { 1 };
        let rgce = body.get(start..start + cce)?.to_vec();
        Some((itab, code, rgce))
    }

    /// The PtgArea3d areas of a name's formula (first row, first column, last row, last
    /// column), through PtgMemFunc and union tokens.
    fn areas(rgce: &[u8]) -> Vec<(u32, u32, u32, u32)> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(ptg) = rgce.get(i) {
            match ptg {
                0x29 | 0x49 | 0x69 => i += 3,
                0x10 => i += 1,
                0x3B | 0x5B | 0x7B => {
                    let (Some(r0), Some(r1), Some(c0), Some(c1)) = (
                        u16_at(rgce, i + 3),
                        u16_at(rgce, i + 5),
                        u16_at(rgce, i + 7),
                        u16_at(rgce, i + 9),
                    ) else {
                        break;
                    };
                    out.push((r0, c0 & 0x3FFF, r1, c1 & 0x3FFF));
                    i += 11;
                }
                _ => break,
            }
        }
        out
    }

    /// A BIFF8 `XLUnicodeString` (16-bit count, flags, characters).
    fn unicode_string(body: &[u8]) -> Option<String> {
        let cch = u16_at(body, 0)? as usize;
        let high = body.get(2)? & 1 == 1;
        if high {
            let units: Vec<u16> = body
                .get(3..3 + cch * 2)?
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        } else {
            Some(
                body.get(3..3 + cch)?
                    .iter()
                    .map(|b| char::from(*b))
                    .collect(),
            )
        }
    }

    /// One sheet's layout records, up to its EOF (nested substreams skipped).
    fn sheet_layout(stream: &[u8]) -> Layout {
        let mut layout = Layout {
            known: true,
            ..Layout::default()
        };
        let (mut seen_bof, mut depth) = (false, 0usize);
        let (mut fit, mut setup_fit) = (false, None);
        let mut margins = [None; 6];
        let mut frozen = false;
        let mut pane = None;
        for (typ, body) in Records::new(stream) {
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x000A => break,
                // DEFCOLWIDTH: characters, without the padding.
                0x0055 => {
                    if let Some(chars) = u16_at(body, 0)
                        && chars != 8
                        && chars <= 255
                    {
                        layout.default_width = Some(chars * 7 + 5);
                    }
                }
                // COLINFO: width in 1/256 of a character, padding included.
                0x007D => {
                    if let (Some(a), Some(b), Some(w), Some(flags)) = (
                        u16_at(body, 0),
                        u16_at(body, 2),
                        u16_at(body, 4),
                        u16_at(body, 8),
                    ) && a <= b
                        && a <= COL_MAX
                    {
                        let b = b.min(COL_MAX);
                        layout
                            .widths
                            .push((a, b, (f64::from(w) * 7.0 / 256.0).round() as u32));
                        if flags & 1 == 1 {
                            layout.hidden_cols.push((a, b));
                        }
                    }
                }
                // DEFAULTROWHEIGHT: twips.
                0x0225 => {
                    if let Some(twips) = u16_at(body, 2)
                        && twips > 0
                        && twips < 8192
                    {
                        layout.default_height = Some(f64::from(twips) / 20.0);
                    }
                }
                // ROW: hidden (fDyZero), or its height, custom (fUnsynced) or the one
                // Excel sized it to: an xlsx reader does not size rows itself.
                0x0208 => {
                    if let (Some(r), Some(miy), Some(flags)) =
                        (u16_at(body, 0), u16_at(body, 6), u32_at(body, 12))
                    {
                        if flags & 0x20 != 0 {
                            layout.hidden_rows.push((r, r));
                        } else if miy & 0x8000 == 0 && miy & 0x7FFF > 0 {
                            layout.heights.push((r, r, f64::from(miy & 0x7FFF) / 20.0));
                        }
                    }
                }
                // HORIZONTALPAGEBREAKS and VERTICALPAGEBREAKS: count, then (where,
                // from, to) triples.
                0x001B | 0x001A => {
                    let count = u16_at(body, 0).unwrap_or(0) as usize;
                    for k in 0..count.min(1026) {
                        if let Some(at) = u16_at(body, 2 + k * 6) {
                            if typ == 0x001B {
                                layout.row_breaks.push(at);
                            } else {
                                layout.col_breaks.push(at);
                            }
                        }
                    }
                }
                // WSBOOL: fit to pages.
                0x0081 => fit = u16_at(body, 0).is_some_and(|v| v & 0x0100 != 0),
                // SETUP.
                0x00A1 => {
                    let (Some(paper), Some(scale), Some(fw), Some(fh), Some(flags)) = (
                        u16_at(body, 0),
                        u16_at(body, 2),
                        u16_at(body, 6),
                        u16_at(body, 8),
                        u16_at(body, 10),
                    ) else {
                        continue;
                    };
                    setup_fit = Some((fw as u16, fh as u16));
                    // fNoPls: the printer fields are undefined.
                    if flags & 0x04 == 0 {
                        if (1..=41).contains(&paper) {
                            layout.print.paper = Some(paper as u8);
                        }
                        layout.print.scale = Some(scale as u16);
                        if flags & 0x40 == 0 {
                            layout.print.landscape = Some(flags & 0x02 == 0);
                        }
                    }
                    margins[4] = f64_at(body, 16);
                    margins[5] = f64_at(body, 24);
                }
                0x0026..=0x0029 => margins[(typ - 0x0026) as usize] = f64_at(body, 0),
                0x0083 => layout.print.center_h = u16_at(body, 0).is_some_and(|v| v != 0),
                0x0084 => layout.print.center_v = u16_at(body, 0).is_some_and(|v| v != 0),
                0x002B => layout.print.gridlines = u16_at(body, 0).is_some_and(|v| v != 0),
                0x0014 | 0x0015 => {
                    let text = unicode_string(body).filter(|t| !t.is_empty() && t.len() <= 255);
                    if typ == 0x0014 {
                        layout.header = text;
                    } else {
                        layout.footer = text;
                    }
                }
                // WINDOW2: frozen panes.
                0x023E => frozen = u16_at(body, 0).is_some_and(|v| v & 0x0008 != 0),
                // PANE: the columns and rows frozen.
                0x0041 => pane = u16_at(body, 0).zip(u16_at(body, 2)),
                _ => {}
            }
        }
        if fit {
            layout.print.fit = setup_fit;
        }
        if margins.iter().any(Option::is_some) {
            let m = |i: usize, d: f64| margins[i].unwrap_or(d);
            layout.print.margins = Some([
                m(0, 0.75),
                m(1, 0.75),
                m(2, 1.0),
                m(3, 1.0),
                m(4, 0.5),
                m(5, 0.5),
            ]);
        }
        if frozen && let Some((x, y)) = pane {
            layout.freeze = Some((y, x));
        }
        layout
    }
}

#[cfg(test)]
mod tests {
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
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
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
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
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
}
