//! The one-unit pipeline as a library function: read the inputs (and the evidence
//! folder), judge, and render every document to bytes in memory. `build`, `pack` and
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
use std::path::{Path, PathBuf};

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
    /// The limits in force: rendering stops at `output_bytes` per document and
    /// `template_seconds` per template, so a template cannot exhaust memory or time.
    pub limits: crate::limits::Limits,
}

/// A rendered file, by name, and what was worth a warning while making it.
pub struct Rendered {
    pub files: Vec<(String, Vec<u8>)>,
    /// (file name, characters the PDF font lacks).
    pub missing_glyphs: Vec<(String, BTreeSet<char>)>,
    /// The unit's name as the documents say it.
    pub unit: String,
}

/// The labels of a language through the templates in force.
pub fn labels(templates: &Templates, lang: Lang) -> Result<Labels, PipelineError> {
    Ok(render::labels(templates, lang)?)
}

/// Renders `report.json` and the documents in the formats asked for, all in memory, so
/// the caller can write all or nothing.
pub fn render_unit(
    unit: &Unit,
    analysis: &Analysis<'_>,
    report: &Report<'_>,
    formats: &[Format],
    docs: &DocOptions<'_>,
) -> Result<Rendered, PipelineError> {
    let labels = labels(docs.templates, docs.lang)?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut missing_glyphs = Vec::new();
    let unit_name = render::context::unit_name(docs.unit, &unit.book, &unit.stem);
    if formats.contains(&Format::Json) {
        files.push(("report.json".into(), report::to_json(report).into_bytes()));
    }
    if formats.iter().any(|f| *f != Format::Json) {
        let prepared = render::prepare(
            &unit.book,
            analysis,
            report,
            docs.templates,
            &labels,
            &unit_name,
            &docs.limits,
        )?;
        for doc in &prepared.documents {
            if formats.contains(&Format::Md) {
                files.push((
                    format!("{}.md", doc.kind.stem()),
                    doc.markdown.clone().into_bytes(),
                ));
            }
            if formats.contains(&Format::Html) {
                let html = render::html_document(
                    docs.templates,
                    doc,
                    &prepared.context,
                    &prepared.svgs,
                    &docs.limits,
                )?;
                files.push((format!("{}.html", doc.kind.stem()), html.into_bytes()));
            }
        }
        if formats.contains(&Format::Pdf) {
            let (w, h) = (label(&labels, "as_of"), &prepared.context.as_of);
            let header_right = format!("{w} {h}");
            let page_of = label(&labels, "page_of");
            // The three documents are laid out and written in parallel; each is made
            // exactly as it would be alone, and they are kept in document order.
            let pdfs: Vec<Result<render::pdf::Pdf, FontError>> = prepared
                .documents
                .par_iter()
                .map(|doc| {
                    let header_left = format!("{unit_name} · {}", doc.title);
                    let title = format!("{unit_name} {}", doc.title);
                    let opts = render::pdf::PdfOptions {
                        paper: docs.paper,
                        landscape: docs.landscape,
                        header_left: &header_left,
                        header_right: &header_right,
                        page_of: &page_of,
                        title: &title,
                        author: &unit_name,
                        created: created(unit.as_of),
                    };
                    render::pdf::render(&doc.markdown, &prepared.charts, docs.font, &opts)
                })
                .collect();
            for (doc, pdf) in prepared.documents.iter().zip(pdfs) {
                let pdf = pdf?;
                let name = format!("{}.pdf", doc.kind.stem());
                if !pdf.missing.is_empty() {
                    missing_glyphs.push((name.clone(), pdf.missing));
                }
                files.push((name, pdf.bytes));
            }
        }
        if formats.contains(&Format::Md) {
            for (name, svg) in &prepared.svgs {
                files.push((name.to_string(), svg.clone().into_bytes()));
            }
        }
    }
    for (name, bytes) in &files {
        render::check_size(name, bytes, &docs.limits)?;
    }
    Ok(Rendered {
        files,
        missing_glyphs,
        unit: unit_name,
    })
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

/// The default output folder of a unit: `out/<stem of the first input>`.
pub fn default_output(unit_stem: &str) -> PathBuf {
    Path::new("out").join(unit_stem)
}
