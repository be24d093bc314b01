//! Spreadsheet files (xlsx, xlsm, xlsb, xls, ods) into grids, through calamine. The file
//! type is sniffed from the content, since an extension can lie.

use super::grid::{Grid, Region, Value, cut_text};
use super::{InputError, size_text};
use crate::limits::Limits;
use calamine::{Data, DataRef, DataType, Reader, SheetVisible, Sheets};
use quick_xml::events::Event;
use std::io::Cursor;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Office Open XML (xlsx, xlsm) or xlsb: a zip with an `xl/` folder.
    Ooxml,
    /// OpenDocument spreadsheet: a zip with `content.xml`.
    Ods,
    /// A zip that is neither.
    OtherZip,
    /// Starts like a zip but cannot be opened as one: cut short or damaged.
    BrokenZip,
    /// OLE compound file: legacy .xls, or an encrypted (password-protected) xlsx.
    Compound,
    /// Anything else: read as delimited text.
    Text,
}

/// Sniffs the container format from the bytes.
pub fn sniff(bytes: &[u8]) -> Kind {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let Ok(zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
            return Kind::BrokenZip;
        };
        let names: Vec<String> = zip.file_names().flatten().map(|n| n.into_owned()).collect();
        if names.iter().any(|n| n.starts_with("xl/")) {
            Kind::Ooxml
        } else if names.iter().any(|n| n == "content.xml") {
            Kind::Ods
        } else {
            Kind::OtherZip
        }
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Kind::Compound
    } else {
        Kind::Text
    }
}

/// Reads every sheet of a workbook into grids, all at once (tests and tools; a run reads
/// a sheet at a time through [`open`]).
pub fn read(bytes: &[u8], kind: Kind, limits: &Limits) -> Result<Vec<Grid>, InputError> {
    let mut sheets = open(bytes, kind, limits)?;
    let mut grids = Vec::new();
    while let Some(grid) = sheets.next_grid()? {
        grids.push(grid);
    }
    Ok(grids)
}

/// Opens a workbook to read its worksheets one at a time ([`Worksheets::next_grid`]), so
/// that a run holds one sheet's grid at a time beside the measures read so far.
///
/// calamine can panic on a damaged file (a compound file cut short indexes past its
/// end); such a panic, while opening or while reading a sheet, is caught, kept off
/// stderr, and reported as a damaged workbook.
pub fn open<'b>(
    bytes: &'b [u8],
    kind: Kind,
    limits: &Limits,
) -> Result<Worksheets<'b>, InputError> {
    guarded(|| open_unguarded(bytes, kind, limits))
}

/// Runs calamine's side of reading with its panics caught (see [`open`]).
pub(crate) fn guarded<T>(read: impl FnOnce() -> Result<T, InputError>) -> Result<T, InputError> {
    quiet_panics();
    QUIET.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    QUIET.with(|q| q.set(false));
    result.unwrap_or_else(|_| {
        Err(InputError::Broken(
            "its contents are inconsistent and cannot be read".into(),
        ))
    })
}

thread_local! {
    /// Set while this thread reads a workbook: a panic then prints nothing.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once, a panic hook that stays silent while [`QUIET`] is set and otherwise
/// does what the previous hook did.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
}

/// Refuses more sheets than `sheets_per_workbook`.
fn check_sheet_count(sheets: usize, limits: &Limits) -> Result<(), InputError> {
    if sheets > limits.sheets_per_workbook {
        return Err(InputError::limit(
            format!(
                "the workbook has {sheets} sheets, more than {}",
                limits.sheets_per_workbook
            ),
            "sheets_per_workbook",
        ));
    }
    Ok(())
}

