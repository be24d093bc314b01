//! Line breaking for mixed Chinese and Latin text. A line may break between two CJK
//! characters and at spaces; Latin words, numbers, dates and ids stay whole; closing
//! punctuation never starts a line and opening punctuation never ends one; the last line
//! of a paragraph never holds one character alone when one can be pulled down from the
//! line above. Table cells also keep short pieces whole (a list item `☑ 隐患排查台账`, a
//! place `南塘村液化气站`, `第3项`), breaking inside one only when it is wider than the
//! cell. A quarter em separates Han characters from Latin letters and digits, as the
//! W3C's Requirements for Chinese Text Layout ask, and never falls inside a word, a
//! number, a date, an id or a path.

use super::blocks::Span;

/// Glyph advances, in points for a 1-point font size.
pub trait Metrics {
    /// The advance of a character; `bold` is the synthetic bold face.
    fn advance(&self, c: char, bold: bool) -> f32;
}

/// Stands in a laid-out piece's text for the quarter-em gap between a Han character and
/// a Latin letter or digit: U+2005 FOUR-PER-EM SPACE, a quarter em by definition. The PDF
/// writer turns it into positioning, not a character, so the text extracts unchanged
/// (`第3项`, not `第 3 项`). Source text never holds it: layout reads every Unicode space
/// in the source as a plain space.
pub const QUARTER_EM: char = '\u{2005}';

/// The width of [`QUARTER_EM`], in ems.
pub const GAP_EM: f32 = 0.25;

/// A run of text with no space or separating punctuation in it, up to this many ems wide,
/// is one piece a table cell keeps on one line; a longer run is prose and breaks between
/// its characters like any paragraph.
const PIECE_EM: f32 = 8.0;

/// Slack for comparing widths summed in different orders.
const EPS: f32 = 0.01;

/// A piece of a laid-out line.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The text; [`QUARTER_EM`] marks a CJK–Latin gap.
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

/// How willingly a line breaks before a token, from the most to the least willing: a
/// breaker tries the willing breaks first and goes down the list only for a stretch of
/// text wider than the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brk {
    /// At a space, or beside a CJK character.
    Open,
    /// Inside a short piece (see [`PIECE_EM`]); in a table cell, only when the piece is
    /// wider than the cell.
    Piece,
    /// Before closing punctuation, after opening punctuation, or inside a word whose style
    /// changes: only when what is glued together is wider than the line.
    Glue,
    /// A hard line break.
    Hard,
}

/// A piece of text never broken inside (unless it alone is wider than the line), borrowed
/// from its span: a page of CJK text is thousands of one-character tokens, and allocating
/// each was the layout's largest cost.
#[derive(Debug, Clone)]
struct Token<'s> {
    text: &'s str,
    bold: bool,
    anchor: Option<&'s str>,
    /// The break before this token.
    brk: Brk,
    /// A space comes before it.
    space_before: bool,
    /// A quarter em comes before it (Han beside Latin) when both are on one line.
    gap_before: bool,
    /// It starts a run: the text between spaces and separating punctuation.
    run_start: bool,
    /// Its line is prose (see [`is_clause_mark`]): a table cell breaks it anywhere, as a
    /// paragraph, though its pieces still count for the column's width.
    prose: bool,
    /// The advance at a 1-point size.
    em: f32,
}

/// Characters that may be broken around on their own (CJK ideographs, kana, full-width).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FFF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF | 0x2460..=0x24FF | 0x2600..=0x27BF)
}

/// Han characters (and kana): what a quarter em separates from Latin text.
fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0x20000..=0x3FFFF)
}

/// Latin (and Greek and Cyrillic) letters and digits, half-width.
fn is_latin(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_alphanumeric() && matches!(c as u32, 0xC0..=0x4FF))
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

/// Punctuation that ends a run (a clause, a list item): after it a new piece starts.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '、' | '，' | ',' | '；' | ';' | '。' | '：' | ':' | '！' | '!' | '？' | '?' | '\u{3000}'
    )
}

/// Punctuation that ends a clause: a line of a cell holding one is prose (a measure's
/// text), broken like a paragraph; a line without is a list or a label (`隐患排查台账、
/// 整改台账`, `南塘村液化气站 / C-21`), whose pieces stay whole. In prose, keeping a short
/// clause whole would only leave ragged lines; its width still sets how narrow the
/// column may get (CSS would let prose shrink to one character, and the share of the
/// rest, by how much each column wants, would then starve the measure's column).
fn is_clause_mark(c: char) -> bool {
    matches!(c, '，' | '。' | '；' | '：')
}

/// A list marker (`☑ 整改台账`, `？ 演练记录`, `• 一项`): it stays with the piece after it.
fn is_marker(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(
        (chars.next(), chars.next()),
        (
            Some(
                '☑' | '☐'
                    | '☒'
                    | '✓'
                    | '✔'
                    | '✗'
                    | '✘'
                    | '？'
                    | '?'
                    | '•'
                    | '·'
                    | '●'
                    | '○'
                    | '■'
                    | '□'
                    | '◆'
                    | '★'
                    | '※'
                    | '-'
                    | '*'
            ),
            None
        )
    )
}

