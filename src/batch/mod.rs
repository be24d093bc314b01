//! Many units in one run: the units of a project ([`project`]) built in parallel, each
//! through the one-unit pipeline ([`crate::pipeline`]) into `<root>/<unit>/` exactly as a
//! single build makes it, then the league table ([`summary`], [`document`]) written
//! beside them. A unit that cannot be built is named and the others go on. Memory holds
//! one unit per job: each unit's workbook, report and documents are dropped once its
//! folder is written, and only its small [`summary::Digest`] is kept. No flags and no
//! exit codes live here; the command line turns [`Outcome`] into them.

pub mod document;
pub mod progress;
pub mod project;
pub mod summary;

use crate::config::{Config, EvidenceConfig};
use crate::evidence::{EvidenceError, Period};
use crate::output::OutputError;
use crate::pipeline::{self, DocOptions, Format, PipelineError, Unit, UnitSpec};
use crate::render::Lang;
use crate::report::{self, Report};
use chrono::NaiveDate;
use project::UnitDef;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use summary::{Digest, Failed, League};

/// How a batch is built: the same for every unit, as a single build's flags would be.
pub struct Batch<'a> {
    /// The root: each unit goes to `<root>/<unit>/`, the league table to `<root>/summary.*`.
    pub root: PathBuf,
    pub as_of: NaiveDate,
    /// The assessment period for evidence files (as `--period`).
    pub period: Option<Period>,
    pub formats: Vec<Format>,
    /// How the documents look; `unit` is ignored (each unit's `display` is used).
    pub docs: DocOptions<'a>,
    /// Units built at once (at least 1).
    pub jobs: usize,
    /// Called with each unit read and judged, before its data is dropped (from any job,
    /// in any order): where a gate (`--fail-on`, JUnit) looks at every unit's report
    /// without the batch keeping them all.
    pub on_unit: Option<&'a OnUnit<'a>>,
    /// The previous run's output root (`--previous DIR`): each unit's report there is
    /// compared with the new one for the league table. It may be `root` itself: a unit's
    /// old report is read before its folder is replaced.
    pub previous: Option<PathBuf>,
}

/// A look at one unit's name, data and report during a batch. It may borrow what the
/// caller owns (`'a`), such as the gate that collects each unit's verdict.
pub type OnUnit<'a> = dyn Fn(&UnitDef, &Unit, &Report<'_>) + Sync + 'a;

/// What a batch did, for the command line to report and turn into an exit code.
pub struct Outcome {
    /// Units built.
    pub built: usize,
    /// Units that could not be built, by name, with the one-line reason.
    pub failed: Vec<Failed>,
    /// The league table written.
    pub league: League,
    /// Files written to the root for the league table.
    pub summary_files: Vec<String>,
}

/// What stops a whole batch (a unit's own failure never does).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot start {jobs} jobs: {error}")]
    Pool { jobs: usize, error: String },
    #[error("{path}: {error}")]
    Io {
        path: String,
        #[source]
        error: std::io::Error,
    },
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Why one unit could not be built; said on one line in the log and the league table.
#[derive(Debug, thiserror::Error)]
enum UnitError {
    #[error("{0}")]
    NoInputs(String),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("report.json: {0}")]
    Report(#[from] serde_json::Error),
}

/// The config as each unit of a batch reads with: everything the project sets, except a
/// single evidence folder (each unit names its own).
fn unit_config(config: &Config) -> Config {
    Config {
        as_of: config.as_of,
        statuses: config.statuses.clone(),
        evidence: EvidenceConfig {
            dir: None,
            ..config.evidence.clone()
        },
        limits: config.limits,
        units: Default::default(),
        templates: config.templates.clone(),
    }
}

