//! Page layout: blocks placed onto pages as simple drawing commands, in points from the
//! top-left corner. Pure: fonts are seen only through [`Metrics`], so layout is tested
//! without a PDF.

use super::blocks::{Align, Block, Span};
use super::text::{Line, Metrics, break_cell, break_lines, extents, label};
use crate::render::charts::Chart;
use std::collections::{HashMap, VecDeque};

/// Paper and margins, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSetup {
    pub width: f32,
    pub height: f32,
    pub margin_x: f32,
    pub margin_top: f32,
    pub margin_bottom: f32,
}

impl PageSetup {
    /// A page of the given size in millimetres, portrait or landscape.
    pub fn from_mm(width: f32, height: f32, landscape: bool) -> PageSetup {
        let (w, h) = if landscape {
            (height, width)
        } else {
            (width, height)
        };
        let pt = 72.0 / 25.4;
        PageSetup {
            width: w * pt,
            height: h * pt,
            margin_x: 16.0 * pt,
            margin_top: 20.0 * pt,
            margin_bottom: 18.0 * pt,
        }
    }

    fn content_width(&self) -> f32 {
        self.width - 2.0 * self.margin_x
    }

    fn bottom(&self) -> f32 {
        self.height - self.margin_bottom
    }
}

/// A grey level or the accent colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Paint {
    Gray(f32),
    Accent,
    Warning,
}

/// One drawing command.
#[derive(Debug, Clone, PartialEq)]
pub enum Draw {
    /// Text with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        paint: Paint,
    },
    /// A structure element starts (tagged PDF): `id` is the layout's serial number of the
    /// element, `parent` its parent's (0: the document). Draws nothing; the writer builds
    /// the structure tree from these as the pages stream past.
    Open { id: u32, parent: u32, role: Role },
    /// Structure element `id` has all its content: the writer can write it out.
    Close(u32),
    /// What the draws after this belong to, until the next `Tag` or the end of the page.
    Tag(Tag),
}

/// A structure element's type: what a screen reader or a reflowing viewer is told a
/// piece of the page is (PDF 1.7 §14.8.4 standard structure types).
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// A heading of level 1 to 6 (`H1`…`H6`).
    H(u8),
    P,
    L,
    LI,
    Lbl,
    LBody,
    BlockQuote,
    Table,
    TR,
    /// A header cell: the table's header row, scope column.
    TH,
    TD,
    /// A chart, with the alternate text that stands for it.
    Figure(String),
}

/// The element (or the kind of artifact) the draws that follow belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// Content of the structure element with this serial number.
    Elem(u32),
    /// Page furniture: the running header and footer, a table's header repeated on a
    /// following page (`/Artifact <</Type /Pagination>>`).
    Pagination,
    /// Decoration that is no content: rules, leaders (`/Artifact`). Lines and rectangles
    /// are decoration wherever they are drawn, except in a figure.
    Artifact,
}

/// A heading's place, for bookmarks.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub level: u8,
    pub title: String,
    pub page: usize,
}

/// The laid-out document.
#[derive(Debug, Clone, Default)]
pub struct Laid {
    pub pages: Vec<Vec<Draw>>,
    pub marks: Vec<Mark>,
    /// Heading ids and the (1-based) page they start on.
    pub anchors: HashMap<String, usize>,
}

/// What a layout pass knows once the pages themselves have gone to the sink: enough for
/// bookmarks, the table of contents and "page N of M", in the memory of the headings.
#[derive(Debug, Clone, Default)]
pub struct Paged {
    /// How many pages there are.
    pub pages: usize,
    /// Every heading and its page: the bookmarks, and the sections in running headers.
    pub marks: Vec<Mark>,
    /// Heading ids and the (1-based) page they start on.
    pub anchors: HashMap<String, usize>,
}

/// Type sizes and spacing.
const BODY: f32 = 10.0;
const TABLE: f32 = 8.5;
const LEADING: f32 = 1.5;
const PAD: f32 = 3.0;
/// When even the narrowest layout is too wide, columns keep at least this many ems (or
/// their content, if less) and only wider columns are squeezed.
const PROTECTED_EM: f32 = 7.0;
/// The height of one bar of a chart.
const CHART_ROW: f32 = 16.0;
/// A row split across pages shows at least this many lines on a page.
const MIN_SPLIT_LINES: f32 = 3.0;

