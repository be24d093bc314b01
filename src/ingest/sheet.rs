//! One sheet's grid into measures: find the header row, read title and section rows, and
//! read every measure row, reporting what is wrong cell by cell.

use super::cells::{self, Deadline, YesNo};
use super::fields::{Field, match_header};
use super::grid::{Grid, Slot, Value};
use super::normalize::{clean, key};
use super::status::{Classified, Vocabulary};
use crate::model::{
    Columns, Diagnostic, EvidenceReady, Location, Measure, Severity, SheetInfo, Source, cell_name,
};
use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

/// Every diagnostic code reading a sheet can give (see `Diagnostic::code`); the label
/// files say each of them in Chinese.
pub const DIAGNOSTIC_CODES: &[&str] = &[
    "hidden_sheet",
    "hidden_rows",
    "empty_sheet",
    "no_header",
    "duplicate_header",
    "formula_error",
    "no_id_no_text",
    "duplicate_id",
    "no_text",
    "no_status",
    "unknown_status",
    "deadline_number",
    "deadline_no_year",
    "deadline_unreadable",
    "weight_blank",
    "weight_not_number",
    "veto_unclear",
    "cell_too_long",
];

/// How many rows from the top of a sheet may hold the header row.
pub const HEADER_SEARCH_ROWS: u32 = 10;

/// What a sheet is read against, and where it sits among the inputs.
pub struct SheetContext<'a> {
    pub file: &'a str,
    pub file_order: usize,
    pub sheet_order: usize,
    /// The set a row belongs to when it has no `set` cell: sheet name, or CSV file stem.
    pub default_set: String,
    pub as_of: NaiveDate,
    pub vocabulary: &'a Vocabulary,
}

/// State shared across all sheets of all inputs: running ids and seen ids per set.
#[derive(Default)]
pub struct SetState {
    counts: HashMap<String, usize>,
    seen: HashMap<(String, String), Location>,
}

/// A located header row: which column holds which field.
#[derive(Debug)]
pub struct Header {
    pub row: u32,
    /// The last header row: `row`, or the sub-header row under it (责任单位 over
    /// 牵头单位 / 配合单位). Data starts below it.
    pub last_row: u32,
    pub fields: BTreeMap<Field, u32>,
    /// Unknown columns: (column, header text).
    pub extras: Vec<(u32, String)>,
}

/// What reading one sheet gave.
pub struct SheetRead {
    pub info: Option<SheetInfo>,
    pub measures: Vec<Measure>,
    pub diagnostics: Vec<Diagnostic>,
}

static ORDINAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:[一二三四五六七八九十百零]+\s*[、.．]|[(（]\s*[一二三四五六七八九十百零0-9０-９]+\s*[)）]|[0-9０-９]+\s*[、.．]|第[一二三四五六七八九十百零0-9０-９]+[部分章节条项][、:：.．]?)\s*",
    )
    .expect("valid regex")
});

/// A number typed as text ("3", "3.2", "3.2.1", full-width "３"): an id, not a section title.
static BARE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]+(?:\.[0-9]+)*$").expect("valid regex"));

/// Drops a leading ordinal from a section title: "一、强化责任落实" → "强化责任落实".
pub fn strip_ordinal(text: &str) -> String {
    ORDINAL.replace(text.trim(), "").trim().to_string()
}

/// Row numbers as a person reads them: 0-based [4, 8, 9, 10] → "5, 9–11".
fn row_list(rows: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let start = rows[i];
        let mut end = start;
        while i + 1 < rows.len() && rows[i + 1] == end + 1 {
            i += 1;
            end = rows[i];
        }
        parts.push(if start == end {
            format!("{}", start + 1)
        } else {
            format!("{}–{}", start + 1, end + 1)
        });
        i += 1;
    }
    parts.join(", ")
}

/// The non-empty text cells typed into a row (not copied from a merged region).
fn own_texts(grid: &Grid, row: u32) -> Vec<(u32, &str)> {
    grid.own_cells(row)
        .filter_map(|(col, slot)| match &slot.value {
            Value::Text(t) if !t.trim().is_empty() => Some((col, t.as_str())),
            _ => None,
        })
        .collect()
}

