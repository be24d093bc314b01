//! Writing the pack, as a zip or as a folder. Inspectors compare packs and `verify`
//! re-checks them, so the same entries and stamp must give the same bytes; and a pack
//! is either wholly there or not there at all: nothing is ever written in place.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime, Timelike};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Where an entry's bytes come from: generated documents are in memory, evidence files
/// stay on disk (a video can be gigabytes) and are streamed.
#[derive(Debug, Clone)]
pub enum Source {
    /// Content already in memory (reports, index, manifests).
    Bytes(Vec<u8>),
    /// A file copied from disk without being read whole.
    File(PathBuf),
}

/// One file of the pack: where it goes and what it holds.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `/`-separated path inside the pack, each component already made safe by
    /// [`super::names`].
    pub path: String,
    /// The content.
    pub source: Source,
}

/// Why a pack could not be written; each names the file concerned, since the user has to
/// go and fix that one.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// An entry path that would escape the pack or is not a plain relative path.
    #[error("pack entry `{path}`: {reason}")]
    BadPath {
        /// The entry path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two entries with one path, or a file where another entry needs a folder.
    #[error("pack entry `{path}` clashes with `{other}`")]
    Clash {
        /// The entry path.
        path: String,
        /// The entry it collides with.
        other: String,
    },
    /// A source file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The source file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The pack (or its temporary file or folder) could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The zip library refused an entry.
    #[error("cannot write `{entry}` into {}: {source}", path.display())]
    Zip {
        /// The zip being written.
        path: PathBuf,
        /// The entry being added.
        entry: String,
        /// The underlying error.
        source: zip::result::ZipError,
    },
    /// An existing output folder could not be replaced: something in it could not be
    /// moved (on Windows: a program holds a file in it open). It is left as it was.
    #[error(
        "cannot replace {}: {}{error}; close any program that has a file in it open and run again",
        target.display(),
        entry.as_ref().map(|e| format!("{e}: ")).unwrap_or_default()
    )]
    Replace {
        /// The output folder, as the user gave it.
        target: PathBuf,
        /// What in it could not be moved, relative to it, when it was an entry of it.
        entry: Option<String>,
        /// The underlying error (not a source: the line already says what to do).
        error: std::io::Error,
    },
    /// A failed replacement could not put the old folder back whole: what was moved is
    /// kept in the holder rather than deleted, and the user is told where.
    #[error(
        "cannot replace {}, nor put the earlier folder back: {error}; it is kept in {} (its files under old/ and trash/), move it back by hand",
        target.display(),
        kept.display()
    )]
    Stranded {
        /// The output folder, as the user gave it.
        target: PathBuf,
        /// The holder the earlier folder's entries are in now.
        kept: PathBuf,
        /// Why it could not be moved back.
        error: std::io::Error,
    },
    /// Zip timestamps only cover 1980–2107.
    #[error("cannot stamp {}: {stamp} is outside the zip date range (1980–2107)", path.display())]
    Stamp {
        /// The zip being written.
        path: PathBuf,
        /// The stamp asked for.
        stamp: NaiveDateTime,
    },
}

/// Copy buffer: big writes keep `pack` as fast as `zip -0`, and memory stays bounded.
const CHUNK: usize = 1 << 20;

/// General-purpose flag bit 11: names are UTF-8 (APPNOTE 4.4.4).
const UTF8_FLAG: u16 = 1 << 11;

/// What went into the pack for one entry: its size and SHA-256 taken from the very bytes
/// written, in the one read that copied them, so a manifest made from these describes
/// the pack even if a source file changed meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The entry path.
    pub path: String,
    /// Bytes written.
    pub bytes: u64,
    /// Their lowercase hex SHA-256.
    pub sha256: String,
}

/// Writes `entries` as a zip at `target`: sorted by path, every timestamp `stamp`, fixed
/// permissions, no varying extra fields, the UTF-8 flag on every entry; evidence stored
/// (it is mostly compressed already), generated bytes deflated. Built in a temporary file
/// beside `target` and renamed over it, so a failure leaves any old pack untouched.
pub fn write_zip(
    entries: Vec<Entry>,
    target: &Path,
    stamp: NaiveDateTime,
) -> Result<Vec<Written>, ArchiveError> {
    write_zip_sealed(
        entries,
        target,
        stamp,
        |_| Ok::<_, ArchiveError>(Vec::new()),
    )
}

