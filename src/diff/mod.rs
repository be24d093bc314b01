//! Progress between two snapshots of one unit (`dossier diff OLD NEW`): which measures
//! improved, regressed, got done or became overdue, which evidence items came into hand
//! or were lost, which measures were added or removed, and the score and grade before and
//! after, overall, per set and per owner.
//!
//! [`compare`] is pure: two [`Snapshot`]s in, a [`Diff`] out, no I/O, so a batch can call
//! it per unit (a league table's change since last run) as well as `dossier diff`.
//! [`load_side`] reads a side (workbook, `report.json` or output folder) and
//! [`document`] renders the progress report and `diff.json`.
//!
//! Measures are matched by set and id after NFKC, then the rest by identical measure
//! text (NFKC, trimmed) within the same set. The rules for the lists are in docs/decisions.md.

pub mod document;
mod snapshot;

pub use snapshot::{
    GapSnap, GroupSnap, LoadOptions, MeasureSnap, SheetSnap, Snapshot, SummarySnap, load_side,
    output_stem,
};

use crate::ingest::FileError;
use crate::model::StatusClass;
use crate::pipeline::PipelineError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;

/// The schema name written into every `diff.json`.
pub const SCHEMA: &str = "dossier.diff/1";

/// Why two snapshots cannot be compared: comparing them would report every measure as
/// added and removed, or one unit's progress against another's, which reads as progress
/// but is not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadPair {
    /// The sheet titles of the two sides name different units.
    #[error(
        "{old} ({old_unit}) and {new} ({new_unit}) are not the same unit; diff compares two snapshots of one unit"
    )]
    DifferentUnits {
        old: String,
        old_unit: String,
        new: String,
        new_unit: String,
    },
    /// No measure of one side matches one of the other, by set and id or by text.
    #[error(
        "{old} and {new} have no measure in common (matched by set and id, then by text); diff compares two snapshots of one unit"
    )]
    NothingInCommon { old: String, new: String },
}

/// Why `dossier diff` could not produce its comparison.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// A workbook side could not be read or judged.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// A `report.json` side could not be read.
    #[error(transparent)]
    Input(#[from] FileError),
    /// A side is JSON but not a dossier report.
    #[error("{path}: not a dossier report.json (schema dossier.report/1): {reason}")]
    NotAReport { path: String, reason: String },
    /// A folder side without `report.json`.
    #[error(
        "{path}: a folder without report.json; give a workbook, a report.json or a build's output folder"
    )]
    NoReport { path: String },
    /// A side lies inside the output folder, which is replaced whole: writing would
    /// delete the snapshot being compared.
    #[error("{side} is inside the output folder {out}, which diff replaces whole; give another -o")]
    SideInOutput { side: String, out: String },
    /// The two sides are not two snapshots of one unit.
    #[error(transparent)]
    BadPair(#[from] BadPair),
}

/// One side's figures as `diff.json` repeats them.
#[derive(Debug, Clone, Serialize)]
pub struct SideSummary {
    /// The side by name: a workbook's file name, `<folder>/` for an output folder,
    /// `<folder>/report.json` (never the whole path, so outputs do not depend on it).
    pub source: String,
    /// The unit the sheet titles name, if any.
    pub unit: Option<String>,
    pub as_of: String,
    pub measures: usize,
    pub applicable: usize,
    pub open: usize,
    pub overdue: usize,
    pub veto_open: usize,
    pub evidence_missing: usize,
    pub score: Option<f64>,
    pub grade: Option<String>,
    /// What outputs are named after (not in `diff.json`).
    #[serde(skip)]
    pub stem: String,
}

