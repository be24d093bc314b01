//! The merged workbook: where each change of a plan lands in the master, and the bytes.
//!
//! An `.xlsx` (or `.xlsm`) master is edited cell by cell ([`super::xlsx`]): a change goes
//! to the very cell the master's measure was read from; a field the sheet has no column
//! for gets a new column after the sheet's last, headed with the contract's word, so the
//! reader finds it again. A change that cannot land without touching something else (a
//! formula, a cell merged across other measures' rows) is refused instead. Any other
//! master (xls, ods, csv, xlsb) is first made an `.xlsx` holding the same sheets and
//! cells ([`super::convert`]), then edited the same way. A cell gets the value as the
//! department typed it.

use super::returned::Typed;
use super::xlsx::{CellEdit, EditError, MasterXlsx, NewColumn, NewValue};
use super::{Change, Field, Plan, Refusal, Value};
use crate::model::{EvidenceReady, Measure, SheetInfo, Workbook, cell_name};
use crate::render::context::{Labels, label};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The words a merged cell is written in: the document language's.
pub struct Words {
    pub continuous: String,
    pub all: String,
    pub none: String,
    pub sep: String,
    labels: Labels,
}

impl Words {
    /// The words of `labels` (the document language).
    pub fn new(labels: &Labels) -> Words {
        Words {
            continuous: label(labels, "continuous"),
            all: label(labels, "split.ev_all"),
            none: label(labels, "split.ev_none"),
            sep: label(labels, "sep"),
            labels: labels.clone(),
        }
    }

    /// The column header of a field (a word the workbook contract reads back).
    pub fn header(&self, key: &str) -> String {
        label(&self.labels, &format!("split.col_{key}"))
    }

    fn ready(&self, r: &EvidenceReady) -> String {
        match r {
            EvidenceReady::Unknown => String::new(),
            EvidenceReady::All => self.all.clone(),
            EvidenceReady::Nothing => self.none.clone(),
            EvidenceReady::Items(items) => items.join(&self.sep),
        }
    }

    /// A field's value in the document language's words (the log shows values so).
    pub fn value(&self, v: &Value) -> NewValue {
        match v {
            Value::Status(s) => NewValue::Text(s.text.clone()),
            Value::Text(Some(t)) => NewValue::Text(t.clone()),
            Value::Text(None) => NewValue::Blank,
            Value::Deadline { date: Some(d), .. } => NewValue::Date(*d),
            Value::Deadline {
                continuous: true, ..
            } => NewValue::Text(self.continuous.clone()),
            Value::Deadline { .. } => NewValue::Blank,
            Value::Ready(r) => match self.ready(r) {
                t if t.is_empty() => NewValue::Blank,
                t => NewValue::Text(t),
            },
        }
    }
}

/// A cell as the department typed it, as the merged workbook gets it.
fn typed_value(t: &Typed) -> NewValue {
    match t {
        Typed::Blank => NewValue::Blank,
        Typed::Text(t) | Typed::Number(t) => NewValue::Text(t.clone()),
        Typed::Date(d) => NewValue::Date(*d),
    }
}

/// The merged workbook and what of the plan it holds.
pub struct Merged {
    pub bytes: Vec<u8>,
    /// The plan's changes written, by index into `plan.changes`.
    pub applied: Vec<usize>,
    /// Changes that could not be written, and why.
    pub refused: Vec<Refusal>,
    /// Columns added to the master: (sheet, header, cell of the header).
    pub added_columns: Vec<(String, String, String)>,
}

fn column_of(m: &Measure, field: Field) -> Option<u32> {
    let c = &m.source.columns;
    match field {
        Field::Status => c.status,
        Field::Progress => c.progress,
        Field::Deadline => c.deadline,
        Field::EvidenceReady => c.evidence_ready,
    }
}

