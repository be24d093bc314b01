//! One department's sheet, written with rust_xlsxwriter: the header block, the table in
//! the contract's columns, the editable cells unlocked and white, the rest locked and
//! grey, the drop-down and date validations, the hidden key column and the print setup.
//! Every value is written as text or a date, never as a formula: a cell is data.

use super::{Department, Key, SplitOptions};
use crate::model::EvidenceReady;
use crate::render::context::{fill, label};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties,
    ExcelDateTime, Format, FormatAlign, FormatBorder, ProtectionOptions, Workbook, Worksheet,
    XlsxError,
};

/// A column of the table: its label key (`split.col_*`), width, and whether the
/// department may change it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub key: &'static str,
    pub width: f64,
    pub editable: bool,
}

const fn col(key: &'static str, width: f64, editable: bool) -> Column {
    Column {
        key,
        width,
        editable,
    }
}

/// The table's columns, in order. The headers are words the workbook contract
/// recognises (`id`, `set`, `category`, `measure`, `owner`, `supporting`, `veto`,
/// `weight`, `status`, `progress`, `deadline`, `evidence`, `evidence_ready`), then the current
/// gaps (an extra column, for information) and the hidden key.
pub const COLUMNS: [Column; 15] = [
    col("id", 6.0, false),
    col("set", 10.0, false),
    col("category", 10.0, false),
    col("measure", 40.0, false),
    col("owner", 12.0, false),
    col("supporting", 10.0, false),
    col("veto", 6.0, false),
    col("weight", 6.0, false),
    col("status", 14.0, true),
    col("progress", 28.0, true),
    col("deadline", 11.0, true),
    col("evidence", 24.0, false),
    col("evidence_ready", 22.0, true),
    col("gaps", 16.0, false),
    col("key", 30.0, false),
];

/// The header text of the hidden key column. Not a word of the contract, so `check`
/// keeps it as an extra column; `merge` finds it by this name.
pub const KEY_HEADER: &str = "dossier-key";

/// The 0-based row of the table's header: within the first 10 rows, as the contract
/// requires, below the header block.
pub const HEADER_ROW: u32 = 8;

/// Excel's limit on the characters of one cell.
const CELL_CHARS: usize = 32_767;

fn index(key: &str) -> u16 {
    COLUMNS
        .iter()
        .position(|c| c.key == key)
        .expect("a known column") as u16
}

/// The formats of the sheet, made once.
struct Formats {
    title: Format,
    block_label: Format,
    block_value: Format,
    note: Format,
    header: Format,
    locked: Format,
    editable: Format,
    editable_date: Format,
    key: Format,
}

impl Formats {
    fn new() -> Formats {
        let grey = Color::RGB(0xD9D9D9);
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_border_color(Color::RGB(0xA6A6A6))
            .set_text_wrap()
            .set_align(FormatAlign::Top);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            block_label: Format::new().set_bold(),
            block_value: Format::new().set_align(FormatAlign::Left),
            note: Format::new()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_font_color(Color::RGB(0x7F3F00)),
            header: cell
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xBFBFBF))
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            locked: cell.clone().set_background_color(grey),
            editable: cell
                .clone()
                .set_background_color(Color::White)
                .set_unlocked(),
            editable_date: cell
                .clone()
                .set_background_color(Color::White)
                .set_unlocked()
                .set_num_format("yyyy-mm-dd")
                .set_align(FormatAlign::Left),
            key: Format::new().set_font_color(Color::RGB(0x808080)),
        }
    }
}

/// Writes `text` as a string cell (never a formula, whatever it starts with), cut to
/// Excel's cell limit; an empty text is a blank cell that still carries the format.
fn text(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if text.is_empty() {
        ws.write_blank(row, col, format)?;
    } else if text.chars().count() > CELL_CHARS {
        let cut: String = text.chars().take(CELL_CHARS).collect();
        ws.write_string_with_format(row, col, cut, format)?;
    } else {
        ws.write_string_with_format(row, col, text, format)?;
    }
    Ok(())
}

/// The height of one line of 11-point text, in points.
pub(crate) const LINE_POINTS: f64 = 15.0;

/// A row grows to at most this many lines; longer text stays in the cell, scrolled.
pub(crate) const MAX_LINES: usize = 12;

/// How many lines `text` wraps to in a column `width` characters wide, counting a
/// CJK (wide) character as two, as spreadsheet column widths do.
pub(crate) fn lines_in(text: &str, width: f64) -> usize {
    let room = (width - 1.0).max(1.0);
    text.split('\n')
        .map(|line| {
            let units: f64 = line
                .chars()
                .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
                .sum();
            ((units / room).ceil() as usize).max(1)
        })
        .sum()
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)
}