/// A measure whose standing changed (or that was added or removed): `before` and
/// `after` are status classes, null on the side where the measure is absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub set: String,
    pub id: String,
    pub measure: String,
    pub owners: Vec<String>,
    pub before: Option<StatusClass>,
    pub after: Option<StatusClass>,
    pub credit_before: Option<f64>,
    pub credit_after: Option<f64>,
    /// The deadline on the newer side (the older one for a removed measure).
    pub deadline: Option<String>,
    /// True when the deadline cell says the measure is long-term (长期坚持).
    pub continuous: bool,
    /// Days from the newer side's as-of date to the deadline; negative when overdue.
    pub days_left: Option<i64>,
}

/// An evidence item of a measure that came into hand or was lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceChange {
    pub set: String,
    pub id: String,
    pub measure: String,
    pub item: String,
}

/// A set's or an owner's figures on both sides (null where absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupChange {
    pub name: String,
    pub measures_before: Option<usize>,
    pub measures_after: Option<usize>,
    pub score_before: Option<f64>,
    pub score_after: Option<f64>,
    pub open_before: Option<usize>,
    pub open_after: Option<usize>,
    pub overdue_before: Option<usize>,
    pub overdue_after: Option<usize>,
}

/// The comparison of two snapshots: `diff.json` (`dossier.diff/1`).
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub schema: &'static str,
    pub before: SideSummary,
    pub after: SideSummary,
    pub score_before: Option<f64>,
    pub score_after: Option<f64>,
    /// `score_after - score_before`, when both are known.
    pub score_change: Option<f64>,
    pub grade_before: Option<String>,
    pub grade_after: Option<String>,
    /// Measures found on both sides.
    pub matched: usize,
    /// Matched measures earning more credit than before (both sides applicable).
    pub improved: Vec<Change>,
    /// Matched measures earning less credit than before (both sides applicable).
    pub regressed: Vec<Change>,
    /// Matched measures whose class changed without a change of credit that counts
    /// (done ↔ ongoing, not_started ↔ unknown, into or out of not_applicable).
    pub changed: Vec<Change>,
    /// Matched measures that are overdue now and were not before.
    pub newly_overdue: Vec<Change>,
    /// Matched measures that became done or ongoing.
    pub done: Vec<Change>,
    /// Measures only the newer side has.
    pub added: Vec<Change>,
    /// Measures only the older side has.
    pub removed: Vec<Change>,
    /// Required items in hand now that were not before, of matched measures.
    pub evidence_gained: Vec<EvidenceChange>,
    /// Items still required that were in hand before and are not now.
    pub evidence_lost: Vec<EvidenceChange>,
    /// Per measure set: the newer side's sets in order, then sets only the older has.
    pub sets: Vec<GroupChange>,
    /// Per lead owner, in the same way.
    pub owners: Vec<GroupChange>,
}

impl Diff {
    /// Whether nothing changed between the two snapshots' measures.
    pub fn is_unchanged(&self) -> bool {
        self.improved.is_empty()
            && self.regressed.is_empty()
            && self.changed.is_empty()
            && self.newly_overdue.is_empty()
            && self.done.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.evidence_gained.is_empty()
            && self.evidence_lost.is_empty()
    }

    /// The one-line summary the command line prints.
    pub fn summary_line(&self) -> String {
        let score = |s: Option<f64>| s.map_or("—".to_string(), |v| format!("{v:.1}"));
        let grade = |g: &Option<String>| g.clone().unwrap_or_else(|| "—".into());
        crate::msg!(
            "score {} → {}, grade {} → {}; {} improved, {} regressed, {} done, {} newly overdue, {} added, {} removed; evidence items {} gained, {} lost",
            score(self.score_before),
            score(self.score_after),
            grade(&self.grade_before),
            grade(&self.grade_after),
            self.improved.len(),
            self.regressed.len(),
            self.done.len(),
            self.newly_overdue.len(),
            self.added.len(),
            self.removed.len(),
            self.evidence_gained.len(),
            self.evidence_lost.len(),
        )
    }
}

