//! `dossier verify PACK.zip|DIR`: proves a pack handed to inspectors is what was
//! built, by re-hashing every file against its `manifest.sha256`. It must agree with
//! `sha256sum -c` (so anyone can check without dossier) and must cope with packs of
//! gigabytes, so every file is streamed, zip entries included.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use zip::ZipArchive;

use crate::hash::sha256_reader;
use crate::signature::SIGNATURE;

/// The manifest's own name at the pack's root; it cannot list itself.
pub const MANIFEST: &str = "manifest.sha256";

/// The outcome of checking a readable pack; every list sorted, so output is stable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Files whose hash matches the manifest.
    pub intact: usize,
    /// Listed files whose content differs (or whose zip entry no longer decodes).
    pub changed: Vec<String>,
    /// Listed files that are not in the pack.
    pub missing: Vec<String>,
    /// Files in the pack the manifest does not list (something was slipped in).
    pub unexpected: Vec<String>,
    /// Paths a zip holds more than once: an unzip program may extract either copy, so
    /// the genuine one hashing right proves nothing about what a reader gets.
    pub duplicated: Vec<String>,
    /// Paths of a folder pack that are no regular file (a FIFO, a device, a socket):
    /// never opened, since reading one could block for ever.
    pub not_files: Vec<String>,
    /// Paths on which `manifest.json` and `manifest.sha256` disagree (listed in one
    /// only, or with another digest): one of them was rewritten.
    pub disagreeing: Vec<String>,
    /// Files an operating system drops into any folder a person opens (`Thumbs.db`,
    /// `.DS_Store`, `desktop.ini`), not listed: named, but the pack is still intact, as
    /// `sha256sum -c` says. Any other file not listed makes it not intact: that is
    /// what `sha256sum -c` cannot see, and what a forger slips in.
    pub litter: Vec<String>,
    /// Listed files whose content is what `manifest.json` says but not what their
    /// `manifest.sha256` line says: the line was rewritten, not the file.
    pub miswritten: Vec<String>,
    /// What the pack's signature (`manifest.sha256.minisig`) says, if anything.
    pub signature: Signature,
}

/// The pack's signature, as far as it could be checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Signature {
    /// No `manifest.sha256.minisig` in the pack.
    #[default]
    NotSigned,
    /// Signed, but no public key was given to check it with.
    Unchecked {
        /// The key id the signature names (`?` when unreadable).
        key_id: String,
    },
    /// Checked with the key given: good, another key's, or not matching (also when its
    /// signed comment names another `manifest.sha256`).
    Checked(crate::signature::Check),
}

impl Verdict {
    /// Whether the pack is exactly what the manifest describes (exit 0 rather than 1).
    pub fn is_intact(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.duplicated.is_empty()
            && self.not_files.is_empty()
            && self.disagreeing.is_empty()
            && self.miswritten.is_empty()
    }
}

/// The most bytes `manifest.sha256` or `manifest.json` may hold (docs/limits.md): a
/// pack of a million files needs about 100 MB; a larger manifest is no pack of
/// dossier's, and reading it whole would cost what it claims.
pub const MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// The manifest that lists every file but the two manifests, with size and origin.
pub const MANIFEST_JSON: &str = "manifest.json";

