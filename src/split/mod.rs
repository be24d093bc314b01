//! `dossier split`: one workbook per lead department (督办), for the office to send out
//! and the departments to fill in and send back.
//!
//! The town office does not fill the measure workbook alone: each lead department
//! reports on its own measures. A department gets only its measures (a measure with two
//! leads goes to both), the cells it may change unlocked and white, everything else
//! locked and grey, a drop-down of the status terms, and a hidden key per row (set, id
//! and a fingerprint of the measure text) so the returned sheet can be merged back row
//! by row even after people sort, filter or insert rows. Beside each sheet goes the
//! department's task sheet PDF, rendered by the same template as a build's
//! `owner-tasks.pdf`.
//!
//! A split sheet is itself a workbook in the contract's layout (its column headers are
//! the contract's words in the document language), so `dossier check` reads a returned
//! sheet like any other workbook: the department's measures, judged.

pub mod names;
pub(crate) mod sheet;

use crate::analysis::{Analysis, Judged};
use crate::limits::Limits;
use crate::model::{Measure, Workbook};
use crate::output::{BuildFolder, OutputError};
use crate::pipeline::{PipelineError, Unit};
use crate::render::context::{Labels, label};
use crate::render::pdf::font::Font;
use crate::render::templates::Templates;
use crate::render::{self, DocKind, RenderError};
use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;
use unicode_normalization::UnicodeNormalization;

pub use sheet::{COLUMNS, Column, HEADER_ROW, KEY_HEADER, workbook as department_workbook};

/// The `schema` of `split.json`, and the custom document property every split sheet
/// carries, so a returned file can be told from any other workbook.
pub const SCHEMA: &str = "dossier.split/2";

/// The schema of manifests written before the sent values were recorded: still a
/// split's own folder, still read by a merge (without a base).
pub const SCHEMA_V1: &str = "dossier.split/1";

/// The manifest written beside the sheets: which department got which files and keys.
/// It is also how a later split knows the folder is its own to replace.
pub const MANIFEST: &str = "split.json";

/// Why a split stopped. Nothing is written then.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    /// No measure names a lead department: there is no one to send a sheet to.
    #[error("{0}: no measure names a lead department (责任单位), so there is nothing to split")]
    NoDepartments(String),
    /// rust_xlsxwriter refused the workbook (a limit of the format, say).
    #[error("{file}: cannot make the workbook: {message}")]
    Xlsx {
        /// The file as it would have been named in the output folder.
        file: String,
        message: String,
    },
    /// The output folder could not be begun or swapped in.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A task sheet could not be rendered (templates, labels, font).
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// A finished file could not be written into the staged folder.
    #[error("cannot write {file}: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
}

impl From<RenderError> for SplitError {
    fn from(e: RenderError) -> Self {
        SplitError::Pipeline(e.into())
    }
}

/// How the sheets are made: what the header block says, the language, and whether a
/// task sheet PDF goes beside each.
pub struct SplitOptions<'a> {
    /// The unit as the documents name it (清溪镇).
    pub unit: &'a str,
    /// The date the departments must return their sheet by (`--due`).
    pub due: Option<NaiveDate>,
    /// Who to ask or return the sheet to (`--contact`).
    pub contact: Option<&'a str>,
    /// Sheet protection password; `None` protects without one, so the office can still
    /// unlock a sheet without having to remember anything.
    pub password: Option<&'a str>,
    /// The labels of the document language: headers, status terms, task sheet.
    pub labels: &'a Labels,
    pub templates: &'a Templates,
    /// The PDF font; `None` writes no task sheet PDFs.
    pub font: Option<&'a Font>,
    pub limits: Limits,
}

/// The key that ties a row of a returned sheet to one measure of the master: set and id
/// say which measure, the fingerprint that its text is still the one sent out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub set: String,
    pub id: String,
    /// The first 8 hex digits of SHA-256 over the measure text after NFKC.
    pub fingerprint: String,
}

impl Key {
    /// The key of a measure as read from the master.
    pub fn of(measure: &Measure) -> Key {
        Key {
            set: measure.set.clone(),
            id: measure.id.clone(),
            fingerprint: fingerprint(&measure.text),
        }
    }

