//! `dossier build`: read and judge one unit's inputs and write its documents, or, with
//! no inputs, build every unit the project config names and their league table.

use super::args::{BatchArgs, DocArgs, GateArgs, InputArgs, OutputFormat, formats_of};
use super::common::{
    as_of_or, doc_options, finish_gate, input_paths, leave_to_exit, load_config, named_inputs,
    read_with, report_outcome, summary_line, templates_of, warn_missing_glyphs,
};
use super::error::CliError;
use super::fonts::{OfficialFonts, load_font};
use crate::batch::{self, project};
use crate::config;
use crate::evidence::Period;
use crate::pipeline::{self, Format, Unit};
use crate::render;
use std::io::Write;
use std::path::PathBuf;

/// The flags of `build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Output folder [default: out/<stem of the first input>].
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,

    /// Formats to write, comma-separated [default: all].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMATS")]
    format: Vec<OutputFormat>,

    #[command(flatten)]
    pub(crate) docs: DocArgs,

    #[command(flatten)]
    batch: BatchArgs,

    #[command(flatten)]
    gate: GateArgs,
}

/// Builds the unit the inputs make, or the project's units when there are no inputs.
pub fn run(args: &BuildArgs) -> Result<i32, CliError> {
    let BuildArgs {
        input,
        output,
        format,
        docs,
        batch,
        gate,
    } = args;
    if input.inputs.is_empty() {
        build_project(input, output.clone(), format, docs, batch, gate)
    } else if !batch.only.is_empty()
        || batch.jobs.is_some()
        || batch.shard.is_some()
        || batch.previous.previous.is_some()
    {
        Err(CliError::Usage(
            "--only, --jobs, --shard and --previous build the units of a project; give them without INPUT (for one unit, dossier diff compares two snapshots)".into(),
        ))
    } else {
        build_unit(input, output.clone(), format, docs, gate)
    }
}

/// `build INPUT…`: one unit's documents into `-o DIR` (default `out/<stem>`).
fn build_unit(
    input: &InputArgs,
    output: Option<PathBuf>,
    formats: &[OutputFormat],
    docs: &DocArgs,
    gate: &GateArgs,
) -> Result<i32, CliError> {
    let gate = gate.gate();
    // Read first for its `templates`; a config that cannot be used still fails below,
    // where it always has.
    let config = load_config(input.config.as_deref());
    let templates = templates_of(docs.templates.as_deref(), config.as_ref().ok())?;
    // Labels first: a broken label file fails before the inputs are read.
    pipeline::labels(&templates, docs.lang.into())?;
    let first_stem = pipeline::first_stem(&input.inputs);
    let dir = output.unwrap_or_else(|| pipeline::default_output(&first_stem));
    crate::output::refuse_clobbering(&dir, &input_paths(input), None)?;
    if let Some(evidence) = &input.evidence {
        crate::evidence::refuse_inside_output(evidence, &dir)?;
    }
    gate.refuse_inside(&dir)?;
    let config = config?;
    let unit = read_with(input, &config)?;
    let analysis = unit.analyse();
    let formats = formats_of(formats);
    let report = unit.report(&analysis);
    let font = if formats.contains(&Format::Pdf) {
        Some(load_font(docs.font.as_deref(), docs.font_bold.as_deref())?)
    } else {
        None
    };
    let official = match &font {
        Some(_) => OfficialFonts::load(docs)?,
        None => None,
    };
    let fallback;
    let font_ref = match &font {
        Some(f) => f,
        None => {
            fallback = render::pdf::font::Font::built_in_regular()?;
            &fallback
        }
    };
    let opts = pipeline::DocOptions {
        official: official.as_ref().map(|o| o.faces(docs, font_ref)),
        ..doc_options(docs, &templates, font_ref, config.limits)
    };
    let folder = crate::output::BuildFolder::begin(&dir)?;
    let rendered = pipeline::render_unit(&unit, &analysis, &report, &formats, &opts, &folder)?;
    folder.commit()?;
    warn_missing_glyphs(&rendered.missing_glyphs, &font_ref.name);
    let count = rendered.files;
    let line = summary_line(&unit.book, &analysis);
    {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
        if let Some(e) = &unit.evidence {
            let _ = writeln!(err, "{}", e.summary_line());
        }
        let _ = writeln!(
            err,
            "{}",
            crate::msg!("wrote {count} files to {}", dir.display())
        );
    }
    let unit_name = docs.unit.as_deref();
    let failed = finish_gate(gate, input, &unit, &report, unit_name, &line, false)?;
    leave_to_exit(report);
    leave_to_exit(analysis);
    leave_to_exit(unit);
    Ok(i32::from(failed))
}

