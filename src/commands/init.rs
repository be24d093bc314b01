//! `dossier init`: a starter project to edit, which `dossier build` builds as it stands:
//! the built-in templates, a sample workbook, a config naming both, and a README on
//! what to change.

use super::common::write_atomically;
use super::error::CliError;
use crate::config;
use crate::render;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The flags of `init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder to create or fill; one that is not empty only with --force.
    #[arg(default_value = ".")]
    dir: PathBuf,

    /// Fill a folder that is not empty: files already there are kept as they are (each
    /// named), never overwritten.
    #[arg(long)]
    force: bool,
}

/// The README `dossier init` writes beside the templates.
const INIT_README: &str = include_str!("../../templates/README.md");

/// The config `dossier init` writes: it names the sample workbook as the project's one
/// unit and the copied templates, so `dossier build` with no arguments builds it.
const INIT_CONFIG: &str = r#"# dossier project config (see README.md). `dossier build` in this folder builds
# the units below into out/, with the templates in templates/.

# The date every judgement of time is made against [default: today].
# as_of = 2026-12-15

# Templates laid over the built-in ones, file by file (as --templates); relative to
# this file.
templates = "templates"

# Extra status terms, per class.
[statuses]
# done = ["已验收"]

# The units: one [[unit]] table each (or units = "towns/*": one unit per folder).
# Paths are relative to this file.
[[unit]]
name = "qingxi-town"
inputs = "inputs/qingxi-town.xlsx"
# evidence = "inputs/材料"
# display = "清溪镇"
"#;

/// The sample workbook `dossier init` writes.
const SAMPLE_WORKBOOK: &[u8] = include_bytes!("../../inputs/qingxi-town.xlsx");

/// Writes every starter file that is not there yet, naming each written or kept; refuses
/// a folder that is not empty unless `--force`.
pub fn run(args: &InitArgs) -> Result<i32, CliError> {
    let dir = args.dir.as_path();
    if !args.force && !is_empty(dir)? {
        let shown = if dir == Path::new(".") {
            crate::msg!("the current folder")
        } else {
            dir.display().to_string()
        };
        return Err(CliError::Usage(format!(
            "{shown} is not empty: init writes a starter project into a new or empty folder (--force fills it, keeping every file already there)"
        )));
    }
    let mut files: Vec<(PathBuf, Vec<u8>)> = render::templates::BUILT_IN
        .iter()
        .map(|(name, text)| (dir.join("templates").join(name), text.as_bytes().to_vec()))
        .collect();
    files.push((
        dir.join("inputs").join("qingxi-town.xlsx"),
        SAMPLE_WORKBOOK.to_vec(),
    ));
    files.push((dir.join("README.md"), INIT_README.as_bytes().to_vec()));
    files.push((dir.join(config::FILE_NAME), INIT_CONFIG.as_bytes().to_vec()));
    let mut err = std::io::stderr().lock();
    for (path, bytes) in &files {
        // Anything at the path, even a link leading nowhere, is the user's: kept.
        if std::fs::symlink_metadata(path).is_ok() {
            let _ = writeln!(err, "{}", crate::msg!("kept {} (exists)", path.display()));
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| CliError::Io {
                path: parent.display().to_string(),
                error,
            })?;
        }
        write_atomically(path, bytes)?;
        let _ = writeln!(err, "{}", crate::msg!("wrote {}", path.display()));
    }
    Ok(0)
}

/// Whether `dir` is missing or an empty folder.
fn is_empty(dir: &Path) -> Result<bool, CliError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(error) => Err(CliError::Io {
            path: dir.display().to_string(),
            error,
        }),
    }
}