/// Writes the department's rows below the table header at `header_row`: the locked
/// cells, the editable ones and the key. The department's sheet and the
/// [`BASE_SHEET`](crate::ingest::BASE_SHEET) (what was sent) are written by this one
/// function, so the base reads back exactly as the untouched sheet does.
fn rows(
    ws: &mut Worksheet,
    header_row: u32,
    d: &Department<'_, '_>,
    labels: &crate::render::context::Labels,
    f: &Formats,
) -> Result<(), XlsxError> {
    let sep = label(labels, "sep");
    let yes = label(labels, "split.yes");
    for (i, j) in d.measures.iter().enumerate() {
        let row = header_row + 1 + i as u32;
        let m = j.measure;
        let gaps: Vec<String> = j
            .gaps
            .iter()
            .map(|g| label(labels, &format!("gap.{}", g.kind.key())))
            .collect();
        let ready = ready_text(&m.evidence_ready, labels);
        let locked = [
            ("id", m.id.clone()),
            ("set", m.set.clone()),
            ("category", m.category.clone().unwrap_or_default()),
            ("measure", m.text.clone()),
            ("owner", m.owners.join(&sep)),
            ("supporting", m.supporting.join(&sep)),
            ("veto", if m.veto { yes.clone() } else { String::new() }),
            ("weight", format!("{}", m.weight)),
            ("evidence", m.evidence.join(&sep)),
            ("gaps", gaps.join(&sep)),
        ];
        for (key, value) in &locked {
            text(ws, row, index(key), value, &f.locked)?;
        }
        let lines = locked
            .iter()
            .map(|(key, value)| (*key, value.as_str()))
            .chain([
                ("status", m.status.text.as_str()),
                ("progress", m.progress.as_deref().unwrap_or("")),
                ("evidence_ready", ready.as_str()),
            ])
            .map(|(key, value)| lines_in(value, COLUMNS[index(key) as usize].width))
            .max()
            .unwrap_or(1);
        // Spreadsheet programs do not all grow a row to its wrapped text on opening
        // (LibreOffice keeps the default height): the height is set from the text.
        ws.set_row_height(row, LINE_POINTS * lines.min(MAX_LINES) as f64)?;
        text(ws, row, index("status"), &m.status.text, &f.editable)?;
        text(
            ws,
            row,
            index("progress"),
            m.progress.as_deref().unwrap_or(""),
            &f.editable,
        )?;
        text(ws, row, index("evidence_ready"), &ready, &f.editable)?;
        let deadline = index("deadline");
        match m.deadline {
            // A date Excel can hold is a date cell; one it cannot (before 1900) stays
            // readable as text rather than failing the split.
            Some(date) => match excel_date(date) {
                Ok(cell) => {
                    ws.write_datetime_with_format(row, deadline, cell, &f.editable_date)?;
                }
                Err(_) => text(ws, row, deadline, &date.to_string(), &f.editable_date)?,
            },
            None if m.continuous => {
                text(
                    ws,
                    row,
                    deadline,
                    &label(labels, "continuous"),
                    &f.editable_date,
                )?;
            }
            None => {
                ws.write_blank(row, deadline, &f.editable_date)?;
            }
        }
        text(ws, row, index("key"), &Key::of(m).cell(), &f.key)?;
    }
    Ok(())
}

/// The evidence-in-hand cell as a sheet writes it, in the words of `labels`.
pub(crate) fn ready_text(ready: &EvidenceReady, labels: &crate::render::context::Labels) -> String {
    match ready {
        EvidenceReady::Unknown => String::new(),
        EvidenceReady::All => label(labels, "split.ev_all"),
        EvidenceReady::Nothing => label(labels, "split.ev_none"),
        EvidenceReady::Items(items) => items.join(&label(labels, "sep")),
    }
}

/// The page header's text with `&` doubled: a name is never a header code.
fn header_text(s: &str) -> String {
    s.replace('&', "&&")
}

