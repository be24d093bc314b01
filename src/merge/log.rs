//! The merge log (合并日志): every change written and every refusal with its reason, as
//! Markdown and HTML through the built-in template `merge-log.md` (the same machinery
//! as every document) and as a workbook the office can filter and sort.
//!
//! The log is how the office answers "where did this value come from" and "why was my
//! update not taken" when a department calls back, so each line names the measure, the
//! field, both values and the returned file and row.

use super::workbook::{Blocked, Words};
use super::xlsx::NewValue;
use super::{At, Field, Plan, Refusal, Value};
use crate::limits::Limits;
use crate::model::Measure;
use crate::render::context::{Labels, fill, label};
use crate::render::templates::Templates;
use crate::render::{self, Page, RenderError};
use crate::split::sheet::{LINE_POINTS, MAX_LINES, lines_in};
use rust_xlsxwriter::{Format, XlsxError};
use serde::Serialize;

/// The stem of the log's files.
pub const STEM: &str = "merge-log";

/// A returned file and what came of it.
#[derive(Debug, Serialize)]
pub struct FileRow {
    pub name: String,
    /// The department the file speaks for, or "—".
    pub department: String,
    pub changes: usize,
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
    /// "应急管理办.xlsx 第12行", joined when several files agree.
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
    pub files: Vec<FileRow>,
    pub changes: Vec<ChangeRow>,
    pub refusals: Vec<RefusalRow>,
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
}

fn shown(words: &Words, v: &Value) -> String {
    match words.value(v) {
        NewValue::Text(t) if !t.is_empty() => t,
        NewValue::Date(d) => d.to_string(),
        _ => "—".into(),
    }
}

fn at_text(labels: &Labels, at: &At) -> String {
    format!(
        "{} {}",
        at.file,
        fill(&label(labels, "merge.row"), &[("row", at.row.to_string())])
    )
}

fn field_name(words: &Words, field: Field) -> String {
    words.header(field.key())
}

