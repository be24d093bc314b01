//! Helpers more than one command calls: finding and reading the config and the inputs,
//! the templates, the one-line summaries, the CI gate's last step, warnings about
//! missing glyphs, and writing files whole.

use super::args::{DocArgs, InputArgs};
use super::error::CliError;
use crate::analysis::Analysis;
use crate::config::{self, Config};
use crate::evidence::Period;
use crate::limits::Limits;
use crate::model::{Severity, Workbook};
use crate::pipeline::{self, Unit, UnitSpec};
use crate::render::{self, pdf::font::Font, templates::Templates};
use chrono::NaiveDate;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Reads the project config: `--config PATH` (which must exist), else ./dossier.toml
/// when there is one, else the defaults.
pub fn load_config(path: Option<&Path>) -> Result<Config, CliError> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(config::FILE_NAME), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Config::default());
        }
        Err(error) => {
            return Err(CliError::Io {
                path: path.display().to_string(),
                error,
            });
        }
    };
    let mut config = Config::parse(&text).map_err(|error| CliError::Config {
        path: path.display().to_string(),
        error,
    })?;
    // `templates` is written relative to the config file; the commands open it from here.
    if let Some(dir) = &config.templates {
        config.templates = Some(crate::batch::project::base_of(&path).join(dir));
    }
    Ok(config)
}

/// The date judged against: the flag's, else the config's `as_of`, else today.
pub fn as_of_or(given: Option<NaiveDate>, config: &Config) -> NaiveDate {
    given
        .or(config.as_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// Reads the inputs (and the evidence folder) with `config`, loaded once by the caller.
pub fn read_with(input: &InputArgs, config: &Config) -> Result<Unit, CliError> {
    let spec = UnitSpec {
        inputs: input.inputs.clone(),
        as_of: as_of_or(input.as_of, config),
        evidence: input.evidence.clone(),
        // Parsed here rather than by clap, so a bad period is one line like every error.
        period: input.period.as_deref().map(Period::parse).transpose()?,
    };
    Ok(pipeline::read_unit(&spec, config)?)
}

/// The one-line summary `check`, `build` and `pack` print.
pub fn summary_line(book: &Workbook, analysis: &Analysis<'_>) -> String {
    let s = &analysis.summary;
    let score = s.score().map_or("—".to_string(), |v| format!("{v:.1}"));
    let grade = analysis.grade.map_or("—", |g| g.zh());
    let veto = if analysis.veto.is_some() {
        crate::msg!(" (open veto item)")
    } else {
        String::new()
    };
    let count = |sev| {
        book.diagnostics
            .iter()
            .filter(|d| d.severity == sev)
            .count()
    };
    crate::msg!(
        "{} measures ({} applicable), score {score}, grade {grade}{veto}; gaps: {} critical, {} major, {} minor; {} errors, {} warnings",
        s.measures,
        s.applicable,
        s.worst[0],
        s.worst[1],
        s.worst[2],
        count(Severity::Error),
        count(Severity::Warning),
    )
}

/// Hands a run's model to the process exit instead of dropping it: the process ends right
/// after, and freeing a large workbook's measures one by one costs a few percent of a `check`
/// (the operating system takes the memory back at once).
pub fn leave_to_exit<T>(model: T) {
    std::mem::forget(model);
}

/// Runs the gate on a single unit once its outputs are written; true when it failed.
pub fn finish_gate(
    gate: crate::gate::run::Gate,
    input: &InputArgs,
    unit: &Unit,
    report: &crate::report::Report<'_>,
    name: Option<&str>,
    line: &str,
    json_on_stdout: bool,
) -> Result<bool, CliError> {
    use crate::gate::run::StepSummary;
    if !gate.is_active() {
        return Ok(false);
    }
    let name = render::context::unit_name(name, &unit.book, &unit.stem);
    gate.look(&name, report, &named_inputs(unit, &input.inputs));
    let summary = StepSummary::Unit { name: &name, line };
    Ok(gate.finish(summary, json_on_stdout)?)
}

/// A unit's inputs as its report names them, each with the path it was read from: where
/// the gate's findings point.
pub fn named_inputs(unit: &Unit, paths: &[PathBuf]) -> Vec<(String, PathBuf)> {
    unit.input_names
        .iter()
        .cloned()
        .zip(paths.iter().cloned())
        .collect()
}

/// The document options `docs` sets, with the documents' font and the config's limits:
/// the named unit, and dossier's own style. Commands that set the official style's
/// faces override `official`.
pub fn doc_options<'a>(
    docs: &'a DocArgs,
    templates: &'a Templates,
    font: &'a Font,
    limits: Limits,
) -> pipeline::DocOptions<'a> {
    pipeline::DocOptions {
        lang: docs.lang.into(),
        unit: docs.unit.as_deref(),
        templates,
        paper: docs.paper.into(),
        landscape: docs.landscape,
        font,
        official: None,
        limits,
    }
}

