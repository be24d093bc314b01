//! The league table's data (`summary.json`, schema `dossier.summary/1`), computed from the
//! per-unit `report.json` texts alone: a batch digests each unit's report as it is
//! written and keeps only the digest, and `dossier summary DIR…` digests the files the
//! shards wrote, so both give the same bytes. Units are ordered by score (descending,
//! then name); sums over units are taken in name order, so the figures never depend on
//! which job finished first.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// The schema name written into every summary.
pub const SCHEMA: &str = "dossier.summary/1";

/// What a league table needs of one unit's `report.json`: its figures, the measures it
/// has open and its owners' scores. Small, so thousands can be kept.
#[derive(Debug, Clone)]
pub struct Digest {
    pub name: String,
    pub as_of: String,
    pub score: Option<f64>,
    pub grade: Option<String>,
    pub measures: usize,
    pub open: usize,
    pub overdue: usize,
    pub veto_open: usize,
    pub evidence_missing: usize,
    /// (set, id, measure text) of every open measure, in report order.
    pub open_measures: Vec<(String, String, String)>,
    /// (owner, score) from the report's `owners`.
    pub owners: Vec<(String, Option<f64>)>,
    /// The change since the previous run's report of this unit (`--previous DIR`).
    pub since_last: Option<SinceLast>,
}

/// A unit's change since the previous run (`--previous DIR`), from the two report.json
/// texts through [`crate::diff::compare`], so the league table and `dossier diff` agree.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SinceLast {
    pub score_before: Option<f64>,
    pub grade_before: Option<String>,
    /// Measures whose status earns more credit than before.
    pub improved: usize,
    /// Measures whose status earns less.
    pub regressed: usize,
    /// Measures that became done or ongoing.
    pub done: usize,
    /// Measures overdue now and not before.
    pub newly_overdue: usize,
}

/// The change from a unit's previous `report.json` text to its current one; None when
/// the two cannot be compared (not reports, or no measure in common).
pub fn since_last(previous: &[u8], current: &[u8], name: &str) -> Option<SinceLast> {
    use crate::diff::Snapshot;
    let old = Snapshot::from_json(std::str::from_utf8(previous).ok()?, "previous", name).ok()?;
    let new = Snapshot::from_json(std::str::from_utf8(current).ok()?, "current", name).ok()?;
    let d = crate::diff::compare(&old, &new).ok()?;
    Some(SinceLast {
        score_before: d.score_before,
        grade_before: d.grade_before.clone(),
        improved: d.improved.len(),
        regressed: d.regressed.len(),
        done: d.done.len(),
        newly_overdue: d.newly_overdue.len(),
    })
}

/// The previous run's report.json of unit `name` under `root`, when there is one (a
/// missing one is a unit new since then, not an error; it is read within `limit` bytes).
pub fn previous_report(root: &Path, name: &str, limit: u64) -> Option<Vec<u8>> {
    crate::ingest::read_regular(&root.join(name).join("report.json"), limit).ok()
}

/// The part of `report.json` a digest reads; every other key is ignored.
#[derive(Deserialize)]
struct ReportIn {
    as_of: String,
    summary: SummaryIn,
    owners: Vec<OwnerIn>,
    measures: Vec<MeasureIn>,
}

#[derive(Deserialize)]
struct SummaryIn {
    measures: usize,
    score: Option<f64>,
    grade: Option<String>,
    open: usize,
    overdue: usize,
    veto_open: usize,
    evidence_missing: usize,
}

#[derive(Deserialize)]
struct OwnerIn {
    name: String,
    score: Option<f64>,
}

#[derive(Deserialize)]
struct MeasureIn {
    set: String,
    id: String,
    measure: String,
    status: String,
}

/// The most a previous report.json is read to (a report of 50,000 measures is 65 MB).
pub const PREVIOUS_BYTES: u64 = 512 * 1024 * 1024;

/// Statuses that count a measure as open (as `summary.open` counts them).
const OPEN_STATUSES: [&str; 3] = ["partial", "not_started", "unknown"];

