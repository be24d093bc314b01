//! The CI gate (`--fail-under`, `--fail-on`, `--junit`, GitHub Actions annotations and
//! step summary) on `check`, `build` and batch builds.
//!
//! Everything here but [`run`] is pure: a unit's [`Report`] (the `report.json` data) and
//! the [`Settings`] go in, a list of [`Violation`]s, JUnit XML ([`junit`]) or workflow
//! commands and Markdown ([`github`]) come out as values and text, so each is tested
//! without a process. [`run`] collects those small results unit by unit (a batch never
//! keeps a unit's report) and does the printing and writing at the end, in unit order
//! whatever the number of jobs. The command line keeps only the flags and exit codes.
//!
//! A violation line reads `dossier: gate: UNIT: RULE: SUBJECT: DETAIL (LOCATION)`:
//! `RULE` is `fail-under`, `errors`, `veto`, `overdue` or `evidence`; `SUBJECT` is `score`,
//! a diagnostic's code, or a measure as `SET ID`; the location (`file: sheet!cell`) is
//! left off where there is none. `docs/ci.md` documents it.

pub mod github;
pub mod junit;
pub mod run;

use crate::analysis::GapKind;
use crate::model::{Location, Severity as DiagnosticSeverity, Source};
use crate::report::{MeasureJson, Report};

/// What the gate can fail a unit on: `--fail-under`, and the four words of `--fail-on`.
/// Ordered as the lines are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The unit's score is under `--fail-under` (or it has none).
    FailUnder,
    /// An error diagnostic: the workbook cannot be trusted as read.
    Errors,
    /// An open veto item (一票否决): the grade is 较差 whatever the score.
    Veto,
    /// An open measure past its deadline.
    Overdue,
    /// Required evidence (佐证材料) missing.
    Evidence,
}

impl Rule {
    /// Every rule, in the order lines and counts are printed.
    pub const ALL: [Rule; 5] = [
        Rule::FailUnder,
        Rule::Errors,
        Rule::Veto,
        Rule::Overdue,
        Rule::Evidence,
    ];

    /// The rule's word in lines and in `--fail-on` (stable: scripts grep for it).
    pub fn key(self) -> &'static str {
        match self {
            Rule::FailUnder => "fail-under",
            Rule::Errors => "errors",
            Rule::Veto => "veto",
            Rule::Overdue => "overdue",
            Rule::Evidence => "evidence",
        }
    }
}

/// The gate as the flags set it; the same for every unit of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `--fail-under SCORE`: a unit scoring under this (0–100) fails.
    pub fail_under: Option<f64>,
    /// `--fail-on …`: the rules besides the score that fail a unit.
    pub fail_on: Vec<Rule>,
}

impl Settings {
    /// True when any rule is set: only then are violation and count lines printed and
    /// can the gate fail the run.
    pub fn is_set(&self) -> bool {
        self.fail_under.is_some() || !self.fail_on.is_empty()
    }

    fn on(&self, rule: Rule) -> bool {
        match rule {
            Rule::FailUnder => self.fail_under.is_some(),
            r => self.fail_on.contains(&r),
        }
    }
}

/// One way a unit fails the gate: the parts of its line, kept apart so tests and other
/// writers need not parse them back.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The rule broken, the line's `RULE` field.
    pub rule: Rule,
    /// `score`, a diagnostic's code (`error` when it has none), or `SET ID`.
    pub subject: String,
    /// What is wrong, in words.
    pub detail: String,
    /// `file: sheet!cell` (or `file: sheet, row N` when the cell's column is unknown).
    pub location: Option<String>,
}

/// The violations of one unit, kept while the others are built.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The unit's name as the run names it (its folder in a batch).
    pub unit: String,
    /// Its violations in the order printed (see [`evaluate`]).
    pub violations: Vec<Violation>,
}

