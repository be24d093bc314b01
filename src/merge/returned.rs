//! Reading a returned department sheet for a merge: its rows as the ordinary reader
//! reads them (so `check` and the merge agree on what a row says), the editable cells
//! exactly as the department typed them (the merged workbook gets those, never the
//! folded text the matching uses), and the base the split recorded in the file — what
//! each row was sent with — so the merge can tell what the department changed.
//!
//! A return is bounded by its master: a department's sheet holds at most the master's
//! measures, so a file with far more rows is refused whole while it is read, before its
//! rows take memory ([`row_bound`]).

use crate::ingest::grid::{Grid, Value as CellValue};
use crate::ingest::sheet::{SetState, SheetContext, read_sheet};
use crate::ingest::{self, BASE_SHEET, InputError, ReadOptions};
use crate::model::{Measure, Workbook};
use crate::split::{KEY_HEADER, Key, Sent};
use chrono::NaiveDate;
use std::collections::HashMap;

/// A cell as the department left it: text as typed (trimmed, never folded), a date
/// cell, or a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Blank,
    Text(String),
    Date(NaiveDate),
    /// A number cell, as its text (a deadline typed as a bare number is no date).
    Number(String),
}

impl Typed {
    fn of(value: &CellValue) -> Typed {
        match value {
            CellValue::Empty | CellValue::Error(_) => Typed::Blank,
            CellValue::Text(t) if t.trim().is_empty() => Typed::Blank,
            CellValue::Text(t) => Typed::Text(t.trim().to_string()),
            CellValue::Date(d) => Typed::Date(*d),
            CellValue::Number(n) => Typed::Number(ingest::cells::number_text(*n)),
            CellValue::Bool(b) => Typed::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        }
    }

    /// The text a person sees in the cell.
    pub fn text(&self) -> String {
        match self {
            Typed::Blank => String::new(),
            Typed::Text(t) | Typed::Number(t) => t.clone(),
            Typed::Date(d) => d.to_string(),
        }
    }
}

/// The editable cells of one returned row, as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedRow {
    pub status: Typed,
    pub progress: Typed,
    pub deadline: Typed,
    pub evidence_ready: Typed,
    /// The row's id was in an id cell, not numbered by the reader.
    pub id_typed: bool,
}

/// Where a return's base came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseFrom {
    /// The return carries the split's base sheet.
    Sheet,
    /// The split's `split.json`, given to the merge.
    Manifest,
    /// No base: the merge compares with the master as it is now (two-way).
    None,
}

/// A returned file, read.
pub struct ReturnedFile {
    /// The file as the log names it: the path as given.
    pub name: String,
    pub book: Workbook,
    /// The editable cells of each of `book.measures`, in the same order.
    pub typed: Vec<TypedRow>,
    /// What each row was sent with, by key.
    pub base: HashMap<Key, Measure>,
    /// The keys the base lists, in its order: rows sent, whether or not they came back.
    pub sent: Vec<Key>,
    pub base_from: BaseFrom,
}

impl ReturnedFile {
    /// The key a row carries in its hidden key cell, if it carries one.
    pub fn key_of(row: &Measure) -> Option<Key> {
        row.extras
            .iter()
            .find(|(h, _)| h == KEY_HEADER)
            .and_then(|(_, v)| Key::parse(v))
    }

    /// Takes the base from the split's manifest rows when the file has none of its own.
    pub fn base_from_manifest(
        &mut self,
        sent: &HashMap<Key, &Sent>,
        master: &[Measure],
        read: &ReadOptions,
    ) {
        if self.base_from != BaseFrom::None {
            return;
        }
        let by_key: HashMap<Key, &Measure> = master.iter().map(|m| (Key::of(m), m)).collect();
        let mut found = false;
        for row in &self.book.measures {
            let Some(key) = Self::key_of(row) else {
                continue;
            };
            let (Some(s), Some(m)) = (sent.get(&key), by_key.get(&key)) else {
                continue;
            };
            found = true;
            self.base.insert(key, sent_measure(s, m, read));
        }
        if found {
            self.base_from = BaseFrom::Manifest;
        }
    }
}

/// The master measure `m` as the manifest row `s` says it was sent: the editable values
/// read from the manifest's text the way the reader reads a cell, the rest the master's.
fn sent_measure(s: &Sent, m: &Measure, read: &ReadOptions) -> Measure {
    use crate::ingest::cells::{Deadline, parse_deadline, parse_evidence_ready};
    use crate::ingest::status::Classified;
    use chrono::Datelike;
    let status = match read.vocabulary.classify(&s.status) {
        Classified::Known(st) | Classified::Blank(st) | Classified::Unrecognised(st, _) => st,
    };
    let (deadline, continuous) = match parse_deadline(&s.deadline, read.as_of.year()) {
        Deadline::Date(d) | Deadline::DateWithoutYear(d) => (Some(d), false),
        Deadline::Continuous => (None, true),
        Deadline::None | Deadline::Unreadable => (None, false),
    };
    Measure {
        status,
        progress: (!s.progress.trim().is_empty()).then(|| s.progress.trim().to_string()),
        deadline,
        continuous,
        evidence_ready: parse_evidence_ready(&s.evidence_ready),
        ..m.clone()
    }
}

