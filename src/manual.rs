//! Shell completions and manual pages, generated from the clap definitions in
//! [`crate::cli`], so they can never disagree with `--help`: people who live in a shell
//! get tab completion and `man dossier` without anyone keeping a second copy of the flags.

use crate::cli::Cli;
use clap::CommandFactory;

/// Why a manual page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    /// `dossier man NAME` where NAME is no command of dossier.
    #[error("no command {0:?}")]
    NoSuchCommand(String),
    /// Rendering the roff failed (it writes into memory, so this is not expected).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Writes the completion script for `shell` into `out`: what
/// `dossier completions SHELL` prints.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "dossier", out);
}

/// The names of the commands that have a page of their own, in `--help` order.
pub fn commands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The page of dossier itself (`None`) or of one command, as roff.
pub fn page(command: Option<&str>) -> Result<Vec<u8>, ManualError> {
    let mut root = Cli::command();
    root.build();
    let cmd = match command {
        None => root,
        Some(name) => sub_page_command(&root, name)?,
    };
    render(cmd)
}

/// Every page as (file name, roff): `dossier.1` and `dossier-<command>.1`, the names
/// `man` looks for.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>, ManualError> {
    let mut root = Cli::command();
    root.build();
    let mut out = vec![("dossier.1".to_string(), render(root.clone())?)];
    for name in commands() {
        let cmd = sub_page_command(&root, &name)?;
        out.push((format!("dossier-{name}.1"), render(cmd)?));
    }
    Ok(out)
}

/// A command of `root` named as its page is (`dossier-build`), so its synopsis reads
/// `dossier-build [OPTIONS]` like git's pages do.
fn sub_page_command(root: &clap::Command, name: &str) -> Result<clap::Command, ManualError> {
    let sub = root
        .get_subcommands()
        .find(|c| c.get_name() == name && name != "help")
        .ok_or_else(|| ManualError::NoSuchCommand(name.to_string()))?;
    let page_name = format!("dossier-{name}");
    Ok(sub
        .clone()
        .name(page_name.clone())
        .bin_name(page_name)
        .version(env!("CARGO_PKG_VERSION")))
}

fn render(cmd: clap::Command) -> Result<Vec<u8>, ManualError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .manual("dossier manual")
        .render(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_page_naming_its_flags() {
        let pages = pages().unwrap();
        assert!(pages.iter().any(|(n, _)| n == "dossier-build.1"));
        let build = &pages
            .iter()
            .find(|(n, _)| n == "dossier-build.1")
            .unwrap()
            .1;
        let text = String::from_utf8_lossy(build);
        assert!(text.contains("as\\-of"), "{text}");
        assert!(matches!(
            page(Some("nope")),
            Err(ManualError::NoSuchCommand(_))
        ));
    }
}
