//! The progress report (进展报告) and `diff.json`: the comparison rendered through the
//! built-in template `progress.md` with the same machinery as the unit's documents
//! (Markdown escaping, `layout.html`, the PDF renderer), all in memory so the caller can
//! write the output folder whole or not at all.

use super::{Change, Diff, EvidenceChange, GroupChange};
use crate::model::StatusClass;
use crate::pipeline::{self, DocOptions, Format, PipelineError};
use crate::render::context::{Labels, fill, label, score_text};
use crate::render::{self, Page};
use serde::Serialize;

/// The file names `dossier diff` writes: an output folder holding only these (and a
/// build's) is dossier's to replace.
pub const OUTPUT_NAMES: [&str; 4] = ["diff.json", "progress.md", "progress.html", "progress.pdf"];

/// The template and file stem of the progress report.
const STEM: &str = "progress";

/// A measure in one of the report's lists.
#[derive(Debug, Serialize)]
pub struct ChangeRow {
    pub set: String,
    pub id: String,
    pub measure: String,
    pub owners: String,
    /// The status label before, or "—" where the measure was absent.
    pub before: String,
    pub after: String,
    pub deadline: String,
    /// "超期12天" / "剩余3天" / "—", on the newer side.
    pub due: String,
}

/// An evidence item that came into hand or was lost.
#[derive(Debug, Serialize)]
pub struct EvidenceRow {
    pub set: String,
    pub id: String,
    pub measure: String,
    pub item: String,
}

/// A set's or owner's score before and after, ready to print.
#[derive(Debug, Serialize)]
pub struct GroupRow {
    pub name: String,
    pub measures_before: String,
    pub measures_after: String,
    pub score_before: String,
    pub score_after: String,
    /// "+2.5", "-1.0", "0.0", or "—" when either side has no score.
    pub change: String,
    pub open_before: String,
    pub open_after: String,
}

/// One line of the before/after table: a figure on both sides and the change.
#[derive(Debug, Serialize)]
pub struct FigureRow {
    pub key: &'static str,
    pub label: String,
    pub before: String,
    pub after: String,
    pub change: String,
}

/// One of the lists with its label and rows, for templates that loop over them.
#[derive(Debug, Serialize)]
pub struct Section {
    pub key: &'static str,
    pub label: String,
    pub rows: Vec<ChangeRow>,
}

/// Everything `progress.md` sees (documented in docs/templates.md).
#[derive(Debug, Serialize)]
pub struct ProgressContext<'a> {
    pub lang: String,
    pub labels: &'a Labels,
    pub unit: String,
    /// The newer side's as-of date.
    pub as_of: String,
    pub as_of_before: String,
    pub as_of_after: String,
    pub source_before: String,
    pub source_after: String,
    pub generator: String,
    /// Exactly the data of diff.json.
    pub diff: &'a Diff,
    pub overview: String,
    pub score_before: String,
    pub score_after: String,
    pub score_change: String,
    pub grade_before: String,
    pub grade_after: String,
    /// True when no measure and no evidence item changed.
    pub unchanged: bool,
    pub figures: Vec<FigureRow>,
    pub sets: Vec<GroupRow>,
    pub owners: Vec<GroupRow>,
    /// improved, regressed, done, newly_overdue, changed, added, removed, in that order.
    pub sections: Vec<Section>,
    pub evidence_gained: Vec<EvidenceRow>,
    pub evidence_lost: Vec<EvidenceRow>,
}

fn grade_label(labels: &Labels, grade: Option<&str>) -> String {
    let key = match grade {
        Some("优秀") => "excellent",
        Some("良好") => "good",
        Some("一般") => "fair",
        Some("较差") => "poor",
        Some(other) => return other.to_string(),
        None => "none",
    };
    label(labels, &format!("grade.{key}"))
}

fn status_label(labels: &Labels, class: Option<StatusClass>) -> String {
    class.map_or("—".to_string(), |c| {
        label(labels, &format!("status.{}", c.key()))
    })
}

/// The change between two one-decimal figures as printed, so the change always agrees
/// with the two numbers beside it.
fn change_text(before: Option<f64>, after: Option<f64>) -> String {
    match (before, after) {
        (Some(a), Some(b)) => {
            let round = |v: f64| (v * 10.0).round() / 10.0;
            let d = round(b) - round(a);
            if d.abs() < 0.05 {
                "0.0".into()
            } else {
                format!("{d:+.1}")
            }
        }
        _ => "—".into(),
    }
}

fn count_text(n: Option<usize>) -> String {
    n.map_or("—".to_string(), |n| n.to_string())
}

