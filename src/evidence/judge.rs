//! From files to judgement: which required items are really in hand, which claims of
//! the workbook no file backs, and a diagnostic for every problem the contract names.
//! Pure: what [`super::read_folder`] found in, judgement out.

use super::inspect::{DateSource, Kind, Problem};
use super::{EvidenceOptions, FolderRead, Period};
use crate::ingest::cells::missing_evidence;
use crate::model::{Diagnostic, EvidenceReady, Location, Measure, Severity, StatusClass};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One file that belongs to a measure, judged.
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    pub path: String,
    /// The required item it supports; `None` for other material (其他材料).
    pub item: Option<String>,
    pub kind: Kind,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub pages: Option<u32>,
    pub date: Option<NaiveDate>,
    pub date_source: Option<DateSource>,
    /// The file's own problems, in the contract's order.
    pub problems: Vec<Problem>,
    /// Why it is unreadable or encrypted, when it is.
    pub reason: Option<String>,
    /// Where it is on disk.
    pub source: PathBuf,
}

impl EvidenceFile {
    /// Good: non-empty, readable and not encrypted (a stale file is still good).
    pub fn is_good(&self) -> bool {
        !self.problems.iter().any(|p| p.spoils())
    }
}

/// The evidence folder judged against the measures.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub root: String,
    pub period: Period,
    /// Files considered (not ignored) and their total size.
    pub files: usize,
    pub bytes: u64,
    /// Files assigned to a measure.
    pub matched: usize,
    /// Paths of files no measure claims, sorted.
    pub orphans: Vec<String>,
    /// Per measure (aligned with the measures), its files sorted by path.
    pub by_measure: Vec<Vec<EvidenceFile>>,
    /// Per measure, the required items in hand, in the order of its `evidence`.
    pub found: Vec<Vec<String>>,
    /// Per measure, items the workbook claims that no good file backs.
    pub claimed_missing: Vec<Vec<String>>,
    /// Assigned files with at least one problem.
    pub problem_files: usize,
    pub diagnostics: Vec<Diagnostic>,
}

impl Judgement {
    /// One line for the command line: what the folder held and how much of it counts.
    pub fn summary_line(&self) -> String {
        crate::msg!(
            "evidence {}: {} files, {} matched to measures, {} with problems, {} orphans",
            self.root,
            self.files,
            self.matched,
            self.problem_files,
            self.orphans.len()
        )
    }
}

/// Evidence diagnostics sort after the workbook's, in path order.
const ORDER: usize = usize::MAX / 2;

fn at_file(path: &str, n: usize) -> Location {
    Location {
        file: path.to_string(),
        sheet: None,
        cell: None,
        order: (ORDER, n),
    }
}

fn at_measure(m: &Measure, n: usize) -> Location {
    Location {
        file: m.source.file.clone(),
        sheet: m.source.sheet.clone(),
        cell: None,
        order: (ORDER, n),
    }
}

/// The items a measure's workbook row says are in hand.
fn claimed(m: &Measure) -> Vec<String> {
    match &m.evidence_ready {
        EvidenceReady::Unknown | EvidenceReady::Nothing => Vec::new(),
        EvidenceReady::All => m.evidence.clone(),
        ready @ EvidenceReady::Items(_) => {
            let missing = missing_evidence(&m.evidence, ready);
            m.evidence
                .iter()
                .filter(|e| !missing.contains(e))
                .cloned()
                .collect()
        }
    }
}

