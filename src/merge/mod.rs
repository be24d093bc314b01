//! The first half of `dossier merge`: from the master's measures and the department
//! sheets that came back, the change set — every update to apply and every refusal —
//! before anything is written.
//!
//! Today the office merges returned sheets by copy and paste, losing updates and
//! overwriting one department's rows with another's. Here each returned row is tied to
//! its master measure (by the hidden key; without it by set and id, then by identical
//! measure text), only the fields a department may update are taken, and anything
//! doubtful is refused with a reason instead of applied: two departments disagreeing, a
//! locked field changed, a measure the department does not lead, a row the master does
//! not have, a status no term matches, a file that is not a split sheet at all.
//!
//! Each field is compared three ways: what the split sent (the base the return carries,
//! or `split.json`), what came back, and what the master says now. A department's
//! change is applied only where the master still holds what was sent; an untouched or
//! stale return asks for nothing, and a field both sides changed is a conflict, refused.
//! A return without a base falls back to comparing with the master as it is now, and
//! the log says so for that file.
//!
//! Returned files are read by the ordinary reader ([`returned`], over [`crate::ingest`])
//! in whatever format they come back in; [`workbook`] writes the merged workbook, [`log`]
//! the merge log, [`run`] ties them together for `dossier merge`.

use crate::ingest::cells::{Deadline, is_continuous_word, parse_deadline};
use crate::model::{EvidenceReady, Measure, Status, StatusClass};
use crate::split::{Key, fingerprint};
use chrono::NaiveDate;
use returned::{BaseFrom, ReturnedFile, Typed, TypedRow};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// The fields a department may update: the unlocked columns of its sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Status,
    Progress,
    Deadline,
    EvidenceReady,
}

impl Field {
    /// Every updatable field, in sheet order.
    pub const ALL: [Field; 4] = [
        Field::Status,
        Field::Progress,
        Field::Deadline,
        Field::EvidenceReady,
    ];

    /// The contract's name of the field, as logs say it.
    pub fn key(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Progress => "progress",
            Field::Deadline => "deadline",
            Field::EvidenceReady => "evidence_ready",
        }
    }
}

/// A field's value as read, compared as the judgement sees it (a status by its text,
/// a deadline by its date, evidence ready by the items it names).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Status(Status),
    Text(Option<String>),
    Deadline {
        date: Option<NaiveDate>,
        continuous: bool,
    },
    Ready(EvidenceReady),
}

impl Value {
    /// The value of `field` in `m`.
    pub fn of(m: &Measure, field: Field) -> Value {
        match field {
            Field::Status => Value::Status(m.status.clone()),
            Field::Progress => Value::Text(m.progress.clone()),
            Field::Deadline => Value::Deadline {
                date: m.deadline,
                continuous: m.continuous,
            },
            Field::EvidenceReady => Value::Ready(m.evidence_ready.clone()),
        }
    }

    /// Whether two values say the same thing: texts after NFKC and trimming (a
    /// full-width bracket is no change), the rest as read.
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Status(a), Value::Status(b)) => nfkc(&a.text) == nfkc(&b.text),
            (Value::Text(a), Value::Text(b)) => {
                nfkc(a.as_deref().unwrap_or("")) == nfkc(b.as_deref().unwrap_or(""))
            }
            _ => self == other,
        }
    }

    /// A blank cell: no answer.
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Status(s) => s.text.trim().is_empty(),
            Value::Text(t) => t.as_deref().is_none_or(|t| t.trim().is_empty()),
            Value::Deadline { date, continuous } => date.is_none() && !continuous,
            Value::Ready(r) => *r == EvidenceReady::Unknown,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Status(s) => f.write_str(&s.text),
            Value::Text(t) => f.write_str(t.as_deref().unwrap_or("")),
            Value::Deadline { date: Some(d), .. } => write!(f, "{d}"),
            Value::Deadline {
                continuous: true, ..
            } => f.write_str("continuous"),
            Value::Deadline { .. } => Ok(()),
            Value::Ready(r) => match r {
                EvidenceReady::Unknown => Ok(()),
                EvidenceReady::All => f.write_str("all"),
                EvidenceReady::Nothing => f.write_str("none"),
                EvidenceReady::Items(items) => f.write_str(&items.join("、")),
            },
        }
    }
}

/// Where a returned row is: which file (its place among the returned files), sheet and
/// 1-based row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub file: usize,
    pub sheet: Option<String>,
    pub row: u32,
}