    /// The key as its hidden cell holds it: a JSON array `["set","id","fingerprint"]`,
    /// unambiguous whatever characters a set or id contains.
    pub fn cell(&self) -> String {
        serde_json::to_string(&[&self.set, &self.id, &self.fingerprint]).expect("strings serialise")
    }

    /// Reads a key cell back; `None` when it is not one (edited, or another column).
    pub fn parse(cell: &str) -> Option<Key> {
        let [set, id, fingerprint]: [String; 3] = serde_json::from_str(cell.trim()).ok()?;
        let hex = fingerprint.len() == 8 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit());
        hex.then_some(Key {
            set,
            id,
            fingerprint,
        })
    }
}

/// The short fingerprint of a measure's text: enough to notice that a row's text is not
/// the measure it claims to be, short enough to sit in a cell.
pub fn fingerprint(text: &str) -> String {
    let normal: String = text.nfkc().collect();
    let digest = Sha256::digest(normal.trim().as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// One department's share: its measures in the order its sheet lists them.
pub struct Department<'j, 'a> {
    /// The lead department as the workbook names it (after NFKC and trimming).
    pub name: String,
    /// The file stem of its sheet and task sheet: the name made safe for Windows, and
    /// distinct from every other department's.
    pub stem: String,
    /// Open and missing-evidence measures first (worst gap, then nearest deadline), then
    /// the rest; within each, workbook order.
    pub measures: Vec<&'j Judged<'a>>,
}

/// Whether a measure goes in the first block of a department's sheet: it owes work or
/// evidence.
fn needs_work(j: &Judged<'_>) -> bool {
    j.measure.status.class.is_open() || !j.evidence_missing.is_empty()
}

/// The departments of a unit, by name, each with its measures in sheet order.
pub fn departments<'j, 'a>(analysis: &'j Analysis<'a>) -> Vec<Department<'j, 'a>> {
    let names: BTreeSet<&str> = analysis
        .measures
        .iter()
        .flat_map(|j| j.measure.owners.iter().map(String::as_str))
        .filter(|n| !n.trim().is_empty())
        .collect();
    let stems = names::stems(names.iter().copied());
    names
        .into_iter()
        .zip(stems)
        .map(|(name, stem)| {
            let mut measures: Vec<(usize, &Judged<'a>)> = analysis
                .measures
                .iter()
                .enumerate()
                .filter(|(_, j)| j.measure.owners.iter().any(|o| o == name))
                .collect();
            measures.sort_by_key(|(i, j)| {
                (
                    !needs_work(j),
                    j.worst().map_or(3, |s| s as u8),
                    j.days_left.unwrap_or(i64::MAX),
                    *i,
                )
            });
            Department {
                name: name.to_string(),
                stem,
                measures: measures.into_iter().map(|(_, j)| j).collect(),
            }
        })
        .collect()
}

/// `split.json`: what the split wrote, for people and for `merge`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub unit: String,
    pub as_of: String,
    pub due: Option<String>,
    /// Which master the sheets were split from: its file names and a fingerprint of its
    /// measures, so a merge can say when returns meet a master they were not made from.
    #[serde(default)]
    pub master: Option<MasterPrint>,
    pub departments: Vec<ManifestDepartment>,
    /// Measures that name no lead department, so went to no sheet.
    pub unassigned: usize,
}

/// One department in `split.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ManifestDepartment {
    pub name: String,
    pub xlsx: String,
    pub pdf: Option<String>,
    pub measures: usize,
    pub open: usize,
    /// The keys of its rows, in sheet order.
    pub keys: Vec<Key>,
    /// What each row was sent with, in sheet order: the base a merge compares a return
    /// with when the return has lost its own base sheet.
    #[serde(default)]
    pub sent: Vec<Sent>,
}

/// The master a split was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterPrint {
    pub files: Vec<String>,
    /// SHA-256 (hex) over every measure's key and updatable values, in master order.
    pub fingerprint: String,
}

/// One row as it was sent: its key and the values of the cells the department may
/// change, as the sheet's cells held them (a deadline as `2026-12-31` or the continuous
/// word, evidence in hand in the document language's words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    pub key: Key,
    pub status: String,
    pub progress: String,
    pub deadline: String,
    pub evidence_ready: String,
}

