use super::*;

/// A row style: height in points, whether the application sizes it to its
/// content, and whether a page starts before it.
#[derive(Clone, Copy)]
struct RowStyle {
    points: Option<f64>,
    optimal: bool,
    page_break: bool,
}

/// The layout of every `table:table` of content.xml, in order; `None` when the
/// parts cannot be read.
pub(super) fn layouts(bytes: &[u8], limits: &Limits) -> Option<Vec<Layout>> {
    let pages = zip_part(bytes, "styles.xml", limits)
        .map(|s| page_layouts(&s))
        .unwrap_or_default();
    let content = zip_part(bytes, "content.xml", limits)?;
    read_content(&content, &pages, limits)
}

/// The print setup of each master page, by name.
fn page_layouts(xml: &str) -> HashMap<String, (Print, bool)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut layouts: HashMap<String, Print> = HashMap::new();
    let mut masters: Vec<(String, String, bool)> = Vec::new();
    let mut current_layout: Option<String> = None;
    let mut current_master: Option<usize> = None;
    loop {
        let (e, empty) = match reader.read_event() {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(e)) => {
                match e.name().as_ref() {
                    "style:page-layout" => current_layout = None,
                    "style:master-page" => current_master = None,
                    _ => {}
                }
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => continue,
        };
        match e.name().as_ref() {
            "style:page-layout" if !empty => {
                current_layout = attr(&e, "style:name");
            }
            "style:page-layout-properties" => {
                if let Some(name) = &current_layout {
                    layouts.insert(name.clone(), page_print(&e));
                }
            }
            "style:master-page" => {
                if let (Some(name), Some(layout)) =
                    (attr(&e, "style:name"), attr(&e, "style:page-layout-name"))
                {
                    masters.push((name, layout, false));
                    current_master = (!empty).then(|| masters.len() - 1);
                }
            }
            "style:header" | "style:footer" | "style:header-left" | "style:footer-left" => {
                let shown = attr(&e, "style:display").as_deref() != Some("false");
                if let Some(i) = current_master
                    && shown
                    && !empty
                {
                    masters[i].2 = true;
                }
            }
            _ => {}
        }
    }
    masters
        .into_iter()
        .filter_map(|(name, layout, headers)| {
            layouts.get(&layout).map(|p| (name, (p.clone(), headers)))
        })
        .collect()
}

fn page_print(e: &BytesStart<'_>) -> Print {
    let mut p = Print::default();
    let inches = |name: &str| attr(e, name).and_then(|v| length_in(&v));
    p.landscape = attr(e, "style:print-orientation").map(|o| o == "landscape");
    if let (Some(w), Some(h)) = (inches("fo:page-width"), inches("fo:page-height")) {
        p.paper = paper_index(w, h);
    }
    let number = |name: &str| attr(e, name).and_then(|v| v.trim().parse::<u16>().ok());
    if let (Some(x), Some(y)) = (number("style:scale-to-X"), number("style:scale-to-Y")) {
        p.fit = Some((x, y));
    } else if let Some(n) = number("style:scale-to-pages") {
        if n == 1 {
            p.fit = Some((1, 1));
        } else {
            // Excel fits to pages wide and tall, not to a page count.
            p.scale = Some(0);
        }
    } else if let Some(s) = attr(e, "style:scale-to") {
        p.scale = s
            .trim()
            .trim_end_matches('%')
            .parse::<f64>()
            .ok()
            .map(|v| v.round() as u16);
    }
    let margins = [
        inches("fo:margin-left"),
        inches("fo:margin-right"),
        inches("fo:margin-top"),
        inches("fo:margin-bottom"),
    ];
    if margins.iter().any(|m| m.is_some()) {
        let m = |i: usize| margins[i].unwrap_or(0.75);
        p.margins = Some([m(0), m(1), m(2), m(3), 0.3, 0.3]);
    }
    if let Some(c) = attr(e, "style:table-centering") {
        p.center_h = c == "horizontal" || c == "both";
        p.center_v = c == "vertical" || c == "both";
    }
    p.gridlines = attr(e, "style:print").is_some_and(|v| v.split_whitespace().any(|w| w == "grid"));
    p
}

