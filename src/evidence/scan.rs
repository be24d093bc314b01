//! Walking an evidence folder: every regular file at any depth, minus what the contract
//! ignores (hidden names, Office lock files, Thumbs.db, desktop.ini, *.tmp), following
//! links that stay inside the folder and never going round a loop.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// Folders deeper than this are not walked: no office nests evidence this deep, and a
/// bound keeps a pathological tree from exhausting the stack or the clock.
pub const MAX_DEPTH: usize = 64;

/// A file to consider.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path relative to the folder: `/`-separated, NFC.
    pub rel: String,
    /// The components of `rel`.
    pub parts: Vec<String>,
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
    /// Names that are not valid UTF-8, as shown (lossily).
    pub bad_names: Vec<String>,
    /// Entries that could not be read while walking (a folder without permission), with
    /// the reason.
    pub unreadable: Vec<(String, String)>,
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

/// Walks `root` (already known to be a readable folder).
pub fn scan(root: &Path) -> std::io::Result<Scan> {
    let root_real = std::fs::canonicalize(root)?;
    let mut scan = Scan::default();
    let mut ancestors = HashSet::new();
    ancestors.insert(root_real.clone());
    walk(root, &root_real, &[], &mut ancestors, &mut scan)?;
    scan.entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    scan.outside.sort();
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

fn walk(
    dir: &Path,
    root_real: &Path,
    parts: &[String],
    ancestors: &mut HashSet<PathBuf>,
    scan: &mut Scan,
) -> std::io::Result<()> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if !parts.is_empty() => {
            scan.unreadable.push((join(parts), e.to_string()));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut children: Vec<std::fs::DirEntry> = read.filter_map(Result::ok).collect();
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let os_name = child.file_name();
        let (name, bad) = match os_name.to_str() {
            Some(n) => (n.nfc().collect::<String>(), false),
            None => (os_name.to_string_lossy().nfc().collect::<String>(), true),
        };
        if name.starts_with('.') {
            continue;
        }
        let mut child_parts = parts.to_vec();
        child_parts.push(name.clone());
        let rel = join(&child_parts);
        let path = child.path();
        let Ok(file_type) = child.file_type() else {
            continue;
        };
        let (is_dir, is_file, real) = if file_type.is_symlink() {
            match std::fs::canonicalize(&path) {
                Ok(real) if real.starts_with(root_real) => {
                    let Ok(meta) = std::fs::metadata(&real) else {
                        continue;
                    };
                    (meta.is_dir(), meta.is_file(), Some(real))
                }
                _ => {
                    if !is_ignored_file(&name) {
                        scan.outside.push(rel);
                    }
                    continue;
                }
            }
        } else {
            (file_type.is_dir(), file_type.is_file(), None)
        };
        if is_dir {
            if child_parts.len() >= MAX_DEPTH {
                continue;
            }
            let real = match real {
                Some(r) => r,
                None => std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()),
            };
            // A link back to a folder already being walked would go round for ever.
            if !ancestors.insert(real.clone()) {
                continue;
            }
            if bad {
                scan.bad_names.push(rel.clone());
            }
            walk(&path, root_real, &child_parts, ancestors, scan)?;
            ancestors.remove(&real);
        } else if is_file {
            if is_ignored_file(&name) {
                continue;
            }
            if bad {
                scan.bad_names.push(rel.clone());
            }
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            // A link that a copy turned into a small text file holding its target (as git
            // checks links out where they cannot be made) is still a link.
            let (path, bytes) = match link_stub(&path, bytes) {
                Some(target) => match std::fs::canonicalize(&target) {
                    Ok(real) if real.starts_with(root_real) && real.is_file() => {
                        let bytes = std::fs::metadata(&real).map(|m| m.len()).unwrap_or(0);
                        (real, bytes)
                    }
                    Ok(real) if real.starts_with(root_real) => continue,
                    _ => {
                        scan.outside.push(rel);
                        continue;
                    }
                },
                None => (path, bytes),
            };
            scan.entries.push(Entry {
                rel,
                parts: child_parts,
                path,
                bytes,
            });
        }
    }
    Ok(())
}