/// Edits an xlsx master: every change of `plan` that can land in its cell does.
pub fn edit_xlsx(
    book: &MasterXlsx<'_>,
    master: &Workbook,
    plan: &Plan,
    words: &Words,
) -> Result<Merged, EditError> {
    let mut by_sheet: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let sheet = master.measures[c.measure]
            .source
            .sheet
            .as_deref()
            .unwrap_or("");
        by_sheet.entry(sheet).or_default().push(i);
    }
    let mut merged = Merged {
        bytes: Vec::new(),
        applied: Vec::new(),
        refused: Vec::new(),
        added_columns: Vec::new(),
    };
    let mut replaced = HashMap::new();
    for (sheet_name, changes) in by_sheet {
        let sheet = book.sheet(sheet_name)?;
        let info: Option<&SheetInfo> = master
            .sheets
            .iter()
            .find(|s| s.sheet.as_deref() == Some(sheet_name));
        // The rows of this sheet's measures: a merged cell spanning two of them is
        // shared, and no one department's change may overwrite it.
        let measure_rows: BTreeSet<u32> = master
            .measures
            .iter()
            .filter(|m| m.source.sheet.as_deref() == Some(sheet_name))
            .map(|m| m.source.row)
            .collect();
        let mut edits: Vec<CellEdit> = Vec::new();
        let mut new_columns: Vec<(Field, u32)> = Vec::new();
        for i in changes {
            let c: &Change = &plan.changes[i];
            let m = &master.measures[c.measure];
            let row = m.source.row;
            let status_style = m
                .source
                .columns
                .status
                .and_then(|col| sheet.cell(row, col))
                .and_then(|cell| cell.style.clone());
            let col = match column_of(m, c.field) {
                Some(col) => col,
                None => match new_columns.iter().find(|(f, _)| *f == c.field) {
                    Some((_, col)) => *col,
                    None => {
                        let col = sheet.max_col + 1 + new_columns.len() as u32;
                        new_columns.push((c.field, col));
                        col
                    }
                },
            };
            let (mut row_at, mut col_at) = (row, col);
            if let Some(region) = sheet.merged(row, col) {
                let rows = region.start.0 + 1..=region.end.0 + 1;
                if measure_rows.range(rows).any(|r| *r != row) {
                    merged.refused.push(Refusal::NotWritable {
                        measure: c.measure,
                        field: c.field,
                        cell: cell_name(row - 1, col),
                        reason: Blocked::Merged(format!(
                            "{}:{}",
                            cell_name(region.start.0, region.start.1),
                            cell_name(region.end.0, region.end.1)
                        )),
                    });
                    continue;
                }
                (row_at, col_at) = (region.start.0 + 1, region.start.1);
            }
            if sheet.cell(row_at, col_at).is_some_and(|cell| cell.formula) {
                merged.refused.push(Refusal::NotWritable {
                    measure: c.measure,
                    field: c.field,
                    cell: cell_name(row_at - 1, col_at),
                    reason: Blocked::Formula,
                });
                continue;
            }
            edits.push(CellEdit {
                row: row_at,
                col: col_at,
                value: typed_value(&c.typed),
                style: status_style,
            });
            merged.applied.push(i);
        }
        let mut columns = Vec::new();
        for (field, col) in &new_columns {
            if !edits.iter().any(|e| e.col == *col) {
                continue;
            }
            let header_row = info.map_or(1, |s| s.header_row.max(1));
            let header_style = (0..=sheet.max_col)
                .rev()
                .find_map(|c| sheet.cell(header_row, c))
                .and_then(|cell| cell.style.clone());
            let header = words.header(field.key());
            merged.added_columns.push((
                sheet_name.to_string(),
                header.clone(),
                cell_name(header_row - 1, *col),
            ));
            edits.push(CellEdit {
                row: header_row,
                col: *col,
                value: NewValue::Text(header),
                style: header_style,
            });
            columns.push(NewColumn {
                col: *col,
                width: if *field == Field::Progress {
                    30.0
                } else {
                    14.0
                },
            });
        }
        if !edits.is_empty() {
            let xml = sheet.edited(&edits, &columns, book.date1904);
            replaced.insert(book.part(sheet_name)?.to_string(), xml);
        }
    }
    merged.applied.sort_unstable();
    merged.bytes = book.write(&replaced)?;
    Ok(merged)
}

/// Why a change could not be written into the master's cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocked {
    /// The cell holds a formula, which is the office's, not data to overwrite.
    Formula,
    /// The cell is merged (this region) across other measures' rows: writing it would
    /// change them too.
    Merged(String),
}
