//! Limits on what input may make dossier do: every allocation and every loop that a file
//! controls is bounded by one of these, checked before the work it guards, so hostile or
//! broken input ends in one line and exit 2, never an abort, a hang or unbounded memory.
//! Each can be raised or lowered in `dossier.toml` under `[limits]`; `docs/limits.md`
//! says what each guards.

use serde::Deserialize;

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of an input file on disk, in bytes.
    pub input_bytes: u64,
    /// Inflated size of any one part of a zip-based input (xlsx, xlsm, xlsb, ods), bytes.
    pub zip_part_bytes: u64,
    /// Inflated size of all parts of one zip-based input together, bytes.
    pub zip_total_bytes: u64,
    /// Cells holding a value in one sheet (declared dimensions and counts are never
    /// trusted; only cells actually read count).
    pub cells_per_sheet: u64,
    /// One `number-rows-repeated` / `number-columns-repeated` of an ods cell or row that
    /// holds a value.
    pub ods_repeat: u64,
    /// Sheets in one workbook.
    pub sheets_per_workbook: usize,
    /// Characters kept of one cell (Excel's own limit); longer text is cut with a warning.
    pub cell_chars: usize,
    /// Bytes of one CSV field.
    pub csv_field_bytes: usize,
    /// Bytes of one CSV line.
    pub csv_line_bytes: usize,
    /// Measures read in one run, over all inputs.
    pub measures_per_run: usize,
    /// Measure rows a returned department sheet may hold beyond twice its master's
    /// measures (`merge`): a larger return is refused whole while it is read.
    pub return_extra_rows: usize,
    /// Rows holding a value in one sheet. Not a key of `[limits]`: a worksheet has at
    /// most Excel's 1,048,576 anyway; `merge` lowers it for a return to the bound its
    /// master sets, so a huge return stops while it is read.
    pub rows_per_sheet: u64,
    /// Size of one rendered document (Markdown, HTML or PDF), bytes.
    pub output_bytes: u64,
    /// Time one template may take to render, seconds.
    pub template_seconds: u64,
    /// Files and folders an evidence folder may hold, and a glob of `units` or `inputs`
    /// may read its way through: an evidence folder or a glob pointed at `/` would
    /// otherwise walk the whole machine (and round `/proc/self/root` for ever).
    pub max_files: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            input_bytes: 200 * 1024 * 1024,
            zip_part_bytes: 512 * 1024 * 1024,
            zip_total_bytes: 1024 * 1024 * 1024,
            cells_per_sheet: 20_000_000,
            ods_repeat: 100_000,
            sheets_per_workbook: 1_000,
            cell_chars: 32_767,
            csv_field_bytes: 1024 * 1024,
            csv_line_bytes: 16 * 1024 * 1024,
            measures_per_run: 1_000_000,
            return_extra_rows: 1_000,
            rows_per_sheet: 1_048_576,
            output_bytes: 1024 * 1024 * 1024,
            template_seconds: 60,
            max_files: 100_000,
        }
    }
}

/// `[limits]` as written in `dossier.toml`: any subset of the keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    input_bytes: Option<u64>,
    zip_part_bytes: Option<u64>,
    zip_total_bytes: Option<u64>,
    cells_per_sheet: Option<u64>,
    ods_repeat: Option<u64>,
    sheets_per_workbook: Option<usize>,
    cell_chars: Option<usize>,
    csv_field_bytes: Option<usize>,
    csv_line_bytes: Option<usize>,
    measures_per_run: Option<usize>,
    return_extra_rows: Option<usize>,
    output_bytes: Option<u64>,
    template_seconds: Option<u64>,
    max_files: Option<u64>,
}

impl RawLimits {
    /// The defaults with what the config sets laid over them.
    pub fn resolve(self) -> Limits {
        let d = Limits::default();
        Limits {
            input_bytes: self.input_bytes.unwrap_or(d.input_bytes),
            zip_part_bytes: self.zip_part_bytes.unwrap_or(d.zip_part_bytes),
            zip_total_bytes: self.zip_total_bytes.unwrap_or(d.zip_total_bytes),
            cells_per_sheet: self.cells_per_sheet.unwrap_or(d.cells_per_sheet),
            ods_repeat: self.ods_repeat.unwrap_or(d.ods_repeat),
            sheets_per_workbook: self.sheets_per_workbook.unwrap_or(d.sheets_per_workbook),
            cell_chars: self.cell_chars.unwrap_or(d.cell_chars),
            csv_field_bytes: self.csv_field_bytes.unwrap_or(d.csv_field_bytes),
            csv_line_bytes: self.csv_line_bytes.unwrap_or(d.csv_line_bytes),
            measures_per_run: self.measures_per_run.unwrap_or(d.measures_per_run),
            return_extra_rows: self.return_extra_rows.unwrap_or(d.return_extra_rows),
            rows_per_sheet: d.rows_per_sheet,
            output_bytes: self.output_bytes.unwrap_or(d.output_bytes),
            template_seconds: self.template_seconds.unwrap_or(d.template_seconds),
            max_files: self.max_files.unwrap_or(d.max_files),
        }
    }
}