fn tokens<'s>(spans: &'s [Span], m: &dyn Metrics) -> Vec<Token<'s>> {
    let mut out: Vec<Token<'s>> = Vec::new();
    let mut space = false;
    let mut hard = false;
    for span in spans {
        let text = span.text.as_str();
        // The word being read: text[start..at], empty when start == at.
        let mut start = 0;
        let mut state = (&mut out, &mut space, &mut hard);
        for (at, c) in text.char_indices() {
            let next = at + c.len_utf8();
            if c == '\n' {
                push(&mut state, span, start, at, m);
                start = next;
                *state.2 = true;
                *state.1 = false;
            } else if c.is_whitespace() && c != '\u{3000}' {
                push(&mut state, span, start, at, m);
                start = next;
                *state.1 = !*state.2;
            } else if is_cjk(c) {
                push(&mut state, span, start, at, m);
                push(&mut state, span, at, next, m);
                start = next;
            }
        }
        push(&mut state, span, start, text.len(), m);
    }
    mark_runs(&mut out);
    mark_labels(&mut out, m.advance(' ', false));
    out
}

/// Adds `span.text[from..to]` as a token, with the break the text before allows.
fn push<'s>(
    (out, space, hard): &mut (&mut Vec<Token<'s>>, &mut bool, &mut bool),
    span: &'s Span,
    from: usize,
    to: usize,
    m: &dyn Metrics,
) {
    if from >= to {
        return;
    }
    let text = &span.text[from..to];
    let first = text.chars().next().unwrap_or(' ');
    let brk = match out.last() {
        _ if **hard => Brk::Hard,
        None => Brk::Open,
        Some(prev) => {
            let last = prev.text.chars().next_back().unwrap_or(' ');
            // Two words meet without a space only where the style changes: one word still.
            let one_word = !**space && !is_cjk(first) && !is_cjk(last);
            // Kinsoku holds across a space too (`见附件 ）`, `{{ x }}`).
            if is_closing(first) || is_opening(last) || one_word {
                Brk::Glue
            } else {
                Brk::Open
            }
        }
    };
    out.push(Token {
        text,
        bold: span.bold,
        anchor: span.anchor.as_deref(),
        brk,
        space_before: **space,
        gap_before: false,
        run_start: false,
        prose: false,
        em: text.chars().map(|c| m.advance(c, span.bold)).sum(),
    });
    **space = false;
    **hard = false;
}

/// Joins the words of a short line of a cell that is not prose into one piece: a label
/// (`Not started`, `Provincial 65`, `Days overdue`) reads badly broken at its space. CJK
/// labels are pieces already (they have no spaces); a short list (`值班表、责任书`) keeps
/// its items apart, or it would widen its column for nothing.
fn mark_labels(toks: &mut [Token<'_>], space_em: f32) {
    let mut a = 0;
    while a < toks.len() {
        let b = (a + 1..toks.len())
            .find(|&k| toks[k].brk == Brk::Hard)
            .unwrap_or(toks.len());
        let line = &mut toks[a..b];
        let width: f32 = line.iter().map(|t| t.em).sum::<f32>()
            + line[1..]
                .iter()
                .map(|t| lead(t, space_em, 1.0))
                .sum::<f32>();
        if width <= PIECE_EM && !line[0].prose {
            // Only the spaces: `值班表、责任书` stays two items.
            for t in &mut line[1..] {
                if t.brk == Brk::Open && t.space_before {
                    t.brk = Brk::Piece;
                }
            }
        }
        a = b;
    }
}

/// Finds the runs (text between spaces, line breaks and separating punctuation): puts
/// the quarter-em gaps in them, makes the short ones pieces, and ties list markers to
/// the piece they mark.
fn mark_runs(toks: &mut [Token<'_>]) {
    // Where the current line (between hard breaks) ends, and whether it is prose.
    let (mut line_end, mut prose) = (0, false);
    let mut a = 0;
    while a < toks.len() {
        if a >= line_end {
            line_end = (a + 1..toks.len())
                .find(|&k| toks[k].brk == Brk::Hard)
                .unwrap_or(toks.len());
            prose = toks[a..line_end]
                .iter()
                .any(|t| t.text.contains(is_clause_mark));
        }
        let mut b = a + 1;
        while b < toks.len() {
            let (prev, t) = (&toks[b - 1], &toks[b]);
            let ends = prev.text.chars().next_back().is_some_and(is_separator);
            if t.brk == Brk::Hard || t.space_before || ends {
                break;
            }
            b += 1;
        }
        let run = &mut toks[a..b];
        run[0].run_start = true;
        // A path (`市78条/第4条/现场照片.jpg`) is one name: no gap inside it.
        let path = run.iter().any(|t| t.text.contains(['/', '\\']));
        let mut width = run[0].em;
        for i in 1..run.len() {
            let (prev, t) = (&run[i - 1], &run[i]);
            let last = prev.text.chars().next_back().unwrap_or(' ');
            let first = t.text.chars().next().unwrap_or(' ');
            // A gap where the style changes would part two text objects, which text
            // extraction reads as a space: there is none.
            let gap = !path
                && prev.bold == t.bold
                && prev.anchor == t.anchor
                && ((is_han(last) && is_latin(first)) || (is_latin(last) && is_han(first)));
            width += t.em + if gap { GAP_EM } else { 0.0 };
            run[i].gap_before = gap;
        }
        for t in run.iter_mut() {
            t.prose = prose;
        }
        if width <= PIECE_EM {
            for t in &mut run[1..] {
                if t.brk == Brk::Open {
                    t.brk = Brk::Piece;
                }
            }
        }
        a = b;
    }
    // A list marker at the start of a line (after any ideographic-space indent, as a
    // file under its item: `　· 现场照片.jpg`) stays with what it marks.
    let mut only_indent = true;
    for k in 0..toks.len() {
        if toks[k].brk == Brk::Hard {
            only_indent = true;
        }
        if only_indent
            && is_marker(toks[k].text)
            && toks
                .get(k + 1)
                .is_some_and(|t| t.brk == Brk::Open && t.space_before)
        {
            toks[k + 1].brk = Brk::Piece;
        }
        only_indent = only_indent && toks[k].text == "\u{3000}";
    }
}

/// A token, or part of a broken word, placed on a line being built.
#[derive(Debug, Clone)]
struct Placed<'s> {
    text: &'s str,
    tok: usize,
    /// It continues a word broken between characters on the line before.
    cont: bool,
    x: f32,
    width: f32,
}

#[derive(Debug, Default)]
struct Row<'s> {
    items: Vec<Placed<'s>>,
    width: f32,
    /// Where its first item starts: a paragraph's first-line indent, else 0.
    start: f32,
}