fn read_content(
    xml: &str,
    pages: &HashMap<String, (Print, bool)>,
    limits: &Limits,
) -> Option<Vec<Layout>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut col_px: HashMap<String, u32> = HashMap::new();
    let mut col_break: HashMap<String, bool> = HashMap::new();
    let mut rows: HashMap<String, RowStyle> = HashMap::new();
    let mut table_master: HashMap<String, String> = HashMap::new();
    // The style being read: name and family.
    let mut style: Option<(String, String)> = None;
    let mut out: Vec<Layout> = Vec::new();
    let mut layout = Layout::default();
    let mut depth = 0usize;
    let (mut row, mut col) = (0u64, 0u64);
    let mut row_repeat = 1u64;
    let mut header_start: Option<u64> = None;
    let clip = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    loop {
        let (e, empty) = match reader.read_event() {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(e)) => {
                match e.name().as_ref() {
                    "style:style" => style = None,
                    "table:table" => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            out.push(std::mem::take(&mut layout));
                        }
                    }
                    "table:table-row" if depth == 1 => {
                        row = row.saturating_add(row_repeat);
                    }
                    "table:table-header-rows" if depth == 1 => {
                        if let Some(start) = header_start.take()
                            && row > start
                        {
                            layout.print.repeat_rows = Some((clip(start), clip(row - 1)));
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Ok(Event::Eof) => break,
            Err(_) => return None,
            _ => continue,
        };
        match e.name().as_ref() {
            "style:style" => {
                let name = attr(&e, "style:name").unwrap_or_default();
                let family = attr(&e, "style:family").unwrap_or_default();
                if family == "table"
                    && let Some(master) = attr(&e, "style:master-page-name")
                {
                    table_master.insert(name.clone(), master);
                }
                style = (!empty).then_some((name, family));
            }
            "style:table-column-properties" => {
                if let Some((name, _)) = &style {
                    if let Some(w) = attr(&e, "style:column-width").and_then(|v| length_in(&v)) {
                        col_px.insert(name.clone(), (w * 96.0).round().max(0.0) as u32);
                    }
                    if attr(&e, "fo:break-before").as_deref() == Some("page") {
                        col_break.insert(name.clone(), true);
                    }
                }
            }
            "style:table-row-properties" => {
                if let Some((name, _)) = &style {
                    rows.insert(
                        name.clone(),
                        RowStyle {
                            points: attr(&e, "style:row-height")
                                .and_then(|v| length_in(&v))
                                .map(|i| i * 72.0),
                            optimal: attr(&e, "style:use-optimal-row-height").as_deref()
                                == Some("true"),
                            page_break: attr(&e, "fo:break-before").as_deref() == Some("page"),
                        },
                    );
                }
            }
            "table:table" => {
                depth += 1;
                if depth > 1 {
                    continue;
                }
                if out.len() >= limits.sheets_per_workbook {
                    return None;
                }
                layout = Layout {
                    known: true,
                    ..Layout::default()
                };
                let master = attr(&e, "table:style-name")
                    .and_then(|s| table_master.get(&s).cloned())
                    .unwrap_or_else(|| "Default".to_string());
                if let Some((print, headers)) = pages.get(&master) {
                    layout.print = print.clone();
                    layout.headers_lost = *headers;
                }
                layout.print.area = attr(&e, "table:print-ranges").and_then(|r| print_range(&r));
                (row, col) = (0, 0);
                row_repeat = 1;
                if empty {
                    depth -= 1;
                    out.push(std::mem::take(&mut layout));
                }
            }
            "table:table-column" if depth == 1 => {
                let repeat = repeat(&e, "table:number-columns-repeated");
                let first = col;
                let last = col.saturating_add(repeat - 1).min(u64::from(COL_MAX));
                col = col.saturating_add(repeat);
                if first > u64::from(COL_MAX) {
                    continue;
                }
                let style = attr(&e, "table:style-name").unwrap_or_default();
                if let Some(px) = col_px.get(&style) {
                    layout.widths.push((clip(first), clip(last), *px));
                }
                if col_break.contains_key(&style) && first > 0 {
                    layout.col_breaks.push(clip(first));
                }
                if attr(&e, "table:visibility").is_some_and(|v| v != "visible") {
                    layout.hidden_cols.push((clip(first), clip(last)));
                }
            }
            "table:table-header-rows" if depth == 1 && !empty => {
                header_start = Some(row);
            }
            "table:table-row" if depth == 1 => {
                row_repeat = repeat(&e, "table:number-rows-repeated");
                let first = row;
                let last = row.saturating_add(row_repeat - 1).min(u64::from(ROW_MAX));
                if first <= u64::from(ROW_MAX) {
                    let style = attr(&e, "table:style-name").unwrap_or_default();
                    if let Some(s) = rows.get(&style) {
                        match (s.points, s.optimal) {
                            (_, true) => layout.fitted_rows.push((clip(first), clip(last))),
                            (Some(points), false) => {
                                layout.heights.push((clip(first), clip(last), points))
                            }
                            (None, false) => {}
                        }
                        if s.page_break && first > 0 {
                            layout.row_breaks.push(clip(first));
                        }
                    }
                    if attr(&e, "table:visibility").is_some_and(|v| v != "visible") {
                        layout.hidden_rows.push((clip(first), clip(last)));
                    }
                }
                if empty {
                    row = row.saturating_add(row_repeat);
                }
            }
            _ => {}
        }
    }
    Some(out)
}

fn repeat(e: &BytesStart<'_>, name: &str) -> u64 {
    attr(e, name)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

/// `Sheet1.A1:Sheet1.H20` or `$Sheet1.$A$1:.$H$20` → (first row, first column,
/// last row, last column); `None` for several ranges or anything else.
fn print_range(text: &str) -> Option<(u32, u32, u32, u32)> {
    let text = text.trim();
    if text.contains(' ') {
        return None;
    }
    let (a, b) = text.split_once(':')?;
    let cell = |p: &str| {
        let bare = p.rsplit('.').next()?.replace('$', "");
        crate::ingest::xlsx_extras::cell_ref(&bare)
    };
    let (s, e) = (cell(a)?, cell(b)?);
    Some((s.0.min(e.0), s.1.min(e.1), s.0.max(e.0), s.1.max(e.1)))
}
