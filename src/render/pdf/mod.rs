//! The PDF backend: the same Markdown each document's template produces, laid out by a
//! small engine of our own (CJK line breaking, tables that fit the page with repeated
//! headers, running header and footer, bookmarks, a table of contents with page numbers)
//! and written page by page by our own PDF writer, with only the glyphs used embedded.

pub mod archive;
pub mod blocks;
pub mod font;
pub mod layout;
pub mod official;
pub mod out;
pub mod tag;
pub mod text;
pub mod write;

use crate::render::charts::Chart;
use blocks::{Block, Blocks, Span};
use font::{Faces, Font, FontError};
use layout::{Draw, Official, PageSetup, Paged};
use std::collections::{BTreeSet, HashMap};
use text::Metrics;
use write::Used;

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
    /// The document language (`zh-CN`), for screen readers and the archive.
    pub lang: &'a str,
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

/// Replaces characters the font of their face cannot draw in a block, collecting them:
/// in the official style a heading is drawn in the font of its level.
fn substitute_in(
    block: &mut Block,
    faces: &Faces<'_>,
    official: bool,
    missing: &mut BTreeSet<char>,
) {
    let font = match block {
        Block::Heading { level, .. } if official => match level {
            1 => faces.title,
            2 => faces.heading,
            3 => faces.subheading,
            _ => faces.body,
        },
        _ => faces.body,
    };
    substitute(block, font, missing);
}

/// Replaces characters the font cannot draw in a block, collecting them.
fn substitute(block: &mut Block, font: &Font, missing: &mut BTreeSet<char>) {
    let mut fix = |spans: &mut Vec<Span>| {
        for s in spans.iter_mut() {
            s.text = visible(&s.text, font, missing);
        }
    };
    match block {
        Block::Heading { spans, .. } | Block::Paragraph(spans) => fix(spans),
        Block::List { items, .. } | Block::Quote(items) => items.iter_mut().for_each(&mut fix),
        Block::Table { header, rows, .. } => {
            header.iter_mut().for_each(&mut fix);
            rows.iter_mut().flatten().for_each(&mut fix);
        }
        Block::Rule | Block::PageBreak | Block::Chart(_) => {}
    }
}

/// The size of the running header and the page footer, in points.
const HEADER_SIZE: f32 = 8.0;

/// The running header and the page footer, drawn on each page as it is written: all
/// they need (the page count, the sections' pages) is known after the first pass. An
/// official document has neither: only its page numbers.
struct Decor<'a> {
    setup: PageSetup,
    font: &'a Font,
    official: bool,
    header_left: String,
    header_right: String,
    page_of: String,
    total: usize,
    /// Level-2 headings (page, title) in document order: the section each page belongs to.
    sections: Vec<(usize, &'a str)>,
}

impl<'a> Decor<'a> {
    fn new(
        setup: PageSetup,
        font: &'a Font,
        opts: &PdfOptions<'_>,
        paged: &'a Paged,
        official: bool,
        missing: &mut BTreeSet<char>,
    ) -> Decor<'a> {
        let shown = |text: &str, missing: &mut BTreeSet<char>| {
            if official {
                String::new()
            } else {
                visible(text, font, missing)
            }
        };
        // Cut once to the line it is drawn on: it is laid out again on every page.
        let header_left = text::fit_line(
            &shown(opts.header_left, missing),
            setup.right() - setup.margin_x,
            HEADER_SIZE,
            font,
        );
        Decor {
            setup,
            font,
            official,
            // An official document draws neither: its characters are not looked for.
            header_left,
            header_right: shown(opts.header_right, missing),
            page_of: shown(opts.page_of, missing),
            total: paged.pages,
            sections: paged
                .marks
                .iter()
                .filter(|m| m.level == 2)
                .map(|m| (m.page, m.title.as_str()))
                .collect(),
        }
    }

    /// The section a page belongs to joins the header, so a task sheet that runs over
    /// pages still says whose it is: the first level-2 heading on the page, else the one
    /// in force.
    fn section(&self, page: usize) -> Option<&str> {
        let i = self.sections.partition_point(|(p, _)| *p < page);
        match self.sections.get(i) {
            Some((p, title)) if *p == page => Some(title),
            _ => i.checked_sub(1).map(|i| self.sections[i].1),
        }
    }

    /// The header and footer of page `page` (1-based).
    fn draws(&self, page: usize) -> Vec<Draw> {
        let m: &dyn Metrics = self.font;
        if self.official {
            return official::page_number(page, &self.setup, m).to_vec();
        }
        let size = HEADER_SIZE;
        let width = |t: &str| t.chars().map(|c| m.advance(c, false)).sum::<f32>() * size;
        let setup = self.setup;
        let top = setup.margin_top * 0.55;
        let right = setup.right();
        let left = match self.section(page) {
            Some(section) => format!(
                "{} · {}",
                self.header_left,
                crate::render::shorten(section, 24)
            ),
            None => self.header_left.clone(),
        };
        // Spaced like the section's heading (国务院 15 条).
        let left = text::label(&left, m);
        let footer = self
            .page_of
            .replace("{n}", &page.to_string())
            .replace("{m}", &self.total.to_string());
        vec![
            Draw::Text {
                x: setup.margin_x,
                y: top,
                size,
                bold: false,
                text: left,
            },
            Draw::Text {
                x: right - width(&self.header_right),
                y: top,
                size,
                bold: false,
                text: self.header_right.clone(),
            },
            Draw::Line {
                x1: setup.margin_x,
                y1: top + 4.0,
                x2: right,
                y2: top + 4.0,
                width: 0.6,
            },
            Draw::Text {
                x: (setup.width - width(&footer)) / 2.0,
                y: setup.height - setup.margin_bottom * 0.45,
                size,
                bold: false,
                text: footer,
            },
        ]
    }
}

