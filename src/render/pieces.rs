//! Markdown given to the parser a piece at a time. pulldown-cmark builds a tree of
//! everything it is given before its first event; for the documents of 50,000 measures
//! that tree was the largest thing a PDF or an HTML page took. [`Events`] are the events
//! of the whole text, the same as one parser's, from pieces of about [`PIECE`] bytes.

use super::html::options;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use std::borrow::Cow;
use std::collections::VecDeque;

/// The events of a Markdown text, exactly as `Parser::new_ext(text, options())` gives
/// them, read a piece at a time ([`Pieces`]).
pub struct Events<'a> {
    pieces: Pieces<'a>,
    /// The piece being read, when it is read lazily (a piece borrowed from the text).
    current: Option<Reading<'a>>,
    /// Events of a piece read at once (one that repeats a table's head: it is small).
    queued: VecDeque<Event<'a>>,
}

impl<'a> Events<'a> {
    pub fn new(markdown: &'a str) -> Events<'a> {
        Events::in_pieces_of(markdown, PIECE)
    }

    /// The same with pieces of about `size` bytes.
    fn in_pieces_of(markdown: &'a str, size: usize) -> Events<'a> {
        Events {
            pieces: Pieces::new(markdown, size),
            current: None,
            queued: VecDeque::new(),
        }
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Some(event);
            }
            if let Some(reading) = &mut self.current {
                let Some(event) = reading.events.next() else {
                    self.current = None;
                    continue;
                };
                let last = reading.events.peek().is_none();
                if reading.cut.admit(&event, last) {
                    return Some(event);
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
                Cow::Owned(text) => {
                    let mut cut = piece.cut;
                    let mut events = Parser::new_ext(&text, options()).peekable();
                    while let Some(event) = events.next() {
                        let last = events.peek().is_none();
                        if cut.admit(&event, last) {
                            self.queued.push_back(event.into_static());
                        }
                    }
                }
            }
        }
    }
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
    /// About how long a piece is.
    size: usize,
    /// Whether the text may be cut at all.
    cuttable: bool,
    /// The header and delimiter rows of the table the next piece goes on with.
    head: Option<&'a str>,
}

impl<'a> Pieces<'a> {
    fn new(text: &'a str, size: usize) -> Self {
        Pieces {
            text,
            at: 0,
            size,
            cuttable: text.len() > size && text.lines().all(cuttable_line),
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
            if at - start >= self.size {
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

    /// Lines of the kinds the documents (and templates people write) are made of,
    /// including ones that go on with the block before them.
    const LINES: &[&str] = &[
        "# 标题 {#top}\n",
        "\n",
        "\n",
        "\n",
        "正文 **加粗** [链接](#set-1) 与 \\| 竖线\n",
        "<!-- pagebreak -->\n",
        "\n| 甲 | 乙 |\n|:--|--:|\n",
        "| 1\\|2 | x<br>y |\n",
        "| **2** | 2026-10-20 |\n",
        "| 3 |\n",
        "|:--|:--|\n",
        "- 一项\n",
        "1. 第一\n",
        "10) 第十\n",
        "  接着写\n",
        "> 引用\n",
        "不带竖线的一行\n",
        "![图](chart.svg)\n",
        "---\n",
        "***\n",
        "    缩进的代码\n",
        "文字 | 中间有竖线\n",
        "|只开头有竖线\n",
        "<div>\n",
        "</div>\n",
        "+ 加号\n",
        "* 星号\n",
        "Setext\n===\n",
        "\t制表符开头\n",
        "[^1] 没有定义的脚注\n",
        "<br>\n",
        "   | 缩进的表格 |\n",
        "  - 缩进的列表\n",
        "-\n",
        "1.\n",
        "## 标题\n",
    ];

    fn whole(text: &str) -> Vec<Event<'static>> {
        Parser::new_ext(text, options())
            .map(Event::into_static)
            .collect()
    }

    fn in_pieces(text: &str, size: usize) -> Vec<Event<'static>> {
        Events::in_pieces_of(text, size)
            .map(Event::into_static)
            .collect()
    }

    #[test]
    fn pieces_read_exactly_as_the_whole_text() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut cut_tables = 0;
        for round in 0..300 {
            let mut text = String::new();
            for _ in 0..(20 + round % 150) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let pick = (seed >> 33) as usize;
                // Mostly table rows, so that tables run long enough to be cut.
                text.push_str(if pick.is_multiple_of(3) {
                    LINES[pick / 3 % LINES.len()]
                } else {
                    ["| 1\\|2 | x<br>y |\n", "| **2** | 2026-10-20 |\n"][pick % 2]
                });
            }
            let expected = whole(&text);
            for size in [1, 10, 60, 400] {
                assert_eq!(
                    in_pieces(&text, size),
                    expected,
                    "pieces of {size}:\n{text}"
                );
                cut_tables += Pieces::new(&text, size)
                    .filter(|p| p.cut.repeats_head)
                    .count();
            }
        }
        assert!(cut_tables > 500, "tables were cut {cut_tables} times");
    }

    #[test]
    fn a_document_like_the_gap_report_is_cut_in_pieces_and_reads_the_same() {
        let mut text = String::from("# 清溪镇 差距分析报告\n\n## 严重差距（3000）\n\n");
        text.push_str("| 清单 | 序号 | 措施 | 截止 |\n|:--|:--|:--|--:|\n");
        for i in 0..3000 {
            text.push_str(&format!(
                "| 市78条 | {i} | 第{i}项措施\\|说明<br>第二行 | 2026-10-20 |\n"
            ));
        }
        text.push_str("\n<!-- pagebreak -->\n\n## 附录\n\n- 一\n- 二\n\n1. [甲](#set-1)\n");
        assert!(text.len() > 3 * PIECE);
        let pieces: Vec<Piece<'_>> = Pieces::new(&text, PIECE).collect();
        assert!(pieces.len() > 3, "{} pieces", pieces.len());
        assert_eq!(in_pieces(&text, PIECE), whole(&text));
    }

    #[test]
    fn texts_that_cannot_be_cut_are_read_whole() {
        let filler = "| a | b |\n|:--|:--|\n".to_string() + &"| 1 | 2 |\n".repeat(100) + "\n";
        for odd in [
            "```\ncode\n\n| 1 | 2 |\n```\n",
            "[x]: http://example.com\n",
            "[^1]: 脚注\n",
            "<!-- a comment\n\nover lines -->\n",
            "<pre>\n\n</pre>\n",
            "<?php\n",
            "<!DOCTYPE html>\n",
            "> ~~~\n",
        ] {
            let text = format!("{filler}{odd}\n{filler}");
            assert_eq!(Pieces::new(&text, 10).count(), 1, "{odd}");
            assert_eq!(in_pieces(&text, 10), whole(&text), "{odd}");
        }
    }
}
