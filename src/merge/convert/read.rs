//! Reading the master into sheets: CSV and TSV by the reader's own rules, and the
//! workbooks calamine reads (xls, ods, xlsb).

use super::*;
/// A CSV/TSV master: one sheet of text cells, where [`crate::ingest::delimited::read`]
/// puts them (same decoding, delimiter, and reader settings; empty fields are no cell).
pub(super) fn from_text(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    out: &mut Writer,
) -> Result<(), ConvertError> {
    use crate::ingest::delimited;
    let (text, _) = delimited::decode(bytes)?;
    let tsv = file_name.to_ascii_lowercase().ends_with(".tsv");
    let mut reader = delimited::records(&text, tsv, limits)?;
    let mut cells = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(InputError::Broken(format!("line {}: {}", row + 1, e)).into());
            }
        }
        for (col, field) in record.iter().enumerate() {
            if field.len() > limits.csv_field_bytes {
                return Err(InputError::limit(
                    format!("line {}: a field longer than a CSV field may be", row + 1),
                    "csv_field_bytes",
                )
                .into());
            }
            if field.is_empty() {
                continue;
            }
            if cells.len() as u64 >= limits.cells_per_sheet {
                return Err(delimited::too_many_cells(None, limits).into());
            }
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            cells.push((row, col, Cell::Text(cut(field, limits))));
        }
        row = row.saturating_add(1);
    }
    let mut lost = Lost::default();
    out.add(
        Sheet {
            name: text_sheet_name(file_name),
            visible: SheetVisible::Visible,
            cells,
            merges: Vec::new(),
            layout: Layout::default(),
        },
        limits,
        &mut lost,
    )
}

/// A text cut to `limits.cell_chars`, as the reader cuts it.
pub(super) fn cut(text: &str, limits: &Limits) -> String {
    let mut t = text.to_string();
    crate::ingest::grid::cut_text(&mut t, limits.cell_chars);
    t
}

pub(super) fn from_calamine(
    bytes: &[u8],
    kind: Kind,
    limits: &Limits,
    out: &mut Writer,
    lost: &mut Lost,
) -> Result<(), ConvertError> {
    // Opened and bounded as for reading (sizes, sheet counts, extents, loops).
    let (mut book, ods_sheets) = wb::open(bytes, kind, limits)?.into_parts();
    let meta = book.sheets_metadata().to_vec();
    if meta.len() > limits.sheets_per_workbook {
        return Err(InputError::limit(
            format!(
                "the workbook has {} sheets, more than {}",
                meta.len(),
                limits.sheets_per_workbook
            ),
            "sheets_per_workbook",
        )
        .into());
    }
    let layouts: Option<Vec<Layout>> = match &book {
        Sheets::Xls(_) => xls::layouts(bytes, limits),
        Sheets::Ods(_) => ods::layouts(bytes, limits),
        _ => None,
    }
    .filter(|l| l.len() == meta.len());
    let date1904 = matches!(&book, Sheets::Xls(x) if x.has_1904_epoch());
    let names: Vec<String> = meta.iter().map(|s| s.name.clone()).collect();
    lost.add(STYLES);
    lost.add(EXTRAS);
    if let Sheets::Xlsb(_) = &book {
        lost.add(FORMULAS);
        lost.add(MERGES);
        lost.add(LAYOUT);
    }
    if layouts.is_none() && !matches!(&book, Sheets::Xlsb(_)) {
        lost.add(LAYOUT);
    }
    for (i, info) in meta.iter().enumerate() {
        if info.typ != SheetType::WorkSheet {
            lost.add(OTHER_SHEETS);
            continue;
        }
        let mut layout = layouts
            .as_ref()
            .and_then(|l| l.get(i).cloned())
            .unwrap_or_default();
        let (cells, merges) = wb::guarded(|| {
            read_sheet(
                &mut book,
                &info.name,
                &names,
                date1904,
                &ods_sheets,
                limits,
                lost,
            )
        })?;
        if layout.known {
            if let Some(ods) = ods_sheets.get(&info.name)
                && layout.hidden_rows.is_empty()
            {
                layout.hidden_rows = ods.hidden.iter().map(|(a, b)| (*a, b - 1)).collect();
            }
            if layout.print.fit.is_none() && layout.print.scale == Some(0) {
                lost.add(SCALING);
            }
            if layout.headers_lost {
                lost.add(HEADERS);
            }
        }
        out.add(
            Sheet {
                name: info.name.clone(),
                visible: info.visible,
                cells,
                merges,
                layout,
            },
            limits,
            lost,
        )?;
    }
    Ok(())
}

