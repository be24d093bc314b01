//! Writing a build's output folder whole or not at all. A reader of `out/<unit>` (a
//! colleague, CI, the next `pack`) must only ever see one build's complete set of
//! documents: so the folder is built beside its target and swapped into place
//! ([`crate::pack::archive::write_folder`], shared with `pack --folder`), concurrent builds
//! into one folder are kept apart by a lock, a failed build leaves nothing new behind, and
//! every message names the real target, never a temporary name.
//!
//! The output folder belongs to dossier: it is replaced whole, so documents of an earlier
//! build in formats not asked for this time do not linger beside the new ones. To never
//! delete a user's files, a folder holding anything dossier does not write is refused.

use crate::pack::archive::{self, ArchiveError};
use crate::render::DocKind;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// File names a build writes besides the documents (`<stem>.md|html|pdf`); `dossier diff`
/// writes its own (`diff.json`, `progress.*`), known here too.
const OTHER_NAMES: [&str; 3] = ["report.json", "score-by-set.svg", "open-by-owner.svg"];

/// Files operating systems drop into any folder a person opens; replaced with the rest.
pub(crate) const SYSTEM_LITTER: [&str; 3] = [".DS_Store", "Thumbs.db", "desktop.ini"];

/// Why an output folder was not written. Every variant names the target the user gave.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Another build holds the folder's lock: refusing beats waiting on a build that may
    /// take minutes, and beats two builds swapping in turn.
    #[error("another dossier build is writing {target}; run this one again when it has finished")]
    Busy {
        /// The output folder.
        target: String,
    },
    /// The folder holds something a build does not write: replacing it would delete it.
    #[error(
        "{target}: holds {entry}, which dossier did not write; a build replaces its output folder whole, so move that away or give another -o"
    )]
    Foreign {
        /// The output folder.
        target: String,
        /// The first entry (by name) that is not dossier's.
        entry: String,
    },
    /// The target exists and is a file (or something else that is not a folder).
    #[error("{target}: exists and is not a folder")]
    NotAFolder {
        /// The output path.
        target: String,
    },
    /// `.`, `..` or `/`: a folder without a name of its own cannot be swapped.
    #[error("{target}: give the output folder a name of its own (e.g. -o out/report)")]
    NoName {
        /// The output path.
        target: String,
    },
    /// The folder could not be inspected, locked or created.
    #[error("{target}: {error}")]
    Io {
        /// The path concerned (the target or its parent, never a temporary name).
        target: String,
        /// The underlying error.
        #[source]
        error: std::io::Error,
    },
    /// Writing the new folder or swapping it in failed; the old one is untouched.
    #[error(transparent)]
    Write(#[from] ArchiveError),
    /// The target is one of the run's inputs: writing it would destroy what was read.
    #[error(
        "{target}: is an input of this run ({input}); dossier never writes over its inputs, give another output path"
    )]
    IsInput {
        /// The output path.
        target: String,
        /// The input, as given.
        input: String,
    },
    /// The target lies inside an input folder (an evidence folder, a build folder read
    /// by `diff` or `summary`): writing there would change what is read.
    #[error(
        "{target}: is inside {input}, an input folder of this run; give an output path outside it"
    )]
    InsideInput {
        /// The output path.
        target: String,
        /// The input folder, as given.
        input: String,
    },
    /// An input lies inside the target folder, which is replaced whole.
    #[error(
        "{target}: holds {input}, an input of this run, and an output folder is replaced whole; give another output path"
    )]
    HoldsInput {
        /// The output path.
        target: String,
        /// The input, as given.
        input: String,
    },
    /// The target is a file that dossier did not write.
    #[error(
        "{target}: a file is already there that dossier did not write; move it away or give another output path"
    )]
    NotOurs {
        /// The output path.
        target: String,
    },
}

