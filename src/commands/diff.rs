//! `dossier diff`: compare two snapshots of one unit (workbooks, report.json files or
//! output folders) and write the progress report (进展报告) and diff.json.

use super::args::{DocArgs, formats_of, parse_date};
use super::common::{as_of_or, doc_options, load_config, templates_of, warn_missing_glyphs};
use super::error::CliError;
use super::fonts::{load_font, no_official};
use crate::diff::{self, LoadOptions};
use crate::pipeline::{self, Format};
use crate::render;
use chrono::NaiveDate;
use clap::ValueEnum;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The flags of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The earlier snapshot: a workbook, a report.json, or a build's output folder.
    #[arg(value_name = "OLD")]
    old: PathBuf,

    /// The later snapshot: a workbook, a report.json, or a build's output folder.
    #[arg(value_name = "NEW")]
    new: PathBuf,

    /// Output folder [default: out/<stem of NEW>-diff; a folder's or its report.json's
    /// stem is the folder's name].
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,

    /// Formats to write, comma-separated [default: all].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMATS")]
    format: Vec<DiffFormat>,

    /// The date a workbook given as NEW is judged against [default: the config's
    /// as_of, else today]. A report.json or output folder carries its own.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    as_of: Option<NaiveDate>,

    /// The date a workbook given as OLD is judged against [default: --as-of].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    old_as_of: Option<NaiveDate>,

    /// The evidence folder of a workbook given as NEW [default: the config's evidence].
    #[arg(long, value_name = "DIR")]
    evidence: Option<PathBuf>,

    /// The evidence folder of a workbook given as OLD [default: the config's evidence].
    #[arg(long, value_name = "DIR")]
    old_evidence: Option<PathBuf>,

    /// Project config with extra status terms and a default as-of date [default: ./dossier.toml if present].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) docs: DocArgs,
}

/// What `diff` can write: its own help, since its files are not a build's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// diff.json, the machine-readable comparison (dossier.diff/1).
    Json,
    /// The progress report as Markdown.
    Md,
    /// The progress report as a self-contained HTML page.
    Html,
    /// The progress report as PDF.
    Pdf,
}

impl From<DiffFormat> for Format {
    fn from(f: DiffFormat) -> Format {
        match f {
            DiffFormat::Json => Format::Json,
            DiffFormat::Md => Format::Md,
            DiffFormat::Html => Format::Html,
            DiffFormat::Pdf => Format::Pdf,
        }
    }
}

/// Loads both sides, compares them, and writes the progress report.
pub fn run(args: &DiffArgs) -> Result<i32, CliError> {
    let docs = &args.docs;
    no_official(docs, "diff")?;
    // Read first for its `templates`; a config that cannot be used still fails below,
    // where it always has.
    let config = load_config(args.config.as_deref());
    let templates = templates_of(docs.templates.as_deref(), config.as_ref().ok())?;
    pipeline::labels(&templates, docs.lang.into())?;
    let config = config?;
    let dir = match &args.output {
        Some(dir) => dir.clone(),
        None => pipeline::default_output_named(&diff::output_stem(&args.new), "-diff"),
    };
    let mut sides: Vec<&Path> = vec![&args.old, &args.new];
    sides.extend(args.evidence.as_deref());
    sides.extend(args.old_evidence.as_deref());
    crate::output::refuse_clobbering(&dir, &sides, None)?;
    for side in [&args.old, &args.new] {
        diff::refuse_side_in_output(side, &dir)?;
    }
    let as_of = as_of_or(args.as_of, &config);
    let side = |path: &Path, as_of, evidence: &Option<PathBuf>| {
        let options = LoadOptions {
            as_of,
            evidence: evidence.clone(),
            period: None,
            config: &config,
        };
        diff::load_side(path, &options)
    };
    let old = side(
        &args.old,
        args.old_as_of.unwrap_or(as_of),
        &args.old_evidence,
    )?;
    let new = side(&args.new, as_of, &args.evidence)?;
    let compared = diff::compare(&old, &new).map_err(diff::DiffError::from)?;
    let formats = formats_of(&args.format);
    let font = if formats.contains(&Format::Pdf) {
        load_font(docs.font.as_deref(), docs.font_bold.as_deref())?
    } else {
        render::pdf::font::Font::built_in_regular()?
    };
    let opts = doc_options(docs, &templates, &font, config.limits);
    let rendered = diff::document::render(&compared, &formats, &opts)?;
    warn_missing_glyphs(&rendered.missing_glyphs, &font.name);
    let count = rendered.files.len();
    crate::output::write_build(&dir, rendered.files)?;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", compared.summary_line());
    let _ = writeln!(
        err,
        "{}",
        crate::msg!("wrote {count} files to {}", dir.display())
    );
    Ok(0)
}