/// Lays out and writes one document in two passes. The first paginates without keeping
/// any page: it finds the page of every heading (for the contents and the bookmarks), the
/// page count (for the footers) and the characters drawn (for the font subset). The
/// second lays out again, with the contents' page numbers, and writes each page as soon
/// as it is full. Memory depends on one page and the document's blocks, not on the page
/// count.
pub fn render(
    markdown: &str,
    charts: &[(&str, Chart)],
    font: &Font,
    opts: &PdfOptions<'_>,
) -> Result<Pdf, FontError> {
    let mut bytes = Vec::new();
    let missing = render_to(markdown, charts, font, opts, &mut bytes)?;
    Ok(Pdf { bytes, missing })
}

/// [`render`] into any writer (a build's file, written page by page): the PDF is never
/// held whole. Returns the characters the font lacks.
pub fn render_to(
    markdown: &str,
    charts: &[(&str, Chart)],
    font: &Font,
    opts: &PdfOptions<'_>,
    out: &mut dyn std::io::Write,
) -> Result<BTreeSet<char>, FontError> {
    typeset(markdown, charts, &Faces::single(font), false, opts, out)
}

/// [`render_to`] in the official style of GB/T 9704-2012 (党政机关公文格式), for a report
/// an office files as it files its documents: A4 with the standard's body area, 3号 body
/// text on its grid of 22 lines of 28 characters, the title in 2号, headings numbered
/// 一、（一）1.（1） in the faces of their level, page numbers `— 1 —` at the outer
/// corner. `opts.paper` and `opts.landscape` do not apply; there is no running header.
pub fn render_official_to(
    markdown: &str,
    charts: &[(&str, Chart)],
    faces: &Faces<'_>,
    opts: &PdfOptions<'_>,
    out: &mut dyn std::io::Write,
) -> Result<BTreeSet<char>, FontError> {
    typeset(markdown, charts, faces, true, opts, out)
}

fn typeset(
    markdown: &str,
    charts: &[(&str, Chart)],
    faces: &Faces<'_>,
    official: bool,
    opts: &PdfOptions<'_>,
    out: &mut dyn std::io::Write,
) -> Result<BTreeSet<char>, FontError> {
    let font = faces.body;
    let names: Vec<&str> = charts.iter().map(|(n, _)| *n).collect();
    // The Markdown is read in each pass, a block at a time: never all blocks at once.
    let mut missing = BTreeSet::new();
    let setup = if official {
        PageSetup::official()
    } else {
        let (w, h) = opts.paper.mm();
        PageSetup::from_mm(w, h, opts.landscape)
    };
    let metrics = Official {
        body: faces.body,
        title: faces.title,
        heading: faces.heading,
        subheading: faces.subheading,
        title_bold: faces.title_bold,
    };
    let lay = |blocks: &mut dyn Iterator<Item = Block>,
               toc: &HashMap<String, usize>,
               sink: &mut dyn FnMut(Vec<Draw>)| {
        if official {
            layout::layout_official(blocks, charts, &metrics, toc, sink)
        } else {
            layout::layout_into(blocks, charts, setup, font, toc, sink)
        }
    };

    let mut used = Used::default();
    let mut blocks = Blocks::new(markdown, &names).map(|mut b| {
        substitute_in(&mut b, faces, official, &mut missing);
        b
    });
    let paged = lay(&mut blocks, &HashMap::new(), &mut |page| {
        used.add_draws(&page, faces)
    });
    drop(blocks);
    let decor = Decor::new(setup, font, opts, &paged, official, &mut missing);
    for page in 1..=paged.pages {
        used.add_draws(&decor.draws(page), faces);
    }
    // The first pass printed no page numbers in the contents; the second prints these.
    for page in paged.anchors.values() {
        used.add_str(&page.to_string());
    }
    let subsets = used.subsets(faces)?;
    drop(used);

    let fail = |e: std::io::Error| FontError::Write(e.to_string());
    let mut writer = write::PdfWriter::start(out, setup, *faces, subsets).map_err(fail)?;
    let mut result = Ok(());
    let mut page = 0;
    let mut blocks = Blocks::new(markdown, &names).map(|mut b| {
        // The same characters as in the first pass, already collected.
        substitute_in(&mut b, faces, official, &mut BTreeSet::new());
        b
    });
    lay(&mut blocks, &paged.anchors, &mut |mut draws| {
        page += 1;
        if result.is_ok() {
            // The running header and footer are page furniture, not content.
            draws.push(Draw::Tag(layout::Tag::Pagination));
            draws.extend(decor.draws(page));
            result = writer.page(&draws);
        }
    });
    result.map_err(fail)?;
    let meta = write::Meta {
        title: opts.title,
        author: opts.author,
        created: opts.created,
        lang: opts.lang,
    };
    writer.finish(&paged.marks, &meta).map_err(fail)?;
    Ok(missing)
}