/// The pack cannot be checked at all (exit 2), as opposed to checked and found wanting.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The pack path itself cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The pack.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file that is not a folder is not a readable zip either.
    #[error("{} is not a readable zip: {source}", path.display())]
    NotZip {
        /// The pack.
        path: PathBuf,
        /// What the zip reader said.
        source: zip::result::ZipError,
    },
    /// There is nothing to check against.
    #[error("{} has no {MANIFEST} at its root", path.display())]
    NoManifest {
        /// The pack.
        path: PathBuf,
    },
    /// A manifest line that is not `<64 hex>  <path>`; checking the rest would give a
    /// verdict on a manifest nobody wrote.
    #[error("{}: {MANIFEST} line {line}: {reason}", path.display())]
    Manifest {
        /// The pack.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A manifest larger than [`MANIFEST_BYTES`].
    #[error("{}: {entry} is larger than {limit} bytes; no pack of dossier's has such a manifest", path.display())]
    ManifestTooLarge {
        /// The pack.
        path: PathBuf,
        /// `manifest.sha256` or `manifest.json`.
        entry: String,
        /// The bound.
        limit: u64,
    },
    /// A file of the pack could not be read for a reason other than its content
    /// (a disk or permission error).
    #[error("cannot read `{entry}` in {}: {source}", path.display())]
    Read {
        /// The pack.
        path: PathBuf,
        /// The file inside the pack.
        entry: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Checks a pack, zipped or unpacked, against its `manifest.sha256`.
pub fn verify(pack: &Path) -> Result<Verdict, VerifyError> {
    verify_signed(pack, None)
}

/// [`verify`], and the signature checked with `key` when one is given.
pub fn verify_signed(
    pack: &Path,
    key: Option<&crate::signature::PublicKey>,
) -> Result<Verdict, VerifyError> {
    let meta = std::fs::metadata(pack).map_err(|source| VerifyError::Open {
        path: pack.to_path_buf(),
        source,
    })?;
    let (mut verdict, manifest, signature) = if meta.is_dir() {
        verify_folder(pack)?
    } else {
        verify_zip(pack)?
    };
    verdict.signature = match signature {
        None => Signature::NotSigned,
        Some(sig) => check_signature(&manifest, &String::from_utf8_lossy(&sig), key),
    };
    Ok(verdict)
}

/// The largest signature file read: minisign's are a few hundred bytes.
const SIGNATURE_BYTES: u64 = 64 * 1024;

/// What the signature says of `manifest` (the bytes of `manifest.sha256`).
fn check_signature(
    manifest: &[u8],
    sig: &str,
    key: Option<&crate::signature::PublicKey>,
) -> Signature {
    use crate::signature::{Check, check, signer_id};
    let Some(key) = key else {
        return Signature::Unchecked {
            key_id: signer_id(sig).unwrap_or_else(|| "?".into()),
        };
    };
    let checked = match check(key, sig, manifest) {
        // The comment is signed too; dossier's names the manifest it was made for.
        Check::Good {
            trusted_comment, ..
        } if trusted_comment
            .split("manifest.sha256: ")
            .nth(1)
            .is_some_and(|named| named.trim() != crate::hash::sha256_bytes(manifest)) =>
        {
            Check::Mismatch {
                reason: "the signed comment names another manifest.sha256".into(),
            }
        }
        other => other,
    };
    Signature::Checked(checked)
}

/// What hashing one file gave.
enum Hashed {
    /// The hex digest.
    Digest(String),
    /// The content cannot be decoded (zip CRC or deflate failure): it has been altered.
    Corrupt,
}

/// Reads a manifest of at most [`MANIFEST_BYTES`] from `reader`.
fn read_manifest(pack: &Path, entry: &str, reader: impl Read) -> Result<Vec<u8>, VerifyError> {
    read_bounded(pack, entry, reader, MANIFEST_BYTES)
}

/// Reads a manifest or signature of at most `limit` bytes from `reader`.
fn read_bounded(
    pack: &Path,
    entry: &str,
    reader: impl Read,
    limit: u64,
) -> Result<Vec<u8>, VerifyError> {
    let mut text = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut text)
        .map_err(|source| VerifyError::Read {
            path: pack.to_path_buf(),
            entry: entry.to_string(),
            source,
        })?;
    if text.len() as u64 > limit {
        return Err(VerifyError::ManifestTooLarge {
            path: pack.to_path_buf(),
            entry: entry.to_string(),
            limit,
        });
    }
    Ok(text)
}

/// The digests `manifest.json` gives (when the pack has one that parses as dossier's).
fn described(json: Option<&[u8]>) -> BTreeMap<String, String> {
    let mut described: BTreeMap<String, String> = BTreeMap::new();
    let Some(json) = json else {
        return described;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else {
        return described;
    };
    let Some(files) = value["files"].as_array() else {
        return described;
    };
    for f in files {
        if let (Some(p), Some(h)) = (f["path"].as_str(), f["sha256"].as_str()) {
            described.insert(p.to_string(), h.to_ascii_lowercase());
        }
    }
    described
}

/// The paths on which `manifest.json` (when there is one) and the listed digests
/// disagree.
fn disagreements(
    json: Option<&[u8]>,
    described: &BTreeMap<String, String>,
    listed: &BTreeMap<String, String>,
) -> Vec<String> {
    if json.is_none() {
        return Vec::new();
    }
    let mut out: BTreeSet<String> = BTreeSet::new();
    for (p, h) in described {
        if listed.get(p) != Some(h) {
            out.insert(p.clone());
        }
    }
    for p in listed.keys() {
        if p != MANIFEST_JSON && p != SIGNATURE && !described.contains_key(p) {
            out.insert(p.clone());
        }
    }
    out.into_iter().collect()
}

/// A verdict without its signature, `manifest.sha256`'s bytes and the signature's.
type Checked = (Verdict, Vec<u8>, Option<Vec<u8>>);

fn verify_folder(root: &Path) -> Result<Checked, VerifyError> {
    let mut present = BTreeSet::new();
    let mut special = BTreeSet::new();
    walk(root, root, &mut present, &mut special)?;
    if !present.contains(MANIFEST) {
        return Err(VerifyError::NoManifest {
            path: root.to_path_buf(),
        });
    }
    let open = |name: &str| {
        File::open(root.join(name)).map_err(|source| VerifyError::Read {
            path: root.to_path_buf(),
            entry: name.to_string(),
            source,
        })
    };
    let text = read_manifest(root, MANIFEST, open(MANIFEST)?)?;
    let listed = parse_manifest(root, &text)?;
    let json = if present.contains(MANIFEST_JSON) {
        Some(read_manifest(root, MANIFEST_JSON, open(MANIFEST_JSON)?)?)
    } else {
        None
    };
    let signature = if present.contains(SIGNATURE) {
        Some(read_bounded(
            root,
            SIGNATURE,
            open(SIGNATURE)?,
            SIGNATURE_BYTES,
        )?)
    } else {
        None
    };
    let described = described(json.as_deref());
    let disagreeing = disagreements(json.as_deref(), &described, &listed);
    let mut verdict = judge(listed, &described, present, |rel| {
        let full = rel.split('/').fold(root.to_path_buf(), |p, c| p.join(c));
        let file = File::open(&full)?;
        Ok(Hashed::Digest(sha256_reader(file)?.1))
    })
    .map_err(|(entry, source)| VerifyError::Read {
        path: root.to_path_buf(),
        entry,
        source,
    })?;
    verdict.not_files = special.into_iter().collect();
    verdict.disagreeing = disagreeing;
    Ok((verdict, text, signature))
}

fn verify_zip(path: &Path) -> Result<Checked, VerifyError> {
    let file = File::open(path).map_err(|source| VerifyError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = ZipArchive::new(file).map_err(|source| VerifyError::NotZip {
        path: path.to_path_buf(),
        source,
    })?;
    let mut index = BTreeMap::new();
    // The zip reader keeps one entry a name; the central directory itself says whether
    // a name is there twice.
    let mut duplicated: Vec<String> = central_names(path)
        .map(|names| {
            let mut seen = BTreeSet::new();
            let mut twice = BTreeSet::new();
            for n in names {
                if !seen.insert(n.clone()) {
                    twice.insert(n);
                }
            }
            twice.into_iter().collect()
        })
        .unwrap_or_default();
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|source| VerifyError::NotZip {
                path: path.to_path_buf(),
                source,
            })?;
        if entry.is_dir() {
            continue;
        }
        let name = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
        };
        if index.insert(name.clone(), i).is_some() && !duplicated.contains(&name) {
            duplicated.push(name);
        }
    }
    duplicated.sort();
    duplicated.dedup();
    let Some(&manifest_at) = index.get(MANIFEST) else {
        return Err(VerifyError::NoManifest {
            path: path.to_path_buf(),
        });
    };
    let mut entry_text = |at: usize, name: &str, limit: u64| {
        let entry = archive.by_index(at).map_err(|e| VerifyError::Read {
            path: path.to_path_buf(),
            entry: name.to_string(),
            source: std::io::Error::other(e),
        })?;
        read_bounded(path, name, entry, limit)
    };
    let text = entry_text(manifest_at, MANIFEST, MANIFEST_BYTES)?;
    let json = match index.get(MANIFEST_JSON) {
        Some(&at) => Some(entry_text(at, MANIFEST_JSON, MANIFEST_BYTES)?),
        None => None,
    };
    let signature = match index.get(SIGNATURE) {
        Some(&at) => Some(entry_text(at, SIGNATURE, SIGNATURE_BYTES)?),
        None => None,
    };
    let listed = parse_manifest(path, &text)?;
    let described = described(json.as_deref());
    let disagreeing = disagreements(json.as_deref(), &described, &listed);
    let present: BTreeSet<String> = index.keys().cloned().collect();
    judge(listed, &described, present, |rel| {
        let Some(&i) = index.get(rel) else {
            return Err(std::io::Error::from(std::io::ErrorKind::NotFound));
        };
        // dossier stores or deflates; any other method (bzip2 can take minutes on a
        // few kilobytes) is not what it wrote, and is not decoded.
        let method = archive.by_index_raw(i).map(|e| e.compression());
        if !matches!(
            method,
            Ok(zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated)
        ) {
            return Ok(Hashed::Corrupt);
        }
        let entry = match archive.by_index(i) {
            Ok(e) => e,
            // Unsupported method or encryption: not something dossier wrote.
            Err(_) => return Ok(Hashed::Corrupt),
        };
        match sha256_reader(entry) {
            Ok((_, digest)) => Ok(Hashed::Digest(digest)),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Ok(Hashed::Corrupt),
            Err(e) => Err(e),
        }
    })
    .map_err(|(entry, source)| VerifyError::Read {
        path: path.to_path_buf(),
        entry,
        source,
    })
    .map(|mut verdict| {
        verdict.duplicated = duplicated;
        verdict.disagreeing = disagreeing;
        (verdict, text, signature)
    })
}

