//! The templates: built-in ones embedded in the binary, with a user's template folder
//! layered over them file by file (as zola does), and `dossier init` writing them out.

use std::path::Path;

/// Every built-in template and label file, by its path under `templates/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "gap-report.md",
        include_str!("../../templates/gap-report.md"),
    ),
    (
        "evidence-checklist.md",
        include_str!("../../templates/evidence-checklist.md"),
    ),
    (
        "owner-tasks.md",
        include_str!("../../templates/owner-tasks.md"),
    ),
    (
        "pack-index.md",
        include_str!("../../templates/pack-index.md"),
    ),
    ("summary.md", include_str!("../../templates/summary.md")),
    ("progress.md", include_str!("../../templates/progress.md")),
    ("merge-log.md", include_str!("../../templates/merge-log.md")),
    ("layout.html", include_str!("../../templates/layout.html")),
    (
        "i18n/zh-CN.toml",
        include_str!("../../templates/i18n/zh-CN.toml"),
    ),
    (
        "i18n/zh-TW.toml",
        include_str!("../../templates/i18n/zh-TW.toml"),
    ),
    ("i18n/en.toml", include_str!("../../templates/i18n/en.toml")),
];

/// A set of templates: the built-in ones, each possibly replaced by the user's file.
#[derive(Debug, Clone)]
pub struct Templates {
    files: Vec<(String, String, Origin)>,
}

/// Where a template came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    User(String),
}

/// A template folder that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error(
        "{path}: not a template dossier knows; the templates are {known} (run `dossier init` to get copies to edit)"
    )]
    Unknown { path: String, known: String },
    /// A link inside the template folder pointing out of it: rendering it would put any
    /// file the user can read (the password file, say) into the documents.
    #[error(
        "{path}: a link to {target}, outside the template folder {dir}; templates are read only from inside it"
    )]
    Outside {
        path: String,
        target: String,
        dir: String,
    },
    /// A FIFO, device or socket: reading it could block forever or never end.
    #[error("{0}: not a regular file; templates are read only from regular files")]
    NotAFile(String),
}

/// Reads a file the user named (a template, a font) only if it is a regular file: a FIFO
/// would block the run, a device like `/dev/zero` never ends. The kind is checked before
/// opening (opening a FIFO blocks) and again on the open handle.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let not_a_file = || std::io::Error::other("not a regular file");
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_a_file());
    }
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_a_file());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(1 << 30));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            files: BUILT_IN
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string(), Origin::BuiltIn))
                .collect(),
        }
    }
}

impl Templates {
    /// The built-in templates with every file of `dir` that has a built-in counterpart
    /// laid over them. Files dossier does not know are refused, so that a typo in a file
    /// name explains itself instead of being silently ignored.
    pub fn layered(dir: &Path) -> Result<Templates, TemplateError> {
        let mut t = Templates::default();
        let mut found = Vec::new();
        // Links are judged by where they lead: inside the folder is fine, outside is not.
        let root = std::fs::canonicalize(dir)
            .map_err(|e| TemplateError::Io(dir.display().to_string(), e))?;
        let mut seen = std::collections::BTreeSet::new();
        seen.insert(root.clone());
        let walk = Walk { dir, root: &root };
        walk.collect(dir, &mut seen, &mut found)?;
        found.sort();
        for rel in found {
            if rel.ends_with(".md") && rel.starts_with("README") {
                continue;
            }
            let path = dir.join(&rel);
            let Some(slot) = t.files.iter_mut().find(|(n, _, _)| *n == rel) else {
                return Err(TemplateError::Unknown {
                    path: path.display().to_string(),
                    known: BUILT_IN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let bytes = read_regular(&path)
                .map_err(|e| TemplateError::Io(path.display().to_string(), e))?;
            let text = String::from_utf8(bytes).map_err(|_| {
                TemplateError::Io(
                    path.display().to_string(),
                    std::io::Error::other("not UTF-8 text"),
                )
            })?;
            slot.1 = text;
            slot.2 = Origin::User(path.display().to_string());
        }
        Ok(t)
    }

    /// The text of a template by name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, t, _)| t.as_str())
    }

    /// Where a template came from.
    pub fn origin(&self, name: &str) -> Option<&Origin> {
        self.files
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, o)| o)
    }
}

/// The template folder as given and as resolved, for walking it.
struct Walk<'a> {
    dir: &'a Path,
    root: &'a Path,
}

impl Walk<'_> {
    /// Lists the template files under `here` (relative to the folder, `/`-separated).
    /// Every entry is resolved first: one that leads outside the folder is refused, only
    /// regular files are templates, and a folder reached twice (through a link inside the
    /// folder) is walked once, so a link loop ends.
    fn collect(
        &self,
        here: &Path,
        seen: &mut std::collections::BTreeSet<std::path::PathBuf>,
        out: &mut Vec<String>,
    ) -> Result<(), TemplateError> {
        let io = |p: &Path, e| TemplateError::Io(p.display().to_string(), e);
        let entries = std::fs::read_dir(here).map_err(|e| io(here, e))?;
        let mut paths = Vec::new();
        for entry in entries {
            paths.push(entry.map_err(|e| io(here, e))?.path());
        }
        paths.sort();
        for path in paths {
            let Ok(rel) = path.strip_prefix(self.dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel.starts_with('.') {
                continue;
            }
            let resolved = std::fs::canonicalize(&path).map_err(|e| io(&path, e))?;
            if !resolved.starts_with(self.root) {
                return Err(TemplateError::Outside {
                    path: path.display().to_string(),
                    target: resolved.display().to_string(),
                    dir: self.dir.display().to_string(),
                });
            }
            let meta = std::fs::metadata(&resolved).map_err(|e| io(&path, e))?;
            if meta.is_dir() {
                if seen.insert(resolved) {
                    self.collect(&path, seen, out)?;
                }
            } else if meta.is_file() {
                out.push(rel);
            } else {
                return Err(TemplateError::NotAFile(path.display().to_string()));
            }
        }
        Ok(())
    }
}
