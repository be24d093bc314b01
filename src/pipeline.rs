//! The one-unit pipeline as a library function: read the inputs (and the evidence
//! folder), judge, and render every document into a [`Sink`], file by file. `build`, `pack` and
//! whatever builds many units all call this, so a unit comes out the same whichever
//! command made it. No flags and no exit codes live here.

use crate::analysis::{self, Analysis};
use crate::config::Config;
use crate::evidence::{self, EvidenceError, EvidenceOptions, Judgement, Period};
use crate::ingest::{self, FileError, ReadOptions};
use crate::model::{Workbook, sort_diagnostics};
use crate::render::context::Labels;
use crate::render::context::label;
use crate::render::pdf::font::{Font, FontError};
use crate::render::templates::{TemplateError, Templates};
use crate::render::{self, Lang, RenderError};
use crate::report::{self, Report};
use chrono::NaiveDate;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a unit is built from.
#[derive(Debug, Clone)]
pub struct UnitSpec {
    pub inputs: Vec<PathBuf>,
    pub as_of: NaiveDate,
    /// The evidence folder, when the folder (not the workbook) decides what is in hand.
    pub evidence: Option<PathBuf>,
    /// The assessment period [default: 1 January of the as-of year to the as-of date].
    pub period: Option<Period>,
}

/// A unit read and its evidence judged; analysis and report are derived from it.
#[derive(Debug)]
pub struct Unit {
    pub book: Workbook,
    pub as_of: NaiveDate,
    pub evidence: Option<Judgement>,
    /// The evidence folder that was read, as given.
    pub evidence_dir: Option<PathBuf>,
    /// The inputs' display names, as `report.json` lists them.
    pub input_names: Vec<String>,
    /// The stem of the first input: default output name and unit name.
    pub stem: String,
}

/// A failure that stops a unit.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Input(#[from] FileError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Font(#[from] FontError),
    /// A finished file could not be written (a full disk, say).
    #[error("cannot write {file}: {source}")]
    Write {
        /// The file as the user will look for it.
        file: String,
        source: std::io::Error,
    },
}

/// Reads the inputs and, when given, the evidence folder.
pub fn read_unit(spec: &UnitSpec, config: &Config) -> Result<Unit, PipelineError> {
    let options = ReadOptions {
        as_of: spec.as_of,
        vocabulary: config.vocabulary(),
        limits: config.limits,
    };
    let mut book = ingest::read_inputs(&spec.inputs, &options)?;
    let evidence_dir = spec
        .evidence
        .clone()
        .or_else(|| config.evidence.dir.clone());
    let evidence = match &evidence_dir {
        None => None,
        Some(dir) => {
            let period = spec
                .period
                .or(config.evidence.period)
                .unwrap_or_else(|| Period::default_for(spec.as_of));
            let options = EvidenceOptions {
                as_of: spec.as_of,
                period,
                sets: config.evidence.sets.clone(),
                aliases: config.evidence.aliases.clone(),
                max_files: config.limits.max_files,
            };
            let read = evidence::read_folder(dir, &book.measures, &options)?;
            let judgement = evidence::judge(read, &book.measures, &options);
            book.diagnostics
                .extend(judgement.diagnostics.iter().cloned());
            sort_diagnostics(&mut book.diagnostics);
            Some(judgement)
        }
    };
    let stem = first_stem(&spec.inputs);
    Ok(Unit {
        input_names: spec
            .inputs
            .iter()
            .map(|p| ingest::display_name(p))
            .collect(),
        book,
        as_of: spec.as_of,
        evidence,
        evidence_dir,
        stem,
    })
}

impl Unit {
    /// Judges the measures, with the evidence folder deciding what is in hand when read.
    pub fn analyse(&self) -> Analysis<'_> {
        analysis::analyse_with(
            &self.book.measures,
            self.as_of,
            self.evidence.as_ref().map(|e| e.found.as_slice()),
        )
    }

    /// The `report.json` contract for this unit.
    pub fn report<'a>(&'a self, analysis: &Analysis<'_>) -> Report<'a> {
        report::build_with(
            &self.book,
            analysis,
            self.input_names.clone(),
            self.evidence.as_ref(),
        )
    }
}

