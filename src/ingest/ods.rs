//! What calamine does not read of an OpenDocument spreadsheet, from `content.xml`: merged
//! regions and hidden rows. The same pass checks the file against `[limits]` before
//! calamine reads it, since calamine builds every sheet when it opens the file, each as a
//! dense rectangle with repeated rows and cells written out.
//!
//! The pass reads `content.xml` the way calamine 0.38 does (the same XML reader and
//! settings, the same walk through tables, rows and cells, the same caps on rows and
//! columns), so what it counts is what calamine would build, however the elements are
//! nested: a cell outside a row, a row inside a cell's text, an end tag that closes the
//! wrong element. It refuses a value repeated past `limits.ods_repeat`, more sheets than
//! `limits.sheets_per_workbook`, a sheet (or all sheets together) spanning more than
//! `limits.cells_per_sheet` cells, more text than `limits.zip_part_bytes` once repeated
//! cells are written out, and a `content.xml` that ends where calamine would wait for
//! ever (a sheet or a cell comment never closed). Repeats of empty cells and rows cost
//! nothing here: the pass only adds them up.

use super::InputError;
use super::grid::Region;
use crate::limits::Limits;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor};

/// The rows calamine keeps of one sheet: repeats past this are dropped.
const MAX_ROWS: u64 = 1_048_576;

/// The columns calamine keeps of one row: repeats past this are dropped.
const MAX_COLUMNS: u64 = 16_384;

/// What calamine does not tell about an ODS sheet.
#[derive(Debug, Clone, Default)]
pub struct OdsSheet {
    pub merges: Vec<Region>,
    /// 0-based rows hidden (collapsed or filtered) in the spreadsheet, as ranges
    /// (first, one past the last): a hidden run can be repeated to the sheet's end.
    pub hidden: Vec<(u32, u32)>,
}

impl OdsSheet {
    /// Whether a row is hidden.
    pub fn is_hidden(&self, row: u32) -> bool {
        self.hidden.iter().any(|(a, b)| (*a..*b).contains(&row))
    }
}

/// Merged regions and hidden rows per sheet name, after checking the file against
/// `limits`. A zip that cannot be opened, or without `content.xml`, yields no regions
/// (calamine then says what is wrong); XML that calamine could not read either, or that
/// would keep it waiting for ever, is refused as damaged; a limit that would be passed is
/// an error.
pub fn sheets(bytes: &[u8], limits: &Limits) -> Result<HashMap<String, OdsSheet>, InputError> {
    match read(bytes, limits) {
        Ok(sheets) => Ok(sheets),
        Err(Stop::Refused(e)) => Err(e),
        Err(Stop::Unreadable) => Ok(HashMap::new()),
    }
}

/// Why the pass stopped.
enum Stop {
    /// A limit, or XML calamine cannot read or would never finish reading.
    Refused(InputError),
    /// The zip or its `content.xml` cannot be opened: calamine says why.
    Unreadable,
}

impl From<zip::result::ZipError> for Stop {
    fn from(_: zip::result::ZipError) -> Stop {
        Stop::Unreadable
    }
}

impl From<quick_xml::Error> for Stop {
    fn from(e: quick_xml::Error) -> Stop {
        damaged(format!("content.xml: {e}"))
    }
}

fn damaged(why: String) -> Stop {
    Stop::Refused(InputError::Broken(why))
}

fn limit(what: String, key: &'static str) -> Stop {
    Stop::Refused(InputError::limit(what, key))
}

/// The attributes of an element as calamine reads them: raw values (entities not
/// decoded), and a malformed attribute ends the list. The first of a name is the one
/// calamine uses.
fn raw_attrs<'a>(e: &'a BytesStart<'_>) -> impl Iterator<Item = (&'a str, &'a str)> {
    let mut rest = e.attributes_raw();
    std::iter::from_fn(move || {
        let (key, after) = rest.split_once('=')?;
        let key = key.trim_ascii();
        let after = after.trim_ascii_start();
        let quote = after.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        let body = &after[1..];
        let (value, tail) = body.split_once(quote).unwrap_or((body, ""));
        rest = tail;
        Some((key, value))
    })
}

fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Option<&'a str> {
    raw_attrs(e).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// A count attribute, entities decoded. One that does not read as a number is `None`
/// (calamine gives up on the file there, so any count will do).
fn count(e: &BytesStart<'_>, name: &str) -> Option<u64> {
    let raw = attr(e, name)?;
    let text = quick_xml::escape::unescape(raw).ok()?;
    text.trim().parse().ok()
}

