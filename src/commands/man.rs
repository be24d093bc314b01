//! `dossier man`: the manual pages, made from the same clap definitions as `--help`
//! (handed in by `cli`), printed or written into a folder for `man` to find.

use super::common::write_all_atomically;
use super::error::CliError;
use crate::manual;
use std::io::Write;
use std::path::PathBuf;

/// The flags of `man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The command whose page to print [default: dossier itself].
    #[arg(value_name = "COMMAND", conflicts_with = "output")]
    command: Option<String>,

    /// Write all pages into this folder (created if missing; the pages are replaced).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// `man [COMMAND]` prints one page; `man -o DIR` writes them all. `root` is dossier's
/// whole command line, as `Cli::command()` builds it.
pub fn run(args: &ManArgs, root: clap::Command) -> Result<i32, CliError> {
    match args.output.as_deref() {
        Some(dir) => {
            let pages = manual::pages(root).map_err(|e| CliError::Usage(e.to_string()))?;
            std::fs::create_dir_all(dir).map_err(|error| CliError::Io {
                path: dir.display().to_string(),
                error,
            })?;
            let files: Vec<(PathBuf, &[u8])> = pages
                .iter()
                .map(|(name, bytes)| (dir.join(name), bytes.as_slice()))
                .collect();
            write_all_atomically(&files)?;
            let _ = writeln!(
                std::io::stderr().lock(),
                "wrote {} manual pages to {}",
                files.len(),
                dir.display()
            );
        }
        None => {
            let names = manual::commands(&root);
            let page = manual::page(root, args.command.as_deref()).map_err(|e| match e {
                manual::ManualError::NoSuchCommand(c) => CliError::Usage(format!(
                    "no command {c:?}: the pages are {}",
                    names.join(", ")
                )),
                manual::ManualError::Io(error) => CliError::Io {
                    path: "stdout".into(),
                    error,
                },
            })?;
            let _ = std::io::stdout().lock().write_all(&page);
        }
    }
    Ok(0)
}