/// The most measure rows a return of a master with `measures` measures may hold: every
/// measure twice (a co-lead's copy, a pasted duplicate) and `extra` more.
pub fn row_bound(measures: usize, extra: usize) -> usize {
    measures.saturating_mul(2).saturating_add(extra)
}

/// Why a returned file was not read.
#[derive(Debug)]
pub enum ReadRefusal {
    /// It cannot be read as a workbook.
    Unreadable(InputError),
    /// It holds more rows than a return of this master may.
    TooLarge { bound: usize },
}

/// Reads a returned file's bytes: rows, typed cells and base. `bound` is the
/// [`row_bound`]; reading stops as soon as a sheet passes it.
pub fn read(
    name: &str,
    bytes: &[u8],
    options: &ReadOptions,
    bound: usize,
) -> Result<ReturnedFile, ReadRefusal> {
    // Rows are counted as they are read (with room for the header block and notes), and
    // a department sheet has 15 columns: 64 cells a row leaves room for any added. A
    // sheet of a million rows stops after a few thousand.
    let mut limits = options.limits;
    let rows = (bound as u64).saturating_add(32);
    let bounded_rows = rows < limits.rows_per_sheet;
    limits.rows_per_sheet = limits.rows_per_sheet.min(rows);
    let cells = rows.saturating_mul(64);
    let bounded_cells = cells < limits.cells_per_sheet;
    limits.cells_per_sheet = limits.cells_per_sheet.min(cells);
    let bounded_measures = bound < limits.measures_per_run;
    limits.measures_per_run = limits.measures_per_run.min(bound);
    let options = ReadOptions {
        as_of: options.as_of,
        vocabulary: options.vocabulary.clone(),
        limits,
    };
    let mut typed: Vec<TypedRow> = Vec::new();
    let mut base_grid: Option<Grid> = None;
    let mut visit = |grid: &Grid, measures: &[Measure]| {
        if grid.name.as_deref() == Some(BASE_SHEET) {
            base_grid = Some(grid.clone());
            return;
        }
        for m in measures {
            let cell = |col: Option<u32>| match col {
                Some(c) => Typed::of(&grid.get(m.source.row - 1, c).value),
                None => Typed::Blank,
            };
            let c = &m.source.columns;
            typed.push(TypedRow {
                status: cell(c.status),
                progress: cell(c.progress),
                deadline: cell(c.deadline),
                evidence_ready: cell(c.evidence_ready),
                id_typed: !matches!(cell(c.id), Typed::Blank),
            });
        }
    };
    let book = match ingest::parse_file_visiting(name, bytes, &options, &mut visit) {
        Ok(book) => book,
        Err(InputError::Limit { key, .. })
            if (key == "rows_per_sheet" && bounded_rows)
                || (key == "cells_per_sheet" && bounded_cells)
                || (key == "measures_per_run" && bounded_measures) =>
        {
            return Err(ReadRefusal::TooLarge { bound });
        }
        Err(e) => return Err(ReadRefusal::Unreadable(e)),
    };
    let (base, sent) = match base_grid {
        Some(grid) => read_base(name, &grid, &options),
        None => (HashMap::new(), Vec::new()),
    };
    let base_from = if base.is_empty() {
        BaseFrom::None
    } else {
        BaseFrom::Sheet
    };
    Ok(ReturnedFile {
        name: name.to_string(),
        book,
        typed,
        base,
        sent,
        base_from,
    })
}

/// The base sheet's rows by key, read by the same reader as the department's sheet.
fn read_base(name: &str, grid: &Grid, options: &ReadOptions) -> (HashMap<Key, Measure>, Vec<Key>) {
    let ctx = SheetContext {
        file: name,
        file_order: 0,
        sheet_order: 0,
        default_set: BASE_SHEET.to_string(),
        as_of: options.as_of,
        vocabulary: &options.vocabulary,
    };
    let read = read_sheet(grid, &ctx, &mut SetState::default());
    let mut base = HashMap::new();
    let mut sent = Vec::new();
    for m in read.measures {
        if let Some(key) = ReturnedFile::key_of(&m) {
            sent.push(key.clone());
            base.insert(key, m);
        }
    }
    (base, sent)
}
