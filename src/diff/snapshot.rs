//! One side of a comparison: the parts of a `report.json` (`dossier.report/1`) that
//! progress is measured on, whichever way the side was given — a workbook run through the
//! one-unit pipeline, a `report.json`, or a build's output folder holding one. A workbook
//! side goes through the same JSON value as a written report, so a workbook and the
//! report built from it always compare the same.

use super::DiffError;
use crate::config::Config;
use crate::evidence::Period;
use crate::ingest::{self, FileError};
use crate::model::StatusClass;
use crate::pipeline::{self, UnitSpec};
use crate::report;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};

/// A snapshot of one unit: what a `report.json` says, plus where it came from.
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    /// The side as the user gave it, for messages.
    #[serde(skip)]
    pub source: String,
    /// The side as outputs name it, independent of where it sits (like `report.json`'s
    /// inputs, so outputs are the same on every machine): a workbook's file name, an
    /// output folder's name with a `/`, `<folder>/report.json`.
    #[serde(skip)]
    pub name: String,
    /// What outputs about this side are named after: a workbook's stem, an output
    /// folder's name (also for the `report.json` inside one).
    #[serde(skip)]
    pub stem: String,
    pub schema: String,
    pub as_of: String,
    #[serde(default)]
    pub inputs: Vec<String>,
    pub summary: SummarySnap,
    #[serde(default)]
    pub sets: Vec<GroupSnap>,
    #[serde(default)]
    pub owners: Vec<GroupSnap>,
    #[serde(default)]
    pub sheets: Vec<SheetSnap>,
    pub measures: Vec<MeasureSnap>,
}

/// The overall figures of a snapshot.
#[derive(Debug, Clone, Deserialize)]
pub struct SummarySnap {
    pub measures: usize,
    #[serde(default)]
    pub applicable: usize,
    pub score: Option<f64>,
    pub grade: Option<String>,
    #[serde(default)]
    pub open: usize,
    #[serde(default)]
    pub overdue: usize,
    #[serde(default)]
    pub veto_open: usize,
    #[serde(default)]
    pub evidence_missing: usize,
}

/// A set's or an owner's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupSnap {
    pub name: String,
    #[serde(default)]
    pub measures: usize,
    #[serde(default)]
    pub open: usize,
    #[serde(default)]
    pub overdue: usize,
    pub score: Option<f64>,
}

/// A sheet's title row: what names the unit.
#[derive(Debug, Clone, Deserialize)]
pub struct SheetSnap {
    #[serde(default)]
    pub title: Option<String>,
}

/// One measure as judged in the snapshot.
#[derive(Debug, Clone, Deserialize)]
pub struct MeasureSnap {
    pub set: String,
    pub id: String,
    pub measure: String,
    #[serde(default)]
    pub owners: Vec<String>,
    #[serde(deserialize_with = "status_class")]
    pub status: StatusClass,
    pub credit: Option<f64>,
    pub deadline: Option<String>,
    /// The deadline cell says the measure is long-term (长期坚持).
    #[serde(default)]
    pub continuous: bool,
    pub days_left: Option<i64>,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub evidence_missing: Vec<String>,
    pub evidence_state: Option<String>,
    pub evidence_found: Option<Vec<String>>,
    #[serde(default)]
    pub gaps: Vec<GapSnap>,
}

/// A gap of a measure, by kind (`overdue`, `veto_open`, …).
#[derive(Debug, Clone, Deserialize)]
pub struct GapSnap {
    pub kind: String,
}

impl MeasureSnap {
    /// Whether the measure carries an overdue gap.
    pub fn is_overdue(&self) -> bool {
        self.gaps.iter().any(|g| g.kind == "overdue")
    }

    /// The required items in hand, or `None` when nothing is known (no evidence-ready
    /// column, a blank cell): the evidence folder's word when one was read, else the
    /// required items less the missing ones.
    pub fn in_hand(&self) -> Option<Vec<&str>> {
        if let Some(found) = &self.evidence_found {
            return Some(
                self.evidence
                    .iter()
                    .filter(|e| found.contains(e))
                    .map(String::as_str)
                    .collect(),
            );
        }
        if self.evidence_state.as_deref() == Some("unknown") {
            return None;
        }
        Some(
            self.evidence
                .iter()
                .filter(|e| !self.evidence_missing.contains(e))
                .map(String::as_str)
                .collect(),
        )
    }
}

fn status_class<'de, D: Deserializer<'de>>(d: D) -> Result<StatusClass, D::Error> {
    let key = String::deserialize(d)?;
    StatusClass::from_key(&key)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown status class {key:?}")))
}

impl Snapshot {
    /// Reads a snapshot from `report.json` text; `source` names it in messages.
    pub fn from_json(text: &str, source: &str, stem: &str) -> Result<Snapshot, DiffError> {
        let not_a_report = |reason: String| DiffError::NotAReport {
            path: source.to_string(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| not_a_report(e.to_string()))?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(report::SCHEMA) => {}
            Some(other) => return Err(not_a_report(format!("its schema is {other:?}"))),
            None => return Err(not_a_report("it has no schema".into())),
        }
        let mut value = value;
        cut_strings(&mut value, crate::limits::Limits::default().cell_chars);
        Self::from_value(value, source, stem)
    }