/// Characters on a row, spaces aside.
fn chars_on(items: &[Placed<'_>]) -> usize {
    items
        .iter()
        .map(|p| p.text.chars().filter(|c| !c.is_whitespace()).count())
        .sum()
}

/// The space (`space` points wide) or quarter em before a token not first on its line.
fn lead(t: &Token<'_>, space: f32, size: f32) -> f32 {
    if t.space_before {
        space
    } else if t.gap_before {
        GAP_EM * size
    } else {
        0.0
    }
}

/// Where a word too wide for its line breaks best within `text[from..at]`: after a
/// path's or a name's separator (`/`, `_`, `-`) or before a point, so `scan_0315.pdf`
/// parts as `scan_` / `0315.pdf` and never as `.p` / `df`; the line keeps at least
/// `least` points. A file's extension (`.pdf`, `.docx`) is never parted from its point.
fn soft_cut(
    text: &str,
    from: usize,
    at: usize,
    least: f32,
    advance: &dyn Fn(char) -> f32,
) -> Option<usize> {
    let ext = text.rfind('.').filter(|&dot| {
        let tail = &text[dot + 1..];
        (1..=5).contains(&tail.chars().count()) && tail.chars().all(|c| c.is_ascii_alphanumeric())
    });
    let mut best = None;
    let mut w = 0.0;
    let mut last = None;
    for (p, c) in text[from..at].char_indices() {
        let p = from + p;
        let after_separator = matches!(last, Some('/' | '\\' | '_' | '-'));
        if p > from && (c == '.' || after_separator) && w >= least {
            best = Some(p);
        }
        w += advance(c);
        last = Some(c);
    }
    match ext {
        // A cut inside the extension moves before its point, whatever the line keeps.
        Some(dot) if dot > from && dot < at => Some(dot),
        _ => best,
    }
}

/// A line breaker over one text's tokens.
struct Wrap<'t, 's> {
    toks: &'t [Token<'s>],
    size: f32,
    max: f32,
    space: f32,
    /// Table cell: keep pieces whole.
    cell: bool,
    m: &'t dyn Metrics,
    rows: Vec<Row<'s>>,
}