/// The extent of the cells holding a value in one sheet, counting repeats.
#[derive(Default)]
struct Extent {
    rows: Option<(u64, u64)>,
    cols: Option<(u64, u64)>,
}

impl Extent {
    fn cells(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => (r1 - r0 + 1).saturating_mul(c1 - c0 + 1),
            _ => 0,
        }
    }
}

fn widen(span: &mut Option<(u64, u64)>, first: u64, last: u64) {
    *span = Some(match *span {
        None => (first, last),
        Some((a, b)) => (a.min(first), b.max(last)),
    });
}

/// What calamine would hold of the workbook so far, and the limits it is held to.
struct Tally<'l> {
    limits: &'l Limits,
    out: HashMap<String, OdsSheet>,
    /// The cells of the finished sheets' rectangles: calamine keeps them all.
    done_cells: u64,
    /// Bytes of text calamine would build, repeats written out, over all sheets.
    text: u64,
}

/// The sheet being read.
struct Sheet {
    name: String,
    extent: Extent,
    /// The row (0-based, repeats counted, capped as calamine caps them) the next row
    /// element starts at.
    row: u64,
    /// Cells calamine pushes for the sheet's rows before it cuts out the rectangle.
    pushed: u64,
}

/// One cell element as calamine reads it.
struct Cell {
    /// It holds a value or a formula (calamine keeps it; an empty string value counts).
    value: bool,
    /// Bytes of the text calamine builds for it: its string and its formula.
    text: u64,
    /// Its end tag has been read (its text was read), else it is skipped to its end.
    closed: bool,
}

/// One row element as calamine reads it.
#[derive(Default)]
struct Row {
    /// Cells pushed (values, and the empty cells before a later cell).
    pushed: u64,
    /// First and last column holding a value.
    values: Option<(u64, u64)>,
    /// Bytes of text of its cells, column repeats written out.
    text: u64,
}

fn read(bytes: &[u8], limits: &Limits) -> Result<HashMap<String, OdsSheet>, Stop> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))?;
    let part = zip.by_name("content.xml")?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(part));
    // calamine's settings: an end tag may close any element.
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut tally = Tally {
        limits,
        out: HashMap::new(),
        done_cells: 0,
        text: 0,
    };
    let mut tables = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                tables += 1;
                if tables > limits.sheets_per_workbook {
                    return Err(limit(
                        format!(
                            "the workbook has more than {} sheets",
                            limits.sheets_per_workbook
                        ),
                        "sheets_per_workbook",
                    ));
                }
                // calamine reads the rows of a named table only.
                if let Some(name) = attr(&e, "table:name") {
                    let name = quick_xml::escape::unescape(name)
                        .map(|n| n.into_owned())
                        .unwrap_or_else(|_| name.to_string());
                    read_table(&mut reader, name, &mut tally)?;
                }
            }
            Event::Start(e) if e.name().as_ref() == "table:named-expressions" => {
                skip_named_expressions(&mut reader)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(tally.out)
}

/// calamine reads the named expressions up to their end tag, refusing anything else.
fn skip_named_expressions<R: BufRead>(reader: &mut quick_xml::Reader<R>) -> Result<(), Stop> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf)? {
            Event::End(e) if e.name().as_ref() == "table:named-expressions" => return Ok(()),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// One table, up to its end tag; calamine reads nothing but rows in it, and waits for
/// ever for an end tag that never comes.
fn read_table<R: BufRead>(
    reader: &mut quick_xml::Reader<R>,
    name: String,
    tally: &mut Tally<'_>,
) -> Result<(), Stop> {
    // A second table of the same name replaces the first, as in calamine.
    tally.out.insert(name.clone(), OdsSheet::default());
    let mut sheet = Sheet {
        name,
        extent: Extent::default(),
        row: 0,
        pushed: 0,
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                let repeat = count(&e, "table:number-rows-repeated").unwrap_or(1);
                let kept = repeat.min(MAX_ROWS.saturating_sub(sheet.row));
                let hidden = raw_attrs(&e).any(|(k, v)| k == "table:visibility" && v != "visible");
                if hidden && kept > 0 {
                    let at = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
                    let (first, end) = (at(sheet.row), at(sheet.row + kept));
                    let ranges = &mut tally.out.entry(sheet.name.clone()).or_default().hidden;
                    match ranges.last_mut() {
                        Some((_, last_end)) if *last_end == first => *last_end = end,
                        _ => ranges.push((first, end)),
                    }
                }
                let row = read_row(reader, &sheet, tally)?;
                end_row(&mut sheet, repeat, kept, &row, tally)?;
                sheet.row += kept;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => break,
            Event::Eof => {
                return Err(damaged(format!(
                    "content.xml ends inside sheet {:?}, whose table is never closed",
                    sheet.name
                )));
            }
            _ => {}
        }
    }
    tally.done_cells = tally.done_cells.saturating_add(sheet.extent.cells());
    Ok(())
}

