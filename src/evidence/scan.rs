//! Walking an evidence folder: every regular file at any depth, minus what the contract
//! ignores (hidden names, Office lock files, Thumbs.db, desktop.ini, *.tmp), following
//! links that stay inside the folder and never going round a loop. The walk keeps its own
//! stack of open folders, so no depth of nesting can exhaust the thread's stack.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// A file to consider.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path relative to the folder: `/`-separated, NFC.
    pub rel: String,
    /// Where to open it (through the link's own path when it is reached by a link).
    pub path: PathBuf,
    pub bytes: u64,
}

/// What a walk found, and what it skipped with a word.
#[derive(Debug, Default)]
pub struct Scan {
    /// Files considered, sorted by `rel` (UTF-8 byte order).
    pub entries: Vec<Entry>,
    /// Links that lead outside the folder or nowhere, by their own relative path.
    pub outside: Vec<String>,
    /// Windows shortcuts (`.lnk`), skipped like links that cannot be followed: a
    /// shortcut is a pointer, not the document, and an inspector opening the pack on
    /// another machine gets nothing from it.
    pub shortcuts: Vec<String>,
    /// Names that are not valid UTF-8, as shown (lossily).
    pub bad_names: Vec<String>,
    /// Entries that could not be read while walking (a folder without permission), with
    /// the reason.
    pub unreadable: Vec<(String, String)>,
}

impl Entry {
    /// The components of `rel` (a name never holds `/`). Made when asked for rather than
    /// kept beside `rel`, so a file deep down costs its path once.
    pub fn parts(&self) -> Vec<String> {
        self.rel.split('/').map(str::to_string).collect()
    }
}

/// True for names the contract ignores without a word.
pub fn is_ignored_file(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || lower == "thumbs.db"
        || lower == "desktop.ini"
        || lower.ends_with(".tmp")
}

/// What every Windows shortcut file begins with: its header size (0x4C) and the shell
/// link class id 00021401-0000-0000-C000-000000000046 (MS-SHLLINK 2.1).
const SHORTCUT_MAGIC: [u8; 20] = [
    0x4C, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x46,
];

/// The largest file looked into for [`SHORTCUT_MAGIC`]: a shortcut holds a header, an
/// item list, paths and at most an icon's location, a few kilobytes; larger files are
/// documents, and the walk does not open every one of them.
const MAX_SHORTCUT: u64 = 64 * 1024;

/// Whether the file `name` at `path` (`bytes` long) is a Windows shortcut: named `.lnk`
/// (in any case, as Explorer treats every such file as one), or a small file beginning
/// with the shell link header whatever its name (a shortcut renamed, or copied by a
/// tool that dropped the extension).
pub fn is_shortcut(name: &str, path: &Path, bytes: u64) -> bool {
    let by_name = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("lnk"));
    if by_name {
        return true;
    }
    if !(SHORTCUT_MAGIC.len() as u64..=MAX_SHORTCUT).contains(&bytes) {
        return false;
    }
    let mut head = [0u8; SHORTCUT_MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| head == SHORTCUT_MAGIC)
}

/// A folder being walked: its place in the evidence folder, its real path (for loop
/// protection) and the entries not yet looked at.
struct Open {
    parts: Vec<String>,
    real: PathBuf,
    children: std::vec::IntoIter<std::fs::DirEntry>,
}

/// Why a walk stopped.
#[derive(Debug)]
pub enum ScanError {
    /// The folder itself cannot be read.
    Io(std::io::Error),
    /// It holds more files and folders than `limits.max_files`.
    TooMany,
}

impl From<std::io::Error> for ScanError {
    fn from(e: std::io::Error) -> ScanError {
        ScanError::Io(e)
    }
}

/// Entries read so far, against the most a walk may read.
struct Budget {
    seen: u64,
    most: u64,
}

/// The entries of a folder, sorted by name; each counts against the budget, read or
/// ignored, so a folder of millions of entries stops the walk while it is read.
fn children(
    dir: &Path,
    budget: &mut Budget,
) -> Result<std::vec::IntoIter<std::fs::DirEntry>, ScanError> {
    let mut children: Vec<std::fs::DirEntry> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        budget.seen += 1;
        if budget.seen > budget.most {
            return Err(ScanError::TooMany);
        }
        if let Ok(entry) = entry {
            children.push(entry);
        }
    }
    children.sort_by_key(|e| e.file_name());
    Ok(children.into_iter())
}