/// The names of every entry of a zip's central directory, duplicates and all, read
/// from the end of central directory record (Zip64 too). `None` when the directory
/// cannot be found or is larger than [`MANIFEST_BYTES`] (the zip reader then decides).
fn central_names(path: &Path) -> Option<Vec<String>> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let tail_len = len.min(65_557 + 20);
    file.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail).ok()?;
    let le16 = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]) as u64;
    let le32 = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as u64;
    let le64 = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])?;
    let (mut size, mut offset) = (le32(&tail, eocd + 12), le32(&tail, eocd + 16));
    if (size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF) && eocd >= 20 {
        let loc = eocd - 20;
        if tail[loc..loc + 4] != [0x50, 0x4b, 0x06, 0x07] {
            return None;
        }
        let at = le64(&tail, loc + 8);
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut rec = [0u8; 56];
        file.read_exact(&mut rec).ok()?;
        if rec[..4] != [0x50, 0x4b, 0x06, 0x06] {
            return None;
        }
        size = le64(&rec, 40);
        offset = le64(&rec, 48);
    }
    if size > MANIFEST_BYTES || offset.checked_add(size)? > len {
        return None;
    }
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut dir = vec![0u8; size as usize];
    file.read_exact(&mut dir).ok()?;
    let mut names = Vec::new();
    let mut at = 0usize;
    while at + 46 <= dir.len() && dir[at..at + 4] == [0x50, 0x4b, 0x01, 0x02] {
        let n = le16(&dir, at + 28) as usize;
        let extra = le16(&dir, at + 30) as usize;
        let comment = le16(&dir, at + 32) as usize;
        let name = dir.get(at + 46..at + 46 + n)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + n + extra + comment;
    }
    Some(names)
}

