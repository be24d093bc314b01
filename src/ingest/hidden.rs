//! Hidden rows of an xlsx sheet. calamine reads hidden rows like any other but does not say
//! which they are; the office should be told, since a hidden row still counts.

use quick_xml::events::Event;
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// Hidden rows (0-based) per sheet name. Any problem yields no rows: this only feeds an
/// info diagnostic.
pub fn xlsx_hidden_rows(bytes: &[u8]) -> HashMap<String, Vec<u32>> {
    read(bytes).unwrap_or_default()
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            quick_xml::escape::unescape(&a.value)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn file(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<String> {
    let mut text = String::new();
    zip.by_name(name).ok()?.read_to_string(&mut text).ok()?;
    Some(text)
}

fn read(bytes: &[u8]) -> Option<HashMap<String, Vec<u32>>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    // Sheet name → relationship id, then relationship id → part path.
    let mut sheets = Vec::new();
    let workbook = file(&mut zip, "xl/workbook.xml")?;
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
    let rels = file(&mut zip, "xl/_rels/workbook.xml.rels")?;
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
    let mut out = HashMap::new();
    for (name, id) in sheets {
        let Some(path) = targets.get(&id) else {
            continue;
        };
        // Streamed: a sheet part can be hundreds of megabytes.
        let Ok(part) = zip.by_name(path) else {
            continue;
        };
        let mut rows = Vec::new();
        let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.name().as_ref() == "row" => {
                    let hidden = attr(&e, "hidden").is_some_and(|h| h == "1" || h == "true");
                    if let (true, Some(r)) =
                        (hidden, attr(&e, "r").and_then(|r| r.parse::<u32>().ok()))
                    {
                        rows.push(r.saturating_sub(1));
                    }
                }
                Ok(Event::End(e)) if e.name().as_ref() == "sheetData" => break,
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        if !rows.is_empty() {
            out.insert(name, rows);
        }
    }
    Some(out)
}
