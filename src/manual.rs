//! Shell completions and manual pages, generated from the clap definition of the
//! command line (the caller builds it, as `Cli::command()`), so they can never disagree
//! with `--help`: people who live in a shell get tab completion and `man dossier` without
//! anyone keeping a second copy of the flags. Taking the definition as an argument keeps
//! this module below the command line rather than beside it.

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

/// Writes the completion script of `root` (dossier's command line) for `shell` into
/// `out`: what `dossier completions SHELL` prints.
pub fn completions(
    mut root: clap::Command,
    shell: clap_complete::Shell,
    out: &mut dyn std::io::Write,
) {
    clap_complete::generate(shell, &mut root, "dossier", out);
}

/// The names of the commands of `root` that have a page of their own, in `--help` order.
pub fn commands(root: &clap::Command) -> Vec<String> {
    root.get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The page of `root`, dossier itself (`None`), or of one of its commands, as roff.
pub fn page(mut root: clap::Command, command: Option<&str>) -> Result<Vec<u8>, ManualError> {
    root.build();
    let cmd = match command {
        None => root,
        Some(name) => sub_page_command(&root, name)?,
    };
    render(cmd)
}

/// Every page of `root` as (file name, roff): `dossier.1` and `dossier-<command>.1`,
/// the names `man` looks for.
pub fn pages(mut root: clap::Command) -> Result<Vec<(String, Vec<u8>)>, ManualError> {
    root.build();
    let mut out = vec![("dossier.1".to_string(), render(root.clone())?)];
    for name in commands(&root) {
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

/// One page as roff, under the manual's name.
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
    use clap::{Arg, Command};

    /// A command line shaped like dossier's: a root with two commands and a flag.
    fn root() -> Command {
        Command::new("dossier")
            .subcommand(Command::new("build").arg(Arg::new("as_of").long("as-of").help("The date")))
            .subcommand(Command::new("check"))
    }

    #[test]
    fn every_command_has_a_page_naming_its_flags() {
        let pages = pages(root()).unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["dossier.1", "dossier-build.1", "dossier-check.1"]);
        let text = String::from_utf8_lossy(&pages[1].1);
        assert!(text.contains("as\\-of"), "{text}");
        assert!(text.contains("dossier\\-build"), "{text}");
        assert!(matches!(
            page(root(), Some("nope")),
            Err(ManualError::NoSuchCommand(_))
        ));
        assert_eq!(commands(&root()), ["build", "check"]);
    }
}