/// Compares the manifest with what is present, hashing each listed file that is there.
fn judge(
    listed: BTreeMap<String, String>,
    described: &BTreeMap<String, String>,
    present: BTreeSet<String>,
    mut hash: impl FnMut(&str) -> std::io::Result<Hashed>,
) -> Result<Verdict, (String, std::io::Error)> {
    let mut verdict = Verdict::default();
    for (rel, expected) in &listed {
        if !present.contains(rel) {
            verdict.missing.push(rel.clone());
            continue;
        }
        match hash(rel).map_err(|e| (rel.clone(), e))? {
            Hashed::Digest(d) if d == *expected => verdict.intact += 1,
            // The file is what manifest.json says: its manifest.sha256 line was changed.
            Hashed::Digest(d) if described.get(rel) == Some(&d) => {
                verdict.miswritten.push(rel.clone())
            }
            _ => verdict.changed.push(rel.clone()),
        }
    }
    let (litter, unexpected): (Vec<String>, Vec<String>) = present
        .into_iter()
        .filter(|p| p != MANIFEST && p != SIGNATURE && !listed.contains_key(p))
        .partition(|p| {
            let name = p.rsplit('/').next().unwrap_or(p);
            crate::output::SYSTEM_LITTER.contains(&name)
        });
    verdict.unexpected = unexpected;
    verdict.litter = litter;
    Ok(verdict)
}

