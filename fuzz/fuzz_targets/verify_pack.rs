//! Any bytes as a pack handed back for checking: `verify` gives a verdict or says why it
//! cannot, never panics, aborts, hangs or takes gigabytes.
//!
//! The first byte picks the form. Even: the rest is the pack's zip (`pack.zip`). Odd:
//! the rest describes a folder pack, file after file, each introduced by a line
//! `@@ NAME` (a `\n` before every marker but a leading one); what follows that line, up to
//! the next marker, is the file's content. `@@ NAME -> TARGET` makes NAME a symbolic link
//! to TARGET instead. Names and targets are cut into `/`-separated parts with `.`, `..` and
//! empty parts dropped, so everything stays inside the temporary folder; a link may still
//! point at a folder, at itself or at nothing, as a damaged or forged pack's may.
#![no_main]

use dossier::verify::verify;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};

/// The marker that starts a file of a folder pack.
const MARKER: &[u8] = b"\n@@ ";
/// Bounds on what one input creates: files, parts of a name, bytes of a part.
const MAX_FILES: usize = 64;
const MAX_DEPTH: usize = 6;
const MAX_PART: usize = 80;

/// NAME as a relative path inside the pack, or `None` when nothing of it is left.
fn inside(name: &[u8]) -> Option<PathBuf> {
    let name = String::from_utf8_lossy(name);
    let parts: Vec<String> = name
        .split(['/', '\\'])
        .map(|p| {
            p.replace('\0', "")
                .chars()
                .take(MAX_PART)
                .collect::<String>()
        })
        .filter(|p| !p.is_empty() && p != "." && p != "..")
        .take(MAX_DEPTH)
        .collect();
    (!parts.is_empty()).then(|| parts.iter().collect())
}

/// The start of every occurrence of `MARKER` in `body`.
fn markers(body: &[u8]) -> Vec<usize> {
    body.windows(MARKER.len())
        .enumerate()
        .filter(|(_, w)| *w == MARKER)
        .map(|(i, _)| i)
        .collect()
}

/// Writes the folder pack that `body` describes under `root`; what cannot be written
/// (a name that is both a file and a folder) is left out.
fn write_folder(root: &Path, body: &[u8]) {
    // A leading marker needs no newline before it.
    let mut text = Vec::with_capacity(body.len() + 1);
    text.push(b'\n');
    text.extend_from_slice(body);
    let starts = markers(&text);
    for (n, &at) in starts.iter().enumerate().take(MAX_FILES) {
        let end = starts.get(n + 1).copied().unwrap_or(text.len());
        let record = &text[at + MARKER.len()..end];
        let (head, content) = match record.iter().position(|&b| b == b'\n') {
            Some(nl) => (&record[..nl], &record[nl + 1..]),
            None => (record, &[][..]),
        };
        let (name, link) = match head.windows(4).position(|w| w == b" -> ") {
            Some(arrow) => (&head[..arrow], Some(&head[arrow + 4..])),
            None => (head, None),
        };
        let Some(rel) = inside(name) else { continue };
        let path = root.join(&rel);
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_err()
        {
            continue;
        }
        match link {
            Some(target) => {
                let target = inside(target).unwrap_or_else(|| PathBuf::from("."));
                let _ = std::os::unix::fs::symlink(target, &path);
            }
            None => {
                let _ = std::fs::write(&path, content);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else { return };
    if pick & 1 == 0 {
        let zip = dir.path().join("pack.zip");
        if std::fs::write(&zip, body).is_ok() {
            let _ = verify(&zip);
        }
    } else {
        let root = dir.path().join("pack");
        if std::fs::create_dir(&root).is_ok() {
            write_folder(&root, body);
            let _ = verify(&root);
        }
    }
});