/// Judges what was read: items in hand, claims, problems, duplicates and orphans.
pub fn judge(read: FolderRead, measures: &[Measure], options: &EvidenceOptions) -> Judgement {
    let period = options.period;
    let mut by_measure: Vec<Vec<EvidenceFile>> = vec![Vec::new(); measures.len()];
    let mut orphans = Vec::new();
    let mut bytes = 0u64;
    let files = read.files.len();
    for f in read.files {
        bytes += f.inspection.as_ref().map_or(f.bytes, |i| i.bytes);
        let (Some(a), Some(ins)) = (f.assignment, f.inspection) else {
            orphans.push(f.path);
            continue;
        };
        let m = &measures[a.measure];
        let mut problems = ins.problems.clone();
        let date = ins.date;
        if let Some((d, _)) = date
            && ins.bytes > 0
            && (d < period.from || d > period.to || d > options.as_of)
        {
            problems.push(Problem::Stale);
        }
        problems.sort();
        by_measure[a.measure].push(EvidenceFile {
            path: f.path,
            item: f.item.and_then(|i| m.evidence.get(i).cloned()),
            kind: ins.kind,
            bytes: ins.bytes,
            sha256: ins.sha256,
            pages: ins.pages,
            date: date.map(|(d, _)| d),
            date_source: date.map(|(_, s)| s),
            problems,
            reason: ins.reason,
            source: f.source,
        });
    }
    orphans.sort();
    for files in &mut by_measure {
        files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    let matched: usize = by_measure.iter().map(Vec::len).sum();

    let mut diagnostics = Vec::new();
    let mut n = 0usize;
    let mut next = || {
        n += 1;
        n
    };
    let mut found = Vec::with_capacity(measures.len());
    let mut claimed_missing = Vec::with_capacity(measures.len());
    let mut problem_files = 0;
    for (m, files) in measures.iter().zip(&by_measure) {
        let in_hand: Vec<String> = m
            .evidence
            .iter()
            .filter(|item| {
                files
                    .iter()
                    .any(|f| f.is_good() && f.item.as_ref() == Some(*item))
            })
            .cloned()
            .collect();
        let label = format!("{} {}", m.set, m.id);
        let mut missing_claims = Vec::new();
        if m.status.class != StatusClass::NotApplicable {
            let claims = claimed(m);
            missing_claims = claims
                .iter()
                .filter(|c| !in_hand.contains(c))
                .cloned()
                .collect();
            if !missing_claims.is_empty() {
                let items = missing_claims.join("、");
                diagnostics.push(
                    Diagnostic::new(
                        Severity::Warning,
                        at_measure(m, next()),
                        format!(
                            "{label}: the workbook says {items} in hand, but no good file in the evidence folder supports it"
                        ),
                    )
                    .with_hint("add the file to the measure's folder, or correct the evidence-in-hand cell")
                    .coded(
                        "evidence_claimed_missing",
                        vec![("measure", label.clone()), ("items", items)],
                    ),
                );
            }
            let says_not = matches!(
                m.evidence_ready,
                EvidenceReady::Nothing | EvidenceReady::Items(_)
            );
            let unclaimed: Vec<&String> = in_hand.iter().filter(|i| !claims.contains(i)).collect();
            if says_not && !unclaimed.is_empty() {
                let items = unclaimed
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("、");
                diagnostics.push(
                    Diagnostic::new(
                        Severity::Info,
                        at_measure(m, next()),
                        format!(
                            "{label}: the evidence folder has {items}, which the workbook does not list as in hand"
                        ),
                    )
                    .with_hint("update the evidence-in-hand cell")
                    .coded(
                        "evidence_unclaimed",
                        vec![("measure", label.clone()), ("items", items)],
                    ),
                );
            }
        }
        for f in files {
            if !f.problems.is_empty() {
                problem_files += 1;
            }
            for p in &f.problems {
                let (message, hint, args) = match p {
                    Problem::Empty => (
                        "the file is empty (0 bytes)".to_string(),
                        "replace it with the real document",
                        vec![],
                    ),
                    Problem::Unreadable => (
                        format!(
                            "the file cannot be opened: {}",
                            f.reason.as_deref().unwrap_or("it does not parse")
                        ),
                        "save or scan it again",
                        vec![("reason", f.reason.clone().unwrap_or_default())],
                    ),
                    Problem::Encrypted => (
                        "the file is password-protected".to_string(),
                        "save a copy without a password; inspectors cannot open it",
                        vec![],
                    ),
                    Problem::Stale => {
                        let d = f.date.map(|d| d.to_string()).unwrap_or_default();
                        (
                            format!(
                                "dated {d}, outside the assessment period {}..{}",
                                period.from,
                                period.to.min(options.as_of)
                            ),
                            "use a document from the assessment period",
                            vec![("date", d)],
                        )
                    }
                };
                let mut args = args;
                args.insert(0, ("measure", label.clone()));
                diagnostics.push(
                    Diagnostic::new(Severity::Warning, at_file(&f.path, next()), message)
                        .with_hint(hint)
                        .coded(p.code(), args),
                );
            }
        }
        found.push(in_hand);
        claimed_missing.push(missing_claims);
    }

    // Duplicates: the same content (non-empty, hashed) in two or more places.
    let mut by_hash: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
    for (mi, files) in by_measure.iter().enumerate() {
        for f in files {
            if let Some(h) = &f.sha256
                && f.bytes > 0
            {
                by_hash.entry(h).or_default().push((mi, &f.path));
            }
        }
    }
    for (hash, places) in &by_hash {
        if places.len() < 2 {
            continue;
        }
        let mut ms: Vec<usize> = places.iter().map(|(m, _)| *m).collect();
        ms.dedup();
        let name = |mi: usize| format!("{} {}", measures[mi].set, measures[mi].id);
        if ms.len() >= 2 {
            let list = ms.iter().map(|&m| name(m)).collect::<Vec<_>>().join(", ");
            let paths = places
                .iter()
                .map(|(_, p)| *p)
                .collect::<Vec<_>>()
                .join(", ");
            diagnostics.push(
                Diagnostic::new(
                    Severity::Info,
                    at_file(places[0].1, next()),
                    format!(
                        "the same file (sha256 {}) backs {list}: {paths}",
                        &hash[..12]
                    ),
                )
                .coded(
                    "evidence_duplicate",
                    vec![("measures", list.clone()), ("files", paths)],
                ),
            );
        }
        for &m in &ms {
            let here: Vec<&str> = places
                .iter()
                .filter(|(pm, _)| *pm == m)
                .map(|(_, p)| *p)
                .collect();
            if here.len() >= 2 {
                let paths = here.join(", ");
                diagnostics.push(
                    Diagnostic::new(
                        Severity::Warning,
                        at_file(here[0], next()),
                        format!(
                            "{} holds the same file {} times: {paths}",
                            name(m),
                            here.len()
                        ),
                    )
                    .with_hint("keep one copy")
                    .coded(
                        "evidence_duplicate",
                        vec![("measure", name(m)), ("files", paths)],
                    ),
                );
            }
        }
    }

    if !orphans.is_empty() {
        let first: Vec<&str> = orphans.iter().take(10).map(String::as_str).collect();
        let more = if orphans.len() > 10 { ", …" } else { "" };
        diagnostics.push(
            Diagnostic::new(
                Severity::Info,
                at_file(&read.root, next()),
                format!(
                    "{} files belong to no measure: {}{more}",
                    orphans.len(),
                    first.join(", ")
                ),
            )
            .with_hint("name them by set and id, or move them into a measure's folder")
            .coded(
                "evidence_orphan",
                vec![
                    ("count", orphans.len().to_string()),
                    ("files", first.join(", ")),
                ],
            ),
        );
    }
    // Links that cannot be followed and Windows shortcuts: pointers, not files.
    let pointers = [
        (
            &read.scan_outside,
            "a link to outside the evidence folder (or to nothing), skipped",
            "evidence_outside",
        ),
        (
            &read.scan_shortcuts,
            "a Windows shortcut (.lnk), not the file it points to, skipped",
            "evidence_shortcut",
        ),
    ];
    for (paths, message, code) in pointers {
        for path in paths {
            diagnostics.push(
                Diagnostic::new(Severity::Warning, at_file(path, next()), message)
                    .with_hint("copy the file into the folder instead of linking to it")
                    .coded(code, vec![]),
            );
        }
    }
    for path in &read.scan_bad_names {
        diagnostics.push(
            Diagnostic::new(
                Severity::Warning,
                at_file(path, next()),
                "the name is not valid UTF-8 (shown with � for the bytes that are not)",
            )
            .with_hint("rename it; it is packed under a safe name")
            .coded("evidence_bad_name", vec![]),
        );
    }
    for (path, reason) in &read.scan_unreadable {
        diagnostics.push(
            Diagnostic::new(
                Severity::Warning,
                at_file(path, next()),
                format!("the folder cannot be read: {reason}"),
            )
            .coded(
                "evidence_unreadable",
                vec![("measure", String::new()), ("reason", reason.clone())],
            ),
        );
    }

    Judgement {
        root: read.root,
        period,
        files,
        bytes,
        matched,
        orphans,
        by_measure,
        found,
        claimed_missing,
        problem_files,
        diagnostics,
    }
}