fn refusal_row(labels: &Labels, words: &Words, master: &[Measure], r: &Refusal) -> RefusalRow {
    let none = String::new;
    let of = |i: usize| {
        let m = &master[i];
        (m.set.clone(), m.id.clone(), m.text.clone())
    };
    let d =
        |key: &str, args: &[(&str, String)]| fill(&label(labels, &format!("merge.{key}")), args);
    let (code, (set, id, measure), detail, at) = match r {
        Refusal::NotASplitSheet { file } => (
            "not_a_split_sheet",
            (none(), none(), none()),
            d("d_not_a_split_sheet", &[]),
            file.clone(),
        ),
        Refusal::Unreadable { file, message } => (
            "unreadable",
            (none(), none(), none()),
            message.clone(),
            file.clone(),
        ),
        Refusal::UnknownRow { at, set, id } => (
            "unknown_row",
            (set.clone(), id.clone(), none()),
            d("d_unknown_row", &[("set", set.clone()), ("id", id.clone())]),
            at_text(labels, at),
        ),
        Refusal::StaleKey { at, measure } => (
            "stale_key",
            of(*measure),
            d("d_stale_key", &[]),
            at_text(labels, at),
        ),
        Refusal::DuplicateRow { at, measure } => (
            "duplicate_row",
            of(*measure),
            d("d_duplicate_row", &[]),
            at_text(labels, at),
        ),
        Refusal::LockedField { at, measure, field } => (
            "locked_field",
            of(*measure),
            d("d_locked_field", &[("field", words.header(field))]),
            at_text(labels, at),
        ),
        Refusal::NotLead {
            at,
            measure,
            department,
        } => (
            "not_lead",
            of(*measure),
            d("d_not_lead", &[("department", department.clone())]),
            at_text(labels, at),
        ),
        Refusal::UnknownStatus { at, measure, text } => (
            "unknown_status",
            of(*measure),
            d("d_unknown_status", &[("text", text.clone())]),
            at_text(labels, at),
        ),
        Refusal::Conflict {
            measure,
            field,
            values,
        } => {
            let sep = label(labels, "sep");
            let values: Vec<String> = values
                .iter()
                .map(|(at, v)| format!("{} {}", at.file, shown(words, v)))
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
            let detail = match reason {
                Blocked::Formula => d("d_formula", &[("cell", cell.clone())]),
                Blocked::Merged(region) => d(
                    "d_merged",
                    &[("cell", cell.clone()), ("region", region.clone())],
                ),
            };
            (
                "not_writable",
                of(*measure),
                format!("{}：{detail}", field_name(words, *field)),
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

fn refusal_file(r: &Refusal) -> Option<&str> {
    match r {
        Refusal::NotASplitSheet { file } | Refusal::Unreadable { file, .. } => Some(file),
        Refusal::UnknownRow { at, .. }
        | Refusal::StaleKey { at, .. }
        | Refusal::DuplicateRow { at, .. }
        | Refusal::LockedField { at, .. }
        | Refusal::NotLead { at, .. }
        | Refusal::UnknownStatus { at, .. } => Some(&at.file),
        Refusal::Conflict { .. } | Refusal::NotWritable { .. } => None,
    }
}

/// Builds the log's context.
pub fn context<'a>(input: &LogInput<'_>, labels: &'a Labels) -> LogContext<'a> {
    let words = Words::new(labels);
    let none = label(labels, "merge.none");
    let sep = label(labels, "sep");
    let changes: Vec<ChangeRow> = input
        .applied
        .iter()
        .map(|&i| {
            let c = &input.plan.changes[i];
            let m = &input.master[c.measure];
            ChangeRow {
                set: m.set.clone(),
                id: m.id.clone(),
                measure: m.text.clone(),
                field: field_name(&words, c.field),
                old: shown(&words, &c.old),
                new: shown(&words, &c.new),
                from: c
                    .from
                    .iter()
                    .map(|at| at_text(labels, at))
                    .collect::<Vec<_>>()
                    .join(&sep),
            }
        })
        .collect();
    let files = input
        .plan
        .departments
        .iter()
        .map(|(name, department)| FileRow {
            name: name.clone(),
            department: department.clone().unwrap_or_else(|| none.clone()),
            changes: input
                .applied
                .iter()
                .filter(|&&i| input.plan.changes[i].from.iter().any(|at| &at.file == name))
                .count(),
            refusals: input
                .refusals
                .iter()
                .filter(|r| refusal_file(r) == Some(name.as_str()))
                .count(),
        })
        .collect::<Vec<_>>();
    let intro = fill(
        &label(labels, "merge.intro"),
        &[
            ("master", input.master_name.to_string()),
            ("files", files.len().to_string()),
            ("changes", changes.len().to_string()),
            ("refusals", input.refusals.len().to_string()),
            ("merged", input.merged_name.to_string()),
        ],
    );
    LogContext {
        lang: label(labels, "lang"),
        labels,
        unit: input.unit.to_string(),
        as_of: input.as_of.to_string(),
        generator: format!("dossier {}", env!("CARGO_PKG_VERSION")),
        master: input.master_name.to_string(),
        merged: input.merged_name.to_string(),
        intro,
        files,
        changes,
        refusals: input
            .refusals
            .iter()
            .map(|r| refusal_row(labels, &words, input.master, r))
            .collect(),
        added_columns: input
            .added_columns
            .iter()
            .map(|(sheet, header, cell)| {
                fill(
                    &label(labels, "merge.added_column"),
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
        vec![l("file"), l("department"), l("changes"), l("refusals")],
        &[30.0, 16.0, 10.0, 10.0],
        ctx.files
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    f.department.clone(),
                    f.changes.to_string(),
                    f.refusals.to_string(),
                ]
            })
            .collect(),
    )?;
    book.save_to_buffer()
}
