//! The evidence folder (佐证材料): which file backs which measure and required item, what
//! each file is and whether an inspector could open it, and so what is really in hand.
//! The contract is `docs/evidence.md`.
//!
//! [`read_folder`] walks and inspects the folder (the I/O, hashed in parallel across
//! cores); [`judge`] turns what was found into items in hand and diagnostics, purely.

pub mod assign;
pub mod dates;
pub mod inspect;
pub mod judge;
pub mod names;
pub mod pdf_budget;
pub mod pdf_repair;
pub mod scan;

use crate::model::Measure;
use chrono::{Datelike, NaiveDate};
use inspect::Inspection;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use judge::{Judgement, judge};

/// The assessment period files must be dated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The default: 1 January of the as-of year to the as-of date.
    pub fn default_for(as_of: NaiveDate) -> Period {
        Period {
            from: NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of),
            to: as_of,
        }
    }

    /// Reads `FROM..TO` (both `YYYY-MM-DD`, FROM not after TO).
    pub fn parse(text: &str) -> Result<Period, EvidenceError> {
        let bad = || EvidenceError::Period(text.to_string());
        let (from, to) = text.split_once("..").ok_or_else(bad)?;
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad());
        let period = Period {
            from: date(from)?,
            to: date(to)?,
        };
        if period.from > period.to {
            return Err(bad());
        }
        Ok(period)
    }
}

/// What reading a folder depends on besides the folder.
#[derive(Debug, Clone)]
pub struct EvidenceOptions {
    pub as_of: NaiveDate,
    pub period: Period,
    /// Folder name → set name (`[evidence.sets]`).
    pub sets: BTreeMap<String, String>,
    /// Item → extra words (`[evidence.aliases]`), on top of the built-in table.
    pub aliases: BTreeMap<String, Vec<String>>,
    /// The most files and folders the folder may hold (`limits.max_files`).
    pub max_files: u64,
}

/// One file of the folder as read.
#[derive(Debug, Clone)]
pub struct FileRead {
    /// Path relative to the folder, `/`-separated, NFC.
    pub path: String,
    /// Where it is on disk (for packing).
    pub source: PathBuf,
    pub assignment: Option<assign::Assignment>,
    /// The required item it supports (index into the measure's `evidence`), if any.
    pub item: Option<usize>,
    /// Content checks; `None` for orphans, which are listed only.
    pub inspection: Option<Inspection>,
    pub bytes: u64,
}

/// Everything read from the folder, before judging.
#[derive(Debug, Clone)]
pub struct FolderRead {
    /// The folder's own name.
    pub root: String,
    pub files: Vec<FileRead>,
    pub scan_outside: Vec<String>,
    /// Windows shortcuts (`.lnk`), skipped with a warning.
    pub scan_shortcuts: Vec<String>,
    pub scan_bad_names: Vec<String>,
    pub scan_unreadable: Vec<(String, String)>,
}

/// A folder that cannot be read at all, or an option that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{dir}: cannot read the evidence folder: {error}")]
    Unreadable {
        dir: String,
        #[source]
        error: std::io::Error,
    },
    #[error("{0}: the evidence folder is not a folder")]
    NotFolder(String),
    #[error(
        "{dir}: the evidence folder is inside the output folder {out}; move it out or write elsewhere"
    )]
    InsideOutput { dir: String, out: String },
    #[error("period {0:?} is not FROM..TO with dates as YYYY-MM-DD (e.g. 2026-01-01..2026-12-15)")]
    Period(String),
    /// The folder holds more than `limits.max_files` entries: pointed at a drive or the
    /// whole machine, the walk would not end.
    #[error(
        "evidence folder {dir}: more than {limit} files and folders (limits.max_files); point evidence at the unit's own folder"
    )]
    TooMany { dir: String, limit: u64 },
    /// The root of the file system or a folder of the kernel: never an office's
    /// evidence, and a walk of it would not end.
    #[error(
        "evidence folder {dir}: {what}, not an evidence folder; point evidence at the unit's own folder"
    )]
    System { dir: String, what: &'static str },
}

/// Every item's extra words, normalised once: the built-in table and the config's.
struct Aliases(Vec<(String, Vec<String>)>);