impl<'s> Wrap<'_, 's> {
    /// 0 for the breaks tried first, 2 for the last resort.
    fn level(&self, t: &Token<'_>) -> u8 {
        match t.brk {
            Brk::Open => 0,
            Brk::Piece if self.cell && !t.prose => 1,
            Brk::Piece => 0,
            Brk::Glue | Brk::Hard => 2,
        }
    }

    fn lead(&self, t: &Token<'_>) -> f32 {
        lead(t, self.space, self.size)
    }

    /// The width of tokens `a..b` set on one line.
    fn width(&self, a: usize, b: usize) -> f32 {
        let toks = &self.toks[a..b];
        toks.iter().map(|t| t.em * self.size).sum::<f32>()
            + toks[1..].iter().map(|t| self.lead(t)).sum::<f32>()
    }

    fn row(&mut self) -> &mut Row<'s> {
        self.rows.last_mut().expect("one row at least")
    }

    /// Sets tokens `a..b` on the lines, breaking only before tokens whose level is at
    /// most `level`; a stretch between such breaks that is wider than a line is set again
    /// with the next level's breaks.
    fn place(&mut self, a: usize, b: usize, level: u8) {
        let mut i = a;
        while i < b {
            let mut j = i + 1;
            while j < b && self.level(&self.toks[j]) > level {
                j += 1;
            }
            let w = self.width(i, j);
            let row = self.rows.last().expect("one row at least");
            let lead = if row.items.is_empty() {
                0.0
            } else {
                self.lead(&self.toks[i])
            };
            if row.width + lead + w <= self.max + EPS {
                self.append(i, j);
            } else if w <= self.max + EPS {
                self.rows.push(Row::default());
                self.append(i, j);
            } else if j - i > 1 && level < 2 {
                self.place(i, j, level + 1);
            } else {
                self.split(i);
            }
            i = j;
        }
    }

    fn append(&mut self, a: usize, b: usize) {
        for k in a..b {
            let t = &self.toks[k];
            let (text, w) = (t.text, t.em * self.size);
            let lead = if self.row().items.is_empty() {
                0.0
            } else {
                self.lead(t)
            };
            let row = self.row();
            let x = row.width + lead;
            row.items.push(Placed {
                text,
                tok: k,
                cont: false,
                x,
                width: w,
            });
            row.width = x + w;
        }
    }

    /// Sets a token wider than a line, from a fresh line, broken between characters but
    /// never before closing punctuation.
    fn split(&mut self, i: usize) {
        let t = &self.toks[i];
        let (text, bold) = (t.text, t.bold);
        if !self.row().items.is_empty() {
            self.rows.push(Row::default());
        }
        // An indented first line starts the token after its indent.
        let mut start = self.row().start;
        let advance = |c: char| self.m.advance(c, bold) * self.size;
        let mut from = 0;
        let mut w = start;
        let mut prev = 0;
        for (at, c) in text.char_indices() {
            let a = advance(c);
            if w + a > self.max && at > from {
                let room = self.max - start;
                let cut = if is_closing(c) && prev > from {
                    prev
                } else {
                    soft_cut(text, from, at, room / 3.0, &advance).unwrap_or(at)
                };
                let part = &text[from..cut];
                let pw = part.chars().map(advance).sum();
                self.rows.push(Row::default());
                let n = self.rows.len();
                self.rows[n - 2] = Row {
                    items: vec![Placed {
                        text: part,
                        tok: i,
                        cont: from > 0,
                        x: start,
                        width: pw,
                    }],
                    width: start + pw,
                    start,
                };
                start = 0.0;
                w = text[cut..at].chars().map(advance).sum();
                from = cut;
            }
            w += a;
            prev = at;
        }
        let part = &text[from..];
        *self.row() = Row {
            items: vec![Placed {
                text: part,
                tok: i,
                cont: from > 0,
                x: start,
                width: w - start,
            }],
            width: w,
            start,
        };
    }

    /// Sets the x of a row's items again after some moved, and its width.
    fn reflow(&self, row: &mut Row<'_>) {
        let mut x = row.start;
        for (n, p) in row.items.iter_mut().enumerate() {
            if n > 0 && !p.cont {
                x += self.lead(&self.toks[p.tok]);
            }
            p.x = x;
            x += p.width;
        }
        row.width = x;
    }

    /// Keeps the last line of a paragraph from holding one character alone: pulls the
    /// last character (and what is glued to it) down from the line before, if that line
    /// keeps two characters and the last line still fits. In a cell a piece of its own
    /// is left alone: pulling would break the piece before it.
    fn widow(&mut self, first: usize) {
        let n = self.rows.len();
        if n < first + 2 || chars_on(&self.rows[n - 1].items) != 1 {
            return;
        }
        let head = &self.rows[n - 1].items[0];
        let t = &self.toks[head.tok];
        if self.cell && !head.cont && t.run_start && !t.prose {
            return;
        }
        let prev = &self.rows[n - 2].items;
        let Some(last) = prev.last() else { return };
        let mut keep = prev.clone();
        let mut moved: Vec<Placed<'s>> = Vec::new();
        if head.cont && last.tok == head.tok {
            // A word broken between characters: its last character on the line above.
            let Some((at, c)) = last.text.char_indices().next_back() else {
                return;
            };
            if is_closing(c) || at == 0 {
                return;
            }
            let w = self.m.advance(c, self.toks[last.tok].bold) * self.size;
            let kept = keep.last_mut().expect("a last item");
            kept.text = &last.text[..at];
            kept.width -= w;
            moved.push(Placed {
                text: &last.text[at..],
                tok: last.tok,
                cont: true,
                x: 0.0,
                width: w,
            });
        } else {
            // Whole tokens: the last one, and those glued before it.
            let mut k = prev.len() - 1;
            while k > 0 && self.toks[prev[k].tok].brk == Brk::Glue {
                k -= 1;
            }
            if prev[k..].iter().any(|p| p.cont) {
                return;
            }
            moved = keep.split_off(k);
        }
        if chars_on(&keep) < 2 {
            return;
        }
        let mut row = Row {
            items: moved,
            width: 0.0,
            start: self.rows[n - 1].start,
        };
        row.items.extend(self.rows[n - 1].items.iter().cloned());
        self.reflow(&mut row);
        if row.width > self.max + EPS {
            return;
        }
        let mut above = Row {
            items: keep,
            width: 0.0,
            start: self.rows[n - 2].start,
        };
        self.reflow(&mut above);
        self.rows[n - 2] = above;
        self.rows[n - 1] = row;
    }

    /// The rows as lines: runs of one style merged into one piece each, spaces and gaps
    /// written into the text.
    fn lines(self) -> Vec<Line> {
        let toks = self.toks;
        self.rows
            .into_iter()
            .map(|row| {
                let mut pieces: Vec<Piece> = Vec::new();
                for p in row.items {
                    let t = &toks[p.tok];
                    match pieces.last_mut() {
                        Some(last) if last.bold == t.bold && last.anchor.as_deref() == t.anchor => {
                            if !p.cont && t.space_before {
                                last.text.push(' ');
                            } else if !p.cont && t.gap_before {
                                last.text.push(QUARTER_EM);
                            }
                            last.text.push_str(p.text);
                            last.width = p.x + p.width - last.x;
                        }
                        _ => pieces.push(Piece {
                            text: p.text.to_string(),
                            bold: t.bold,
                            anchor: t.anchor.map(str::to_string),
                            x: p.x,
                            width: p.width,
                        }),
                    }
                }
                Line {
                    pieces,
                    width: row.width,
                }
            })
            .collect()
    }
}

