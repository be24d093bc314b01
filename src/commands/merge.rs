//! `dossier merge`: the department sheets that came back, merged into the master
//! workbook cell by cell, with a log of every change and every refusal.

use super::args::{LangArg, parse_date};
use super::common::{as_of_or, load_config, templates_of};
use super::error::CliError;
use crate::pipeline;
use chrono::NaiveDate;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The flags of `merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The master workbook the sheets were split from.
    #[arg(value_name = "MASTER")]
    master: PathBuf,

    /// The returned department sheets.
    #[arg(value_name = "RETURNED", required = true)]
    returned: Vec<PathBuf>,

    /// The split's split.json (or its folder): what was sent, for returns that lost
    /// their own record, and the departments that never returned.
    #[arg(long, value_name = "PATH")]
    split: Option<PathBuf>,

    /// Write only the merge log: what the merge would change and refuse.
    #[arg(long)]
    dry_run: bool,

    /// The merged workbook [default: out/<master stem>-merged.xlsx].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Folder of merge-log.{md,html,xlsx} [default: the merged workbook's folder].
    #[arg(long, value_name = "DIR")]
    log_dir: Option<PathBuf>,

    /// Language of added column headers, status words and the merge log: the global
    /// `--lang`, set by the dispatch.
    #[arg(skip)]
    pub(crate) lang: LangArg,

    /// The unit the log names [default: named by the sheet titles, else the master's stem].
    #[arg(long, value_name = "NAME")]
    unit: Option<String>,

    /// The date deadlines without a year are read against [default: the config's as_of, else today].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    as_of: Option<NaiveDate>,

    /// Project config with extra status terms and limits [default: ./dossier.toml if present].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

/// Merges the returns into a new workbook (or, with `--dry-run`, only logs what it would).
pub fn run(args: &MergeArgs) -> Result<i32, CliError> {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| crate::merge::run::default_output(&args.master));
    let log_dir = args.log_dir.clone().unwrap_or_else(|| {
        output
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    });
    let config = load_config(args.config.as_deref())?;
    let templates = templates_of(None, Some(&config))?;
    let labels = pipeline::labels(&templates, args.lang.into())?;
    let read = crate::ingest::ReadOptions {
        as_of: as_of_or(args.as_of, &config),
        vocabulary: config.vocabulary(),
        limits: config.limits,
    };
    let outcome = crate::merge::run::merge(&crate::merge::run::MergeOptions {
        master: &args.master,
        returned: &args.returned,
        split: args.split.as_deref(),
        output: &output,
        log_dir: &log_dir,
        dry_run: args.dry_run,
        read: &read,
        labels: &labels,
        templates: &templates,
        unit: args.unit.as_deref(),
    })?;
    let mut err = std::io::stderr().lock();
    for (sheet, header, cell) in &outcome.added_columns {
        let _ = writeln!(
            err,
            "dossier: note: {sheet}: the master had no {header} column; added at {cell}"
        );
    }
    if !outcome.edited {
        let lost = if outcome.lost.is_empty() {
            String::new()
        } else {
            format!("; not kept: {}", outcome.lost.join(", "))
        };
        let _ = writeln!(
            err,
            "dossier: note: {} is not an xlsx workbook, so the merged workbook is an xlsx holding its sheets and cells{lost}",
            crate::ingest::display_name(&args.master)
        );
    }
    let log = log_dir.join(format!("{}.md", crate::merge::log::STEM));
    let what = if args.dry_run {
        "dry run: would merge"
    } else {
        "merged"
    };
    let _ = writeln!(
        err,
        "{what} {} changes from {} files into {}; {} not taken ({} conflicts); log: {}",
        outcome.applied,
        args.returned.len(),
        output.display(),
        outcome.refused,
        outcome.conflicts,
        log.display()
    );
    Ok(0)
}
