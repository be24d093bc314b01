//! `dossier split`: one workbook per lead department (督办), with only the cells it may
//! update unlocked, and its task sheet PDF, for the office to send out and merge back.

use super::args::{LangArg, parse_date};
use super::common::{as_of_or, load_config, templates_of, warn_missing_glyphs};
use super::error::CliError;
use super::fonts::load_font;
use crate::pipeline::{self, UnitSpec};
use crate::render;
use chrono::NaiveDate;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The flags of `split`.
#[derive(Debug, clap::Args)]
pub struct SplitArgs {
    /// Measure workbooks: .xlsx .xlsm .xlsb .xls .ods .csv .tsv (read together).
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,

    /// Output folder [default: out/<stem of the first input>-split].
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,

    /// The date the departments must return their sheets by, printed in each.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    due: Option<NaiveDate>,

    /// Who the departments return their sheets to or ask (name, phone), printed in each.
    #[arg(long, value_name = "TEXT")]
    contact: Option<String>,

    /// Protect the sheets with this password [default: protected without one].
    #[arg(long, value_name = "PW")]
    password: Option<String>,

    /// Language of the sheets' headers, status terms and task sheets: the global
    /// `--lang`, set by the dispatch.
    #[arg(skip)]
    pub(crate) lang: LangArg,

    /// The unit the sheets are for [default: named by the sheet titles, else the first input's stem].
    #[arg(long, value_name = "NAME")]
    unit: Option<String>,

    /// Write the sheets only, without the task sheet PDFs.
    #[arg(long)]
    no_pdf: bool,

    /// A folder of templates laid over the built-in ones (the task sheets use
    /// owner-tasks.md; the sheets' words come from i18n/<lang>.toml) [default: the
    /// config's templates].
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,

    /// Task sheet PDF font instead of the built-in Noto Sans CJK SC: a TTF or OTF, or
    /// a face of a TTC as PATH#INDEX.
    #[arg(long, value_name = "PATH[#INDEX]", conflicts_with = "no_pdf")]
    font: Option<String>,

    /// The task sheets' bold face [default: the built-in bold; with --font, synthetic bold].
    #[arg(long, value_name = "PATH[#INDEX]", conflicts_with = "no_pdf")]
    font_bold: Option<String>,

    /// The date every judgement of time is made against [default: the config's as_of, else today].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    as_of: Option<NaiveDate>,

    /// Project config with extra status terms and a default as-of date [default: ./dossier.toml if present].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

/// Reads the inputs and writes the department sheets (written whole or not at all).
pub fn run(args: &SplitArgs) -> Result<i32, CliError> {
    // Read first for its `templates`; a config that cannot be used still fails below,
    // where it always has.
    let config = load_config(args.config.as_deref());
    let templates = templates_of(args.templates.as_deref(), config.as_ref().ok())?;
    let labels = pipeline::labels(&templates, args.lang.into())?;
    let mut config = config?;
    // The departments update the workbook's own evidence column: the sheets show and
    // judge what the workbook says, not an evidence folder the config names.
    config.evidence.dir = None;
    let as_of = as_of_or(args.as_of, &config);
    let dir = args.output.clone().unwrap_or_else(|| {
        pipeline::default_output_named(&pipeline::first_stem(&args.inputs), "-split")
    });
    let inputs: Vec<&Path> = args.inputs.iter().map(PathBuf::as_path).collect();
    crate::output::refuse_clobbering(&dir, &inputs, None)?;
    let font = if args.no_pdf {
        None
    } else {
        Some(load_font(args.font.as_deref(), args.font_bold.as_deref())?)
    };
    let spec = UnitSpec {
        inputs: args.inputs.clone(),
        as_of,
        evidence: None,
        period: None,
    };
    let unit = pipeline::read_unit(&spec, &config)?;
    let unit_name = render::context::unit_name(args.unit.as_deref(), &unit.book, &unit.stem);
    let opts = crate::split::SplitOptions {
        unit: &unit_name,
        due: args.due,
        contact: args.contact.as_deref(),
        password: args.password.as_deref(),
        labels: &labels,
        templates: &templates,
        font: font.as_ref(),
        limits: config.limits,
    };
    let outcome = crate::split::split(&unit, &opts, &dir)?;
    if let Some(font) = &font {
        warn_missing_glyphs(&outcome.missing_glyphs, &font.name);
    }
    let mut err = std::io::stderr().lock();
    if outcome.unassigned > 0 {
        let _ = writeln!(
            err,
            "dossier: warning: {} measures name no lead department and are in no sheet",
            outcome.unassigned
        );
    }
    let _ = writeln!(
        err,
        "split {} measures into {} department sheets: wrote {} files to {}",
        unit.book.measures.len(),
        outcome.departments,
        outcome.files,
        dir.display()
    );
    Ok(0)
}