/// Builds every unit of `units` into `<root>/<name>/` with `batch.jobs` at once, then the
/// league table. Outputs do not depend on the number of jobs: every unit's folder is
/// what a single build makes, and the league table is ordered by score and name.
pub fn build(units: &[UnitDef], config: &Config, batch: &Batch<'_>) -> Result<Outcome, BatchError> {
    let config = unit_config(config);
    let jobs = batch.jobs.max(1);
    // A local pool: --jobs threads, whatever else the process runs. Each thread takes the
    // next unit when it has finished one (so one unit per job is in memory); the pool
    // also runs a unit's own parallel work (its three PDFs, evidence hashing).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("dossier-batch-{i}"))
        .build()
        .map_err(|e| BatchError::Pool {
            jobs,
            error: e.to_string(),
        })?;
    std::fs::create_dir_all(&batch.root).map_err(|error| BatchError::Io {
        path: batch.root.display().to_string(),
        error,
    })?;
    let progress = progress::Progress::new(units.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Digest, Failed>>>> =
        Mutex::new((0..units.len()).map(|_| None).collect());
    pool.broadcast(|_| {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(def) = units.get(i) else { break };
            progress.start(&def.name);
            let result = build_unit(def, &config, batch, &progress).map_err(|e| Failed {
                name: def.name.clone(),
                reason: summary::one_line(&crate::io_hint::line(&e)),
            });
            progress.finish(&def.name, &result);
            if let Ok(mut r) = results.lock() {
                r[i] = Some(result);
            }
        }
    });
    progress.done();
    let mut digests = Vec::new();
    let mut failed = Vec::new();
    let results = results.into_inner().unwrap_or_default();
    for r in results.into_iter().flatten() {
        match r {
            Ok(d) => digests.push(d),
            Err(f) => failed.push(f),
        }
    }
    let built = digests.len();
    let as_of = batch.as_of.format("%Y-%m-%d").to_string();
    let league = League::new(digests, failed.clone(), &as_of);
    let summary_files = write_summary(&league, &batch.root, &batch.formats, &batch.docs)?;
    failed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Outcome {
        built,
        failed,
        league,
        summary_files,
    })
}

/// Renders the league table and writes its files into `root`; returns their names.
pub fn write_summary(
    league: &League,
    root: &Path,
    formats: &[Format],
    docs: &DocOptions<'_>,
) -> Result<Vec<String>, BatchError> {
    let document::SummaryFiles { files, missing } = document::render(league, formats, docs)?;
    if !missing.is_empty() {
        progress::warn_missing(
            &format!("{}.pdf", document::STEM),
            &missing,
            &docs.font.name,
        );
    }
    // The league's files go beside the units' folders, where a user may keep files of
    // their own: one that is there and not an earlier summary stops the whole write.
    for (name, bytes) in &files {
        let path = root.join(name);
        if std::fs::symlink_metadata(&path).is_ok() && !summary_file_is_ours(&path, bytes) {
            return Err(OutputError::NotOurs {
                target: path.display().to_string(),
            }
            .into());
        }
    }
    std::fs::create_dir_all(root).map_err(|error| BatchError::Io {
        path: root.display().to_string(),
        error,
    })?;
    write_files(root, &files)?;
    Ok(files.into_iter().map(|(n, _)| n).collect())
}

/// Whether the file at `path` is a league-table file dossier wrote, which a new one may
/// replace: its schema (`summary.json`), generator tag (HTML), producer (PDF), for a
/// chart the same opening tag, for Markdown the same title line as the new one (`new`).
fn summary_file_is_ours(path: &Path, new: &[u8]) -> bool {
    use std::io::Read;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    // A league table is far below this; a larger file is not one.
    let mut old = Vec::new();
    if file.take(256 << 20).read_to_end(&mut old).is_err() {
        return false;
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let contains = |hay: &[u8], needle: &[u8]| memchr::memmem::find(hay, needle).is_some();
    match ext {
        "json" => serde_json::from_slice::<serde_json::Value>(&old)
            .is_ok_and(|v| v["schema"].as_str() == Some(summary::SCHEMA)),
        "html" => contains(&old, b"<meta name=\"generator\" content=\"dossier"),
        "pdf" => old.starts_with(b"%PDF") && contains(&old, b"/Producer (dossier)"),
        // Markdown carries no mark: the same title line as the new one, or the built-in
        // title of another language.
        "md" => {
            let first = |b: &[u8]| b.split(|&c| c == b'\n').next().map(<[u8]>::to_vec);
            let built_in = [Lang::ZhCn, Lang::ZhTw, Lang::En].map(|lang| {
                let labels = crate::render::labels(&Default::default(), lang).unwrap_or_default();
                format!("# {}", crate::render::context::label(&labels, "summary")).into_bytes()
            });
            let old_first = first(&old).unwrap_or_default();
            !old.is_empty()
                && (first(new) == Some(old_first.clone()) || built_in.contains(&old_first))
        }
        // A chart: the same opening tag (size, role) as the new one up to its label.
        "svg" => {
            let head =
                |b: &[u8]| memchr::memmem::find(b, b"aria-label=").map(|at| b[..at].to_vec());
            head(new).is_some_and(|h| old.starts_with(&h))
        }
        _ => false,
    }
}

/// Writes files into `dir` so that none is ever seen half-written: each goes to a
/// temporary file beside it, synced, then renamed over the old one.
fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), BatchError> {
    let io = |path: &Path, error| BatchError::Io {
        path: path.display().to_string(),
        error,
    };
    for (name, bytes) in files {
        let path = dir.join(name);
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io(&path, e))?;
        tmp.write_all(bytes).map_err(|e| io(&path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| io(&path, e))?;
        }
        tmp.as_file().sync_all().map_err(|e| io(&path, e))?;
        tmp.persist(&path).map_err(|e| io(&path, e.error))?;
    }
    Ok(())
}