fn wrap(
    spans: &[Span],
    size: f32,
    max_width: f32,
    indent: f32,
    m: &dyn Metrics,
    cell: bool,
) -> Vec<Line> {
    let toks = tokens(spans, m);
    let first = Row {
        width: indent,
        start: indent,
        ..Row::default()
    };
    let mut w = Wrap {
        toks: &toks,
        size,
        max: max_width,
        space: m.advance(' ', false) * size,
        cell,
        m,
        rows: vec![first],
    };
    let mut a = 0;
    while a < toks.len() {
        let mut b = a + 1;
        while b < toks.len() && toks[b].brk != Brk::Hard {
            b += 1;
        }
        if a > 0 {
            w.rows.push(Row::default());
        }
        let first = w.rows.len() - 1;
        w.place(a, b, 0);
        w.widow(first);
        a = b;
    }
    w.lines()
}

/// Breaks styled text (a paragraph, a heading, a list item) into lines no wider than
/// `max_width` points at `size` points.
pub fn break_lines(spans: &[Span], size: f32, max_width: f32, m: &dyn Metrics) -> Vec<Line> {
    wrap(spans, size, max_width, 0.0, m, false)
}

/// [`break_lines`] with the first line indented by `indent` points (the two-character
/// indent of a paragraph in an official document): the first line's pieces start there
/// and hold that much less.
pub fn break_indented(
    spans: &[Span],
    size: f32,
    max_width: f32,
    indent: f32,
    m: &dyn Metrics,
) -> Vec<Line> {
    wrap(spans, size, max_width, indent, m, false)
}

/// Breaks a table cell's text into lines like [`break_lines`], keeping every piece (see
/// [`extents`]) on one line when the width holds it.
pub fn break_cell(spans: &[Span], size: f32, max_width: f32, m: &dyn Metrics) -> Vec<Line> {
    wrap(spans, size, max_width, 0.0, m, true)
}