/// The path as the file system resolves it, also when it does not exist yet: the
/// nearest existing ancestor resolved, the rest appended.
fn resolved(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut missing = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(at) {
            return Some(missing.iter().rev().fold(real, |p: PathBuf, c| p.join(c)));
        }
        missing.push(at.file_name()?.to_os_string());
        at = at.parent()?;
    }
}

/// The one rule every command that writes follows before it reads or writes anything:
/// its output `target` is none of its `inputs` (files or folders), lies inside none of
/// the input folders, and holds none of them; and a file already at the target is one
/// dossier wrote (`ours` says, for a file target; `None` for a folder target, whose
/// contents [`BuildFolder`] checks). Nothing a user wrote is ever written over.
pub fn refuse_clobbering(
    target: &Path,
    inputs: &[&Path],
    ours: Option<&dyn Fn(&Path) -> bool>,
) -> Result<(), OutputError> {
    let shown = target.display().to_string();
    let Some(t) = resolved(target) else {
        return Ok(());
    };
    for input in inputs {
        let Some(i) = resolved(input) else {
            continue;
        };
        let input = input.display().to_string();
        if t == i {
            return Err(OutputError::IsInput {
                target: shown,
                input,
            });
        }
        if i.is_dir() && t.starts_with(&i) {
            return Err(OutputError::InsideInput {
                target: shown,
                input,
            });
        }
        if i.starts_with(&t) {
            return Err(OutputError::HoldsInput {
                target: shown,
                input,
            });
        }
    }
    if let Ok(meta) = std::fs::metadata(target) {
        let foreign = match ours {
            Some(ours) => !(meta.is_file() && ours(target)),
            // A folder target: a file there is the user's (a folder's contents are
            // checked when it is begun).
            None => !meta.is_dir(),
        };
        if foreign {
            return Err(OutputError::NotOurs { target: shown });
        }
    }
    Ok(())
}

/// Whether `name` is a file a build writes.
pub fn is_dossier_output(name: &str) -> bool {
    OTHER_NAMES.contains(&name)
        || crate::diff::document::OUTPUT_NAMES.contains(&name)
        || DocKind::ALL.iter().any(|k| {
            name.strip_prefix(k.stem())
                .is_some_and(|ext| [".md", ".html", ".pdf"].contains(&ext))
        })
}

/// Writes `files` (name → bytes) as the folder `target`, replacing an earlier output
/// whole: afterwards `target` holds exactly these files, or, on any error, is as it was
/// (or still absent, with no folder created on the way).
pub fn write_build(target: &Path, files: Vec<(String, Vec<u8>)>) -> Result<(), OutputError> {
    let folder = BuildFolder::begin(target)?;
    for (name, bytes) in files {
        folder
            .write_file(&name, &mut |w| w.write_all(&bytes))
            .map_err(|error| OutputError::Io {
                target: folder.shown(&name),
                error,
            })?;
    }
    folder.commit()
}