impl Sent {
    /// What the sheet sends for `m`, in the words of `labels`.
    pub fn of(m: &Measure, labels: &Labels) -> Sent {
        Sent {
            key: Key::of(m),
            status: m.status.text.clone(),
            progress: m.progress.clone().unwrap_or_default(),
            deadline: match m.deadline {
                Some(d) => d.to_string(),
                None if m.continuous => label(labels, "continuous"),
                None => String::new(),
            },
            evidence_ready: sheet::ready_text(&m.evidence_ready, labels),
        }
    }
}

/// The fingerprint of a master's measures: what a split records and a merge compares.
pub fn master_fingerprint(measures: &[Measure]) -> String {
    let mut hash = Sha256::new();
    for m in measures {
        let ready = format!("{:?}", m.evidence_ready);
        let deadline = format!("{:?}/{}", m.deadline, m.continuous);
        let progress = m.progress.as_deref().unwrap_or("");
        for part in [
            Key::of(m).cell().as_str(),
            m.status.text.as_str(),
            progress,
            deadline.as_str(),
            ready.as_str(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What a split did, for the command line's summary.
#[derive(Debug)]
pub struct Outcome {
    pub departments: usize,
    pub files: usize,
    /// Measures with no lead department (in no sheet).
    pub unassigned: usize,
    /// (file name, characters the PDF font lacks).
    pub missing_glyphs: Vec<(String, BTreeSet<char>)>,
}

/// Splits `unit` into `dir`: one sheet (and task sheet PDF) per lead department, and
/// `split.json`. The folder is written whole or not at all, like a build's; a folder
/// holding anything an earlier split did not write is refused.
pub fn split(unit: &Unit, opts: &SplitOptions<'_>, dir: &Path) -> Result<Outcome, SplitError> {
    let folder = BuildFolder::begin_with(dir, &|name| owned_by_split(dir, name))?;
    let analysis = unit.analyse();
    let departments = departments(&analysis);
    if departments.is_empty() {
        let name = unit.input_names.join(", ");
        return Err(SplitError::NoDepartments(name));
    }
    let made: Vec<Result<Made, SplitError>> = departments
        .par_iter()
        .map(|d| make_department(unit, d, opts))
        .collect();
    let mut outcome = Outcome {
        departments: departments.len(),
        files: 0,
        unassigned: analysis
            .measures
            .iter()
            .filter(|j| j.measure.owners.is_empty())
            .count(),
        missing_glyphs: Vec::new(),
    };
    let mut manifest = Manifest {
        schema: SCHEMA.to_string(),
        unit: opts.unit.to_string(),
        as_of: unit.as_of.to_string(),
        due: opts.due.map(|d| d.to_string()),
        master: Some(MasterPrint {
            files: unit.input_names.clone(),
            fingerprint: master_fingerprint(&unit.book.measures),
        }),
        departments: Vec::new(),
        unassigned: outcome.unassigned,
    };
    for (d, made) in departments.iter().zip(made) {
        let made = made?;
        let xlsx = format!("{}.xlsx", d.stem);
        put(&folder, &xlsx, &made.xlsx)?;
        outcome.files += 1;
        let pdf = match made.pdf {
            Some((bytes, missing)) => {
                let name = format!("{}.pdf", d.stem);
                put(&folder, &name, &bytes)?;
                outcome.files += 1;
                if !missing.is_empty() {
                    outcome.missing_glyphs.push((name.clone(), missing));
                }
                Some(name)
            }
            None => None,
        };
        manifest.departments.push(ManifestDepartment {
            name: d.name.clone(),
            xlsx,
            pdf,
            measures: d.measures.len(),
            open: d
                .measures
                .iter()
                .filter(|j| j.measure.status.class.is_open())
                .count(),
            keys: d.measures.iter().map(|j| Key::of(j.measure)).collect(),
            sent: d
                .measures
                .iter()
                .map(|j| Sent::of(j.measure, opts.labels))
                .collect(),
        });
    }
    let mut json = serde_json::to_string_pretty(&manifest).expect("the manifest serialises");
    json.push('\n');
    put(&folder, MANIFEST, json.as_bytes())?;
    outcome.files += 1;
    folder.commit()?;
    Ok(outcome)
}

/// Whether `name` in the output folder `dir` is a file an earlier split wrote: the
/// manifest, and the files the manifest there lists. Anything else is the user's.
fn owned_by_split(dir: &Path, name: &str) -> bool {
    if name == MANIFEST {
        return true;
    }
    let Ok(text) = std::fs::read_to_string(dir.join(MANIFEST)) else {
        return false;
    };
    let Ok(manifest) = serde_json::from_str::<Manifest>(&text) else {
        return false;
    };
    (manifest.schema == SCHEMA || manifest.schema == SCHEMA_V1)
        && manifest
            .departments
            .iter()
            .any(|d| d.xlsx == name || d.pdf.as_deref() == Some(name))
}

fn put(folder: &BuildFolder, name: &str, bytes: &[u8]) -> Result<(), SplitError> {
    folder
        .write_file(name, &mut |w| w.write_all(bytes))
        .map_err(|source| SplitError::Write {
            file: folder.shown(name),
            source,
        })
}

/// One department's files, made in memory.
struct Made {
    xlsx: Vec<u8>,
    pdf: Option<(Vec<u8>, BTreeSet<char>)>,
}

fn make_department(
    unit: &Unit,
    d: &Department<'_, '_>,
    opts: &SplitOptions<'_>,
) -> Result<Made, SplitError> {
    let xlsx = sheet::workbook(d, unit.as_of, opts).map_err(|e| SplitError::Xlsx {
        file: format!("{}.xlsx", d.stem),
        message: e.to_string(),
    })?;
    let pdf = match opts.font {
        Some(font) => Some(task_sheet_pdf(unit, d, opts, font)?),
        None => None,
    };
    Ok(Made { xlsx, pdf })
}

/// The department's task sheet as PDF: the build's owner task sheet template, rendered
/// over the department's measures alone (each listed for this department only, so a
/// co-lead's section does not appear), judged the same way. Returns the bytes and the
/// characters the font lacks.
pub fn task_sheet_pdf(
    unit: &Unit,
    d: &Department<'_, '_>,
    opts: &SplitOptions<'_>,
    font: &Font,
) -> Result<(Vec<u8>, BTreeSet<char>), SplitError> {
    let measures: Vec<Measure> = d
        .measures
        .iter()
        .map(|j| Measure {
            owners: vec![d.name.clone()],
            ..j.measure.clone()
        })
        .collect();
    let part = Unit {
        book: Workbook {
            measures,
            sheets: unit.book.sheets.clone(),
            diagnostics: Vec::new(),
        },
        as_of: unit.as_of,
        evidence: None,
        evidence_dir: None,
        input_names: unit.input_names.clone(),
        stem: unit.stem.clone(),
    };
    let analysis = part.analyse();
    let report = part.report(&analysis);
    let sources = render::context::Sources {
        book: &part.book,
        analysis: &analysis,
        report: &report,
        labels: opts.labels,
        unit: opts.unit,
    };
    let prepared = render::prepare(sources, opts.templates)?;
    let doc = &prepared.document(DocKind::OwnerTasks, &opts.limits)?;
    let title = crate::render::context::fill(
        &label(opts.labels, "split.task_sheet"),
        &[("department", d.name.clone())],
    );
    // The renderer adds the department (the section's heading) to the running header.
    let header_left = format!("{} · {}", opts.unit, doc.title);
    let header_right = format!("{} {}", label(opts.labels, "as_of"), prepared.head.as_of);
    let page_of = label(opts.labels, "page_of");
    let lang = label(opts.labels, "lang");
    let pdf_opts = render::pdf::PdfOptions {
        paper: render::pdf::Paper::A4,
        landscape: false,
        header_left: &header_left,
        header_right: &header_right,
        page_of: &page_of,
        title: &format!("{} {title}", opts.unit),
        author: opts.unit,
        created: crate::pipeline::created(unit.as_of),
        lang: &lang,
    };
    let mut bytes = Vec::new();
    let missing =
        render::pdf::render_to(&doc.markdown, &prepared.charts, font, &pdf_opts, &mut bytes)
            .map_err(PipelineError::from)?;
    render::check_size(&format!("{}.pdf", d.stem), &bytes, &opts.limits)?;
    Ok((bytes, missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::status::{Classified, Vocabulary};
    use crate::render::Lang;

    #[test]
    fn every_language_offers_known_status_terms_and_contract_headers() {
        let templates = Templates::default();
        for lang in [Lang::ZhCn, Lang::ZhTw, Lang::En] {
            let labels = render::labels(&templates, lang).unwrap();
            let terms = labels["split"]["statuses"].as_array().unwrap();
            assert_eq!(terms.len(), 6, "{}", lang.tag());
            let vocabulary = Vocabulary::default();
            for term in terms {
                let term = term.as_str().unwrap();
                assert!(
                    matches!(vocabulary.classify(term), Classified::Known(_)),
                    "{}: {term} is not a status term",
                    lang.tag()
                );
            }
            for column in COLUMNS.iter().filter(|c| !["gaps", "key"].contains(&c.key)) {
                let header = label(&labels, &format!("split.col_{}", column.key));
                let field = crate::ingest::fields::match_header(&header);
                assert_eq!(
                    field.map(|f| f.name()),
                    Some(column.key),
                    "{}: header {header}",
                    lang.tag()
                );
            }
        }
    }

    /// A sheet read back by the ordinary reader (what `check` and a merge use) gives
    /// every measure with its own key in the key column.
    #[test]
    fn the_reader_reads_each_row_back_with_its_key() {
        use crate::config::Config;
        use crate::pipeline::{UnitSpec, read_unit};
        let as_of = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let spec = UnitSpec {
            inputs: vec![root.join("inputs/qingxi-town.xlsx")],
            as_of,
            evidence: None,
            period: None,
        };
        let config = Config::default();
        let unit = read_unit(&spec, &config).unwrap();
        let analysis = unit.analyse();
        let templates = Templates::default();
        let labels = render::labels(&templates, render::Lang::ZhCn).unwrap();
        let opts = SplitOptions {
            unit: "清溪镇",
            due: None,
            contact: Some("=HYPERLINK(\"x\")"),
            password: None,
            labels: &labels,
            templates: &templates,
            font: None,
            limits: config.limits,
        };
        let tmp = tempfile::tempdir().unwrap();
        for d in departments(&analysis) {
            let path = tmp.path().join(format!("{}.xlsx", d.stem));
            std::fs::write(&path, sheet::workbook(&d, as_of, &opts).unwrap()).unwrap();
            let read = crate::ingest::read_inputs(
                &[path],
                &crate::ingest::ReadOptions {
                    as_of,
                    vocabulary: config.vocabulary(),
                    limits: config.limits,
                },
            )
            .unwrap();
            assert_eq!(read.measures.len(), d.measures.len(), "{}", d.name);
            for (m, j) in read.measures.iter().zip(&d.measures) {
                let (_, cell) = m
                    .extras
                    .iter()
                    .find(|(h, _)| h == KEY_HEADER)
                    .expect("a key column");
                assert_eq!(Key::parse(cell), Some(Key::of(j.measure)));
                assert_eq!(Key::of(m), Key::of(j.measure));
                assert_eq!(m.status, j.measure.status);
                assert_eq!(m.deadline, j.measure.deadline);
                assert_eq!(m.continuous, j.measure.continuous);
                assert_eq!(m.evidence_ready, j.measure.evidence_ready);
                assert_eq!(m.progress, j.measure.progress);
            }
        }
    }

    #[test]
    fn a_key_cell_reads_back_and_nothing_else_does() {
        let key = Key {
            set: "市78条\",[x]".into(),
            id: "3.2".into(),
            fingerprint: fingerprint("加强 安全"),
        };
        assert_eq!(Key::parse(&key.cell()), Some(key.clone()));
        assert_eq!(key.fingerprint.len(), 8);
        assert_eq!(fingerprint("ＡＢ"), fingerprint("AB"));
        for bad in ["", "3", "[\"a\",\"b\"]", "[\"a\",\"b\",\"xyz\"]", "=1+1"] {
            assert_eq!(Key::parse(bad), None, "{bad}");
        }
    }
}
