//! The typed domain: measures as read from a workbook, and the diagnostics that say what
//! in the workbook is wrong. No I/O lives here, so every later stage can be tested on
//! values built in memory.

mod diagnostic;
pub mod names;
pub mod say;

pub use diagnostic::{
    Diagnostic, DiagnosticJson, Location, Severity, cell_name, is_bidi_control,
    sort as sort_diagnostics, visible,
};

use chrono::NaiveDate;
use serde::Serialize;

/// How far a measure has got, after its free-text status cell has been classified.
/// Everything downstream (credit, gaps, documents) keys off this class, never the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusClass {
    Done,
    Ongoing,
    Partial,
    NotStarted,
    NotApplicable,
    Unknown,
}

impl StatusClass {
    /// Every class, in the order reports list them.
    pub const ALL: [StatusClass; 6] = [
        StatusClass::Done,
        StatusClass::Ongoing,
        StatusClass::Partial,
        StatusClass::NotStarted,
        StatusClass::NotApplicable,
        StatusClass::Unknown,
    ];

    /// The class's place in [`StatusClass::ALL`], for counting.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case key used in `report.json` and the project config.
    pub fn key(self) -> &'static str {
        match self {
            StatusClass::Done => "done",
            StatusClass::Ongoing => "ongoing",
            StatusClass::Partial => "partial",
            StatusClass::NotStarted => "not_started",
            StatusClass::NotApplicable => "not_applicable",
            StatusClass::Unknown => "unknown",
        }
    }

    /// Parses a config key back into a class.
    pub fn from_key(key: &str) -> Option<StatusClass> {
        StatusClass::ALL.into_iter().find(|c| c.key() == key)
    }

    /// A measure is open (still owes work) when it is partial, not started or unknown.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            StatusClass::Partial | StatusClass::NotStarted | StatusClass::Unknown
        )
    }
}

/// A classified status: the class, the credit it earns and the text the office wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub class: StatusClass,
    /// Credit in 0..=1; `None` for `not_applicable`, which leaves the denominator.
    pub credit: Option<f64>,
    /// The cell's text as written, trimmed.
    pub text: String,
}

/// What the `evidence_ready` cell says is in hand.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidenceReady {
    /// No column, or a blank cell: nobody has said, so nothing is judged missing.
    Unknown,
    /// 齐全 / yes: every required item is in hand.
    All,
    /// 无 / no: nothing is in hand.
    Nothing,
    /// A list of items in hand, matched against the required list.
    Items(Vec<String>),
}

/// Where a measure came from, so every document can point back at the row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub file: String,
    /// `None` for CSV, which has no sheets.
    pub sheet: Option<String>,
    /// 1-based row number as the spreadsheet shows it.
    pub row: u32,
    /// Where the row's key cells are, so a CI gate or annotation can point at the very
    /// cell a gap is about (the deadline of an overdue measure, say). Kept out of
    /// `report.json`, whose `source` stays `{file, sheet, row}`.
    #[serde(skip)]
    pub columns: Columns,
}

/// 0-based columns (in the sheet's real coordinates, as diagnostics count them) of a
/// measure row's key cells; `None` where the sheet has no such column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Columns {
    /// The status cell (落实情况).
    pub status: Option<u32>,
    /// The deadline cell (完成时限).
    pub deadline: Option<u32>,
    /// The required-evidence cell (佐证材料).
    pub evidence: Option<u32>,
    /// The evidence-in-hand cell, when the sheet has one.
    pub evidence_ready: Option<u32>,
    /// The lead department's cell (牵头单位).
    pub owner: Option<u32>,
    /// The progress note's cell (进展说明), where a merge writes a department's note.
    pub progress: Option<u32>,
    /// The veto cell (一票否决).
    pub veto: Option<u32>,
    /// The id cell (序号); without one the reader numbers rows itself, and such an id
    /// names no measure of another workbook.
    pub id: Option<u32>,
    /// The set cell (措施来源), when the sheet has one.
    pub set: Option<u32>,
    /// The category cell (类别).
    pub category: Option<u32>,
    /// The supporting units' cell (配合单位).
    pub supporting: Option<u32>,
    /// The weight cell (分值).
    pub weight: Option<u32>,
}

/// One hard measure (硬措施) as the office tracks it: one row of a measure sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// The measure set (国务院15条, 省65条, …): the `set` column, else the sheet or file name.
    pub set: String,
    pub id: String,
    pub category: Option<String>,
    pub text: String,
    pub owners: Vec<String>,
    pub supporting: Vec<String>,
    pub contact: Option<String>,
    pub status: Status,
    pub progress: Option<String>,
    pub deadline: Option<NaiveDate>,
    /// The deadline cell said "long-term" (长期坚持, 常态化…): no date applies.
    pub continuous: bool,
    /// Required evidence documents (佐证材料).
    pub evidence: Vec<String>,
    pub evidence_ready: EvidenceReady,
    pub check: Option<String>,
    pub site: Option<String>,
    pub box_no: Option<String>,
    pub weight: f64,
    pub veto: bool,
    pub notes: Option<String>,
    /// Columns the tool does not know, as (header text, value), in column order.
    pub extras: Vec<(String, String)>,
    pub source: Source,
}

/// A sheet (or CSV file) that held measures, with the title row above its table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SheetInfo {
    pub file: String,
    pub sheet: Option<String>,
    /// The first non-empty row above the header, e.g. "清溪镇落实市安委会78条硬措施工作台账".
    pub title: Option<String>,
    pub measures: usize,
    /// The 1-based row of the table's header, where a merge adds a column the sheet
    /// lacks. Kept out of `report.json`.
    #[serde(skip)]
    pub header_row: u32,
}

/// Everything read from the inputs: the measures, the sheets they came from, and what
/// was wrong along the way.
#[derive(Debug, Clone, Default)]
pub struct Workbook {
    pub measures: Vec<Measure>,
    pub sheets: Vec<SheetInfo>,
    pub diagnostics: Vec<Diagnostic>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_index_is_its_place_in_all() {
        for (i, c) in StatusClass::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(StatusClass::from_key(c.key()), Some(*c));
        }
    }
}
