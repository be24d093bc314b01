//! The merged workbook: where each change of a plan lands in the master, and the bytes.
//!
//! An `.xlsx` (or `.xlsm`) master is edited cell by cell ([`super::xlsx`]): a change goes
//! to the very cell the master's measure was read from; a field the sheet has no column
//! for gets a new column after the sheet's last, headed with the contract's word, so the
//! reader finds it again. A change that cannot land without touching something else (a
//! formula, a cell merged across other measures' rows) is refused instead. Any other
//! master (xls, ods, csv, xlsb) cannot be edited in place; it becomes an `.xlsx` in the
//! contract's column layout, one sheet per master sheet.

use super::xlsx::{CellEdit, EditError, MasterXlsx, NewColumn, NewValue};
use super::{Change, Field, Plan, Refusal, Value};
use crate::model::{EvidenceReady, Measure, SheetInfo, Workbook, cell_name};
use crate::render::context::{Labels, label};
use rust_xlsxwriter::{Format, FormatAlign, XlsxError};
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

    /// A field's value as the merged cell holds it.
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
                value: words.value(&c.new),
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

/// A merged workbook for a master that cannot be edited in place: the measures (with
/// the changes applied) in the contract's column layout, one sheet per master sheet
/// under its own name and title.
pub fn contract_layout(
    master: &Workbook,
    measures: &[Measure],
    words: &Words,
) -> Result<Vec<u8>, XlsxError> {
    const KEYS: [&str; 18] = [
        "set",
        "id",
        "category",
        "measure",
        "owner",
        "supporting",
        "contact",
        "status",
        "progress",
        "deadline",
        "evidence",
        "evidence_ready",
        "check",
        "site",
        "box",
        "weight",
        "veto",
        "notes",
    ];
    let mut book = rust_xlsxwriter::Workbook::new();
    let header = Format::new().set_bold().set_align(FormatAlign::Center);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let date = wrap.clone().set_num_format("yyyy-mm-dd");
    let mut names: Vec<String> = Vec::new();
    for info in &master.sheets {
        let name = info
            .sheet
            .clone()
            .unwrap_or_else(|| crate::pipeline::first_stem(&[info.file.clone().into()]));
        if names.contains(&name) {
            continue;
        }
        names.push(name.clone());
        let rows: Vec<&Measure> = measures
            .iter()
            .filter(|m| m.source.file == info.file && m.source.sheet == info.sheet)
            .collect();
        let ws = book.add_worksheet();
        ws.set_name(&name)?;
        let mut r = 0;
        if let Some(title) = &info.title {
            ws.write_string(0, 0, title)?;
            r = 1;
        }
        let extras: Vec<&str> = rows
            .first()
            .map(|m| m.extras.iter().map(|(h, _)| h.as_str()).collect())
            .unwrap_or_default();
        for (c, key) in KEYS.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, words.header(key), &header)?;
        }
        for (c, h) in extras.iter().enumerate() {
            ws.write_string_with_format(r, (KEYS.len() + c) as u16, *h, &header)?;
        }
        ws.set_column_width(3, 40)?;
        ws.set_column_width(8, 28)?;
        ws.set_column_width(10, 24)?;
        for m in rows {
            r += 1;
            let list = |items: &[String]| items.join(&words.sep);
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            let texts = [
                m.set.clone(),
                m.id.clone(),
                opt(&m.category),
                m.text.clone(),
                list(&m.owners),
                list(&m.supporting),
                opt(&m.contact),
                m.status.text.clone(),
                opt(&m.progress),
                String::new(),
                m.evidence.join("\n"),
                words.ready(&m.evidence_ready),
                opt(&m.check),
                opt(&m.site),
                opt(&m.box_no),
                String::new(),
                if m.veto {
                    label(&words.labels, "split.yes")
                } else {
                    String::new()
                },
                opt(&m.notes),
            ];
            for (c, t) in texts.iter().enumerate() {
                if !t.is_empty() {
                    ws.write_string_with_format(r, c as u16, t, &wrap)?;
                }
            }
            match (m.deadline, m.continuous) {
                (Some(d), _) => {
                    use chrono::Datelike;
                    let cell = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.year() as u16,
                        d.month() as u8,
                        d.day() as u8,
                    );
                    match cell {
                        Ok(cell) => ws.write_datetime_with_format(r, 9, cell, &date)?,
                        Err(_) => ws.write_string_with_format(r, 9, d.to_string(), &wrap)?,
                    };
                }
                (None, true) => {
                    ws.write_string_with_format(r, 9, &words.continuous, &wrap)?;
                }
                (None, false) => {}
            }
            ws.write_number(r, 15, m.weight)?;
            for (c, (_, v)) in m.extras.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string_with_format(r, (KEYS.len() + c) as u16, v, &wrap)?;
                }
            }
        }
    }
    book.save_to_buffer()
}
