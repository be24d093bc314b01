//! The merge log (合并日志): every change written and every refusal with its reason, as
//! Markdown and HTML through the built-in template `merge-log.md` (the same machinery
//! as every document) and as a workbook the office can filter and sort.
//!
//! The log is how the office answers "where did this value come from" and "why was my
//! update not taken" when a department calls back, so each line names the measure, the
//! field, both values and the returned file, sheet and row, in the document language.
//! Refusals of one kind are grouped, the first [`SHOWN`] of each shown in the Markdown
//! and HTML with a count of the rest; the workbook lists them all.

use super::returned::BaseFrom;
use super::workbook::{Blocked, Words};
use super::xlsx::NewValue;
use super::{At, Field, Plan, Refusal, Unmatched, Value};
use crate::limits::Limits;
use crate::model::Measure;
use crate::render::context::{Labels, fill, label};
use crate::render::templates::Templates;
use crate::render::{self, Page, RenderError};
use crate::split::Manifest;
use crate::split::sheet::{LINE_POINTS, MAX_LINES, lines_in};
use rust_xlsxwriter::{Format, XlsxError};
use serde::Serialize;

/// The stem of the log's files.
pub const STEM: &str = "merge-log";

/// The record of the files a merge wrote (path and SHA-256), beside the log: a later
/// merge replaces only files it finds there unchanged.
pub const RECORD: &str = "merge-log.json";

/// The `schema` of [`RECORD`].
pub const RECORD_SCHEMA: &str = "dossier.merge-record/1";

/// How many refusals of one kind the Markdown and HTML log show.
pub const SHOWN: usize = 20;

/// A returned file and what came of it.
#[derive(Debug, Serialize)]
pub struct FileRow {
    pub name: String,
    /// The department the file speaks for, or "—".
    pub department: String,
    /// What the file was compared with: what was sent, or only the master now.
    pub base: String,
    pub changes: usize,
    /// Fields the return asked for that the master already held.
    pub already: usize,
    pub refusals: usize,
}

/// A change written to the master.
#[derive(Debug, Serialize)]
pub struct ChangeRow {
    pub set: String,
    pub id: String,
    pub measure: String,
    pub field: String,
    pub old: String,
    pub new: String,
    /// "应急管理办.xlsx 反馈表!第12行", joined when several files agree.
    pub from: String,
}

/// An update or file not taken.
#[derive(Debug, Serialize)]
pub struct RefusalRow {
    pub kind: String,
    /// The machine name of the kind (`conflict`, `not_lead`, …), for templates.
    pub code: &'static str,
    pub set: String,
    pub id: String,
    pub measure: String,
    pub detail: String,
    pub at: String,
}

/// The refusals of one kind: the first [`SHOWN`] and how many more.
#[derive(Debug, Serialize)]
pub struct RefusalGroup {
    pub kind: String,
    pub code: &'static str,
    pub count: usize,
    pub rows: Vec<RefusalRow>,
    /// "另有 180 项，见 merge-log.xlsx", or empty.
    pub more: String,
}

/// A row of a return that was sent and did not come back, or a field already in place.
#[derive(Debug, Serialize)]
pub struct NoteRow {
    pub set: String,
    pub id: String,
    pub measure: String,
    pub detail: String,
    pub at: String,
}

