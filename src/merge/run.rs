//! `dossier merge` as a library call: read the master and the returned files, plan,
//! write the merged workbook and the merge log. Nothing is written until everything is
//! made, each file lands whole (written beside its place, then renamed), and the master
//! is only ever read.

use super::log::{self, LogError, LogInput};
use super::workbook::{self, Words};
use super::xlsx::{EditError, MasterXlsx};
use super::{Plan, Refusal, ReturnedFile};
use crate::ingest::{self, FileError, ReadOptions, display_name};
use crate::render::context::Labels;
use crate::render::templates::Templates;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a merge reads and where it writes.
pub struct MergeOptions<'a> {
    pub master: &'a Path,
    pub returned: &'a [PathBuf],
    /// The merged workbook.
    pub output: &'a Path,
    /// The folder the merge log goes into.
    pub log_dir: &'a Path,
    pub read: &'a ReadOptions,
    /// The document language's labels: new column headers, the log.
    pub labels: &'a Labels,
    pub templates: &'a Templates,
    /// The unit as the log names it [default: the master's sheet titles, else its stem].
    pub unit: Option<&'a str>,
}

/// What a merge did, for the command line's summary.
#[derive(Debug)]
pub struct Outcome {
    /// Changes written into the merged workbook.
    pub applied: usize,
    /// Updates, rows and files not taken (each has a line in the log).
    pub refused: usize,
    pub conflicts: usize,
    /// Whether the master was edited in place (xlsx) or written in the contract's layout.
    pub edited: bool,
    /// Columns the master lacked and the merge added (sheet, header, cell).
    pub added_columns: Vec<(String, String, String)>,
    /// The files written: the merged workbook, then the log.
    pub written: Vec<PathBuf>,
}

/// Why a merge stopped. Nothing is written then.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The master cannot be read as a measure workbook.
    #[error(transparent)]
    Master(FileError),
    #[error(
        "{0}: the merged workbook would replace the master, which a merge never changes; give -o another path"
    )]
    SameAsMaster(String),
    #[error("{file}: cannot edit the workbook: {source}")]
    Edit { file: String, source: EditError },
    #[error("{file}: cannot make the merged workbook: {message}")]
    Xlsx { file: String, message: String },
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("cannot write {file}: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
}

/// The default merged workbook: `out/<master stem>-merged.<xlsx|xlsm>`, beside the
/// output folders of builds.
pub fn default_output(master: &Path) -> PathBuf {
    let stem = crate::pipeline::first_stem(&[master.to_path_buf()]);
    let ext = match master.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("xlsm") => "xlsm",
        _ => "xlsx",
    };
    Path::new("out").join(format!("{stem}-merged.{ext}"))
}

/// Merges the returned files into the master and writes the merged workbook and log.
pub fn merge(opts: &MergeOptions<'_>) -> Result<Outcome, MergeError> {
    let master_name = display_name(opts.master);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(opts.master, opts.output) {
        return Err(MergeError::SameAsMaster(opts.output.display().to_string()));
    }
    let master = ingest::read_inputs(&[opts.master], opts.read).map_err(MergeError::Master)?;
    let returned: Vec<Result<ReturnedFile, Refusal>> = opts
        .returned
        .iter()
        .map(|path| {
            let name = display_name(path);
            match ingest::read_inputs(&[path], opts.read) {
                Ok(book) => Ok(ReturnedFile { name, book }),
                Err(e) => Err(Refusal::Unreadable {
                    file: name,
                    message: e.error.to_string(),
                }),
            }
        })
        .collect();
    let (readable, unreadable): (Vec<_>, Vec<_>) = returned.into_iter().partition(Result::is_ok);
    let readable: Vec<ReturnedFile> = readable.into_iter().filter_map(Result::ok).collect();
    let mut plan: Plan = super::plan(&master.measures, &readable);
    for r in unreadable.into_iter().filter_map(Result::err) {
        if let Refusal::Unreadable { file, .. } = &r {
            plan.departments.push((file.clone(), None));
        }
        plan.refusals.push(r);
    }

    let words = Words::new(opts.labels);
    let out_name = display_name(opts.output);
    let bytes = ingest::read_regular(opts.master, opts.read.limits.input_bytes).map_err(|e| {
        MergeError::Master(FileError {
            file: master_name.clone(),
            error: e,
        })
    })?;
    let limit = opts.read.limits.zip_part_bytes;
    let (merged_bytes, applied, written_refusals, added, edited) =
        match MasterXlsx::open(&bytes, limit) {
            Ok(book) => {
                let merged =
                    workbook::edit_xlsx(&book, &master, &plan, &words).map_err(|source| {
                        MergeError::Edit {
                            file: master_name.clone(),
                            source,
                        }
                    })?;
                (
                    merged.bytes,
                    merged.applied,
                    merged.refused,
                    merged.added_columns,
                    true,
                )
            }
            Err(_) => {
                let measures = super::apply(&master.measures, &plan);
                let bytes = workbook::contract_layout(&master, &measures, &words).map_err(|e| {
                    MergeError::Xlsx {
                        file: out_name.clone(),
                        message: e.to_string(),
                    }
                })?;
                (
                    bytes,
                    (0..plan.changes.len()).collect(),
                    Vec::new(),
                    Vec::new(),
                    false,
                )
            }
        };
    drop(bytes);
    let mut refusals = plan.refusals.clone();
    refusals.extend(written_refusals);
    let conflicts = refusals
        .iter()
        .filter(|r| matches!(r, Refusal::Conflict { .. }))
        .count();

    let stem = crate::pipeline::first_stem(&[opts.master.to_path_buf()]);
    let unit = crate::render::context::unit_name(opts.unit, &master, &stem);
    let as_of = opts.read.as_of.to_string();
    let input = LogInput {
        master_name: &master_name,
        merged_name: &out_name,
        unit: &unit,
        as_of: &as_of,
        master: &master.measures,
        plan: &plan,
        applied: &applied,
        refusals: &refusals,
        added_columns: &added,
    };
    let ctx = log::context(&input, opts.labels);
    let logs = log::render(&ctx, opts.templates, &opts.read.limits)?;

    let mut files = vec![(opts.output.to_path_buf(), merged_bytes)];
    files.extend(
        logs.into_iter()
            .map(|(name, bytes)| (opts.log_dir.join(name), bytes)),
    );
    for (path, bytes) in &files {
        write_whole(path, bytes)?;
    }
    Ok(Outcome {
        applied: applied.len(),
        refused: refusals.len(),
        conflicts,
        edited,
        added_columns: added,
        written: files.into_iter().map(|(p, _)| p).collect(),
    })
}

/// Writes `bytes` to `path` whole or not at all: into a temporary file in the same
/// folder, then renamed over it. Messages name the file, never the temporary one.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), MergeError> {
    let fail = |source| MergeError::Write {
        file: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".dossier-merge-")
        .tempfile_in(&dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
