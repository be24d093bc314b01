//! `dossier summary`: the league table (汇总排名) from the output folders that batches or
//! CI shards wrote, the same bytes as one project build would have made.

use super::args::{DocArgs, OutputFormat, PreviousArgs, formats_of};
use super::common::{doc_options, load_config, report_outcome, templates_of};
use super::error::CliError;
use super::fonts::{load_font, no_official};
use crate::batch::{self, summary::League};
use crate::pipeline;
use std::path::PathBuf;

/// The flags of `summary`.
#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// Output folders of `dossier build` runs (e.g. one per shard).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,

    /// Where to write summary.* [default: out].
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,

    /// Formats to write, comma-separated [default: all].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMATS")]
    format: Vec<OutputFormat>,

    /// Project config, for [limits] [default: ./dossier.toml if present].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    #[command(flatten)]
    previous: PreviousArgs,

    #[command(flatten)]
    pub(crate) docs: DocArgs,
}

/// Joins the report.json files under the folders into the league table.
pub fn run(args: &SummaryArgs) -> Result<i32, CliError> {
    let SummaryArgs {
        dirs,
        output,
        format: formats,
        config,
        previous,
        docs,
    } = args;
    if docs.unit.is_some() {
        return Err(CliError::Usage(
            "--unit names one unit; the league table is of all units".into(),
        ));
    }
    let config = load_config(config.as_deref())?;
    let templates = templates_of(docs.templates.as_deref(), Some(&config))?;
    pipeline::labels(&templates, docs.lang.into())?;
    no_official(docs, "summary")?;
    let formats = formats_of(formats);
    let font = load_font(docs.font.as_deref(), docs.font_bold.as_deref())?;
    let batch::summary::Collected {
        digests,
        failed,
        as_of,
    } = batch::summary::collect(dirs, previous.previous.as_deref())?;
    let built = digests.len();
    let as_of = as_of
        .or_else(|| digests.first().map(|d| d.as_of.clone()))
        .unwrap_or_default();
    let league = League::new(digests, failed.clone(), &as_of);
    let root = output.clone().unwrap_or_else(|| PathBuf::from("out"));
    // --unit was refused above: the league table is of all units.
    let opts = doc_options(docs, &templates, &font, config.limits);
    let files = batch::write_summary(&league, &root, &formats, &opts)?;
    let mut failed = failed;
    failed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(report_outcome(&root, built, &failed, &files))
}