/// A build's output folder while it is being written: files go one at a time, as each is
/// made, into a hidden folder beside the target, which [`BuildFolder::commit`] swaps in
/// whole. Until then the target is untouched and its lock held; dropped without a commit
/// (a failed build), everything made for it goes again, folders leading to it included.
pub struct BuildFolder {
    real: PathBuf,
    shown: String,
    staging: Option<tempfile::TempDir>,
    created: Vec<PathBuf>,
    lock: Option<Lock>,
    /// Names written so far: a file made twice is a bug, never a silent overwrite.
    written: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl BuildFolder {
    /// Takes the target's lock and checks that it is dossier's (or absent) before
    /// anything is rendered, so a refused build costs no work.
    pub fn begin(target: &Path) -> Result<BuildFolder, OutputError> {
        Self::begin_with(target, &is_dossier_output)
    }

    /// [`BuildFolder::begin`] for an output whose files have names of their own (the
    /// department sheets of `dossier split`): `is_ours` says which names in an existing
    /// target an earlier run wrote, and so may be replaced.
    pub fn begin_with(
        target: &Path,
        is_ours: &dyn Fn(&str) -> bool,
    ) -> Result<BuildFolder, OutputError> {
        let shown = target.display().to_string();
        if target.file_name().is_none() {
            return Err(OutputError::NoName { target: shown });
        }
        // A link to a folder is followed: the folder it names is replaced, the link kept.
        let real = match std::fs::symlink_metadata(target) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::canonicalize(target).map_err(|error| OutputError::Io {
                    target: shown.clone(),
                    error,
                })?
            }
            _ => target.to_path_buf(),
        };
        let parent = match real.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let created = create_ancestors(&parent).map_err(|error| OutputError::Io {
            target: parent.display().to_string(),
            error,
        })?;
        let undo = |created: &[PathBuf]| {
            for dir in created.iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
        };
        let lock = match Lock::take(&real, &parent, &shown) {
            Ok(lock) => lock,
            Err(e) => {
                undo(&created);
                return Err(e);
            }
        };
        let staging = refuse_foreign(&real, &shown, is_ours)
            .and_then(|()| archive::staging_dir(&real).map_err(OutputError::from));
        match staging {
            Ok(staging) => Ok(BuildFolder {
                real,
                shown,
                staging: Some(staging),
                created,
                lock: Some(lock),
                written: Default::default(),
            }),
            Err(e) => {
                drop(lock);
                undo(&created);
                Err(e)
            }
        }
    }

    /// A file of the build as messages name it: under the target, never the hidden folder.
    pub fn shown(&self, name: &str) -> String {
        Path::new(&self.shown).join(name).display().to_string()
    }

    /// Writes file `name` (a plain name) through `write`, buffered, and syncs it.
    pub fn write_file(
        &self,
        name: &str,
        write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let dir = self
            .staging
            .as_ref()
            .ok_or_else(|| std::io::Error::other("the build folder is already committed"))?;
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(std::io::Error::other(format!(
                "not a plain file name: {name}"
            )));
        }
        let fresh = self
            .written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string());
        if !fresh {
            return Err(std::io::Error::other(format!("{name} is made twice")));
        }
        let file = File::create(dir.path().join(name))?;
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }

    /// Puts the finished folder at the target, replacing an earlier build whole.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let staging = self.staging.take().expect("a build folder commits once");
        archive::swap_in(staging, &self.real, Path::new(&self.shown))?;
        self.created.clear();
        Ok(())
    }
}

impl Drop for BuildFolder {
    fn drop(&mut self) {
        // Not committed: the staging folder goes first (TempDir), then the lock, then the
        // folders made for this build (only when still empty).
        if let Some(staging) = self.staging.take() {
            drop(staging);
            // The lock file lives in the parent, which may be one of those folders.
            drop(self.lock.take());
            for dir in self.created.iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

/// Creates the missing folders leading to `dir`, returning the ones it made (outermost
/// first) so a failed build can take them away again.
fn create_ancestors(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() || std::fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        cur = d.parent();
    }
    missing.reverse();
    let mut created = Vec::new();
    for d in missing {
        match std::fs::create_dir(&d) {
            Ok(()) => created.push(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                for c in created.iter().rev() {
                    let _ = std::fs::remove_dir(c);
                }
                return Err(e);
            }
        }
    }
    Ok(created)
}

/// Refuses a target that is not a folder, or a folder holding anything a build does not
/// write (sub-folders included).
fn refuse_foreign(
    target: &Path,
    shown: &str,
    is_ours: &dyn Fn(&str) -> bool,
) -> Result<(), OutputError> {
    let meta = match std::fs::metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(OutputError::Io {
                target: shown.to_string(),
                error,
            });
        }
    };
    if !meta.is_dir() {
        return Err(OutputError::NotAFolder {
            target: shown.to_string(),
        });
    }
    let io = |error| OutputError::Io {
        target: shown.to_string(),
        error,
    };
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(target).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().map_err(io)?.is_file();
        let ours = is_file && (is_ours(&name) || SYSTEM_LITTER.contains(&name.as_str()));
        if !ours {
            foreign.push(name);
        }
    }
    foreign.sort();
    match foreign.into_iter().next() {
        Some(entry) => Err(OutputError::Foreign {
            target: shown.to_string(),
            entry,
        }),
        None => Ok(()),
    }
}