/// The cells and merged regions of one sheet.
pub(super) fn read_sheet(
    book: &mut Sheets<Cursor<&[u8]>>,
    name: &str,
    names: &[String],
    date1904: bool,
    ods_sheets: &HashMap<String, crate::ingest::ods::OdsSheet>,
    limits: &Limits,
    lost: &mut Lost,
) -> Result<(Cells, Vec<Region>), InputError> {
    let unreadable = |e: &dyn std::fmt::Display| {
        InputError::Broken(format!("sheet {name:?} cannot be read: {e}"))
    };
    let too_many = || crate::ingest::delimited::too_many_cells(Some(name), limits);
    let mut cells = Vec::new();
    if let Sheets::Xlsb(x) = book {
        // Read cell by cell: calamine's ranges are dense rectangles.
        let mut reader = x.worksheet_cells_reader(name).map_err(|e| unreadable(&e))?;
        while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
            let data = Data::from(cell.get_value().clone());
            if let Some(c) = to_cell(&data, date1904, limits, lost) {
                if cells.len() as u64 >= limits.cells_per_sheet {
                    return Err(too_many());
                }
                let (r, col) = cell.get_position();
                cells.push((r, col, c));
            }
        }
        return Ok((cells, Vec::new()));
    }
    // xls and ods: calamine built the sheets whole when it opened the file, within the
    // bounds checked before.
    let range = book.worksheet_range(name).map_err(|e| unreadable(&e))?;
    let formulas = book.worksheet_formula(name).map_err(|e| unreadable(&e))?;
    let mut by_cell: HashMap<(u32, u32), &String> = HashMap::new();
    let fstart = formulas.start().unwrap_or((0, 0));
    for (r, c, f) in formulas.used_cells() {
        if !f.is_empty() {
            by_cell.insert((fstart.0 + r as u32, fstart.1 + c as u32), f);
        }
    }
    let ods = matches!(book, Sheets::Ods(_));
    let start = range.start().unwrap_or((0, 0));
    let mut place = |at: (u32, u32), data: &Data, formula: Option<&String>| {
        if cells.len() as u64 >= limits.cells_per_sheet {
            return Err(too_many());
        }
        let value = to_cell(data, date1904, limits, lost);
        let cell = match formula {
            Some(f) => {
                let formula = if ods {
                    formula::from_open_formula(f)
                } else {
                    formula::from_xls(f, names)
                };
                match formula {
                    Some(formula) => Some(Cell::Formula {
                        formula,
                        result: result_text(value.as_ref()),
                        clock: match &value {
                            Some(Cell::Date(_, c)) => Some(*c),
                            _ => None,
                        },
                    }),
                    None => {
                        lost.add(FORMULAS);
                        value
                    }
                }
            }
            None => value,
        };
        if let Some(cell) = cell {
            cells.push((at.0, at.1, cell));
        }
        Ok(())
    };
    for (r, c, data) in range.used_cells() {
        let at = (start.0 + r as u32, start.1 + c as u32);
        place(at, data, by_cell.remove(&at))?;
    }
    // Formulas whose last value is empty.
    let mut rest: Vec<((u32, u32), &String)> = by_cell.into_iter().collect();
    rest.sort_unstable();
    for (at, f) in rest {
        place(at, &Data::String(String::new()), Some(f))?;
    }
    let merges = match book {
        Sheets::Xls(x) => x
            .merge_cells_by_sheet_name(name)
            .unwrap_or_default()
            .into_iter()
            .map(|d| Region {
                start: d.start,
                end: d.end,
            })
            .collect(),
        Sheets::Ods(_) => ods_sheets
            .get(name)
            .map(|s| s.merges.clone())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Ok((cells, merges))
}