/// Refuses an output folder that holds a side (an earlier build's folder given as OLD
/// and as `-o`, say): the folder is replaced whole, so the snapshot would be lost.
pub fn refuse_side_in_output(
    side: &std::path::Path,
    output: &std::path::Path,
) -> Result<(), DiffError> {
    let (Ok(s), Ok(o)) = (std::fs::canonicalize(side), std::fs::canonicalize(output)) else {
        return Ok(());
    };
    if s.starts_with(&o) {
        return Err(DiffError::SideInOutput {
            side: side.display().to_string(),
            out: output.display().to_string(),
        });
    }
    Ok(())
}

/// Text as matching compares it: NFKC, trimmed.
fn norm(text: &str) -> String {
    text.nfkc().collect::<String>().trim().to_string()
}

/// Pairs every measure of `new` with one of `old`: by (set, id) after NFKC first, then
/// the measures left over on both sides by identical text within the same set (provincial
/// and city lists repeat each other's wording, so text alone would pair measures of two
/// lists). Returns, per measure of `new`, the index of its `old` measure.
fn match_measures(old: &[MeasureSnap], new: &[MeasureSnap]) -> Vec<Option<usize>> {
    let mut by_key: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, m) in old.iter().enumerate() {
        by_key
            .entry((norm(&m.set), norm(&m.id)))
            .or_default()
            .push(i);
    }
    let mut used = vec![false; old.len()];
    let mut pairs: Vec<Option<usize>> = new
        .iter()
        .map(|m| {
            let slot = by_key.get(&(norm(&m.set), norm(&m.id)))?;
            let i = slot.iter().copied().find(|&i| !used[i])?;
            used[i] = true;
            Some(i)
        })
        .collect();
    let mut by_text: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, m) in old.iter().enumerate() {
        let text = norm(&m.measure);
        if !used[i] && !text.is_empty() {
            by_text.entry((norm(&m.set), text)).or_default().push(i);
        }
    }
    for (m, pair) in new.iter().zip(pairs.iter_mut()) {
        if pair.is_some() {
            continue;
        }
        let Some(slot) = by_text.get(&(norm(&m.set), norm(&m.measure))) else {
            continue;
        };
        if let Some(i) = slot.iter().copied().find(|&i| !used[i]) {
            used[i] = true;
            *pair = Some(i);
        }
    }
    pairs
}

fn change(old: Option<&MeasureSnap>, new: Option<&MeasureSnap>) -> Change {
    let shown = new.or(old).expect("a change has a side");
    Change {
        set: shown.set.clone(),
        id: shown.id.clone(),
        measure: shown.measure.clone(),
        owners: shown.owners.clone(),
        before: old.map(|m| m.status),
        after: new.map(|m| m.status),
        credit_before: old.and_then(|m| m.credit),
        credit_after: new.and_then(|m| m.credit),
        deadline: shown.deadline.clone(),
        continuous: shown.continuous,
        days_left: shown.days_left,
    }
}

fn side(s: &Snapshot) -> SideSummary {
    SideSummary {
        source: s.name.clone(),
        unit: s.unit(),
        as_of: s.as_of.clone(),
        measures: s.summary.measures,
        applicable: s.summary.applicable,
        open: s.summary.open,
        overdue: s.summary.overdue,
        veto_open: s.summary.veto_open,
        evidence_missing: s.summary.evidence_missing,
        score: s.summary.score,
        grade: s.summary.grade.clone(),
        stem: s.stem.clone(),
    }
}