/// Walks `root` (already known to be a readable folder), depth first, at any depth,
/// reading at most `max_files` entries (files and folders, ignored ones too).
pub fn scan(root: &Path, max_files: u64) -> Result<Scan, ScanError> {
    let root_real = std::fs::canonicalize(root)?;
    let mut budget = Budget {
        seen: 0,
        most: max_files,
    };
    let mut scan = Scan::default();
    // The real paths of the folders open on the stack: a link back to one of them
    // would go round for ever.
    let mut ancestors = HashSet::new();
    ancestors.insert(root_real.clone());
    let mut stack = vec![Open {
        parts: Vec::new(),
        real: root_real.clone(),
        children: children(root, &mut budget)?,
    }];
    while let Some(open) = stack.last_mut() {
        let Some(child) = open.children.next() else {
            if let Some(done) = stack.pop() {
                ancestors.remove(&done.real);
            }
            continue;
        };
        let parts = open.parts.clone();
        let walk = Walk {
            root_real: &root_real,
            ancestors: &mut ancestors,
            scan: &mut scan,
            budget: &mut budget,
        };
        if let Some(folder) = visit(&child, parts, walk)? {
            stack.push(folder);
        }
    }
    scan.entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    scan.outside.sort();
    scan.shortcuts.sort();
    scan.bad_names.sort();
    Ok(scan)
}

/// The longest text a link stub holds: a path, not a document.
const MAX_STUB: u64 = 1024;

/// When a small file is a link stub — one line, no newline, naming a relative path that
/// exists from the file's folder — the path it names. Git writes links this way where
/// it cannot make them, and copies of shared drives do too.
fn link_stub(path: &Path, bytes: u64) -> Option<PathBuf> {
    if bytes == 0 || bytes > MAX_STUB {
        return None;
    }
    let text = std::fs::read(path).ok()?;
    let text = std::str::from_utf8(&text).ok()?;
    let looks_like_path = !text.starts_with('/')
        && text.contains('/')
        && !text.chars().any(|c| c.is_control() || c == '\\');
    if !looks_like_path {
        return None;
    }
    let target = path.parent()?.join(text);
    std::fs::symlink_metadata(&target).ok()?;
    Some(target)
}

fn join(parts: &[String]) -> String {
    parts.join("/")
}

/// What a walk keeps while it goes.
struct Walk<'w> {
    root_real: &'w Path,
    ancestors: &'w mut HashSet<PathBuf>,
    scan: &'w mut Scan,
    budget: &'w mut Budget,
}

/// Looks at one entry of the folder at `parts`: a file is recorded, a folder to walk is
/// opened and returned.
fn visit(
    child: &std::fs::DirEntry,
    parts: Vec<String>,
    walk: Walk<'_>,
) -> Result<Option<Open>, ScanError> {
    let Walk {
        root_real,
        ancestors,
        scan,
        budget,
    } = walk;
    let os_name = child.file_name();
    let (name, bad) = match os_name.to_str() {
        Some(n) => (n.nfc().collect::<String>(), false),
        None => (os_name.to_string_lossy().nfc().collect::<String>(), true),
    };
    if name.starts_with('.') {
        return Ok(None);
    }
    let mut child_parts = parts;
    child_parts.push(name.clone());
    let rel = join(&child_parts);
    let path = child.path();
    let Ok(file_type) = child.file_type() else {
        return Ok(None);
    };
    let (is_dir, is_file, real) = if file_type.is_symlink() {
        match std::fs::canonicalize(&path) {
            Ok(real) if real.starts_with(root_real) => {
                let Ok(meta) = std::fs::metadata(&real) else {
                    return Ok(None);
                };
                (meta.is_dir(), meta.is_file(), Some(real))
            }
            _ => {
                if !is_ignored_file(&name) {
                    scan.outside.push(rel);
                }
                return Ok(None);
            }
        }
    } else {
        (file_type.is_dir(), file_type.is_file(), None)
    };
    if is_dir {
        let real = match real {
            Some(r) => r,
            None => std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()),
        };
        // A link back to a folder already being walked would go round for ever.
        if !ancestors.insert(real.clone()) {
            return Ok(None);
        }
        if bad {
            scan.bad_names.push(rel.clone());
        }
        match children(&path, budget) {
            Ok(children) => Ok(Some(Open {
                parts: child_parts,
                real,
                children,
            })),
            Err(ScanError::Io(e)) => {
                scan.unreadable.push((rel, e.to_string()));
                ancestors.remove(&real);
                Ok(None)
            }
            Err(too_many) => Err(too_many),
        }
    } else if is_file {
        if is_ignored_file(&name) {
            return Ok(None);
        }
        if bad {
            scan.bad_names.push(rel.clone());
        }
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if is_shortcut(&name, &path, bytes) {
            scan.shortcuts.push(rel);
            return Ok(None);
        }
        // A link that a copy turned into a small text file holding its target (as git
        // checks links out where they cannot be made) is still a link.
        let (path, bytes) = match link_stub(&path, bytes) {
            Some(target) => match std::fs::canonicalize(&target) {
                Ok(real) if real.starts_with(root_real) && real.is_file() => {
                    let bytes = std::fs::metadata(&real).map(|m| m.len()).unwrap_or(0);
                    (real, bytes)
                }
                Ok(real) if real.starts_with(root_real) => return Ok(None),
                _ => {
                    scan.outside.push(rel);
                    return Ok(None);
                }
            },
            None => (path, bytes),
        };
        scan.entries.push(Entry { rel, path, bytes });
        Ok(None)
    } else {
        Ok(None)
    }
}