/// The templates in force: those of the folder `--templates` names, else of the
/// config's `templates`, laid over the built-in ones; else the built-in ones.
pub fn templates_of(flag: Option<&Path>, config: Option<&Config>) -> Result<Templates, CliError> {
    let dir = flag.or_else(|| config.and_then(|c| c.templates.as_deref()));
    Ok(match dir {
        Some(dir) => Templates::layered(dir)?,
        None => Templates::default(),
    })
}

/// What a run of `input` reads: the workbooks, the evidence folder, the config.
pub fn input_paths(input: &InputArgs) -> Vec<&Path> {
    let mut paths: Vec<&Path> = input.inputs.iter().map(PathBuf::as_path).collect();
    paths.extend(input.evidence.as_deref());
    paths.extend(input.config.as_deref());
    paths
}

/// Refuses a run without INPUT: `check` and `pack` read the inputs they are given;
/// only `build` builds a project.
pub fn require_inputs(input: &InputArgs) -> Result<(), CliError> {
    if input.inputs.is_empty() {
        return Err(CliError::Usage(
            "no INPUT given: name the workbooks to read".into(),
        ));
    }
    Ok(())
}

/// Prints what a batch or `summary` did; the exit code: 2 when a unit failed.
pub fn report_outcome(
    root: &Path,
    built: usize,
    failed: &[crate::batch::summary::Failed],
    summary_files: &[String],
) -> i32 {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{built} of {} units built; league table in {}: {}",
        built + failed.len(),
        root.display(),
        summary_files.join(", ")
    );
    for f in failed {
        let _ = writeln!(
            err,
            "{}",
            crate::msg!("dossier: unit {} failed: {}", f.name, f.reason)
        );
    }
    if failed.is_empty() { 0 } else { 2 }
}

/// Warns, once per PDF, about characters the font lacks (drawn as □).
pub fn warn_missing_glyphs(missing: &[(String, std::collections::BTreeSet<char>)], font: &str) {
    let mut err = std::io::stderr().lock();
    for (name, chars) in missing {
        let chars: Vec<String> = chars
            .iter()
            .map(|c| format!("U+{:04X} {c:?}", *c as u32))
            .collect();
        let _ = writeln!(
            err,
            "dossier: warning: {name}: {} not in the font {font}, drawn as {}: {}",
            if chars.len() == 1 {
                "a character is"
            } else {
                "characters are"
            },
            render::pdf::MISSING_MARK,
            chars.join(", ")
        );
    }
}

/// Writes a file through a temporary file in the same folder and a rename, so a reader
/// never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_all_atomically(&[(path.to_path_buf(), bytes)])
}

/// Writes several files so that a failure leaves none of them changed: every temporary
/// file is written and synced, every target checked, and only then are they renamed.
pub fn write_all_atomically(files: &[(PathBuf, &[u8])]) -> Result<(), CliError> {
    let io_err = |path: &Path, error| CliError::Io {
        path: path.display().to_string(),
        error,
    };
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_err(path, e))?;
        tmp.write_all(bytes).map_err(|e| io_err(path, e))?;
        // A temporary file is created owner-only; outputs are for CI and colleagues too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| io_err(path, e))?;
        }
        tmp.as_file().sync_all().map_err(|e| io_err(path, e))?;
        staged.push((path, tmp));
    }
    for (path, _) in &staged {
        if path.is_dir() {
            return Err(io_err(
                path,
                std::io::Error::other("a folder is in the way of this output file"),
            ));
        }
    }
    for (path, tmp) in staged {
        tmp.persist(path).map_err(|e| io_err(path, e.error))?;
    }
    Ok(())
}
