//! `dossier merge` as a library call: read the master and the returned files, plan,
//! write the merged workbook and the merge log. Nothing is written until everything is
//! made, each file lands whole (written beside its place, then renamed, with the
//! permissions the umask gives any new file), and the master and the returns are only
//! ever read. A file already at an output path is replaced only when an earlier merge
//! wrote it and nobody has changed it since (`merge-log.json` records what was written).

use super::log::{self, LogError, LogInput};
use super::returned::{self, ReadRefusal, ReturnedFile};
use super::workbook::{self, Words};
use super::xlsx::{EditError, MasterXlsx};
use super::{Plan, Refusal, Returned};
use crate::ingest::{self, FileError, InputError, ReadOptions, display_name};
use crate::render::context::Labels;
use crate::render::templates::Templates;
use crate::split::{self, Key, Manifest, Sent};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a merge reads and where it writes.
pub struct MergeOptions<'a> {
    pub master: &'a Path,
    pub returned: &'a [PathBuf],
    /// The split's `split.json` (or its folder): the base of returns that lost their
    /// own, and the departments that never returned.
    pub split: Option<&'a Path>,
    /// The merged workbook.
    pub output: &'a Path,
    /// The folder the merge log goes into.
    pub log_dir: &'a Path,
    /// Write only the log: what the merge would do.
    pub dry_run: bool,
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
    /// Changes written into the merged workbook (or that would be, in a dry run).
    pub applied: usize,
    /// Updates, rows and files not taken (each has a line in the log).
    pub refused: usize,
    pub conflicts: usize,
    /// Whether the master was an xlsx edited in place (else converted to xlsx first).
    pub edited: bool,
    /// What the conversion of a non-xlsx master could not keep.
    pub lost: Vec<&'static str>,
    /// Columns the master lacked and the merge added (sheet, header, cell).
    pub added_columns: Vec<(String, String, String)>,
    /// The files written: the merged workbook (unless a dry run), then the log.
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
    #[error(
        "{0}: the merged workbook would replace a returned file, which a merge never changes; give -o another path"
    )]
    SameAsReturned(String),
    #[error("{0}: no such returned file; nothing was merged")]
    MissingReturn(String),
    #[error(
        "{0}: a file is already there that no earlier merge wrote (or it was changed since); move it away or give another path"
    )]
    WouldOverwrite(String),
    /// The shared rule of every command that writes (`output::refuse_clobbering`).
    #[error("{0}")]
    Output(String),
    #[error("{file}: not a split manifest: {message}")]
    Manifest { file: String, message: String },
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
    crate::pipeline::default_output_named(&stem, &format!("-merged.{ext}"))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The reason code of an unreadable return, for the log's words.
fn input_code(e: &InputError) -> &'static str {
    match e {
        InputError::Io(_) => "io",
        InputError::Empty => "empty",
        InputError::NotRegular(_) => "not_regular",
        InputError::Limit { .. } => "limit",
        InputError::NotSpreadsheet => "not_spreadsheet",
        InputError::Encrypted => "encrypted",
        InputError::Broken(_) => "broken",
        InputError::Encoding(_) => "encoding",
        InputError::NoHeader(_) => "no_header",
    }
}

/// Reads `split.json` (a file, or the split's folder holding it).
fn read_manifest(path: &Path, limit: u64) -> Result<Manifest, MergeError> {
    let path = if path.is_dir() {
        path.join(split::MANIFEST)
    } else {
        path.to_path_buf()
    };
    let fail = |message: String| MergeError::Manifest {
        file: path.display().to_string(),
        message,
    };
    let bytes = ingest::read_regular(&path, limit).map_err(|e| fail(e.to_string()))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
    if manifest.schema != split::SCHEMA && manifest.schema != split::SCHEMA_V1 {
        return Err(fail(format!("its schema is {:?}", manifest.schema)));
    }
    Ok(manifest)
}