/// Collects every file under `dir` as a `/`-separated path relative to `root`.
/// Symbolic links count as what they point to; a link to a folder is not followed
/// (it could loop), and is not a file either.
fn walk(
    root: &Path,
    dir: &Path,
    out: &mut BTreeSet<String>,
    special: &mut BTreeSet<String>,
) -> Result<(), VerifyError> {
    let rerr = |p: &Path, source| VerifyError::Read {
        path: root.to_path_buf(),
        entry: rel_of(root, p),
        source,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| rerr(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| rerr(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| rerr(&path, e))?;
        if ft.is_dir() {
            walk(root, &path, out, special)?;
        } else if ft.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if !m.is_file() => {
                    special.insert(rel_of(root, &path));
                }
                _ => {
                    out.insert(rel_of(root, &path));
                }
            }
        } else if ft.is_file() {
            out.insert(rel_of(root, &path));
        } else {
            // A FIFO, device or socket: opening it could block for ever.
            special.insert(rel_of(root, &path));
        }
    }
    Ok(())
}

/// `path` relative to `root`, `/`-separated, as the manifest writes it.
fn rel_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads sha256sum output: `<64 hex>  <path>` (text mode) or `<64 hex> *<path>`
/// (binary mode), a leading `\` marking an escaped name as GNU sha256sum writes it.
/// Empty lines are skipped; anything else malformed is an error naming its line.
fn parse_manifest(pack: &Path, text: &[u8]) -> Result<BTreeMap<String, String>, VerifyError> {
    let bad = |line: usize, reason: &str| VerifyError::Manifest {
        path: pack.to_path_buf(),
        line,
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(text).map_err(|e| {
        let line = text[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        bad(line, "not UTF-8")
    })?;
    let mut listed = BTreeMap::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            continue;
        }
        let (escaped, line) = match line.strip_prefix('\\') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let (digest, rest) = match line.split_at_checked(64) {
            Some(parts) => parts,
            None => return Err(bad(line_no, "expected 64 hex digits, two spaces, a path")),
        };
        if !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(line_no, "the digest is not 64 hex digits"));
        }
        let name = rest
            .strip_prefix("  ")
            .or_else(|| rest.strip_prefix(" *"))
            .ok_or_else(|| bad(line_no, "expected two spaces (or ` *`) after the digest"))?;
        let name = if escaped {
            unescape(name).ok_or_else(|| bad(line_no, "bad escape in the path"))?
        } else {
            name.to_string()
        };
        if name.is_empty() {
            return Err(bad(line_no, "empty path"));
        }
        // Checked both as '/'-separated text and as this platform's path, so no line can
        // point outside the pack (`..`, `/etc`, or `C:` and backslashes on Windows).
        if name
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
            || !Path::new(&name)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            return Err(bad(
                line_no,
                "path is not a plain relative path inside the pack",
            ));
        }
        let digest = digest.to_ascii_lowercase();
        if let Some(previous) = listed.insert(name, digest.clone())
            && previous != digest
        {
            return Err(bad(line_no, "path listed twice with different digests"));
        }
    }
    Ok(listed)
}