fn open_unguarded<'b>(
    bytes: &'b [u8],
    kind: Kind,
    limits: &Limits,
) -> Result<Worksheets<'b>, InputError> {
    if matches!(kind, Kind::Ooxml | Kind::Ods) {
        check_zip(bytes, limits)?;
    }
    let cursor = Cursor::new(bytes);
    // Read before calamine opens the file: calamine builds every ods sheet at once.
    let ods_sheets = if kind == Kind::Ods {
        super::ods::sheets(bytes, limits)?
    } else {
        Default::default()
    };
    // What calamine does not report of an xlsx (merges, hidden rows), by sheet.
    let mut extras = Default::default();
    let book: Sheets<Cursor<&[u8]>> = match kind {
        Kind::Ooxml => {
            let is_xlsb = zip::ZipArchive::new(Cursor::new(bytes))
                .map(|z| z.file_names().flatten().any(|n| n == "xl/workbook.bin"))
                .unwrap_or(false);
            if is_xlsb {
                Sheets::Xlsb(calamine::open_workbook_from_rs(cursor).map_err(broken)?)
            } else {
                check_shared_strings(bytes)?;
                if let Some(n) = super::xlsx_extras::listed_sheets(bytes) {
                    check_sheet_count(n, limits)?;
                }
                // The extras scan inflates every sheet part: it runs beside calamine's
                // opening (the shared strings), which does not need it.
                let (book, found) = std::thread::scope(|scope| {
                    let found = scope.spawn(|| {
                        // One more than the limit, so that too many regions are still
                        // refused below.
                        let most = usize::try_from(limits.cells_per_sheet).unwrap_or(usize::MAX);
                        super::xlsx_extras::read_extras(bytes, most.saturating_add(1))
                    });
                    let book = calamine::open_workbook_from_rs(cursor);
                    (book, found.join().unwrap_or_default())
                });
                extras = found;
                Sheets::Xlsx(book.map_err(broken)?)
            }
        }
        Kind::Ods => Sheets::Ods(calamine::open_workbook_from_rs(cursor).map_err(broken)?),
        Kind::Compound if compound_chains_loop(bytes) => {
            return Err(InputError::Broken(
                "its sector chains loop back on themselves".into(),
            ));
        }
        Kind::Compound => {
            // calamine reads every sheet of an xls when it opens it: bound them first.
            super::xls_bounds::check(bytes, limits)?;
            match calamine::open_workbook_from_rs(cursor.clone()) {
                Ok(xls) => Sheets::Xls(xls),
                Err(calamine::XlsError::Password) => return Err(InputError::Encrypted),
                Err(e) => {
                    // An encrypted xlsx is a compound file holding an `EncryptedPackage`.
                    if let Err(calamine::XlsxError::Password) =
                        calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(cursor)
                    {
                        return Err(InputError::Encrypted);
                    }
                    return Err(broken(e));
                }
            }
        }
        Kind::BrokenZip => {
            let e = zip::ZipArchive::new(Cursor::new(bytes)).err();
            return Err(InputError::Broken(match e {
                Some(e) => format!("the zip container cannot be opened ({e})"),
                None => "the zip container cannot be opened".into(),
            }));
        }
        Kind::OtherZip | Kind::Text => return Err(InputError::NotSpreadsheet),
    };
    let sheets = book.sheets_metadata().to_vec();
    check_sheet_count(sheets.len(), limits)?;
    Ok(Worksheets {
        book,
        extras,
        ods_sheets,
        sheets: sheets
            .into_iter()
            .filter(|s| s.typ == calamine::SheetType::WorkSheet)
            .collect(),
        next: 0,
        limits: *limits,
    })
}

/// An open workbook, read a worksheet at a time.
pub struct Worksheets<'b> {
    book: Sheets<Cursor<&'b [u8]>>,
    /// What calamine does not report of xlsx sheets (merges, hidden rows), by sheet.
    extras: std::collections::HashMap<String, super::xlsx_extras::Extras>,
    /// What dossier read itself of an ods (merges, hidden rows), by sheet.
    ods_sheets: std::collections::HashMap<String, super::ods::OdsSheet>,
    sheets: Vec<calamine::Sheet>,
    next: usize,
    limits: Limits,
}

impl<'b> Worksheets<'b> {
    /// The calamine workbook, opened and checked against the limits as for reading, and
    /// what dossier read itself of an ods (merges, hidden rows): the merge's conversion
    /// of a master to xlsx (`crate::merge::convert`) needs the cell types and formulas a
    /// grid does not keep.
    pub(crate) fn into_parts(
        self,
    ) -> (
        Sheets<Cursor<&'b [u8]>>,
        std::collections::HashMap<String, super::ods::OdsSheet>,
    ) {
        (self.book, self.ods_sheets)
    }

    /// The next worksheet as a grid, or `None` after the last.
    pub fn next_grid(&mut self) -> Result<Option<Grid>, InputError> {
        let Some(sheet) = self.sheets.get(self.next).cloned() else {
            return Ok(None);
        };
        self.next += 1;
        guarded(|| self.grid(&sheet)).map(Some)
    }

