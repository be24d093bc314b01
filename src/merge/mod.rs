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
//! Returned files are read by the ordinary reader ([`crate::ingest`]) in whatever format
//! they come back in; [`workbook`] writes the merged workbook, [`log`] the merge log,
//! [`run`] ties them together for `dossier merge`.

use crate::model::{EvidenceReady, Measure, Status, StatusClass, Workbook};
use crate::split::{KEY_HEADER, Key};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};
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

    /// Whether two values say the same thing: statuses by their text, the rest as read.
    fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Status(a), Value::Status(b)) => a.text.trim() == b.text.trim(),
            _ => self == other,
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

/// A returned file, read.
pub struct ReturnedFile {
    /// The file as messages name it.
    pub name: String,
    pub book: Workbook,
}

/// Where a returned row is: file and 1-based row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub file: String,
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
    /// Every returned row that asked for it (several departments may agree).
    pub from: Vec<At>,
}

/// An update not applied, or a returned row or file not used, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Nothing in the file (or not even half its rows) matches a master measure, or
    /// most of its rows are measures its department does not lead: not a department's
    /// sheet of this master.
    NotASplitSheet { file: String },
    /// A row whose key (or set, id and text) names no measure of the master.
    UnknownRow { at: At, set: String, id: String },
    /// The row's key names a master measure whose text has changed since the split:
    /// the department answered for a different measure.
    StaleKey { at: At, measure: usize },
    /// The same measure twice in one file (a copied row): only the first counts.
    DuplicateRow { at: At, measure: usize },
    /// A locked field (the measure text, its leads) differs from the master: ignored.
    LockedField {
        at: At,
        measure: usize,
        field: &'static str,
    },
    /// A row of a measure the file's department does not lead: ignored.
    NotLead {
        at: At,
        measure: usize,
        department: String,
    },
    /// A status no term matches (or a blank one): not applied, the master's kept.
    UnknownStatus {
        at: At,
        measure: usize,
        text: String,
    },
    /// Departments changed the same field differently: none of them applied.
    Conflict {
        measure: usize,
        field: Field,
        values: Vec<(At, Value)>,
    },
    /// A returned file that cannot be read as a workbook at all.
    Unreadable { file: String, message: String },
    /// A change whose master cell cannot be written without touching something else.
    NotWritable {
        measure: usize,
        field: Field,
        /// The cell as the master names it (`G14`).
        cell: String,
        reason: workbook::Blocked,
    },
}