fn heading_size(level: u8) -> f32 {
    match level {
        1 => 18.0,
        2 => 14.0,
        3 => 12.0,
        _ => 11.0,
    }
}

/// A table row being drawn, and the structure elements of its cells.
#[derive(Clone, Copy)]
enum Row<'e> {
    /// The header row where the table starts: its `TH` cells.
    Header(&'e [u32]),
    /// The header row repeated at the top of a following page: an artifact.
    Repeated,
    /// A body row (or the part of one a page holds): its `TD` cells.
    Body(&'e [u32]),
}

struct Cursor<'a> {
    setup: PageSetup,
    m: &'a dyn Metrics,
    /// Pages done are handed here, one at a time, and not kept.
    sink: &'a mut dyn FnMut(Vec<Draw>),
    /// The page being filled.
    current: Vec<Draw>,
    paged: Paged,
    y: f32,
    /// Page numbers to print after TOC entries, by anchor.
    toc: &'a HashMap<String, usize>,
    /// Draw a warning bar beside each line (block quotes), page break or not.
    bar: bool,
    /// What the draws belong to now; restated at the top of each page.
    tag: Tag,
    /// The serial number of the last structure element opened (0 is the document).
    last_id: u32,
}

impl Cursor<'_> {
    fn page(&mut self) -> &mut Vec<Draw> {
        &mut self.current
    }

    fn new_page(&mut self) {
        if self.paged.pages > 0 {
            let done = std::mem::take(&mut self.current);
            (self.sink)(done);
        }
        self.paged.pages += 1;
        self.y = self.setup.margin_top;
        let tag = self.tag;
        self.current.push(Draw::Tag(tag));
    }

    /// Opens a structure element under `parent` and returns its serial number.
    fn open(&mut self, parent: u32, role: Role) -> u32 {
        self.last_id += 1;
        let id = self.last_id;
        self.current.push(Draw::Open { id, parent, role });
        id
    }

    /// Closes element `id`; what is drawn next is an artifact until tagged otherwise.
    fn close(&mut self, id: u32) {
        self.current.push(Draw::Close(id));
        if self.tag == Tag::Elem(id) {
            self.set_tag(Tag::Artifact);
        }
    }

    /// Makes the draws that follow belong to `tag`.
    fn set_tag(&mut self, tag: Tag) {
        if self.tag != tag {
            self.tag = tag;
            self.current.push(Draw::Tag(tag));
        }
    }

    /// Opens an element under `parent` and tags what follows as its content.
    fn open_tagged(&mut self, parent: u32, role: Role) -> u32 {
        let id = self.open(parent, role);
        self.set_tag(Tag::Elem(id));
        id
    }

    fn room(&self) -> f32 {
        self.setup.bottom() - self.y
    }

    fn ensure(&mut self, height: f32) {
        if height > self.room() && self.y > self.setup.margin_top + 0.5 {
            self.new_page();
        }
    }

    fn page_no(&self) -> usize {
        self.paged.pages
    }

    /// Draws lines of text at x, advancing y, breaking pages between lines.
    fn lines(&mut self, lines: &[Line], x: f32, size: f32, align_right: Option<f32>) {
        let lh = size * LEADING;
        for line in lines {
            self.ensure(lh);
            let baseline = self.y + size * 1.1;
            if self.bar {
                let (x, y) = (self.setup.margin_x, self.y);
                self.page().push(Draw::Rect {
                    x,
                    y,
                    w: 3.0,
                    h: lh,
                    paint: Paint::Warning,
                });
            }
            let dx = align_right.map_or(0.0, |w| (w - line.width).max(0.0));
            for p in &line.pieces {
                self.page().push(Draw::Text {
                    x: x + dx + p.x,
                    y: baseline,
                    size,
                    bold: p.bold,
                    text: p.text.clone(),
                });
            }
            self.y += lh;
        }
    }

    fn paragraph(&mut self, spans: &[Span], x: f32, width: f32, size: f32) {
        let lines = break_lines(spans, size, width, self.m);
        self.lines(&lines, x, size, None);
    }

    fn heading(&mut self, level: u8, spans: &[Span], id: &Option<String>, next: f32) {
        let size = heading_size(level);
        let width = self.setup.content_width();
        let lines = break_lines(&bolded(spans), size, width, self.m);
        let height = lines.len() as f32 * size * LEADING + size;
        // Keep a heading with the start of what follows (a paragraph's first lines, a
        // table's header and first row, a whole chart), as far as a page can hold both.
        let page = self.setup.bottom() - self.setup.margin_top;
        self.ensure((height + next.max(3.0 * BODY * LEADING)).min(page));
        self.y += size * 0.6;
        let title: String = spans.iter().map(|s| s.text.as_str()).collect();
        self.paged.marks.push(Mark {
            level,
            title: title.trim().to_string(),
            page: self.page_no(),
        });
        if let Some(id) = id {
            self.paged.anchors.insert(id.clone(), self.page_no());
        }
        let element = self.open_tagged(0, Role::H(level.clamp(1, 6)));
        if level == 1 {
            // A title is centred line by line: a short first line must not push a long
            // second one off the page.
            for line in &lines {
                let x = self.setup.margin_x + ((width - line.width) / 2.0).max(0.0);
                self.lines(std::slice::from_ref(line), x, size, None);
            }
        } else {
            self.lines(&lines, self.setup.margin_x, size, None);
        }
        self.close(element);
        if level == 2 {
            let (x1, x2, y) = (
                self.setup.margin_x,
                self.setup.width - self.setup.margin_x,
                self.y,
            );
            self.page().push(Draw::Line {
                x1,
                y1: y,
                x2,
                y2: y,
                width: 0.5,
            });
        }
        self.y += size * 0.4;
    }

    fn list(&mut self, start: Option<u64>, items: &[Vec<Span>]) {
        let indent = BODY * 2.0;
        let x = self.setup.margin_x + indent;
        let width = self.setup.content_width() - indent;
        let list = self.open(0, Role::L);
        for (i, item) in items.iter().enumerate() {
            let li = self.open(list, Role::LI);
            let marker = match start {
                Some(n) => format!("{}.", n + i as u64),
                None => "•".to_string(),
            };
            // A table-of-contents entry: a link to a heading gets its page number.
            let page = item
                .iter()
                .find_map(|s| s.anchor.as_ref())
                .map(|a| self.toc.get(a).map_or("—".to_string(), |p| p.to_string()));
            let text_width = if page.is_some() {
                width - BODY * 3.0
            } else {
                width
            };
            let lines = break_lines(item, BODY, text_width, self.m);
            self.ensure(BODY * LEADING);
            let baseline = self.y + BODY * 1.1;
            let lbl = self.open_tagged(li, Role::Lbl);
            self.page().push(Draw::Text {
                x: x - indent,
                y: baseline,
                size: BODY,
                bold: false,
                text: marker,
            });
            self.close(lbl);
            let body = self.open_tagged(li, Role::LBody);
            let first_page = self.page_no();
            self.lines(&lines, x, BODY, None);
            if let Some(page) = page {
                // After the entry's text, so it reads "title, page" (the leader between
                // is an artifact); at the end of its last line, on the page that holds it.
                let lh = BODY * LEADING;
                let y = if self.page_no() == first_page {
                    baseline + (lines.len().saturating_sub(1)) as f32 * lh
                } else {
                    self.y - lh + BODY * 1.1
                };
                let pw: f32 = page.chars().map(|c| self.m.advance(c, false)).sum::<f32>() * BODY;
                let right = self.setup.width - self.setup.margin_x;
                let last_w = lines.last().map_or(0.0, |l| l.width);
                let dot_w = self.m.advance('.', false) * BODY;
                let dots_from = x + last_w + BODY * 0.5;
                let dots_to = right - pw - BODY * 0.5;
                if dots_to > dots_from && dot_w > 0.0 {
                    let n = ((dots_to - dots_from) / dot_w) as usize;
                    self.set_tag(Tag::Artifact);
                    self.page().push(Draw::Text {
                        x: dots_to - n as f32 * dot_w,
                        y,
                        size: BODY,
                        bold: false,
                        text: ".".repeat(n),
                    });
                    self.set_tag(Tag::Elem(body));
                }
                self.page().push(Draw::Text {
                    x: right - pw,
                    y,
                    size: BODY,
                    bold: false,
                    text: page,
                });
            }
            self.close(body);
            self.close(li);
        }
        self.close(list);
        self.y += BODY * 0.5;
    }

    fn quote(&mut self, paragraphs: &[Vec<Span>]) {
        let x = self.setup.margin_x + 10.0;
        let width = self.setup.content_width() - 14.0;
        self.bar = true;
        let quote = self.open(0, Role::BlockQuote);
        for p in paragraphs {
            let element = self.open_tagged(quote, Role::P);
            self.paragraph(p, x, width, BODY);
            self.close(element);
        }
        self.close(quote);
        self.bar = false;
        self.y += BODY * 0.5;
    }

    fn chart(&mut self, chart: &Chart) {
        let row = CHART_ROW;
        let label_w = 120.0;
        let bar_w = (self.setup.content_width() - label_w - 50.0).min(300.0);
        let height = self.chart_start_height(chart);
        self.ensure(height);
        let figure = self.open_tagged(0, Role::Figure(alt_text(chart)));
        let x0 = self.setup.margin_x;
        let title_y = self.y + 12.0;
        self.page().push(Draw::Text {
            x: x0,
            y: title_y,
            size: 10.5,
            bold: true,
            text: chart.title.clone(),
        });
        self.y += 20.0;
        for bar in &chart.bars {
            self.ensure(row);
            let y = self.y;
            let label = label(&crate::render::shorten(&bar.label, 12), self.m);
            let lw: f32 = label.chars().map(|c| self.m.advance(c, false)).sum::<f32>() * TABLE;
            self.page().push(Draw::Text {
                x: x0 + label_w - 6.0 - lw,
                y: y + 11.0,
                size: TABLE,
                bold: false,
                text: label,
            });
            self.page().push(Draw::Rect {
                x: x0 + label_w,
                y: y + 2.0,
                w: bar_w,
                h: 11.0,
                paint: Paint::Gray(0.93),
            });
            if let Some(v) = bar.value {
                let w = if chart.max > 0.0 {
                    ((v / chart.max).clamp(0.0, 1.0) as f32) * bar_w
                } else {
                    0.0
                };
                self.page().push(Draw::Rect {
                    x: x0 + label_w,
                    y: y + 2.0,
                    w,
                    h: 11.0,
                    paint: Paint::Accent,
                });
            }
            self.page().push(Draw::Text {
                x: x0 + label_w + bar_w + 6.0,
                y: y + 11.0,
                size: TABLE,
                bold: false,
                text: bar.text.clone(),
            });
            self.y += row;
        }
        self.close(figure);
        self.y += 8.0;
    }

    /// Column count, bold header cells and column widths of a table.
    fn table_geometry(
        &self,
        header: &[Vec<Span>],
        rows: &[Vec<Vec<Span>>],
    ) -> (usize, Vec<Vec<Span>>, Vec<f32>) {
        let cols = header
            .len()
            .max(rows.iter().map(Vec::len).max().unwrap_or(0));
        let head: Vec<Vec<Span>> = (0..cols)
            .map(|c| bolded(&header.get(c).cloned().unwrap_or_default()))
            .collect();
        // Column widths from content, as CSS automatic table layout: each column needs
        // its widest piece (a list item, a date, an id, a short label) and wants its
        // widest line.
        let mut min = vec![0.0f32; cols];
        let mut max = vec![0.0f32; cols];
        for r in std::iter::once(&head).chain(rows.iter()) {
            for c in 0..cols {
                let (lo, hi) = match r.get(c) {
                    Some(spans) => extents(spans, TABLE, self.m),
                    None => (0.0, 0.0),
                };
                min[c] = min[c].max(lo + 2.0 * PAD);
                max[c] = max[c].max(hi + 2.0 * PAD);
            }
        }
        let avail = self.setup.content_width();
        let widths = column_widths(&min, &max, avail, PROTECTED_EM * TABLE + 2.0 * PAD);
        (cols, head, widths)
    }

    /// The height a row of cells takes at the given column widths.
    fn row_height(&self, row: &[Vec<Span>], widths: &[f32]) -> f32 {
        let n = widths
            .iter()
            .enumerate()
            .map(|(c, w)| match row.get(c) {
                Some(spans) => break_cell(spans, TABLE, (w - 2.0 * PAD).max(1.0), self.m).len(),
                None => 1,
            })
            .max()
            .unwrap_or(1);
        n as f32 * TABLE * LEADING + 2.0 * PAD
    }

    /// Room a chart needs to start: all of it, or its title and a few bars when it is
    /// taller than a page (it then continues on the next).
    fn chart_start_height(&self, chart: &Chart) -> f32 {
        let height = 22.0 + CHART_ROW * chart.bars.len() as f32;
        if height > self.setup.bottom() - self.setup.margin_top {
            22.0 + CHART_ROW * 3.0
        } else {
            height
        }
    }

    /// How much room the start of a block needs, so a heading is not left alone above it.
    fn start_height(&self, block: Option<&Block>, charts: &[(&str, Chart)]) -> f32 {
        match block {
            None | Some(Block::Rule) | Some(Block::PageBreak) => 0.0,
            Some(Block::Heading { level, spans, .. }) => {
                let size = heading_size(*level);
                let n = break_lines(spans, size, self.setup.content_width(), self.m).len();
                n as f32 * size * LEADING + size
            }
            Some(Block::Table { header, rows, .. }) => {
                let (_, head, widths) = self.table_geometry(header, &rows[..rows.len().min(1)]);
                let head_h = self.row_height(&head, &widths);
                let full = self.setup.bottom() - self.setup.margin_top - head_h;
                let first = rows.first().map_or(0.0, |r| self.row_height(r, &widths));
                let first = if first > full / 2.0 {
                    MIN_SPLIT_LINES * TABLE * LEADING + 2.0 * PAD
                } else {
                    first
                };
                head_h + first
            }
            Some(Block::Chart(name)) => charts
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0.0, |(_, c)| self.chart_start_height(c)),
            Some(_) => 3.0 * BODY * LEADING,
        }
    }

    fn table(&mut self, align: &[Align], header: &[Vec<Span>], rows: &[Vec<Vec<Span>>]) {
        let (cols, head, widths) = self.table_geometry(header, rows);
        if cols == 0 {
            return;
        }
        let cell = |r: &Vec<Vec<Span>>, c: usize| r.get(c).cloned().unwrap_or_default();
        let x0 = self.setup.margin_x;
        let layout_row = |r: &Vec<Vec<Span>>, m: &dyn Metrics| -> Vec<Vec<Line>> {
            (0..cols)
                .map(|c| break_cell(&cell(r, c), TABLE, (widths[c] - 2.0 * PAD).max(1.0), m))
                .collect()
        };
        let lh = TABLE * LEADING;
        let head_lines = layout_row(&head, self.m);
        let head_h = head_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh + 2.0 * PAD;
        // Keep the header with the first row.
        let first_h = rows.first().map_or(0.0, |r| {
            layout_row(r, self.m)
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(1) as f32
                * lh
                + 2.0 * PAD
        });
        // A first row taller than a page is split anyway: then a few of its lines will do.
        let full = self.setup.bottom() - self.setup.margin_top - head_h;
        let first_h = if first_h > full / 2.0 {
            MIN_SPLIT_LINES * lh + 2.0 * PAD
        } else {
            first_h
        };
        self.ensure(head_h + first_h);
        // One Table element for the whole table, whatever pages it runs over; the header
        // repeated on later pages is an artifact.
        let table = self.open(0, Role::Table);
        let (tr, ths) = self.open_row(table, cols, Role::TH);
        self.draw_row(&head_lines, &widths, align, x0, head_h, Row::Header(&ths));
        self.close_row(tr, &ths);
        for r in rows {
            let (tr, tds) = self.open_row(table, cols, Role::TD);
            let lines = layout_row(r, self.m);
            let n = lines.iter().map(Vec::len).max().unwrap_or(1);
            let h = n as f32 * lh + 2.0 * PAD;
            let full = self.setup.bottom() - self.setup.margin_top - head_h;
            // Rows are kept whole where they fit; a row taller than half a page is split
            // rather than leaving most of a page empty.
            let min_part = MIN_SPLIT_LINES * lh + 2.0 * PAD;
            if h > self.room() && (h <= full / 2.0 || self.room() < min_part) {
                self.new_page();
                self.draw_row(&head_lines, &widths, align, x0, head_h, Row::Repeated);
            }
            if h <= self.room() {
                self.draw_row(&lines, &widths, align, x0, h, Row::Body(&tds));
                self.close_row(tr, &tds);
                continue;
            }
            // A row taller than a page: split it between lines, repeating the header.
            let mut from = 0;
            while from < n {
                let fit = (((self.room() - 2.0 * PAD) / lh).floor() as usize).max(1);
                let to = (from + fit).min(n);
                let part: Vec<Vec<Line>> = lines
                    .iter()
                    .map(|c| c.iter().skip(from).take(to - from).cloned().collect())
                    .collect();
                let ph = (to - from) as f32 * lh + 2.0 * PAD;
                self.draw_row(&part, &widths, align, x0, ph, Row::Body(&tds));
                from = to;
                if from < n {
                    self.new_page();
                    self.draw_row(&head_lines, &widths, align, x0, head_h, Row::Repeated);
                }
            }
            // The row's cells go on over the pages: each is one element.
            self.close_row(tr, &tds);
        }
        self.close(table);
        self.y += BODY * 0.8;
    }

    /// Opens a row of `table` and its `cols` cells (`TH` or `TD`).
    fn open_row(&mut self, table: u32, cols: usize, cell: Role) -> (u32, Vec<u32>) {
        let tr = self.open(table, Role::TR);
        let cells = (0..cols).map(|_| self.open(tr, cell.clone())).collect();
        (tr, cells)
    }

    fn close_row(&mut self, tr: u32, cells: &[u32]) {
        for c in cells {
            self.close(*c);
        }
        self.close(tr);
    }

    fn draw_row(
        &mut self,
        cells: &[Vec<Line>],
        widths: &[f32],
        align: &[Align],
        x0: f32,
        h: f32,
        row: Row<'_>,
    ) {
        let (header, elements) = match row {
            Row::Header(ids) => (true, Some(ids)),
            Row::Repeated => {
                self.set_tag(Tag::Pagination);
                (true, None)
            }
            Row::Body(ids) => (false, Some(ids)),
        };
        let top = self.y;
        let total: f32 = widths.iter().sum();
        if header {
            self.page().push(Draw::Rect {
                x: x0,
                y: top,
                w: total,
                h,
                paint: Paint::Gray(0.92),
            });
        }
        let mut x = x0;
        for (c, lines) in cells.iter().enumerate() {
            let w = widths[c];
            let right = matches!(align.get(c), Some(Align::Right)) && !header;
            if let Some(id) = elements.and_then(|ids| ids.get(c)) {
                self.set_tag(Tag::Elem(*id));
            }
            for (i, line) in lines.iter().enumerate() {
                let baseline = top + PAD + i as f32 * TABLE * LEADING + TABLE * 1.1;
                let dx = if right {
                    (w - 2.0 * PAD - line.width).max(0.0)
                } else {
                    0.0
                };
                for p in &line.pieces {
                    self.page().push(Draw::Text {
                        x: x + PAD + dx + p.x,
                        y: baseline,
                        size: TABLE,
                        bold: p.bold,
                        text: p.text.clone(),
                    });
                }
            }
            x += w;
        }
        // Borders drawn around each cell at the row's real height.
        let mut edge = x0;
        for w in std::iter::once(0.0).chain(widths.iter().copied()) {
            edge += w;
            self.page().push(Draw::Line {
                x1: edge,
                y1: top,
                x2: edge,
                y2: top + h,
                width: 0.4,
            });
        }
        self.page().push(Draw::Line {
            x1: x0,
            y1: top,
            x2: x,
            y2: top,
            width: 0.4,
        });
        self.page().push(Draw::Line {
            x1: x0,
            y1: top + h,
            x2: x,
            y2: top + h,
            width: 0.4,
        });
        self.y += h;
    }
}