    fn grid(&mut self, sheet: &calamine::Sheet) -> Result<Grid, InputError> {
        let limits = &self.limits;
        let book = &mut self.book;
        let extras = &mut self.extras;
        let ods_sheets = &self.ods_sheets;
        let mut cells = Cells::new(&sheet.name, limits);
        let unreadable = |e: &dyn std::fmt::Display| {
            InputError::Broken(format!("sheet {:?} cannot be read: {e}", sheet.name))
        };
        // xlsx and xlsb are read cell by cell: calamine's ranges are dense rectangles,
        // and one value in the last cell of a sheet would ask for hundreds of gigabytes.
        match book {
            Sheets::Xlsx(x) => {
                let mut reader = x
                    .worksheet_cells_reader(&sheet.name)
                    .map_err(|e| unreadable(&e))?;
                while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
                    cells.push(cell.get_position(), cell.get_value())?;
                }
            }
            Sheets::Xlsb(x) => {
                let mut reader = x
                    .worksheet_cells_reader(&sheet.name)
                    .map_err(|e| unreadable(&e))?;
                while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
                    cells.push(cell.get_position(), cell.get_value())?;
                }
            }
            // calamine has built these whole when it opened the file; for ods the
            // rectangle was bounded above, before that.
            Sheets::Xls(_) | Sheets::Ods(_) => {
                let range = book
                    .worksheet_range(&sheet.name)
                    .map_err(|e| unreadable(&e))?;
                for (row, col, data) in range.used_cells() {
                    let start = range.start().unwrap_or((0, 0));
                    let at = (start.0 + row as u32, start.1 + col as u32);
                    cells.push_data(at, data)?;
                }
            }
        }
        let merges: Vec<Region> = match book {
            Sheets::Xlsx(x) => match extras.get_mut(&sheet.name) {
                Some(e) => std::mem::take(&mut e.merges),
                None => to_regions(x.merge_cells_by_sheet_name(&sheet.name).ok()),
            },
            Sheets::Xls(x) => to_regions(x.merge_cells_by_sheet_name(&sheet.name).ok()),
            Sheets::Ods(_) => ods_sheets
                .get(&sheet.name)
                .map(|s| s.merges.clone())
                .unwrap_or_default(),
            // calamine does not read xlsb merges; values stay in the top-left cell.
            Sheets::Xlsb(_) => Vec::new(),
        };
        let Cells { list, cut, .. } = cells;
        let mut grid = Grid::from_cells(
            Some(sheet.name.clone()),
            sheet.visible != SheetVisible::Visible,
            list,
            &merges,
            limits.cells_per_sheet,
        )
        .map_err(|_| {
            InputError::limit(
                format!(
                    "the merged regions of sheet {:?} cover more than {} row spans",
                    sheet.name, limits.cells_per_sheet
                ),
                "cells_per_sheet",
            )
        })?;
        grid.cut_cells = cut;
        grid.hidden_rows = match ods_sheets.get(&sheet.name) {
            // Only rows that hold data: a hidden run may be repeated to the sheet's end.
            Some(ods) => grid.row_numbers().filter(|r| ods.is_hidden(*r)).collect(),
            None => extras
                .get_mut(&sheet.name)
                .map(|e| std::mem::take(&mut e.hidden_rows))
                .unwrap_or_default(),
        };
        // Only hidden rows that hold data are worth mentioning.
        let end = grid.row_end();
        grid.hidden_rows.retain(|r| *r < end);
        Ok(grid)
    }
}

/// The cells of one sheet as they are read, counted against `limits.cells_per_sheet`
/// before each is kept, with text cut to `limits.cell_chars`.
struct Cells<'a> {
    sheet: &'a str,
    limits: &'a Limits,
    list: Vec<((u32, u32), Value)>,
    cut: Vec<((u32, u32), usize, usize)>,
    /// Rows seen holding a value, and the last one.
    rows: u64,
    last_row: Option<u32>,
}

impl<'a> Cells<'a> {
    fn new(sheet: &'a str, limits: &'a Limits) -> Self {
        Cells {
            sheet,
            limits,
            list: Vec::new(),
            cut: Vec::new(),
            rows: 0,
            last_row: None,
        }
    }

    fn push(&mut self, at: (u32, u32), value: &DataRef<'_>) -> Result<(), InputError> {
        match value {
            DataRef::Empty => Ok(()),
            DataRef::SharedString(s) => self.keep(at, Value::from_text(s.to_string())),
            other => self.push_data(at, &Data::from(other.clone())),
        }
    }

    fn push_data(&mut self, at: (u32, u32), data: &Data) -> Result<(), InputError> {
        if matches!(data, Data::Empty) {
            return Ok(());
        }
        self.keep(at, to_value(data))
    }

    fn keep(&mut self, at: (u32, u32), mut value: Value) -> Result<(), InputError> {
        if self.last_row != Some(at.0) {
            self.last_row = Some(at.0);
            self.rows += 1;
            if self.rows > self.limits.rows_per_sheet {
                return Err(super::delimited::too_many_rows(
                    Some(self.sheet),
                    self.limits,
                ));
            }
        }
        if self.list.len() as u64 >= self.limits.cells_per_sheet {
            return Err(super::delimited::too_many_cells(
                Some(self.sheet),
                self.limits,
            ));
        }
        if let Value::Text(t) | Value::Error(t) = &mut value
            && let Some(had) = cut_text(t, self.limits.cell_chars)
        {
            self.cut.push((at, had, self.limits.cell_chars));
        }
        self.list.push((at, value));
        Ok(())
    }
}

