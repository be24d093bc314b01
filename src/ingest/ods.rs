//! What calamine does not read of an OpenDocument spreadsheet, from `content.xml`: merged
//! regions and hidden rows. The same pass checks the sheet against `[limits]` before
//! calamine reads it, since calamine builds each sheet as a dense rectangle with repeated
//! rows and cells written out: a value repeated past `limits.ods_repeat`, more sheets than
//! `limits.sheets_per_workbook`, or a rectangle of more than `limits.cells_per_sheet`
//! cells is refused. Repeats of empty cells and rows cost nothing here: the pass only adds
//! them up.

use super::InputError;
use super::grid::Region;
use crate::limits::Limits;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{BufReader, Cursor};

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

/// Merged regions and hidden rows per sheet name, after checking the sheets against
/// `limits`. A problem reading the XML yields no regions (the values are still read by
/// calamine, only the spreading of merged values is lost); a limit that would be passed
/// is an error.
pub fn sheets(bytes: &[u8], limits: &Limits) -> Result<HashMap<String, OdsSheet>, InputError> {
    match read(bytes, limits) {
        Ok(sheets) => Ok(sheets),
        Err(Stop::Limit(e)) => Err(e),
        Err(Stop::Unreadable) => Ok(HashMap::new()),
    }
}

/// Why the pass stopped.
enum Stop {
    Limit(InputError),
    Unreadable,
}

impl<E: std::error::Error> From<E> for Stop {
    fn from(_: E) -> Stop {
        Stop::Unreadable
    }
}

fn attr_u64(e: &BytesStart<'_>, name: &str) -> Option<u64> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.value.trim().parse().ok())
}

