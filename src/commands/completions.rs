//! `dossier completions`: the tab-completion script for a shell, made from the same
//! clap definitions as `--help` (handed in by `cli`), so it never lags behind a flag.

use super::error::CliError;
use std::io::Write;

/// The flags of `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the script for `args.shell`; `root` is dossier's whole command line, as
/// `Cli::command()` builds it.
pub fn run(args: &CompletionsArgs, root: clap::Command) -> Result<i32, CliError> {
    let mut out = Vec::new();
    crate::manual::completions(root, args.shell, &mut out);
    // A closed pipe is not an error worth reporting.
    let _ = std::io::stdout().lock().write_all(&out);
    Ok(0)
}