/// Refuses a zip-based workbook whose parts declare more inflated bytes than
/// `limits.zip_part_bytes` each or `limits.zip_total_bytes` together, before anything is
/// inflated. A part that inflates past what it declares is stopped by the zip reader
/// itself (it bounds every read by the declared size), so the declared sizes bound the
/// memory.
fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), InputError> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        // Reported as a damaged container when it is opened.
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(i) else {
            continue;
        };
        let size = part.size();
        if size > limits.zip_part_bytes {
            return Err(InputError::limit(
                format!(
                    "{} inflates past {}",
                    part.name().unwrap_or_default(),
                    size_text(limits.zip_part_bytes)
                ),
                "zip_part_bytes",
            ));
        }
        total = total.saturating_add(size);
        if total > limits.zip_total_bytes {
            return Err(InputError::limit(
                format!(
                    "its parts inflate past {} together",
                    size_text(limits.zip_total_bytes)
                ),
                "zip_total_bytes",
            ));
        }
    }
    Ok(())
}

/// calamine reserves room for as many shared strings as `uniqueCount` says before it
/// reads one; a count the part cannot hold (each string takes at least `<si/>`, 5 bytes)
/// is refused here instead of becoming an allocation of many gigabytes.
fn check_shared_strings(bytes: &[u8]) -> Result<(), InputError> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let names: Vec<String> = zip
        .file_names()
        .flatten()
        .filter(|n| n.ends_with("sharedStrings.xml"))
        .map(|n| n.into_owned())
        .collect();
    for name in names {
        let Ok(part) = zip.by_name(&name) else {
            continue;
        };
        let size = part.size();
        let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "sst" => {
                    let count = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == "uniqueCount")
                        .and_then(|a| a.value.trim().parse::<u64>().ok());
                    if let Some(count) = count
                        && count > size / 5 + 1
                    {
                        return Err(InputError::Broken(format!(
                            "{name} declares {count} unique strings, more than its {} can hold",
                            size_text(size)
                        )));
                    }
                    break;
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    Ok(())
}

/// Whether the allocation table of an OLE compound file has a cycle. calamine follows
/// sector chains without a bound and would loop, growing memory, until the process dies;
/// in a sound file every chain ends. Anything else that is wrong is left to calamine.
fn compound_chains_loop(bytes: &[u8]) -> bool {
    const DIFSECT: u32 = 0xFFFF_FFFC;
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let Some(shift) = bytes
        .get(0x1E..0x20)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
    else {
        return false;
    };
    if !(7..=16).contains(&shift) {
        return false;
    }
    let size = 1usize << shift;
    let sector = |id: u32| {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        bytes.get(start..start.checked_add(size)?)
    };
    let words = |s: &[u8]| -> Vec<u32> {
        s.chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    let mut difat: Vec<u32> = (0..109).filter_map(|i| u32_at(0x4C + 4 * i)).collect();
    let mut next = u32_at(0x44).unwrap_or(u32::MAX);
    let mut steps = 0;
    while next < DIFSECT && steps <= bytes.len() / size {
        let Some(s) = sector(next) else { return false };
        let mut entries = words(s);
        next = entries.pop().unwrap_or(u32::MAX);
        difat.extend(entries);
        steps += 1;
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < DIFSECT) {
        let Some(s) = sector(id) else { return false };
        fat.extend(words(s));
    }
    // Each sector has at most one successor: walk every chain once, marking sectors on
    // the current walk (1) and sectors known to reach an end (2).
    let mut state = vec![0u8; fat.len()];
    for start in 0..fat.len() {
        let mut path = Vec::new();
        let mut at = start;
        while at < fat.len() && state[at] == 0 {
            state[at] = 1;
            path.push(at);
            at = fat[at] as usize;
        }
        if at < fat.len() && state[at] == 1 {
            return true;
        }
        for p in path {
            state[p] = 2;
        }
    }
    false
}

fn to_regions(dims: Option<Vec<calamine::Dimensions>>) -> Vec<Region> {
    dims.unwrap_or_default()
        .into_iter()
        .map(|d| Region {
            start: d.start,
            end: d.end,
        })
        .collect()
}

fn to_value(data: &Data) -> Value {
    match data {
        Data::Empty => Value::Empty,
        Data::String(s) => Value::from_text(s.clone()),
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(_) | Data::DateTimeIso(_) => match data.as_date() {
            Some(d) => Value::Date(d),
            None => Value::Text(data.to_string()),
        },
        Data::DurationIso(s) => Value::Text(s.clone()),
        Data::Error(e) => Value::Error(e.to_string()),
    }
}

fn broken(e: impl std::fmt::Display) -> InputError {
    let text = e.to_string();
    if text.to_ascii_lowercase().contains("password") {
        InputError::Encrypted
    } else {
        InputError::Broken(text)
    }
}