/// Column widths from content, as CSS automatic table layout. Each column wants `max` (its
/// text on one line) and needs `min` (its widest piece never broken inside). If everything
/// fits, columns get what they want; else each gets its need plus a share of the rest in
/// proportion to how much more it wants, so no piece is broken while the needs fit. If even the needs do not fit, columns keep their need up to
/// `protect` points and only the columns needing more are squeezed (a 300-character name
/// wraps; a number or a status does not).
pub fn column_widths(min: &[f32], max: &[f32], avail: f32, protect: f32) -> Vec<f32> {
    let n = min.len();
    let (sum_min, sum_max): (f32, f32) = (min.iter().sum(), max.iter().sum());
    if sum_max <= avail {
        return max.to_vec();
    }
    if sum_min <= avail {
        let extra = avail - sum_min;
        let want = (sum_max - sum_min).max(f32::EPSILON);
        return (0..n)
            .map(|c| min[c] + extra * (max[c] - min[c]) / want)
            .collect();
    }
    let kept: Vec<f32> = min.iter().map(|m| m.min(protect)).collect();
    let sum_kept: f32 = kept.iter().sum();
    if sum_kept >= avail {
        return kept.iter().map(|k| k * avail / sum_kept).collect();
    }
    let extra = avail - sum_kept;
    let over: f32 = (0..n)
        .map(|c| min[c] - kept[c])
        .sum::<f32>()
        .max(f32::EPSILON);
    (0..n)
        .map(|c| kept[c] + extra * (min[c] - kept[c]) / over)
        .collect()
}