/// A formula's last value as rust_xlsxwriter takes it (a number, TRUE/FALSE, an error
/// literal, or text).
pub(super) fn result_text(value: Option<&Cell>) -> String {
    match value {
        Some(Cell::Text(t)) => t.clone(),
        Some(Cell::Number(n)) => n.to_string(),
        Some(Cell::Date(n, _)) => n.to_string(),
        Some(Cell::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        _ => String::new(),
    }
}

/// A calamine value as the xlsx cell it becomes; `None` for an empty cell.
pub(super) fn to_cell(
    data: &Data,
    date1904: bool,
    limits: &Limits,
    lost: &mut Lost,
) -> Option<Cell> {
    Some(match data {
        Data::Empty => return None,
        Data::String(s) => Cell::Text(cut(s, limits)),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) if f.is_finite() => Cell::Number(*f),
        Data::Float(f) => Cell::Text(f.to_string()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::Error(e) => Cell::Text(e.to_string()),
        Data::DateTime(d) => {
            let mut serial = d.as_f64();
            if date1904 {
                serial += 1462.0;
            }
            if !serial.is_finite() || serial < 0.0 {
                return Some(Cell::Text(data.to_string()));
            }
            let clock = if d.is_duration() {
                Clock::Duration
            } else if serial < 1.0 {
                Clock::Time
            } else if serial.fract() == 0.0 {
                Clock::Date
            } else {
                Clock::DateTime
            };
            Cell::Date(serial, clock)
        }
        Data::DateTimeIso(s) => match iso_serial(s) {
            Some((serial, clock)) => Cell::Date(serial, clock),
            None => {
                lost.add(EARLY_DATES);
                Cell::Text(cut(s, limits))
            }
        },
        Data::DurationIso(s) => match duration_serial(s) {
            Some(serial) => Cell::Date(
                serial,
                if serial < 1.0 {
                    Clock::Time
                } else {
                    Clock::Duration
                },
            ),
            None => Cell::Text(cut(s, limits)),
        },
    })
}

/// An ISO 8601 date or date-time (as ods writes `office:date-value`) as an Excel serial
/// in the 1900 epoch; `None` before 1900-03-01 (where Excel's leap-year bug makes
/// serials ambiguous) or past 9999.
pub(super) fn iso_serial(text: &str) -> Option<(f64, Clock)> {
    use chrono::{NaiveDate, NaiveDateTime};
    let text = text.trim();
    let (at, clock) = match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => (d.and_hms_opt(0, 0, 0)?, Clock::Date),
        Err(_) => {
            let t = text.trim_end_matches('Z');
            let at = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M"))
                .ok()?;
            (at, Clock::DateTime)
        }
    };
    let first = NaiveDate::from_ymd_opt(1900, 3, 1)?.and_hms_opt(0, 0, 0)?;
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)?.and_hms_opt(23, 59, 59)?;
    if at < first || at > last {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let ms = (at - epoch).num_milliseconds();
    let serial = ms as f64 / 86_400_000.0;
    let clock = if clock == Clock::DateTime && serial.fract() == 0.0 {
        Clock::Date
    } else {
        clock
    };
    Some((serial, clock))
}

/// An ISO 8601 duration as ods writes `office:time-value` (`PT10H30M00S`, `P1DT2H`) in
/// days.
pub(super) fn duration_serial(text: &str) -> Option<f64> {
    let rest = text.trim().strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total = 0.0;
    if !days.is_empty() {
        total += days.strip_suffix('D')?.parse::<f64>().ok()?;
    }
    let mut number = String::new();
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'H' | 'M' | 'S' => {
                let v: f64 = number.parse().ok()?;
                number.clear();
                total += match c {
                    'H' => v / 24.0,
                    'M' => v / 1440.0,
                    _ => v / 86_400.0,
                };
            }
            _ => return None,
        }
    }
    (number.is_empty() && total.is_finite() && total >= 0.0).then_some(total)
}
