//! `dossier init`: a starter project to edit: the built-in templates, a sample
//! workbook, a config and a README on what to change.

use super::common::write_atomically;
use super::error::CliError;
use crate::config;
use crate::render;
use std::io::Write;
use std::path::PathBuf;

/// The flags of `init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder to create or fill (existing files are never overwritten).
    #[arg(default_value = ".")]
    dir: PathBuf,
}

/// The README `dossier init` writes beside the templates.
const INIT_README: &str = include_str!("../../templates/README.md");

/// The config `dossier init` writes.
const INIT_CONFIG: &str = "# dossier project config (see README.md)\n# as_of = 2026-12-15\n[statuses]\n# done = [\"已验收\"]\n";

/// The sample workbook `dossier init` writes.
const SAMPLE_WORKBOOK: &[u8] = include_bytes!("../../inputs/qingxi-town.xlsx");

/// Writes every starter file that is not there yet, naming each written or kept.
pub fn run(args: &InitArgs) -> Result<i32, CliError> {
    let dir = args.dir.as_path();
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
        if path.exists() {
            let _ = writeln!(err, "kept {} (exists)", path.display());
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| CliError::Io {
                path: parent.display().to_string(),
                error,
            })?;
        }
        write_atomically(path, bytes)?;
        let _ = writeln!(err, "wrote {}", path.display());
    }
    Ok(0)
}