/// [`write_zip`], then `seal` is given what was written (hashed as it was copied) and
/// returns the entries that describe it (the manifests, a signature), written last. An
/// error from `seal` leaves no pack and any old one untouched, like any other failure.
pub fn write_zip_sealed<E: From<ArchiveError>>(
    entries: Vec<Entry>,
    target: &Path,
    stamp: NaiveDateTime,
    seal: impl FnOnce(&[Written]) -> Result<Vec<Entry>, E>,
) -> Result<Vec<Written>, E> {
    let entries = checked(entries)?;
    let when = zip_time(stamp).ok_or_else(|| ArchiveError::Stamp {
        path: target.to_path_buf(),
        stamp,
    })?;
    let werr = |source| ArchiveError::Write {
        path: target.to_path_buf(),
        source,
    };
    let parent = parent_of(target);
    let parents = Parents::create(&parent).map_err(werr)?;
    let prefix = temp_prefix(target);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // Readable like any other file once renamed (a temporary file starts owner-only).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let tmp = builder
        .tempfile_in(&parent)
        .map_err(|source| ArchiveError::Write {
            path: parent.clone(),
            source: plain(source),
        })?;
    let base = SimpleFileOptions::default()
        .last_modified_time(when)
        .system(zip::System::Unix)
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(BufWriter::with_capacity(256 * 1024, tmp));
    let zerr = |entry: &str, source| ArchiveError::Zip {
        path: target.to_path_buf(),
        entry: entry.to_string(),
        source,
    };
    let mut buf = vec![0u8; CHUNK];
    let mut written = Vec::with_capacity(entries.len());
    let mut add = |zip: &mut ZipWriter<_>,
                   path: &str,
                   source: &Source,
                   written: &mut Vec<Written>|
     -> Result<(), ArchiveError> {
        let (bytes, sha256) = match source {
            Source::Bytes(bytes) => {
                let opts = base
                    .compression_method(CompressionMethod::Deflated)
                    .large_file(bytes.len() as u64 >= zip::ZIP64_BYTES_THR);
                zip.start_file(path, opts).map_err(|e| zerr(path, e))?;
                zip.write_all(bytes).map_err(werr)?;
                (bytes.len() as u64, crate::hash::sha256_bytes(bytes))
            }
            Source::File(src) => {
                let rerr = |source| ArchiveError::Read {
                    path: src.clone(),
                    source,
                };
                let file = File::open(src).map_err(rerr)?;
                let len = file.metadata().map_err(rerr)?.len();
                let opts = base
                    .compression_method(CompressionMethod::Stored)
                    .large_file(len >= zip::ZIP64_BYTES_THR);
                zip.start_file(path, opts).map_err(|e| zerr(path, e))?;
                copy_hashing(file, &mut *zip, &mut buf).map_err(|e| match e {
                    Copy::Read(e) => rerr(e),
                    Copy::Write(e) => werr(e),
                })?
            }
        };
        written.push(Written {
            path: path.to_string(),
            bytes,
            sha256,
        });
        Ok(())
    };
    for (path, source) in &entries {
        add(&mut zip, path, source, &mut written)?;
    }
    let sealing = sealed(&entries, seal(&written)?)?;
    for (path, source) in &sealing {
        add(&mut zip, path, source, &mut written)?;
    }
    let tmp = zip
        .finish()
        .map_err(|e| zerr("(central directory)", e))?
        .into_inner()
        .map_err(|e| werr(e.into_error()))?;
    set_utf8_flags(tmp.as_file()).map_err(werr)?;
    tmp.as_file().sync_all().map_err(werr)?;
    tmp.persist(target).map_err(|e| werr(plain(e.error)))?;
    parents.keep();
    Ok(written)
}

/// The folders made on the way to a target, removed again (when still empty) if the
/// write fails: a failed pack leaves nothing behind, not even an empty folder.
struct Parents {
    made: Vec<PathBuf>,
}

impl Parents {
    /// Creates `dir` and any missing ancestors, remembering which were new.
    fn create(dir: &Path) -> std::io::Result<Parents> {
        let mut missing = Vec::new();
        let mut at = Some(dir);
        while let Some(d) = at {
            if d.as_os_str().is_empty() || std::fs::symlink_metadata(d).is_ok() {
                break;
            }
            missing.push(d.to_path_buf());
            at = d.parent();
        }
        let mut made = Parents { made: Vec::new() };
        for d in missing.into_iter().rev() {
            match std::fs::create_dir(&d) {
                Ok(()) => made.made.push(d),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                // Dropping `made` removes what was already created.
                Err(e) => return Err(e),
            }
        }
        Ok(made)
    }

    /// The write succeeded: the folders stay.
    fn keep(mut self) {
        self.made.clear();
    }
}

