//! The document's Markdown (the same text the `.md` output holds) as a small tree of
//! blocks the PDF layout understands: headings, paragraphs, lists, quotes, tables,
//! charts and page breaks.

use crate::render::html::PAGE_BREAK;
use crate::render::pieces::Events;
use pulldown_cmark::{Alignment, Event, Tag, TagEnd};
use std::collections::VecDeque;

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The text; `\n` is a hard line break.
    pub text: String,
    pub bold: bool,
    /// The target of an in-document link (`#set-1` → `set-1`).
    pub anchor: Option<String>,
}

/// How a table column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A block of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading {
        level: u8,
        spans: Vec<Span>,
        id: Option<String>,
    },
    Paragraph(Vec<Span>),
    /// List items, each a paragraph of spans; `start` is the first number of an ordered list.
    List {
        start: Option<u64>,
        items: Vec<Vec<Span>>,
    },
    Quote(Vec<Vec<Span>>),
    Rule,
    PageBreak,
    Table {
        align: Vec<Align>,
        header: Vec<Vec<Span>>,
        rows: Vec<Vec<Vec<Span>>>,
    },
    /// A chart, by the file name the Markdown links.
    Chart(String),
}

/// Parses Markdown into blocks; `charts` are the image targets that name charts.
pub fn parse(markdown: &str, charts: &[&str]) -> Vec<Block> {
    Blocks::new(markdown, charts).collect()
}

/// A table being read: alignments, header cells, body rows.
type TableParts = (Vec<Align>, Vec<Vec<Span>>, Vec<Vec<Vec<Span>>>);

/// The blocks of a Markdown text one at a time, as they are read: the PDF is laid out
/// from this, so a document's blocks are never all in memory at once (nor is the
/// parser's tree of the whole text: [`Events`]).
pub struct Blocks<'a> {
    events: Events<'a>,
    charts: &'a [&'a str],
    /// Blocks finished and not yet handed out.
    ready: VecDeque<Block>,
    spans: Vec<Span>,
    bold: usize,
    anchor: Option<String>,
    heading: Option<(u8, Option<String>)>,
    list: Option<(Option<u64>, Vec<Vec<Span>>)>,
    quote: Option<Vec<Vec<Span>>>,
    table: Option<TableParts>,
    row: Vec<Vec<Span>>,
    in_image: bool,
}