/// Judges one unit's report against the settings: every violation, rule by rule (in
/// [`Rule::ALL`] order), each rule's in report order (diagnostics as sorted, measures as
/// read). The counts of `veto`, `overdue` and `evidence` equal the report's
/// `summary.veto_open`, `summary.overdue` and `summary.evidence_missing`.
pub fn evaluate(report: &Report<'_>, settings: &Settings) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(threshold) = settings.fail_under {
        match report.summary.score {
            Some(score) if score >= threshold => {}
            Some(score) => out.push(Violation {
                rule: Rule::FailUnder,
                subject: "score".into(),
                detail: format!("{} is under {threshold}", score_text(score, threshold)),
                location: None,
            }),
            None => out.push(Violation {
                rule: Rule::FailUnder,
                subject: "score".into(),
                detail: format!("no score (no applicable measure) to hold against {threshold}"),
                location: None,
            }),
        }
    }
    if settings.on(Rule::Errors) {
        for d in report
            .diagnostics
            .iter()
            .filter(|d| d.severity == DiagnosticSeverity::Error)
        {
            let mut detail = d.message.to_string();
            if let Some(hint) = d.hint {
                detail.push_str("; ");
                detail.push_str(hint);
            }
            out.push(Violation {
                rule: Rule::Errors,
                subject: d.code.unwrap_or("error").to_string(),
                detail,
                location: Some(place(d.file, d.sheet, d.cell.as_deref())),
            });
        }
    }
    for (rule, kind) in [
        (Rule::Veto, GapKind::VetoOpen),
        (Rule::Overdue, GapKind::Overdue),
        (Rule::Evidence, GapKind::EvidenceMissing),
    ] {
        if !settings.on(rule) {
            continue;
        }
        for m in &report.measures {
            if m.gaps.iter().any(|g| g.kind == kind) {
                out.push(Violation {
                    rule,
                    subject: measure_name(m),
                    detail: gap_detail(m, kind),
                    location: Some(gap_location(m.source, kind)),
                });
            }
        }
    }
    out
}

/// A score as lines show it: one decimal, more when one decimal would round it up to
/// the threshold it misses (79.96 is not "80.0 is under 80").
fn score_text(score: f64, threshold: f64) -> String {
    let short = format!("{score:.1}");
    if short.parse::<f64>().is_ok_and(|s| s >= threshold) {
        score.to_string()
    } else {
        short
    }
}

/// A measure as lines name it: `SET ID` (`市78条 12`), as `grade_reason` does.
pub fn measure_name(m: &MeasureJson) -> String {
    format!("{} {}", m.set, m.id)
}

/// A location as diagnostics print it: `file: sheet!cell`, `file: cell` for CSV,
/// `file: sheet` or `file` with less to say.
pub fn place(file: &str, sheet: Option<&str>, cell: Option<&str>) -> String {
    match (sheet, cell) {
        (Some(s), Some(c)) => format!("{file}: {s}!{c}"),
        (Some(s), None) => format!("{file}: {s}"),
        (None, Some(c)) => format!("{file}: {c}"),
        (None, None) => file.to_string(),
    }
}

/// The cell a gap is about: the deadline of an overdue or due-soon measure, the
/// evidence-in-hand (else required-evidence) cell of missing evidence, the lead
/// department's cell when none is named, else the status cell; the row when the column
/// is not known (a report read back from JSON).
pub fn gap_location(source: &Source, kind: GapKind) -> String {
    let c = &source.columns;
    let col = match kind {
        GapKind::Overdue | GapKind::DueSoon => c.deadline.or(c.status),
        GapKind::EvidenceMissing => c.evidence_ready.or(c.evidence).or(c.status),
        GapKind::NoOwner => c.owner.or(c.status),
        GapKind::VetoOpen | GapKind::NotStarted | GapKind::UnknownStatus | GapKind::Partial => {
            c.status
        }
    };
    match col {
        Some(col) => Location {
            file: source.file.clone(),
            sheet: source.sheet.clone(),
            cell: Some((source.row.saturating_sub(1), col)),
            order: (0, 0),
        }
        .to_string(),
        None => format!(
            "{}, row {}",
            place(&source.file, source.sheet.as_deref(), None),
            source.row
        ),
    }
}

/// `N day(s)`.
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// The status as details say it: its class, and the text written when there is one.
fn status_text(m: &MeasureJson) -> String {
    if m.status_text.is_empty() {
        format!("{} (blank)", m.status.key())
    } else {
        format!("{} ({:?})", m.status.key(), m.status_text)
    }
}

/// What a gap of a measure is, in words: shared by the gate's lines and the JUnit
/// failures, so both say the same thing.
pub fn gap_detail(m: &MeasureJson, kind: GapKind) -> String {
    let deadline = m.deadline.as_deref().unwrap_or("none");
    match kind {
        GapKind::VetoOpen => format!("open veto item (一票否决), status {}", status_text(m)),
        GapKind::Overdue => match m.days_left {
            Some(d) => format!("overdue by {}, deadline {deadline}", days(-d)),
            None => format!("overdue, deadline {deadline}"),
        },
        GapKind::NotStarted => format!("not started, status {}", status_text(m)),
        GapKind::UnknownStatus => format!("status not known, status {}", status_text(m)),
        GapKind::DueSoon => match m.days_left {
            Some(0) => format!("due today, deadline {deadline}"),
            Some(d) => format!("due in {}, deadline {deadline}", days(d)),
            None => format!("due soon, deadline {deadline}"),
        },
        GapKind::Partial => format!("partly done, status {}", status_text(m)),
        GapKind::EvidenceMissing => {
            if m.evidence_missing.is_empty() {
                "required evidence missing".into()
            } else {
                format!(
                    "required evidence missing: {}",
                    m.evidence_missing.join(", ")
                )
            }
        }
        GapKind::NoOwner => "no lead department named".into(),
    }
}

