//! CSV and TSV files into a grid. The encoding is detected (UTF-8 with or without BOM,
//! UTF-16 with BOM, else GB18030, which is what Excel and WPS write on Chinese Windows),
//! and so is the delimiter.

use super::grid::{Grid, Value, cut_text};
use super::{InputError, size_text};
use crate::limits::Limits;

/// Decodes the bytes of a text file to a string, naming the encoding that was used.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), InputError> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(InputError::Encoding(format!(
                "the file starts with a {} byte-order mark but is not valid {}",
                enc.name(),
                enc.name()
            )));
        }
        return Ok((text.into_owned(), enc.name()));
    }
    if looks_like_utf16(bytes) {
        return Err(InputError::Encoding(
            "the file looks like UTF-16 without a byte-order mark; save it as UTF-8 or as \
             UTF-16 with a byte-order mark"
                .into(),
        ));
    }
    if bytes.contains(&0) {
        return Err(InputError::NotSpreadsheet);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(InputError::Encoding(
            "the file is neither UTF-8 nor GB18030/GBK text; save it as UTF-8 CSV".into(),
        ));
    }
    Ok((text.into_owned(), "GB18030"))
}

/// UTF-16 text without a BOM has NULs (the high bytes of ASCII characters), nearly all
/// at even or nearly all at odd offsets; binary data has them anywhere.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    let even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    let (most, least) = (even.max(odd), even.min(odd));
    most >= 2 && least * 20 <= most && most * 16 >= sample.len() / 2
}

/// Picks the delimiter that splits the first non-empty line into the most fields.
pub(crate) fn sniff_delimiter(text: &str, tsv_extension: bool) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |d: char| first.matches(d).count();
    let (tabs, commas, semis) = (count('\t'), count(','), count(';'));
    if tabs > 0 && (tsv_extension || tabs >= commas) {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

/// Refuses the first line longer than `limits.csv_line_bytes`, before the CSV reader
/// buffers it.
pub(crate) fn check_lines(text: &str, limits: &Limits) -> Result<(), InputError> {
    let max = limits.csv_line_bytes;
    for (i, line) in text.as_bytes().split(|b| *b == b'\n').enumerate() {
        if line.len() > max {
            return Err(InputError::limit(
                format!(
                    "line {} is {}, longer than the {} a CSV line may be",
                    i + 1,
                    size_text(line.len() as u64),
                    size_text(max as u64)
                ),
                "csv_line_bytes",
            ));
        }
    }
    Ok(())
}

/// Reads delimited text into a one-sheet grid, within `limits`.
/// The CSV reader of `text` as dossier reads every delimited file: lines checked against
/// `limits`, the delimiter sniffed, no header row, rows of any length. A master's
/// conversion reads with it too, so its cells land where reading put them.
pub(crate) fn records<'t>(
    text: &'t str,
    tsv_extension: bool,
    limits: &Limits,
) -> Result<csv::Reader<&'t [u8]>, InputError> {
    check_lines(text, limits)?;
    let delimiter = sniff_delimiter(text, tsv_extension);
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes()))
}

pub fn read(text: &str, tsv_extension: bool, limits: &Limits) -> Result<Grid, InputError> {
    let mut reader = records(text, tsv_extension, limits)?;
    let mut cells = Vec::new();
    let mut cut_cells = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    let (mut rows, mut last_row) = (0u64, None);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(InputError::Broken(format!("line {}: {}", row + 1, e)));
            }
        }
        let line = record.position().map_or(u64::from(row) + 1, |p| p.line());
        for (col, field) in record.iter().enumerate() {
            if field.len() > limits.csv_field_bytes {
                return Err(InputError::limit(
                    format!(
                        "line {line}: a field of {}, longer than the {} a CSV field may be",
                        size_text(field.len() as u64),
                        size_text(limits.csv_field_bytes as u64)
                    ),
                    "csv_field_bytes",
                ));
            }
            if field.is_empty() {
                continue;
            }
            if last_row != Some(row) {
                last_row = Some(row);
                rows += 1;
                if rows > limits.rows_per_sheet {
                    return Err(too_many_rows(None, limits));
                }
            }
            if cells.len() as u64 >= limits.cells_per_sheet {
                return Err(too_many_cells(None, limits));
            }
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            let mut text = field.to_string();
            if let Some(had) = cut_text(&mut text, limits.cell_chars) {
                cut_cells.push(((row, col), had, limits.cell_chars));
            }
            cells.push(((row, col), Value::from_text(text)));
        }
        row = row.saturating_add(1);
    }
    let mut grid =
        Grid::from_cells(None, false, cells, &[], 0).map_err(|_| too_many_cells(None, limits))?;
    grid.cut_cells = cut_cells;
    Ok(grid)
}

/// The refusal of a sheet with more rows holding a value than `limits.rows_per_sheet`.
pub fn too_many_rows(sheet: Option<&str>, limits: &Limits) -> InputError {
    let what = match sheet {
        Some(s) => format!("sheet {s:?}"),
        None => "the file".to_string(),
    };
    InputError::limit(
        format!(
            "{what} holds more than {} rows with a value",
            limits.rows_per_sheet
        ),
        "rows_per_sheet",
    )
}

/// The refusal of a sheet with more cells than `limits.cells_per_sheet`.
pub fn too_many_cells(sheet: Option<&str>, limits: &Limits) -> InputError {
    let what = match sheet {
        Some(s) => format!("sheet {s:?}"),
        None => "the file".to_string(),
    };
    InputError::limit(
        format!(
            "{what} holds more than {} cells with a value",
            limits.cells_per_sheet
        ),
        "cells_per_sheet",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_encoding() {
        let text = "序号,措施内容,落实情况\n1,严格落实,已完成\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode(&gbk).unwrap(), (text.to_string(), "GB18030"));
        let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
        utf8_bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&utf8_bom).unwrap().0, text);
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode(&utf16).unwrap(), (text.to_string(), "UTF-16LE"));
        let bare16: Vec<u8> = utf16[2..].to_vec();
        assert!(matches!(decode(&bare16), Err(InputError::Encoding(_))));
    }

    #[test]
    fn sniffs_the_delimiter() {
        assert_eq!(sniff_delimiter("a\tb\tc\n", false), b'\t');
        assert_eq!(sniff_delimiter("a;b;c\n", false), b';');
        assert_eq!(sniff_delimiter("a,b\n", true), b',');
    }
}