impl Drop for Parents {
    fn drop(&mut self) {
        for d in self.made.iter().rev() {
            // Only an empty folder goes (`remove_dir`): never anything someone put there.
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// An I/O error without the path a library attached to it: the temporary names it
/// carries mean nothing to the user, who is told the real target instead.
fn plain(e: std::io::Error) -> std::io::Error {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(e.kind(), e.kind().to_string()),
    }
}

/// The entries `seal` returned, checked like the others and against them.
fn sealed(
    body: &BTreeMap<String, Source>,
    more: Vec<Entry>,
) -> Result<BTreeMap<String, Source>, ArchiveError> {
    let more = checked(more)?;
    let mut all: Vec<&String> = body.keys().chain(more.keys()).collect();
    all.sort();
    for pair in all.windows(2) {
        if pair[0] == pair[1] {
            return Err(ArchiveError::Clash {
                path: pair[1].clone(),
                other: pair[0].clone(),
            });
        }
    }
    nested(&all)?;
    Ok(more)
}

/// Why a copy stopped: reading the source or writing the pack.
enum Copy {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Copies `input` into `output` in [`CHUNK`]s, hashing what it copies: one read gives the
/// entry and its digest. Returns (bytes, lowercase hex SHA-256).
fn copy_hashing(
    mut input: impl Read,
    output: &mut impl Write,
    buf: &mut [u8],
) -> Result<(u64, String), Copy> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut total = 0u64;
    loop {
        let n = match input.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n]).map_err(Copy::Write)?;
        total += n as u64;
    }
    Ok((total, crate::hash::hex(&hasher.finalize())))
}

/// Writes the same tree as [`write_zip`] into the folder `target`. Built in a temporary
/// folder beside it and renamed into place; an existing folder is moved aside, replaced,
/// then deleted, so at every moment `target` is either the old pack or the new one.
pub fn write_folder(entries: Vec<Entry>, target: &Path) -> Result<Vec<Written>, ArchiveError> {
    write_folder_as(entries, target, target, |_| {
        Ok::<_, ArchiveError>(Vec::new())
    })
}

/// [`write_folder`] with a `seal` as [`write_zip_sealed`] has, and every error naming
/// `shown` (the path as the user gave it, e.g. before a link was followed) and the entry
/// inside it, never the temporary folder the entry was really being written into: that
/// name means nothing to the user.
pub fn write_folder_as<E: From<ArchiveError>>(
    entries: Vec<Entry>,
    target: &Path,
    shown: &Path,
    seal: impl FnOnce(&[Written]) -> Result<Vec<Entry>, E>,
) -> Result<Vec<Written>, E> {
    let entries = checked(entries)?;
    let parents = Parents::create(&parent_of(target)).map_err(|source| ArchiveError::Write {
        path: shown.to_path_buf(),
        source,
    })?;
    let tmp = staging_dir(target)?;
    let werr = |path: &Path, source| ArchiveError::Write {
        path: path.to_path_buf(),
        source,
    };
    let inside =
        |root: &Path, path: &str| path.split('/').fold(root.to_path_buf(), |p, c| p.join(c));
    let mut buf = vec![0u8; CHUNK];
    let mut written = Vec::with_capacity(entries.len());
    let mut add = |path: &str, source: &Source, written: &mut Vec<Written>| {
        let dest = inside(tmp.path(), path);
        let named = inside(shown, path);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| werr(named.parent().unwrap_or(shown), e))?;
        }
        let (bytes, sha256) = match source {
            Source::Bytes(bytes) => {
                write_synced(&dest, bytes).map_err(|e| werr(&named, e))?;
                (bytes.len() as u64, crate::hash::sha256_bytes(bytes))
            }
            Source::File(src) => copy_file(src, &dest, &mut buf).map_err(|e| match e {
                Copy::Read(source) => ArchiveError::Read {
                    path: src.clone(),
                    source,
                },
                Copy::Write(source) => werr(&named, source),
            })?,
        };
        written.push(Written {
            path: path.to_string(),
            bytes,
            sha256,
        });
        Ok::<(), ArchiveError>(())
    };
    for (path, source) in &entries {
        add(path, source, &mut written)?;
    }
    let sealing = sealed(&entries, seal(&written)?)?;
    for (path, source) in &sealing {
        add(path, source, &mut written)?;
    }
    swap_in(tmp, target, shown)?;
    parents.keep();
    Ok(written)
}

/// A hidden, empty folder beside `target` (same file system, so the swap is a rename)
/// where a new folder is built; removed again if dropped before [`swap_in`].
pub(crate) fn staging_dir(target: &Path) -> Result<tempfile::TempDir, ArchiveError> {
    let parent = parent_of(target);
    let werr = |source| ArchiveError::Write {
        path: parent.clone(),
        source,
    };
    std::fs::create_dir_all(&parent).map_err(werr)?;
    tempfile::Builder::new()
        .prefix(&temp_prefix(target))
        .tempdir_in(&parent)
        .map_err(|e| werr(plain(e)))
}