/// Everything `merge-log.md` sees (documented in docs/templates.md).
#[derive(Debug, Serialize)]
pub struct LogContext<'a> {
    pub lang: String,
    pub labels: &'a Labels,
    pub unit: String,
    pub as_of: String,
    pub generator: String,
    pub master: String,
    pub merged: String,
    pub intro: String,
    /// Sentences the office should read first: a dry run, a master changed since the
    /// split, a return compared only with the master now, what a conversion lost.
    pub notes: Vec<String>,
    pub files: Vec<FileRow>,
    pub changes: Vec<ChangeRow>,
    /// Every refusal, in order (the workbook's sheet).
    pub refusals: Vec<RefusalRow>,
    /// The refusals by kind, in the order each kind first appears.
    pub refusal_groups: Vec<RefusalGroup>,
    /// Fields asked for that the master already held (the first [`SHOWN`]).
    pub already: Vec<NoteRow>,
    pub already_count: usize,
    /// "另有 N 项，见 merge-log.xlsx。" when more than [`SHOWN`], else empty.
    pub already_more: String,
    /// Departments of the split that sent nothing back.
    pub not_returned: Vec<String>,
    /// Rows sent that a return no longer has.
    pub deleted: Vec<NoteRow>,
    /// "市78条 新增“进展说明”列（O2）".
    pub added_columns: Vec<String>,
}

/// What the log is made from.
pub struct LogInput<'a> {
    pub master_name: &'a str,
    pub merged_name: &'a str,
    pub unit: &'a str,
    pub as_of: &'a str,
    pub master: &'a [Measure],
    pub plan: &'a Plan,
    /// Indices into `plan.changes` that were written.
    pub applied: &'a [usize],
    /// The plan's refusals, then those of writing.
    pub refusals: &'a [Refusal],
    pub added_columns: &'a [(String, String, String)],
    /// The split's manifest, when the merge was given one.
    pub manifest: Option<&'a Manifest>,
    /// The master's fingerprint now (with a manifest).
    pub master_fingerprint: Option<String>,
    pub dry_run: bool,
    /// What converting a non-xlsx master could not keep.
    pub lost: &'a [&'static str],
}

fn shown(words: &Words, v: &Value) -> String {
    match words.value(v) {
        NewValue::Text(t) if !t.is_empty() => t,
        NewValue::Date(d) => d.to_string(),
        _ => "—".into(),
    }
}

/// "消防救援所.xlsx 反馈表!第12行".
fn at_text(labels: &Labels, plan: &Plan, at: &At) -> String {
    let row = fill(&label(labels, "merge.row"), &[("row", at.row.to_string())]);
    let file = plan.files.get(at.file).map_or("", |f| f.name.as_str());
    match &at.sheet {
        Some(sheet) => format!("{file} {sheet}!{row}"),
        None => format!("{file} {row}"),
    }
}

fn field_name(words: &Words, field: Field) -> String {
    words.header(field.key())
}