/// Merges the returned files into the master and writes the merged workbook and log.
pub fn merge(opts: &MergeOptions<'_>) -> Result<Outcome, MergeError> {
    let master_name = display_name(opts.master);
    if same_file(opts.master, opts.output) {
        return Err(MergeError::SameAsMaster(opts.output.display().to_string()));
    }
    for path in opts.returned {
        if !path.exists() {
            return Err(MergeError::MissingReturn(path.display().to_string()));
        }
        if same_file(path, opts.output) {
            return Err(MergeError::SameAsReturned(
                opts.output.display().to_string(),
            ));
        }
    }
    let mut inputs: Vec<&Path> = vec![opts.master];
    inputs.extend(opts.returned.iter().map(PathBuf::as_path));
    inputs.extend(opts.split);
    let earlier = read_record(&opts.log_dir.join(log::RECORD));
    crate::output::refuse_clobbering(
        opts.output,
        &inputs,
        Some(&|p: &Path| written_by_merge(p, &earlier)),
    )
    .map_err(|e| MergeError::Output(e.to_string()))?;
    let manifest = match opts.split {
        Some(p) => Some(read_manifest(p, opts.read.limits.input_bytes)?),
        None => None,
    };
    let master = ingest::read_inputs(&[opts.master], opts.read).map_err(MergeError::Master)?;
    let bound = returned::row_bound(master.measures.len(), opts.read.limits.return_extra_rows);
    let sent: HashMap<Key, &Sent> = manifest
        .iter()
        .flat_map(|m| &m.departments)
        .flat_map(|d| &d.sent)
        .map(|s| (s.key.clone(), s))
        .collect();
    // Each return is read on its own; the plan then takes them in the order given.
    let returns: Vec<Returned> = opts
        .returned
        .par_iter()
        .enumerate()
        .map(|(file, path)| {
            let name = path.display().to_string();
            let bytes = match ingest::read_regular(path, opts.read.limits.input_bytes) {
                Ok(b) => b,
                Err(e) => {
                    let refusal = Refusal::Unreadable {
                        file,
                        code: input_code(&e),
                        message: e.to_string(),
                    };
                    return Returned::NotRead { name, refusal };
                }
            };
            match returned::read(&display_name(path), &bytes, opts.read, bound) {
                Ok(mut f) => {
                    f.name = name;
                    f.base_from_manifest(&sent, &master.measures, opts.read);
                    Returned::Read(f)
                }
                Err(ReadRefusal::TooLarge { bound }) => Returned::NotRead {
                    name,
                    refusal: Refusal::TooLarge { file, bound },
                },
                Err(ReadRefusal::Unreadable(e)) => Returned::NotRead {
                    name,
                    refusal: Refusal::Unreadable {
                        file,
                        code: input_code(&e),
                        message: e.to_string(),
                    },
                },
            }
        })
        .collect();
    let as_of_year = chrono::Datelike::year(&opts.read.as_of);
    let plan: Plan = super::plan(&master.measures, &returns, as_of_year);
    drop(returns);

    let words = Words::new(opts.labels);
    let out_name = display_name(opts.output);
    let bytes = ingest::read_regular(opts.master, opts.read.limits.input_bytes).map_err(|e| {
        MergeError::Master(FileError {
            file: master_name.clone(),
            error: e,
        })
    })?;
    let limit = opts.read.limits.zip_part_bytes;
    let (xlsx_bytes, edited, lost) = match MasterXlsx::open(&bytes, limit) {
        Ok(_) => (bytes, true, Vec::new()),
        Err(_) => {
            let converted = super::convert::to_xlsx(&bytes, &master_name, &opts.read.limits)
                .map_err(|e| MergeError::Xlsx {
                    file: out_name.clone(),
                    message: e.to_string(),
                })?;
            (converted.bytes, false, converted.lost)
        }
    };
    let book = MasterXlsx::open(&xlsx_bytes, limit).map_err(|source| MergeError::Edit {
        file: master_name.clone(),
        source,
    })?;
    let merged =
        workbook::edit_xlsx(&book, &master, &plan, &words).map_err(|source| MergeError::Edit {
            file: master_name.clone(),
            source,
        })?;
    drop(book);
    drop(xlsx_bytes);
    let mut refusals = plan.refusals.clone();
    refusals.extend(merged.refused);
    let conflicts = refusals
        .iter()
        .filter(|r| matches!(r, Refusal::Conflict { .. } | Refusal::ChangedSince { .. }))
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
        applied: &merged.applied,
        refusals: &refusals,
        added_columns: &merged.added_columns,
        manifest: manifest.as_ref(),
        master_fingerprint: manifest
            .as_ref()
            .map(|_| split::master_fingerprint(&master.measures)),
        dry_run: opts.dry_run,
        lost: &lost,
    };
    let ctx = log::context(&input, opts.labels);
    let logs = log::render(&ctx, opts.templates, &opts.read.limits)?;

    let mut files = Vec::new();
    if !opts.dry_run {
        files.push((opts.output.to_path_buf(), merged.bytes));
    }
    files.extend(
        logs.into_iter()
            .map(|(name, bytes)| (opts.log_dir.join(name), bytes)),
    );
    // Every target is checked before the first is written: a refusal writes nothing.
    let record_path = opts.log_dir.join(log::RECORD);
    let record = read_record(&record_path);
    for (path, _) in files
        .iter()
        .chain([(record_path.clone(), Vec::new())].iter())
    {
        if path.exists() && !written_by_merge(path, &record) {
            return Err(MergeError::WouldOverwrite(path.display().to_string()));
        }
    }
    let mut written: Vec<(String, String)> = Vec::new();
    for (path, bytes) in &files {
        write_whole(path, bytes)?;
        written.push((absolute(path), hex(&Sha256::digest(bytes))));
    }
    // The record of what merges wrote here: what lets the next merge replace it. Files
    // an earlier merge wrote that are still there unchanged stay in it.
    let mut kept: Vec<(String, String)> = record
        .into_iter()
        .filter(|(p, h)| {
            !written.iter().any(|(w, _)| w == p)
                && hash_file(Path::new(p)).as_deref() == Some(h.as_str())
        })
        .collect();
    kept.extend(written);
    kept.sort();
    let mut record = serde_json::json!({
        "schema": log::RECORD_SCHEMA,
        "written": kept
            .iter()
            .map(|(p, h)| serde_json::json!({"path": p, "sha256": h}))
            .collect::<Vec<_>>(),
    })
    .to_string();
    record.push('\n');
    write_whole(&record_path, record.as_bytes())?;
    let mut paths: Vec<PathBuf> = files.into_iter().map(|(p, _)| p).collect();
    paths.push(record_path);
    Ok(Outcome {
        applied: merged.applied.len(),
        refused: refusals.len(),
        conflicts,
        edited,
        lost,
        added_columns: merged.added_columns,
        written: paths,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// What an earlier merge recorded writing: absolute path → SHA-256.
fn read_record(path: &Path) -> HashMap<String, String> {
    let Ok(bytes) = ingest::read_regular(path, 64 * 1024 * 1024) else {
        return HashMap::new();
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return HashMap::new();
    };
    if value["schema"] != log::RECORD_SCHEMA {
        return HashMap::new();
    }
    value["written"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| {
            Some((
                w["path"].as_str()?.to_string(),
                w["sha256"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Whether the file at `path` is one an earlier merge wrote, unchanged since (the
/// record itself is the merge's own when it parses as one).
fn written_by_merge(path: &Path, record: &HashMap<String, String>) -> bool {
    if path.file_name().and_then(|n| n.to_str()) == Some(log::RECORD) {
        return !record.is_empty() || std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
    }
    let Some(expected) = record.get(&absolute(path)) else {
        return false;
    };
    hash_file(path).as_ref() == Some(expected)
}

/// The SHA-256 (hex) of a regular file, read in pieces.
fn hash_file(path: &Path) -> Option<String> {
    use std::io::Read;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf).ok()? {
            0 => break,
            n => hash.update(&buf[..n]),
        }
    }
    Some(hex(&hash.finalize()))
}

/// Writes `bytes` to `path` whole or not at all: into a temporary file in the same
/// folder, then renamed over it. Messages name the file, never the temporary one. The
/// file gets the permissions any new file gets under the umask, as a build's do.
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
    let mut builder = tempfile::Builder::new();
    builder.prefix(".dossier-merge-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// A returned file read from disk, as the merge reads it (for tests and tools).
pub fn read_returned(
    path: &Path,
    read: &ReadOptions,
    bound: usize,
) -> Result<ReturnedFile, ReadRefusal> {
    let bytes =
        ingest::read_regular(path, read.limits.input_bytes).map_err(ReadRefusal::Unreadable)?;
    let mut f = returned::read(&display_name(path), &bytes, read, bound)?;
    f.name = path.display().to_string();
    Ok(f)
}
