//! Writing the sheets as read into the xlsx: cells, formats, merges, layout and print.

use super::*;
/// The xlsx being written, a sheet at a time.
pub(super) struct Writer {
    book: rust_xlsxwriter::Workbook,
    formats: Formats,
    /// Index of the first visible sheet.
    first_visible: Option<usize>,
    sheets: usize,
}

/// The cell formats, by kind: text (wrapped), number, date, date-time, time, duration;
/// all centred vertically.
pub(super) struct Formats([Format; 6]);

impl Formats {
    pub(super) fn new() -> Formats {
        let base = Format::new().set_align(FormatAlign::VerticalCenter);
        let text = base.clone().set_text_wrap();
        let kinds = [
            text,
            base.clone(),
            base.clone().set_num_format("yyyy-mm-dd"),
            base.clone().set_num_format("yyyy-mm-dd hh:mm"),
            base.clone().set_num_format("hh:mm:ss"),
            base.set_num_format("[h]:mm:ss"),
        ];
        Formats(kinds)
    }

    pub(super) fn get(&self, cell: &Cell) -> &Format {
        let clock = |c: &Clock| match c {
            Clock::Date => 2,
            Clock::DateTime => 3,
            Clock::Time => 4,
            Clock::Duration => 5,
        };
        let kind = match cell {
            Cell::Text(_) => 0,
            Cell::Number(_) | Cell::Bool(_) => 1,
            Cell::Date(_, c) => clock(c),
            Cell::Formula { clock: Some(c), .. } => clock(c),
            Cell::Formula {
                clock: None,
                result,
                ..
            } => usize::from(result.parse::<f64>().is_ok()),
        };
        &self.0[kind]
    }
}

/// Excel's last row and column (0-based).
pub(super) const ROW_MAX: u32 = 1_048_575;
pub(super) const COL_MAX: u32 = 16_383;
/// Excel's longest cell text, in characters.
pub(super) const TEXT_MAX: usize = 32_767;

impl Writer {
    pub(super) fn new() -> Writer {
        let mut book = rust_xlsxwriter::Workbook::new();
        // A fixed creation time: the same master always gives the same bytes.
        if let Ok(when) = ExcelDateTime::from_ymd(2000, 1, 1) {
            book.set_properties(&DocProperties::new().set_creation_datetime(&when));
        }
        Writer {
            book,
            formats: Formats::new(),
            first_visible: None,
            sheets: 0,
        }
    }