/// Makes a finished staging folder readable like any folder and puts it at `target`,
/// replacing what was there whole. Errors name `shown`.
pub(crate) fn swap_in(
    tmp: tempfile::TempDir,
    target: &Path,
    shown: &Path,
) -> Result<(), ArchiveError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perms = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(tmp.path(), perms).map_err(|source| ArchiveError::Write {
            path: shown.to_path_buf(),
            source,
        })?;
    }
    replace_dir(tmp, target, shown)
}

/// Writes generated bytes and syncs them, so the folder swapped in is on disk, not only
/// in the page cache.
fn write_synced(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(dest)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Puts the finished temporary folder at `target`, replacing any old one. Errors name
/// `shown`.
fn replace_dir(tmp: tempfile::TempDir, target: &Path, shown: &Path) -> Result<(), ArchiveError> {
    replace_dir_with(&RealFs, tmp, target, shown)
}

/// The renames a swap makes, behind a trait so a test can make one fail as Windows makes
/// it fail when a program (a PDF viewer, Excel, WPS) holds a file of the old folder open.
pub(crate) trait SwapFs {
    /// Renames `from` to `to`, as [`std::fs::rename`] does.
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()>;
}

/// The file system itself.
struct RealFs;

impl SwapFs for RealFs {
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::rename(from, to)
    }
}

/// [`replace_dir`] through `fs`. The old folder is moved into a hidden holder beside the
/// target, then everything in it is moved out into the holder's trash, deepest first,
/// before the new folder goes in: a file or folder another program holds open cannot be
/// moved on Windows (as it cannot be deleted), so one that does not move stops the swap
/// while the old folder can still be put back whole. On any failure the old folder is
/// put back as it was, the new one and the holder are removed, and the error says why
/// ([`ArchiveError::Replace`]); once the new folder is in, the holder (the old folder's
/// files, all movable) is deleted.
pub(crate) fn replace_dir_with(
    fs: &dyn SwapFs,
    tmp: tempfile::TempDir,
    target: &Path,
    shown: &Path,
) -> Result<(), ArchiveError> {
    let exists = std::fs::symlink_metadata(target).is_ok();
    if !exists {
        fs.rename(tmp.path(), target)
            .map_err(|source| ArchiveError::Write {
                path: shown.to_path_buf(),
                source,
            })?;
        // Already moved: nothing left for the guard to delete.
        let _ = tmp.keep();
        return Ok(());
    }
    let parent = parent_of(target);
    // The old folder goes into a fresh holder folder (a rename into an existing folder
    // works everywhere, a rename onto one does not).
    let holder = tempfile::Builder::new()
        .prefix(&format!(".{}.old-", file_name(target)))
        .tempdir_in(&parent)
        .map_err(|e| ArchiveError::Write {
            path: parent.clone(),
            source: plain(e),
        })?;
    let refused = |entry: Option<String>, error| ArchiveError::Replace {
        target: shown.to_path_buf(),
        entry,
        error,
    };
    let old = holder.path().join("old");
    fs.rename(target, &old).map_err(|e| refused(None, e))?;
    let trash = holder.path().join("trash");
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    let emptied = std::fs::create_dir(&trash)
        .map_err(|e| (None, e))
        .and_then(|()| empty_into(fs, &old, &trash, &mut moved));
    let swapped = emptied.and_then(|()| fs.rename(tmp.path(), target).map_err(|e| (None, e)));
    if let Err((entry, error)) = swapped {
        // Back as it was: every entry to its place (folders before what was in them),
        // then the folder itself; the new folder and the holder go on drop.
        let mut back = Ok(());
        for (from, to) in moved.iter().rev() {
            if let Err(e) = fs.rename(to, from) {
                back = back.and(Err(e));
            }
        }
        let back = back.and_then(|()| fs.rename(&old, target));
        if let Err(stuck) = back {
            // What is in the holder must not be deleted with it: say where it is.
            return Err(ArchiveError::Stranded {
                target: shown.to_path_buf(),
                kept: holder.keep(),
                error: stuck,
            });
        }
        return Err(refused(entry, error));
    }
    let _ = tmp.keep();
    // The new folder is in place; everything in the holder moved, so it can go.
    let _ = std::fs::remove_dir_all(holder.path());
    drop(holder);
    Ok(())
}