/// Digests one unit's `report.json` text.
pub fn digest(name: &str, report_json: &[u8]) -> Result<Digest, serde_json::Error> {
    let r: ReportIn = serde_json::from_slice(report_json)?;
    Ok(Digest {
        name: name.to_string(),
        as_of: r.as_of,
        score: r.summary.score,
        grade: r.summary.grade,
        measures: r.summary.measures,
        open: r.summary.open,
        overdue: r.summary.overdue,
        veto_open: r.summary.veto_open,
        evidence_missing: r.summary.evidence_missing,
        open_measures: r
            .measures
            .into_iter()
            .filter(|m| OPEN_STATUSES.contains(&m.status.as_str()))
            .map(|m| (m.set, m.id, m.measure))
            .collect(),
        owners: r.owners.into_iter().map(|o| (o.name, o.score)).collect(),
        since_last: None,
    })
}

/// [`digest`], with the change since `previous` (the previous run's report.json text).
pub fn digest_since(
    name: &str,
    report_json: &[u8],
    previous: Option<&[u8]>,
) -> Result<Digest, serde_json::Error> {
    let mut d = digest(name, report_json)?;
    d.since_last = previous.and_then(|p| since_last(p, report_json, name));
    Ok(d)
}

/// One unit's row of the league table: figures when built, else null figures and the
/// one-line reason. New columns (a change since the previous run, say) are added here
/// and in `summary.md`; rows are made only in [`League::new`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnitRow {
    pub name: String,
    pub score: Option<f64>,
    pub grade: Option<String>,
    pub measures: Option<usize>,
    pub open: Option<usize>,
    pub overdue: Option<usize>,
    pub veto_open: Option<usize>,
    pub evidence_missing: Option<usize>,
    /// Null, or why the unit could not be built (one line).
    pub failed: Option<String>,
    /// With `--previous DIR`: the change since that run (absent without it, and for a
    /// unit the previous run did not have).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_last: Option<SinceLast>,
}

/// A measure open in several units (共性问题).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommonGap {
    pub set: String,
    pub id: String,
    pub measure: String,
    pub units_open: usize,
}

/// A lead department across units: in how many units it leads measures, and the mean
/// of its scores there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OwnerRow {
    pub name: String,
    pub units: usize,
    pub score: Option<f64>,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct League {
    pub schema: String,
    pub as_of: String,
    /// Built units by score (descending, null last), then name; failed units after them,
    /// by name.
    pub units: Vec<UnitRow>,
    /// Measures open in at least one unit, most often open first, then by set and id.
    pub common_gaps: Vec<CommonGap>,
    /// Lead departments, lowest mean score first (null last), then name.
    pub owners: Vec<OwnerRow>,
}

/// A unit that could not be built, and why.
#[derive(Debug, Clone)]
pub struct Failed {
    pub name: String,
    pub reason: String,
}