/// Builds one unit into `<root>/<name>/` and digests its report. Everything the unit
/// holds is dropped on return.
fn build_unit(
    def: &UnitDef,
    config: &Config,
    batch: &Batch<'_>,
    progress: &progress::Progress,
) -> Result<Digest, UnitError> {
    if let Some(why) = &def.missing {
        return Err(UnitError::NoInputs(why.clone()));
    }
    let dir = batch.root.join(&def.name);
    if let Some(evidence) = &def.evidence {
        crate::evidence::refuse_inside_output(evidence, &dir)?;
    }
    let spec = UnitSpec {
        inputs: def.inputs.clone(),
        as_of: batch.as_of,
        evidence: def.evidence.clone(),
        period: batch.period,
    };
    let unit = pipeline::read_unit(&spec, config)?;
    let analysis = unit.analyse();
    let report = unit.report(&analysis);
    let docs = DocOptions {
        lang: batch.docs.lang,
        unit: def.display.as_deref(),
        templates: batch.docs.templates,
        paper: batch.docs.paper,
        landscape: batch.docs.landscape,
        font: batch.docs.font,
        official: batch.docs.official,
        limits: batch.docs.limits,
    };
    // The digest is taken from the report's JSON text, exactly what report.json holds,
    // so that `dossier summary` over the written files gives the same league table.
    let before = batch
        .previous
        .as_deref()
        .and_then(|root| summary::previous_report(root, &def.name, summary::PREVIOUS_BYTES));
    let digest = summary::digest_since(
        &def.name,
        report::to_json(&report).as_bytes(),
        before.as_deref(),
    )?;
    if let Some(look) = batch.on_unit {
        look(def, &unit, &report);
    }
    write_unit(
        &unit,
        &analysis,
        &report,
        &batch.formats,
        &docs,
        &dir,
        progress,
    )?;
    Ok(digest)
}

/// Renders a unit's files and writes its folder whole. The one place the batch calls
/// [`pipeline::render_unit`], so a change in how finished files are handed over is met
/// here alone.
fn write_unit(
    unit: &Unit,
    analysis: &crate::analysis::Analysis<'_>,
    report: &Report<'_>,
    formats: &[Format],
    docs: &DocOptions<'_>,
    dir: &Path,
    progress: &progress::Progress,
) -> Result<(), UnitError> {
    // Files stream into the folder staged beside `dir`, swapped in whole at the end, as
    // a single build does.
    let folder = crate::output::BuildFolder::begin(dir)?;
    let rendered = pipeline::render_unit(unit, analysis, report, formats, docs, &folder)?;
    folder.commit()?;
    for (name, chars) in &rendered.missing_glyphs {
        let shown = format!("{}/{name}", dir.display());
        progress.warn_glyphs(&shown, chars, &docs.font.name);
    }
    Ok(())
}

/// The characters a set lacks, for warnings (used by [`progress`]).
pub(crate) fn glyph_list(chars: &BTreeSet<char>) -> String {
    chars
        .iter()
        .map(|c| format!("U+{:04X} {c:?}", *c as u32))
        .collect::<Vec<_>>()
        .join(", ")
}