fn refusal_row(
    labels: &Labels,
    words: &Words,
    plan: &Plan,
    master: &[Measure],
    r: &Refusal,
) -> RefusalRow {
    let none = String::new;
    let of = |i: usize| {
        let m = &master[i];
        (m.set.clone(), m.id.clone(), m.text.clone())
    };
    let file = |i: usize| plan.files.get(i).map_or(String::new(), |f| f.name.clone());
    let at = |at: &At| at_text(labels, plan, at);
    let d =
        |key: &str, args: &[(&str, String)]| fill(&label(labels, &format!("merge.{key}")), args);
    let (code, (set, id, measure), detail, at) = match r {
        Refusal::NotASplitSheet { file: f } => (
            "not_a_split_sheet",
            (none(), none(), none()),
            d("d_not_a_split_sheet", &[]),
            file(*f),
        ),
        Refusal::Unreadable { file: f, code, .. } => (
            "unreadable",
            (none(), none(), none()),
            d(&format!("d_unreadable_{code}"), &[]),
            file(*f),
        ),
        Refusal::TooLarge { file: f, bound } => (
            "too_large",
            (none(), none(), none()),
            d("d_too_large", &[("bound", bound.to_string())]),
            file(*f),
        ),
        Refusal::UnknownRow {
            at: a,
            set,
            id,
            text,
            why,
        } => {
            let key = match why {
                Unmatched::NoMeasure => "d_unknown_row",
                Unmatched::SeveralMeasures => "d_unknown_row_several",
                Unmatched::KeyNotInMaster => "d_unknown_row_key",
            };
            (
                "unknown_row",
                (set.clone(), id.clone(), text.clone()),
                d(key, &[("set", set.clone()), ("id", id.clone())]),
                at(a),
            )
        }
        Refusal::KeyMismatch { at: a, row, key } => (
            "key_mismatch",
            (row.0.clone(), row.1.clone(), row.2.clone()),
            d(
                // Same set and id: the text was edited, not the rows sorted.
                if (row.0.as_str(), row.1.as_str()) == (key.0.as_str(), key.1.as_str()) {
                    "d_key_mismatch_text"
                } else {
                    "d_key_mismatch"
                },
                &[
                    ("row", format!("{} {}", row.0, row.1)),
                    ("key", format!("{} {}", key.0, key.1)),
                ],
            ),
            at(a),
        ),
        Refusal::StaleKey { at: a, measure } => {
            ("stale_key", of(*measure), d("d_stale_key", &[]), at(a))
        }
        Refusal::DuplicateRow { at: a, measure } => (
            "duplicate_row",
            of(*measure),
            d("d_duplicate_row", &[]),
            at(a),
        ),
        Refusal::LockedField {
            at: a,
            measure,
            field,
            old,
            new,
        } => {
            let value = |v: &str| {
                if v.is_empty() {
                    "—".to_string()
                } else {
                    v.to_string()
                }
            };
            (
                "locked_field",
                of(*measure),
                d(
                    "d_locked_field",
                    &[
                        ("field", words.header(field)),
                        ("old", value(old)),
                        ("new", value(new)),
                    ],
                ),
                at(a),
            )
        }
        Refusal::NotLead {
            at: a,
            measure,
            department,
        } => (
            "not_lead",
            of(*measure),
            d("d_not_lead", &[("department", department.clone())]),
            at(a),
        ),
        Refusal::UnknownStatus {
            at: a,
            measure,
            text,
        } => (
            "unknown_status",
            of(*measure),
            d("d_unknown_status", &[("text", text.clone())]),
            at(a),
        ),
        Refusal::Blank {
            at: a,
            measure,
            field,
        } => (
            "blank",
            of(*measure),
            d("d_blank", &[("field", field_name(words, *field))]),
            at(a),
        ),
        Refusal::BadDeadline {
            at: a,
            measure,
            text,
        } => (
            "bad_deadline",
            of(*measure),
            d("d_bad_deadline", &[("text", text.clone())]),
            at(a),
        ),
        Refusal::ChangedSince {
            at: a,
            measure,
            field,
            sent,
            now,
            returned,
        } => (
            "changed_since",
            of(*measure),
            d(
                "d_changed_since",
                &[
                    ("field", field_name(words, *field)),
                    ("sent", shown(words, sent)),
                    ("now", shown(words, now)),
                    ("returned", shown(words, returned)),
                ],
            ),
            at(a),
        ),
        Refusal::Conflict {
            measure,
            field,
            values,
        } => {
            let sep = label(labels, "sep");
            let values: Vec<String> = values
                .iter()
                .map(|(a, v)| format!("{} {}", at(a), shown(words, v)))
                .collect();
            (
                "conflict",
                of(*measure),
                d(
                    "d_conflict",
                    &[
                        ("field", field_name(words, *field)),
                        ("values", values.join(&sep)),
                    ],
                ),
                String::new(),
            )
        }
        Refusal::NotWritable {
            measure,
            field,
            cell,
            reason,
        } => {
            let reason = match reason {
                Blocked::Formula => d("d_formula", &[("cell", cell.clone())]),
                Blocked::Merged(region) => d(
                    "d_merged",
                    &[("cell", cell.clone()), ("region", region.clone())],
                ),
            };
            (
                "not_writable",
                of(*measure),
                d(
                    "d_not_writable",
                    &[("field", field_name(words, *field)), ("reason", reason)],
                ),
                cell.clone(),
            )
        }
    };
    RefusalRow {
        kind: label(labels, &format!("merge.k_{code}")),
        code,
        set,
        id,
        measure,
        detail,
        at,
    }
}