fn count_change(before: usize, after: usize) -> String {
    let d = after as i64 - before as i64;
    if d == 0 { "0".into() } else { format!("{d:+}") }
}

fn change_row(labels: &Labels, c: &Change) -> ChangeRow {
    let open = c.after.is_some_and(StatusClass::is_open);
    let due = match c.days_left {
        Some(d) if d < 0 && open => {
            fill(&label(labels, "overdue_by"), &[("days", (-d).to_string())])
        }
        Some(0) if open => label(labels, "due_today"),
        Some(d) if open => fill(&label(labels, "due_in"), &[("days", d.to_string())]),
        _ if c.continuous => label(labels, "continuous"),
        _ => label(labels, "no_deadline"),
    };
    ChangeRow {
        set: c.set.clone(),
        id: c.id.clone(),
        measure: c.measure.clone(),
        owners: c.owners.join(&label(labels, "sep")),
        before: status_label(labels, c.before),
        after: status_label(labels, c.after),
        deadline: c.deadline.clone().unwrap_or_else(|| {
            if c.continuous {
                label(labels, "continuous")
            } else {
                label(labels, "no_deadline")
            }
        }),
        due,
    }
}

fn evidence_row(e: &EvidenceChange) -> EvidenceRow {
    EvidenceRow {
        set: e.set.clone(),
        id: e.id.clone(),
        measure: e.measure.clone(),
        item: e.item.clone(),
    }
}

fn group_row(g: &GroupChange) -> GroupRow {
    let score = |s: Option<f64>, present: bool| {
        if present { score_text(s) } else { "—".into() }
    };
    GroupRow {
        name: g.name.clone(),
        measures_before: count_text(g.measures_before),
        measures_after: count_text(g.measures_after),
        score_before: score(g.score_before, g.measures_before.is_some()),
        score_after: score(g.score_after, g.measures_after.is_some()),
        change: change_text(g.score_before, g.score_after),
        open_before: count_text(g.open_before),
        open_after: count_text(g.open_after),
    }
}

/// The unit the progress report is about: `--unit`, else the sheet titles of the newer
/// side, then the older, else the newer side's stem.
pub fn unit_name(diff: &Diff, explicit: Option<&str>) -> String {
    explicit
        .map(str::to_string)
        .or_else(|| diff.after.unit.clone())
        .or_else(|| diff.before.unit.clone())
        .unwrap_or_else(|| diff.after.stem.clone())
}

/// Builds the context of `progress.md`.
pub fn context<'a>(diff: &'a Diff, labels: &'a Labels, unit: &str) -> ProgressContext<'a> {
    let (b, a) = (&diff.before, &diff.after);
    let score_before = score_text(diff.score_before);
    let score_after = score_text(diff.score_after);
    let score_change = change_text(diff.score_before, diff.score_after);
    let grade_before = grade_label(labels, diff.grade_before.as_deref());
    let grade_after = grade_label(labels, diff.grade_after.as_deref());
    let overview = fill(
        &label(labels, "pr_overview"),
        &[
            ("unit", unit.to_string()),
            ("as_of_before", b.as_of.clone()),
            ("as_of_after", a.as_of.clone()),
            ("score_before", score_before.clone()),
            ("score_after", score_after.clone()),
            ("change", score_change.clone()),
            ("grade_before", grade_before.clone()),
            ("grade_after", grade_after.clone()),
            ("improved", diff.improved.len().to_string()),
            ("regressed", diff.regressed.len().to_string()),
            ("done", diff.done.len().to_string()),
            ("newly_overdue", diff.newly_overdue.len().to_string()),
            ("added", diff.added.len().to_string()),
            ("removed", diff.removed.len().to_string()),
            ("gained", diff.evidence_gained.len().to_string()),
            ("lost", diff.evidence_lost.len().to_string()),
        ],
    );
    let count = |key: &'static str, label_key: &str, before: usize, after: usize| FigureRow {
        key,
        label: label(labels, label_key),
        before: before.to_string(),
        after: after.to_string(),
        change: count_change(before, after),
    };
    let figures = vec![
        FigureRow {
            key: "score",
            label: label(labels, "score"),
            before: score_before.clone(),
            after: score_after.clone(),
            change: score_change.clone(),
        },
        FigureRow {
            key: "grade",
            label: label(labels, "grade_label"),
            before: grade_before.clone(),
            after: grade_after.clone(),
            change: String::new(),
        },
        count("measures", "measures", b.measures, a.measures),
        count("open", "open", b.open, a.open),
        count("overdue", "overdue", b.overdue, a.overdue),
        count("veto_open", "gap.veto_open", b.veto_open, a.veto_open),
        count(
            "evidence_missing",
            "gap.evidence_missing",
            b.evidence_missing,
            a.evidence_missing,
        ),
    ];
    let rows = |list: &[Change]| list.iter().map(|c| change_row(labels, c)).collect();
    let section = |key: &'static str, list: &[Change]| Section {
        key,
        label: label(labels, &format!("pr_{key}")),
        rows: rows(list),
    };
    let sections = vec![
        section("improved", &diff.improved),
        section("regressed", &diff.regressed),
        section("done", &diff.done),
        section("newly_overdue", &diff.newly_overdue),
        section("changed", &diff.changed),
        section("added", &diff.added),
        section("removed", &diff.removed),
    ];
    ProgressContext {
        lang: label(labels, "lang"),
        labels,
        unit: unit.to_string(),
        as_of: a.as_of.clone(),
        as_of_before: b.as_of.clone(),
        as_of_after: a.as_of.clone(),
        source_before: b.source.clone(),
        source_after: a.source.clone(),
        generator: format!("dossier {}", env!("CARGO_PKG_VERSION")),
        diff,
        overview,
        score_before,
        score_after,
        score_change,
        grade_before,
        grade_after,
        unchanged: diff.is_unchanged(),
        figures,
        sets: diff.sets.iter().map(group_row).collect(),
        owners: diff.owners.iter().map(group_row).collect(),
        sections,
        evidence_gained: diff.evidence_gained.iter().map(evidence_row).collect(),
        evidence_lost: diff.evidence_lost.iter().map(evidence_row).collect(),
    }
}

