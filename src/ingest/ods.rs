//! Merged regions and hidden rows of an OpenDocument spreadsheet. calamine reads ODS cell
//! values but neither their spans nor row visibility, so both are read here from
//! `content.xml`.

use super::grid::Region;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// What calamine does not tell about an ODS sheet.
#[derive(Debug, Clone, Default)]
pub struct OdsSheet {
    pub merges: Vec<Region>,
    /// 0-based rows hidden (collapsed or filtered) in the spreadsheet.
    pub hidden_rows: Vec<u32>,
}

/// Merged regions and hidden rows per sheet name. Any problem reading them yields none:
/// the values are still read by calamine, only the spreading of merged values is lost.
pub fn sheets(bytes: &[u8]) -> HashMap<String, OdsSheet> {
    read(bytes).unwrap_or_default()
}

fn attr_u32(e: &BytesStart<'_>, name: &str) -> Option<u32> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.value.parse().ok())
}

fn read(bytes: &[u8]) -> Option<HashMap<String, OdsSheet>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut xml = String::new();
    zip.by_name("content.xml")
        .ok()?
        .read_to_string(&mut xml)
        .ok()?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out: HashMap<String, OdsSheet> = HashMap::new();
    let mut sheet = String::new();
    let (mut row, mut col) = (0u32, 0u32);
    let mut row_repeat = 1u32;
    loop {
        let event = reader.read_event().ok()?;
        let (e, is_empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(row_repeat);
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.name().as_ref() {
            "table:table" => {
                sheet = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == "table:name")
                    .and_then(|a| {
                        quick_xml::escape::unescape(&a.value)
                            .ok()
                            .map(|v| v.into_owned())
                    })
                    .unwrap_or_default();
                row = 0;
            }
            "table:table-row" => {
                col = 0;
                row_repeat = attr_u32(e, "table:number-rows-repeated").unwrap_or(1);
                let hidden = e
                    .attributes()
                    .flatten()
                    .any(|a| a.key.as_ref() == "table:visibility" && a.value.as_ref() != "visible");
                if hidden {
                    // Repeated hidden rows past the data (to the sheet's end) say nothing.
                    let shown = row_repeat.min(1000);
                    let rows = &mut out.entry(sheet.clone()).or_default().hidden_rows;
                    rows.extend(row..row.saturating_add(shown));
                }
                if is_empty {
                    row = row.saturating_add(row_repeat);
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                // A span of 0 is malformed; read it as 1. Grid clips regions to the data.
                let cols = attr_u32(e, "table:number-columns-spanned")
                    .unwrap_or(1)
                    .max(1);
                let rows = attr_u32(e, "table:number-rows-spanned").unwrap_or(1).max(1);
                if (cols > 1 || rows > 1) && e.name().as_ref() == "table:table-cell" {
                    out.entry(sheet.clone()).or_default().merges.push(Region {
                        start: (row, col),
                        end: (row.saturating_add(rows - 1), col.saturating_add(cols - 1)),
                    });
                }
                let repeat = attr_u32(e, "table:number-columns-repeated").unwrap_or(1);
                col = col.saturating_add(repeat);
            }
            _ => {}
        }
    }
    Some(out)
}