    /// Writes one sheet; its cells are dropped after.
    pub(super) fn add(
        &mut self,
        sheet: Sheet,
        limits: &Limits,
        lost: &mut Lost,
    ) -> Result<(), ConvertError> {
        let Sheet {
            name,
            visible,
            mut cells,
            mut merges,
            layout,
        } = sheet;
        let mut ws = Worksheet::new();
        ws.set_name(&name).map_err(|e| ConvertError::SheetName {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        match visible {
            SheetVisible::Visible => {
                if self.first_visible.is_none() {
                    self.first_visible = Some(self.sheets);
                }
            }
            SheetVisible::Hidden => {
                ws.set_hidden(true);
            }
            SheetVisible::VeryHidden => {
                ws.set_very_hidden(true);
            }
        }
        // Merged regions first: writing one fills it with blanks, which the values
        // written after replace where the master has one.
        merges.sort_by_key(|r| (r.start, r.end));
        merges.dedup();
        let mut area = 0u64;
        let mut anchors: HashMap<(u32, u32), ()> = HashMap::new();
        let (mut last_row, mut last_col) = (0u32, 0u32);
        for r in &merges {
            let (r0, c0, r1, c1) = (r.start.0, r.start.1, r.end.0, r.end.1);
            if r0 > r1 || c0 > c1 || (r0, c0) == (r1, c1) {
                continue;
            }
            if r1 > ROW_MAX || c1 > COL_MAX {
                lost.add(SOME_MERGES);
                continue;
            }
            let cells_in = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
            area = area.saturating_add(cells_in);
            if area > limits.cells_per_sheet {
                lost.add(SOME_MERGES);
                break;
            }
            let format = &self.formats.0[0];
            match ws.merge_range(r0, c0 as u16, r1, c1 as u16, "", format) {
                Ok(_) => {
                    anchors.insert((r0, c0), ());
                    last_row = last_row.max(r1);
                    last_col = last_col.max(c1);
                }
                Err(_) => lost.add(SOME_MERGES),
            }
        }
        drop(merges);
        cells.sort_by_key(|(r, c, _)| (*r, *c));
        // Without the master's layout, widths and heights come from the content: about
        // two characters' room per Han character, between the default width and a wide
        // text column; long text wraps, and its row is as tall as its lines.
        let mut widths: BTreeMap<u32, usize> = BTreeMap::new();
        if !layout.known {
            for (row, col, cell) in &cells {
                if anchors.contains_key(&(*row, *col)) {
                    continue;
                }
                let chars = match cell {
                    Cell::Text(t) => display_width(t),
                    Cell::Number(n) => n.to_string().len(),
                    Cell::Date(..) => 16,
                    _ => 0,
                };
                let w = widths.entry(*col).or_default();
                *w = (*w).max(chars.clamp(8, 50));
            }
            for (col, chars) in &widths {
                if *col <= COL_MAX {
                    ws.set_column_width(*col as u16, (*chars as f64) + 1.0)?;
                }
            }
        }
        let mut lines_of_row: (u32, usize) = (0, 1);
        for (row, col, cell) in cells.drain(..) {
            if row > ROW_MAX || col > COL_MAX {
                lost.add(FAR_CELLS);
                continue;
            }
            let fitted = !layout.known
                || layout
                    .fitted_rows
                    .iter()
                    .any(|(a, b)| (*a..=*b).contains(&row));
            if row != lines_of_row.0 {
                set_lines(&mut ws, lines_of_row);
                lines_of_row = (row, 1);
            }
            last_row = last_row.max(row);
            last_col = last_col.max(col);
            let format = self.formats.get(&cell);
            let c = col as u16;
            match cell {
                Cell::Text(mut t) => {
                    if let Some((at, _)) = t.char_indices().nth(TEXT_MAX) {
                        t.truncate(at);
                        lost.add(LONG_TEXT);
                    }
                    if fitted && !anchors.contains_key(&(row, col)) {
                        let width = if layout.known {
                            layout.chars(col)
                        } else {
                            widths.get(&col).copied().unwrap_or(8)
                        }
                        .max(1);
                        let lines: usize = t
                            .split('\n')
                            .map(|l| l.chars().count().div_ceil(width).max(1))
                            .sum();
                        lines_of_row.1 = lines_of_row.1.max(lines);
                    }
                    ws.write_string_with_format(row, c, t, format)?;
                }
                Cell::Number(n) => {
                    ws.write_number_with_format(row, c, n, format)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean_with_format(row, c, b, format)?;
                }
                Cell::Date(serial, _) => {
                    ws.write_number_with_format(row, c, serial, format)?;
                }
                Cell::Formula {
                    formula, result, ..
                } => {
                    ws.write_formula_with_format(
                        row,
                        c,
                        Formula::new(formula).set_result(result),
                        format,
                    )?;
                }
            }
        }
        drop(anchors);
        set_lines(&mut ws, lines_of_row);
        if layout.known {
            apply_layout(&mut ws, &layout, last_row, last_col, limits, lost);
        }
        self.book.push_worksheet(ws);
        self.sheets += 1;
        Ok(())
    }

    pub(super) fn finish(mut self, lost: &mut Lost) -> Result<Vec<u8>, ConvertError> {
        if self.sheets == 0 {
            // An xlsx needs a sheet; a master without one is not a master.
            return Err(InputError::NoHeader("the workbook has no worksheet".into()).into());
        }
        match self.first_visible {
            Some(i) => {
                let ws = self.book.worksheet_from_index(i)?;
                ws.set_active(true);
            }
            None => {
                // Excel refuses a workbook with no visible sheet: show the first.
                let ws = self.book.worksheet_from_index(0)?;
                ws.set_hidden(false);
                ws.set_active(true);
                lost.add(VISIBILITY);
            }
        }
        Ok(self.book.save_to_buffer()?)
    }
}

/// A row sized to its content as tall as its most lines of text (15 points a line, up
/// to Excel's 409); a row of one line keeps its height. Lines are estimated at one
/// column-width character per character, Han ones included, which is how LibreOffice
/// sets an xlsx's text; Excel sets Han text wider, so it may show such a row a line
/// short. An estimate, not a measurement: rows the master sized itself keep its
/// heights.
pub(super) fn set_lines(ws: &mut Worksheet, (row, lines): (u32, usize)) {
    if lines > 1 {
        let _ = ws.set_row_height(row, (lines as f64 * 15.0).min(409.0));
    }
}

/// Columns a text takes: two for a wide (Han, full-width) character, one for others;
/// the longest line counts.
pub(super) fn display_width(text: &str) -> usize {
    text.lines()
        .map(|l| {
            l.chars()
                .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

/// Applies a sheet's layout, within the rows and columns it uses: a width or height
/// repeated to the sheet's end costs nothing.
pub(super) fn apply_layout(
    ws: &mut Worksheet,
    layout: &Layout,
    last_row: u32,
    last_col: u32,
    limits: &Limits,
    lost: &mut Lost,
) {
    let p = &layout.print;
    let last_col = last_col.max(p.area.map_or(0, |a| a.3)).min(COL_MAX);
    let last_row = last_row.max(p.area.map_or(0, |a| a.2)).min(ROW_MAX);
    if let Some(px) = layout.default_width {
        let _ = ws.set_column_range_width_pixels(0, last_col as u16, px);
    }
    for (a, b, px) in &layout.widths {
        if *a > last_col {
            continue;
        }
        let _ = ws.set_column_range_width_pixels(*a as u16, (*b).min(last_col) as u16, *px);
    }
    for (a, b) in &layout.hidden_cols {
        for col in *a..=(*b).min(last_col) {
            let _ = ws.set_column_hidden(col as u16);
        }
    }
    if let Some(h) = layout.default_height {
        ws.set_default_row_height(h);
    }
    // Rows set one by one: at most as many as a sheet may hold cells.
    let mut budget = limits.cells_per_sheet;
    for (a, b, h) in &layout.heights {
        for row in *a..=(*b).min(last_row) {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let _ = ws.set_row_height(row, *h);
        }
    }
    for (a, b) in &layout.hidden_rows {
        for row in *a..=(*b).min(last_row) {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let _ = ws.set_row_hidden(row);
        }
    }
    let rows: Vec<u32> = layout
        .row_breaks
        .iter()
        .copied()
        .filter(|r| *r > 0 && *r <= last_row)
        .collect();
    if ws.set_page_breaks(&rows).is_err() {
        lost.add(BREAKS);
    }
    let cols: Vec<u32> = layout
        .col_breaks
        .iter()
        .copied()
        .filter(|c| *c > 0 && *c <= last_col)
        .collect();
    if ws.set_vertical_page_breaks(&cols).is_err() {
        lost.add(BREAKS);
    }
    if let Some((r, c)) = layout.freeze
        && (r > 0 || c > 0)
        && r <= ROW_MAX
        && c <= COL_MAX
    {
        let _ = ws.set_freeze_panes(r, c as u16);
    }
    match p.landscape {
        Some(true) => {
            ws.set_landscape();
        }
        Some(false) => {
            ws.set_portrait();
        }
        None => {}
    }
    if let Some(paper) = p.paper {
        ws.set_paper_size(paper);
    }
    if let Some((w, h)) = p.fit {
        ws.set_print_fit_to_pages(w, h);
    } else if let Some(scale) = p.scale
        && (10..=400).contains(&scale)
    {
        ws.set_print_scale(scale);
    }
    if let Some([l, r, t, b, h, f]) = p.margins {
        ws.set_margins(l, r, t, b, h, f);
    }
    if p.center_h {
        ws.set_print_center_horizontally(true);
    }
    if p.center_v {
        ws.set_print_center_vertically(true);
    }
    if p.gridlines {
        ws.set_print_gridlines(true);
    }
    if let Some((a, b)) = p.repeat_rows
        && a <= b
        && b <= ROW_MAX
    {
        let _ = ws.set_repeat_rows(a, b);
    }
    if let Some((r0, c0, r1, c1)) = p.area
        && r0 <= r1
        && c0 <= c1
        && r1 <= ROW_MAX
        && c1 <= COL_MAX
    {
        let _ = ws.set_print_area(r0, c0 as u16, r1, c1 as u16);
    }
    if let Some(h) = &layout.header {
        ws.set_header(h);
    }
    if let Some(f) = &layout.footer {
        ws.set_footer(f);
    }
}