/// The progress report's files, made in memory (a progress report is one unit's worth
/// of text, small beside the documents of a build).
pub struct Made {
    /// (file name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// (file name, characters the PDF font lacks).
    pub missing_glyphs: Vec<(String, std::collections::BTreeSet<char>)>,
    /// The unit's name as the report says it.
    pub unit: String,
}

/// Renders `diff.json` and the progress report in the formats asked for, in memory.
pub fn render(
    diff: &Diff,
    formats: &[Format],
    docs: &DocOptions<'_>,
) -> Result<Made, PipelineError> {
    let labels = pipeline::labels(docs.templates, docs.lang)?;
    let unit = unit_name(diff, docs.unit);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut missing_glyphs = Vec::new();
    if formats.contains(&Format::Json) {
        files.push(("diff.json".into(), super::to_json(diff).into_bytes()));
    }
    if formats.iter().any(|f| *f != Format::Json) {
        let ctx = context(diff, &labels, &unit);
        let name = format!("{STEM}.md");
        let markdown = render::markdown_from(docs.templates, &name, &ctx, &docs.limits)?;
        let title = label(&labels, "progress_report");
        if formats.contains(&Format::Md) {
            files.push((name, markdown.clone().into_bytes()));
        }
        if formats.contains(&Format::Html) {
            let page = Page {
                title: &title,
                doc: STEM,
                lang: &ctx.lang,
                unit: &unit,
                as_of: &ctx.as_of,
                labels: &labels,
                generator: &ctx.generator,
            };
            let html = render::html_page(docs.templates, &page, &markdown, &[], &docs.limits)?;
            files.push((format!("{STEM}.html"), html.into_bytes()));
        }
        if formats.contains(&Format::Pdf) {
            let heads = pipeline::PdfHeads::new(&labels, &unit, &title, &ctx.as_of);
            let created = diff
                .after
                .as_of
                .parse::<chrono::NaiveDate>()
                .map_or(0, pipeline::created);
            let opts = heads.options(docs, &unit, created);
            let pdf = render::pdf::render(&markdown, &[], docs.font, &opts)?;
            let name = format!("{STEM}.pdf");
            if !pdf.missing.is_empty() {
                missing_glyphs.push((name.clone(), pdf.missing));
            }
            files.push((name, pdf.bytes));
        }
    }
    for (name, bytes) in &files {
        render::check_size(name, bytes, &docs.limits)?;
    }
    Ok(Made {
        files,
        missing_glyphs,
        unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_agree_with_the_rounded_figures() {
        assert_eq!(change_text(Some(76.04), Some(78.06)), "+2.1");
        assert_eq!(change_text(Some(80.0), Some(79.0)), "-1.0");
        assert_eq!(change_text(Some(80.0), Some(80.01)), "0.0");
        assert_eq!(change_text(None, Some(1.0)), "—");
        assert_eq!(count_change(3, 5), "+2");
        assert_eq!(count_change(5, 3), "-2");
    }
}
