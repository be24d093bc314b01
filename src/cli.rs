//! The command line: the parser, the list of commands, and the dispatch to each
//! command's module under [`crate::commands`], where its flags are documented once and
//! reused by `--help`. Every command returns an exit code or an error, and only `main`
//! exits.

use crate::commands::{
    build, check, completions, diff, init, keygen, man, merge, pack, split, summary, verify,
};
use crate::messages::{LangSources, clap_text, errors};
use crate::render::Lang;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// What every command fails with; named here too, beside [`run`] that returns it.
pub use crate::commands::error::CliError;

/// Shown under every command's `--help`: what the statuses and the score mean.
const JUDGING_HELP: &str = "\
Statuses: each status cell is classified by the longest known term it starts with: done \
(已完成, 已落实…) and ongoing (持续推进, 常态化…) earn full credit, partial earns 0.5 \
(推进中…) or 0.75 (基本落实…), not_started (未启动…) and unknown (blank or unrecognised) \
earn 0, and not_applicable (不适用…) is left out.

Score: 100 × Σ(weight × credit) / Σ(weight) over applicable measures; ≥90 优秀, ≥80 良好, \
≥60 一般, else 较差, and any open veto item (一票否决) makes it 较差.";

/// Read the measure workbooks a town safety office keeps and judge its readiness for the
/// safety-production assessment.
#[derive(Debug, Parser)]
#[command(name = "dossier", version, after_help = JUDGING_HELP)]
pub struct Cli {
    /// The command to run, with its flags.
    #[command(subcommand)]
    pub command: Command,

    /// Language of the messages and the documents: zh-CN, zh-TW or en (zh, zh-Hans,
    /// zh_TW.UTF-8 … are understood) [default: messages follow DOSSIER_LANG, then the
    /// system locale, then zh-CN; documents are zh-CN].
    #[arg(long, global = true, value_name = "LANG", value_parser = crate::commands::args::parse_lang)]
    pub lang: Option<crate::commands::args::LangArg>,
}

/// The subcommands; each documents itself for `--help`, and its flags are in its own
/// module under [`crate::commands`].
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and judge the inputs; print every diagnostic and a one-line summary.
    /// Exit 0 without error diagnostics, 1 with (or when the CI gate fails), 2 when an
    /// input cannot be read.
    #[command(after_help = JUDGING_HELP)]
    Check(check::CheckArgs),
    /// Read and judge the inputs and write the documents into an output folder.
    #[command(after_help = JUDGING_HELP)]
    Build(build::BuildArgs),
    /// Build the league table (汇总排名: summary.json, .md, .html, .pdf) from the output
    /// folders of batches or shards: each DIR is a batch's root (summary.json and unit
    /// folders), or a unit's folder (report.json). Exit 2 when it cannot be made, or
    /// when a unit in it failed.
    Summary(summary::SummaryArgs),
    /// Make the pack handed to inspectors: a zip (or a folder) with the numbered index
    /// (卷内目录), the three documents, report.json, every evidence file under numbered
    /// folders, one bound binder PDF per set, and manifests that `dossier verify` checks.
    /// Needs an evidence folder.
    #[command(after_help = JUDGING_HELP)]
    Pack(pack::PackArgs),
    /// Compare two snapshots of one unit and write the progress report (进展报告) and
    /// diff.json: score and grade before and after (overall, per set, per owner), measures
    /// that improved, regressed, got done or became overdue, evidence items newly in hand
    /// or lost, measures added and removed. Exit 2 when the two are not snapshots of one
    /// unit (different units, or no measure in common).
    Diff(diff::DiffArgs),
    /// Check a pack against its manifest.sha256: prints "N files intact" and exits 0, or
    /// names every changed, missing and unexpected file and exits 1; 2 when the pack
    /// cannot be read.
    Verify(verify::VerifyArgs),
    /// Make a minisign key pair for signing packs (`pack --sign`): DIR/dossier.key (secret,
    /// readable by you only) and DIR/dossier.pub (give it to the inspectors). Existing
    /// files are never overwritten.
    Keygen(keygen::KeygenArgs),
    /// Write a starter project that `dossier build` builds as it stands: the built-in
    /// templates to edit, a sample workbook, a config naming both, and a README on what
    /// to change. A folder that is not empty is refused unless --force.
    Init(init::InitArgs),
    /// Write one workbook per lead department (督办) into DIR: its measures (open and
    /// missing-evidence first), the cells it may update (status, progress, deadline,
    /// evidence ready) unlocked, everything else locked, a status drop-down, a hidden key
    /// per row for merging back; beside each, its task sheet PDF; and split.json. The
    /// folder is written whole or not at all.
    Split(split::SplitArgs),
    /// Merge the department sheets that came back (from `split`, in whatever format they
    /// return: re-saved, .xls, rows pasted without the key column) into the master. For
    /// an .xlsx master only the changed cells are replaced and everything else is kept;
    /// any other master becomes an .xlsx in the contract's layout. Writes the merged
    /// workbook and merge-log.{md,html,xlsx} (every change, every refusal and why); the
    /// master is never modified.
    Merge(merge::MergeArgs),
    /// Print the shell completion script for SHELL, made from these very flags: e.g.
    /// `dossier completions bash > /etc/bash_completion.d/dossier`, or
    /// `source <(dossier completions zsh)`.
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff) of dossier, or of one command (`dossier man build`);
    /// with -o, write every page (dossier.1 and dossier-<command>.1) into DIR.
    Man(man::ManArgs),
}