/// One update to apply to the master.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The measure's place in the master's measures.
    pub measure: usize,
    pub field: Field,
    pub old: Value,
    pub new: Value,
    /// The cell as the department typed it: what the merged workbook gets.
    pub typed: Typed,
    /// Every returned row that asked for it (several departments may agree).
    pub from: Vec<At>,
}

/// Why a keyless row names no measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmatched {
    /// No measure of the master has its set and id, or its text.
    NoMeasure,
    /// Its text is the text of several measures, and nothing else tells which.
    SeveralMeasures,
    /// Its key names a measure the master does not have.
    KeyNotInMaster,
}

/// An update not applied, or a returned row or file not used, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Nothing in the file (or not even half its rows) matches a master measure, or
    /// most of its rows are measures its department does not lead: not a department's
    /// sheet of this master.
    NotASplitSheet { file: usize },
    /// A returned file that cannot be read as a workbook at all; `code` names the
    /// reason for the log's words, `message` is the reader's.
    Unreadable {
        file: usize,
        code: &'static str,
        message: String,
    },
    /// More measure rows than a return of this master may hold: refused whole, unread.
    TooLarge { file: usize, bound: usize },
    /// A row that names no measure of the master, and why.
    UnknownRow {
        at: At,
        set: String,
        id: String,
        text: String,
        why: Unmatched,
    },
    /// A row whose set, id or text is not that of its own key: the rows were sorted
    /// without the key column, or the text was edited. Refused whole.
    KeyMismatch {
        at: At,
        /// The row's own set, id and text.
        row: (String, String, String),
        /// The measure the key names.
        key: (String, String),
    },
    /// The row's key names a master measure whose text has changed since the split:
    /// the department answered for a different measure.
    StaleKey { at: At, measure: usize },
    /// The same measure twice in one file (a copied row): only the first counts.
    DuplicateRow { at: At, measure: usize },
    /// A locked field (措施内容, 责任单位, 分值, …) differs from what was sent: reported,
    /// never written.
    LockedField {
        at: At,
        measure: usize,
        field: &'static str,
        old: String,
        new: String,
    },
    /// A row of a measure the file's department does not lead: ignored.
    NotLead {
        at: At,
        measure: usize,
        department: String,
    },
    /// A status no term matches: not applied, the master's kept.
    UnknownStatus {
        at: At,
        measure: usize,
        text: String,
    },
    /// A cell emptied: blank is no answer, the master's value is kept.
    Blank {
        at: At,
        measure: usize,
        field: Field,
    },
    /// A deadline that is neither a date the contract reads nor a word of no end
    /// (长期坚持…): 待定, 下周, 2027-13-45. The master keeps its deadline.
    BadDeadline {
        at: At,
        measure: usize,
        text: String,
    },
    /// The master no longer holds what was sent (the office changed it, or an earlier
    /// return did), and the return changed it too, to something else.
    ChangedSince {
        at: At,
        measure: usize,
        field: Field,
        sent: Value,
        now: Value,
        returned: Value,
    },
    /// Returns changed the same field differently: none of them applied.
    Conflict {
        measure: usize,
        field: Field,
        values: Vec<(At, Value)>,
    },
    /// A change whose master cell cannot be written without touching something else.
    NotWritable {
        measure: usize,
        field: Field,
        /// The cell as the master names it (`G14`).
        cell: String,
        reason: workbook::Blocked,
    },
}

impl Refusal {
    /// The returned file the refusal is about, if one.
    pub fn file(&self) -> Option<usize> {
        match self {
            Refusal::NotASplitSheet { file }
            | Refusal::Unreadable { file, .. }
            | Refusal::TooLarge { file, .. } => Some(*file),
            Refusal::UnknownRow { at, .. }
            | Refusal::KeyMismatch { at, .. }
            | Refusal::StaleKey { at, .. }
            | Refusal::DuplicateRow { at, .. }
            | Refusal::LockedField { at, .. }
            | Refusal::NotLead { at, .. }
            | Refusal::UnknownStatus { at, .. }
            | Refusal::Blank { at, .. }
            | Refusal::BadDeadline { at, .. }
            | Refusal::ChangedSince { at, .. } => Some(at.file),
            Refusal::Conflict { .. } | Refusal::NotWritable { .. } => None,
        }
    }
}

