//! `dossier pack`: what goes to the inspectors. One zip (or folder) with the numbered
//! index, the three documents, `report.json`, every evidence file under numbered
//! folders, one bound binder per set and the manifests that `dossier verify` checks.
//! Built from the same one-unit pipeline as `build`; deterministic for the same inputs.

pub mod archive;
pub mod binder;
pub mod names;

use crate::evidence::inspect::{Kind, Problem};
use crate::evidence::judge::EvidenceFile;
use crate::hash;
use crate::pipeline::{self, DocOptions, Format, PipelineError, Unit};
use crate::render::context::{Labels, fill, label};
use crate::render::{self, DocKind, Document, RenderError};
use archive::{ArchiveError, Entry, Source, Written};
use binder::{Binder, BinderFile, BinderItem, BinderLabels, BinderMeasure, BinderSource};
use names::{NameSet, safe_component};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

/// The manifest schema name.
pub const SCHEMA: &str = "dossier.pack/1";

/// Whether the file at `path` is a pack dossier wrote (a zip whose `manifest.json` names
/// [`SCHEMA`]): the only file `pack -o` may replace.
pub fn is_pack_zip(path: &Path) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return false;
    };
    let Ok(entry) = zip.by_name("manifest.json") else {
        return false;
    };
    let mut text = String::new();
    if entry
        .take(16 * 1024 * 1024)
        .read_to_string(&mut text)
        .is_err()
    {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v["schema"] == SCHEMA)
}

/// A pack that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("pack needs an evidence folder: give --evidence DIR (or evidence in the config)")]
    NoEvidence,
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("binder {name}: {error}")]
    Binder {
        name: String,
        error: binder::BinderError,
    },
    #[error("{path}: {error}")]
    Io {
        path: String,
        #[source]
        error: std::io::Error,
    },
    #[error("{0}: the pack target is inside the evidence folder; write it elsewhere")]
    InsideEvidence(String),
    #[error("{0}")]
    InsideOutput(String),
    #[error(
        "{0}: the folder exists and is not a pack (no manifest.sha256); a folder pack replaces its target whole, so give a new or empty folder"
    )]
    NotAPack(String),
    /// Evidence files changed while the pack was being made (a scanner or a sync client
    /// still writing): the pack would not describe what was judged. Nothing is written.
    #[error("{}\n{} evidence file(s) changed while packing; nothing was written: pack again once they are finished, or give --allow-changing to pack them as they are now", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"), .0.len())]
    ChangedDuringPack(Vec<Changed>),
}

/// Where the pack goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Zip(&'a Path),
    Folder(&'a Path),
}

/// What was packed, for the command line's closing lines.
#[derive(Debug, Default)]
pub struct Packed {
    pub files: usize,
    pub bytes: u64,
    pub binders: usize,
    /// Characters the PDF font lacks, per generated file.
    pub missing_glyphs: Vec<(String, BTreeSet<char>)>,
    /// Evidence packed as it was at the copy, not as judged (only with `allow_changing`).
    pub changed: Vec<Changed>,
    /// The signer's key id, when signed.
    pub signed_by: Option<String>,
    /// Files judged bindable that the binder could not read after all: (binder, path in
    /// the pack, reason). They are packed but not bound; the clerk is told.
    pub unbound: Vec<(String, String, String)>,
}

/// One row of the index (卷内目录).
#[derive(Debug, Clone, Serialize)]
pub struct IndexRow {
    /// `NN-NNN-NN`: set, measure and item numbers, as in the paths.
    pub no: String,
    pub set: String,
    pub id: String,
    pub measure: String,
    pub item: String,
    pub path: String,
    pub kind: String,
    pub pages: String,
    pub date: String,
    pub sha: String,
    pub state: String,
}

#[derive(Serialize)]
struct IndexContext<'a> {
    lang: String,
    labels: &'a Labels,
    unit: &'a str,
    as_of: String,
    summary: String,
    rows: &'a [IndexRow],
}