/// Moves everything inside `dir` into `trash` under numbered names, each folder's
/// contents before the folder, recording each move in `moved` so it can be undone.
/// Links are moved, never followed. The first entry that cannot be moved or read stops
/// it, named relative to `dir` (`/`-separated).
fn empty_into(
    fs: &dyn SwapFs,
    dir: &Path,
    trash: &Path,
    moved: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), (Option<String>, std::io::Error)> {
    let shown = |path: &Path| {
        path.strip_prefix(dir)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    // Folders still to list, and folders listed whose contents are being moved: a
    // folder is moved once everything in it has been (its own stack, so no nesting
    // depth exhausts the thread's).
    let mut todo: Vec<(PathBuf, bool)> = vec![(dir.to_path_buf(), false)];
    while let Some((at, listed)) = todo.pop() {
        if listed {
            if at != dir {
                let to = trash.join(moved.len().to_string());
                fs.rename(&at, &to).map_err(|e| (Some(shown(&at)), e))?;
                moved.push((at, to));
            }
            continue;
        }
        todo.push((at.clone(), true));
        let entries = std::fs::read_dir(&at).map_err(|e| (Some(shown(&at)), e))?;
        let mut entries: Vec<std::fs::DirEntry> = entries
            .collect::<Result<_, _>>()
            .map_err(|e| (Some(shown(&at)), e))?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let is_dir = entry
                .file_type()
                .map_err(|e| (Some(shown(&path)), e))?
                .is_dir();
            if is_dir {
                todo.push((path, false));
            } else {
                let to = trash.join(moved.len().to_string());
                fs.rename(&path, &to).map_err(|e| (Some(shown(&path)), e))?;
                moved.push((path, to));
            }
        }
    }
    Ok(())
}

/// Streams one evidence file into the folder pack, hashing it on the way.
fn copy_file(src: &Path, dest: &Path, buf: &mut [u8]) -> Result<(u64, String), Copy> {
    let input = File::open(src).map_err(Copy::Read)?;
    let mut output = File::create(dest).map_err(Copy::Write)?;
    copy_hashing(input, &mut output, buf)
}

/// Sorts entries by path (byte order) and refuses paths that would escape the pack,
/// duplicates, and files that another entry needs as a folder.
fn checked(entries: Vec<Entry>) -> Result<BTreeMap<String, Source>, ArchiveError> {
    let mut map = BTreeMap::new();
    for Entry { path, source } in entries {
        if let Some(reason) = bad_path(&path) {
            return Err(ArchiveError::BadPath { path, reason });
        }
        if map.contains_key(&path) {
            return Err(ArchiveError::Clash {
                other: path.clone(),
                path,
            });
        }
        map.insert(path, source);
    }
    let keys: Vec<&String> = map.keys().collect();
    nested(&keys)?;
    Ok(map)
}

/// Refuses a file that another entry needs as a folder; `keys` sorted in byte order.
fn nested(keys: &[&String]) -> Result<(), ArchiveError> {
    // In byte order a folder's contents follow straight after it ("a" < "a/b"), with only
    // names like "a-b" or "a.b" in between, which sort before '/'.
    for (i, file) in keys.iter().enumerate() {
        let prefix = format!("{file}/");
        for later in &keys[i + 1..] {
            if later.starts_with(&prefix) {
                return Err(ArchiveError::Clash {
                    path: (*later).clone(),
                    other: (*file).clone(),
                });
            }
            if later.as_bytes() > prefix.as_bytes() {
                break;
            }
        }
    }
    Ok(())
}

/// What is wrong with an entry path, if anything.
fn bad_path(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("empty path");
    }
    if path.contains('\\') || path.contains('\0') {
        return Some("path contains a backslash or NUL");
    }
    for c in path.split('/') {
        match c {
            "" => return Some("empty component (leading, trailing or doubled '/')"),
            "." | ".." => return Some("'.' or '..' component"),
            _ => {}
        }
    }
    None
}

/// The zip timestamp for `stamp`, if the format can hold it.
fn zip_time(stamp: NaiveDateTime) -> Option<zip::DateTime> {
    let year = u16::try_from(stamp.year()).ok()?;
    let b = |v: u32| u8::try_from(v).ok();
    zip::DateTime::from_date_and_time(
        year,
        b(stamp.month())?,
        b(stamp.day())?,
        b(stamp.hour())?,
        b(stamp.minute())?,
        b(stamp.second())?,
    )
    .ok()
}

/// The zip crate sets the UTF-8 flag only on non-ASCII names; the pack promises it on
/// every entry, so it is set here in each local and central header of the finished file.
/// The flag is outside every CRC, so patching it in place is safe.
fn set_utf8_flags(file: &File) -> std::io::Result<()> {
    let mut f = file;
    let mut offsets = Vec::new();
    {
        let mut archive = ZipArchive::new(&mut f).map_err(std::io::Error::other)?;
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(std::io::Error::other)?;
            offsets.push((entry.header_start(), 0x0403_4b50_u32, 6));
            offsets.push((entry.central_header_start(), 0x0201_4b50_u32, 8));
        }
    }
    for (start, magic, flag_at) in offsets {
        let mut head = [0u8; 10];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut head)?;
        if u32::from_le_bytes([head[0], head[1], head[2], head[3]]) != magic {
            return Err(std::io::Error::other("zip header not where the index says"));
        }
        let flags = u16::from_le_bytes([head[flag_at], head[flag_at + 1]]);
        if flags & UTF8_FLAG == 0 {
            f.seek(SeekFrom::Start(start + flag_at as u64))?;
            f.write_all(&(flags | UTF8_FLAG).to_le_bytes())?;
        }
    }
    f.flush()
}