/// The department's workbook, as bytes. The same department, measures, options and
/// as-of date give the same bytes: the document's dates are the as-of date.
pub fn workbook(
    d: &Department<'_, '_>,
    as_of: NaiveDate,
    opts: &SplitOptions<'_>,
) -> Result<Vec<u8>, XlsxError> {
    let labels = opts.labels;
    let f = Formats::new();
    let mut book = Workbook::new();
    let title = fill(
        &label(labels, "split.title"),
        &[
            ("unit", opts.unit.to_string()),
            ("department", d.name.clone()),
        ],
    );
    let created = excel_date(as_of)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(&title)
            .set_author("dossier")
            .set_creation_datetime(&created)
            .set_custom_property("dossier.schema", super::SCHEMA)
            .set_custom_property("dossier.unit", opts.unit)
            .set_custom_property("dossier.department", d.name.as_str())
            .set_custom_property("dossier.as_of", as_of.to_string().as_str()),
    );
    let ws = book.add_worksheet();
    ws.set_name(label(labels, "split.sheet"))?;
    let last_col = (COLUMNS.len() - 2) as u16;

    // The header block.
    ws.merge_range(0, 0, 0, last_col, &title, &f.title)?;
    let dash = "—".to_string();
    let block = [
        (label(labels, "unit"), opts.unit.to_string()),
        (label(labels, "split.department"), d.name.clone()),
        (label(labels, "as_of"), as_of.to_string()),
        (
            label(labels, "split.return_by"),
            opts.due.map_or(dash.clone(), |d| d.to_string()),
        ),
        (
            label(labels, "split.contact"),
            opts.contact.map_or(dash, str::to_string),
        ),
    ];
    for (i, (name, value)) in block.iter().enumerate() {
        let row = 1 + i as u32;
        text(ws, row, 0, name, &f.block_label)?;
        ws.merge_range(row, 2, row, 3, value, &f.block_value)?;
    }
    ws.merge_range(6, 0, 6, last_col, &label(labels, "split.note"), &f.note)?;
    ws.set_row_height(6, 30)?;

    // The table.
    for (c, column) in COLUMNS.iter().enumerate() {
        let c = c as u16;
        let head = if column.key == "key" {
            KEY_HEADER.to_string()
        } else {
            label(labels, &format!("split.col_{}", column.key))
        };
        text(ws, HEADER_ROW, c, &head, &f.header)?;
        ws.set_column_width(c, column.width)?;
    }
    ws.set_column_hidden(index("key"))?;
    rows(ws, HEADER_ROW, d, labels, &f)?;
    let last_row = HEADER_ROW + d.measures.len().max(1) as u32;

    // Validations over the table's editable cells.
    let first = HEADER_ROW + 1;
    if !d.measures.is_empty() {
        let statuses: Vec<String> = labels
            .get("split")
            .and_then(|s| s.get("statuses"))
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if !statuses.is_empty() {
            let status = DataValidation::new()
                .allow_list_strings(&statuses)?
                .set_input_message(label(labels, "split.status_prompt"))?
                // Free text beginning with a status term is valid per the contract
                // ("已完成。11月召开会议"): a warning, not a refusal.
                .set_error_style(DataValidationErrorStyle::Warning);
            let c = index("status");
            ws.add_data_validation(first, c, last_row, c, &status)?;
        }
        let date = DataValidation::new()
            .allow_date(DataValidationRule::Between(
                ExcelDateTime::from_ymd(2000, 1, 1)?,
                ExcelDateTime::from_ymd(2100, 12, 31)?,
            ))
            .set_input_message(label(labels, "split.date_prompt"))?
            // "长期坚持" is a valid deadline cell too (a continuous measure).
            .set_error_style(DataValidationErrorStyle::Warning);
        let c = index("deadline");
        ws.add_data_validation(first, c, last_row, c, &date)?;
    }

    // Sorting and filtering stay possible on the protected sheet; the hidden key keeps
    // every row tied to its measure whatever order it ends up in. The filter spans the
    // key column too, so a sort through it moves each row's key with the row.
    ws.autofilter(HEADER_ROW, 0, last_row, last_col + 1)?;
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    let options = ProtectionOptions {
        select_locked_cells: true,
        select_unlocked_cells: true,
        format_columns: true,
        format_rows: true,
        sort: true,
        use_autofilter: true,
        ..ProtectionOptions::default()
    };
    ws.protect_with_options(&options);
    if let Some(pw) = opts.password {
        ws.protect_with_password(pw);
    }

    // Print: A4 landscape, the table's header on every page, one page wide.
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    ws.set_print_fit_to_pages(1, 0);
    ws.set_header(format!(
        "&L{}&R{} {}",
        header_text(&format!("{} · {}", opts.unit, d.name)),
        header_text(&label(labels, "as_of")),
        as_of
    ));
    ws.set_footer("&C&P / &N");

    // What was sent, for the merge's three-way comparison: the same table, very hidden
    // (no menu shows it) and protected, so it survives the department's sorting and
    // editing of the visible sheet.
    let base = book.add_worksheet();
    base.set_name(crate::ingest::BASE_SHEET)?;
    for (c, column) in COLUMNS.iter().enumerate() {
        let head = if column.key == "key" {
            KEY_HEADER.to_string()
        } else {
            label(labels, &format!("split.col_{}", column.key))
        };
        text(base, 0, c as u16, &head, &f.header)?;
    }
    rows(base, 0, d, labels, &f)?;
    base.set_very_hidden(true);
    base.protect_with_options(&ProtectionOptions {
        select_locked_cells: false,
        select_unlocked_cells: false,
        ..ProtectionOptions::default()
    });
    if let Some(pw) = opts.password {
        base.protect_with_password(pw);
    }
    book.save_to_buffer()
}