#[derive(Serialize)]
struct ManifestFile<'a> {
    path: &'a str,
    bytes: u64,
    sha256: &'a str,
    source: &'a str,
}

#[derive(Serialize)]
struct Manifest<'a> {
    schema: &'static str,
    unit: &'a str,
    as_of: String,
    generator: String,
    files: Vec<ManifestFile<'a>>,
}

/// A file to pack: where it goes, where its bytes come from, and for an evidence file
/// what the scan found (size and SHA-256), which the copy must find again.
struct Packable {
    path: String,
    source: Source,
    /// (bytes, sha256) at the scan, for evidence files; generated files are hashed as
    /// they are written.
    scanned: Option<(u64, String)>,
    /// The evidence path it was copied from, or `generated`.
    origin: String,
}

/// How the pack is made beyond the documents' options.
#[derive(Debug, Default)]
pub struct PackOptions<'a> {
    /// Sign `manifest.sha256` with this key (`manifest.sha256.minisig`).
    pub sign: Option<&'a crate::signature::SecretKey>,
    /// Pack evidence files that changed between the scan and the copy, describing what
    /// was packed, instead of failing.
    pub allow_changing: bool,
}

/// An evidence file whose bytes at the copy are not those the scan judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The evidence path.
    pub origin: String,
    /// Bytes at the scan and as packed.
    pub scanned: u64,
    pub packed: u64,
}

impl std::fmt::Display for Changed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "evidence_changed_during_pack: {}: {} bytes when judged, {} bytes when packed",
            crate::model::visible(&self.origin),
            self.scanned,
            self.packed
        )?;
        if self.scanned == self.packed {
            write!(f, " (same size, other content)")?;
        }
        Ok(())
    }
}

fn io_err(path: &Path, error: std::io::Error) -> PackError {
    PackError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// The number of a required item in its measure (`01`…), or `99` for other material.
fn item_no(m: &crate::model::Measure, item: Option<&str>) -> usize {
    item.and_then(|i| m.evidence.iter().position(|e| e == i))
        .map_or(99, |p| p + 1)
}

fn problem_words(labels: &Labels, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| label(labels, &format!("ev_problem.{}", p.code())))
        .collect::<Vec<_>>()
        .join(&label(labels, "sep"))
}

/// The largest PDF bound into a binder (bytes); larger ones are attachments.
pub const MAX_BOUND_PDF: u64 = 100 * 1024 * 1024;
/// The largest PNG, TIFF or BMP bound (bytes): decoded, a picture takes far more room
/// than its file. JPEGs are copied as they are and follow the PDF limit.
pub const MAX_BOUND_IMAGE: u64 = 20 * 1024 * 1024;

/// Why a file is not bound into its set's binder, or `None` when it is.
fn unbound_reason(labels: &Labels, f: &EvidenceFile) -> Option<String> {
    if !f.is_good() {
        return Some(problem_words(labels, &f.problems));
    }
    let lower = f.path.to_ascii_lowercase();
    let heic = lower.ends_with(".heic");
    let jpeg = lower.ends_with(".jpg") || lower.ends_with(".jpeg");
    // Binding holds one source in memory (a PDF parsed, an image decoded): past these
    // sizes the file stays an attachment, so memory stays bounded whatever the folder.
    let too_large = match f.kind {
        Kind::Pdf => f.bytes > MAX_BOUND_PDF,
        Kind::Image if jpeg => f.bytes > MAX_BOUND_PDF,
        Kind::Image => f.bytes > MAX_BOUND_IMAGE,
        _ => false,
    };
    if too_large {
        return Some(label(labels, "binder_too_large"));
    }
    match f.kind {
        Kind::Pdf => None,
        Kind::Image if !heic => None,
        Kind::Image => Some(label(labels, "binder_heic")),
        k => Some(fill(
            &label(labels, "binder_kind"),
            &[("kind", label(labels, &format!("ev_kind.{}", k.key())))],
        )),
    }
}