/// A returned file as the merge gets it: read, or refused before reading its rows.
pub enum Returned {
    Read(ReturnedFile),
    NotRead { name: String, refusal: Refusal },
}

impl Returned {
    /// The file as the log names it.
    pub fn name(&self) -> &str {
        match self {
            Returned::Read(f) => &f.name,
            Returned::NotRead { name, .. } => name,
        }
    }
}

/// What came of one returned file.
#[derive(Debug, Clone, Default)]
pub struct FileOutcome {
    pub name: String,
    /// The department it speaks for (`None`: refused whole).
    pub department: Option<String>,
    /// Whether it was compared with what was sent, or only with the master now.
    pub base: Option<BaseFrom>,
    /// Fields the return asked for that the master already holds.
    pub already: Vec<(At, usize, Field)>,
    /// Rows sent that the return no longer has (by the master measure, where it has it).
    pub deleted: Vec<(Key, Option<usize>)>,
    /// Sheets with measure rows that are not the department's (a reference sheet copied
    /// from the master, say): not read.
    pub ignored_sheets: Vec<String>,
}

/// The change set: what a merge would apply, and what it refused.
#[derive(Debug, Default)]
pub struct Plan {
    /// In master order, then field order.
    pub changes: Vec<Change>,
    /// Per file in the order given, then the conflicts.
    pub refusals: Vec<Refusal>,
    /// Each returned file, in the order given.
    pub files: Vec<FileOutcome>,
}

fn nfkc(text: &str) -> String {
    text.nfkc().collect::<String>().trim().to_string()
}

/// The master's measures indexed the ways a returned row may name one.
struct Index<'m> {
    master: &'m [Measure],
    by_id: HashMap<(String, String), usize>,
    by_text_in_set: HashMap<(String, String), Option<usize>>,
    by_text: HashMap<String, Option<usize>>,
}

/// What a returned row names.
enum Found {
    Measure(usize),
    /// The row's key names `key_measure` (if the master has it) but the row is another.
    Mismatch {
        key: Key,
        key_measure: Option<usize>,
    },
    Stale(usize),
    None(Unmatched),
}

impl Found {
    /// The master measure the row belongs to by its key or its cells, whether or not it
    /// can be taken: what tells a sheet of this master from another workbook.
    fn of_master(&self) -> Option<usize> {
        match self {
            Found::Measure(i) | Found::Stale(i) => Some(*i),
            Found::Mismatch { key_measure, .. } => *key_measure,
            Found::None(_) => None,
        }
    }
}