/// The change set: what a merge would apply, and what it refused.
#[derive(Debug, Default)]
pub struct Plan {
    /// In master order, then field order.
    pub changes: Vec<Change>,
    /// Per file in the order given, then the conflicts.
    pub refusals: Vec<Refusal>,
    /// Each file's department, as worked out (`None` for a file refused whole).
    pub departments: Vec<(String, Option<String>)>,
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
    fn find(&self, row: &Measure) -> Result<usize, Option<usize>> {
        let key = row
            .extras
            .iter()
            .find(|(h, _)| h == KEY_HEADER)
            .and_then(|(_, v)| Key::parse(v));
        if let Some(key) = key {
            return match self.by_id.get(&(nfkc(&key.set), nfkc(&key.id))) {
                Some(&i) if Key::of(&self.master[i]).fingerprint == key.fingerprint => Ok(i),
                Some(&i) => Err(Some(i)),
                None => Err(None),
            };
        }
        // Without a key, set and id name the measure only when its text agrees: a row
        // from another unit's list (or another year's) shares ids, not texts.
        let text = nfkc(&row.text);
        if let Some(&i) = self.by_id.get(&(nfkc(&row.set), nfkc(&row.id)))
            && nfkc(&self.master[i].text) == text
        {
            return Ok(i);
        }
        if let Some(&Some(i)) = self.by_text_in_set.get(&(nfkc(&row.set), text.clone())) {
            return Ok(i);
        }
        match self.by_text.get(&text) {
            Some(&Some(i)) => Ok(i),
            _ => Err(None),
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
    if let Some(n) = by_length.iter().find(|n| file.name.contains(**n)) {
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

/// Works out what merging `returned` into `master` would do.
pub fn plan(master: &[Measure], returned: &[ReturnedFile]) -> Plan {
    let index = Index::new(master);
    let mut plan = Plan::default();
    // (measure, field) → the values asked for, in file order.
    let mut asked: BTreeMap<(usize, Field), Vec<(At, Value)>> = BTreeMap::new();
    for file in returned {
        let found: Vec<(&Measure, Result<usize, Option<usize>>)> = file
            .book
            .measures
            .iter()
            .map(|r| (r, index.find(r)))
            .collect();
        let matched: Vec<usize> = found.iter().filter_map(|(_, f)| f.ok()).collect();
        // A sheet of this master matches it row for row; a file most of whose rows name
        // no measure here is some other workbook, and none of it is taken.
        if matched.is_empty() || matched.len() * 2 < found.len() {
            plan.refusals.push(Refusal::NotASplitSheet {
                file: file.name.clone(),
            });
            plan.departments.push((file.name.clone(), None));
            continue;
        }
        let department = department_of(file, master, &matched);
        // A department's sheet holds the measures it leads; a file most of whose rows
        // the department does not lead is some other list (another unit's workbook with
        // the same city measures, say), and none of it is taken.
        let led = |d: &str| {
            matched
                .iter()
                .filter(|&&i| master[i].owners.iter().any(|o| o == d))
                .count()
        };
        if department
            .as_deref()
            .is_none_or(|d| led(d) * 2 < matched.len())
        {
            plan.refusals.push(Refusal::NotASplitSheet {
                file: file.name.clone(),
            });
            plan.departments.push((file.name.clone(), None));
            continue;
        }
        plan.departments
            .push((file.name.clone(), department.clone()));
        let mut seen = vec![false; master.len()];
        for (row, result) in found {
            let at = At {
                file: file.name.clone(),
                row: row.source.row,
            };
            let i = match result {
                Ok(i) => i,
                Err(Some(i)) => {
                    plan.refusals.push(Refusal::StaleKey { at, measure: i });
                    continue;
                }
                Err(None) => {
                    plan.refusals.push(Refusal::UnknownRow {
                        at,
                        set: row.set.clone(),
                        id: row.id.clone(),
                    });
                    continue;
                }
            };
            let m = &master[i];
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
            if nfkc(&row.text) != nfkc(&m.text) {
                plan.refusals.push(Refusal::LockedField {
                    at: at.clone(),
                    measure: i,
                    field: "measure",
                });
            }
            // A sheet without the owner column reads as no owners: not a change.
            if !row.owners.is_empty() && row.owners != m.owners {
                plan.refusals.push(Refusal::LockedField {
                    at: at.clone(),
                    measure: i,
                    field: "owner",
                });
            }
            for field in Field::ALL {
                let new = Value::of(row, field);
                if new.same(&Value::of(m, field)) {
                    continue;
                }
                if field == Field::Status && row.status.class == StatusClass::Unknown {
                    plan.refusals.push(Refusal::UnknownStatus {
                        at: at.clone(),
                        measure: i,
                        text: row.status.text.clone(),
                    });
                    continue;
                }
                asked.entry((i, field)).or_default().push((at.clone(), new));
            }
        }
    }
    for ((measure, field), values) in asked {
        let first = &values[0].1;
        if values.iter().all(|(_, v)| v.same(first)) {
            plan.changes.push(Change {
                measure,
                field,
                old: Value::of(&master[measure], field),
                new: first.clone(),
                from: values.iter().map(|(at, _)| at.clone()).collect(),
            });
        } else {
            plan.refusals.push(Refusal::Conflict {
                measure,
                field,
                values,
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
pub mod run;
pub mod workbook;
pub mod xlsx;

#[cfg(test)]
mod tests;