/// What a screen reader says for a chart: its title and every bar's label and value, as
/// the chart shows them (bars' lengths say nothing the values do not).
fn alt_text(chart: &Chart) -> String {
    let (colon, sep) = if chart.title.is_ascii() {
        (": ", "; ")
    } else {
        ("：", "；")
    };
    let bars: Vec<String> = chart
        .bars
        .iter()
        .map(|b| format!("{} {}", b.label, b.text))
        .collect();
    format!("{}{colon}{}", chart.title, bars.join(sep))
}

fn bolded(spans: &[Span]) -> Vec<Span> {
    spans
        .iter()
        .map(|s| Span {
            bold: true,
            ..s.clone()
        })
        .collect()
}

/// Lays the blocks out on pages, all kept. `toc` gives the page of each heading id (from
/// a first pass) for table-of-contents entries.
pub fn layout(
    blocks: &[Block],
    charts: &[(&str, Chart)],
    setup: PageSetup,
    m: &dyn Metrics,
    toc: &HashMap<String, usize>,
) -> Laid {
    let mut pages = Vec::new();
    let mut blocks = blocks.iter().cloned();
    let paged = layout_into(&mut blocks, charts, setup, m, toc, &mut |page| {
        pages.push(page)
    });
    Laid {
        pages,
        marks: paged.marks,
        anchors: paged.anchors,
    }
}