/// The formats a build writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Json,
    Md,
    Html,
    Pdf,
}

impl Format {
    /// Every format, in the order files are produced.
    pub const ALL: [Format; 4] = [Format::Json, Format::Md, Format::Html, Format::Pdf];
}

/// How the documents look.
pub struct DocOptions<'a> {
    pub lang: Lang,
    /// The unit's name as the documents say it; `None` names it from the sheet titles.
    pub unit: Option<&'a str>,
    pub templates: &'a Templates,
    pub paper: render::pdf::Paper,
    pub landscape: bool,
    pub font: &'a Font,
    /// The fonts of the official style (`--style official`), when the gap report is set
    /// in it; the other documents keep `font`.
    pub official: Option<render::pdf::font::Faces<'a>>,
    /// The limits in force: rendering stops at `output_bytes` per document and
    /// `template_seconds` per template, so a template cannot exhaust memory or time.
    pub limits: crate::limits::Limits,
}

/// Where a unit's finished files go, each as soon as it is made, so that a build holds
/// one document at a time rather than all of them: a build's staged output folder
/// ([`crate::output::BuildFolder`]) or memory ([`InMemory`], for a pack). Files may be
/// put from several threads at once (the PDFs are made in parallel).
pub trait Sink: Sync {
    /// Writes file `name` whole through `write`.
    fn put(
        &self,
        name: &str,
        write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()>;

    /// The file as messages name it (its place in the output, never a temporary one).
    fn shown(&self, name: &str) -> String {
        name.to_string()
    }
}

impl Sink for crate::output::BuildFolder {
    fn put(
        &self,
        name: &str,
        write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.write_file(name, write)
    }

    fn shown(&self, name: &str) -> String {
        crate::output::BuildFolder::shown(self, name)
    }
}

/// Files kept in memory, for whoever packs them further (the inspection pack's zip).
#[derive(Debug, Default)]
pub struct InMemory(Mutex<Vec<(String, Vec<u8>)>>);

impl InMemory {
    /// The files by name (the order they were made in varies with the threads).
    pub fn into_files(self) -> Vec<(String, Vec<u8>)> {
        let mut files = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
    }
}

impl Sink for InMemory {
    fn put(
        &self,
        name: &str,
        write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name.to_string(), bytes));
        Ok(())
    }
}

/// A writer that refuses to pass `limit` bytes: a document larger than `output_bytes`
/// stops being written there instead of filling the disk.
struct Capped<'w> {
    inner: &'w mut dyn Write,
    written: u64,
    limit: u64,
    over: bool,
}

impl Write for Capped<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.written + data.len() as u64 > self.limit {
            self.over = true;
            return Err(std::io::Error::other("output_bytes limit reached"));
        }
        let n = self.inner.write(data)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Why making a file stopped: its writer failed (the disk, or the size cap), or the
