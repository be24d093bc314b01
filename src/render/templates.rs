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
    Io(String, std::io::Error),
    #[error(
        "{path}: not a template dossier knows; the templates are {known} (run `dossier init` to get copies to edit)"
    )]
    Unknown { path: String, known: String },
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
        collect(dir, dir, &mut found)?;
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
            let text = std::fs::read_to_string(&path)
                .map_err(|e| TemplateError::Io(path.display().to_string(), e))?;
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

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), TemplateError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| TemplateError::Io(dir.display().to_string(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| TemplateError::Io(dir.display().to_string(), e))?;
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if !rel.starts_with('.') {
                out.push(rel);
            }
        }
    }
    Ok(())
}