/// Finds the header row: the first of the top rows whose cells name both the measure and
/// the status fields.
pub fn find_header(grid: &Grid) -> Result<Header, String> {
    let mut partial: Option<String> = None;
    for row in grid.row_numbers().take_while(|r| *r < HEADER_SEARCH_ROWS) {
        let mut fields = BTreeMap::new();
        let mut extras = Vec::new();
        for (col, text) in own_texts(grid, row) {
            match match_header(text) {
                Some(f) => {
                    fields.entry(f).or_insert(col);
                }
                None => extras.push((col, clean(text))),
            }
        }
        let has_measure = fields.contains_key(&Field::Measure);
        let has_status = fields.contains_key(&Field::Status);
        if has_measure && has_status {
            // A second header row whose every cell names a field refines the first.
            let below = own_texts(grid, row + 1);
            let sub = !below.is_empty() && below.iter().all(|(_, t)| match_header(t).is_some());
            if sub {
                for (col, text) in below {
                    if let Some(f) = match_header(text) {
                        fields.entry(f).or_insert(col);
                    }
                }
            }
            return Ok(Header {
                row,
                last_row: row + u32::from(sub),
                fields,
                extras,
            });
        }
        if partial.is_none() && (has_measure || has_status) {
            let (found, missing) = if has_measure {
                (Field::Measure, Field::Status)
            } else {
                (Field::Status, Field::Measure)
            };
            partial = Some(format!(
                "row {} names a {} column but no {} column ({})",
                row + 1,
                found.name(),
                missing.name(),
                missing.synonyms_hint()
            ));
        }
    }
    Err(partial.unwrap_or_else(|| {
        format!(
            "a header row within the first {HEADER_SEARCH_ROWS} rows must name a measure column ({}) and a status column ({})",
            Field::Measure.synonyms_hint(),
            Field::Status.synonyms_hint()
        )
    }))
}

/// Reads one sheet.
pub fn read_sheet(grid: &Grid, ctx: &SheetContext<'_>, state: &mut SetState) -> SheetRead {
    let mut reader = RowReader {
        grid,
        ctx,
        diagnostics: Vec::new(),
        warned: HashSet::new(),
        data_from: u32::MAX,
    };
    if grid.hidden {
        reader.diagnostics.push(
            Diagnostic::new(
                Severity::Info,
                reader.location(None),
                "sheet is hidden; it is read like the others",
            )
            .coded("hidden_sheet", vec![]),
        );
    }
    for (at, had, kept) in &grid.cut_cells {
        let msg = format!(
            "the cell holds {had} characters; only the first {kept} are read (limits.cell_chars)"
        );
        let args = vec![("chars", had.to_string()), ("kept", kept.to_string())];
        reader
            .push(Severity::Warning, *at, msg)
            .set_code("cell_too_long", args);
    }
    let header = match find_header(grid) {
        Ok(h) => h,
        Err(hint) => {
            let (code, what) = if grid.is_blank() {
                ("empty_sheet", "sheet is empty; skipped")
            } else {
                ("no_header", "no header row found; sheet skipped")
            };
            reader.diagnostics.push(
                Diagnostic::new(Severity::Info, reader.location(None), what)
                    .with_hint(hint)
                    .coded(code, vec![]),
            );
            return SheetRead {
                info: None,
                measures: Vec::new(),
                diagnostics: reader.diagnostics,
            };
        }
    };
    reader.data_from = header.last_row + 1;
    reader.check_duplicate_headers(&header);
    if let Some(first) = grid.hidden_rows.first() {
        let msg = format!(
            "{} hidden: {}; hidden rows are read like the others",
            if grid.hidden_rows.len() == 1 {
                "a row is"
            } else {
                "rows are"
            },
            row_list(&grid.hidden_rows)
        );
        let at = reader.location(Some((*first, grid.first_col())));
        let rows = row_list(&grid.hidden_rows);
        reader.diagnostics.push(
            Diagnostic::new(Severity::Info, at, msg).coded("hidden_rows", vec![("rows", rows)]),
        );
    }
    let title = grid
        .row_numbers()
        .take_while(|r| *r < header.row)
        .find_map(|r| {
            grid.own_cells(r).find_map(|(_, slot)| match &slot.value {
                Value::Empty => None,
                v => reader.plain_text(v).filter(|t| !t.is_empty()),
            })
        });

    let mut measures = Vec::new();
    let mut section: Option<String> = None;
    for row in grid.row_numbers().filter(|r| *r > header.last_row) {
        let own: Vec<(u32, &Slot)> = grid
            .own_cells(row)
            .filter(|(_, s)| !s.value.is_empty())
            .collect();
        if own.is_empty() {
            continue;
        }
        if reader.is_total_row(row, &header, &own) {
            continue;
        }
        if let [(_, slot)] = own.as_slice() {
            let text = reader.plain_text(&slot.value).unwrap_or_default();
            let bare_number =
                matches!(slot.value, Value::Number(_)) || BARE_NUMBER.is_match(&clean(&text));
            // A lone ordinal with no title ("第三条", "（一）") is an id, not a section.
            let name = strip_ordinal(&text);
            if !bare_number && !name.is_empty() && !matches!(slot.value, Value::Error(_)) {
                section = Some(name);
                continue;
            }
        }
        if let Some(m) = reader.read_measure(row, &header, section.as_deref(), state) {
            measures.push(m);
        }
    }
    let info = SheetInfo {
        file: ctx.file.to_string(),
        sheet: grid.name.clone(),
        title,
        measures: measures.len(),
        header_row: header.row + 1,
    };
    SheetRead {
        info: Some(info),
        measures,
        diagnostics: reader.diagnostics,
    }
}