/// Runs the parsed command; returns the exit code. The documents' language is `--lang`
/// alone (never the environment: the same inputs give the same files anywhere).
pub fn run(cli: Cli) -> Result<i32, CliError> {
    let lang = cli.lang.unwrap_or_default();
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Build(mut args) => {
            args.docs.lang = lang;
            build::run(&args)
        }
        Command::Summary(mut args) => {
            args.docs.lang = lang;
            summary::run(&args)
        }
        Command::Pack(mut args) => {
            args.docs.lang = lang;
            pack::run(&args)
        }
        Command::Diff(mut args) => {
            args.docs.lang = lang;
            diff::run(&args)
        }
        Command::Verify(args) => verify::run(&args),
        Command::Keygen(args) => keygen::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Split(mut args) => {
            args.lang = lang;
            split::run(&args)
        }
        Command::Merge(mut args) => {
            args.lang = lang;
            merge::run(&args)
        }
        Command::Completions(args) => completions::run(&args, Cli::command()),
        Command::Man(args) => man::run(&args, Cli::command()),
    }
}

/// Runs the parsed command and gives the process's exit code: the command's own, or 2
/// after printing its error as one `dossier: …` line on stderr, in `lang`.
pub fn exit_code(cli: Cli, lang: Lang) -> i32 {
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dossier: {}", e.localized(lang));
            2
        }
    }
}

/// The whole program on `args` (the process's arguments): the user's language found
/// first (`--lang`, `DOSSIER_LANG`, the locale), so that clap's help and errors, the
/// library's progress lines and the final error all come in it; then the command.
pub fn start(args: Vec<std::ffi::OsString>) -> i32 {
    let lang = LangSources::of_process(&args).resolve();
    crate::messages::set_current(lang);
    crate::model::say::set_translator(move |english| errors::translate(english, lang));
    let command = clap_text::localize(Cli::command(), lang);
    let parsed = command
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m));
    match parsed {
        Ok(cli) => exit_code(cli, lang),
        Err(e) => {
            let help = clap_text::help_command(&Cli::command(), &args);
            match clap_text::error_text(&e, lang, &help) {
                Some(text) => {
                    eprintln!("{text}");
                    2
                }
                None => {
                    let _ = e.print();
                    e.exit_code()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `--help` text is in `src/messages/help.toml`, so no command's help is left
    /// in English in Chinese (a changed doc comment fails here until translated).
    #[test]
    fn every_help_text_is_translated() {
        let missing: Vec<String> = clap_text::english_texts(&Cli::command())
            .into_iter()
            .filter(|t| clap_text::translate(t, Lang::ZhCn).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "{} help texts are not in src/messages/help.toml:\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
}