/// renderer did.
enum Failure {
    Io(std::io::Error),
    Stop(PipelineError),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<FontError> for Failure {
    fn from(e: FontError) -> Self {
        Failure::Stop(e.into())
    }
}

/// Puts one file into the sink through `make`, bounded by `output_bytes`; a failure
/// names the file as the user will look for it.
fn put(
    sink: &dyn Sink,
    name: &str,
    limits: &crate::limits::Limits,
    make: &mut dyn FnMut(&mut dyn Write) -> Result<(), Failure>,
) -> Result<(), PipelineError> {
    let mut stopped: Option<PipelineError> = None;
    let mut over = false;
    let result = sink.put(name, &mut |w| {
        let mut capped = Capped {
            inner: w,
            written: 0,
            limit: limits.output_bytes,
            over: false,
        };
        let made = make(&mut capped);
        over = capped.over;
        match made {
            Ok(()) => Ok(()),
            Err(Failure::Io(e)) => Err(e),
            Err(Failure::Stop(e)) => {
                stopped = Some(e);
                Err(std::io::Error::other("stopped"))
            }
        }
    });
    if over {
        return Err(RenderError::TooLarge {
            document: name.to_string(),
            limit: limits.output_bytes,
        }
        .into());
    }
    if let Some(e) = stopped {
        return Err(e);
    }
    result.map_err(|source| PipelineError::Write {
        file: sink.shown(name),
        source,
    })
}

/// What was worth a warning while rendering a unit.
pub struct Rendered {
    /// How many files went into the sink.
    pub files: usize,
    /// (file name, characters the PDF font lacks).
    pub missing_glyphs: Vec<(String, BTreeSet<char>)>,
    /// The unit's name as the documents say it.
    pub unit: String,
}

/// The labels of a language through the templates in force.
pub fn labels(templates: &Templates, lang: Lang) -> Result<Labels, PipelineError> {
    Ok(render::labels(templates, lang)?)
}

/// Renders `report.json` and the documents in the formats asked for into `sink`, each
/// file as soon as it is made (the caller decides what becomes of them on failure: a
/// build's folder is then never swapped in). The documents' contexts are made one at a
/// time and are gone before the PDFs are laid out, and each PDF is written page by page.
pub fn render_unit(
    unit: &Unit,
    analysis: &Analysis<'_>,
    report: &Report<'_>,
    formats: &[Format],
    docs: &DocOptions<'_>,
    sink: &dyn Sink,
) -> Result<Rendered, PipelineError> {
    let labels = labels(docs.templates, docs.lang)?;
    let limits = &docs.limits;
    let mut count = 0;
    let mut missing_glyphs = Vec::new();
    let unit_name = render::context::unit_name(docs.unit, &unit.book, &unit.stem);
    if formats.contains(&Format::Json) {
        put(sink, "report.json", limits, &mut |w| {
            Ok(report::write_json(report, w)?)
        })?;
        count += 1;
    }
    if formats.iter().any(|f| *f != Format::Json) {
        let sources = render::context::Sources {
            book: &unit.book,
            analysis,
            report,
            labels: &labels,
            unit: &unit_name,
        };
        let prepared = render::prepare(sources, docs.templates)?;
        // One document at a time: its context is built, rendered and dropped before the
        // next one's; only the Markdown stays, for the PDFs.
        let mut for_pdf = Vec::new();
        release_free_memory();
        for kind in render::DocKind::ALL {
            let doc = prepared.document(kind, limits)?;
            // The context is gone: its pages back before the HTML and the next context.
            release_free_memory();
            if formats.contains(&Format::Md) {
                let name = format!("{}.md", doc.kind.stem());
                put(sink, &name, limits, &mut |w| {
                    Ok(w.write_all(doc.markdown.as_bytes())?)
                })?;
                count += 1;
            }
            if formats.contains(&Format::Html) {
                let html = render::html_document(
                    docs.templates,
                    &doc,
                    &prepared.head,
                    &prepared.svgs,
                    limits,
                )?;
                let name = format!("{}.html", doc.kind.stem());
                put(sink, &name, limits, &mut |w| Ok(html.write_to(w)?))?;
                count += 1;
            }
            if formats.contains(&Format::Pdf) {
                for_pdf.push(doc);
            }
        }
        if formats.contains(&Format::Md) {
            for (name, svg) in &prepared.svgs {
                put(
                    sink,
                    name,
                    limits,
                    &mut |w| Ok(w.write_all(svg.as_bytes())?),
                )?;
                count += 1;
            }
        }
        if formats.contains(&Format::Pdf) {
            release_free_memory();
            // The three documents are laid out and written in parallel, each straight
            // into its file; each is made exactly as it would be alone.
            let made: Vec<Result<(String, BTreeSet<char>), PipelineError>> = for_pdf
                .par_iter()
                .map(|doc| {
                    let heads =
                        PdfHeads::new(&labels, &unit_name, &doc.title, &prepared.head.as_of);
                    let opts = heads.options(docs, &unit_name, created(unit.as_of));
                    let name = format!("{}.pdf", doc.kind.stem());
                    let mut missing = BTreeSet::new();
                    put(sink, &name, limits, &mut |w| {
                        missing = match &docs.official {
                            Some(faces) if doc.kind == render::DocKind::GapReport => {
                                render::pdf::render_official_to(
                                    &doc.markdown,
                                    &prepared.charts,
                                    faces,
                                    &opts,
                                    w,
                                )?
                            }
                            _ => render::pdf::render_to(
                                &doc.markdown,
                                &prepared.charts,
                                docs.font,
                                &opts,
                                w,
                            )?,
                        };
                        Ok(())
                    })?;
                    Ok((name, missing))
                })
                .collect();
            for result in made {
                let (name, missing) = result?;
                count += 1;
                if !missing.is_empty() {
                    missing_glyphs.push((name, missing));
                }
            }
        }
    }
    Ok(Rendered {
        files: count,
        missing_glyphs,
        unit: unit_name,
    })
}

/// The running header, footer and metadata strings of one PDF: the same shape for a
/// unit's documents, the league table and the progress report.
pub struct PdfHeads {
    header_left: String,
    header_right: String,
    page_of: String,
    title: String,
    lang: String,
}

impl PdfHeads {
    /// "<who> · <title>" on the left, "<as of> <date>" on the right, "<who> <title>" as
    /// the document title.
    pub fn new(labels: &Labels, who: &str, title: &str, as_of: &str) -> Self {
        PdfHeads {
            header_left: format!("{who} · {title}"),
            header_right: format!("{} {as_of}", label(labels, "as_of")),
            page_of: label(labels, "page_of"),
            title: format!("{who} {title}"),
            lang: label(labels, "lang"),
        }
    }

