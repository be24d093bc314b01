//! Judgement: credit, scores, the projected grade and gaps, as pure functions of the
//! measures and the as-of date. Nothing here reads a file or the clock.

use crate::model::{Measure, StatusClass};
use chrono::NaiveDate;
use serde::Serialize;

/// How many days ahead a deadline counts as due soon.
pub const DUE_SOON_DAYS: i64 = 14;

/// What kind of gap a measure has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    VetoOpen,
    Overdue,
    NotStarted,
    UnknownStatus,
    DueSoon,
    Partial,
    EvidenceMissing,
    NoOwner,
}

impl GapKind {
    /// The snake_case key used in `report.json` and the label files.
    pub fn key(self) -> &'static str {
        match self {
            GapKind::VetoOpen => "veto_open",
            GapKind::Overdue => "overdue",
            GapKind::NotStarted => "not_started",
            GapKind::UnknownStatus => "unknown_status",
            GapKind::DueSoon => "due_soon",
            GapKind::Partial => "partial",
            GapKind::EvidenceMissing => "evidence_missing",
            GapKind::NoOwner => "no_owner",
        }
    }
}

/// How urgent a gap is. Ordered worst first, so `min` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Major,
    Minor,
}

impl Severity {
    /// The snake_case key used in `report.json` and the label files.
    pub fn key(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
        }
    }
}

/// One gap of one measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub kind: GapKind,
    pub severity: Severity,
}

/// A measure with its judgement against the as-of date.
#[derive(Debug, Clone)]
pub struct Judged<'a> {
    pub measure: &'a Measure,
    pub gaps: Vec<Gap>,
    /// Required evidence not in hand (empty when readiness is unknown).
    pub evidence_missing: Vec<String>,
    /// Days from the as-of date to the deadline: negative when past.
    pub days_left: Option<i64>,
}

impl Judged<'_> {
    /// The worst severity among the gaps, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.gaps.iter().map(|g| g.severity).min()
    }

    /// True when the measure carries a gap of this kind.
    pub fn has(&self, kind: GapKind) -> bool {
        self.gaps.iter().any(|g| g.kind == kind)
    }
}

/// Judges one measure: every gap kind of the spec, in worst-first order.
pub fn judge(measure: &Measure, as_of: NaiveDate) -> Judged<'_> {
    judge_with(measure, as_of, None)
}

/// Judges one measure; `in_hand` (the items the evidence folder backs) replaces the
/// workbook's own evidence-in-hand cell when an evidence folder was read.
pub fn judge_with<'a>(
    measure: &'a Measure,
    as_of: NaiveDate,
    in_hand: Option<&[String]>,
) -> Judged<'a> {
    let class = measure.status.class;
    let days_left = measure.deadline.map(|d| (d - as_of).num_days());
    let evidence_missing = if class == StatusClass::NotApplicable {
        Vec::new()
    } else if let Some(found) = in_hand {
        measure
            .evidence
            .iter()
            .filter(|e| !found.contains(e))
            .cloned()
            .collect()
    } else {
        crate::ingest::cells::missing_evidence(&measure.evidence, &measure.evidence_ready)
    };
    let mut gaps = Vec::new();
    if class != StatusClass::NotApplicable {
        let open = class.is_open();
        let overdue = open && days_left.is_some_and(|d| d < 0);
        let mut add = |kind, severity| gaps.push(Gap { kind, severity });
        if measure.veto && open {
            add(GapKind::VetoOpen, Severity::Critical);
        }
        if overdue {
            add(GapKind::Overdue, Severity::Critical);
        }
        if class == StatusClass::NotStarted && !overdue {
            add(GapKind::NotStarted, Severity::Major);
        }
        if class == StatusClass::Unknown {
            add(GapKind::UnknownStatus, Severity::Major);
        }
        if open && days_left.is_some_and(|d| (0..=DUE_SOON_DAYS).contains(&d)) {
            add(GapKind::DueSoon, Severity::Major);
        }
        if class == StatusClass::Partial && !overdue {
            add(GapKind::Partial, Severity::Minor);
        }
        if !evidence_missing.is_empty() {
            let severity = if matches!(class, StatusClass::Done | StatusClass::Ongoing) {
                Severity::Major
            } else {
                Severity::Minor
            };
            add(GapKind::EvidenceMissing, severity);
        }
        if measure.owners.is_empty() {
            add(GapKind::NoOwner, Severity::Minor);
        }
    }
    Judged {
        measure,
        gaps,
        evidence_missing,
        days_left,
    }
}

/// The projected grade (预计等次), in the bands Guangdong's assessments use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Grade {
    #[serde(rename = "优秀")]
    Excellent,
    #[serde(rename = "良好")]
    Good,
    #[serde(rename = "一般")]
    Fair,
    #[serde(rename = "较差")]
    Poor,
}

impl Grade {
    /// The band a score falls in.
    pub fn from_score(score: f64) -> Grade {
        if score >= 90.0 {
            Grade::Excellent
        } else if score >= 80.0 {
            Grade::Good
        } else if score >= 60.0 {
            Grade::Fair
        } else {
            Grade::Poor
        }
    }

    /// The grade's name as the assessment writes it.
    pub fn zh(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀",
            Grade::Good => "良好",
            Grade::Fair => "一般",
            Grade::Poor => "较差",
        }
    }
}

