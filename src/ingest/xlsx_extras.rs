//! What calamine's cell reader does not say about an xlsx sheet, read in one pass over
//! the sheet's XML: its hidden rows (the office should be told, since a hidden row still
//! counts) and its merged regions (calamine would parse the whole sheet once more for
//! those: a sixth of the reading time of a large workbook).

use super::grid::Region;
use quick_xml::events::Event;
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// Hidden rows (0-based) and merged regions of one sheet.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Extras {
    pub hidden_rows: Vec<u32>,
    pub merges: Vec<Region>,
}

/// The extras per sheet name, at most `max_merges` regions per sheet. A sheet this scan
/// could not find is absent (the caller asks calamine for its merges instead).
pub fn read_extras(bytes: &[u8], max_merges: usize) -> HashMap<String, Extras> {
    read(bytes, max_merges).unwrap_or_default()
}

/// `A1` → (row 0, column 0): a cell reference as calamine's dimensions count.
pub(crate) fn cell_ref(text: &str) -> Option<(u32, u32)> {
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let col = letters.bytes().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

/// `A1:C3` (or `B2` alone) → the region it covers.
pub(crate) fn region(text: &str) -> Option<Region> {
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    let (start, end) = (cell_ref(a)?, cell_ref(b)?);
    Some(Region {
        start: (start.0.min(end.0), start.1.min(end.1)),
        end: (start.0.max(end.0), start.1.max(end.1)),
    })
}

pub(crate) fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            quick_xml::escape::unescape(&a.value)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Each sheet's name and the zip path of its part, in workbook order: `workbook.xml`
/// names the sheets, its relationships say where each one's XML is.
pub(crate) fn sheet_parts<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
) -> Option<Vec<(String, String)>> {
    let mut sheets = Vec::new();
    let mut workbook = String::new();
    zip.by_name("xl/workbook.xml")
        .ok()?
        .read_to_string(&mut workbook)
        .ok()?;
    let mut reader = quick_xml::Reader::from_str(&workbook);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "sheet" => {
                if let (Some(name), Some(id)) = (attr(&e, "name"), attr(&e, "r:id")) {
                    sheets.push((name, id));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut rels = String::new();
    zip.by_name("xl/_rels/workbook.xml.rels")
        .ok()?
        .read_to_string(&mut rels)
        .ok()?;
    let mut targets = HashMap::new();
    let mut reader = quick_xml::Reader::from_str(&rels);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    let path = match target.strip_prefix('/') {
                        Some(abs) => abs.to_string(),
                        None => format!("xl/{target}"),
                    };
                    targets.insert(id, path);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(
        sheets
            .into_iter()
            .filter_map(|(name, id)| Some((name, targets.get(&id)?.clone())))
            .collect(),
    )
}

fn read(bytes: &[u8], max_merges: usize) -> Option<HashMap<String, Extras>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let sheets = sheet_parts(&mut zip)?;
    let mut out = HashMap::new();
    for (name, path) in sheets {
        // Streamed: a sheet part can be hundreds of megabytes.
        let Ok(part) = zip.by_name(&path) else {
            continue;
        };
        let read_whole = scan_sheet(part, max_merges);
        // A sheet this scan cannot read to its end is left to calamine.
        if let Ok(extras) = read_whole {
            out.insert(name, extras);
        }
    }
    Some(out)
}

/// Finds the `<row … hidden="1">` and `<mergeCell ref="…">` tags of a sheet part by
/// their bytes, without parsing the cells (as quick_xml would, at the cost of a full
/// second parse of the sheet): only where `hidden` or `mergeCell` occurs is the tag
/// around it looked at, so the scan runs at the speed of a substring search.
fn scan_sheet(part: impl Read, max_merges: usize) -> std::io::Result<Extras> {
    let mut extras = Extras::default();
    let hidden = memchr::memmem::Finder::new(b"hidden");
    let merge = memchr::memmem::Finder::new(b"mergeCell");
    for_each_chunk(part, &mut |text| {
        // A tag with the word twice (`hidden="1" x:hidden="1"`) is read once.
        let mut last_open = None;
        for at in hidden.find_iter(text) {
            let Some((open, tag)) = enclosing_tag(text, at) else {
                continue;
            };
            if last_open.replace(open) == Some(open) || local_name(tag) != b"row" {
                continue;
            }
            let is_hidden = attr_value(tag, b"hidden").is_some_and(|h| h == b"1" || h == b"true");
            let number = attr_value(tag, b"r")
                .and_then(|r| std::str::from_utf8(r).ok())
                .and_then(|r| r.parse::<u32>().ok());
            if let (true, Some(r)) = (is_hidden, number) {
                extras.hidden_rows.push(r.saturating_sub(1));
            }
        }
        let mut last_open = None;
        for at in merge.find_iter(text) {
            if extras.merges.len() >= max_merges {
                break;
            }
            let Some((open, tag)) = enclosing_tag(text, at) else {
                continue;
            };
            if last_open.replace(open) == Some(open) || local_name(tag) != b"mergeCell" {
                continue;
            }
            if let Some(r) = attr_value(tag, b"ref")
                .and_then(|r| std::str::from_utf8(r).ok())
                .and_then(region)
            {
                extras.merges.push(r);
            }
        }
    })?;
    Ok(extras)
}

/// Where the start tag that byte `at` of `text` stands in opens, and the tag (name and
/// attributes, without `<` and `>`), if `at` stands in one: the nearest `<` before it opens
/// the tag, unless a `>` closed it first (then `at` is in text between tags).
fn enclosing_tag(text: &[u8], at: usize) -> Option<(usize, &[u8])> {
    let open = memchr::memrchr(b'<', &text[..at])?;
    let rest = &text[open + 1..];
    if matches!(rest.first(), None | Some(b'/' | b'!' | b'?')) {
        return None;
    }
    let end = memchr::memchr(b'>', rest).unwrap_or(rest.len());
    (open + 1 + end > at).then_some((open, &rest[..end]))
}

/// A tag's local name: its name without a namespace prefix.
fn local_name(tag: &[u8]) -> &[u8] {
    let name_end = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
        .unwrap_or(tag.len());
    let name = &tag[..name_end];
    match memchr::memrchr(b':', name) {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// How many sheets `xl/workbook.xml` lists, counted by the same byte scan before calamine
/// opens the workbook (it does work for every listed sheet, so `sheets_per_workbook` must
/// be checked first). None when the part cannot be read: calamine then says why.
pub fn listed_sheets(bytes: &[u8]) -> Option<usize> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let part = zip.by_name("xl/workbook.xml").ok()?;
    let mut count = 0usize;
    for_each_tag(part, &mut |local, _| {
        if local == b"sheet" {
            count += 1;
        }
    })
    .ok()?;
    Some(count)
}

/// Calls `f` with the local name and the bytes of every start tag of an XML part,
/// streamed a chunk at a time.
fn for_each_tag(part: impl Read, f: &mut dyn FnMut(&[u8], &[u8])) -> std::io::Result<()> {
    for_each_chunk(part, &mut |text| tags_in(text, f))
}

/// Calls `f` with an XML part a run of whole tags at a time (every tag of the part lies
/// whole in one run), streamed. Sound because `<` never occurs unescaped in XML text or
/// attribute values: every `<` starts a tag, and all before the last `<` of the buffer is
/// complete tags and text.
fn for_each_chunk(mut part: impl Read, f: &mut dyn FnMut(&[u8])) -> std::io::Result<()> {
    const CHUNK: usize = 64 * 1024;
    let mut chunk = vec![0u8; CHUNK];
    let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    loop {
        let n = part.read(&mut chunk)?;
        buf.extend_from_slice(&chunk[..n]);
        let upto = if n == 0 {
            buf.len()
        } else {
            match memchr::memrchr(b'<', &buf) {
                Some(last) => last,
                // No tag starts here at all: nothing to keep.
                None => {
                    buf.clear();
                    continue;
                }
            }
        };
        f(&buf[..upto]);
        buf.drain(..upto);
        if n == 0 {
            return Ok(());
        }
    }
}

/// The start tags among complete ones, with their local names.
fn tags_in(text: &[u8], f: &mut dyn FnMut(&[u8], &[u8])) {
    for at in memchr::memchr_iter(b'<', text) {
        let rest = &text[at + 1..];
        // End tags, comments and declarations go by on their first byte.
        if matches!(rest.first(), None | Some(b'/' | b'!' | b'?')) {
            continue;
        }
        let end = memchr::memchr(b'>', rest).unwrap_or(rest.len());
        let tag = &rest[..end];
        f(local_name(tag), tag);
    }
}

/// The raw value of attribute `name` in a tag's bytes (name and attributes, without `<`
/// and `>`): `name` must stand after whitespace and be followed by `=` and a quote.
fn attr_value<'t>(tag: &'t [u8], name: &[u8]) -> Option<&'t [u8]> {
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&tag[from..], name) {
        let at = from + found;
        from = at + name.len();
        let before_ok = at > 0 && tag[at - 1].is_ascii_whitespace();
        let mut i = at + name.len();
        while tag.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        if !before_ok || tag.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while tag.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let quote = match tag.get(i) {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => continue,
        };
        let value = &tag[i + 1..];
        let close = memchr::memchr(quote, value)?;
        return Some(&value[..close]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_references_read_as_calamine_counts_them() {
        let r = |s, e| Some(Region { start: s, end: e });
        assert_eq!(region("A1:B2"), r((0, 0), (1, 1)));
        assert_eq!(region("c3"), r((2, 2), (2, 2)));
        assert_eq!(region("AA10:Z1"), r((0, 25), (9, 26)));
        assert_eq!(region("XFD1048576"), r((1048575, 16383), (1048575, 16383)));
        assert_eq!(region("A0"), None);
        assert_eq!(region("1A"), None);
        assert_eq!(region("ABCD1"), None);
        assert_eq!(region(""), None);
    }

    #[test]
    fn hidden_rows_and_merges_are_found_by_their_tags_across_chunk_ends() {
        let mut xml = String::from(r#"<worksheet xmlns:x="s"><sheetData>"#);
        for r in 1..=40_000 {
            let hidden = if r % 1000 == 0 { r#" hidden="1""# } else { "" };
            xml.push_str(&format!(
                r#"<row r="{r}"{hidden} spans="1:2"><c r="A{r}" t="inlineStr"><is><t>row hidden="1" &lt;mergeCell ref="A1:B2"/&gt;</t></is></c></row>"#
            ));
        }
        xml.push_str(r#"<x:row r="40001" hidden='true'/>"#);
        // Only the row tag's own attribute counts, once: not a cell's type, not a word
        // in a value, not a prefixed twin.
        xml.push_str(r#"<row r="40002" hidden="1" x:hidden="1"><c r="A40002" t="hidden"><v>hidden</v></c></row>"#);
        xml.push_str(r#"<row r="40003" customHidden="1"><c r="A40003"/></row></sheetData>"#);
        xml.push_str(r#"<mergeCells count="2"><mergeCell ref="A1:B2"/><x:mergeCell  ref = "C3:D9"/></mergeCells></worksheet>"#);
        let extras = scan_sheet(xml.as_bytes(), 10).unwrap();
        let expected: Vec<u32> = (1..=40)
            .map(|k| k * 1000 - 1)
            .chain([40_000, 40_001])
            .collect();
        assert_eq!(extras.hidden_rows, expected);
        assert_eq!(
            extras.merges,
            [region("A1:B2").unwrap(), region("C3:D9").unwrap()]
        );
        assert_eq!(scan_sheet(xml.as_bytes(), 1).unwrap().merges.len(), 1);
    }
}