/// An advisory lock on `.<name>.lock` beside the target, held while the folder is built
/// and swapped. The operating system drops it when the process ends, so a killed build
/// never leaves a stale lock; the file itself is removed when the build is done.
struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    fn take(target: &Path, parent: &Path, shown: &str) -> Result<Lock, OutputError> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = parent.join(format!(".{name}.lock"));
        let io = |error| OutputError::Io {
            target: shown.to_string(),
            error,
        };
        // The holder removes the file before releasing it, so a lock won on a file that
        // is no longer at `path` guards nothing: open again (a few times at most).
        for _ in 0..5 {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(OutputError::Busy {
                        target: shown.to_string(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            if same_file(&file, &path) {
                return Ok(Lock { path, _file: file });
            }
        }
        Err(OutputError::Busy {
            target: shown.to_string(),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held; the lock itself goes with the file handle.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether the open `file` is the one at `path` now.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether the open `file` is the one at `path` now (no inode to compare: trust it).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn files(tag: &str) -> Vec<(String, Vec<u8>)> {
        vec![
            ("report.json".into(), tag.as_bytes().to_vec()),
            ("gap-report.md".into(), tag.as_bytes().to_vec()),
        ]
    }

    /// The names in a folder, sorted (also for the swap's tests in `pack::archive`).
    pub(crate) fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn names_of_a_build_are_known() {
        for n in [
            "report.json",
            "gap-report.pdf",
            "owner-tasks.html",
            "evidence-checklist.md",
            "open-by-owner.svg",
            "diff.json",
            "progress.pdf",
        ] {
            assert!(is_dossier_output(n), "{n}");
        }
        for n in [
            "notes.txt",
            "gap-report.docx",
            "pack-index.md",
            "gap-report",
        ] {
            assert!(!is_dossier_output(n), "{n}");
        }
    }

    #[test]
    fn replaces_an_earlier_output_whole_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a/b/out");
        write_build(&out, files("one")).unwrap();
        std::fs::write(out.join("owner-tasks.pdf"), b"stale").unwrap();
        write_build(&out, files("two")).unwrap();
        assert_eq!(listing(&out), ["gap-report.md", "report.json"]);
        assert_eq!(std::fs::read(out.join("report.json")).unwrap(), b"two");
        assert_eq!(listing(&dir.path().join("a/b")), ["out"]);
    }

    #[test]
    fn a_folder_of_other_files_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("report.json"), b"old").unwrap();
        std::fs::write(out.join("notes.txt"), b"mine").unwrap();
        match write_build(&out, files("new")) {
            Err(OutputError::Foreign { entry, .. }) => assert_eq!(entry, "notes.txt"),
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read(out.join("report.json")).unwrap(), b"old");
        assert_eq!(listing(dir.path()), ["out"]);
    }

    #[test]
    fn a_held_lock_is_busy_and_a_file_target_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let held = Lock::take(&out, dir.path(), "out").unwrap();
        match write_build(&out, files("x")) {
            Err(e @ OutputError::Busy { .. }) => {
                assert_eq!(
                    e.to_string().split(';').next().unwrap(),
                    format!("another dossier build is writing {}", out.display())
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(!out.exists());
        drop(held);
        assert!(listing(dir.path()).is_empty());
        std::fs::write(&out, b"a file").unwrap();
        assert!(matches!(
            write_build(&out, files("x")),
            Err(OutputError::NotAFolder { .. })
        ));
    }

    #[test]
    fn a_failed_write_removes_the_folders_it_made() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new/out");
        // A file made twice is refused, and the build with it.
        let mut twice = files("x");
        twice.extend(files("y"));
        assert!(write_build(&out, twice).is_err());
        assert!(listing(dir.path()).is_empty());
    }
}