/// Compares ids as people number them: numbers by value (`9` before `10`), then text.
fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// One line, whatever the error said: newlines would break the table and the log.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl League {
    /// The league table of these units as of `as_of` (used when no unit was built).
    pub fn new(mut built: Vec<Digest>, mut failed: Vec<Failed>, as_of: &str) -> League {
        built.sort_by(|a, b| a.name.cmp(&b.name));
        failed.sort_by(|a, b| a.name.cmp(&b.name));
        let as_of = built
            .first()
            .map_or_else(|| as_of.to_string(), |d| d.as_of.clone());

        // Common gaps, keyed by set and id after NFKC; the words shown are those of the
        // first unit (by name) that has the measure open.
        let mut gaps: BTreeMap<(String, String), (CommonGap, usize)> = BTreeMap::new();
        // Owner scores, in unit-name order.
        let mut owners: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
        for d in &built {
            let mut seen = std::collections::BTreeSet::new();
            for (set, id, measure) in &d.open_measures {
                let key = (
                    set.nfkc().collect::<String>(),
                    id.nfkc().collect::<String>(),
                );
                if !seen.insert(key.clone()) {
                    continue;
                }
                let entry = gaps.entry(key).or_insert_with(|| {
                    (
                        CommonGap {
                            set: set.clone(),
                            id: id.clone(),
                            measure: measure.clone(),
                            units_open: 0,
                        },
                        0,
                    )
                });
                entry.0.units_open += 1;
            }
            for (name, score) in &d.owners {
                let e = owners.entry(name.clone()).or_default();
                e.0 += 1;
                if let Some(s) = score {
                    e.1.push(*s);
                }
            }
        }
        let mut common_gaps: Vec<CommonGap> = gaps.into_values().map(|(g, _)| g).collect();
        common_gaps.sort_by(|a, b| {
            b.units_open
                .cmp(&a.units_open)
                .then_with(|| a.set.cmp(&b.set))
                .then_with(|| id_order(&a.id, &b.id))
        });
        let mut owners: Vec<OwnerRow> = owners
            .into_iter()
            .map(|(name, (units, scores))| OwnerRow {
                name,
                units,
                score: (!scores.is_empty())
                    .then(|| scores.iter().sum::<f64>() / scores.len() as f64),
            })
            .collect();
        // Lowest mean first (the departments to talk to), without a score last.
        owners.sort_by(|a, b| match (a.score, b.score) {
            (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.name.cmp(&b.name)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.name.cmp(&b.name),
        });

        let mut units: Vec<UnitRow> = built
            .into_iter()
            .map(|d| UnitRow {
                name: d.name,
                score: d.score,
                grade: d.grade,
                measures: Some(d.measures),
                open: Some(d.open),
                overdue: Some(d.overdue),
                veto_open: Some(d.veto_open),
                evidence_missing: Some(d.evidence_missing),
                failed: None,
                since_last: d.since_last,
            })
            .collect();
        units.sort_by(|a, b| score_order(a.score, b.score).then_with(|| a.name.cmp(&b.name)));
        units.extend(failed.into_iter().map(|f| UnitRow {
            name: f.name,
            score: None,
            grade: None,
            measures: None,
            open: None,
            overdue: None,
            veto_open: None,
            evidence_missing: None,
            failed: Some(one_line(&f.reason)),
            since_last: None,
        }));
        League {
            schema: SCHEMA.to_string(),
            as_of,
            units,
            common_gaps,
            owners,
        }
    }

    /// `summary.json` as written: pretty, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("summary serialises");
        text.push('\n');
        text
    }
}

/// Higher scores first, units without a score after those with one.
fn score_order(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// Why `dossier summary` cannot make a league table of some folders.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{path}: {error}")]
    Io {
        path: String,
        #[source]
        error: std::io::Error,
    },
    #[error("{path}: not a dossier report or summary: {error}")]
    Json { path: String, error: String },
    /// A unit name in a `summary.json` that is no plain folder name (`../outside`, an
    /// absolute path): reading `<folder>/<name>/report.json` would read outside it.
    #[error(
        "{path}: unit name {name:?} cannot name a unit's folder (no /, \\, leading dot or control characters)"
    )]
    BadName { path: String, name: String },
    #[error("unit {name:?} is in both {first} and {second}; give each unit's folder once")]
    Twice {
        name: String,
        first: String,
        second: String,
    },
    #[error(
        "{path}: neither a unit's output folder (report.json) nor a batch's (summary.json, or unit folders)"
    )]
    Empty { path: String },
    #[error("the reports are of different dates: {first} is as of {a}, {second} as of {b}")]
    Dates {
        first: String,
        a: String,
        second: String,
        b: String,
    },
}

/// What `collect` found in the output folders.
pub struct Collected {
    /// The built units' digests, by name.
    pub digests: Vec<Digest>,
    /// The units their runs could not build, by name.
    pub failed: Vec<Failed>,
    /// The as-of date the first `summary.json` names (for a table of failures only).
    pub as_of: Option<String>,
}

