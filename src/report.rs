//! `report.json`: the machine-readable contract for CI and dashboards
//! (`schema: dossier.report/1`). Field names and meanings follow the spec; more keys are
//! added, never renamed. Serialisation is deterministic: fixed field order, inputs order.

use crate::analysis::{Analysis, Gap, Group, Judged, Tally};
use crate::evidence::Judgement;
use crate::evidence::inspect::{DateSource, Kind, Problem};
use crate::model::{
    DiagnosticJson, EvidenceReady, Measure, SheetInfo, Source, StatusClass, Workbook,
};
use serde::Serialize;

/// The schema name written into every report.
pub const SCHEMA: &str = "dossier.report/1";

/// Counts per status class, with the contract's keys.
#[derive(Debug, Serialize)]
pub struct ByStatus {
    pub done: usize,
    pub ongoing: usize,
    pub partial: usize,
    pub not_started: usize,
    pub not_applicable: usize,
    pub unknown: usize,
}

impl From<&Tally> for ByStatus {
    fn from(t: &Tally) -> Self {
        ByStatus {
            done: t.status_count(StatusClass::Done),
            ongoing: t.status_count(StatusClass::Ongoing),
            partial: t.status_count(StatusClass::Partial),
            not_started: t.status_count(StatusClass::NotStarted),
            not_applicable: t.status_count(StatusClass::NotApplicable),
            unknown: t.status_count(StatusClass::Unknown),
        }
    }
}

/// Measures counted by their worst gap.
#[derive(Debug, Serialize)]
pub struct GapCounts {
    pub critical: usize,
    pub major: usize,
    pub minor: usize,
}

/// The overall figures.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub measures: usize,
    pub applicable: usize,
    pub by_status: ByStatus,
    pub score: Option<f64>,
    pub grade: Option<&'static str>,
    /// Why the grade is 较差 regardless of the score, when an open veto item forced it.
    pub grade_reason: Option<String>,
    pub open: usize,
    pub gaps: GapCounts,
    pub overdue: usize,
    pub due_soon: usize,
    pub veto_open: usize,
    pub evidence_missing: usize,
    /// Files assigned to measures (only with an evidence folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_files: Option<usize>,
    /// Assigned files with at least one problem (only with an evidence folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_problems: Option<usize>,
}

/// The evidence folder's figures (`evidence` in the report; null without a folder).
#[derive(Debug, Serialize)]
pub struct EvidenceJson {
    pub root: String,
    pub period: PeriodJson,
    pub files: usize,
    pub bytes: u64,
    pub matched: usize,
    pub orphans: Vec<String>,
}

/// The assessment period files are judged against.
#[derive(Debug, Serialize)]
pub struct PeriodJson {
    pub from: String,
    pub to: String,
}

/// One file that backs a measure.
#[derive(Debug, Serialize)]
pub struct EvidenceFileJson {
    pub path: String,
    /// Null for other material (其他材料).
    pub item: Option<String>,
    pub kind: Kind,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub pages: Option<u32>,
    pub date: Option<String>,
    pub date_source: Option<DateSource>,
    pub problems: Vec<Problem>,
}

/// One measure set's figures.
#[derive(Debug, Serialize)]
pub struct SetJson {
    pub name: String,
    pub measures: usize,
    pub applicable: usize,
    pub score: Option<f64>,
    pub open: usize,
    pub overdue: usize,
    pub by_status: ByStatus,
}

/// One owner's (or category's) figures.
#[derive(Debug, Serialize)]
pub struct OwnerJson {
    pub name: String,
    pub measures: usize,
    pub open: usize,
    pub overdue: usize,
    pub score: Option<f64>,
}

/// An unknown column's value, under its own header text.
#[derive(Debug, Serialize)]
pub struct Extra<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// A measure's unknown columns, as `[{name, value}]`.
#[derive(Debug, Clone, Copy)]
pub struct Extras<'a>(pub &'a [(String, String)]);

impl<'a> Extras<'a> {
    /// Each unknown column, in column order.
    pub fn iter(&self) -> impl Iterator<Item = Extra<'a>> + 'a {
        self.0.iter().map(|(name, value)| Extra { name, value })
    }
}

