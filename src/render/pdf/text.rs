//! Line breaking for mixed Chinese and Latin text: a line may break between any two CJK
//! characters and at spaces, Latin words and numbers stay whole, closing punctuation
//! never starts a line and opening punctuation never ends one.

use super::blocks::Span;
use std::borrow::Cow;

/// Glyph advances, in points for a 1-point font size.
pub trait Metrics {
    /// The advance of a character; `bold` is the synthetic bold face.
    fn advance(&self, c: char, bold: bool) -> f32;
}

/// A piece of a laid-out line.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub text: String,
    pub bold: bool,
    pub anchor: Option<String>,
    /// Offset from the start of the line, in points.
    pub x: f32,
    pub width: f32,
}

/// One laid-out line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    pub pieces: Vec<Piece>,
    pub width: f32,
}

/// An unbreakable unit of text, with whether a space may precede it.
#[derive(Debug, Clone, PartialEq)]
/// A piece of text never broken inside, borrowed from its span (only tokens glued
/// together own their text): a page of CJK text is thousands of one-character tokens,
/// and allocating each was the layout's largest cost.
struct Token<'s> {
    text: Cow<'s, str>,
    bold: bool,
    anchor: Option<&'s str>,
    space_before: bool,
    /// A hard line break comes before this token.
    break_before: bool,
}

/// Characters that may be broken around on their own (CJK ideographs, kana, full-width).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FFF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x2FFFF | 0x2460..=0x24FF | 0x2600..=0x27BF)
}

/// Punctuation that must not start a line.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '】'
            | '》'
            | '」'
            | '』'
            | '〉'
            | '〕'
            | '”'
            | '’'
            | '…'
            | '·'
            | '%'
            | ','
            | '.'
            | ';'
            | ':'
            | '?'
            | '!'
            | ')'
            | ']'
            | '}'
    )
}

/// Punctuation that must not end a line.
fn is_opening(c: char) -> bool {
    matches!(
        c,
        '（' | '【' | '《' | '「' | '『' | '〈' | '〔' | '“' | '‘' | '(' | '[' | '{'
    )
}

fn tokens<'s>(spans: &'s [Span]) -> Vec<Token<'s>> {
    let mut out: Vec<Token<'s>> = Vec::new();
    let mut space = false;
    let mut hard = false;
    for span in spans {
        let text = span.text.as_str();
        // The word being read: text[start..end], empty when start == end.
        let mut start = 0;
        let flush = |start: usize,
                     end: usize,
                     out: &mut Vec<Token<'s>>,
                     space: &mut bool,
                     hard: &mut bool| {
            if start < end {
                out.push(Token {
                    text: Cow::Borrowed(&span.text[start..end]),
                    bold: span.bold,
                    anchor: span.anchor.as_deref(),
                    space_before: *space,
                    break_before: *hard,
                });
                *space = false;
                *hard = false;
            }
        };
        for (at, c) in text.char_indices() {
            let next = at + c.len_utf8();
            if c == '\n' {
                flush(start, at, &mut out, &mut space, &mut hard);
                start = next;
                hard = true;
                space = false;
            } else if c.is_whitespace() && c != '\u{3000}' {
                flush(start, at, &mut out, &mut space, &mut hard);
                start = next;
                space = !hard;
            } else if is_cjk(c) || is_closing(c) || is_opening(c) {
                flush(start, at, &mut out, &mut space, &mut hard);
                flush(at, next, &mut out, &mut space, &mut hard);
                start = next;
            }
        }
        flush(start, text.len(), &mut out, &mut space, &mut hard);
    }
    // Kinsoku: glue closing punctuation to what precedes it, opening to what follows.
    let mut glued: Vec<Token<'s>> = Vec::with_capacity(out.len());
    let mut pending_open: Option<Token<'s>> = None;
    for mut t in out {
        let first = t.text.chars().next().unwrap_or(' ');
        let single = t.text.chars().count() == 1;
        if let Some(open) = pending_open.take() {
            if t.space_before || t.break_before {
                // "{{ x": the space after an opening mark stays a space.
                glued.push(open);
            } else {
                t.text = Cow::Owned(open.text.into_owned() + &t.text);
                t.space_before = open.space_before;
                t.break_before = open.break_before;
            }
        }
        if single
            && is_closing(first)
            && !t.space_before
            && !t.break_before
            && let Some(prev) = glued.last_mut()
            && prev.bold == t.bold
            && prev.anchor == t.anchor
        {
            prev.text.to_mut().push_str(&t.text);
            continue;
        }
        let last = t.text.chars().last().unwrap_or(' ');
        if is_opening(last) && t.text.chars().all(is_opening) {
            pending_open = Some(t);
            continue;
        }
        glued.push(t);
    }
    if let Some(open) = pending_open {
        glued.push(open);
    }
    glued
}

fn width_of(text: &str, bold: bool, size: f32, m: &dyn Metrics) -> f32 {
    text.chars().map(|c| m.advance(c, bold)).sum::<f32>() * size
}

