//! The document's Markdown (the same text the `.md` output holds) as a small tree of
//! blocks the PDF layout understands: headings, paragraphs, lists, quotes, tables,
//! charts and page breaks.

use crate::render::html::{PAGE_BREAK, options};
use pulldown_cmark::{Alignment, Event, Parser, Tag, TagEnd};
use std::borrow::Cow;
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
/// from this, so a document's blocks are never all in memory at once. The text is given
/// to the parser a piece at a time ([`Pieces`]): pulldown-cmark builds a tree of all it is
/// given before the first event, which for a whole document of 50,000 measures is the
/// largest thing a PDF takes.
pub struct Blocks<'a> {
    pieces: Pieces<'a>,
    /// The piece being read, when it is read lazily (a piece borrowed from the text).
    current: Option<Reading<'a>>,
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

/// A piece's events as they are read, and what of them to leave out.
struct Reading<'a> {
    events: std::iter::Peekable<Parser<'a>>,
    cut: Cut,
}

/// Where a piece was cut from its neighbours inside a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Cut {
    /// The piece goes on with a table the previous piece began: its text starts with that
    /// table's header and delimiter rows again, whose events are left out.
    repeats_head: bool,
    /// The piece stops inside a table the next piece goes on with: its last event (the
    /// end of the table) is left out.
    table_goes_on: bool,
}

impl Cut {
    /// Whether an event belongs to the document; `last` is the piece's last event.
    fn admit(&mut self, event: &Event<'_>, last: bool) -> bool {
        if self.repeats_head {
            if matches!(event, Event::End(TagEnd::TableHead)) {
                self.repeats_head = false;
            }
            return false;
        }
        !(last && self.table_goes_on && matches!(event, Event::End(TagEnd::Table)))
    }
}

impl<'a> Blocks<'a> {
    /// The blocks of `markdown`; `charts` are the image targets that name charts.
    pub fn new(markdown: &'a str, charts: &'a [&'a str]) -> Blocks<'a> {
        Blocks {
            pieces: Pieces::new(markdown),
            current: None,
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
            if let Some(reading) = &mut self.current {
                let Some(event) = reading.events.next() else {
                    self.current = None;
                    continue;
                };
                let last = reading.events.peek().is_none();
                if reading.cut.admit(&event, last) {
                    self.step(event);
                }
                continue;
            }
            let piece = self.pieces.next()?;
            match piece.text {
                Cow::Borrowed(text) => {
                    self.current = Some(Reading {
                        events: Parser::new_ext(text, options()).peekable(),
                        cut: piece.cut,
                    });
                }
                // A piece that repeats a table's head is read at once (it is small).
                Cow::Owned(text) => {
                    let mut cut = piece.cut;
                    let mut events = Parser::new_ext(&text, options()).peekable();
                    while let Some(event) = events.next() {
                        let last = events.peek().is_none();
                        if cut.admit(&event, last) {
                            self.step(event);
                        }
                    }
                }
            }
        }
    }
}

/// About how much Markdown is given to the parser at once.
const PIECE: usize = 64 * 1024;

/// A piece of a Markdown text that reads alone exactly as it reads in place.
struct Piece<'a> {
    text: Cow<'a, str>,
    cut: Cut,
}

/// A Markdown text cut into pieces of about [`PIECE`] bytes, only where a cut cannot
/// change how anything is read:
///
/// - before a line at column 0 that follows a blank line and cannot go on with a list
///   (it does not start with `-`, `+`, `*` or a digit): every block before it has ended;
/// - between two rows of a table (lines starting with `|`) that began at such a line:
///   the next piece repeats the table's header and delimiter rows, whose events are left
///   out again.
///
/// A text that defines link references or footnotes (which are read from anywhere), or
/// holds a code fence or an HTML block that may hold blank lines, is one piece.
struct Pieces<'a> {
    text: &'a str,
    at: usize,
    /// Whether the text may be cut at all.
    cuttable: bool,
    /// The header and delimiter rows of the table the next piece goes on with.
    head: Option<&'a str>,
}

