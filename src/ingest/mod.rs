//! Reading measure workbooks as offices really fill them: spreadsheet and CSV files into
//! the typed model, with a diagnostic for every problem, located to the cell.
//!
//! [`parse_file`] works on bytes and does no I/O; [`read_inputs`] is the thin layer that
//! reads files from disk.

pub mod cells;
pub mod delimited;
pub mod fields;
pub mod grid;
mod hidden;
pub mod normalize;
mod ods;
pub mod sheet;
pub mod status;
pub mod workbook;

use crate::model::{Workbook, sort_diagnostics};
use chrono::NaiveDate;
use sheet::{SetState, SheetContext};
use status::Vocabulary;
use std::path::Path;

/// Why an input file cannot be read at all. Problems inside a readable file are
/// diagnostics instead.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("the file is {0} MB; inputs over {MAX_INPUT_MB} MB are refused")]
    TooLarge(u64),
    #[error("not a spreadsheet (xlsx, xlsm, xlsb, xls, ods) or CSV/TSV text file")]
    NotSpreadsheet,
    #[error("the workbook is password-protected; save an unprotected copy and read that")]
    Encrypted,
    #[error("the workbook is damaged or truncated: {0}")]
    Broken(String),
    #[error("{0}")]
    Encoding(String),
    #[error("no sheet has a header row naming a measure column and a status column ({0})")]
    NoHeader(String),
}

/// Inputs larger than this are refused rather than read into memory.
pub const MAX_INPUT_MB: u64 = 200;

/// An input that cannot be read, with the file it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {error}")]
pub struct FileError {
    pub file: String,
    pub error: InputError,
}

/// What the reading rules depend on besides the files.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Fills in the year of deadlines written without one.
    pub as_of: NaiveDate,
    pub vocabulary: Vocabulary,
}

impl ReadOptions {
    /// The built-in vocabulary: what a run without a config reads with.
    pub fn new(as_of: NaiveDate) -> ReadOptions {
        ReadOptions {
            as_of,
            vocabulary: Vocabulary::default(),
        }
    }
}

/// The name a file is reported under: its file name, so that reports do not depend on
/// the folder the inputs sit in.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads every input file from disk and parses them together.
pub fn read_inputs(
    paths: &[impl AsRef<Path>],
    options: &ReadOptions,
) -> Result<Workbook, FileError> {
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let path = path.as_ref();
        let name = display_name(path);
        let fail = |error| FileError {
            file: name.clone(),
            error,
        };
        let meta = std::fs::metadata(path).map_err(|e| fail(e.into()))?;
        if meta.is_dir() {
            return Err(fail(InputError::Io(std::io::Error::other(
                "it is a folder, not a file",
            ))));
        }
        if meta.len() > MAX_INPUT_MB * 1024 * 1024 {
            return Err(fail(InputError::TooLarge(meta.len() / (1024 * 1024))));
        }
        let bytes = std::fs::read(path).map_err(|e| fail(e.into()))?;
        files.push((name, bytes));
    }
    parse_files(&files, options)
}

/// Parses several files (name, bytes) into one workbook.
pub fn parse_files(
    files: &[(String, Vec<u8>)],
    options: &ReadOptions,
) -> Result<Workbook, FileError> {
    let mut book = Workbook::default();
    let mut state = SetState::default();
    for (order, (name, bytes)) in files.iter().enumerate() {
        parse_file(name, bytes, order, options, &mut state, &mut book).map_err(|error| {
            FileError {
                file: name.clone(),
                error,
            }
        })?;
    }
    sort_diagnostics(&mut book.diagnostics);
    Ok(book)
}

/// Parses one file's bytes into `book`.
fn parse_file(
    name: &str,
    bytes: &[u8],
    file_order: usize,
    options: &ReadOptions,
    state: &mut SetState,
    book: &mut Workbook,
) -> Result<(), InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty);
    }
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_string());
    let kind = workbook::sniff(bytes);
    let grids = match kind {
        workbook::Kind::Text => {
            let (text, _) = delimited::decode(bytes)?;
            let tsv = name.to_ascii_lowercase().ends_with(".tsv");
            vec![delimited::read(&text, tsv)?]
        }
        workbook::Kind::OtherZip => return Err(InputError::NotSpreadsheet),
        _ => workbook::read(bytes, kind)?,
    };
    let mut read_any = false;
    let mut reasons = Vec::new();
    for (sheet_order, grid) in grids.iter().enumerate() {
        let ctx = SheetContext {
            file: name,
            file_order,
            sheet_order,
            default_set: grid.name.clone().unwrap_or_else(|| stem.clone()),
            as_of: options.as_of,
            vocabulary: &options.vocabulary,
        };
        let read = sheet::read_sheet(grid, &ctx, state);
        if let Some(info) = read.info {
            read_any = true;
            book.sheets.push(info);
        } else if let Some(hint) = read.diagnostics.last().and_then(|d| d.hint.clone()) {
            reasons.push(match &grid.name {
                Some(sheet) => format!("{sheet}: {hint}"),
                None => hint,
            });
        }
        book.measures.extend(read.measures);
        book.diagnostics.extend(read.diagnostics);
    }
    if !read_any {
        if grids.is_empty() {
            return Err(InputError::NoHeader("the workbook has no worksheet".into()));
        }
        return Err(InputError::NoHeader(reasons.join("; ")));
    }
    Ok(())
}
