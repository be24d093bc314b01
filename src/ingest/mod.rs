//! Reading measure workbooks as offices really fill them: spreadsheet and CSV files into
//! the typed model, with a diagnostic for every problem, located to the cell.
//!
//! [`parse_file`] works on bytes and does no I/O; [`read_inputs`] is the thin layer that
//! reads files from disk.

pub mod cells;
pub mod delimited;
pub mod fields;
pub mod grid;
pub mod normalize;
pub(crate) mod ods;
pub mod sheet;
pub mod status;
pub mod workbook;
pub(crate) mod xls_bounds;
pub(crate) mod xlsx_extras;

use crate::limits::Limits;
use crate::model::{Workbook, sort_diagnostics};
use chrono::NaiveDate;
use grid::Grid;
use sheet::{SetState, SheetContext};
use status::Vocabulary;
use std::path::Path;

/// The name of the very hidden sheet in which `split` records what it sent each
/// department (the values of every row, keyed like the rows), so a merge can tell what
/// the department changed from what the office changed since. It is the merge's, not
/// measures: reading skips it.
pub const BASE_SHEET: &str = "dossier-base";

/// Sees each worksheet's grid with the measures read from it, while the grid is still
/// there: how a merge gets at the cells as typed and at the [`BASE_SHEET`], which
/// reading itself skips (its measures are then empty).
pub type SheetVisitor<'v> = dyn FnMut(&Grid, &[crate::model::Measure]) + 'v;

/// Why an input file cannot be read at all. Problems inside a readable file are
/// diagnostics instead.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty")]
    Empty,
    /// A FIFO, device, socket or folder: reading it could block or never end.
    #[error("cannot read the file: it is {0}, not a regular file")]
    NotRegular(&'static str),
    /// A bound of `[limits]` would be passed: what, and the key that sets the bound.
    #[error("{what} (limits.{key}); raise it in dossier.toml [limits] if the file is genuine")]
    Limit { what: String, key: &'static str },
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

impl InputError {
    /// A limit that would be passed: `what` says where and by how much.
    pub fn limit(what: impl Into<String>, key: &'static str) -> InputError {
        InputError::Limit {
            what: what.into(),
            key,
        }
    }
}

/// A byte count as a person reads a limit: "512 MB", "64 KB", "100 bytes".
pub fn size_text(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// An input that cannot be read, with the file it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {error}")]
pub struct FileError {
    pub file: String,
    #[source]
    pub error: InputError,
}

/// What the reading rules depend on besides the files.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Fills in the year of deadlines written without one.
    pub as_of: NaiveDate,
    pub vocabulary: Vocabulary,
    /// The bounds reading stays within (`[limits]` in dossier.toml).
    pub limits: Limits,
}

impl ReadOptions {
    /// The built-in vocabulary and limits: what a run without a config reads with.
    pub fn new(as_of: NaiveDate) -> ReadOptions {
        ReadOptions {
            as_of,
            vocabulary: Vocabulary::default(),
            limits: Limits::default(),
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
        // A file that cannot be read is named as the user gave it, so they can find it;
        // what is read is named by its file name, as in the reports.
        let fail = |error| FileError {
            file: path.display().to_string(),
            error,
        };
        let bytes = read_regular(path, options.limits.input_bytes).map_err(fail)?;
        files.push((name, bytes));
    }
    parse_files(&files, options)
}

/// Reads one input, refusing anything but a regular file before opening it (a FIFO would
/// block, a device such as /dev/zero never ends) and anything over `limit` bytes, also
/// when it grows between the check and the read. `dossier diff` reads a `report.json`
/// side through it too, under the same `input_bytes` bound.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(InputError::NotRegular(file_kind(&kind)));
    }
    if is_pseudo_file(path) {
        return Err(InputError::NotRegular(
            "a pseudo-file of the kernel (/proc, /sys)",
        ));
    }
    let too_large = |len: u64| {
        InputError::limit(
            format!(
                "the file is {}, more than the {} an input may be",
                size_text(len),
                size_text(limit)
            ),
            "input_bytes",
        )
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Whether `path` lies in a kernel's pseudo-file system (`/proc`, `/sys`): such a file
/// says it is regular, and empty, yet reading `/proc/kmsg` blocks for ever and others
/// never end.
pub fn is_pseudo_file(path: &Path) -> bool {
    let Ok(real) = std::fs::canonicalize(path) else {
        return false;
    };
    cfg!(target_os = "linux") && (real.starts_with("/proc") || real.starts_with("/sys"))
}

/// What kind of file system entry a non-regular input is, in words.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

/// Parses several files (name, bytes) into one workbook.
pub fn parse_files(
    files: &[(String, Vec<u8>)],
    options: &ReadOptions,
) -> Result<Workbook, FileError> {
    let mut book = Workbook::default();
    let mut state = SetState::default();
    for (order, (name, bytes)) in files.iter().enumerate() {
        parse_file(name, bytes, order, options, &mut state, &mut book, None).map_err(|error| {
            FileError {
                file: name.clone(),
                error,
            }
        })?;
    }
    sort_diagnostics(&mut book.diagnostics);
    // The measures are kept to the end of the run: not with room for as many again.
    book.measures.shrink_to_fit();
    Ok(book)
}

/// Parses one file like [`parse_files`], showing `visit` every worksheet's grid (the
/// [`BASE_SHEET`] too) with the measures read from it.
pub fn parse_file_visiting(
    name: &str,
    bytes: &[u8],
    options: &ReadOptions,
    visit: &mut SheetVisitor<'_>,
) -> Result<Workbook, InputError> {
    let mut book = Workbook::default();
    let mut state = SetState::default();
    parse_file(name, bytes, 0, options, &mut state, &mut book, Some(visit))?;
    sort_diagnostics(&mut book.diagnostics);
    Ok(book)
}

/// Gives each worksheet's grid to `judge` while the next one is read on a second thread:
/// reading a large workbook is half calamine's parsing and half judging, so the two
/// overlap. One grid waits at most, so memory still grows with a sheet, not the file;
/// grids reach `judge` in sheet order, and a reading error comes after the sheets before
/// it, as if read one after the other.
fn judge_while_reading(
    mut sheets: workbook::Worksheets<'_>,
    judge: &mut dyn FnMut(Grid) -> Result<(), InputError>,
) -> Result<(), InputError> {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            loop {
                let next = sheets.next_grid();
                let last = !matches!(next, Ok(Some(_)));
                // The receiver is gone when judging failed: stop reading.
                if send.send(next).is_err() || last {
                    break;
                }
            }
        });
        for next in receive {
            match next? {
                Some(grid) => judge(grid)?,
                None => break,
            }
        }
        Ok(())
    })
}