impl Aliases {
    fn new(config: &BTreeMap<String, Vec<String>>) -> Aliases {
        let built_in = names::BUILT_IN_ALIASES.iter().map(|(i, words)| {
            (
                names::norm(i),
                words.iter().map(|w| names::norm(w)).collect(),
            )
        });
        let configured = config.iter().map(|(i, words)| {
            (
                names::norm(i),
                words.iter().map(|w| names::norm(w)).collect(),
            )
        });
        Aliases(built_in.chain(configured).collect())
    }

    /// The words that name `item` (normalised) besides its own name.
    fn of(&self, item: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(i, _)| i == item)
            .flat_map(|(_, words)| words.iter().cloned())
            .collect()
    }

    /// The required item a file supports, by its item text.
    fn item_of(&self, measure: &Measure, pieces: &[String]) -> Option<usize> {
        names::match_item(&measure.evidence, &|item| self.of(item), pieces)
    }
}

/// Walks, assigns and inspects the folder. Files are hashed and checked in parallel; a
/// file that cannot be read becomes a problem of that file, never a failure of the run.
pub fn read_folder(
    dir: &Path,
    measures: &[Measure],
    options: &EvidenceOptions,
) -> Result<FolderRead, EvidenceError> {
    let name = dir.display().to_string();
    let meta = std::fs::metadata(dir).map_err(|error| EvidenceError::Unreadable {
        dir: name.clone(),
        error,
    })?;
    if !meta.is_dir() {
        return Err(EvidenceError::NotFolder(name));
    }
    refuse_system_folder(dir, &name)?;
    let scanned = scan::scan(dir, options.max_files).map_err(|e| match e {
        scan::ScanError::Io(error) => EvidenceError::Unreadable {
            dir: name.clone(),
            error,
        },
        scan::ScanError::TooMany => EvidenceError::TooMany {
            dir: name.clone(),
            limit: options.max_files,
        },
    })?;
    let matcher = assign::Matcher::new(measures, &options.sets);
    let aliases = Aliases::new(&options.aliases);
    let files: Vec<FileRead> = scanned
        .entries
        .into_par_iter()
        .map(|entry| {
            let parts = entry.parts();
            let assignment = matcher.assign(&parts);
            let item = assignment
                .as_ref()
                .and_then(|a| aliases.item_of(&measures[a.measure], &a.pieces));
            let file_name = parts.last().cloned().unwrap_or_default();
            let inspection = assignment
                .is_some()
                .then(|| inspect::inspect(&entry.path, &file_name, entry.bytes));
            FileRead {
                path: entry.rel,
                source: entry.path,
                assignment,
                item,
                inspection,
                bytes: entry.bytes,
            }
        })
        .collect();
    let root = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| name.clone());
    Ok(FolderRead {
        root,
        files,
        scan_outside: scanned.outside,
        scan_shortcuts: scanned.shortcuts,
        scan_bad_names: scanned.bad_names,
        scan_unreadable: scanned.unreadable,
    })
}

/// Refuses the root of the file system, and on Linux the kernel's folders (`/proc`,
/// `/sys`, `/dev`), as an evidence folder, by where the folder really is (links
/// followed): `evidence = "/"` would walk the whole machine.
fn refuse_system_folder(dir: &Path, name: &str) -> Result<(), EvidenceError> {
    let Ok(real) = std::fs::canonicalize(dir) else {
        return Ok(());
    };
    let what = if real.parent().is_none() {
        "the root of the file system"
    } else if cfg!(target_os = "linux")
        && ["/proc", "/sys", "/dev"]
            .iter()
            .any(|k| real.starts_with(k))
    {
        "a folder of the kernel (/proc, /sys, /dev)"
    } else {
        return Ok(());
    };
    Err(EvidenceError::System {
        dir: name.to_string(),
        what,
    })
}

/// Refuses an evidence folder that sits inside the output folder: the next build would
/// read its own outputs as evidence.
pub fn refuse_inside_output(evidence: &Path, output: &Path) -> Result<(), EvidenceError> {
    let (Ok(e), Ok(o)) = (
        std::fs::canonicalize(evidence),
        std::fs::canonicalize(output),
    ) else {
        return Ok(());
    };
    if e.starts_with(&o) {
        return Err(EvidenceError::InsideOutput {
            dir: evidence.display().to_string(),
            out: output.display().to_string(),
        });
    }
    Ok(())
}