/// `text` as it fits one line of `width` points at `size` points: whole when it fits,
/// else its first characters and "…". A running header is one line, and is laid out on
/// every page: cut once, a name of a megabyte costs what a line does, not a megabyte a
/// page.
pub fn fit_line(text: &str, width: f32, size: f32, m: &dyn Metrics) -> String {
    let advance = |c: char| m.advance(c, false) * size;
    let mut total = 0.0;
    let fits = text.chars().all(|c| {
        total += advance(c);
        total <= width + EPS
    });
    if fits {
        return text.to_string();
    }
    let room = width - advance('…');
    let mut used = 0.0;
    let mut cut = String::new();
    for c in text.chars() {
        used += advance(c);
        if used > room + EPS {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// A one-line label (a chart's bar, a running header) with its quarter-em gaps, so it is
/// spaced like the body text around it.
pub fn label(text: &str, m: &dyn Metrics) -> String {
    let span = [Span {
        text: text.to_string(),
        bold: false,
        anchor: None,
    }];
    let lines = break_lines(&span, 1.0, f32::INFINITY, m);
    lines
        .iter()
        .flat_map(|l| &l.pieces)
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A cell's minimum and maximum width, as CSS automatic table layout takes them: the
/// widest piece never broken inside (a list item with its marker, a Latin word, a number,
/// a date, an id, a short label: a run of text without spaces or separating punctuation
/// up to eight ems wide; a longer run of CJK text breaks anywhere) and the widest line
/// unwrapped.
pub fn extents(spans: &[Span], size: f32, m: &dyn Metrics) -> (f32, f32) {
    let e = cell_extents(spans, size, m);
    (e.min, e.max)
}

/// What a table column needs and wants, from its cells (see [`cell_extents`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Extents {
    /// The widest piece of Latin letters or digits (a date, an id, a number, a word):
    /// broken inside only when the table cannot hold it at all.
    pub hard: f32,
    /// The widest piece never broken while the table's pieces fit ([`extents`]).
    pub min: f32,
    /// The widest line unwrapped.
    pub max: f32,
}

/// [`extents`] with the widest hard piece too: when even the pieces cannot all fit, a
/// table gives up the breaks between Han characters of its labels (`缺少的佐证材料`
/// over two lines reads well) before it breaks a date (`2027-01-` / `03` does not).
pub fn cell_extents(spans: &[Span], size: f32, m: &dyn Metrics) -> Extents {
    let toks = tokens(spans, m);
    let space = m.advance(' ', false) * size;
    let mut e = Extents::default();
    let (mut piece, mut hard, mut line) = (0.0, 0.0, 0.0);
    let mut prev: Option<&Token<'_>> = None;
    for (i, t) in toks.iter().enumerate() {
        let width = t.em * size;
        if i == 0 || t.brk == Brk::Hard {
            line = width;
            piece = width;
            hard = width;
        } else {
            let lead = lead(t, space, size);
            line += lead + width;
            if t.brk == Brk::Open {
                piece = width;
                hard = width;
            } else {
                piece += lead + width;
                // Between two CJK characters a line may always break, even inside a
                // piece: the hard piece starts again.
                let cjk_seam = prev.and_then(|p| p.text.chars().last()).is_some_and(is_cjk)
                    && t.text.chars().next().is_some_and(is_cjk);
                hard = if cjk_seam { width } else { hard + lead + width };
            }
        }
        prev = Some(t);
        e.min = e.min.max(piece);
        e.hard = e.hard.max(hard);
        e.max = e.max.max(line);
    }
    e
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_date_is_a_hard_piece_and_a_han_label_is_not() {
        let date = cell_extents(&span("2027-01-03"), 10.0, &Mono);
        assert_eq!((date.hard, date.min), (50.0, 50.0));
        let label = cell_extents(&span("缺少的佐证材料"), 10.0, &Mono);
        assert_eq!((label.hard, label.min), (10.0, 70.0));
        let mixed = cell_extents(&span("剩余16天"), 10.0, &Mono);
        assert!(mixed.hard < mixed.min, "{mixed:?}");
    }

    /// CJK one em, everything else half an em.
    pub struct Mono;
    impl Metrics for Mono {
        fn advance(&self, c: char, _bold: bool) -> f32 {
            if c == QUARTER_EM {
                GAP_EM
            } else if is_cjk(c) {
                1.0
            } else {
                0.5
            }
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

    /// The texts with the gap shown as `^`.
    fn shown(lines: &[Line]) -> Vec<String> {
        texts(lines)
            .into_iter()
            .map(|t| t.replace(QUARTER_EM, "^"))
            .collect()
    }

    #[test]
    fn breaks_between_cjk_characters_and_never_leaves_one_alone() {
        let lines = break_lines(&span("一二三四五六七"), 10.0, 30.0, &Mono);
        assert_eq!(texts(&lines), ["一二三", "四五", "六七"]);
        // Nothing to pull from a line of one character.
        let lines = break_lines(&span("一二"), 10.0, 10.0, &Mono);
        assert_eq!(texts(&lines), ["一", "二"]);
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        let lines = break_lines(&span("一二三，四五"), 10.0, 30.0, &Mono);
        assert_eq!(texts(&lines), ["一二", "三，", "四五"]);
        let lines = break_lines(&span("一二（三四"), 10.0, 30.0, &Mono);
        assert_eq!(texts(&lines), ["一二", "（三四"]);
        // Nor inside a word broken between characters.
        let lines = break_lines(&span("abcd)efgh"), 10.0, 20.0, &Mono);
        assert_eq!(texts(&lines), ["abc", "d)ef", "gh"]);
    }

    #[test]
    fn latin_words_and_numbers_stay_whole() {
        let lines = break_lines(&span("ab 2026-12-15 cd"), 10.0, 60.0, &Mono);
        assert_eq!(texts(&lines), ["ab", "2026-12-15", "cd"]);
        // A number's comma and point do not part it; the last character is not left alone.
        let lines = break_lines(&span("共计1,234.5项"), 10.0, 60.0, &Mono);
        assert_eq!(shown(&lines), ["共计", "1,234.5^项"]);
    }

    #[test]
    fn a_quarter_em_parts_han_from_latin_but_never_a_word_a_path_or_a_space() {
        let lines = break_lines(&span("于2026-12-31前完成第3项"), 10.0, 500.0, &Mono);
        assert_eq!(shown(&lines), ["于^2026-12-31^前完成第^3^项"]);
        // 于 + gap + 10 characters + gap + 4 + gap + ½ + gap + 1.
        assert_eq!(
            lines[0].width,
            10.0 + 2.5 + 50.0 + 2.5 + 40.0 + 2.5 + 5.0 + 2.5 + 10.0
        );
        let lines = break_lines(
            &span("见 市78条/第4条/现场照片.jpg，第 3 项"),
            10.0,
            500.0,
            &Mono,
        );
        assert_eq!(shown(&lines), ["见 市78条/第4条/现场照片.jpg，第 3 项"]);
        // Nor where the style changes: that would be two text objects.
        let spans = vec![
            Span {
                text: "第".into(),
                bold: false,
                anchor: None,
            },
            Span {
                text: "3".into(),
                bold: true,
                anchor: None,
            },
        ];
        let lines = break_lines(&spans, 10.0, 500.0, &Mono);
        assert_eq!(lines[0].pieces[1].x, 10.0);
        // At a line break the gap goes.
        let lines = break_lines(&span("一二三四五六七八九十abcdefgh"), 10.0, 100.0, &Mono);
        assert_eq!(shown(&lines), ["一二三四五六七八九十", "abcdefgh"]);
    }

    #[test]
    fn cells_keep_pieces_whole_when_they_fit() {
        let items = span("☑ 隐患排查台账\n☐ 值班表");
        let (min, max) = extents(&items, 10.0, &Mono);
        assert_eq!((min, max), (75.0, 75.0));
        assert_eq!(
            texts(&break_cell(&items, 10.0, 75.0, &Mono)),
            ["☑ 隐患排查台账", "☐ 值班表"]
        );
        // Narrower than the piece: broken inside it, never leaving one character alone.
        assert_eq!(
            texts(&break_cell(&items, 10.0, 70.0, &Mono)),
            ["☑ 隐患排查", "台账", "☐ 值班表"]
        );
        let owners = span("交通运输分局、经济发展局");
        assert_eq!(extents(&owners, 10.0, &Mono), (70.0, 120.0));
        assert_eq!(
            texts(&break_cell(&owners, 10.0, 100.0, &Mono)),
            ["交通运输分局、", "经济发展局"]
        );
        // A paragraph fills its lines instead.
        assert_eq!(
            texts(&break_lines(&owners, 10.0, 100.0, &Mono)),
            ["交通运输分局、经济发", "展局"]
        );
        // A short label is one piece, spaces and all.
        let label = span("Not started");
        assert_eq!(extents(&label, 10.0, &Mono), (55.0, 55.0));
        assert_eq!(
            texts(&break_cell(&label, 10.0, 60.0, &Mono)),
            ["Not started"]
        );
        let place = span("南塘村液化气站 / C-21");
        assert_eq!(extents(&place, 10.0, &Mono), (70.0, 105.0));
        assert_eq!(
            texts(&break_cell(&place, 10.0, 80.0, &Mono)),
            ["南塘村液化气站 /", "C-21"]
        );
        // A long run of CJK text is prose: it breaks anywhere.
        let text = span("严格执行审批和现场监护制度");
        assert_eq!(extents(&text, 10.0, &Mono), (10.0, 130.0));
        assert_eq!(
            texts(&break_cell(&text, 10.0, 60.0, &Mono)),
            ["严格执行审批", "和现场监护", "制度"]
        );
    }

    #[test]
    fn a_marker_stays_with_its_item_after_an_indent() {
        let items = span("☑ 整改台账\n\u{3000}· 现场照片.jpg");
        // 　 · (one em, half an em) a space, 现场照片 and .jpg.
        assert_eq!(extents(&items, 10.0, &Mono), (80.0, 80.0));
    }

    #[test]
    fn a_prose_cell_breaks_like_a_paragraph() {
        let text = span("高层建筑：加强宣传引导，向群众普及安全知识");
        // Its pieces still set the minimum width: the widest short clause.
        assert_eq!(extents(&text, 10.0, &Mono).0, 70.0);
        assert_eq!(
            texts(&break_cell(&text, 10.0, 70.0, &Mono)),
            ["高层建筑：加强", "宣传引导，向群", "众普及安全知识"]
        );
        // The next line is a list again.
        let text = span("建筑施工：一律停工整顿\n☐ 隐患排查台账");
        assert_eq!(extents(&text, 10.0, &Mono).0, 75.0);
    }

    #[test]
    fn an_indented_first_line_holds_less_and_starts_after_its_indent() {
        let lines = break_indented(&span("一二三四五六七八九十甲乙"), 10.0, 50.0, 20.0, &Mono);
        assert_eq!(texts(&lines), ["一二三", "四五六七八", "九十甲乙"]);
        assert_eq!(lines[0].pieces[0].x, 20.0);
        assert_eq!(lines[0].width, 50.0);
        assert_eq!(lines[1].pieces[0].x, 0.0);
        // The last line's widow rule keeps the indent of a two-line paragraph.
        let lines = break_indented(&span("一二三四"), 10.0, 50.0, 20.0, &Mono);
        assert_eq!(texts(&lines), ["一二", "三四"]);
        assert_eq!(lines[0].pieces[0].x, 20.0);
        // A word wider than the line starts after the indent too.
        let lines = break_indented(&span("abcdefghijklmn"), 10.0, 50.0, 20.0, &Mono);
        assert_eq!(lines[0].pieces[0].x, 20.0);
        assert!(lines.iter().all(|l| l.width <= 50.0 + EPS), "{lines:?}");
    }

    #[test]
    fn a_piece_of_its_own_may_stand_alone_in_a_cell() {
        let lines = break_cell(&span("已完成、否"), 10.0, 40.0, &Mono);
        assert_eq!(texts(&lines), ["已完成、", "否"]);
    }

    #[test]
    fn a_line_too_long_for_its_width_is_cut_once_with_an_ellipsis() {
        let m = Mono;
        assert_eq!(fit_line("清溪镇", 10.0, 1.0, &m), "清溪镇");
        let long = "镇".repeat(1_000_000);
        let cut = fit_line(&long, 10.0, 1.0, &m);
        assert!(cut.ends_with('…'), "{cut}");
        let width: f32 = cut.chars().map(|c| m.advance(c, false)).sum();
        assert!(width <= 10.0 + EPS, "{width}");
        assert!(cut.chars().count() > 5, "{cut}");
    }

    #[test]
    fn labels_are_spaced_like_the_text() {
        assert_eq!(
            label("清溪镇 · 国务院15条", &Mono).replace(QUARTER_EM, "^"),
            "清溪镇 · 国务院^15^条"
        );
    }

    #[test]
    fn every_character_is_set_once_and_lines_fit() {
        let parts = [
            "☑ ",
            "隐患排查台账",
            "、",
            "2026-12-31",
            "第",
            "3",
            "项",
            "（",
            "）",
            "“",
            "”",
            "，",
            " ",
            "\n",
            "\u{3000}",
            "· ",
            "abcdefghijklmnopqrstuvwxyz",
            "市78条/第4条/照片.jpg",
            "C-21",
            "。",
            "1,234.5",
            "一",
        ];
        // Deterministic mixes of the parts, at widths from less than a character up.
        let mut seed = 7u32;
        for _ in 0..400 {
            let mut next = || {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (seed >> 16) as usize
            };
            let mut text = String::new();
            for _ in 0..next() % 12 {
                text.push_str(parts[next() % parts.len()]);
            }
            let plain = |t: &str| -> String {
                t.chars()
                    .filter(|c| !c.is_whitespace() || *c == '\u{3000}')
                    .collect()
            };
            for width in [4.0, 10.0, 25.0, 60.0, 200.0] {
                for cell in [false, true] {
                    let lines = wrap(&span(&text), 10.0, width, 0.0, &Mono, cell);
                    let set: String = lines
                        .iter()
                        .flat_map(|l| &l.pieces)
                        .map(|p| plain(&p.text))
                        .collect();
                    assert_eq!(set, plain(&text), "{text:?} at {width}");
                    for l in &lines {
                        let one = l
                            .pieces
                            .iter()
                            .map(|p| p.text.chars().count())
                            .sum::<usize>();
                        assert!(
                            l.width <= width + EPS || one == 1,
                            "{text:?} at {width}: {l:?}"
                        );
                        for p in &l.pieces {
                            let w: f32 = p.text.chars().map(|c| Mono.advance(c, false)).sum();
                            assert!((w * 10.0 - p.width).abs() < 0.01, "{p:?}");
                        }
                    }
                }
            }
        }
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
        let lines = break_lines(&span("abcdefghi"), 10.0, 20.0, &Mono);
        assert_eq!(texts(&lines), ["abcd", "efg", "hi"]);
    }

    /// The index listed `scan0315.pdf` as `scan0315.p` over `df` in a narrow column.
    #[test]
    fn a_long_file_name_breaks_at_its_separators_and_keeps_its_extension() {
        let lines = break_cell(&span("scan0315.pdf"), 10.0, 50.0, &Mono);
        assert_eq!(texts(&lines), ["scan0315", ".pdf"]);
        let lines = break_cell(&span("IMG_20260315_0930.jpeg"), 10.0, 60.0, &Mono);
        assert_eq!(texts(&lines), ["IMG_", "20260315_", "0930.jpeg"]);
        let lines = break_cell(&span("材料/A1/会议纪要.pdf"), 10.0, 45.0, &Mono);
        assert!(
            texts(&lines)
                .iter()
                .all(|l| !l.ends_with(".p") && l != "df"),
            "{:?}",
            texts(&lines)
        );
        // Too short a first line is not worth the separator: cut between characters.
        let lines = break_cell(&span("a_bcdefghijklmnopqrstu"), 10.0, 60.0, &Mono);
        assert_eq!(texts(&lines)[0], "a_bcdefghijk");
    }
}