    /// The same with another document title (the league table is titled without a who).
    pub fn titled(mut self, title: &str) -> Self {
        self.title = title.to_string();
        self
    }

    /// The options to render with, in the paper of `docs`.
    pub fn options<'a>(
        &'a self,
        docs: &DocOptions<'_>,
        author: &'a str,
        created: i64,
    ) -> render::pdf::PdfOptions<'a> {
        render::pdf::PdfOptions {
            paper: docs.paper,
            landscape: docs.landscape,
            header_left: &self.header_left,
            header_right: &self.header_right,
            page_of: &self.page_of,
            title: &self.title,
            author,
            created,
            lang: &self.lang,
        }
    }
}

/// The as-of date at 00:00 UTC as seconds since 1970: every generated file's timestamp,
/// so outputs do not depend on the clock.
pub fn created(as_of: NaiveDate) -> i64 {
    as_of
        .and_hms_opt(0, 0, 0)
        .map_or(0, |d| d.and_utc().timestamp())
}

/// The stem of the first input: what outputs and the unit are named after by default.
pub fn first_stem(inputs: &[PathBuf]) -> String {
    inputs
        .first()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into())
}

/// The default output folder of a unit: `out/<stem of the first input>`, the stem made
/// safe for Windows ([`default_output_named`]).
pub fn default_output(unit_stem: &str) -> PathBuf {
    default_output_named(unit_stem, "")
}

/// A default output path named after an input: `out/<stem><suffix>` (`suffix` such as
/// `.zip` or `-split`), the stem made safe for Windows, since a name dossier derives
/// must not fail there (`清溪:一.xlsx` → `out/清溪_一`, `CON.csv` → `out/_CON`).
pub fn default_output_named(stem: &str, suffix: &str) -> PathBuf {
    Path::new("out").join(crate::pack::names::safe_stem_with(stem, suffix))
}

/// Hands memory the allocator holds free back to the system: called before the
/// documents, after each document's context is dropped and before the PDFs. A freed
/// context stays resident otherwise: the HTML body and the Markdown buffers are large
/// enough to be mapped afresh rather than fill its holes, and the PDFs are laid out on
/// rayon's threads, which glibc serves from arenas of their own. Only on glibc;
/// elsewhere it does nothing.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim only returns free pages to the system; it has no
        // preconditions and may be called from any thread at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}