struct RowReader<'a> {
    grid: &'a Grid,
    ctx: &'a SheetContext<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Cells already warned about (a merged error cell is reported once).
    warned: HashSet<(u32, u32)>,
    /// The first data row: values merged down from above it (header cells) are not data.
    data_from: u32,
}

impl<'a> RowReader<'a> {
    /// A data cell; a value merged down from the header rows reads as empty.
    fn slot(&self, row: u32, col: u32) -> &'a Slot {
        static EMPTY: Slot = Slot {
            value: Value::Empty,
            merged_from: None,
        };
        let slot = self.grid.get(row, col);
        match slot.merged_from {
            Some((from, _)) if from < self.data_from && row >= self.data_from => &EMPTY,
            _ => slot,
        }
    }

    fn location(&self, cell: Option<(u32, u32)>) -> Location {
        Location {
            file: self.ctx.file.to_string(),
            sheet: self.grid.name.clone(),
            cell,
            order: (self.ctx.file_order, self.ctx.sheet_order),
        }
    }

    fn push(&mut self, severity: Severity, cell: (u32, u32), message: String) -> &mut Diagnostic {
        let d = Diagnostic::new(severity, self.location(Some(cell)), message);
        self.diagnostics.push(d);
        self.diagnostics.last_mut().expect("just pushed")
    }

    fn check_duplicate_headers(&mut self, header: &Header) {
        let mut firsts: HashMap<Field, u32> = HashMap::new();
        for (col, text) in own_texts(self.grid, header.row) {
            let Some(field) = match_header(text) else {
                continue;
            };
            match firsts.get(&field) {
                None => {
                    firsts.insert(field, col);
                }
                Some(first) => {
                    let first = cell_name(header.row, *first);
                    let msg = format!(
                        "second {} column {:?}; the first, {first}, is used",
                        field.name(),
                        text.trim(),
                    );
                    let args = vec![("header", text.trim().to_string()), ("first", first)];
                    self.push(Severity::Warning, (header.row, col), msg)
                        .set_code("duplicate_header", args);
                }
            }
        }
    }

    /// A cell value as display text; formula errors are None (and warned about by `text`).
    fn plain_text(&self, value: &Value) -> Option<String> {
        match value {
            Value::Empty | Value::Error(_) => None,
            Value::Text(t) => Some(t.trim().to_string()),
            Value::Number(n) => Some(cells::number_text(*n)),
            Value::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
            Value::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
        }
    }

    /// The text of a cell, with a warning for a formula error.
    fn text_at(&mut self, row: u32, col: u32) -> Option<String> {
        let slot = self.slot(row, col);
        if let Value::Error(e) = &slot.value {
            let at = slot.merged_from.unwrap_or((row, col));
            if self.warned.insert(at) {
                let msg = format!("formula error {e}; read as empty");
                let args = vec![("error", e.clone())];
                self.push(Severity::Warning, at, msg)
                    .set_code("formula_error", args);
            }
            return None;
        }
        self.plain_text(&slot.value).filter(|t| !t.is_empty())
    }

    fn field_text(&mut self, row: u32, header: &Header, field: Field) -> Option<String> {
        let col = *header.fields.get(&field)?;
        self.text_at(row, col)
    }

    fn is_total_row(&self, row: u32, header: &Header, own: &[(u32, &Slot)]) -> bool {
        let value = match header.fields.get(&Field::Id) {
            Some(col) => &self.slot(row, *col).value,
            None => &own[0].1.value,
        };
        let Some(text) = self.plain_text(value) else {
            return false;
        };
        let k = key(&text);
        ["合计", "总计", "小计"].iter().any(|t| k.starts_with(t))
    }

    fn read_measure(
        &mut self,
        row: u32,
        header: &Header,
        section: Option<&str>,
        state: &mut SetState,
    ) -> Option<Measure> {
        let col = |f: Field| header.fields.get(&f).copied();
        let id_text = self.field_text(row, header, Field::Id);
        let text = self.field_text(row, header, Field::Measure);
        let first_col = self.grid.first_col();
        if id_text.is_none() && text.is_none() {
            let msg = "row has content but neither an id nor measure text; skipped".to_string();
            self.push(
                Severity::Warning,
                (row, col(Field::Measure).unwrap_or(first_col)),
                msg,
            )
            .set_code("no_id_no_text", vec![]);
            return None;
        }
        let set = self
            .field_text(row, header, Field::Set)
            .unwrap_or_else(|| self.ctx.default_set.clone());
        let count = state.counts.entry(set.clone()).or_insert(0);
        *count += 1;
        let id = match &id_text {
            Some(id) => {
                let cell = (row, col(Field::Id).unwrap_or(first_col));
                let here = self.location(Some(cell));
                // Ids compare after NFKC, so a full-width "４" and "4" are one id.
                let seen_key = (set.clone(), clean(id));
                match state.seen.get(&seen_key) {
                    Some(first) => {
                        let msg =
                            format!("duplicate id {id:?} in set {set:?}; first used at {first}");
                        let args = vec![
                            ("id", id.clone()),
                            ("set", set.clone()),
                            ("first", first.to_string()),
                        ];
                        self.diagnostics.push(
                            Diagnostic::new(Severity::Error, here, msg)
                                .with_hint("give every measure of a set its own number")
                                .coded("duplicate_id", args),
                        );
                    }
                    None => {
                        state.seen.insert(seen_key, here);
                    }
                }
                id.clone()
            }
            None => count.to_string(),
        };
        if text.is_none() {
            let cell = (row, col(Field::Measure).unwrap_or(first_col));
            self.push(Severity::Warning, cell, format!("measure {id} has no text"))
                .set_code("no_text", vec![("id", id.clone())]);
        }

        let status_col = col(Field::Status).unwrap_or(first_col);
        let status_text = self.text_at(row, status_col).unwrap_or_default();
        let status = match self.ctx.vocabulary.classify(&status_text) {
            Classified::Known(s) => s,
            Classified::Blank(s) => {
                let known = self.ctx.vocabulary.summary();
                let hint = format!("known statuses: {known}");
                let terms = self.ctx.vocabulary.examples();
                let args = vec![("id", id.clone()), ("known", known), ("terms", terms)];
                let d = self.push(
                    Severity::Warning,
                    (row, status_col),
                    format!("measure {id} has no status; counted as unknown"),
                );
                d.hint = Some(hint);
                d.set_code("no_status", args);
                s
            }
            Classified::Unrecognised(s, nearest) => {
                let known = self.ctx.vocabulary.summary();
                let mut hint = String::new();
                if let Some(n) = &nearest {
                    hint.push_str(&format!("did you mean {n:?}? "));
                }
                hint.push_str(&format!("known statuses: {known}"));
                let msg = format!("unknown status {:?}; counted as unknown", s.text);
                let args = vec![
                    ("status", s.text.clone()),
                    ("nearest", nearest.clone().unwrap_or_default()),
                    ("known", known),
                    ("terms", self.ctx.vocabulary.examples()),
                ];
                let d = self.push(Severity::Warning, (row, status_col), msg);
                d.hint = Some(hint);
                d.set_code("unknown_status", args);
                if nearest.is_some() {
                    d.hint_code = "unknown_status_near";
                }
                s
            }
        };

        let (deadline, continuous) = self.read_deadline(row, col(Field::Deadline));
        let evidence = self
            .field_text(row, header, Field::Evidence)
            .map(|t| cells::split_list(&t))
            .unwrap_or_default();
        let evidence_ready = match col(Field::EvidenceReady) {
            None => EvidenceReady::Unknown,
            Some(c) => self
                .text_at(row, c)
                .map(|t| cells::parse_evidence_ready(&t))
                .unwrap_or(EvidenceReady::Unknown),
        };
        let weight = self.read_weight(row, col(Field::Weight));
        let veto = self.read_veto(row, col(Field::Veto));
        let category = self
            .field_text(row, header, Field::Category)
            .or_else(|| section.map(str::to_string));
        let list = |s: &mut Self, f| {
            s.field_text(row, header, f)
                .map(|t| cells::split_unique(&t))
                .unwrap_or_default()
        };
        let owners = list(self, Field::Owner);
        let supporting = list(self, Field::Supporting);
        let extras = header
            .extras
            .iter()
            .map(|(c, name)| (name.clone(), self.text_at(row, *c).unwrap_or_default()))
            .collect();
        Some(Measure {
            set,
            id,
            category,
            text: text.unwrap_or_default(),
            owners,
            supporting,
            contact: self.field_text(row, header, Field::Contact),
            status,
            progress: self.field_text(row, header, Field::Progress),
            deadline,
            continuous,
            evidence,
            evidence_ready,
            check: self.field_text(row, header, Field::Check),
            site: self.field_text(row, header, Field::Site),
            box_no: self.field_text(row, header, Field::Box),
            weight,
            veto,
            notes: self.field_text(row, header, Field::Notes),
            extras,
            source: Source {
                file: self.ctx.file.to_string(),
                sheet: self.grid.name.clone(),
                row: row + 1,
                columns: Columns {
                    status: Some(status_col),
                    deadline: col(Field::Deadline),
                    evidence: col(Field::Evidence),
                    evidence_ready: col(Field::EvidenceReady),
                    owner: col(Field::Owner),
                    progress: col(Field::Progress),
                    veto: col(Field::Veto),
                    id: col(Field::Id),
                    set: col(Field::Set),
                    category: col(Field::Category),
                    supporting: col(Field::Supporting),
                    weight: col(Field::Weight),
                },
            },
        })
    }

    fn read_deadline(&mut self, row: u32, col: Option<u32>) -> (Option<NaiveDate>, bool) {
        let Some(col) = col else {
            return (None, false);
        };
        let value = self.slot(row, col).value.clone();
        let text = match value {
            Value::Date(d) => return (Some(d), false),
            Value::Number(n) => {
                let value = cells::number_text(n);
                let msg = format!("deadline {value} is a number, not a date; no deadline read");
                let d = self.push(Severity::Warning, (row, col), msg);
                d.hint = Some("format the cell as a date, or write 2026-12-31".into());
                d.set_code("deadline_number", vec![("value", value)]);
                return (None, false);
            }
            _ => match self.text_at(row, col) {
                Some(t) => t,
                None => return (None, false),
            },
        };
        match cells::parse_deadline(&text, self.ctx.as_of.year()) {
            Deadline::None => (None, false),
            Deadline::Date(d) => (Some(d), false),
            Deadline::Continuous => (None, true),
            Deadline::DateWithoutYear(d) => {
                let date = d.format("%Y-%m-%d").to_string();
                let msg = format!("deadline {text:?} has no year; read as {date} (the as-of year)");
                let args = vec![("value", text.clone()), ("date", date)];
                self.push(Severity::Warning, (row, col), msg)
                    .set_code("deadline_no_year", args);
                (Some(d), false)
            }
            Deadline::Unreadable => {
                let msg = format!("deadline {text:?} is not a date; no deadline read");
                let d = self.push(Severity::Warning, (row, col), msg);
                d.hint = Some(
                    "write 2026-12-31, 2026年12月31日, 2026年12月底 or 2026年底; 长期坚持 for none"
                        .into(),
                );
                d.set_code("deadline_unreadable", vec![("value", text.clone())]);
                (None, false)
            }
        }
    }

    fn read_weight(&mut self, row: u32, col: Option<u32>) -> f64 {
        let Some(col) = col else {
            return 1.0;
        };
        let value = self.slot(row, col).value.clone();
        let parsed = match &value {
            Value::Number(n) => Some(*n),
            Value::Text(t) => clean(t).parse::<f64>().ok(),
            _ => None,
        };
        match parsed {
            Some(w) if w.is_finite() && w >= 0.0 => w,
            Some(w) => {
                let msg = format!("weight {} is negative; 1 is used", cells::number_text(w));
                self.push(Severity::Warning, (row, col), msg)
                    .set_code("weight_not_number", vec![("value", cells::number_text(w))]);
                1.0
            }
            // A formula error is reported once, as such.
            None if matches!(value, Value::Error(_)) => {
                let _ = self.text_at(row, col);
                1.0
            }
            None => {
                let shown = self.text_at(row, col);
                let (code, msg, args) = match shown {
                    None => (
                        "weight_blank",
                        "weight is blank; 1 is used".to_string(),
                        vec![],
                    ),
                    Some(t) => (
                        "weight_not_number",
                        format!("weight {t:?} is not a number; 1 is used"),
                        vec![("value", t)],
                    ),
                };
                self.push(Severity::Warning, (row, col), msg)
                    .set_code(code, args);
                1.0
            }
        }
    }

    fn read_veto(&mut self, row: u32, col: Option<u32>) -> bool {
        let Some(col) = col else {
            return false;
        };
        let value = self.slot(row, col).value.clone();
        if let Value::Bool(b) = value {
            return b;
        }
        let text = self.text_at(row, col).unwrap_or_default();
        match cells::parse_yes_no(&text) {
            YesNo::Yes => true,
            YesNo::No => false,
            YesNo::Unclear => {
                let msg = format!("veto {text:?} is neither yes nor no; read as no");
                let d = self.push(Severity::Warning, (row, col), msg);
                d.hint = Some("write 是 or 否 (yes or no)".into());
                d.set_code("veto_unclear", vec![("value", text.clone())]);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_ordinals_are_dropped() {
        assert_eq!(
            strip_ordinal("一、强化安全生产责任落实"),
            "强化安全生产责任落实"
        );
        assert_eq!(strip_ordinal("（二）深化专项整治"), "深化专项整治");
        assert_eq!(strip_ordinal("3. 夯实基层基础"), "夯实基层基础");
        assert_eq!(strip_ordinal("4、提升应急能力"), "提升应急能力");
        assert_eq!(strip_ordinal("提升应急能力"), "提升应急能力");
    }
}