/// Undoes GNU sha256sum's escaping of `\\` and `\n` in names.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha256_bytes;
    use crate::pack::archive::{Entry, Source, write_folder, write_zip};
    use chrono::{NaiveDate, NaiveDateTime};
    use std::io::Write;

    fn stamp() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 3, 31)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap()
    }

    /// Files of a small pack, with a manifest.sha256 computed over them.
    fn files() -> Vec<(String, Vec<u8>)> {
        vec![
            ("00-目录.csv".into(), "序号,项\n1,x\n".into()),
            ("report.json".into(), b"{}".to_vec()),
            (
                "材料/01 制度/001 责任制/01 文件/纪要.pdf".into(),
                vec![3u8; 300_000],
            ),
            (
                "材料/01 制度/001 责任制/99-其他材料/a b.jpg".into(),
                vec![9u8; 10],
            ),
        ]
    }

    fn entries(files: &[(String, Vec<u8>)]) -> Vec<Entry> {
        let mut manifest = String::new();
        let mut out = Vec::new();
        for (path, data) in files {
            manifest.push_str(&format!("{}  {path}\n", sha256_bytes(data)));
            out.push(Entry {
                path: path.clone(),
                source: Source::Bytes(data.clone()),
            });
        }
        out.push(Entry {
            path: MANIFEST.into(),
            source: Source::Bytes(manifest.into_bytes()),
        });
        out
    }

    fn intact(n: usize) -> Verdict {
        Verdict {
            intact: n,
            ..Verdict::default()
        }
    }

    /// The verdict after changing one byte, deleting one file and adding one.
    fn tampered() -> Verdict {
        Verdict {
            intact: 2,
            changed: vec!["材料/01 制度/001 责任制/01 文件/纪要.pdf".into()],
            missing: vec!["report.json".into()],
            unexpected: vec!["材料/extra.txt".into()],
            ..Verdict::default()
        }
    }

    fn tamper(files: &mut Vec<(String, Vec<u8>)>) {
        files[2].1[123_456] ^= 1;
        files.remove(1);
        files.push(("材料/extra.txt".into(), b"slipped in".to_vec()));
    }

    #[test]
    fn zip_pack_intact_then_tampered() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("p.zip");
        let good = files();
        write_zip(entries(&good), &zip, stamp()).unwrap();
        let v = verify(&zip).unwrap();
        assert_eq!(v, intact(4));
        assert!(v.is_intact());

        // Same manifest, tampered content: rebuild the zip from the tampered files but
        // keep the original manifest.
        let manifest = entries(&good).pop().unwrap();
        let mut bad = good.clone();
        tamper(&mut bad);
        let mut tampered_entries: Vec<Entry> = entries(&bad);
        tampered_entries.pop();
        tampered_entries.push(manifest);
        write_zip(tampered_entries, &zip, stamp()).unwrap();
        let v = verify(&zip).unwrap();
        assert_eq!(v, tampered());
        assert!(!v.is_intact());
    }

    #[test]
    fn a_byte_flipped_inside_the_zip_file_counts_as_changed() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("p.zip");
        let good = files();
        write_zip(entries(&good), &zip, stamp()).unwrap();
        let mut bytes = std::fs::read(&zip).unwrap();
        // The big PDF is deflated from memory here; flip a byte in the middle of the
        // archive, inside its data, either failing to inflate or failing the CRC.
        let mut archive = ZipArchive::new(File::open(&zip).unwrap()).unwrap();
        let at = {
            let f = archive.by_name(&good[2].0).unwrap();
            f.data_start().unwrap() + f.compressed_size() / 2
        };
        bytes[at as usize] ^= 0x55;
        std::fs::write(&zip, &bytes).unwrap();
        let v = verify(&zip).unwrap();
        assert_eq!(v.changed, vec![good[2].0.clone()]);
        assert_eq!(v.intact, 3);
    }

    #[test]
    fn a_byte_flipped_in_a_stored_entry_counts_as_changed() {
        let dir = tempfile::tempdir().unwrap();
        let video = dir.path().join("v.mp4");
        let data = vec![5u8; 200_000];
        std::fs::write(&video, &data).unwrap();
        let manifest = format!("{}  视频/v.mp4\n", sha256_bytes(&data));
        let entries = vec![
            Entry {
                path: "视频/v.mp4".into(),
                source: Source::File(video),
            },
            Entry {
                path: MANIFEST.into(),
                source: Source::Bytes(manifest.into_bytes()),
            },
        ];
        let zip = dir.path().join("p.zip");
        write_zip(entries, &zip, stamp()).unwrap();
        assert_eq!(verify(&zip).unwrap(), intact(1));
        let at = {
            let mut archive = ZipArchive::new(File::open(&zip).unwrap()).unwrap();
            let f = archive.by_name("视频/v.mp4").unwrap();
            assert_eq!(f.compression(), zip::CompressionMethod::Stored);
            f.data_start().unwrap() + 100_000
        };
        let mut bytes = std::fs::read(&zip).unwrap();
        bytes[at as usize] ^= 1;
        std::fs::write(&zip, &bytes).unwrap();
        let v = verify(&zip).unwrap();
        assert_eq!(v.changed, ["视频/v.mp4"]);
        assert_eq!(v.intact, 0);
    }

    #[test]
    fn folder_pack_intact_then_tampered() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("pack");
        write_folder(entries(&files()), &folder).unwrap();
        assert_eq!(verify(&folder).unwrap(), intact(4));

        let pdf = folder.join("材料/01 制度/001 责任制/01 文件/纪要.pdf");
        let mut data = std::fs::read(&pdf).unwrap();
        data[123_456] ^= 1;
        std::fs::write(&pdf, data).unwrap();
        std::fs::remove_file(folder.join("report.json")).unwrap();
        std::fs::write(folder.join("材料/extra.txt"), b"slipped in").unwrap();
        // An empty folder is not a file.
        std::fs::create_dir(folder.join("材料/empty")).unwrap();
        assert_eq!(verify(&folder).unwrap(), tampered());
    }

    #[test]
    fn sha256sum_agrees_on_the_unpacked_folder() {
        let Ok(probe) = std::process::Command::new("sha256sum")
            .arg("--version")
            .output()
        else {
            return;
        };
        if !probe.status.success() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("pack");
        write_folder(entries(&files()), &folder).unwrap();
        let check = || {
            let out = std::process::Command::new("sha256sum")
                .args(["-c", MANIFEST])
                .current_dir(&folder)
                .env("LC_ALL", "C")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let ok = text.lines().filter(|l| l.ends_with(": OK")).count();
            let mut failed: Vec<String> = text
                .lines()
                .filter_map(|l| l.split_once(": FAILED").map(|(p, _)| p.to_string()))
                .collect();
            failed.sort();
            (out.status.success(), ok, failed)
        };
        let v = verify(&folder).unwrap();
        assert_eq!(check(), (true, v.intact, vec![]));

        let pdf = folder.join("材料/01 制度/001 责任制/01 文件/纪要.pdf");
        let mut data = std::fs::read(&pdf).unwrap();
        data[0] ^= 1;
        std::fs::write(&pdf, data).unwrap();
        std::fs::remove_file(folder.join("report.json")).unwrap();
        let v = verify(&folder).unwrap();
        let mut bad: Vec<String> = v.changed.iter().chain(&v.missing).cloned().collect();
        bad.sort();
        assert_eq!(check(), (false, v.intact, bad));
    }

    #[test]
    fn unzip_then_sha256sum_agrees_with_verify_on_the_zip() {
        let have = |tool: &str| {
            std::process::Command::new(tool)
                .arg("-h")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !have("unzip") || !have("sha256sum") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("p.zip");
        write_zip(entries(&files()), &zip, stamp()).unwrap();
        let out = dir.path().join("x");
        let status = std::process::Command::new("unzip")
            .args(["-q", "-d"])
            .arg(&out)
            .arg(&zip)
            .status()
            .unwrap();
        assert!(status.success());
        let status = std::process::Command::new("sha256sum")
            .args(["-c", "--quiet", MANIFEST])
            .current_dir(&out)
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(verify(&zip).unwrap(), verify(&out).unwrap());
    }

    #[test]
    fn unreadable_packs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        // Missing path.
        assert!(matches!(
            verify(&dir.path().join("none.zip")),
            Err(VerifyError::Open { .. })
        ));
        // Not a zip.
        let junk = dir.path().join("junk.zip");
        std::fs::write(&junk, b"not a zip at all").unwrap();
        assert!(matches!(verify(&junk), Err(VerifyError::NotZip { .. })));
        // No manifest, zip and folder.
        let zip = dir.path().join("p.zip");
        let no_manifest = vec![Entry {
            path: "a.txt".into(),
            source: Source::Bytes(b"a".to_vec()),
        }];
        write_zip(no_manifest.clone(), &zip, stamp()).unwrap();
        assert!(matches!(verify(&zip), Err(VerifyError::NoManifest { .. })));
        let folder = dir.path().join("f");
        write_folder(no_manifest, &folder).unwrap();
        assert!(matches!(
            verify(&folder),
            Err(VerifyError::NoManifest { .. })
        ));
        // A malformed line is named by number.
        let mut f = File::create(folder.join(MANIFEST)).unwrap();
        writeln!(f, "{}  a.txt", sha256_bytes(b"a")).unwrap();
        writeln!(f).unwrap();
        writeln!(f, "nothex  b.txt").unwrap();
        drop(f);
        match verify(&folder) {
            Err(e @ VerifyError::Manifest { line: 3, .. }) => {
                assert!(e.to_string().contains("line 3"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn manifest_lines_in_both_sha256sum_modes_and_escapes() {
        let h = "ab".repeat(32);
        let text = format!(
            "{h}  a b.txt\n{} *c.bin\r\n\n\\{h}  dir/x\\ny\n",
            h.to_uppercase()
        );
        let listed = parse_manifest(Path::new("p"), text.as_bytes()).unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed.get("a b.txt"), Some(&h));
        assert_eq!(listed.get("c.bin"), Some(&h));
        assert_eq!(listed.get("dir/x\ny"), Some(&h));
        assert_eq!(unescape("x\\\\y\\n").as_deref(), Some("x\\y\n"));
        for bad in [
            format!("{h} a.txt"),
            format!("{h}  ../etc/passwd"),
            format!("{h}  /etc/passwd"),
            format!("{h}  a//b"),
            format!("{h}  "),
            format!("{}  a", &h[..63]),
            format!("{h}  a\n{}  a", "cd".repeat(32)),
        ] {
            assert!(
                matches!(
                    parse_manifest(Path::new("p"), bad.as_bytes()),
                    Err(VerifyError::Manifest { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