/// Builds the log's context.
pub fn context<'a>(input: &LogInput<'_>, labels: &'a Labels) -> LogContext<'a> {
    let words = Words::new(labels);
    let plan = input.plan;
    let none = label(labels, "merge.none");
    let sep = label(labels, "sep");
    let l = |key: &str| label(labels, &format!("merge.{key}"));
    let changes: Vec<ChangeRow> = input
        .applied
        .iter()
        .map(|&i| {
            let c = &plan.changes[i];
            let m = &input.master[c.measure];
            let new = c.typed.text();
            ChangeRow {
                set: m.set.clone(),
                id: m.id.clone(),
                measure: m.text.clone(),
                field: field_name(&words, c.field),
                old: shown(&words, &c.old),
                new: if new.is_empty() { "—".into() } else { new },
                from: c
                    .from
                    .iter()
                    .map(|at| at_text(labels, plan, at))
                    .collect::<Vec<_>>()
                    .join(&sep),
            }
        })
        .collect();
    let files: Vec<FileRow> = plan
        .files
        .iter()
        .enumerate()
        .map(|(fi, f)| FileRow {
            name: f.name.clone(),
            department: f.department.clone().unwrap_or_else(|| none.clone()),
            base: match f.base {
                Some(BaseFrom::Sheet) => l("base_sheet"),
                Some(BaseFrom::Manifest) => l("base_manifest"),
                Some(BaseFrom::None) => l("base_none"),
                None => none.clone(),
            },
            changes: input
                .applied
                .iter()
                .filter(|&&i| plan.changes[i].from.iter().any(|at| at.file == fi))
                .count(),
            already: f.already.len(),
            refusals: input
                .refusals
                .iter()
                .filter(|r| r.file() == Some(fi))
                .count(),
        })
        .collect();
    let intro = fill(
        &l("intro"),
        &[
            ("master", input.master_name.to_string()),
            ("files", files.len().to_string()),
            ("changes", changes.len().to_string()),
            ("refusals", input.refusals.len().to_string()),
            ("merged", input.merged_name.to_string()),
        ],
    );
    let mut notes = Vec::new();
    if input.dry_run {
        notes.push(fill(
            &l("note_dry_run"),
            &[("merged", input.merged_name.to_string())],
        ));
    }
    if let (Some(manifest), Some(now)) = (input.manifest, &input.master_fingerprint)
        && let Some(print) = &manifest.master
        && &print.fingerprint != now
    {
        notes.push(fill(
            &l("note_master_changed"),
            &[("as_of", manifest.as_of.clone())],
        ));
    }
    for f in &plan.files {
        if f.base == Some(BaseFrom::None) {
            notes.push(fill(&l("note_two_way"), &[("file", f.name.clone())]));
        }
        for sheet in &f.ignored_sheets {
            notes.push(fill(
                &l("note_ignored_sheet"),
                &[("file", f.name.clone()), ("sheet", sheet.clone())],
            ));
        }
    }
    if !input.lost.is_empty() {
        let lost: Vec<String> = input
            .lost
            .iter()
            .map(|what| {
                label(
                    labels,
                    &format!("merge.lost_{}", super::convert::lost_key(what)),
                )
            })
            .collect();
        notes.push(fill(
            &l("note_converted"),
            &[
                ("master", input.master_name.to_string()),
                ("lost", lost.join(&sep)),
            ],
        ));
    }
    let refusals: Vec<RefusalRow> = input
        .refusals
        .iter()
        .map(|r| refusal_row(labels, &words, plan, input.master, r))
        .collect();
    let mut refusal_groups: Vec<RefusalGroup> = Vec::new();
    for r in input
        .refusals
        .iter()
        .map(|r| refusal_row(labels, &words, plan, input.master, r))
    {
        match refusal_groups.iter_mut().find(|g| g.code == r.code) {
            Some(g) => {
                g.count += 1;
                if g.rows.len() < SHOWN {
                    g.rows.push(r);
                }
            }
            None => refusal_groups.push(RefusalGroup {
                kind: r.kind.clone(),
                code: r.code,
                count: 1,
                rows: vec![r],
                more: String::new(),
            }),
        }
    }
    for g in &mut refusal_groups {
        if g.count > g.rows.len() {
            g.more = fill(
                &l("more"),
                &[
                    ("count", (g.count - g.rows.len()).to_string()),
                    ("file", format!("{STEM}.xlsx")),
                ],
            );
        }
    }
    let note = |i: Option<usize>, detail: String, at: String| {
        let (set, id, measure) = i.map_or((none.clone(), none.clone(), none.clone()), |i| {
            let m = &input.master[i];
            (m.set.clone(), m.id.clone(), m.text.clone())
        });
        NoteRow {
            set,
            id,
            measure,
            detail,
            at,
        }
    };
    let already_all: Vec<&(At, usize, Field)> =
        plan.files.iter().flat_map(|f| &f.already).collect();
    let already = already_all
        .iter()
        .take(SHOWN)
        .map(|(at, i, field)| {
            note(
                Some(*i),
                field_name(&words, *field),
                at_text(labels, plan, at),
            )
        })
        .collect();
    let deleted = plan
        .files
        .iter()
        .flat_map(|f| {
            f.deleted.iter().map(|(key, i)| {
                let detail = fill(
                    &l("d_deleted"),
                    &[("set", key.set.clone()), ("id", key.id.clone())],
                );
                let mut row = note(*i, detail, f.name.clone());
                if i.is_none() {
                    row.set = key.set.clone();
                    row.id = key.id.clone();
                }
                row
            })
        })
        .collect();
    let not_returned = input
        .manifest
        .map(|m| {
            m.departments
                .iter()
                .filter(|d| {
                    !plan
                        .files
                        .iter()
                        .any(|f| f.department.as_deref() == Some(d.name.as_str()))
                })
                .map(|d| {
                    fill(
                        &l("not_returned_row"),
                        &[
                            ("department", d.name.clone()),
                            ("file", d.xlsx.clone()),
                            ("measures", d.measures.to_string()),
                        ],
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    LogContext {
        lang: label(labels, "lang"),
        labels,
        unit: input.unit.to_string(),
        as_of: input.as_of.to_string(),
        generator: format!("dossier {}", env!("CARGO_PKG_VERSION")),
        master: input.master_name.to_string(),
        merged: input.merged_name.to_string(),
        intro,
        notes,
        files,
        changes,
        refusals,
        refusal_groups,
        already,
        already_count: already_all.len(),
        already_more: if already_all.len() > SHOWN {
            fill(
                &l("already_more"),
                &[("count", (already_all.len() - SHOWN).to_string())],
            )
        } else {
            String::new()
        },
        not_returned,
        deleted,
        added_columns: input
            .added_columns
            .iter()
            .map(|(sheet, header, cell)| {
                fill(
                    &l("added_column"),
                    &[
                        ("sheet", sheet.clone()),
                        ("header", header.clone()),
                        ("cell", cell.clone()),
                    ],
                )
            })
            .collect(),
    }
}

/// Why the log could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{STEM}.xlsx: cannot make the workbook: {0}")]
    Xlsx(String),
}

/// The log as (file name, bytes): `merge-log.md`, `.html` and `.xlsx`.
pub fn render(
    ctx: &LogContext<'_>,
    templates: &Templates,
    limits: &Limits,
) -> Result<Vec<(String, Vec<u8>)>, LogError> {
    let name = format!("{STEM}.md");
    let markdown = render::markdown_from(templates, &name, ctx, limits)?;
    let title = label(ctx.labels, "merge.title");
    let page = Page {
        title: &title,
        doc: STEM,
        lang: &ctx.lang,
        unit: &ctx.unit,
        as_of: &ctx.as_of,
        labels: ctx.labels,
        generator: &ctx.generator,
    };
    let html = render::html_page(templates, &page, &markdown, &[], limits)?;
    let xlsx = workbook(ctx).map_err(|e| LogError::Xlsx(e.to_string()))?;
    let files = vec![
        (name, markdown.into_bytes()),
        (format!("{STEM}.html"), html.into_bytes()),
        (format!("{STEM}.xlsx"), xlsx),
    ];
    for (name, bytes) in &files {
        render::check_size(name, bytes, limits)?;
    }
    Ok(files)
}

/// The log as a workbook: one sheet of changes, one of refusals, one of files.
fn workbook(ctx: &LogContext<'_>) -> Result<Vec<u8>, XlsxError> {
    let l = |key: &str| label(ctx.labels, &format!("merge.{key}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let mut sheet = |name: String,
                     heads: Vec<String>,
                     widths: &[f64],
                     rows: Vec<Vec<String>>|
     -> Result<(), XlsxError> {
        let ws = book.add_worksheet();
        ws.set_name(name)?;
        for (c, h) in heads.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
            ws.set_column_width(c as u16, widths[c])?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                // Strings, never formulas: a cell is data.
                ws.write_string_with_format(r as u32 + 1, c as u16, v, &wrap)?;
            }
            // Not every spreadsheet program grows a row to its wrapped text on opening.
            let lines = row
                .iter()
                .zip(widths)
                .map(|(v, w)| lines_in(v, *w))
                .max()
                .unwrap_or(1);
            ws.set_row_height(r as u32 + 1, LINE_POINTS * lines.min(MAX_LINES) as f64)?;
        }
        ws.set_freeze_panes(1, 0)?;
        ws.set_paper_size(9);
        ws.set_landscape();
        ws.set_repeat_rows(0, 0)?;
        ws.set_print_fit_to_pages(1, 0);
        if !rows.is_empty() {
            ws.autofilter(0, 0, rows.len() as u32, heads.len() as u16 - 1)?;
        }
        Ok(())
    };
    let set = label(ctx.labels, "set");
    let id = label(ctx.labels, "id");
    sheet(
        l("changes"),
        vec![
            set.clone(),
            id.clone(),
            l("measure"),
            l("field"),
            l("old"),
            l("new"),
            l("from"),
        ],
        &[10.0, 6.0, 40.0, 12.0, 20.0, 20.0, 30.0],
        ctx.changes
            .iter()
            .map(|c| {
                vec![
                    c.set.clone(),
                    c.id.clone(),
                    c.measure.clone(),
                    c.field.clone(),
                    c.old.clone(),
                    c.new.clone(),
                    c.from.clone(),
                ]
            })
            .collect(),
    )?;
    sheet(
        l("refusals"),
        vec![l("kind"), set, id, l("measure"), l("detail"), l("at")],
        &[16.0, 10.0, 6.0, 40.0, 40.0, 30.0],
        ctx.refusals
            .iter()
            .map(|r| {
                vec![
                    r.kind.clone(),
                    r.set.clone(),
                    r.id.clone(),
                    r.measure.clone(),
                    r.detail.clone(),
                    r.at.clone(),
                ]
            })
            .collect(),
    )?;
    sheet(
        l("files"),
        vec![
            l("file"),
            l("department"),
            l("base"),
            l("changes"),
            l("already"),
            l("refusals"),
        ],
        &[30.0, 16.0, 24.0, 10.0, 10.0, 10.0],
        ctx.files
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    f.department.clone(),
                    f.base.clone(),
                    f.changes.to_string(),
                    f.already.to_string(),
                    f.refusals.to_string(),
                ]
            })
            .collect(),
    )?;
    book.save_to_buffer()
}