/// Builds the pack of one unit and writes it to `target`, all or nothing.
pub fn pack(
    unit: &Unit,
    docs: &DocOptions<'_>,
    target: Target<'_>,
    options: &PackOptions<'_>,
) -> Result<Packed, PackError> {
    let judgement = unit.evidence.as_ref().ok_or(PackError::NoEvidence)?;
    if let Some(dir) = &unit.evidence_dir {
        refuse_overlap(dir, target)?;
    }
    let analysis = unit.analyse();
    let report = unit.report(&analysis);
    let labels = pipeline::labels(docs.templates, docs.lang)?;
    let made = pipeline::InMemory::default();
    let rendered = pipeline::render_unit(
        unit,
        &analysis,
        &report,
        &[Format::Json, Format::Html, Format::Pdf],
        docs,
        &made,
    )?;
    let unit_name = rendered.unit.clone();
    let mut packed = Packed {
        missing_glyphs: rendered.missing_glyphs.clone(),
        ..Packed::default()
    };
    let mut files: Vec<Packable> = Vec::new();
    let add_bytes = |files: &mut Vec<Packable>, path: String, bytes: Vec<u8>| {
        files.push(Packable {
            path,
            source: Source::Bytes(bytes),
            scanned: None,
            origin: GENERATED.into(),
        });
    };
    // The three documents under their numbered names, and report.json.
    for (name, bytes) in made.into_files() {
        let renamed = match name.split_once('.') {
            Some(("gap-report", ext)) => format!("{}.{ext}", label(&labels, "pack_file_gap")),
            Some(("evidence-checklist", ext)) => {
                format!("{}.{ext}", label(&labels, "pack_file_checklist"))
            }
            Some(("owner-tasks", ext)) => format!("{}.{ext}", label(&labels, "pack_file_tasks")),
            _ => name,
        };
        add_bytes(&mut files, safe_component(&renamed), bytes);
    }

    // The evidence files under numbered folders, the index rows and the binders.
    let dir_evidence = safe_component(&label(&labels, "pack_dir_evidence"));
    let dir_binders = safe_component(&label(&labels, "pack_dir_binders"));
    let mut names = NameSet::new();
    let mut rows: Vec<IndexRow> = Vec::new();
    let mut temps: Vec<tempfile::NamedTempFile> = Vec::new();
    let (mut items_total, mut items_have, mut file_count) = (0usize, 0usize, 0usize);
    let mut items_problem = 0usize;
    for (si, set) in analysis.sets.iter().enumerate() {
        let set_dir = safe_component(&format!("{:02} {}", si + 1, set.name));
        let mut binder_measures = Vec::new();
        let (mut set_have, mut set_lack) = (0usize, 0usize);
        let in_set = analysis
            .measures
            .iter()
            .enumerate()
            .filter(|(_, j)| j.measure.set == set.name);
        for (k, (mi, j)) in in_set.enumerate() {
            let m = j.measure;
            // A path keeps the start of the measure text, without an ellipsis.
            let short: String = m.text.chars().take(16).collect::<String>();
            let short =
                short.trim_end_matches(|c: char| c.is_whitespace() || "，。、；：,.;:".contains(c));
            let measure_dir = safe_component(&format!("{:03} {} {short}", k + 1, m.id));
            let found = judgement.found.get(mi).cloned().unwrap_or_default();
            let mfiles = judgement
                .by_measure
                .get(mi)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let mut binder_items = Vec::new();
            let mut slots: Vec<Option<&str>> =
                m.evidence.iter().map(|e| Some(e.as_str())).collect();
            if mfiles.iter().any(|f| f.item.is_none()) {
                slots.push(None);
            }
            for item in slots {
                let no = item_no(m, item);
                let item_name = item.map_or_else(|| label(&labels, "ev_other"), str::to_string);
                let item_dir = match item {
                    Some(i) => safe_component(&format!("{no:02} {i}")),
                    None => safe_component(&label(&labels, "pack_dir_other")),
                };
                let number = format!("{:02}-{:03}-{no:02}", si + 1, k + 1);
                let in_hand = item.is_some_and(|i| found.iter().any(|f| f == i));
                let its: Vec<&EvidenceFile> = mfiles
                    .iter()
                    .filter(|f| f.item.as_deref() == item)
                    .collect();
                if item.is_some() {
                    items_total += 1;
                    if in_hand {
                        items_have += 1;
                        set_have += 1;
                    } else {
                        set_lack += 1;
                        // Files there, none of them good: rows marked 问题, not 缺.
                        if !its.is_empty() {
                            items_problem += 1;
                        }
                    }
                }
                let base = IndexRow {
                    no: number.clone(),
                    set: set.name.clone(),
                    id: m.id.clone(),
                    measure: m.text.clone(),
                    item: item_name.clone(),
                    path: String::new(),
                    kind: String::new(),
                    pages: String::new(),
                    date: String::new(),
                    sha: String::new(),
                    state: label(&labels, "pack_lack"),
                };
                if its.is_empty() {
                    rows.push(base);
                    // The binder's contents list a missing item too, so the inspector sees
                    // what is not there as well as what is.
                    if item.is_some() {
                        binder_items.push(BinderItem {
                            title: fill(
                                &label(&labels, "binder_item_lack"),
                                &[("item", format!("{no:02} {item_name}"))],
                            ),
                            files: Vec::new(),
                        });
                    }
                    continue;
                }
                let mut binder_files = Vec::new();
                for f in its {
                    let folder = format!("{dir_evidence}/{set_dir}/{measure_dir}/{item_dir}");
                    let file_name = f.path.rsplit('/').next().unwrap_or(&f.path);
                    // A name that was not valid UTF-8 was read with U+FFFD; packed, it is `_`.
                    let safe = safe_component(&file_name.replace('\u{FFFD}', "_"));
                    let name = names.unique(&folder, safe);
                    let pack_path = format!("{folder}/{name}");
                    let state = if !f.problems.is_empty() {
                        format!(
                            "{}{}{}",
                            label(&labels, "pack_problem"),
                            label(&labels, "colon"),
                            problem_words(&labels, &f.problems)
                        )
                    } else {
                        label(&labels, "pack_have")
                    };
                    let packed_here = f.sha256.is_some();
                    // A file that is not packed has no path in the pack: the state says
                    // where it was, so the clerk can find and fix it.
                    let state = if packed_here {
                        state
                    } else {
                        format!(
                            "{state}{}",
                            fill(
                                &label(&labels, "pack_not_packed"),
                                &[("path", f.path.clone())]
                            )
                        )
                    };
                    rows.push(IndexRow {
                        path: if packed_here {
                            pack_path.clone()
                        } else {
                            String::new()
                        },
                        kind: label(&labels, &format!("ev_kind.{}", f.kind.key())),
                        pages: f.pages.map(|p| p.to_string()).unwrap_or_default(),
                        date: f.date.map(|d| d.to_string()).unwrap_or_default(),
                        sha: f
                            .sha256
                            .as_deref()
                            .map(|h| h.chars().take(12).collect())
                            .unwrap_or_default(),
                        state,
                        ..base.clone()
                    });
                    // A file that cannot be read cannot be copied: it is named in the
                    // index, not packed.
                    let Some(sha) = &f.sha256 else { continue };
                    file_count += 1;
                    files.push(Packable {
                        path: pack_path.clone(),
                        source: Source::File(f.source.clone()),
                        scanned: Some((f.bytes, sha.clone())),
                        origin: f.path.clone(),
                    });
                    let caption = match f.date {
                        Some(d) => format!("{pack_path} · {d}"),
                        None => pack_path.clone(),
                    };
                    let source = match unbound_reason(&labels, f) {
                        Some(reason) => BinderSource::Unbound(reason),
                        None if f.kind == Kind::Pdf => BinderSource::Pdf {
                            path: f.source.clone(),
                            pages: f.pages.unwrap_or(0),
                        },
                        None => BinderSource::Image(f.source.clone()),
                    };
                    binder_files.push(BinderFile {
                        title: name,
                        path: pack_path.clone(),
                        caption,
                        source,
                    });
                }
                binder_items.push(BinderItem {
                    title: format!("{no:02} {item_name}"),
                    files: binder_files,
                });
            }
            if !binder_items.is_empty() {
                binder_measures.push(BinderMeasure {
                    title: format!("{:03} {} {}", k + 1, m.id, render::shorten(&m.text, 30)),
                    items: binder_items,
                });
            }
        }
        // The set's binder, written to a temporary file: it may be as large as the set's
        // PDFs together, so it never sits in memory.
        let binder = Binder {
            title: fill(
                &label(&labels, "binder_title"),
                &[("unit", unit_name.clone()), ("set", set.name.clone())],
            ),
            cover: vec![
                (label(&labels, "unit"), unit_name.clone()),
                (label(&labels, "set"), set.name.clone()),
                (label(&labels, "as_of"), unit.as_of.to_string()),
                (
                    label(&labels, "binder_measures"),
                    set.tally.measures.to_string(),
                ),
                (label(&labels, "binder_items_have"), set_have.to_string()),
                (label(&labels, "binder_items_lack"), set_lack.to_string()),
            ],
            labels: BinderLabels {
                contents: label(&labels, "contents"),
                unbound: label(&labels, "binder_unbound"),
                page: label(&labels, "binder_page"),
                unreadable: label(&labels, "binder_unreadable"),
            },
            measures: binder_measures,
        };
        let binder_name = format!("{dir_binders}/{}.pdf", set_dir);
        let mut tmp =
            tempfile::NamedTempFile::new().map_err(|e| io_err(Path::new(&binder_name), e))?;
        let opts = binder::BinderOptions {
            font: docs.font,
            paper: docs.paper,
            title: &binder.title,
            author: &unit_name,
            created: pipeline::created(unit.as_of),
        };
        let bound = {
            let mut w = std::io::BufWriter::new(tmp.as_file_mut());
            let bound =
                binder::bind(&binder, &opts, &mut w).map_err(|error| PackError::Binder {
                    name: binder_name.clone(),
                    error,
                })?;
            w.flush().map_err(|e| io_err(Path::new(&binder_name), e))?;
            bound
        };
        if !bound.missing.is_empty() {
            packed
                .missing_glyphs
                .push((binder_name.clone(), bound.missing));
        }
        // The index says so too, beside the file's row.
        for (path, reason) in bound.unbound {
            if let Some(row) = rows.iter_mut().find(|r| r.path == path) {
                row.state.push_str(&fill(
                    &label(&labels, "pack_not_bound"),
                    &[("reason", reason.clone())],
                ));
            }
            packed.unbound.push((binder_name.clone(), path, reason));
        }
        files.push(Packable {
            path: binder_name,
            source: Source::File(tmp.path().to_path_buf()),
            scanned: None,
            origin: GENERATED.into(),
        });
        temps.push(tmp);
        packed.binders += 1;
    }

    // The index (卷内目录) as CSV, HTML and PDF.
    let summary = fill(
        &label(&labels, "pack_summary"),
        &[
            ("measures", analysis.summary.measures.to_string()),
            ("items", items_total.to_string()),
            ("have", items_have.to_string()),
            // 缺 counts the rows marked 缺: items with no file at all.
            (
                "lack",
                (items_total - items_have - items_problem).to_string(),
            ),
            ("problem", items_problem.to_string()),
            ("files", file_count.to_string()),
        ],
    );
    let index_name = label(&labels, "pack_file_index");
    add_bytes(
        &mut files,
        safe_component(&format!("{index_name}.csv")),
        index_csv(&labels, &rows),
    );
    let index_ctx = IndexContext {
        lang: label(&labels, "lang"),
        labels: &labels,
        unit: &unit_name,
        as_of: unit.as_of.to_string(),
        summary,
        rows: &rows,
    };
    let markdown =
        render::markdown_from(docs.templates, "pack-index.md", &index_ctx, &docs.limits)?;
    let doc = Document {
        kind: DocKind::PackIndex,
        title: label(&labels, "pack_index"),
        markdown,
    };
    let head = render::context::Head::new(&labels, &unit_name, unit.as_of);
    let html = render::html_document(docs.templates, &doc, &head, &[], &docs.limits)?;
    add_bytes(
        &mut files,
        safe_component(&format!("{index_name}.html")),
        html.into_bytes(),
    );
    let heads = pipeline::PdfHeads::new(&labels, &unit_name, &doc.title, &unit.as_of.to_string());
    // The index is a wide table: landscape whatever the documents use.
    let opts = render::pdf::PdfOptions {
        landscape: true,
        ..heads.options(docs, &unit_name, pipeline::created(unit.as_of))
    };
    let pdf =
        render::pdf::render(&doc.markdown, &[], docs.font, &opts).map_err(PipelineError::from)?;
    let index_pdf = safe_component(&format!("{index_name}.pdf"));
    render::check_size(&index_pdf, &pdf.bytes, &docs.limits)?;
    if !pdf.missing.is_empty() {
        packed.missing_glyphs.push((index_pdf.clone(), pdf.missing));
    }
    add_bytes(&mut files, index_pdf, pdf.bytes);

    // The manifests and the signature are made from what was written, hashed as it was
    // copied (one read): they describe the pack even if a file changed meanwhile, and a
    // file that did change stops the pack unless the user allows it.
    let manifest_head = ManifestHead {
        unit: unit_name.clone(),
        as_of: unit.as_of.to_string(),
    };
    let mut origins = std::collections::BTreeMap::new();
    let mut scans = std::collections::BTreeMap::new();
    let mut entries = Vec::with_capacity(files.len());
    for f in files {
        if let Some(scan) = f.scanned {
            scans.insert(f.path.clone(), (scan, f.origin.clone()));
        }
        origins.insert(f.path.clone(), f.origin);
        entries.push(Entry {
            path: f.path,
            source: f.source,
        });
    }
    let mut changed = Vec::new();
    let seal = |written: &[Written]| -> Result<Vec<Entry>, PackError> {
        for w in written {
            if let Some(((bytes, sha), origin)) = scans.get(&w.path)
                && (*bytes != w.bytes || *sha != w.sha256)
            {
                changed.push(Changed {
                    origin: origin.clone(),
                    scanned: *bytes,
                    packed: w.bytes,
                });
            }
        }
        if !changed.is_empty() && !options.allow_changing {
            return Err(PackError::ChangedDuringPack(std::mem::take(&mut changed)));
        }
        Ok(seal_entries(
            &manifest_head,
            written,
            &origins,
            options.sign,
        ))
    };
    let written = match target {
        Target::Zip(path) => {
            let stamp = unit.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
            archive::write_zip_sealed(entries, path, stamp, seal)?
        }
        Target::Folder(path) => archive::write_folder_as(entries, path, path, seal)?,
    };
    drop(temps);
    packed.files = written.len();
    packed.bytes = written.iter().map(|w| w.bytes).sum();
    packed.changed = changed;
    packed.signed_by = options.sign.map(|k| k.key_id());
    Ok(packed)
}