/// Breaks styled text into lines no wider than `max_width` points at `size` points.
pub fn break_lines(spans: &[Span], size: f32, max_width: f32, m: &dyn Metrics) -> Vec<Line> {
    let space_w = m.advance(' ', false) * size;
    let mut lines = vec![Line::default()];
    for t in tokens(spans) {
        let w = width_of(&t.text, t.bold, size, m);
        let only_line = lines.len() == 1;
        let line = lines.last_mut().expect("one line at least");
        let gap = if t.space_before && !line.pieces.is_empty() {
            space_w
        } else {
            0.0
        };
        let hard_break = t.break_before && !(line.pieces.is_empty() && only_line);
        let overflow = line.width + gap + w > max_width && !line.pieces.is_empty();
        if hard_break || overflow {
            lines.push(Line::default());
        }
        let line = lines.last_mut().expect("one line at least");
        let gap = if t.space_before && !line.pieces.is_empty() {
            space_w
        } else {
            0.0
        };
        if w > max_width && line.pieces.is_empty() {
            // A word longer than the line: break it between characters.
            let mut chunk = String::new();
            let mut cw = 0.0;
            for c in t.text.chars() {
                let a = m.advance(c, t.bold) * size;
                if cw + a > max_width && !chunk.is_empty() {
                    let line = lines.last_mut().expect("line");
                    line.pieces.push(Piece {
                        text: std::mem::take(&mut chunk),
                        bold: t.bold,
                        anchor: t.anchor.map(str::to_string),
                        x: 0.0,
                        width: cw,
                    });
                    line.width = cw;
                    lines.push(Line::default());
                    cw = 0.0;
                }
                chunk.push(c);
                cw += a;
            }
            let line = lines.last_mut().expect("line");
            line.pieces.push(Piece {
                text: chunk,
                bold: t.bold,
                anchor: t.anchor.map(str::to_string),
                x: 0.0,
                width: cw,
            });
            line.width = cw;
            continue;
        }
        let x = line.width + gap;
        // Merge with the previous piece when the style is the same, to keep text runs whole.
        match line.pieces.last_mut() {
            Some(p) if p.bold == t.bold && p.anchor.as_deref() == t.anchor => {
                if gap > 0.0 {
                    p.text.push(' ');
                }
                p.text.push_str(&t.text);
                p.width = x + w - p.x;
            }
            _ => line.pieces.push(Piece {
                text: t.text.into_owned(),
                bold: t.bold,
                anchor: t.anchor.map(str::to_string),
                x,
                width: w,
            }),
        }
        line.width = x + w;
    }
    lines
}

/// The width of the widest unbreakable token and of the text on one line, for table
/// column widths.
pub fn extents(spans: &[Span], size: f32, m: &dyn Metrics) -> (f32, f32) {
    let mut min: f32 = 0.0;
    for t in tokens(spans) {
        min = min.max(width_of(&t.text, t.bold, size, m));
    }
    let max = break_lines(spans, size, f32::INFINITY, m)
        .iter()
        .map(|l| l.width)
        .fold(0.0, f32::max);
    (min, max)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// CJK one em, everything else half an em.
    pub struct Mono;
    impl Metrics for Mono {
        fn advance(&self, c: char, _bold: bool) -> f32 {
            if is_cjk(c) { 1.0 } else { 0.5 }
        }
    }

    fn span(t: &str) -> Vec<Span> {
        vec![Span {
            text: t.into(),
            bold: false,
            anchor: None,
        }]
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.pieces.iter().map(|p| p.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn breaks_between_cjk_characters() {
        let lines = break_lines(&span("一二三四五六七"), 10.0, 30.0, &Mono);
        assert_eq!(texts(&lines), ["一二三", "四五六", "七"]);
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        let lines = break_lines(&span("一二三，四五"), 10.0, 30.0, &Mono);
        assert_eq!(texts(&lines), ["一二", "三，四", "五"]);
        let lines = break_lines(&span("一二（三四"), 10.0, 30.0, &Mono);
        assert_eq!(texts(&lines), ["一二", "（三四"]);
    }

    #[test]
    fn latin_words_and_numbers_stay_whole() {
        let lines = break_lines(&span("ab 2026-12-15 cd"), 10.0, 60.0, &Mono);
        assert_eq!(texts(&lines), ["ab", "2026-12-15", "cd"]);
        let lines = break_lines(&span("共158项"), 10.0, 30.0, &Mono);
        assert_eq!(texts(&lines), ["共158", "项"]);
    }

    #[test]
    fn a_space_after_an_opening_mark_is_kept() {
        let lines = break_lines(&span("{{ x }}"), 10.0, 100.0, &Mono);
        assert_eq!(texts(&lines), ["{{ x }}"]);
    }

    #[test]
    fn hard_breaks_and_overlong_words() {
        let lines = break_lines(&span("一\n二"), 10.0, 100.0, &Mono);
        assert_eq!(texts(&lines), ["一", "二"]);
        let lines = break_lines(&span("abcdefgh"), 10.0, 20.0, &Mono);
        assert_eq!(texts(&lines), ["abcd", "efgh"]);
    }
}