impl<'a> Blocks<'a> {
    /// The blocks of `markdown`; `charts` are the image targets that name charts.
    pub fn new(markdown: &'a str, charts: &'a [&'a str]) -> Blocks<'a> {
        Blocks {
            events: Events::new(markdown),
            charts,
            ready: VecDeque::new(),
            spans: Vec::new(),
            bold: 0,
            anchor: None,
            heading: None,
            list: None,
            quote: None,
            table: None,
            row: Vec::new(),
            in_image: false,
        }
    }

    fn step(&mut self, event: Event<'_>) {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                self.in_image = true;
                if self.charts.contains(&dest_url.as_ref()) {
                    self.ready.push_back(Block::Chart(dest_url.to_string()));
                }
            }
            Event::End(TagEnd::Image) => self.in_image = false,
            _ if self.in_image => {}
            Event::Start(Tag::Heading { level, id, .. }) => {
                self.heading = Some((level as u8, id.map(|i| i.to_string())));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, id)) = self.heading.take() {
                    self.ready.push_back(Block::Heading {
                        level,
                        spans: std::mem::take(&mut self.spans),
                        id,
                    });
                }
            }
            Event::Start(Tag::List(start)) => self.list = Some((start, Vec::new())),
            Event::End(TagEnd::List(_)) => {
                if let Some((start, items)) = self.list.take() {
                    self.ready.push_back(Block::List { start, items });
                }
            }
            Event::End(TagEnd::Item) => {
                if let Some((_, items)) = &mut self.list {
                    items.push(std::mem::take(&mut self.spans));
                }
            }
            Event::Start(Tag::BlockQuote(_)) => self.quote = Some(Vec::new()),
            Event::End(TagEnd::BlockQuote(_)) => {
                if let Some(q) = self.quote.take() {
                    self.ready.push_back(Block::Quote(q));
                }
            }
            Event::End(TagEnd::Paragraph) => {
                let p = std::mem::take(&mut self.spans);
                if let Some(q) = &mut self.quote {
                    q.push(p);
                } else if let Some((_, items)) = &mut self.list {
                    // A loose list item: keep its paragraphs together.
                    if !p.is_empty() {
                        items.push(p);
                    }
                } else if !p.is_empty() {
                    self.ready.push_back(Block::Paragraph(p));
                }
            }
            Event::Start(Tag::Table(aligns)) => {
                let align = aligns
                    .iter()
                    .map(|a| match a {
                        Alignment::Right => Align::Right,
                        Alignment::Center => Align::Center,
                        _ => Align::Left,
                    })
                    .collect();
                self.table = Some((align, Vec::new(), Vec::new()));
            }
            Event::End(TagEnd::TableHead) => {
                if let Some((_, header, _)) = &mut self.table {
                    *header = std::mem::take(&mut self.row);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some((_, _, rows)) = &mut self.table {
                    rows.push(std::mem::take(&mut self.row));
                }
            }
            Event::End(TagEnd::TableCell) => self.row.push(std::mem::take(&mut self.spans)),
            Event::End(TagEnd::Table) => {
                if let Some((align, header, rows)) = self.table.take() {
                    self.ready.push_back(Block::Table {
                        align,
                        header,
                        rows,
                    });
                }
            }
            Event::Start(Tag::Strong) => self.bold += 1,
            Event::End(TagEnd::Strong) => self.bold = self.bold.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => {
                self.anchor = dest_url.strip_prefix('#').map(str::to_string);
            }
            Event::End(TagEnd::Link) => self.anchor = None,
            Event::Text(t) | Event::Code(t) => {
                push_text(&mut self.spans, &t, self.bold > 0, &self.anchor)
            }
            Event::SoftBreak | Event::HardBreak => {
                push_text(&mut self.spans, "\n", self.bold > 0, &self.anchor)
            }
            Event::InlineHtml(h) if h.trim().eq_ignore_ascii_case("<br>") => {
                push_text(&mut self.spans, "\n", self.bold > 0, &self.anchor)
            }
            Event::Html(h) if h.trim() == PAGE_BREAK => self.ready.push_back(Block::PageBreak),
            Event::Rule => self.ready.push_back(Block::Rule),
            _ => {}
        }
    }
}

fn push_text(spans: &mut Vec<Span>, text: &str, bold: bool, anchor: &Option<String>) {
    if let Some(last) = spans.last_mut()
        && last.bold == bold
        && last.anchor == *anchor
    {
        last.text.push_str(text);
        return;
    }
    spans.push(Span {
        text: text.to_string(),
        bold,
        anchor: anchor.clone(),
    });
}

impl Iterator for Blocks<'_> {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        loop {
            if let Some(block) = self.ready.pop_front() {
                return Some(block);
            }
            let event = self.events.next()?;
            self.step(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(spans: &[Span]) -> String {
        spans.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn markdown_becomes_blocks() {
        let md = "# 标题 {#top}\n\n正文 **加粗**\n\n![图](chart.svg)\n\n<!-- pagebreak -->\n\n\
                  | a | b |\n|:--|--:|\n| 1\\|2 | x<br>y |\n\n1. [甲](#set-1)\n2. 乙\n";
        let blocks = parse(md, &["chart.svg"]);
        assert!(matches!(&blocks[0], Block::Heading { level: 1, id: Some(id), .. } if id == "top"));
        let Block::Paragraph(p) = &blocks[1] else {
            panic!()
        };
        assert_eq!(p.len(), 2);
        assert!(p[1].bold);
        assert_eq!(blocks[2], Block::Chart("chart.svg".into()));
        assert_eq!(blocks[3], Block::PageBreak);
        let Block::Table {
            align,
            header,
            rows,
        } = &blocks[4]
        else {
            panic!()
        };
        assert_eq!(align, &[Align::Left, Align::Right]);
        assert_eq!(plain(&header[1]), "b");
        assert_eq!(plain(&rows[0][0]), "1|2");
        assert_eq!(plain(&rows[0][1]), "x\ny");
        let Block::List { start, items } = &blocks[5] else {
            panic!()
        };
        assert_eq!(*start, Some(1));
        assert_eq!(items[0][0].anchor.as_deref(), Some("set-1"));
    }
}