/// One row's cells, up to the row's end tag.
fn read_row<R: BufRead>(
    reader: &mut quick_xml::Reader<R>,
    sheet: &Sheet,
    tally: &mut Tally<'_>,
) -> Result<Row, Stop> {
    let mut row = Row::default();
    // Empty cells calamine pushes only when another cell follows them.
    let mut empty = 0u64;
    let mut buf = Vec::new();
    let mut skip = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf)? {
            Event::Start(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let repeat = count(&e, "table:number-columns-repeated").unwrap_or(1);
                let cell = read_cell(reader, &e, sheet)?;
                row.pushed += empty.min(MAX_COLUMNS - row.pushed);
                let col = row.pushed;
                let kept = repeat.min(MAX_COLUMNS - row.pushed);
                if cell.value {
                    if repeat > tally.limits.ods_repeat {
                        return Err(limit(
                            format!(
                                "sheet {:?} repeats a cell holding a value {repeat} times",
                                sheet.name
                            ),
                            "ods_repeat",
                        ));
                    }
                    row.pushed += kept;
                    if kept > 0 {
                        widen(&mut row.values, col, col + kept - 1);
                    }
                    row.text = row.text.saturating_add(cell.text.saturating_mul(kept));
                    empty = 0;
                } else {
                    empty = kept;
                }
                if e.name().as_ref() == "table:table-cell" {
                    merge(&e, sheet, col, tally);
                }
                if !cell.closed {
                    let name = e.name().as_ref().to_string();
                    skip.clear();
                    reader.read_to_end_into(QName(&name), &mut skip)?;
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => return Ok(row),
            Event::Eof => {
                return Err(damaged(format!(
                    "content.xml ends inside a row of sheet {:?}",
                    sheet.name
                )));
            }
            // calamine gives up on the file here; counting on is only more careful.
            _ => {}
        }
    }
}

/// A merged region starting at this cell, if it spans more than itself. A span of 0 is
/// malformed; it reads as 1. Grid clips regions to the data.
fn merge(e: &BytesStart<'_>, sheet: &Sheet, col: u64, tally: &mut Tally<'_>) {
    let cols = count(e, "table:number-columns-spanned").unwrap_or(1).max(1);
    let rows = count(e, "table:number-rows-spanned").unwrap_or(1).max(1);
    if cols > 1 || rows > 1 {
        let at = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        let row = sheet.row;
        tally
            .out
            .entry(sheet.name.clone())
            .or_default()
            .merges
            .push(Region {
                start: (at(row), at(col)),
                end: (
                    at(row.saturating_add(rows - 1)),
                    at(col.saturating_add(cols - 1)),
                ),
            });
    }
}