/// Text on one line: cells are data and may hold line breaks or control characters,
/// which would split a line a script greps for.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A violation's line on stderr (no newline):
/// `dossier: gate: UNIT: RULE: SUBJECT: DETAIL (LOCATION)`.
pub fn line(unit: &str, v: &Violation) -> String {
    let mut text = crate::msg!(
        "dossier: gate: {unit}: {}: {}: {}",
        v.rule.key(),
        v.subject,
        v.detail
    );
    if let Some(l) = &v.location {
        text.push_str(&format!(" ({l})"));
    }
    one_line(&text)
}

/// `N unit(s)`, each form a line of the catalogue of its own.
fn units(n: usize) -> String {
    if n == 1 {
        crate::msg!("1 unit")
    } else {
        crate::msg!("{n} units")
    }
}

/// `N violation(s)`.
fn violations(n: usize) -> String {
    if n == 1 {
        crate::msg!("1 violation")
    } else {
        crate::msg!("{n} violations")
    }
}

/// The last line of a gated run (no newline): `dossier: gate failed: N violations in K of
/// M units (veto 6, overdue 16)` with the count per rule, or `dossier: gate passed: 0
/// violations in M units`. The rules keep their keys in every language.
pub fn total_line(verdicts: &[Verdict]) -> String {
    let count = verdicts.len();
    let total: usize = verdicts.iter().map(|v| v.violations.len()).sum();
    if total == 0 {
        return crate::msg!("dossier: gate passed: 0 violations in {}", units(count));
    }
    let failing = verdicts.iter().filter(|v| !v.violations.is_empty()).count();
    let per_rule: Vec<String> = Rule::ALL
        .iter()
        .filter_map(|r| {
            let n = verdicts
                .iter()
                .flat_map(|v| &v.violations)
                .filter(|v| v.rule == *r)
                .count();
            (n > 0).then(|| format!("{} {n}", r.key()))
        })
        .collect();
    crate::msg!(
        "dossier: gate failed: {} in {failing} of {} ({})",
        violations(total),
        units(count),
        per_rule.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Columns;

    #[test]
    fn lines_are_one_line_and_keep_their_fields() {
        let v = Violation {
            rule: Rule::Overdue,
            subject: "市78条 3".into(),
            detail: "overdue by 5 days,\nsee\r\tthis".into(),
            location: Some("a.xlsx: 市78条!H5".into()),
        };
        assert_eq!(
            line("清溪镇", &v),
            "dossier: gate: 清溪镇: overdue: 市78条 3: overdue by 5 days, see  this (a.xlsx: 市78条!H5)"
        );
    }

    #[test]
    fn scores_never_round_up_to_the_threshold() {
        assert_eq!(score_text(76.04, 80.0), "76.0");
        assert_eq!(score_text(79.96, 80.0), "79.96");
    }

    #[test]
    fn gaps_point_at_their_cell() {
        let mut source = Source {
            file: "a.xlsx".into(),
            sheet: Some("市78条".into()),
            row: 14,
            columns: Columns {
                status: Some(6),
                deadline: Some(7),
                ..Columns::default()
            },
        };
        assert_eq!(
            gap_location(&source, GapKind::Overdue),
            "a.xlsx: 市78条!H14"
        );
        assert_eq!(
            gap_location(&source, GapKind::VetoOpen),
            "a.xlsx: 市78条!G14"
        );
        assert_eq!(
            gap_location(&source, GapKind::EvidenceMissing),
            "a.xlsx: 市78条!G14"
        );
        source.columns = Columns::default();
        source.sheet = None;
        assert_eq!(gap_location(&source, GapKind::Overdue), "a.xlsx, row 14");
    }

    #[test]
    fn the_total_counts_per_rule() {
        let v = |rule| Violation {
            rule,
            subject: "s".into(),
            detail: "d".into(),
            location: None,
        };
        let verdicts = vec![
            Verdict {
                unit: "a".into(),
                violations: vec![v(Rule::Veto), v(Rule::Overdue), v(Rule::Overdue)],
            },
            Verdict {
                unit: "b".into(),
                violations: vec![],
            },
        ];
        assert_eq!(
            total_line(&verdicts),
            "dossier: gate failed: 3 violations in 1 of 2 units (veto 1, overdue 2)"
        );
        assert_eq!(
            total_line(&verdicts[1..]),
            "dossier: gate passed: 0 violations in 1 unit"
        );
    }
}