/// Counts and score over a group of judged measures (all, a set, a category, an owner).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub measures: usize,
    pub applicable: usize,
    /// Counts in [`StatusClass::ALL`] order.
    pub by_status: [usize; 6],
    /// Σ weight over applicable measures.
    pub weight: f64,
    /// Σ weight × credit over applicable measures.
    pub earned: f64,
    pub open: usize,
    pub overdue: usize,
    pub due_soon: usize,
    pub veto_open: usize,
    pub evidence_missing: usize,
    /// Measures by their worst gap: critical, major, minor.
    pub worst: [usize; 3],
}

impl Tally {
    /// Adds one judged measure.
    pub fn add(&mut self, j: &Judged<'_>) {
        let m = j.measure;
        self.measures += 1;
        self.by_status[m.status.class.index()] += 1;
        if let Some(credit) = m.status.credit {
            self.applicable += 1;
            self.weight += m.weight;
            self.earned += m.weight * credit;
        }
        self.open += usize::from(m.status.class.is_open());
        self.overdue += usize::from(j.has(GapKind::Overdue));
        self.due_soon += usize::from(j.has(GapKind::DueSoon));
        self.veto_open += usize::from(j.has(GapKind::VetoOpen));
        self.evidence_missing += usize::from(j.has(GapKind::EvidenceMissing));
        if let Some(w) = j.worst() {
            self.worst[w as usize] += 1;
        }
    }

    /// Readiness score: 100 × Σ(weight × credit) / Σ(weight); `None` when nothing applies.
    pub fn score(&self) -> Option<f64> {
        (self.weight > 0.0).then(|| 100.0 * self.earned / self.weight)
    }

    /// The count for one status class.
    pub fn status_count(&self, class: StatusClass) -> usize {
        self.by_status[class.index()]
    }
}

/// A named group's tally.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub tally: Tally,
}

/// Why the grade is what it is, when a veto item forced it.
#[derive(Debug, Clone, PartialEq)]
pub struct VetoReason {
    /// (set, id, text) of each open veto measure.
    pub measures: Vec<(String, String, String)>,
}

/// The whole judgement of a workbook against an as-of date.
#[derive(Debug, Clone)]
pub struct Analysis<'a> {
    pub as_of: NaiveDate,
    pub measures: Vec<Judged<'a>>,
    pub summary: Tally,
    /// `None` when no measure applies.
    pub grade: Option<Grade>,
    /// Set when an open veto item forced the grade to 较差.
    pub veto: Option<VetoReason>,
    /// In order of first appearance.
    pub sets: Vec<Group>,
    /// In order of first appearance; measures without a category are not in any.
    pub categories: Vec<Group>,
    /// Worst first: lowest score, then most overdue, then most open, then name.
    pub owners: Vec<Group>,
}

fn group_into(groups: &mut Vec<Group>, name: &str, j: &Judged<'_>) {
    match groups.iter_mut().find(|g| g.name == name) {
        Some(g) => g.tally.add(j),
        None => {
            let mut tally = Tally::default();
            tally.add(j);
            groups.push(Group {
                name: name.to_string(),
                tally,
            });
        }
    }
}

/// Judges every measure and aggregates overall, per set, per category and per owner.
pub fn analyse(measures: &[Measure], as_of: NaiveDate) -> Analysis<'_> {
    analyse_with(measures, as_of, None)
}

/// [`analyse`] with the items an evidence folder backs, per measure (aligned with
/// `measures`), deciding what is in hand instead of the workbook's word.
pub fn analyse_with<'a>(
    measures: &'a [Measure],
    as_of: NaiveDate,
    in_hand: Option<&[Vec<String>]>,
) -> Analysis<'a> {
    let judged: Vec<Judged<'_>> = measures
        .iter()
        .enumerate()
        .map(|(i, m)| judge_with(m, as_of, in_hand.and_then(|f| f.get(i).map(Vec::as_slice))))
        .collect();
    let mut summary = Tally::default();
    let mut sets = Vec::new();
    let mut categories = Vec::new();
    let mut owners = Vec::new();
    for j in &judged {
        summary.add(j);
        group_into(&mut sets, &j.measure.set, j);
        if let Some(c) = &j.measure.category {
            group_into(&mut categories, c, j);
        }
        for o in &j.measure.owners {
            group_into(&mut owners, o, j);
        }
    }
    owners.sort_by(|a, b| {
        let score = |g: &Group| g.tally.score().unwrap_or(f64::INFINITY);
        score(a)
            .total_cmp(&score(b))
            .then(b.tally.overdue.cmp(&a.tally.overdue))
            .then(b.tally.open.cmp(&a.tally.open))
            .then(a.name.cmp(&b.name))
    });
    let open_vetoes: Vec<(String, String, String)> = judged
        .iter()
        .filter(|j| j.has(GapKind::VetoOpen))
        .map(|j| {
            (
                j.measure.set.clone(),
                j.measure.id.clone(),
                j.measure.text.clone(),
            )
        })
        .collect();
    let veto = (!open_vetoes.is_empty()).then_some(VetoReason {
        measures: open_vetoes,
    });
    let grade = summary.score().map(|s| {
        if veto.is_some() {
            Grade::Poor
        } else {
            Grade::from_score(s)
        }
    });
    Analysis {
        as_of,
        measures: judged,
        summary,
        grade,
        veto,
        sets,
        categories,
        owners,
    }
}