/// Lays the blocks out on pages, handing each page to `sink` as soon as it is full, in
/// order. Blocks are taken from `blocks` as they are needed (looking ahead only past a
/// run of headings or page breaks), so a document of any length is laid out in the
/// memory of one page and one block. `toc` gives
/// the page of each heading id (from a first pass) for table-of-contents entries; the
/// numbers printed never move anything, so both passes paginate alike.
pub fn layout_into(
    blocks: &mut dyn Iterator<Item = Block>,
    charts: &[(&str, Chart)],
    setup: PageSetup,
    m: &dyn Metrics,
    toc: &HashMap<String, usize>,
    sink: &mut dyn FnMut(Vec<Draw>),
) -> Paged {
    let mut c = Cursor {
        setup,
        m,
        sink,
        current: Vec::new(),
        paged: Paged::default(),
        y: setup.margin_top,
        toc,
        bar: false,
        tag: Tag::Artifact,
        last_id: 0,
    };
    c.new_page();
    // Blocks read but not yet laid out: the lookahead of headings and page breaks.
    let mut ahead: VecDeque<Block> = VecDeque::new();
    let mut peek = |ahead: &mut VecDeque<Block>, k: usize| -> bool {
        while ahead.len() <= k {
            match blocks.next() {
                Some(b) => ahead.push_back(b),
                None => return false,
            }
        }
        true
    };
    loop {
        if !peek(&mut ahead, 0) {
            break;
        }
        let Some(block) = ahead.pop_front() else {
            break;
        };
        match &block {
            Block::Heading { level, spans, id } => {
                // A run of headings stays with the start of the block after them.
                let mut next = 0.0;
                let mut k = 0;
                while peek(&mut ahead, k) {
                    let b = &ahead[k];
                    next += c.start_height(Some(b), charts);
                    if !matches!(b, Block::Heading { .. }) {
                        break;
                    }
                    k += 1;
                }
                c.heading(*level, spans, id, next)
            }
            Block::Paragraph(spans) => {
                let (x, w) = (setup.margin_x, setup.content_width());
                let element = c.open_tagged(0, Role::P);
                c.paragraph(spans, x, w, BODY);
                c.close(element);
                c.y += BODY * 0.6;
            }
            Block::List { start, items } => c.list(*start, items),
            Block::Quote(ps) => c.quote(ps),
            Block::Rule => {
                let y = c.y + 4.0;
                let (x1, x2) = (setup.margin_x, setup.width - setup.margin_x);
                c.page().push(Draw::Line {
                    x1,
                    y1: y,
                    x2,
                    y2: y,
                    width: 0.5,
                });
                c.y += 10.0;
            }
            Block::PageBreak => {
                // No empty page at the very end, nor twice in a row.
                let mut k = 0;
                let more = loop {
                    if !peek(&mut ahead, k) {
                        break false;
                    }
                    if ahead[k] != Block::PageBreak {
                        break true;
                    }
                    k += 1;
                };
                if more && c.y > setup.margin_top + 0.5 {
                    c.new_page();
                }
            }
            Block::Table {
                align,
                header,
                rows,
            } => c.table(align, header, rows),
            Block::Chart(name) => {
                if let Some((_, chart)) = charts.iter().find(|(n, _)| n == name) {
                    c.chart(chart);
                }
            }
        }
    }
    let last = std::mem::take(&mut c.current);
    (c.sink)(last);
    c.paged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::pdf::blocks::parse;
    use crate::render::pdf::text::tests::Mono;

    fn a4() -> PageSetup {
        PageSetup::from_mm(210.0, 297.0, false)
    }

    fn texts(page: &[Draw]) -> Vec<&str> {
        page.iter()
            .filter_map(|d| match d {
                Draw::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn long_tables_repeat_their_header_on_every_page() {
        let mut md = String::from("| 序号 | 措施 |\n|:--|:--|\n");
        for i in 0..200 {
            md.push_str(&format!("| {i} | 措施内容{i} |\n"));
        }
        let laid = layout(&parse(&md, &[]), &[], a4(), &Mono, &HashMap::new());
        assert!(laid.pages.len() > 2);
        for page in &laid.pages {
            assert_eq!(texts(page)[0], "序号", "every page starts with the header");
        }
        // Nothing below the bottom margin.
        for page in &laid.pages {
            for d in page {
                if let Draw::Text { y, .. } = d {
                    assert!(*y <= a4().height - a4().margin_bottom + 0.01);
                }
            }
        }
    }

    #[test]
    fn table_fits_the_page_width() {
        let long = "很长".repeat(2000);
        let md = format!("| a | b |\n|:--|:--|\n| {long} | x |\n");
        let setup = a4();
        let laid = layout(&parse(&md, &[]), &[], setup, &Mono, &HashMap::new());
        for page in &laid.pages {
            for d in page {
                if let Draw::Line { x2, .. } = d {
                    assert!(*x2 <= setup.width - setup.margin_x + 0.01);
                }
            }
        }
        assert!(laid.pages.len() >= 2, "a 4,000-character cell spans pages");
    }

    #[test]
    fn short_columns_keep_their_width_when_a_long_one_must_wrap() {
        // Three short columns (a number, a status, a score) beside a huge unbreakable name.
        let min = [20.0, 40.0, 30.0, 3000.0];
        let max = [20.0, 40.0, 30.0, 3000.0];
        let w = column_widths(&min, &max, 500.0, 60.0);
        assert_eq!(&w[..3], &[20.0, 40.0, 30.0]);
        assert!((w.iter().sum::<f32>() - 500.0).abs() < 0.01);
        // Everything fits: natural widths.
        assert_eq!(
            column_widths(&[10.0, 10.0], &[50.0, 60.0], 500.0, 60.0),
            [50.0, 60.0]
        );
    }

    #[test]
    fn table_columns_hold_their_widest_pieces_when_the_page_can() {
        let long = "严格执行审批和现场监护制度，违规作业一律停工整顿".repeat(3);
        let md = format!(
            "| 序号 | 措施内容 | 责任单位 | 现场点位 / 资料盒号 | 佐证材料 |\n\
             |:--|:--|:--|:--|:--|\n\
             | 1 | {long} | 交通运输分局、经济发展局、应急管理分局 | 南塘村液化气站 / C-21 \
             | ☑ 隐患排查台账<br>☐ 考核结果通报 |\n"
        );
        let laid = layout(&parse(&md, &[]), &[], a4(), &Mono, &HashMap::new());
        let drawn = texts(&laid.pages[0]);
        for piece in [
            "☑ 隐患排查台账",
            "☐ 考核结果通报",
            "交通运输分局、",
            "经济发展局、",
            "南塘村液化气站",
            "现场点位",
            "资料盒号",
        ] {
            assert!(
                drawn.iter().any(|t| t.contains(piece)),
                "{piece} broken: {drawn:?}"
            );
        }
    }

    #[test]
    fn page_breaks_and_bookmarks() {
        let md = "# 标题\n\n## 一 {#a}\n\n<!-- pagebreak -->\n\n## 二 {#b}\n\n<!-- pagebreak -->\n";
        let laid = layout(&parse(md, &[]), &[], a4(), &Mono, &HashMap::new());
        assert_eq!(laid.pages.len(), 2);
        assert_eq!(laid.anchors["a"], 1);
        assert_eq!(laid.anchors["b"], 2);
        assert_eq!(laid.marks.len(), 3);
    }
}