fn has_attr(e: &BytesStart<'_>, name: &str) -> bool {
    e.attributes().flatten().any(|a| a.key.as_ref() == name)
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

fn read(bytes: &[u8], limits: &Limits) -> Result<HashMap<String, OdsSheet>, Stop> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))?;
    let part = zip.by_name("content.xml")?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut out: HashMap<String, OdsSheet> = HashMap::new();
    let mut sheet = String::new();
    let mut sheet_count = 0usize;
    let mut extent = Extent::default();
    let (mut row, mut col) = (0u64, 0u64);
    let mut row_repeat = 1u64;
    // The columns of the current row that hold a value, and whether a cell is open and
    // what it spans: (first column, repeat, holds a value so far).
    let mut row_cols: Option<(u64, u64)> = None;
    let mut cell: Option<(u64, u64, bool)> = None;
    let limit = |what: String, key: &'static str| Stop::Limit(InputError::limit(what, key));
    loop {
        buf.clear();
        let event = reader.read_event_into(&mut buf)?;
        let (e, is_empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::Text(t) if cell.is_some() && !t.as_ref().trim().is_empty() => {
                if let Some(c) = &mut cell {
                    c.2 = true;
                }
                continue;
            }
            Event::End(e) => {
                match e.name().as_ref() {
                    "table:table-cell" | "table:covered-table-cell" => {
                        if let Some((first, repeat, value)) = cell.take() {
                            end_cell(&sheet, first, repeat, value, &mut row_cols, limits)
                                .map_err(Stop::Limit)?;
                        }
                    }
                    "table:table-row" => {
                        end_row(
                            &sheet,
                            row,
                            row_repeat,
                            row_cols.take(),
                            &mut extent,
                            limits,
                        )
                        .map_err(Stop::Limit)?;
                        row = row.saturating_add(row_repeat);
                    }
                    "table:table" => check_extent(&sheet, &extent, limits).map_err(Stop::Limit)?,
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.name().as_ref() {
            "table:table" => {
                sheet_count += 1;
                if sheet_count > limits.sheets_per_workbook {
                    return Err(limit(
                        format!(
                            "the workbook has more than {} sheets",
                            limits.sheets_per_workbook
                        ),
                        "sheets_per_workbook",
                    ));
                }
                sheet = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == "table:name")
                    .and_then(|a| {
                        quick_xml::escape::unescape(&a.value)
                            .ok()
                            .map(|v| v.into_owned())
                    })
                    .unwrap_or_default();
                out.entry(sheet.clone()).or_default();
                row = 0;
                extent = Extent::default();
            }
            "table:table-row" => {
                col = 0;
                row_cols = None;
                row_repeat = attr_u64(e, "table:number-rows-repeated")
                    .unwrap_or(1)
                    .max(1);
                let hidden = e
                    .attributes()
                    .flatten()
                    .any(|a| a.key.as_ref() == "table:visibility" && a.value.as_ref() != "visible");
                if hidden {
                    let first = u32::try_from(row).unwrap_or(u32::MAX);
                    let end = u32::try_from(row.saturating_add(row_repeat)).unwrap_or(u32::MAX);
                    let ranges = &mut out.entry(sheet.clone()).or_default().hidden;
                    match ranges.last_mut() {
                        Some((_, last_end)) if *last_end == first => *last_end = end,
                        _ => ranges.push((first, end)),
                    }
                }
                if is_empty {
                    row = row.saturating_add(row_repeat);
                }
            }
            name @ ("table:table-cell" | "table:covered-table-cell") => {
                // A span of 0 is malformed; read it as 1. Grid clips regions to the data.
                let cols = attr_u64(e, "table:number-columns-spanned")
                    .unwrap_or(1)
                    .max(1);
                let rows = attr_u64(e, "table:number-rows-spanned").unwrap_or(1).max(1);
                if (cols > 1 || rows > 1) && name == "table:table-cell" {
                    let at = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
                    out.entry(sheet.clone()).or_default().merges.push(Region {
                        start: (at(row), at(col)),
                        end: (at(row + rows - 1), at(col.saturating_add(cols - 1))),
                    });
                }
                let repeat = attr_u64(e, "table:number-columns-repeated")
                    .unwrap_or(1)
                    .max(1);
                let value = has_attr(e, "office:value-type");
                if is_empty {
                    end_cell(&sheet, col, repeat, value, &mut row_cols, limits)
                        .map_err(Stop::Limit)?;
                } else {
                    cell = Some((col, repeat, value));
                }
                col = col.saturating_add(repeat);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A cell ends: a value repeated past the limit is refused; the columns it fills count.
fn end_cell(
    sheet: &str,
    first: u64,
    repeat: u64,
    value: bool,
    row_cols: &mut Option<(u64, u64)>,
    limits: &Limits,
) -> Result<(), InputError> {
    if !value {
        return Ok(());
    }
    if repeat > limits.ods_repeat {
        return Err(InputError::limit(
            format!("sheet {sheet:?} repeats a cell holding a value {repeat} times"),
            "ods_repeat",
        ));
    }
    widen(row_cols, first, first + repeat - 1);
    Ok(())
}

/// A row ends: a row holding a value repeated past the limit is refused; the rows it
/// fills count.
fn end_row(
    sheet: &str,
    row: u64,
    repeat: u64,
    cols: Option<(u64, u64)>,
    extent: &mut Extent,
    limits: &Limits,
) -> Result<(), InputError> {
    let Some((c0, c1)) = cols else {
        return Ok(());
    };
    if repeat > limits.ods_repeat {
        return Err(InputError::limit(
            format!("sheet {sheet:?} repeats a row holding a value {repeat} times"),
            "ods_repeat",
        ));
    }
    widen(&mut extent.rows, row, row + repeat - 1);
    widen(&mut extent.cols, c0, c1);
    check_extent(sheet, extent, limits)
}

/// calamine holds a sheet as the rectangle from its first to its last value: refused when
/// that rectangle has more cells than a sheet may.
fn check_extent(sheet: &str, extent: &Extent, limits: &Limits) -> Result<(), InputError> {
    if extent.cells() > limits.cells_per_sheet {
        return Err(InputError::limit(
            format!(
                "sheet {sheet:?} spans {} cells from its first to its last value, more than \
                 {} (an ods sheet is read whole)",
                extent.cells(),
                limits.cells_per_sheet
            ),
            "cells_per_sheet",
        ));
    }
    Ok(())
}