impl Serialize for Extras<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// One measure with its judgement. What the workbook said is borrowed from the
/// workbook's measure, not copied.
#[derive(Debug, Serialize)]
pub struct MeasureJson<'a> {
    pub set: &'a str,
    pub id: &'a str,
    pub category: Option<&'a str>,
    pub measure: &'a str,
    pub owners: &'a [String],
    pub supporting: &'a [String],
    pub contact: Option<&'a str>,
    pub status: StatusClass,
    pub status_text: &'a str,
    pub credit: Option<f64>,
    pub weight: f64,
    pub veto: bool,
    pub deadline: Option<String>,
    /// True when the deadline cell says the measure is long-term (长期坚持).
    pub continuous: bool,
    /// Days from the as-of date to the deadline; negative when overdue.
    pub days_left: Option<i64>,
    pub progress: Option<&'a str>,
    pub evidence: &'a [String],
    /// `complete`, `missing`, `unknown` or `none_required`.
    pub evidence_state: &'static str,
    pub evidence_missing: Vec<String>,
    /// Required items the evidence folder backs (only with an evidence folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_found: Option<Vec<String>>,
    /// Items the workbook says are in hand that no good file backs (only with an
    /// evidence folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_claimed_missing: Option<Vec<String>>,
    /// The folder's files for this measure (only with an evidence folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_files: Option<Vec<EvidenceFileJson>>,
    pub check: Option<&'a str>,
    pub site: Option<&'a str>,
    #[serde(rename = "box")]
    pub box_no: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub extras: Extras<'a>,
    pub gaps: Vec<Gap>,
    pub worst_gap: Option<crate::analysis::Severity>,
    pub source: &'a Source,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub as_of: String,
    pub inputs: Vec<String>,
    pub summary: Summary,
    pub sets: Vec<SetJson>,
    pub categories: Vec<OwnerJson>,
    pub owners: Vec<OwnerJson>,
    pub sheets: &'a [SheetInfo],
    pub measures: Vec<MeasureJson<'a>>,
    pub diagnostics: Vec<DiagnosticJson<'a>>,
    /// The evidence folder's figures; null without `--evidence`.
    pub evidence: Option<EvidenceJson>,
}

fn owner_json(g: &Group) -> OwnerJson {
    OwnerJson {
        name: g.name.clone(),
        measures: g.tally.measures,
        open: g.tally.open,
        overdue: g.tally.overdue,
        score: g.tally.score(),
    }
}

fn evidence_state(j: &Judged<'_>, found: Option<&Vec<String>>) -> &'static str {
    let m = j.measure;
    if m.evidence.is_empty() {
        "none_required"
    } else if let Some(found) = found {
        // With a folder the files decide, not-applicable measures included.
        if m.evidence.iter().all(|e| found.contains(e)) {
            "complete"
        } else {
            "missing"
        }
    } else if !j.evidence_missing.is_empty() {
        "missing"
    } else if m.evidence_ready == EvidenceReady::Unknown
        || m.status.class == StatusClass::NotApplicable
    {
        "unknown"
    } else {
        "complete"
    }
}

fn file_json(f: &crate::evidence::judge::EvidenceFile) -> EvidenceFileJson {
    EvidenceFileJson {
        path: f.path.clone(),
        item: f.item.clone(),
        kind: f.kind,
        bytes: f.bytes,
        sha256: f.sha256.clone(),
        pages: f.pages,
        date: f.date.map(|d| d.format("%Y-%m-%d").to_string()),
        date_source: f.date_source,
        problems: f.problems.clone(),
    }
}

fn measure_json<'a>(
    m: &'a Measure,
    j: &Judged<'_>,
    evidence: Option<(&Judgement, usize)>,
) -> MeasureJson<'a> {
    let found = evidence.and_then(|(e, i)| e.found.get(i));
    MeasureJson {
        set: &m.set,
        id: &m.id,
        category: m.category.as_deref(),
        measure: &m.text,
        owners: &m.owners,
        supporting: &m.supporting,
        contact: m.contact.as_deref(),
        status: m.status.class,
        status_text: &m.status.text,
        credit: m.status.credit,
        weight: m.weight,
        veto: m.veto,
        deadline: m.deadline.map(|d| d.format("%Y-%m-%d").to_string()),
        continuous: m.continuous,
        days_left: j.days_left,
        progress: m.progress.as_deref(),
        evidence: &m.evidence,
        evidence_state: evidence_state(j, found),
        evidence_missing: j.evidence_missing.clone(),
        evidence_found: found.cloned(),
        evidence_claimed_missing: evidence.and_then(|(e, i)| e.claimed_missing.get(i).cloned()),
        evidence_files: evidence
            .and_then(|(e, i)| e.by_measure.get(i))
            .map(|files| files.iter().map(file_json).collect()),
        check: m.check.as_deref(),
        site: m.site.as_deref(),
        box_no: m.box_no.as_deref(),
        notes: m.notes.as_deref(),
        extras: Extras(&m.extras),
        gaps: j.gaps.clone(),
        worst_gap: j.worst(),
        source: &m.source,
    }
}