/// The folder `target` lives in (`.` for a bare name), where the temporary copy goes so
/// the final rename stays on one file system.
fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The target's own name, for naming its temporary siblings.
fn file_name(target: &Path) -> String {
    target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pack".to_string())
}

/// Temporary siblings are hidden (`.<name>.tmp-XXXX`), so a half-built pack is never
/// mistaken for one.
fn temp_prefix(target: &Path) -> String {
    format!(".{}.tmp-", file_name(target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::listing;
    use chrono::NaiveDate;

    fn stamp() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 3, 31)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap()
    }

    /// A mix of ASCII and Chinese names, given out of order, one from disk.
    fn sample(dir: &Path) -> Vec<Entry> {
        let evidence = dir.join("evidence.bin");
        std::fs::write(&evidence, vec![7u8; 3 * CHUNK + 17]).unwrap();
        vec![
            Entry {
                path: "材料/01 制度/001 安全责任制/01 文件/会议纪要.pdf".into(),
                source: Source::File(evidence),
            },
            Entry {
                path: "report.json".into(),
                source: Source::Bytes(b"{\"a\": 1}".repeat(100)),
            },
            Entry {
                path: "00-目录.csv".into(),
                source: Source::Bytes("序号,项\n1,x\n".into()),
            },
            Entry {
                path: "a-b".into(),
                source: Source::Bytes(b"x".to_vec()),
            },
        ]
    }

    fn read_all(zip: &Path) -> Vec<(String, Vec<u8>)> {
        let mut archive = ZipArchive::new(File::open(zip).unwrap()).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut f = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                f.read_to_end(&mut data).unwrap();
                (f.name().unwrap().into_owned(), data)
            })
            .collect()
    }

    #[test]
    fn zip_is_sorted_complete_and_byte_identical_twice() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.zip");
        let b = dir.path().join("b.zip");
        write_zip(sample(dir.path()), &a, stamp()).unwrap();
        write_zip(sample(dir.path()), &b, stamp()).unwrap();
        let bytes = std::fs::read(&a).unwrap();
        assert_eq!(bytes, std::fs::read(&b).unwrap());

        let files = read_all(&a);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "00-目录.csv",
                "a-b",
                "report.json",
                "材料/01 制度/001 安全责任制/01 文件/会议纪要.pdf"
            ]
        );
        assert_eq!(files[3].1, vec![7u8; 3 * CHUNK + 17]);
        assert_eq!(files[2].1, b"{\"a\": 1}".repeat(100));

        let mut archive = ZipArchive::new(File::open(&a).unwrap()).unwrap();
        for i in 0..archive.len() {
            let f = archive.by_index_raw(i).unwrap();
            let when = f.last_modified().unwrap();
            assert_eq!(
                (
                    when.year(),
                    when.month(),
                    when.day(),
                    when.hour(),
                    when.minute()
                ),
                (2025, 3, 31, 0, 0)
            );
            assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(0o644));
            let expected = if f.name().unwrap().ends_with(".pdf") {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            assert_eq!(f.compression(), expected, "{}", f.name().unwrap());
        }
    }

    #[test]
    fn every_header_carries_the_utf8_flag_and_no_extra_fields() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("p.zip");
        write_zip(sample(dir.path()), &z, stamp()).unwrap();
        let bytes = std::fs::read(&z).unwrap();
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let mut locals = 0;
        let mut centrals = 0;
        let mut archive = ZipArchive::new(File::open(&z).unwrap()).unwrap();
        for i in 0..archive.len() {
            let f = archive.by_index_raw(i).unwrap();
            let h = f.header_start() as usize;
            assert_eq!(&bytes[h..h + 4], b"PK\x03\x04");
            assert_ne!(u16_at(h + 6) & UTF8_FLAG, 0, "local {}", f.name().unwrap());
            assert_eq!(u16_at(h + 28), 0, "local extra field length");
            locals += 1;
            let c = f.central_header_start() as usize;
            assert_eq!(&bytes[c..c + 4], b"PK\x01\x02");
            assert_ne!(
                u16_at(c + 8) & UTF8_FLAG,
                0,
                "central {}",
                f.name().unwrap()
            );
            assert_eq!(u16_at(c + 30), 0, "central extra field length");
            centrals += 1;
        }
        assert_eq!((locals, centrals), (4, 4));
    }

    #[test]
    fn zip_replaces_an_existing_target_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("out").join("p.zip");
        std::fs::create_dir_all(z.parent().unwrap()).unwrap();
        std::fs::write(&z, b"old").unwrap();
        write_zip(sample(dir.path()), &z, stamp()).unwrap();
        assert_eq!(read_all(&z).len(), 4);
        let left: Vec<_> = std::fs::read_dir(z.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the zip itself");
    }

    #[test]
    fn failed_zip_leaves_the_old_target_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let z = out.join("p.zip");
        std::fs::write(&z, b"old").unwrap();
        let mut entries = sample(dir.path());
        let gone = dir.path().join("no-such-file.mp4");
        entries.push(Entry {
            path: "z/video.mp4".into(),
            source: Source::File(gone.clone()),
        });
        match write_zip(entries, &z, stamp()) {
            Err(ArchiveError::Read { path, .. }) => assert_eq!(path, gone),
            other => panic!("expected a read error, got {other:?}"),
        }
        assert_eq!(std::fs::read(&z).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    }

    #[test]
    fn bad_entries_and_stamps_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("p.zip");
        let one = |path: &str| {
            vec![Entry {
                path: path.into(),
                source: Source::Bytes(vec![]),
            }]
        };
        for bad in ["", "/abs", "a//b", "a/../b", "..", "a\\b", "a/"] {
            assert!(
                matches!(
                    write_zip(one(bad), &z, stamp()),
                    Err(ArchiveError::BadPath { .. })
                ),
                "{bad:?}"
            );
        }
        let mut twice = one("a/b");
        twice.extend(one("a/b"));
        assert!(matches!(
            write_zip(twice, &z, stamp()),
            Err(ArchiveError::Clash { .. })
        ));
        let mut file_and_dir = one("a");
        file_and_dir.extend(one("a-b"));
        file_and_dir.extend(one("a/b"));
        match write_folder(file_and_dir, &dir.path().join("f")) {
            Err(ArchiveError::Clash { path, other }) => {
                assert_eq!((path.as_str(), other.as_str()), ("a/b", "a"))
            }
            other => panic!("{other:?}"),
        }
        let old = NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        assert!(matches!(
            write_zip(one("x"), &z, old),
            Err(ArchiveError::Stamp { .. })
        ));
        assert!(!z.exists());
    }

    #[test]
    fn folder_has_the_same_tree_and_replaces_an_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("pack");
        std::fs::create_dir_all(target.join("stale")).unwrap();
        std::fs::write(target.join("stale/old.txt"), b"old").unwrap();
        write_folder(sample(dir.path()), &target).unwrap();
        assert!(!target.join("stale").exists());
        assert_eq!(
            std::fs::read(target.join("材料/01 制度/001 安全责任制/01 文件/会议纪要.pdf")).unwrap(),
            vec![7u8; 3 * CHUNK + 17]
        );
        assert_eq!(std::fs::read(target.join("a-b")).unwrap(), b"x");
        assert_eq!(
            std::fs::read_to_string(target.join("00-目录.csv")).unwrap(),
            "序号,项\n1,x\n"
        );
        // Nothing but the sample source and the pack is left beside it.
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["evidence.bin", "pack"]);
    }

    /// Renames as the file system does, except those `fails` picks, which fail as a
    /// file held open on Windows does.
    struct Failing<F: Fn(&Path, &Path) -> bool>(F);

    impl<F: Fn(&Path, &Path) -> bool> SwapFs for Failing<F> {
        fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
            if (self.0)(from, to) {
                return Err(std::io::Error::other("held by another program"));
            }
            std::fs::rename(from, to)
        }
    }

    /// Every file under `dir` with its bytes, and every folder (as `name/`).
    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(at) = todo.pop() {
            for e in std::fs::read_dir(&at).unwrap() {
                let path = e.unwrap().path();
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if path.is_dir() {
                    out.push((format!("{rel}/"), Vec::new()));
                    todo.push(path);
                } else {
                    out.push((rel, std::fs::read(&path).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    /// An old output folder `out` (a.txt, sub/b.pdf, sub/deeper/c.txt) and a new one
    /// staged beside it (new.txt).
    fn old_and_new(dir: &Path) -> (PathBuf, tempfile::TempDir) {
        let target = dir.join("out");
        std::fs::create_dir_all(target.join("sub/deeper")).unwrap();
        std::fs::write(target.join("a.txt"), b"a").unwrap();
        std::fs::write(target.join("sub/b.pdf"), b"%PDF b").unwrap();
        std::fs::write(target.join("sub/deeper/c.txt"), b"c").unwrap();
        let tmp = staging_dir(&target).unwrap();
        std::fs::write(tmp.path().join("new.txt"), b"new").unwrap();
        (target, tmp)
    }

    #[test]
    fn a_swap_replaces_the_old_folder_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let (target, tmp) = old_and_new(dir.path());
        replace_dir_with(&Failing(|_: &Path, _: &Path| false), tmp, &target, &target).unwrap();
        assert_eq!(tree(&target), [("new.txt".to_string(), b"new".to_vec())]);
        assert_eq!(listing(dir.path()), ["out"]);
    }

    /// Swaps a newly staged folder into `target` (the only entry of `dir`) through
    /// `fs`, expecting a refusal that leaves the old folder as it was and nothing beside
    /// it; returns the error.
    fn refused_swap(dir: &Path, target: &Path, fs: &dyn SwapFs) -> ArchiveError {
        let before = tree(target);
        let tmp = staging_dir(target).unwrap();
        std::fs::write(tmp.path().join("new.txt"), b"new").unwrap();
        let err = replace_dir_with(fs, tmp, target, Path::new("out")).unwrap_err();
        assert_eq!(tree(target), before, "{err}");
        assert_eq!(listing(dir), ["out"], "{err}");
        err
    }

    #[test]
    fn a_file_that_cannot_be_moved_leaves_the_old_folder_whole_and_nothing_new() {
        // Issue 19: a PDF of the old output open in a viewer. The old folder is put back
        // as it was, the new one and the holder go, and the line says why.
        let dir = tempfile::tempdir().unwrap();
        let (target, _) = old_and_new(dir.path());
        let held = Failing(|from: &Path, _: &Path| from.ends_with("sub/b.pdf"));
        assert_eq!(
            refused_swap(dir.path(), &target, &held).to_string(),
            "cannot replace out: sub/b.pdf: held by another program; close any program that has a file in it open and run again"
        );
        // A folder that cannot be moved (a shell's working folder) stops it too.
        let held = Failing(|from: &Path, _: &Path| from.ends_with("sub/deeper"));
        let err = refused_swap(dir.path(), &target, &held).to_string();
        assert!(err.starts_with("cannot replace out: sub/deeper: "), "{err}");
    }

    #[test]
    fn a_folder_that_cannot_be_moved_aside_or_replaced_is_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (target, _) = old_and_new(dir.path());
        let t = target.clone();
        let held = Failing(move |from: &Path, _: &Path| from == t);
        assert_eq!(
            refused_swap(dir.path(), &target, &held).to_string(),
            "cannot replace out: held by another program; close any program that has a file in it open and run again"
        );
        // The old folder emptied, the new one cannot go in: all moved back.
        let held = Failing(|from: &Path, _: &Path| {
            from.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".out.tmp-"))
        });
        let err = refused_swap(dir.path(), &target, &held);
        assert!(
            matches!(err, ArchiveError::Replace { entry: None, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn an_old_folder_that_cannot_be_put_back_is_kept_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let (target, tmp) = old_and_new(dir.path());
        let before = tree(&target);
        let t = target.clone();
        let held = Failing(move |from: &Path, to: &Path| from.ends_with("a.txt") || to == t);
        match replace_dir_with(&held, tmp, &target, Path::new("out")) {
            Err(ArchiveError::Stranded { kept, .. }) => {
                assert_eq!(tree(&kept.join("old")), before);
                assert!(!target.exists());
            }
            other => panic!("{other:?}"),
        }
        // An entry that cannot be moved back: the holder is kept with it.
        let dir = tempfile::tempdir().unwrap();
        let (target, tmp) = old_and_new(dir.path());
        let held = Failing(|from: &Path, to: &Path| {
            from.ends_with("deeper/c.txt") || to.ends_with("old/a.txt")
        });
        match replace_dir_with(&held, tmp, &target, Path::new("out")) {
            Err(e @ ArchiveError::Stranded { .. }) => {
                let ArchiveError::Stranded { kept, .. } = &e else {
                    unreachable!()
                };
                assert_eq!(
                    e.to_string(),
                    format!(
                        "cannot replace out, nor put the earlier folder back: held by another program; it is kept in {} (its files under old/ and trash/), move it back by hand",
                        kept.display()
                    )
                );
                assert_eq!(std::fs::read(kept.join("trash/0")).unwrap(), b"a");
                assert_eq!(
                    std::fs::read(kept.join("old/sub/b.pdf")).unwrap(),
                    b"%PDF b"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn failed_folder_leaves_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("pack");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep.txt"), b"old").unwrap();
        let entries = vec![Entry {
            path: "x.mp4".into(),
            source: Source::File(dir.path().join("missing.mp4")),
        }];
        assert!(matches!(
            write_folder(entries, &target),
            Err(ArchiveError::Read { .. })
        ));
        assert_eq!(std::fs::read(target.join("keep.txt")).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