/// The digests and failures found in the output folders of batches or shards (or of
/// single units): a folder with `summary.json` holds the units that list names, each
/// built one in `<folder>/<name>/report.json`; a folder with `report.json` is one unit
/// named after the folder; any other folder holds a unit in every subfolder with a
/// `report.json`.
///
/// With `previous` (the previous run's output root), each unit's change since then.
pub fn collect(dirs: &[PathBuf], previous: Option<&Path>) -> Result<Collected, CollectError> {
    let io = |path: &Path, error| CollectError::Io {
        path: path.display().to_string(),
        error,
    };
    let mut units: Vec<(String, PathBuf, Option<String>)> = Vec::new();
    let mut as_of_failed = None;
    for dir in dirs {
        let listed = dir.join("summary.json");
        let report = dir.join("report.json");
        let mut found: Vec<(String, PathBuf, Option<String>)> = Vec::new();
        if listed.is_file() {
            let limit = crate::limits::Limits::default().input_bytes;
            let text =
                crate::ingest::read_regular(&listed, limit).map_err(|e| CollectError::Json {
                    path: listed.display().to_string(),
                    error: e.to_string(),
                })?;
            let league: League = serde_json::from_slice(&text).map_err(|e| CollectError::Json {
                path: listed.display().to_string(),
                error: e.to_string(),
            })?;
            as_of_failed.get_or_insert(league.as_of.clone());
            for u in league.units {
                if !super::project::valid_name(&u.name) {
                    return Err(CollectError::BadName {
                        path: listed.display().to_string(),
                        name: u.name,
                    });
                }
                let path = dir.join(&u.name).join("report.json");
                found.push((u.name, path, u.failed));
            }
        } else if report.is_file() {
            let name = std::fs::canonicalize(dir)
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            found.push((name, report, None));
        } else {
            let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| io(dir, e))?;
                let path = entry.path().join("report.json");
                if path.is_file() {
                    found.push((entry.file_name().to_string_lossy().into_owned(), path, None));
                }
            }
            if found.is_empty() {
                return Err(CollectError::Empty {
                    path: dir.display().to_string(),
                });
            }
        }
        for (name, path, failed) in found {
            if let Some((_, other, _)) = units.iter().find(|(n, _, _)| *n == name) {
                return Err(CollectError::Twice {
                    name,
                    first: other.display().to_string(),
                    second: path.display().to_string(),
                });
            }
            units.push((name, path, failed));
        }
    }
    units.sort_by(|a, b| a.0.cmp(&b.0));
    let mut digests: Vec<Digest> = Vec::new();
    let mut failed = Vec::new();
    let mut first: Option<(String, String)> = None;
    for (name, path, why) in units {
        if let Some(reason) = why {
            failed.push(Failed { name, reason });
            continue;
        }
        let text = std::fs::read(&path).map_err(|e| io(&path, e))?;
        let before = previous.and_then(|root| previous_report(root, &name, PREVIOUS_BYTES));
        let d = digest_since(&name, &text, before.as_deref()).map_err(|e| CollectError::Json {
            path: path.display().to_string(),
            error: e.to_string(),
        })?;
        match &first {
            None => first = Some((path.display().to_string(), d.as_of.clone())),
            Some((p, a)) if *a != d.as_of => {
                return Err(CollectError::Dates {
                    first: p.clone(),
                    a: a.clone(),
                    second: path.display().to_string(),
                    b: d.as_of,
                });
            }
            Some(_) => {}
        }
        digests.push(d);
    }
    Ok(Collected {
        digests,
        failed,
        as_of: as_of_failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(name: &str, score: Option<f64>, open: &[&str]) -> Digest {
        Digest {
            name: name.into(),
            as_of: "2026-12-15".into(),
            score,
            grade: None,
            measures: 3,
            open: open.len(),
            overdue: 0,
            veto_open: 0,
            evidence_missing: 0,
            open_measures: open
                .iter()
                .map(|id| ("市78条".to_string(), id.to_string(), format!("m{id}")))
                .collect(),
            owners: vec![("应急办".into(), score)],
            since_last: None,
        }
    }

    #[test]
    fn ranks_by_score_then_name_with_failures_last() {
        let l = League::new(
            vec![
                d("b", Some(80.0), &["2", "10"]),
                d("a", Some(80.0), &["10"]),
                d("c", None, &[]),
                d("d", Some(90.0), &["２"]),
            ],
            vec![Failed {
                name: "0".into(),
                reason: "bad\nfile".into(),
            }],
            "2026-12-15",
        );
        let names: Vec<&str> = l.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["d", "a", "b", "c", "0"]);
        assert_eq!(l.units[4].failed.as_deref(), Some("bad file"));
        let gaps: Vec<(&str, usize)> = l
            .common_gaps
            .iter()
            .map(|g| (g.id.as_str(), g.units_open))
            .collect();
        assert_eq!(gaps, [("2", 2), ("10", 2)]);
        assert_eq!(l.owners[0].units, 4);
        assert!((l.owners[0].score.unwrap() - 250.0 / 3.0).abs() < 1e-9);
    }
}
