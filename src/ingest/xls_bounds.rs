//! Bounds for legacy `.xls` before calamine reads it: calamine parses every sheet when it
//! opens the file, reserving cells from each sheet's DIMENSIONS record and then a dense
//! range from the first to the last cell — so one changed byte can ask for tens of
//! gigabytes and abort the process. This walks the BIFF records of the Workbook stream
//! once (headers and a few bytes each) and refuses a sheet whose declared or actual
//! extent passes `cells_per_sheet`, and a workbook with too many sheets.

use super::InputError;
use crate::limits::Limits;
use std::io::Read;

pub(crate) fn u16_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 2)
        .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
}

pub(crate) fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The cells calamine reserves for a DIMENSIONS record, computed as it does (its
/// subtraction wraps on a damaged record, which is what asks for terabytes).
fn declared_cells(data: &[u8]) -> u64 {
    let (rf, rl, mut cf, cl) = match data.len() {
        10 => (
            u16_at(data, 0).unwrap_or(0),
            u16_at(data, 2).unwrap_or(0),
            u16_at(data, 4).unwrap_or(0),
            u16_at(data, 6).unwrap_or(0),
        ),
        14 | 16 => (
            u32_at(data, 0).unwrap_or(0),
            u32_at(data, 4).unwrap_or(0),
            u16_at(data, 8).unwrap_or(0),
            u16_at(data, 10).unwrap_or(0),
        ),
        _ => return 0,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if 1 <= rl && 1 <= cl {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = u64::from(end.0.wrapping_sub(start.0).wrapping_add(1));
    let cols = u64::from(end.1.wrapping_sub(start.1).wrapping_add(1));
    rows.saturating_mul(cols)
}

/// A sheet's first and last cell, as calamine's dense range will span them.
#[derive(Default)]
struct Extent {
    rows: Option<(u32, u32)>,
    cols: Option<(u32, u32)>,
}

impl Extent {
    fn add(&mut self, row: u32, col: u32) {
        let widen = |r: &mut Option<(u32, u32)>, v: u32| {
            *r = Some(match *r {
                None => (v, v),
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
            });
        };
        widen(&mut self.rows, row);
        widen(&mut self.cols, col);
    }

    fn cells(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => {
                u64::from(r1 - r0 + 1).saturating_mul(u64::from(c1 - c0 + 1))
            }
            _ => 0,
        }
    }
}

/// Checks a compound file's Workbook stream against the limits. A container that does
/// not hold together is refused here (calamine would read on and trust what it finds); a
/// sound one without a Workbook stream (an encrypted xlsx) is left to calamine.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), InputError> {
    let mut cfb = cfb::CompoundFile::open(std::io::Cursor::new(bytes)).map_err(|e| {
        InputError::Broken(format!(
            "its compound-file container does not hold together ({e})"
        ))
    })?;
    let mut stream = match cfb
        .open_stream("/Workbook")
        .or_else(|_| cfb.open_stream("/Book"))
    {
        Ok(s) => s,
        Err(_) => return Ok(()),
    };
    let mut data = Vec::new();
    // The stream is bounded by the file, which input_bytes bounds.
    if stream
        .by_ref()
        .take(limits.input_bytes)
        .read_to_end(&mut data)
        .is_err()
    {
        return Ok(());
    }
    let too_big = |what: String| Err(InputError::limit(what, "cells_per_sheet"));
    // The globals substream, as calamine reads it: the sheets are where their BoundSheet
    // records say (not necessarily in order, and possibly the same place twice).
    let mut positions = Vec::new();
    for (typ, body) in Records::new(&data) {
        match typ {
            0x0085 => {
                if let Some(pos) = u32_at(body, 0) {
                    positions.push(pos as usize);
                }
                if positions.len() > limits.sheets_per_workbook {
                    return Err(InputError::limit(
                        format!(
                            "the workbook has more than {} sheets",
                            limits.sheets_per_workbook
                        ),
                        "sheets_per_workbook",
                    ));
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    // calamine holds every sheet's cells at once: bound each, and all of them together.
    let mut total = 0u64;
    for (index, pos) in positions.into_iter().enumerate() {
        let Some(stream) = data.get(pos..) else {
            continue;
        };
        let cells = sheet_cells(stream, index, limits)?;
        total = total.saturating_add(cells);
        if total > limits.cells_per_sheet {
            return too_big(format!(
                "its sheets together span {total} cells from their first to their last values, more than {}",
                limits.cells_per_sheet
            ));
        }
    }
    Ok(())
}

/// The BIFF records of a stream as calamine iterates them: type and body, each record's
/// CONTINUE records taken with it (never read as records of their own); it stops where
/// a record runs past the end, as calamine stops with an error.
pub(crate) struct Records<'d> {
    rest: &'d [u8],
}

impl<'d> Records<'d> {
    pub(crate) fn new(data: &'d [u8]) -> Self {
        Records { rest: data }
    }
}

impl<'d> Iterator for Records<'d> {
    type Item = (u32, &'d [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let typ = u16_at(self.rest, 0)?;
        let len = u16_at(self.rest, 2)? as usize;
        let body = self.rest.get(4..4 + len)?;
        self.rest = &self.rest[4 + len..];
        while self.rest.len() > 4 && u16_at(self.rest, 0) == Some(0x003C) {
            let len = u16_at(self.rest, 2)? as usize;
            self.rest = self.rest.get(4 + len..)?;
        }
        Some((typ, body))
    }
}

/// The records of the sheet substream that starts at `stream`, as calamine's sheet loop
/// reads them: its own BOF and EOF left out, nested substreams (a chart's) skipped, the
/// end at the sheet's EOF. Both the bounds check and a master's conversion walk a sheet so.
pub(crate) fn sheet_records(stream: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    let (mut seen_bof, mut depth, mut done) = (false, 0usize, false);
    Records::new(stream).filter_map(move |(typ, body)| {
        if done {
            return None;
        }
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            return None;
        }
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A => done = true,
            _ => return Some((typ, body)),
        }
        None
    })
}

/// The cells calamine will hold for the sheet whose records start at `stream`, read as
/// its sheet loop reads them (nested substreams skipped, up to the sheet's EOF): refused
/// when its DIMENSIONS or its first-to-last extent passes `cells_per_sheet`.
fn sheet_cells(stream: &[u8], index: usize, limits: &Limits) -> Result<u64, InputError> {
    let too_big = |what: String| Err(InputError::limit(what, "cells_per_sheet"));
    let mut extent = Extent::default();
    for (typ, body) in sheet_records(stream) {
        match typ {
            0x0200 => {
                let declared = declared_cells(body);
                if declared > limits.cells_per_sheet {
                    return too_big(format!(
                        "sheet {index} declares {declared} cells (DIMENSIONS), more than {}",
                        limits.cells_per_sheet
                    ));
                }
            }
            // Number, Label, RString, BoolErr, Rk, LabelSst, Formula: row, then column
            // (a String record takes the cell of the Formula before it).
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(r), Some(c)) = (u16_at(body, 0), u16_at(body, 2)) {
                    extent.add(r, c);
                }
            }
            // MulRk: row, first column, …, last column.
            0x00BD => {
                if let (Some(r), Some(c0)) = (u16_at(body, 0), u16_at(body, 2)) {
                    extent.add(r, c0);
                    if let Some(c1) = body.len().checked_sub(2).and_then(|e| u16_at(body, e)) {
                        extent.add(r, c1);
                    }
                }
            }
            _ => {}
        }
        if extent.cells() > limits.cells_per_sheet {
            return too_big(format!(
                "sheet {index} spans {} cells from its first to its last value, more than {}",
                extent.cells(),
                limits.cells_per_sheet
            ));
        }
    }
    Ok(extent.cells())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_dimensions_record_reads_as_terabytes() {
        // rwMic 5, rwMac 1 (before it): calamine's subtraction wraps.
        let mut rec = Vec::new();
        rec.extend_from_slice(&5u32.to_le_bytes());
        rec.extend_from_slice(&1u32.to_le_bytes());
        rec.extend_from_slice(&0u16.to_le_bytes());
        rec.extend_from_slice(&200u16.to_le_bytes());
        rec.extend_from_slice(&0u16.to_le_bytes());
        assert!(declared_cells(&rec) > 1_000_000_000);
        let mut ok = Vec::new();
        ok.extend_from_slice(&0u32.to_le_bytes());
        ok.extend_from_slice(&100u32.to_le_bytes());
        ok.extend_from_slice(&0u16.to_le_bytes());
        ok.extend_from_slice(&10u16.to_le_bytes());
        ok.extend_from_slice(&0u16.to_le_bytes());
        assert_eq!(declared_cells(&ok), 1000);
    }

    #[test]
    fn the_extent_spans_first_to_last_cell() {
        let mut e = Extent::default();
        e.add(0, 0);
        e.add(65535, 255);
        assert_eq!(e.cells(), 65536 * 256);
    }
}