/// A cell's value as calamine finds it: from its attributes, or, for a string without a
/// `string-value`, from its text up to the first end tag of a cell.
fn read_cell<R: BufRead>(
    reader: &mut quick_xml::Reader<R>,
    e: &BytesStart<'_>,
    sheet: &Sheet,
) -> Result<Cell, Stop> {
    let (mut is_string, mut is_error, mut set) = (false, false, false);
    let (mut value, mut empty_string) = (false, false);
    let (mut text, mut formula) = (0u64, 0u64);
    for (key, v) in raw_attrs(e) {
        match key {
            "office:value" | "office:boolean-value" if !set => {
                (value, set) = (true, true);
            }
            "office:string-value" | "office:date-value" | "office:time-value" if !set => {
                (value, set) = (true, true);
                text = v.len() as u64;
                empty_string = key == "office:string-value" && v.is_empty();
            }
            "office:value-type" if !set => is_string = v == "string",
            "calcext:value-type" => is_error = v == "error",
            "table:formula" => formula = v.len() as u64,
            _ => {}
        }
    }
    let read_text = (!set && is_string) || (is_error && empty_string);
    if !read_text {
        return Ok(Cell {
            value: value || formula > 0,
            text: text + formula,
            closed: false,
        });
    }
    // The text is read (calamine's string, an empty one too, is a value).
    let mut text = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let add = match reader.read_event_into(&mut buf)? {
            Event::Text(t) => t.len() as u64,
            // An entity or character reference: one character.
            Event::GeneralRef(_) => 4,
            Event::End(end)
                if matches!(
                    end.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                return Ok(Cell {
                    value: true,
                    text: text + formula,
                    closed: true,
                });
            }
            Event::Start(s) if s.name().as_ref() == "office:annotation" => {
                skip_annotation(reader, sheet)?;
                0
            }
            Event::Start(s) if s.name().as_ref() == "text:s" => {
                // Spaces written out one by one: `<text:s text:c="2000000000"/>` is
                // 2 GB of them.
                count(&s, "text:c").unwrap_or(1)
            }
            Event::Start(s)
                if matches!(s.name().as_ref(), "text:p" | "text:tab" | "text:line-break") =>
            {
                1
            }
            Event::Eof => {
                return Err(damaged(format!(
                    "content.xml ends inside a cell of sheet {:?}",
                    sheet.name
                )));
            }
            _ => 0,
        };
        text = text.saturating_add(add);
    }
}

/// A cell comment, skipped to its end tag; calamine waits for ever for one that never
/// comes.
fn skip_annotation<R: BufRead>(
    reader: &mut quick_xml::Reader<R>,
    sheet: &Sheet,
) -> Result<(), Stop> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf)? {
            Event::End(e) if e.name().as_ref() == "office:annotation" => return Ok(()),
            Event::Eof => {
                return Err(damaged(format!(
                    "content.xml ends inside a comment (office:annotation) of sheet {:?}, \
                     which is never closed",
                    sheet.name
                )));
            }
            _ => {}
        }
    }
}

/// A row ends: a row holding a value repeated past the limit is refused; what calamine
/// would hold for it counts against the limits.
fn end_row(
    sheet: &mut Sheet,
    repeat: u64,
    kept: u64,
    row: &Row,
    tally: &mut Tally<'_>,
) -> Result<(), Stop> {
    let limits = tally.limits;
    sheet.pushed = sheet.pushed.saturating_add(row.pushed);
    if sheet.pushed > limits.cells_per_sheet {
        return Err(limit(
            format!(
                "sheet {:?} holds more than {} cells up to the last value of each row \
                 (an ods sheet is read whole)",
                sheet.name, limits.cells_per_sheet
            ),
            "cells_per_sheet",
        ));
    }
    let Some((c0, c1)) = row.values else {
        return Ok(());
    };
    if repeat > limits.ods_repeat {
        return Err(limit(
            format!(
                "sheet {:?} repeats a row holding a value {repeat} times",
                sheet.name
            ),
            "ods_repeat",
        ));
    }
    widen(
        &mut sheet.extent.rows,
        sheet.row,
        sheet.row + kept.max(1) - 1,
    );
    widen(&mut sheet.extent.cols, c0, c1);
    let cells = sheet.extent.cells();
    if cells > limits.cells_per_sheet {
        return Err(limit(
            format!(
                "sheet {:?} spans {cells} cells from its first to its last value, more than \
                 {} (an ods sheet is read whole)",
                sheet.name, limits.cells_per_sheet
            ),
            "cells_per_sheet",
        ));
    }
    let together = tally.done_cells.saturating_add(cells);
    if together > limits.cells_per_sheet {
        return Err(limit(
            format!(
                "its sheets span {together} cells together from their first to their last \
                 values, more than {} (an ods is read whole, every sheet at once)",
                limits.cells_per_sheet
            ),
            "cells_per_sheet",
        ));
    }
    // Only a row holding a value has text. It is built once for the row and once more
    // for each row it is repeated to. for the row and once more for each row it is repeated to.
    let copies = kept.max(1).saturating_add(1);
    tally.text = tally.text.saturating_add(row.text.saturating_mul(copies));
    if tally.text > limits.zip_part_bytes {
        return Err(limit(
            format!(
                "sheet {:?} holds more than {} of text once its repeats are written out",
                sheet.name,
                super::size_text(limits.zip_part_bytes)
            ),
            "zip_part_bytes",
        ));
    }
    Ok(())
}