/// `build` without inputs: every unit of the project (or those `--only` names, or one
/// shard of them) into `-o DIR` (default `out`), then the league table. Exit 0 when
/// every unit was built, 2 when any was not (each named on its own line).
fn build_project(
    input: &InputArgs,
    output: Option<PathBuf>,
    formats: &[OutputFormat],
    docs: &DocArgs,
    args: &BatchArgs,
    gate: &GateArgs,
) -> Result<i32, CliError> {
    let gate = gate.gate();
    if input.evidence.is_some() {
        return Err(CliError::Usage(
            "--evidence names one unit's folder; in a project each unit has its own (evidence = … in its [[unit]], or an evidence/ folder in its unit folder)".into(),
        ));
    }
    if docs.unit.is_some() {
        return Err(CliError::Usage(
            "--unit names one unit; in a project each unit is named by its [[unit]] (display = …) or its sheet titles".into(),
        ));
    }
    let config_path = input
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(config::FILE_NAME));
    let config = load_config(input.config.as_deref())?;
    let shown = config_path.display().to_string();
    if config.units.pattern.is_none() && config.units.tables.is_empty() {
        let what = if config_path.exists() {
            crate::msg!("{shown} names no units")
        } else {
            crate::msg!("there is no {shown} here to name units")
        };
        return Err(CliError::Usage(format!(
            "no INPUT given, and {what} (units = \"towns/*\" or [[unit]] tables)"
        )));
    }
    let templates = templates_of(docs.templates.as_deref(), Some(&config))?;
    pipeline::labels(&templates, docs.lang.into())?;
    let period = input.period.as_deref().map(Period::parse).transpose()?;
    let units = project::resolve(
        &config.units,
        &project::base_of(&config_path),
        &shown,
        config.limits.max_files,
    )?;
    let units = project::pick(units, &args.only, &shown)?;
    let units = match &args.shard {
        Some(text) => {
            let (k, n) = project::parse_shard(text)?;
            project::shard(units, k, n)
        }
        None => units,
    };
    let formats = formats_of(formats);
    let font = load_font(docs.font.as_deref(), docs.font_bold.as_deref())?;
    let official = OfficialFonts::load(docs)?;
    let root = output.unwrap_or_else(|| PathBuf::from("out"));
    let jobs = args.jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let as_of = as_of_or(input.as_of, &config);
    for def in &units {
        gate.refuse_inside(&root.join(&def.name))?;
    }
    // The gate keeps each unit's violations (and JUnit suite) as the unit is judged;
    // the unit's report is dropped with the rest of it.
    let look = |def: &project::UnitDef, unit: &Unit, report: &crate::report::Report<'_>| {
        gate.look(&def.name, report, &named_inputs(unit, &def.inputs));
    };
    let spec = batch::Batch {
        root: root.clone(),
        as_of,
        period,
        formats,
        // --unit was refused above: each unit is named by its own table or sheets.
        docs: pipeline::DocOptions {
            official: official.as_ref().map(|o| o.faces(docs, &font)),
            ..doc_options(docs, &templates, &font, config.limits)
        },
        jobs,
        on_unit: gate.is_active().then_some(&look as &batch::OnUnit),
        previous: args.previous.previous.clone(),
    };
    let outcome = batch::build(&units, &config, &spec)?;
    let code = report_outcome(
        &root,
        outcome.built,
        &outcome.failed,
        &outcome.summary_files,
    );
    drop(spec);
    let as_of = as_of.format("%Y-%m-%d").to_string();
    for f in &outcome.failed {
        gate.unit_failed(&f.name, &f.reason, &as_of);
    }
    let summary = crate::gate::run::StepSummary::League(&outcome.league);
    let gate_failed = gate.finish(summary, false)?;
    // A unit that could not be built (2) outranks a gate that failed (1).
    Ok(if code != 0 {
        code
    } else {
        i32::from(gate_failed)
    })
}
