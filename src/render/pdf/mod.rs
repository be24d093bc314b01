//! The PDF backend: the same Markdown each document's template produces, laid out by a
//! small engine of our own (CJK line breaking, tables that fit the page with repeated
//! headers, running header and footer, bookmarks, a table of contents with page numbers)
//! and written with printpdf's low-level API, with only the glyphs used embedded.

pub mod blocks;
pub mod font;
pub mod layout;
pub mod text;
pub mod write;

use crate::render::charts::Chart;
use blocks::{Block, Span};
use font::{Font, FontError};
use layout::{Draw, Laid, PageSetup};
use std::collections::{BTreeSet, HashMap};
use text::Metrics;

/// The paper sizes `--paper` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    #[default]
    A4,
    A3,
    Letter,
}

impl Paper {
    /// Width and height in millimetres, portrait.
    pub fn mm(self) -> (f32, f32) {
        match self {
            Paper::A4 => (210.0, 297.0),
            Paper::A3 => (297.0, 420.0),
            Paper::Letter => (215.9, 279.4),
        }
    }
}

/// How a PDF is set.
pub struct PdfOptions<'a> {
    pub paper: Paper,
    pub landscape: bool,
    /// Running header: left (document title and unit) and right (as-of).
    pub header_left: &'a str,
    pub header_right: &'a str,
    /// Footer label with `{n}` and `{m}`: "第 {n} 页 共 {m} 页".
    pub page_of: &'a str,
    pub title: &'a str,
    pub author: &'a str,
    /// The as-of date as seconds since 1970, the document's creation date.
    pub created: i64,
}

/// A PDF and what was worth a warning while making it.
pub struct Pdf {
    pub bytes: Vec<u8>,
    /// Characters the font lacks; each was drawn as □.
    pub missing: BTreeSet<char>,
}

/// What stands in for a character the font lacks: visibly a gap, never a wrong glyph.
pub const MISSING_MARK: char = '□';

/// The text with every character the font cannot draw replaced by □ (and collected).
fn visible(text: &str, font: &Font, missing: &mut BTreeSet<char>) -> String {
    if text.chars().all(|c| c == '\n' || font.glyph(c).is_some()) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\n' => c,
            c if font.glyph(c).is_some() => c,
            c if c.is_control() || c.is_whitespace() => ' ',
            c => {
                missing.insert(c);
                MISSING_MARK
            }
        })
        .collect()
}

/// Replaces characters the font cannot draw, collecting them.
fn substitute(blocks: &mut [Block], font: &Font, missing: &mut BTreeSet<char>) {
    let mut fix = |spans: &mut Vec<Span>| {
        for s in spans.iter_mut() {
            s.text = visible(&s.text, font, missing);
        }
    };
    for b in blocks {
        match b {
            Block::Heading { spans, .. } | Block::Paragraph(spans) => fix(spans),
            Block::List { items, .. } | Block::Quote(items) => items.iter_mut().for_each(&mut fix),
            Block::Table { header, rows, .. } => {
                header.iter_mut().for_each(&mut fix);
                rows.iter_mut().flatten().for_each(&mut fix);
            }
            Block::Rule | Block::PageBreak | Block::Chart(_) => {}
        }
    }
}

/// Draws the running header and the page footer on every page, now that the page count
/// is known.
fn decorate(
    laid: &mut Laid,
    setup: PageSetup,
    font: &Font,
    opts: &PdfOptions<'_>,
) -> BTreeSet<char> {
    let m: &dyn Metrics = font;
    let mut missing = BTreeSet::new();
    let header_left = visible(opts.header_left, font, &mut missing);
    let header_right = visible(opts.header_right, font, &mut missing);
    let page_of = visible(opts.page_of, font, &mut missing);
    let total = laid.pages.len();
    let size = 8.0;
    let width = |t: &str| t.chars().map(|c| m.advance(c, false)).sum::<f32>() * size;
    let top = setup.margin_top * 0.55;
    let right = setup.width - setup.margin_x;
    // The section a page belongs to joins the header, so a task sheet that runs over pages
    // still says whose it is: the first level-2 heading on the page, else the one in force.
    let sections: Vec<Option<String>> = (1..=total)
        .map(|p| {
            let sections = || laid.marks.iter().filter(|m| m.level == 2);
            sections()
                .find(|m| m.page == p)
                .or_else(|| sections().rfind(|m| m.page < p))
                .map(|m| crate::render::shorten(&m.title, 24))
        })
        .collect();
    for (i, page) in laid.pages.iter_mut().enumerate() {
        let left = match &sections[i] {
            Some(section) => format!("{header_left} · {section}"),
            None => header_left.clone(),
        };
        page.push(Draw::Text {
            x: setup.margin_x,
            y: top,
            size,
            bold: false,
            text: left,
        });
        page.push(Draw::Text {
            x: right - width(&header_right),
            y: top,
            size,
            bold: false,
            text: header_right.clone(),
        });
        page.push(Draw::Line {
            x1: setup.margin_x,
            y1: top + 4.0,
            x2: right,
            y2: top + 4.0,
            width: 0.6,
        });
        let footer = page_of
            .replace("{n}", &(i + 1).to_string())
            .replace("{m}", &total.to_string());
        page.push(Draw::Text {
            x: (setup.width - width(&footer)) / 2.0,
            y: setup.height - setup.margin_bottom * 0.45,
            size,
            bold: false,
            text: footer,
        });
    }
    missing
}

/// Lays out and writes one document.
pub fn render(
    markdown: &str,
    charts: &[(&str, Chart)],
    font: &Font,
    opts: &PdfOptions<'_>,
) -> Result<Pdf, FontError> {
    let names: Vec<&str> = charts.iter().map(|(n, _)| *n).collect();
    let mut blocks = blocks::parse(markdown, &names);
    let mut missing = BTreeSet::new();
    substitute(&mut blocks, font, &mut missing);
    let (w, h) = opts.paper.mm();
    let setup = PageSetup::from_mm(w, h, opts.landscape);
    // Two passes: the first finds the page of every heading, the second prints those
    // page numbers in the table of contents. The numbers do not move anything.
    let first = layout::layout(&blocks, charts, setup, font, &HashMap::new());
    let mut laid = if first.anchors.is_empty() {
        first
    } else {
        layout::layout(&blocks, charts, setup, font, &first.anchors)
    };
    missing.extend(decorate(&mut laid, setup, font, opts));
    let meta = write::Meta {
        title: opts.title,
        author: opts.author,
        created: opts.created,
    };
    let bytes = write::write(&laid, setup, font, &meta)?;
    Ok(Pdf { bytes, missing })
}
