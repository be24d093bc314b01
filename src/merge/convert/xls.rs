use super::*;
use crate::ingest::xls_bounds::{Records, sheet_records, u16_at, u32_at};

fn f64_at(data: &[u8], at: usize) -> Option<f64> {
    let b = data.get(at..at + 8)?;
    let v = f64::from_le_bytes(b.try_into().ok()?);
    v.is_finite().then_some(v)
}

/// The layout of every sheet of the Workbook stream, in BOUNDSHEET order (calamine's
/// order); `None` for a file this cannot read (not BIFF8, no Workbook stream).
pub(super) fn layouts(bytes: &[u8], limits: &Limits) -> Option<Vec<Layout>> {
    let mut cfb = cfb::CompoundFile::open(Cursor::new(bytes)).ok()?;
    let mut stream = cfb
        .open_stream("/Workbook")
        .or_else(|_| cfb.open_stream("/Book"))
        .ok()?;
    let mut data = Vec::new();
    stream
        .by_ref()
        .take(limits.input_bytes)
        .read_to_end(&mut data)
        .ok()?;
    let mut positions = Vec::new();
    let mut names: Vec<(usize, u8, Vec<u8>)> = Vec::new();
    for (i, (typ, body)) in Records::new(&data).enumerate() {
        match typ {
            // BOF: only BIFF8 is read here.
            0x0809 if i == 0 && u16_at(body, 0)? != 0x0600 => return None,
            0x0085 => {
                positions.push(u32_at(body, 0)? as usize);
                if positions.len() > limits.sheets_per_workbook {
                    return None;
                }
            }
            0x0018 => {
                if let Some(name) = builtin_name(body) {
                    names.push(name);
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut out: Vec<Layout> = positions
        .iter()
        .map(|pos| data.get(*pos..).map(sheet_layout).unwrap_or_default())
        .collect();
    for (sheet, which, rgce) in names {
        let Some(layout) = sheet.checked_sub(1).and_then(|i| out.get_mut(i)) else {
            continue;
        };
        let areas = areas(&rgce);
        match which {
            // Print_Area: the first area.
            0x06 => {
                layout.print.area = areas.first().copied();
            }
            // Print_Titles: the area spanning every column is the rows repeated.
            0x07 => {
                if let Some((r0, _, r1, _)) =
                    areas.iter().find(|(_, c0, _, c1)| *c0 == 0 && *c1 >= 255)
                {
                    layout.print.repeat_rows = Some((*r0, *r1));
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// A built-in defined name (Lbl record): the sheet it belongs to (1-based), its
/// built-in code, and its formula tokens.
fn builtin_name(body: &[u8]) -> Option<(usize, u8, Vec<u8>)> {
    let flags = u16_at(body, 0)?;
    if flags & 0x0020 == 0 {
        return None;
    }
    let cch = usize::from(*body.get(3)?);
    let cce = u16_at(body, 4)? as usize;
    let itab = u16_at(body, 8)? as usize;
    let high = body.get(14)? & 1 == 1;
    let code = *body.get(15)?;
    let start = 15 + cch * if high { 2 } else { 1 };
    let rgce = body.get(start..start + cce)?.to_vec();
    Some((itab, code, rgce))
}

/// The PtgArea3d areas of a name's formula (first row, first column, last row, last
/// column), through PtgMemFunc and union tokens.
fn areas(rgce: &[u8]) -> Vec<(u32, u32, u32, u32)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(ptg) = rgce.get(i) {
        match ptg {
            0x29 | 0x49 | 0x69 => i += 3,
            0x10 => i += 1,
            0x3B | 0x5B | 0x7B => {
                let (Some(r0), Some(r1), Some(c0), Some(c1)) = (
                    u16_at(rgce, i + 3),
                    u16_at(rgce, i + 5),
                    u16_at(rgce, i + 7),
                    u16_at(rgce, i + 9),
                ) else {
                    break;
                };
                out.push((r0, c0 & 0x3FFF, r1, c1 & 0x3FFF));
                i += 11;
            }
            _ => break,
        }
    }
    out
}

/// A BIFF8 `XLUnicodeString` (16-bit count, flags, characters).
fn unicode_string(body: &[u8]) -> Option<String> {
    let cch = u16_at(body, 0)? as usize;
    let high = body.get(2)? & 1 == 1;
    if high {
        let units: Vec<u16> = body
            .get(3..3 + cch * 2)?
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(
            body.get(3..3 + cch)?
                .iter()
                .map(|b| char::from(*b))
                .collect(),
        )
    }
}

/// One sheet's layout records, up to its EOF (nested substreams skipped).
fn sheet_layout(stream: &[u8]) -> Layout {
    let mut layout = Layout {
        known: true,
        ..Layout::default()
    };
    let (mut fit, mut setup_fit) = (false, None);
    let mut margins = [None; 6];
    let mut frozen = false;
    let mut pane = None;
    for (typ, body) in sheet_records(stream) {
        match typ {
            // DEFCOLWIDTH: characters, without the padding.
            0x0055 => {
                if let Some(chars) = u16_at(body, 0)
                    && chars != 8
                    && chars <= 255
                {
                    layout.default_width = Some(chars * 7 + 5);
                }
            }
            // COLINFO: width in 1/256 of a character, padding included.
            0x007D => {
                if let (Some(a), Some(b), Some(w), Some(flags)) = (
                    u16_at(body, 0),
                    u16_at(body, 2),
                    u16_at(body, 4),
                    u16_at(body, 8),
                ) && a <= b
                    && a <= COL_MAX
                {
                    let b = b.min(COL_MAX);
                    layout
                        .widths
                        .push((a, b, (f64::from(w) * 7.0 / 256.0).round() as u32));
                    if flags & 1 == 1 {
                        layout.hidden_cols.push((a, b));
                    }
                }
            }
            // DEFAULTROWHEIGHT: twips.
            0x0225 => {
                if let Some(twips) = u16_at(body, 2)
                    && twips > 0
                    && twips < 8192
                {
                    layout.default_height = Some(f64::from(twips) / 20.0);
                }
            }
            // ROW: hidden (fDyZero), or its height, custom (fUnsynced) or the one
            // Excel sized it to: an xlsx reader does not size rows itself.
            0x0208 => {
                if let (Some(r), Some(miy), Some(flags)) =
                    (u16_at(body, 0), u16_at(body, 6), u32_at(body, 12))
                {
                    if flags & 0x20 != 0 {
                        layout.hidden_rows.push((r, r));
                    } else if miy & 0x8000 == 0 && miy & 0x7FFF > 0 {
                        layout.heights.push((r, r, f64::from(miy & 0x7FFF) / 20.0));
                    }
                }
            }
            // HORIZONTALPAGEBREAKS and VERTICALPAGEBREAKS: count, then (where,
            // from, to) triples.
            0x001B | 0x001A => {
                let count = u16_at(body, 0).unwrap_or(0) as usize;
                for k in 0..count.min(1026) {
                    if let Some(at) = u16_at(body, 2 + k * 6) {
                        if typ == 0x001B {
                            layout.row_breaks.push(at);
                        } else {
                            layout.col_breaks.push(at);
                        }
                    }
                }
            }
            // WSBOOL: fit to pages.
            0x0081 => fit = u16_at(body, 0).is_some_and(|v| v & 0x0100 != 0),
            // SETUP.
            0x00A1 => {
                let (Some(paper), Some(scale), Some(fw), Some(fh), Some(flags)) = (
                    u16_at(body, 0),
                    u16_at(body, 2),
                    u16_at(body, 6),
                    u16_at(body, 8),
                    u16_at(body, 10),
                ) else {
                    continue;
                };
                setup_fit = Some((fw as u16, fh as u16));
                // fNoPls: the printer fields are undefined.
                if flags & 0x04 == 0 {
                    if (1..=41).contains(&paper) {
                        layout.print.paper = Some(paper as u8);
                    }
                    layout.print.scale = Some(scale as u16);
                    if flags & 0x40 == 0 {
                        layout.print.landscape = Some(flags & 0x02 == 0);
                    }
                }
                margins[4] = f64_at(body, 16);
                margins[5] = f64_at(body, 24);
            }
            0x0026..=0x0029 => margins[(typ - 0x0026) as usize] = f64_at(body, 0),
            0x0083 => layout.print.center_h = u16_at(body, 0).is_some_and(|v| v != 0),
            0x0084 => layout.print.center_v = u16_at(body, 0).is_some_and(|v| v != 0),
            0x002B => layout.print.gridlines = u16_at(body, 0).is_some_and(|v| v != 0),
            0x0014 | 0x0015 => {
                let text = unicode_string(body).filter(|t| !t.is_empty() && t.len() <= 255);
                if typ == 0x0014 {
                    layout.header = text;
                } else {
                    layout.footer = text;
                }
            }
            // WINDOW2: frozen panes.
            0x023E => frozen = u16_at(body, 0).is_some_and(|v| v & 0x0008 != 0),
            // PANE: the columns and rows frozen.
            0x0041 => pane = u16_at(body, 0).zip(u16_at(body, 2)),
            _ => {}
        }
    }
    if fit {
        layout.print.fit = setup_fit;
    }
    if margins.iter().any(Option::is_some) {
        let m = |i: usize, d: f64| margins[i].unwrap_or(d);
        layout.print.margins = Some([
            m(0, 0.75),
            m(1, 0.75),
            m(2, 1.0),
            m(3, 1.0),
            m(4, 0.5),
            m(5, 0.5),
        ]);
    }
    if frozen && let Some((x, y)) = pane {
        layout.freeze = Some((y, x));
    }
    layout
}