/// What `manifest.json` says of the pack as a whole.
struct ManifestHead {
    unit: String,
    as_of: String,
}

/// The origin recorded for files dossier generated.
const GENERATED: &str = "generated";

/// The manifests of what was written, and the signature when a key is given:
/// `manifest.json` lists every file but the manifests, `manifest.sha256` every file but
/// itself, and `manifest.sha256.minisig` signs `manifest.sha256`, its trusted comment
/// naming the unit, the as-of date and the SHA-256 of `manifest.sha256` (the pack hash).
fn seal_entries(
    head: &ManifestHead,
    written: &[Written],
    origins: &std::collections::BTreeMap<String, String>,
    key: Option<&crate::signature::SecretKey>,
) -> Vec<Entry> {
    let manifest = Manifest {
        schema: SCHEMA,
        unit: &head.unit,
        as_of: head.as_of.clone(),
        generator: format!("dossier {}", env!("CARGO_PKG_VERSION")),
        files: written
            .iter()
            .map(|w| ManifestFile {
                path: &w.path,
                bytes: w.bytes,
                sha256: &w.sha256,
                source: origins.get(&w.path).map_or(GENERATED, String::as_str),
            })
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
    json.push('\n');
    let json_sha = hash::sha256_bytes(json.as_bytes());
    let mut lines: Vec<(&str, &str)> = written
        .iter()
        .map(|w| (w.path.as_str(), w.sha256.as_str()))
        .collect();
    lines.push((crate::verify::MANIFEST_JSON, &json_sha));
    lines.sort();
    let mut sums = String::new();
    for (path, sha) in lines {
        sums.push_str(&format!("{sha}  {path}\n"));
    }
    let mut out = Vec::new();
    if let Some(key) = key {
        let comment = format!(
            "dossier pack; unit: {}; as_of: {}; manifest.sha256: {}",
            head.unit,
            head.as_of,
            hash::sha256_bytes(sums.as_bytes())
        );
        out.push(Entry {
            path: crate::signature::SIGNATURE.into(),
            source: Source::Bytes(key.sign(sums.as_bytes(), &comment).into_bytes()),
        });
    }
    out.push(Entry {
        path: crate::verify::MANIFEST_JSON.into(),
        source: Source::Bytes(json.into_bytes()),
    });
    out.push(Entry {
        path: crate::verify::MANIFEST.into(),
        source: Source::Bytes(sums.into_bytes()),
    });
    out
}

/// A folder pack replaces the target whole: only an empty folder or an earlier pack (it
/// has a manifest.sha256) may be replaced, never a folder of someone's files.
fn refuse_foreign_folder(target: Target<'_>) -> Result<(), PackError> {
    let Target::Folder(dir) = target else {
        return Ok(());
    };
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    if entries.next().is_some() && !dir.join(crate::verify::MANIFEST).is_file() {
        return Err(PackError::NotAPack(dir.display().to_string()));
    }
    Ok(())
}

/// The pack must not land inside the folder it packs (the next run would read it as
/// evidence), nor a folder pack swallow the evidence folder.
fn refuse_overlap(evidence: &Path, target: Target<'_>) -> Result<(), PackError> {
    let path = match target {
        Target::Zip(p) | Target::Folder(p) => p,
    };
    if let Target::Folder(dir) = target {
        crate::evidence::refuse_inside_output(evidence, dir)
            .map_err(|e| PackError::InsideOutput(e.to_string()))?;
    }
    refuse_foreign_folder(target)?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let (Ok(e), Ok(p)) = (
        std::fs::canonicalize(evidence),
        std::fs::canonicalize(parent),
    ) && p.starts_with(&e)
    {
        return Err(PackError::InsideEvidence(path.display().to_string()));
    }
    Ok(())
}

/// The index as CSV (UTF-8 with a byte-order mark, so Excel opens the Chinese right).
fn index_csv(labels: &Labels, rows: &[IndexRow]) -> Vec<u8> {
    let mut out = Vec::from(&b"\xEF\xBB\xBF"[..]);
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let header = [
            label(labels, "pack_no"),
            label(labels, "set"),
            label(labels, "id"),
            label(labels, "measure"),
            label(labels, "ev_item"),
            label(labels, "pack_path"),
            label(labels, "pack_kind"),
            label(labels, "pack_pages"),
            label(labels, "date"),
            "SHA-256".to_string(),
            label(labels, "pack_state"),
        ];
        let _ = w.write_record(&header);
        for r in rows {
            let _ = w.write_record([
                &r.no, &r.set, &r.id, &r.measure, &r.item, &r.path, &r.kind, &r.pages, &r.date,
                &r.sha, &r.state,
            ]);
        }
        let _ = w.flush();
    }
    out
}
