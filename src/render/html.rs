//! The HTML backend: the document's Markdown rendered with pulldown-cmark into the HTML
//! layout template, charts inlined as SVG, page-break markers turned into print breaks.

use super::pieces::Events;
use pulldown_cmark::{CowStr, Event, Options, Tag, TagEnd, html};
use std::collections::VecDeque;

/// The marker a template writes where a printed document should start a new page.
pub const PAGE_BREAK: &str = "<!-- pagebreak -->";

/// Markdown features the documents use.
pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders Markdown to an HTML fragment; `charts` maps a chart file name to its SVG.
/// The events stream from the parser (read a piece at a time, [`Events`]) into the
/// writer: neither the parser's tree nor the events of the whole document are held.
pub fn body(markdown: &str, charts: &[(&str, String)]) -> String {
    let mut source = Events::new(markdown);
    let mut queue: VecDeque<Event<'_>> = VecDeque::new();
    let mut in_image: Option<String> = None;
    let mut in_cell = false;
    let events = std::iter::from_fn(move || {
        loop {
            if let Some(event) = queue.pop_front() {
                return Some(event);
            }
            let event = source.next()?;
            match event {
                Event::Start(Tag::Image { ref dest_url, .. })
                    if charts.iter().any(|(n, _)| *n == dest_url.as_ref()) =>
                {
                    in_image = Some(dest_url.to_string());
                }
                Event::End(TagEnd::Image) if in_image.is_some() => {
                    let name = in_image.take().unwrap_or_default();
                    if let Some((_, svg)) = charts.iter().find(|(n, _)| *n == name) {
                        queue.push_back(Event::Html(CowStr::from(format!(
                            "<figure class=\"chart\">{svg}</figure>"
                        ))));
                    }
                }
                _ if in_image.is_some() => {}
                Event::Html(ref h) | Event::InlineHtml(ref h) if h.trim() == PAGE_BREAK => {
                    queue.push_back(Event::Html(CowStr::from(
                        "<div class=\"page-break\"></div>\n",
                    )));
                }
                Event::Start(Tag::Table(_)) => {
                    queue.push_back(Event::Html(CowStr::from("<div class=\"table-wrap\">")));
                    queue.push_back(event);
                }
                Event::End(TagEnd::Table) => {
                    queue.push_back(event);
                    queue.push_back(Event::Html(CowStr::from("</div>\n")));
                }
                Event::Text(ref t) if in_cell && is_date(t) => {
                    queue.push_back(Event::InlineHtml(CowStr::from(format!(
                        "<span class=\"nowrap\">{t}</span>"
                    ))));
                }
                Event::Start(Tag::TableCell) => {
                    in_cell = true;
                    queue.push_back(event);
                }
                Event::End(TagEnd::TableCell) => {
                    in_cell = false;
                    queue.push_back(event);
                }
                other => queue.push_back(other),
            }
        }
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// A YYYY-MM-DD date, kept on one line in table cells.
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}