/// Parses one file's bytes into `book`.
fn parse_file(
    name: &str,
    bytes: &[u8],
    file_order: usize,
    options: &ReadOptions,
    state: &mut SetState,
    book: &mut Workbook,
    mut visit: Option<&mut SheetVisitor<'_>>,
) -> Result<(), InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty);
    }
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_string());
    let kind = workbook::sniff(bytes);
    let mut read_any = false;
    let mut reasons = Vec::new();
    let mut sheet_order = 0;
    // Turns one sheet's grid into measures; the grid is dropped after.
    let mut judge = |grid: Grid| -> Result<(), InputError> {
        if grid.name.as_deref() == Some(BASE_SHEET) {
            if let Some(visit) = visit.as_mut() {
                visit(&grid, &[]);
            }
            return Ok(());
        }
        let ctx = SheetContext {
            file: name,
            file_order,
            sheet_order,
            default_set: grid.name.clone().unwrap_or_else(|| stem.clone()),
            as_of: options.as_of,
            vocabulary: &options.vocabulary,
        };
        sheet_order += 1;
        let read = sheet::read_sheet(&grid, &ctx, state);
        if let Some(info) = read.info {
            read_any = true;
            book.sheets.push(info);
        } else if let Some(hint) = read.diagnostics.last().and_then(|d| d.hint.clone()) {
            reasons.push(match &grid.name {
                Some(sheet) => format!("{sheet}: {hint}"),
                None => hint,
            });
        }
        if let Some(visit) = visit.as_mut() {
            visit(&grid, &read.measures);
        }
        book.measures.extend(read.measures);
        if book.measures.len() > options.limits.measures_per_run {
            return Err(InputError::limit(
                format!(
                    "the inputs hold more than {} measures",
                    options.limits.measures_per_run
                ),
                "measures_per_run",
            ));
        }
        book.diagnostics.extend(read.diagnostics);
        Ok(())
    };
    match kind {
        workbook::Kind::Text => {
            let (text, _) = delimited::decode(bytes)?;
            let tsv = name.to_ascii_lowercase().ends_with(".tsv");
            judge(delimited::read(&text, tsv, &options.limits)?)?;
        }
        workbook::Kind::OtherZip => return Err(InputError::NotSpreadsheet),
        _ => {
            let sheets = workbook::open(bytes, kind, &options.limits)?;
            judge_while_reading(sheets, &mut judge)?;
        }
    }
    if !read_any {
        if sheet_order == 0 {
            return Err(InputError::NoHeader("the workbook has no worksheet".into()));
        }
        return Err(InputError::NoHeader(reasons.join("; ")));
    }
    Ok(())
}