impl<'m> Index<'m> {
    fn new(master: &'m [Measure]) -> Index<'m> {
        let mut index = Index {
            master,
            by_id: HashMap::new(),
            by_text_in_set: HashMap::new(),
            by_text: HashMap::new(),
        };
        for (i, m) in master.iter().enumerate() {
            index.by_id.entry((nfkc(&m.set), nfkc(&m.id))).or_insert(i);
            let text = nfkc(&m.text);
            // A text found twice names no measure by itself.
            index
                .by_text_in_set
                .entry((nfkc(&m.set), text.clone()))
                .and_modify(|v| *v = None)
                .or_insert(Some(i));
            index
                .by_text
                .entry(text)
                .and_modify(|v| *v = None)
                .or_insert(Some(i));
        }
        index
    }

    /// The master measure a returned row is, or why it is none.
    fn find(&self, row: &Measure, typed: &TypedRow) -> Found {
        let c = &row.source.columns;
        if let Some(key) = ReturnedFile::key_of(row) {
            let key_measure = self.by_id.get(&(nfkc(&key.set), nfkc(&key.id))).copied();
            // The row's own cells must be the measure its key names: rows sorted
            // without the key column keep their cells and take another row's key.
            let set_differs = c.set.is_some() && nfkc(&row.set) != nfkc(&key.set);
            let id_differs = typed.id_typed && nfkc(&row.id) != nfkc(&key.id);
            let text_differs =
                !row.text.trim().is_empty() && fingerprint(&row.text) != key.fingerprint;
            if set_differs || id_differs || text_differs {
                return Found::Mismatch { key, key_measure };
            }
            return match key_measure {
                Some(i) if Key::of(&self.master[i]).fingerprint == key.fingerprint => {
                    Found::Measure(i)
                }
                Some(i) => Found::Stale(i),
                None => Found::None(Unmatched::KeyNotInMaster),
            };
        }
        // Without a key, set and id name the measure only when its text agrees: a row
        // from another unit's list (or another year's) shares ids, not texts. An id the
        // reader numbered itself (no id column) names nothing.
        let text = nfkc(&row.text);
        if typed.id_typed
            && let Some(&i) = self.by_id.get(&(nfkc(&row.set), nfkc(&row.id)))
            && nfkc(&self.master[i].text) == text
        {
            return Found::Measure(i);
        }
        match self.by_text_in_set.get(&(nfkc(&row.set), text.clone())) {
            Some(&Some(i)) => return Found::Measure(i),
            Some(None) => return Found::None(Unmatched::SeveralMeasures),
            None => {}
        }
        match self.by_text.get(&text) {
            Some(&Some(i)) => Found::Measure(i),
            Some(None) => Found::None(Unmatched::SeveralMeasures),
            None => Found::None(Unmatched::NoMeasure),
        }
    }
}

/// The department a returned file speaks for: a lead named in its sheet titles (a split
/// sheet's title names it), else in its file name, else the lead of most of its rows
/// (ties to the first by name).
fn department_of(file: &ReturnedFile, master: &[Measure], rows: &[usize]) -> Option<String> {
    let mut leads: Vec<&str> = rows
        .iter()
        .flat_map(|&i| master[i].owners.iter().map(String::as_str))
        .collect();
    leads.sort_unstable();
    leads.dedup();
    // Longest first: 应急管理分局 before 应急管理 when both are leads.
    let mut by_length = leads.clone();
    by_length.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    for sheet in &file.book.sheets {
        if let Some(title) = &sheet.title
            && let Some(n) = by_length.iter().find(|n| title.contains(**n))
        {
            return Some(n.to_string());
        }
    }
    let file_name = std::path::Path::new(&file.name)
        .file_name()
        .map_or(file.name.clone(), |n| n.to_string_lossy().into_owned());
    if let Some(n) = by_length.iter().find(|n| file_name.contains(**n)) {
        return Some(n.to_string());
    }
    let count = |n: &str| {
        rows.iter()
            .filter(|&&i| master[i].owners.iter().any(|o| o == n))
            .count()
    };
    leads
        .iter()
        .max_by(|a, b| count(a).cmp(&count(b)).then(b.cmp(a)))
        .map(|n| n.to_string())
}

/// The text a locked field shows, for comparing and for the log.
fn locked_fields(m: &Measure) -> [(&'static str, String); 6] {
    let list = |items: &[String]| items.iter().map(|i| nfkc(i)).collect::<Vec<_>>().join("、");
    [
        ("owner", list(&m.owners)),
        ("supporting", list(&m.supporting)),
        ("category", nfkc(m.category.as_deref().unwrap_or(""))),
        ("veto", if m.veto { "是".into() } else { "否".into() }),
        ("weight", crate::ingest::cells::number_text(m.weight)),
        ("evidence", list(&m.evidence)),
    ]
}

/// Whether the returned sheet has the column of a locked field (a sheet without it
/// reads as empty there: not a change).
fn has_column(row: &Measure, field: &str) -> bool {
    let c = &row.source.columns;
    match field {
        "owner" => c.owner.is_some(),
        "supporting" => c.supporting.is_some(),
        "category" => c.category.is_some(),
        "veto" => c.veto.is_some(),
        "weight" => c.weight.is_some(),
        "evidence" => c.evidence.is_some(),
        _ => false,
    }
}

impl Field {
    fn typed(self, row: &TypedRow) -> &Typed {
        match self {
            Field::Status => &row.status,
            Field::Progress => &row.progress,
            Field::Deadline => &row.deadline,
            Field::EvidenceReady => &row.evidence_ready,
        }
    }
}

/// Whether a deadline cell as typed is one a merge may write: a date cell, a date the
/// contract reads, or a word of no end. Anything else (待定, 下周, 2027-13-45, a bare
/// number) would overwrite a real deadline with a guess.
fn writable_deadline(typed: &Typed, as_of_year: i32) -> bool {
    match typed {
        Typed::Blank | Typed::Date(_) => true,
        Typed::Number(_) => false,
        Typed::Text(t) => match parse_deadline(t, as_of_year) {
            Deadline::None | Deadline::Date(_) | Deadline::DateWithoutYear(_) => true,
            Deadline::Continuous => is_continuous_word(t),
            Deadline::Unreadable => false,
        },
    }
}

/// One return's answer for a field: where, what it means, what was typed.
type Asked = (At, Value, Typed);

/// Works out what merging `returned` into `master` would do. `as_of_year` is the year
/// deadlines without one are read in.
pub fn plan(master: &[Measure], returned: &[Returned], as_of_year: i32) -> Plan {
    let index = Index::new(master);
    let mut plan = Plan::default();
    // (measure, field) → the values asked for, in file order.
    let mut asked: BTreeMap<(usize, Field), Vec<Asked>> = BTreeMap::new();
    for (fi, ret) in returned.iter().enumerate() {
        let mut outcome = FileOutcome {
            name: ret.name().to_string(),
            ..FileOutcome::default()
        };
        let file = match ret {
            Returned::Read(f) => f,
            Returned::NotRead { refusal, .. } => {
                plan.refusals.push(refusal.clone());
                plan.files.push(outcome);
                continue;
            }
        };
        let found: Vec<Found> = file
            .book
            .measures
            .iter()
            .zip(&file.typed)
            .map(|(r, t)| index.find(r, t))
            .collect();
        let of_master: Vec<usize> = found.iter().filter_map(Found::of_master).collect();
        let department = department_of(file, master, &of_master);
        // The department's own sheet: most of its rows are measures of this master that
        // the department leads. Another sheet (a reference copy of the master, a list of
        // another unit) is not read, and a file without such a sheet is refused whole.
        let mut by_sheet: BTreeMap<Option<&str>, (usize, usize, usize)> = BTreeMap::new();
        for (row, f) in file.book.measures.iter().zip(&found) {
            let e = by_sheet.entry(row.source.sheet.as_deref()).or_default();
            e.0 += 1;
            if let Some(i) = f.of_master() {
                e.1 += 1;
                if department
                    .as_deref()
                    .is_some_and(|d| master[i].owners.iter().any(|o| o == d))
                {
                    e.2 += 1;
                }
            }
        }
        let accepted: BTreeSet<Option<&str>> = by_sheet
            .iter()
            .filter(|(_, (rows, matched, led))| {
                *matched > 0 && matched * 2 >= *rows && led * 2 >= *matched
            })
            .map(|(sheet, _)| *sheet)
            .collect();
        if accepted.is_empty() {
            plan.refusals.push(Refusal::NotASplitSheet { file: fi });
            plan.files.push(outcome);
            continue;
        }
        outcome.ignored_sheets = by_sheet
            .keys()
            .filter(|s| !accepted.contains(*s))
            .map(|s| s.unwrap_or("").to_string())
            .collect();
        outcome.department = department.clone();
        outcome.base = Some(file.base_from);
        let mut seen = vec![false; master.len()];
        let mut keys_back: HashMap<Key, ()> = HashMap::new();
        for ((row, f), typed) in file.book.measures.iter().zip(found).zip(&file.typed) {
            if !accepted.contains(&row.source.sheet.as_deref()) {
                continue;
            }
            let at = At {
                file: fi,
                sheet: row.source.sheet.clone(),
                row: row.source.row,
            };
            let row_key = ReturnedFile::key_of(row);
            if let Some(k) = &row_key {
                keys_back.insert(k.clone(), ());
            }
            let i = match f {
                Found::Measure(i) => i,
                Found::Mismatch { key, .. } => {
                    plan.refusals.push(Refusal::KeyMismatch {
                        at,
                        row: (row.set.clone(), row.id.clone(), row.text.clone()),
                        key: (key.set, key.id),
                    });
                    continue;
                }
                Found::Stale(i) => {
                    plan.refusals.push(Refusal::StaleKey { at, measure: i });
                    continue;
                }
                Found::None(why) => {
                    let (set, id) = match &row_key {
                        Some(k) => (k.set.clone(), k.id.clone()),
                        None if typed.id_typed => (row.set.clone(), row.id.clone()),
                        None => (row.set.clone(), String::new()),
                    };
                    plan.refusals.push(Refusal::UnknownRow {
                        at,
                        set,
                        id,
                        text: row.text.clone(),
                        why,
                    });
                    continue;
                }
            };
            let m = &master[i];
            keys_back.insert(Key::of(m), ());
            if std::mem::replace(&mut seen[i], true) {
                plan.refusals.push(Refusal::DuplicateRow { at, measure: i });
                continue;
            }
            if let Some(d) = &department
                && !m.owners.iter().any(|o| o == d)
            {
                plan.refusals.push(Refusal::NotLead {
                    at,
                    measure: i,
                    department: d.clone(),
                });
                continue;
            }
            let base = file.base.get(row_key.as_ref().unwrap_or(&Key::of(m)));
            // Locked fields: reported when the return differs from what was sent (or,
            // without a base, from the master), never written.
            let reference = base.unwrap_or(m);
            for ((field, was), (_, is)) in
                locked_fields(reference).into_iter().zip(locked_fields(row))
            {
                if was != is && has_column(row, field) {
                    plan.refusals.push(Refusal::LockedField {
                        at: at.clone(),
                        measure: i,
                        field,
                        old: was,
                        new: is,
                    });
                }
            }
            for field in Field::ALL {
                let new = Value::of(row, field);
                let now = Value::of(m, field);
                let sent = base.map(|b| Value::of(b, field));
                let typed_cell = field.typed(typed);
                // What split sent is always a writable deadline, so a deadline cell that
                // is not one was typed by the department, even where it reads like the
                // sent one (尽快完成 over 长期坚持: both "no date").
                let bad_deadline =
                    field == Field::Deadline && !writable_deadline(typed_cell, as_of_year);
                let untouched = match &sent {
                    Some(sent) => new.same(sent) && !bad_deadline,
                    None => new.same(&now),
                };
                if untouched {
                    continue;
                }
                if bad_deadline {
                    plan.refusals.push(Refusal::BadDeadline {
                        at: at.clone(),
                        measure: i,
                        text: typed_cell.text(),
                    });
                    continue;
                }
                if new.is_blank() {
                    plan.refusals.push(Refusal::Blank {
                        at: at.clone(),
                        measure: i,
                        field,
                    });
                    continue;
                }
                if field == Field::Status && row.status.class == StatusClass::Unknown {
                    plan.refusals.push(Refusal::UnknownStatus {
                        at: at.clone(),
                        measure: i,
                        text: typed_cell.text(),
                    });
                    continue;
                }
                if new.same(&now) {
                    outcome.already.push((at.clone(), i, field));
                    continue;
                }
                if let Some(sent) = sent
                    && !now.same(&sent)
                {
                    plan.refusals.push(Refusal::ChangedSince {
                        at: at.clone(),
                        measure: i,
                        field,
                        sent,
                        now,
                        returned: new,
                    });
                    continue;
                }
                asked
                    .entry((i, field))
                    .or_default()
                    .push((at.clone(), new, typed_cell.clone()));
            }
        }
        if file.base_from == BaseFrom::Sheet {
            let by_key: HashMap<Key, usize> = master
                .iter()
                .enumerate()
                .map(|(i, m)| (Key::of(m), i))
                .collect();
            outcome.deleted = file
                .sent
                .iter()
                .filter(|k| !keys_back.contains_key(*k))
                .map(|k| (k.clone(), by_key.get(k).copied()))
                .collect();
        }
        plan.files.push(outcome);
    }
    for ((measure, field), values) in asked {
        let first = &values[0].1;
        if values.iter().all(|(_, v, _)| v.same(first)) {
            plan.changes.push(Change {
                measure,
                field,
                old: Value::of(&master[measure], field),
                new: first.clone(),
                typed: values[0].2.clone(),
                from: values.iter().map(|(at, _, _)| at.clone()).collect(),
            });
        } else {
            plan.refusals.push(Refusal::Conflict {
                measure,
                field,
                values: values.into_iter().map(|(at, v, _)| (at, v)).collect(),
            });
        }
    }
    plan
}

/// The master's measures with the plan's changes applied: what `check` on the merged
/// workbook must give.
pub fn apply(master: &[Measure], plan: &Plan) -> Vec<Measure> {
    let mut out = master.to_vec();
    for c in &plan.changes {
        let m = &mut out[c.measure];
        match &c.new {
            Value::Status(s) => m.status = s.clone(),
            Value::Text(t) => m.progress = t.clone(),
            Value::Deadline { date, continuous } => {
                m.deadline = *date;
                m.continuous = *continuous;
            }
            Value::Ready(r) => m.evidence_ready = r.clone(),
        }
    }
    out
}

pub mod convert;
pub mod log;
pub mod returned;
pub mod run;
pub mod workbook;
pub mod xlsx;

#[cfg(test)]
mod tests;
