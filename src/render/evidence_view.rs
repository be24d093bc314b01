//! What the documents show of the evidence folder: the files under each required item of
//! the checklist, the evidence section of the gap report (claims no file backs, problem
//! files, orphans, duplicates) and each department's files to supply or fix. Built from
//! `report.json`'s data, so the documents say exactly what the report says.

use super::context::{Labels, fill, label};
use crate::report::{EvidenceFileJson, MeasureJson, Report};
use serde::Serialize;

/// One file as a document lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FileLine {
    pub path: String,
    pub kind: String,
    pub pages: Option<u32>,
    pub date: String,
    /// The file's problems in the document language, joined; empty for a clean file.
    pub problems: String,
    /// Non-empty, readable and not encrypted: it counts for its item.
    pub good: bool,
    /// "path（3页 · 2026-10-20）" or "path（问题：已加密）", ready to print.
    pub text: String,
}

/// The evidence section of the gap report.
#[derive(Debug, Serialize)]
pub struct EvidenceView {
    pub root: String,
    pub period: String,
    /// One sentence: files considered, matched, orphans, problem files.
    pub summary: String,
    pub claimed_missing: Vec<ClaimRow>,
    pub problems: Vec<ProblemRow>,
    pub orphans: Vec<String>,
    pub duplicates: Vec<DuplicateRow>,
}

/// A measure whose workbook row claims items no good file backs.
#[derive(Debug, Serialize)]
pub struct ClaimRow {
    pub set: String,
    pub id: String,
    pub measure: String,
    pub owners: String,
    pub items: String,
}

/// A file with a problem.
#[derive(Debug, Serialize)]
pub struct ProblemRow {
    pub set: String,
    pub id: String,
    pub item: String,
    pub path: String,
    pub problems: String,
}

/// The same content in more than one place.
#[derive(Debug, Serialize)]
pub struct DuplicateRow {
    pub sha256: String,
    pub files: String,
    pub measures: String,
}

/// What one department must still supply or fix for one measure.
#[derive(Debug, Serialize)]
pub struct EvidenceTask {
    pub set: String,
    pub id: String,
    pub measure: String,
    /// Required items no good file backs.
    pub supply: String,
    /// Files to fix, with their problems.
    pub fix: String,
}

fn problem_text(labels: &Labels, f: &EvidenceFileJson) -> String {
    let sep = label(labels, "sep");
    f.problems
        .iter()
        .map(|p| {
            let key = serde_json::to_value(p)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            label(labels, &format!("ev_problem.{key}"))
        })
        .collect::<Vec<_>>()
        .join(&sep)
}

fn is_good(f: &EvidenceFileJson) -> bool {
    !f.problems.iter().any(|p| p.spoils())
}

/// A file as the documents list it.
pub fn file_line(labels: &Labels, f: &EvidenceFileJson) -> FileLine {
    let problems = problem_text(labels, f);
    let date = f.date.clone().unwrap_or_default();
    let mut notes = Vec::new();
    if let Some(p) = f.pages {
        notes.push(fill(&label(labels, "ev_pages"), &[("n", p.to_string())]));
    }
    if !date.is_empty() {
        notes.push(date.clone());
    }
    if !problems.is_empty() {
        notes.push(format!(
            "{}{}{problems}",
            label(labels, "ev_problem_label"),
            label(labels, "colon")
        ));
    }
    let text = if notes.is_empty() {
        f.path.clone()
    } else {
        format!(
            "{}{}{}{}",
            f.path,
            label(labels, "lparen"),
            notes.join(" · "),
            label(labels, "rparen")
        )
    };
    FileLine {
        path: f.path.clone(),
        kind: label(labels, &format!("ev_kind.{}", f.kind.key())),
        pages: f.pages,
        date,
        good: is_good(f),
        problems,
        text,
    }
}

/// The files of a measure that back `item` (or other material for `None`).
pub fn files_for(labels: &Labels, m: &MeasureJson, item: Option<&str>) -> Vec<FileLine> {
    m.evidence_files
        .iter()
        .flatten()
        .filter(|f| f.item.as_deref() == item)
        .map(|f| file_line(labels, f))
        .collect()
}

/// The evidence section, when an evidence folder was read.
pub fn view(labels: &Labels, report: &Report<'_>) -> Option<EvidenceView> {
    let e = report.evidence.as_ref()?;
    let sep = label(labels, "sep");
    let problem_files = report.summary.evidence_problems.unwrap_or(0);
    let summary = fill(
        &label(labels, "ev_summary"),
        &[
            ("root", e.root.clone()),
            ("files", e.files.to_string()),
            ("matched", e.matched.to_string()),
            ("orphans", e.orphans.len().to_string()),
            ("problems", problem_files.to_string()),
        ],
    );
    let mut claimed_missing = Vec::new();
    let mut problems = Vec::new();
    for m in &report.measures {
        let lacking = m.evidence_claimed_missing.as_deref().unwrap_or(&[]);
        if !lacking.is_empty() {
            claimed_missing.push(ClaimRow {
                set: m.set.to_string(),
                id: m.id.to_string(),
                measure: m.measure.to_string(),
                owners: m.owners.join(&sep),
                items: lacking.join(&sep),
            });
        }
        for f in m.evidence_files.iter().flatten() {
            if !f.problems.is_empty() {
                problems.push(ProblemRow {
                    set: m.set.to_string(),
                    id: m.id.to_string(),
                    item: f.item.clone().unwrap_or_else(|| label(labels, "ev_other")),
                    path: f.path.clone(),
                    problems: problem_text(labels, f),
                });
            }
        }
    }
    // Duplicates, by content: files (and measures) that hold the same bytes.
    let mut by_hash: std::collections::BTreeMap<&str, Vec<(&MeasureJson, &str)>> =
        Default::default();
    for m in &report.measures {
        for f in m.evidence_files.iter().flatten() {
            if let Some(h) = &f.sha256
                && f.bytes > 0
            {
                by_hash.entry(h).or_default().push((m, &f.path));
            }
        }
    }
    let duplicates = by_hash
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(h, v)| {
            let mut measures: Vec<String> = v
                .iter()
                .map(|(m, _)| format!("{} {}", m.set, m.id))
                .collect();
            measures.dedup();
            DuplicateRow {
                sha256: h.chars().take(12).collect(),
                files: v.iter().map(|(_, p)| *p).collect::<Vec<_>>().join("\n"),
                measures: measures.join(&sep),
            }
        })
        .collect();
    Some(EvidenceView {
        root: e.root.clone(),
        period: format!("{} – {}", e.period.from, e.period.to),
        summary,
        claimed_missing,
        problems,
        orphans: e.orphans.clone(),
        duplicates,
    })
}

/// What one department must supply or fix, measure by measure, when a folder was read.
pub fn tasks_for(labels: &Labels, report: &Report<'_>, owner: &str) -> Vec<EvidenceTask> {
    if report.evidence.is_none() {
        return Vec::new();
    }
    let sep = label(labels, "sep");
    report
        .measures
        .iter()
        .filter(|m| m.owners.iter().any(|o| o == owner))
        .filter_map(|m| {
            let fix: Vec<String> = m
                .evidence_files
                .iter()
                .flatten()
                .filter(|f| !f.problems.is_empty())
                .map(|f| file_line(labels, f).text)
                .collect();
            if m.evidence_missing.is_empty() && fix.is_empty() {
                return None;
            }
            Some(EvidenceTask {
                set: m.set.to_string(),
                id: m.id.to_string(),
                measure: m.measure.to_string(),
                supply: m.evidence_missing.join(&sep),
                fix: fix.join("\n"),
            })
        })
        .collect()
}