impl<'a> Pieces<'a> {
    fn new(text: &'a str) -> Self {
        Pieces {
            text,
            at: 0,
            cuttable: text.len() > PIECE && text.lines().all(cuttable_line),
            head: None,
        }
    }
}

/// Whether a line leaves the text free to be cut: not a code fence, a link reference or
/// footnote definition, nor the start of an HTML block that ends only at its end tag.
fn cuttable_line(line: &str) -> bool {
    let t = line.trim_start_matches(|c: char| c.is_whitespace() || c == '>');
    if t.starts_with("```") || t.starts_with("~~~") {
        return false;
    }
    if t.starts_with('[') && t.contains("]:") {
        return false;
    }
    if let Some(tag) = t.strip_prefix('<') {
        if let Some(comment) = tag.strip_prefix("!--") {
            return comment.contains("-->");
        }
        let lower = tag.get(..8).unwrap_or(tag).to_ascii_lowercase();
        let raw = ["script", "pre", "style", "textarea"].iter().any(|name| {
            lower.starts_with(name)
                && !lower[name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
        });
        return !(raw || tag.starts_with('!') || tag.starts_with('?'));
    }
    true
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// A line that starts a block of its own after a blank line, one no list goes on with.
fn starts_block(line: &str) -> bool {
    line.chars()
        .next()
        .is_some_and(|c| !c.is_whitespace() && !matches!(c, '-' | '+' | '*') && !c.is_ascii_digit())
}

/// The lines of `text` from byte `from` on, each with its end of line, and where it starts.
fn lines_from(text: &str, from: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut at = from;
    std::iter::from_fn(move || {
        if at >= text.len() {
            return None;
        }
        let end = text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
        let line = (at, &text[at..end]);
        at = end;
        Some(line)
    })
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let text = self.text;
        let start = self.at;
        if start >= text.len() {
            return None;
        }
        let head = self.head.take();
        let piece = |end: usize, table_goes_on: bool| {
            let body = &text[start..end];
            Piece {
                text: match head {
                    Some(h) => Cow::Owned(format!("{h}{body}")),
                    None => Cow::Borrowed(body),
                },
                cut: Cut {
                    repeats_head: head.is_some(),
                    table_goes_on,
                },
            }
        };
        if !self.cuttable {
            self.at = text.len();
            return Some(piece(text.len(), false));
        }
        // The table being read (its header and delimiter rows), while cutting inside it
        // is safe; a piece that goes on with one is inside it from its start.
        let mut table: Option<&'a str> = head;
        // A piece that is not inside a table starts after a blank line (or at the top).
        let mut prev_blank = head.is_none();
        let mut prev_row = head.is_some();
        let mut lines = lines_from(text, start).peekable();
        while let Some((at, line)) = lines.next() {
            if at - start >= PIECE {
                if prev_blank && starts_block(line) {
                    self.at = at;
                    return Some(piece(at, false));
                }
                if prev_row && line.starts_with('|') {
                    self.head = table;
                    self.at = at;
                    return Some(piece(at, true));
                }
            }
            prev_row = false;
            if is_blank(line) {
                table = None;
            } else if prev_blank && line.starts_with('|') {
                // A table starts here when this line and the next make one alone.
                if let Some(&(_, delimiter)) = lines.peek() {
                    let both = &text[at..at + line.len() + delimiter.len()];
                    if matches!(
                        Parser::new_ext(both, options()).next(),
                        Some(Event::Start(Tag::Table(_)))
                    ) {
                        table = Some(both);
                        lines.next();
                    }
                }
            } else if table.is_some() {
                if line.starts_with('|') {
                    prev_row = true;
                } else {
                    // The table may go on (a line without a pipe is a row too), but not
                    // in a way this cuts inside.
                    table = None;
                }
            }
            prev_blank = is_blank(line);
        }
        self.at = text.len();
        Some(piece(text.len(), false))
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
