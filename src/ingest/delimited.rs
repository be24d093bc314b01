//! CSV and TSV files into a grid. The encoding is detected (UTF-8 with or without BOM,
//! UTF-16 with BOM, else GB18030, which is what Excel and WPS write on Chinese Windows),
//! and so is the delimiter.

use super::InputError;
use super::grid::{Grid, Value};

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
fn sniff_delimiter(text: &str, tsv_extension: bool) -> u8 {
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

/// Reads delimited text into a one-sheet grid.
pub fn read(text: &str, tsv_extension: bool) -> Result<Grid, InputError> {
    let delimiter = sniff_delimiter(text, tsv_extension);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| InputError::Broken(format!("line {}: {}", i + 1, e)))?;
        rows.push(
            record
                .iter()
                .map(|field| {
                    if field.is_empty() {
                        Value::Empty
                    } else {
                        Value::from_text(field.to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(Grid::new(None, false, (0, 0), rows, &[]))
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