    fn from_value(
        value: serde_json::Value,
        source: &str,
        stem: &str,
    ) -> Result<Snapshot, DiffError> {
        let mut snap: Snapshot =
            serde_json::from_value(value).map_err(|e| DiffError::NotAReport {
                path: source.to_string(),
                reason: e.to_string(),
            })?;
        snap.source = source.to_string();
        snap.name = source.to_string();
        snap.stem = stem.to_string();
        Ok(snap)
    }

    /// The unit the sheet titles name (清溪镇落实… → 清溪镇), if any does.
    pub fn unit(&self) -> Option<String> {
        crate::render::context::unit_from_titles(
            self.sheets.iter().filter_map(|s| s.title.as_deref()),
        )
    }

    /// The as-of date, when it reads as one.
    pub fn as_of_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.as_of, "%Y-%m-%d").ok()
    }
}

/// How a workbook side is read (a report's judgement is already in it).
#[derive(Debug, Clone)]
pub struct LoadOptions<'a> {
    /// The date a workbook side is judged against.
    pub as_of: NaiveDate,
    /// The evidence folder of a workbook side.
    pub evidence: Option<PathBuf>,
    /// The assessment period for that folder [default: the config's, else from the as-of].
    pub period: Option<Period>,
    pub config: &'a Config,
}

/// What a side is, told by looking at it.
enum Kind {
    Folder(PathBuf),
    Report,
    Workbook,
}

fn kind_of(path: &Path) -> Kind {
    if path.is_dir() {
        return Kind::Folder(path.join("report.json"));
    }
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if json { Kind::Report } else { Kind::Workbook }
}

/// The name of the folder `path` sits in, or names, as given.
fn folder_name(path: &Path) -> Option<String> {
    let named = if path.is_dir() {
        Some(path)
    } else {
        path.parent()
    };
    let name = named?.file_name()?.to_string_lossy().into_owned();
    Some(name)
}

/// A side as outputs name it: the file name, with the folder's name for a folder or a
/// `report.json` in one.
fn display_name(path: &Path) -> String {
    match kind_of(path) {
        Kind::Folder(_) => match folder_name(path) {
            Some(name) => format!("{name}/"),
            None => ingest::display_name(path),
        },
        Kind::Report if path.file_name().is_some_and(|n| n == "report.json") => {
            match folder_name(path) {
                Some(name) => format!("{name}/report.json"),
                None => "report.json".into(),
            }
        }
        _ => ingest::display_name(path),
    }
}

/// What outputs about a side are named after: a workbook's stem, an output folder's
/// name (also for the `report.json` inside one), else a report's stem.
pub fn output_stem(path: &Path) -> String {
    let stem = pipeline::first_stem(&[path.to_path_buf()]);
    match kind_of(path) {
        Kind::Folder(_) => folder_name(path).unwrap_or(stem),
        Kind::Report if path.file_name().is_some_and(|n| n == "report.json") => {
            folder_name(path).unwrap_or(stem)
        }
        _ => stem,
    }
}

/// Loads one side: a build's output folder (its `report.json`), a `report.json`, or a
/// workbook run through the one-unit pipeline (read, judge, report) with `options`.
pub fn load_side(path: &Path, options: &LoadOptions<'_>) -> Result<Snapshot, DiffError> {
    let mut snap = read_side(path, options)?;
    snap.name = display_name(path);
    Ok(snap)
}

fn read_side(path: &Path, options: &LoadOptions<'_>) -> Result<Snapshot, DiffError> {
    let source = path.display().to_string();
    let stem = output_stem(path);
    match kind_of(path) {
        Kind::Folder(report) => {
            if !report.is_file() {
                return Err(DiffError::NoReport { path: source });
            }
            read_report(&report, &source, &stem, options)
        }
        Kind::Report => read_report(path, &source, &stem, options),
        Kind::Workbook => {
            let spec = UnitSpec {
                inputs: vec![path.to_path_buf()],
                as_of: options.as_of,
                evidence: options.evidence.clone(),
                period: options.period,
            };
            let unit = pipeline::read_unit(&spec, options.config)?;
            let analysis = unit.analyse();
            let report = unit.report(&analysis);
            let value = serde_json::to_value(&report).expect("report serialises");
            Snapshot::from_value(value, &source, &stem)
        }
    }
}

/// Cuts every string of a parsed `report.json` to `max` characters. Every text dossier
/// writes there came from one cell, which reading cuts to `cell_chars`; a longer one
/// was written by hand, and one string of four million newlines would otherwise cost a
/// gigabyte in the progress report's tables.
fn cut_strings(value: &mut serde_json::Value, max: usize) {
    match value {
        serde_json::Value::String(s) => {
            crate::ingest::grid::cut_text(s, max);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| cut_strings(v, max)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| cut_strings(v, max)),
        _ => {}
    }
}

/// Reads a `report.json` under the `input_bytes` bound, regular files only.
fn read_report(
    path: &Path,
    source: &str,
    stem: &str,
    options: &LoadOptions<'_>,
) -> Result<Snapshot, DiffError> {
    let bytes = ingest::read_regular(path, options.config.limits.input_bytes).map_err(|error| {
        FileError {
            file: path.display().to_string(),
            error,
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|_| DiffError::NotAReport {
        path: source.to_string(),
        reason: "it is not UTF-8 text".into(),
    })?;
    Snapshot::from_json(&text, source, stem)
}