/// Sets or owners of both sides by NFKC name: the newer side's in order, then the ones
/// only the older side has.
fn groups(old: &[GroupSnap], new: &[GroupSnap]) -> Vec<GroupChange> {
    let find = |groups: &[GroupSnap], name: &str| -> Option<usize> {
        let key = norm(name);
        groups.iter().position(|g| norm(&g.name) == key)
    };
    let row = |o: Option<&GroupSnap>, n: Option<&GroupSnap>| {
        let shown = n.or(o).expect("a group has a side");
        GroupChange {
            name: shown.name.clone(),
            measures_before: o.map(|g| g.measures),
            measures_after: n.map(|g| g.measures),
            score_before: o.and_then(|g| g.score),
            score_after: n.and_then(|g| g.score),
            open_before: o.map(|g| g.open),
            open_after: n.map(|g| g.open),
            overdue_before: o.map(|g| g.overdue),
            overdue_after: n.map(|g| g.overdue),
        }
    };
    let mut seen = BTreeSet::new();
    let mut out: Vec<GroupChange> = new
        .iter()
        .map(|n| {
            let o = find(old, &n.name);
            if let Some(i) = o {
                seen.insert(i);
            }
            row(o.map(|i| &old[i]), Some(n))
        })
        .collect();
    for (i, o) in old.iter().enumerate() {
        if !seen.contains(&i) && find(new, &o.name).is_none() {
            out.push(row(Some(o), None));
        }
    }
    out
}

/// Evidence items that came into hand, and those still required that were lost.
fn evidence_changes(
    old: &MeasureSnap,
    new: &MeasureSnap,
    gained: &mut Vec<EvidenceChange>,
    lost: &mut Vec<EvidenceChange>,
) {
    let keys = |items: Option<Vec<&str>>| -> BTreeSet<String> {
        items.unwrap_or_default().into_iter().map(norm).collect()
    };
    let had = keys(old.in_hand());
    let has = keys(new.in_hand());
    let entry = |item: &str| EvidenceChange {
        set: new.set.clone(),
        id: new.id.clone(),
        measure: new.measure.clone(),
        item: item.to_string(),
    };
    for item in &new.evidence {
        let key = norm(item);
        if has.contains(&key) && !had.contains(&key) {
            gained.push(entry(item));
        } else if had.contains(&key) && !has.contains(&key) {
            lost.push(entry(item));
        }
    }
}

/// Compares two snapshots of one unit. Pure: no I/O, so a batch can call it per unit.
/// Refuses a bad pair: sheet titles naming different units, or no measure in common.
pub fn compare(old: &Snapshot, new: &Snapshot) -> Result<Diff, BadPair> {
    if let (Some(a), Some(b)) = (old.unit(), new.unit())
        && norm(&a) != norm(&b)
    {
        return Err(BadPair::DifferentUnits {
            old: old.source.clone(),
            old_unit: a,
            new: new.source.clone(),
            new_unit: b,
        });
    }
    let pairs = match_measures(&old.measures, &new.measures);
    let matched = pairs.iter().flatten().count();
    if matched == 0 {
        return Err(BadPair::NothingInCommon {
            old: old.source.clone(),
            new: new.source.clone(),
        });
    }
    let mut diff = Diff {
        schema: SCHEMA,
        before: side(old),
        after: side(new),
        score_before: old.summary.score,
        score_after: new.summary.score,
        score_change: old.summary.score.zip(new.summary.score).map(|(a, b)| b - a),
        grade_before: old.summary.grade.clone(),
        grade_after: new.summary.grade.clone(),
        matched,
        improved: Vec::new(),
        regressed: Vec::new(),
        changed: Vec::new(),
        newly_overdue: Vec::new(),
        done: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        evidence_gained: Vec::new(),
        evidence_lost: Vec::new(),
        sets: groups(&old.sets, &new.sets),
        owners: groups(&old.owners, &new.owners),
    };
    let finished = |c: StatusClass| matches!(c, StatusClass::Done | StatusClass::Ongoing);
    for (n, pair) in new.measures.iter().zip(&pairs) {
        let Some(o) = pair.map(|i| &old.measures[i]) else {
            diff.added.push(change(None, Some(n)));
            continue;
        };
        let c = || change(Some(o), Some(n));
        match (o.credit, n.credit) {
            (Some(a), Some(b)) if b > a => diff.improved.push(c()),
            (Some(a), Some(b)) if b < a => diff.regressed.push(c()),
            _ if o.status != n.status => diff.changed.push(c()),
            _ => {}
        }
        if finished(n.status) && !finished(o.status) {
            diff.done.push(c());
        }
        if n.is_overdue() && !o.is_overdue() {
            diff.newly_overdue.push(c());
        }
        evidence_changes(o, n, &mut diff.evidence_gained, &mut diff.evidence_lost);
    }
    let mut used = vec![false; old.measures.len()];
    for i in pairs.iter().flatten() {
        used[*i] = true;
    }
    for (o, used) in old.measures.iter().zip(used) {
        if !used {
            diff.removed.push(change(Some(o), None));
        }
    }
    Ok(diff)
}