/// Builds the report from a workbook and its analysis.
pub fn build<'a>(book: &'a Workbook, analysis: &Analysis<'_>, inputs: Vec<String>) -> Report<'a> {
    build_with(book, analysis, inputs, None)
}

/// Builds the report with the evidence folder's judgement (its diagnostics are expected
/// among the workbook's, already merged).
pub fn build_with<'a>(
    book: &'a Workbook,
    analysis: &Analysis<'_>,
    inputs: Vec<String>,
    evidence: Option<&Judgement>,
) -> Report<'a> {
    let s = &analysis.summary;
    let grade_reason = analysis.veto.as_ref().map(|v| {
        let items: Vec<String> = v
            .measures
            .iter()
            .map(|(set, id, _)| format!("{set} {id}"))
            .collect();
        format!("open veto items (一票否决): {}", items.join(", "))
    });
    Report {
        schema: SCHEMA,
        as_of: analysis.as_of.format("%Y-%m-%d").to_string(),
        inputs,
        summary: Summary {
            measures: s.measures,
            applicable: s.applicable,
            by_status: s.into(),
            score: s.score(),
            grade: analysis.grade.map(|g| g.zh()),
            grade_reason,
            open: s.open,
            gaps: GapCounts {
                critical: s.worst[0],
                major: s.worst[1],
                minor: s.worst[2],
            },
            overdue: s.overdue,
            due_soon: s.due_soon,
            veto_open: s.veto_open,
            evidence_missing: s.evidence_missing,
            evidence_files: evidence.map(|e| e.matched),
            evidence_problems: evidence.map(|e| e.problem_files),
        },
        sets: analysis
            .sets
            .iter()
            .map(|g| SetJson {
                name: g.name.clone(),
                measures: g.tally.measures,
                applicable: g.tally.applicable,
                score: g.tally.score(),
                open: g.tally.open,
                overdue: g.tally.overdue,
                by_status: (&g.tally).into(),
            })
            .collect(),
        categories: analysis.categories.iter().map(owner_json).collect(),
        owners: analysis.owners.iter().map(owner_json).collect(),
        sheets: &book.sheets,
        measures: analysis
            .measures
            .iter()
            .enumerate()
            .map(|(i, j)| measure_json(&book.measures[i], j, evidence.map(|e| (e, i))))
            .collect(),
        diagnostics: book.diagnostics.iter().map(|d| d.to_json()).collect(),
        evidence: evidence.map(|e| EvidenceJson {
            root: e.root.clone(),
            period: PeriodJson {
                from: e.period.from.format("%Y-%m-%d").to_string(),
                to: e.period.to.format("%Y-%m-%d").to_string(),
            },
            files: e.files,
            bytes: e.bytes,
            matched: e.matched,
            orphans: e.orphans.clone(),
        }),
    }
}

/// The report as pretty JSON, with a final newline, straight into a writer (a build's
/// file): the same bytes as [`to_json`], never held whole.
pub fn write_json(report: &Report<'_>, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report)?;
    w.write_all(b"\n")
}

/// The report as pretty JSON text with a final newline.
pub fn to_json(report: &Report<'_>) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("report serialises");
    text.push('\n');
    text
}