/// `diff.json`: pretty JSON with a final newline, fields in a fixed order.
pub fn to_json(diff: &Diff) -> String {
    let mut text = serde_json::to_string_pretty(diff).expect("diff serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn measure(set: &str, id: &str, text: &str, status: &str, credit: Option<f64>) -> Value {
        json!({
            "set": set, "id": id, "measure": text, "owners": ["应急办"], "status": status,
            "credit": credit, "deadline": null, "days_left": null, "evidence": [],
            "evidence_missing": [], "evidence_state": "none_required", "gaps": []
        })
    }

    /// A measure requiring 甲 and 乙, with `fields` laid over it.
    fn with_evidence(id: &str, fields: Value) -> Value {
        let mut m = measure("s", id, id, "done", Some(1.0));
        m["evidence"] = json!(["甲", "乙"]);
        for (k, v) in fields.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    }

    fn snapshot(title: &str, measures: &[Value]) -> Snapshot {
        let mut sets: Vec<Value> = Vec::new();
        for m in measures {
            match sets.iter_mut().find(|s| s["name"] == m["set"]) {
                Some(s) => s["measures"] = json!(s["measures"].as_u64().unwrap() + 1),
                None => sets.push(json!({"name": m["set"], "measures": 1, "score": null})),
            }
        }
        let text = json!({
            "sets": sets,
            "schema": "dossier.report/1", "as_of": "2026-12-15",
            "summary": {"measures": measures.len(), "score": 50.0, "grade": "较差"},
            "sheets": [{"title": title}], "measures": measures
        })
        .to_string();
        Snapshot::from_json(&text, title, "x").unwrap()
    }

    fn ids(v: &[Change]) -> Vec<String> {
        v.iter().map(|c| c.id.clone()).collect()
    }

    #[test]
    fn matches_by_nfkc_id_then_by_text_within_the_set() {
        let old = snapshot(
            "清溪镇落实台账",
            &[
                measure("市78条", "４", "甲", "not_started", Some(0.0)),
                measure("市78条", "9", "乙", "done", Some(1.0)),
                measure("市78条", "10", "丙", "partial", Some(0.5)),
                measure("省65条", "1", "丁", "done", Some(1.0)),
            ],
        );
        let new = snapshot(
            "清溪镇落实台账",
            &[
                measure("市78条", "4", "甲", "done", Some(1.0)),
                measure("市78条", "19", "乙", "not_started", Some(0.0)),
                measure("市78条", "11", "丁", "partial", Some(0.5)),
            ],
        );
        let d = compare(&old, &new).unwrap();
        assert_eq!(d.matched, 2);
        assert_eq!(ids(&d.improved), ["4"]);
        assert_eq!(ids(&d.done), ["4"]);
        assert_eq!(ids(&d.regressed), ["19"]);
        // 丁 moved from 省65条 to 市78条: not the same measure.
        assert_eq!(ids(&d.added), ["11"]);
        assert_eq!(ids(&d.removed), ["10", "1"]);
        assert!(d.changed.is_empty());
        assert_eq!(d.sets.len(), 2);
        assert_eq!(d.sets[1].name, "省65条");
        assert_eq!(d.sets[1].measures_after, None);
    }

    #[test]
    fn bad_pairs_are_refused() {
        let a = snapshot(
            "清溪镇落实台账",
            &[measure("s", "1", "甲", "done", Some(1.0))],
        );
        let b = snapshot(
            "塘厦镇落实台账",
            &[measure("s", "1", "甲", "done", Some(1.0))],
        );
        assert!(matches!(
            compare(&a, &b),
            Err(BadPair::DifferentUnits { .. })
        ));
        let c = snapshot(
            "清溪镇落实台账",
            &[measure("t", "2", "乙", "done", Some(1.0))],
        );
        assert!(matches!(
            compare(&a, &c),
            Err(BadPair::NothingInCommon { .. })
        ));
        assert!(compare(&a, &a).unwrap().is_unchanged());
        // Titles that name no unit are not checked.
        let d = snapshot("台账", &[measure("s", "1", "甲", "done", Some(1.0))]);
        assert!(compare(&a, &d).is_ok());
    }

    #[test]
    fn credit_decides_progress_and_the_rest_is_a_change() {
        let old = snapshot(
            "清溪镇落实台账",
            &[
                measure("s", "1", "甲", "done", Some(1.0)),
                measure("s", "2", "乙", "not_started", Some(0.0)),
                measure("s", "3", "丙", "partial", Some(0.5)),
                measure("s", "4", "丁", "done", Some(1.0)),
                measure("s", "5", "戊", "not_applicable", None),
            ],
        );
        let new = snapshot(
            "清溪镇落实台账",
            &[
                measure("s", "1", "甲", "not_applicable", None),
                measure("s", "2", "乙", "unknown", Some(0.0)),
                measure("s", "3", "丙", "partial", Some(0.75)),
                measure("s", "4", "丁", "ongoing", Some(1.0)),
                measure("s", "5", "戊", "done", Some(1.0)),
            ],
        );
        let d = compare(&old, &new).unwrap();
        assert_eq!(ids(&d.improved), ["3"]);
        assert!(d.regressed.is_empty());
        assert_eq!(ids(&d.changed), ["1", "2", "4", "5"]);
        assert_eq!(ids(&d.done), ["5"]);
    }

    #[test]
    fn evidence_in_hand_by_folder_claim_or_unknown() {
        let old = snapshot(
            "清溪镇落实台账",
            &[
                with_evidence("1", json!({"evidence_state": "unknown"})),
                with_evidence(
                    "2",
                    json!({"evidence_state": "missing", "evidence_missing": ["乙"]}),
                ),
                with_evidence("3", json!({"evidence_state": "complete"})),
                with_evidence("4", json!({"evidence_state": "complete"})),
            ],
        );
        let new = snapshot(
            "清溪镇落实台账",
            &[
                // Unknown before, a claim of both now: both gained.
                with_evidence("1", json!({"evidence_state": "complete"})),
                // The folder backs 乙 only now: 乙 gained, 甲 lost.
                with_evidence(
                    "2",
                    json!({"evidence_state": "missing", "evidence_missing": ["甲"], "evidence_found": ["乙"]}),
                ),
                // Unknown now: both lost.
                with_evidence("3", json!({"evidence_state": "unknown"})),
                // 乙 no longer required: not lost.
                with_evidence(
                    "4",
                    json!({"evidence": ["甲"], "evidence_state": "complete"}),
                ),
            ],
        );
        let d = compare(&old, &new).unwrap();
        let items = |v: &[EvidenceChange]| {
            v.iter()
                .map(|e| format!("{} {}", e.id, e.item))
                .collect::<Vec<_>>()
        };
        assert_eq!(items(&d.evidence_gained), ["1 甲", "1 乙", "2 乙"]);
        assert_eq!(items(&d.evidence_lost), ["2 甲", "3 甲", "3 乙"]);
    }
}
