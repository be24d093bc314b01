//! Page layout: blocks placed onto pages as simple drawing commands, in points from the
//! top-left corner. Pure: fonts are seen only through [`Metrics`], so layout is tested
//! without a PDF.

use super::blocks::{Align, Block, Span};
use super::official;
use super::text::{
    Extents, GAP_EM, Line, Metrics, QUARTER_EM, break_cell, break_indented, break_lines,
    cell_extents, label,
};
use crate::render::charts::Chart;
use std::collections::{HashMap, VecDeque};

/// Paper and margins, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSetup {
    pub width: f32,
    pub height: f32,
    /// The left margin (the right one too, unless `margin_right` says otherwise).
    pub margin_x: f32,
    /// The right margin: the official style's body area is not centred (28 mm left,
    /// 26 mm right).
    pub margin_right: f32,
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
            margin_right: 16.0 * pt,
            margin_top: 20.0 * pt,
            margin_bottom: 18.0 * pt,
        }
    }

    /// A4 portrait with the body area of GB/T 9704-2012 (4.2.1): 37 mm from the top,
    /// 28 mm from the left, 156 × 225 mm; the standard knows no other paper.
    pub fn official() -> PageSetup {
        let pt = 72.0 / 25.4;
        let (w, h) = (210.0, 297.0);
        let (top, left, body_w, body_h) = (37.0, 28.0, 156.0, 225.0);
        PageSetup {
            width: w * pt,
            height: h * pt,
            margin_x: left * pt,
            margin_right: (w - left - body_w) * pt,
            margin_top: top * pt,
            margin_bottom: (h - top - body_h) * pt,
        }
    }

    fn content_width(&self) -> f32 {
        // As `width - 2 × margin` to the last bit when the margins are equal.
        self.width - (self.margin_x + self.margin_right)
    }

    /// The right edge of the body area.
    pub fn right(&self) -> f32 {
        self.width - self.margin_right
    }

    /// The bottom edge of the body area.
    pub fn bottom(&self) -> f32 {
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
    /// From here to the end of the page or the next `Face`, text is set in `face`, each
    /// glyph advanced `tracking` ems more (less, when negative) than the font says. Only
    /// the official style draws it: a page starts in the body face with no tracking.
    Face { face: Face, tracking: f32 },
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

/// The faces of the official style (GB/T 9704-2012 7.3.1, 7.3.3): each may be its own
/// font, as an office sets its documents in 方正小标宋, 黑体, 楷体 and 仿宋.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Face {
    /// 仿宋: the body, tables, level-3 and level-4 headings, page numbers.
    #[default]
    Body,
    /// 小标宋: the title.
    Title,
    /// 黑体: level-1 headings (一、).
    Heading,
    /// 楷体: level-2 headings (（一）).
    Subheading,
}

/// What the official style lays out with: each face's glyph advances, and whether the
/// title face is drawn bold (the built-in serif has no bold: it is thickened; an office's
/// 小标宋 is heavy already).
pub struct Official<'a> {
    pub body: &'a dyn Metrics,
    pub title: &'a dyn Metrics,
    pub heading: &'a dyn Metrics,
    pub subheading: &'a dyn Metrics,
    pub title_bold: bool,
}

impl Official<'_> {
    fn metrics(&self, face: Face) -> &dyn Metrics {
        match face {
            Face::Body => self.body,
            Face::Title => self.title,
            Face::Heading => self.heading,
            Face::Subheading => self.subheading,
        }
    }
}

/// The official style's measures, in points: GB/T 9704-2012 4.2 and 7.
pub mod grid {
    const MM: f32 = 72.0 / 25.4;
    /// 3号: the body and every heading but the title.
    pub const BODY: f32 = 16.0;
    /// 2号: the title.
    pub const TITLE: f32 = 22.0;
    /// 4号: the page numbers.
    pub const PAGE_NUMBER: f32 = 14.0;
    /// 小五: table and chart text. The standard sets no size for tables (4.2.2: 特定情况
    /// 可以作适当调整); in 156 mm the gap report's eight- and nine-column tables keep
    /// their dates, ids and department names whole only at this size (3号 leaves a
    /// character or two per line, 小四 and 五号 break the dates).
    pub const TABLE: f32 = 9.0;
    /// 22 lines fill the 225 mm body area: one line every 10.23 mm.
    pub const PITCH: f32 = 225.0 * MM / 22.0;
    /// 28 characters fill the 156 mm line: 3号 characters set 0.21 pt tighter (as a
    /// word processor's character grid does), 5.57 mm apart.
    pub const CHAR_PITCH: f32 = 156.0 * MM / 28.0;
    /// That tightening, in ems of 3号.
    pub const TRACKING: f32 = (CHAR_PITCH - BODY) / BODY;
    /// Where the baseline sits below the top of a character's em box: CJK fonts draw
    /// their ideographs in a box from 0.88 em above the baseline to 0.12 em below. A
    /// line's box starts at the top of its grid line, so the first line's characters
    /// touch the top of the body area.
    pub const EM_TOP: f32 = 0.88;
    /// The page number's box starts 7 mm below the body area (7.5).
    pub const PAGE_NUMBER_DROP: f32 = 7.0 * MM;
}

/// Advances with tracking added to every glyph: the official style's character grid.
struct Tracked<'a> {
    m: &'a dyn Metrics,
    em: f32,
}

impl Metrics for Tracked<'_> {
    fn advance(&self, c: char, bold: bool) -> f32 {
        if c == QUARTER_EM {
            // Positioning, not a glyph: no tracking.
            GAP_EM
        } else {
            self.m.advance(c, bold) + self.em
        }
    }
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
    /// The official style, when the document is set in it.
    official: Option<&'a Official<'a>>,
    /// The face and tracking the page's text is in, once a [`Draw::Face`] set them.
    face: Option<(Face, f32)>,
    /// The official style's heading numbers: 一、（一）1.（1）.
    numbers: [u32; 4],
    /// Table and chart text size.
    table_size: f32,
}

impl<'a> Cursor<'a> {
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
        self.face = None;
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

    /// Sets the face of the text drawn next (official style only; a no-op otherwise).
    fn set_face(&mut self, face: Face, tracking: f32) {
        if self.official.is_some() && self.face != Some((face, tracking)) {
            self.current.push(Draw::Face { face, tracking });
            self.face = Some((face, tracking));
        }
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

    /// Room for `height` points of the official grid (a whole number of lines), with a
    /// little slack so a line that ends exactly at the body area's bottom still fits.
    fn ensure_grid(&mut self, height: f32) {
        let page = self.setup.bottom() - self.setup.margin_top;
        self.ensure(height.min(page) - 0.5);
    }

    /// Moves down to the next line of the official grid, after what is not on it (a
    /// table, a chart, a rule).
    fn snap(&mut self) {
        if self.official.is_some() {
            let top = self.setup.margin_top;
            let lines = ((self.y - top) / grid::PITCH - 0.01).ceil().max(0.0);
            self.y = top + lines * grid::PITCH;
        }
    }

    /// Lines of text on the official grid: one line of the 22 each, the characters' box
    /// at the top of it; centred when `centre` (a title).
    fn grid_lines(&mut self, lines: &[Line], x: f32, size: f32, face: Face, centre: bool) {
        let tracking = if face == Face::Title {
            0.0
        } else {
            grid::TRACKING
        };
        let bold = face == Face::Title && self.official.is_some_and(|o| o.title_bold);
        let width = self.setup.content_width();
        for line in lines {
            self.ensure_grid(grid::PITCH);
            self.set_face(face, tracking);
            if self.bar {
                let (x, y) = (self.setup.margin_x, self.y);
                self.page().push(Draw::Rect {
                    x,
                    y,
                    w: 3.0,
                    h: grid::PITCH,
                    paint: Paint::Warning,
                });
            }
            let baseline = self.y + grid::EM_TOP * size;
            let dx = if centre {
                ((width - line.width) / 2.0).max(0.0)
            } else {
                0.0
            };
            for p in &line.pieces {
                self.page().push(Draw::Text {
                    x: x + dx + p.x,
                    y: baseline,
                    size,
                    bold: p.bold || bold,
                    text: p.text.clone(),
                });
            }
            self.y += grid::PITCH;
        }
    }

    /// The advances of a face on the character grid: 28 characters of 3号 to a line.
    fn on_grid(&self, face: Face) -> Tracked<'a> {
        let official = self.official.expect("the official style");
        Tracked {
            m: official.metrics(face),
            em: grid::TRACKING,
        }
    }

    /// A paragraph of an official document: 3号, the first line indented two characters.
    fn official_paragraph(&mut self, spans: &[Span]) {
        let m = self.on_grid(Face::Body);
        let width = self.setup.content_width();
        let lines = break_indented(spans, grid::BODY, width, 2.0 * grid::CHAR_PITCH, &m);
        let x = self.setup.margin_x;
        let element = self.open_tagged(0, Role::P);
        self.grid_lines(&lines, x, grid::BODY, Face::Body, false);
        self.close(element);
    }

    /// The title (a level-1 heading): 2号 in the title face, centred, its lines balanced
    /// (7.3.1: 回行时排列对称), a blank line after it. It starts the heading numbers anew.
    fn official_title(&mut self, spans: &[Span], id: &Option<String>, next: f32) {
        let official = self.official.expect("the official style");
        let m = official.title;
        let width = self.setup.content_width();
        let mut lines = break_lines(spans, grid::TITLE, width, m);
        if lines.len() > 1 {
            // The narrowest measure that keeps the line count: lines of even length.
            let n = lines.len();
            let (mut lo, mut hi) = (width / n as f32, width);
            for _ in 0..16 {
                let mid = (lo + hi) / 2.0;
                if break_lines(spans, grid::TITLE, mid, m).len() > n {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            lines = break_lines(spans, grid::TITLE, hi, m);
        }
        let height = (lines.len() + 1) as f32 * grid::PITCH;
        self.ensure_grid(height + next.max(2.0 * grid::PITCH));
        self.numbers = [0; 4];
        self.mark(1, spans, id);
        let x = self.setup.margin_x;
        let element = self.open_tagged(0, Role::H(1));
        self.grid_lines(&lines, x, grid::TITLE, Face::Title, true);
        self.close(element);
        self.y += grid::PITCH;
    }

    /// A heading below the title: numbered 一、（一）1.（1） by level unless it carries a
    /// number (or is an appendix) already; level 1 in the heading face (黑体), level 2 in
    /// the subheading face (楷体), the rest in the body face; 3号, indented like a
    /// paragraph, on the grid.
    fn official_heading(&mut self, level: u8, spans: &[Span], id: &Option<String>, next: f32) {
        if level == 1 {
            return self.official_title(spans, id, next);
        }
        let spans = self.numbered(level, spans);
        let face = match level {
            2 => Face::Heading,
            3 => Face::Subheading,
            _ => Face::Body,
        };
        let m = self.on_grid(face);
        let width = self.setup.content_width();
        let lines = break_indented(&spans, grid::BODY, width, 2.0 * grid::CHAR_PITCH, &m);
        self.ensure_grid(lines.len() as f32 * grid::PITCH + next.max(2.0 * grid::PITCH));
        self.mark(level, &spans, id);
        let x = self.setup.margin_x;
        let element = self.open_tagged(0, Role::H(level.clamp(1, 6)));
        self.grid_lines(&lines, x, grid::BODY, face, false);
        self.close(element);
    }

    /// A heading's spans with its number in front, counting it.
    fn numbered(&mut self, level: u8, spans: &[Span]) -> Vec<Span> {
        let Some(i) = (2..=5).contains(&level).then(|| usize::from(level) - 2) else {
            return spans.to_vec();
        };
        self.numbers[i] += 1;
        self.numbers[i + 1..].iter_mut().for_each(|n| *n = 0);
        let text: String = spans.iter().map(|s| s.text.as_str()).collect();
        if official::has_number(text.trim_start()) {
            return spans.to_vec();
        }
        let number = Span {
            text: official::number(level, self.numbers[i]),
            bold: false,
            anchor: None,
        };
        std::iter::once(number)
            .chain(spans.iter().cloned())
            .collect()
    }

    /// List item `i`'s marker (`3.` or `•`) and, for a table-of-contents entry (an item
    /// linking to a heading), the page number to print after it (`—` before pagination).
    fn marker_and_page(
        &self,
        start: Option<u64>,
        i: usize,
        item: &[Span],
    ) -> (String, Option<String>) {
        let marker = match start {
            Some(n) => format!("{}.", n + i as u64),
            None => "•".to_string(),
        };
        let page = item
            .iter()
            .find_map(|s| s.anchor.as_ref())
            .map(|a| self.toc.get(a).map_or("—".to_string(), |p| p.to_string()));
        (marker, page)
    }

    /// Records a heading's bookmark and anchor on the current page.
    fn mark(&mut self, level: u8, spans: &[Span], id: &Option<String>) {
        let title: String = spans.iter().map(|s| s.text.as_str()).collect();
        self.paged.marks.push(Mark {
            level,
            title: title.trim().to_string(),
            page: self.page_no(),
        });
        if let Some(id) = id {
            self.paged.anchors.insert(id.clone(), self.page_no());
        }
    }

    /// A list in an official document: each item a paragraph with its marker, a
    /// contents entry with its page number at the right.
    fn official_list(&mut self, start: Option<u64>, items: &[Vec<Span>]) {
        let m = self.on_grid(Face::Body);
        let width = self.setup.content_width();
        let indent = 2.0 * grid::CHAR_PITCH;
        let list = self.open(0, Role::L);
        for (i, item) in items.iter().enumerate() {
            // The marker is set in the item's text: the whole item is its body.
            let li = self.open(list, Role::LI);
            let body = self.open_tagged(li, Role::LBody);
            let (marker, page) = self.marker_and_page(start, i, item);
            let spans: Vec<Span> = std::iter::once(Span {
                text: format!("{marker} "),
                bold: false,
                anchor: None,
            })
            .chain(item.iter().cloned())
            .collect();
            let text_width = width - if page.is_some() { indent * 2.0 } else { 0.0 };
            let lines = break_indented(&spans, grid::BODY, text_width, indent, &m);
            let x = self.setup.margin_x;
            self.grid_lines(&lines, x, grid::BODY, Face::Body, false);
            if let Some(page) = page {
                let pw: f32 = page.chars().map(|c| m.advance(c, false)).sum::<f32>() * grid::BODY;
                let y = self.y - grid::PITCH + grid::EM_TOP * grid::BODY;
                let right = self.setup.right();
                self.page().push(Draw::Text {
                    x: right - pw,
                    y,
                    size: grid::BODY,
                    bold: false,
                    text: page,
                });
            }
            self.close(body);
            self.close(li);
        }
        self.close(list);
    }

    /// A block quote in an official document: indented two characters, with its bar.
    fn official_quote(&mut self, paragraphs: &[Vec<Span>]) {
        let m = self.on_grid(Face::Body);
        let indent = 2.0 * grid::CHAR_PITCH;
        let width = self.setup.content_width() - indent;
        self.bar = true;
        let quote = self.open(0, Role::BlockQuote);
        for p in paragraphs {
            let lines = break_lines(p, grid::BODY, width, &m);
            let x = self.setup.margin_x + indent;
            let element = self.open_tagged(quote, Role::P);
            self.grid_lines(&lines, x, grid::BODY, Face::Body, false);
            self.close(element);
        }
        self.close(quote);
        self.bar = false;
    }

    fn heading(&mut self, level: u8, spans: &[Span], id: &Option<String>, next: f32) {
        if self.official.is_some() {
            return self.official_heading(level, spans, id, next);
        }
        let size = heading_size(level);
        let width = self.setup.content_width();
        let lines = break_lines(&bolded(spans), size, width, self.m);
        let height = lines.len() as f32 * size * LEADING + size;
        // Keep a heading with the start of what follows (a paragraph's first lines, a
        // table's header and first row, a whole chart), as far as a page can hold both.
        let page = self.setup.bottom() - self.setup.margin_top;
        self.ensure((height + next.max(3.0 * BODY * LEADING)).min(page));
        self.y += size * 0.6;
        self.mark(level, spans, id);
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
            let (x1, x2, y) = (self.setup.margin_x, self.setup.right(), self.y);
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
        if self.official.is_some() {
            return self.official_list(start, items);
        }
        let indent = BODY * 2.0;
        let x = self.setup.margin_x + indent;
        let width = self.setup.content_width() - indent;
        let list = self.open(0, Role::L);
        for (i, item) in items.iter().enumerate() {
            let li = self.open(list, Role::LI);
            let (marker, page) = self.marker_and_page(start, i, item);
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
                let right = self.setup.right();
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
        if self.official.is_some() {
            return self.official_quote(paragraphs);
        }
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
        // Drawn larger with larger table text (the official style), in proportion.
        let k = self.table_size / TABLE;
        let row = CHART_ROW * k;
        let label_w = 120.0 * k;
        let bar_w = (self.setup.content_width() - label_w - 50.0 * k).min(300.0);
        let height = self.chart_start_height(chart);
        self.ensure(height);
        let figure = self.open_tagged(0, Role::Figure(alt_text(chart)));
        self.set_face(Face::Body, 0.0);
        let x0 = self.setup.margin_x;
        let title_y = self.y + 12.0 * k;
        self.page().push(Draw::Text {
            x: x0,
            y: title_y,
            size: 10.5 * k,
            bold: true,
            text: chart.title.clone(),
        });
        self.y += 20.0 * k;
        for bar in &chart.bars {
            self.ensure(row);
            self.set_face(Face::Body, 0.0);
            let y = self.y;
            let label = label(&crate::render::shorten(&bar.label, 12), self.m);
            let size = self.table_size;
            let lw: f32 = label.chars().map(|c| self.m.advance(c, false)).sum::<f32>() * size;
            self.page().push(Draw::Text {
                x: x0 + label_w - 6.0 * k - lw,
                y: y + 11.0 * k,
                size,
                bold: false,
                text: label,
            });
            self.page().push(Draw::Rect {
                x: x0 + label_w,
                y: y + 2.0 * k,
                w: bar_w,
                h: 11.0 * k,
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
                    y: y + 2.0 * k,
                    w,
                    h: 11.0 * k,
                    paint: Paint::Accent,
                });
            }
            self.page().push(Draw::Text {
                x: x0 + label_w + bar_w + 6.0 * k,
                y: y + 11.0 * k,
                size,
                bold: false,
                text: bar.text.clone(),
            });
            self.y += row;
        }
        self.close(figure);
        self.y += 8.0 * k;
        self.snap();
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
        let mut hard = vec![0.0f32; cols];
        let mut min = vec![0.0f32; cols];
        let mut max = vec![0.0f32; cols];
        for r in std::iter::once(&head).chain(rows.iter()) {
            for c in 0..cols {
                let e = match r.get(c) {
                    Some(spans) => cell_extents(spans, self.table_size, self.m),
                    None => Extents::default(),
                };
                // A Han label squeezed still keeps two characters to a line.
                let floor = e.min.min(2.0 * self.table_size);
                hard[c] = hard[c].max(e.hard.max(floor) + 2.0 * PAD);
                min[c] = min[c].max(e.min + 2.0 * PAD);
                max[c] = max[c].max(e.max + 2.0 * PAD);
            }
        }
        let avail = self.setup.content_width();
        let protect = PROTECTED_EM * self.table_size + 2.0 * PAD;
        let widths = column_widths(&Needs { hard, min, max }, avail, protect);
        (cols, head, widths)
    }

    /// The height a row of cells takes at the given column widths.
    fn row_height(&self, row: &[Vec<Span>], widths: &[f32]) -> f32 {
        let n = widths
            .iter()
            .enumerate()
            .map(|(c, w)| match row.get(c) {
                Some(spans) => {
                    break_cell(spans, self.table_size, (w - 2.0 * PAD).max(1.0), self.m).len()
                }
                None => 1,
            })
            .max()
            .unwrap_or(1);
        n as f32 * self.table_size * LEADING + 2.0 * PAD
    }

    /// Room a chart needs to start: all of it, or its title and a few bars when it is
    /// taller than a page (it then continues on the next).
    fn chart_start_height(&self, chart: &Chart) -> f32 {
        let k = self.table_size / TABLE;
        let height = (22.0 + CHART_ROW * chart.bars.len() as f32) * k;
        if height > self.setup.bottom() - self.setup.margin_top {
            (22.0 + CHART_ROW * 3.0) * k
        } else {
            height
        }
    }

    /// How much room the start of a block needs, so a heading is not left alone above it.
    fn start_height(&self, block: Option<&Block>, charts: &[(&str, Chart)]) -> f32 {
        match block {
            None | Some(Block::Rule) | Some(Block::PageBreak) => 0.0,
            Some(Block::Heading { level, spans, .. }) if self.official.is_some() => {
                let (size, extra) = if *level == 1 {
                    (grid::TITLE, 1.0)
                } else {
                    (grid::BODY, 0.0)
                };
                let n = break_lines(spans, size, self.setup.content_width(), self.m).len();
                (n as f32 + extra) * grid::PITCH
            }
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
                    MIN_SPLIT_LINES * self.table_size * LEADING + 2.0 * PAD
                } else {
                    first
                };
                head_h + first
            }
            Some(Block::Chart(name)) => charts
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0.0, |(_, c)| self.chart_start_height(c)),
            Some(_) if self.official.is_some() => 2.0 * grid::PITCH,
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
        let size = self.table_size;
        let layout_row = |r: &Vec<Vec<Span>>, m: &dyn Metrics| -> Vec<Vec<Line>> {
            (0..cols)
                .map(|c| break_cell(&cell(r, c), size, (widths[c] - 2.0 * PAD).max(1.0), m))
                .collect()
        };
        let lh = size * LEADING;
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
        self.snap();
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
        self.set_face(Face::Body, 0.0);
        let top = self.y;
        let total: f32 = widths.iter().sum();
        // An official document's tables are ruled, not shaded.
        if header && self.official.is_none() {
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
                let size = self.table_size;
                let baseline = top + PAD + i as f32 * size * LEADING + size * 1.1;
                let dx = if right {
                    (w - 2.0 * PAD - line.width).max(0.0)
                } else {
                    0.0
                };
                for p in &line.pieces {
                    self.page().push(Draw::Text {
                        x: x + PAD + dx + p.x,
                        y: baseline,
                        size,
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

/// What each column of a table needs and wants, in points (see [`Extents`]).
pub struct Needs {
    /// Its widest hard piece (a date, an id): kept whole as long as the hard pieces fit.
    pub hard: Vec<f32>,
    /// Its widest piece never broken inside while the pieces fit.
    pub min: Vec<f32>,
    /// Its text on one line.
    pub max: Vec<f32>,
}

/// Column widths from content, as CSS automatic table layout. Each column wants `max` (its
/// text on one line) and needs `min` (its widest piece never broken inside). If everything
/// fits, columns get what they want; else each gets its need plus a share of the rest in
/// proportion to how much more it wants, so no piece is broken while the needs fit. If
/// even the needs do not fit, columns keep their need up to `protect` points and only the
/// columns needing more are squeezed (a 300-character name wraps; a number or a status
/// does not). If that does not fit either, the hard pieces (dates, ids, numbers) stay
/// whole and the columns squeezed are those whose pieces break between Han characters.
pub fn column_widths(needs: &Needs, avail: f32, protect: f32) -> Vec<f32> {
    let Needs { hard, min, max } = needs;
    let n = min.len();
    let (sum_min, sum_max): (f32, f32) = (min.iter().sum(), max.iter().sum());
    if sum_max <= avail {
        return max.to_vec();
    }
    // Each column between `low` and `high`: `low`, and what is left over shared in
    // proportion to how much more than `low` each would take.
    let share = |low: &[f32], high: &[f32]| -> Vec<f32> {
        let extra = avail - low.iter().sum::<f32>();
        let want = (0..n)
            .map(|c| high[c] - low[c])
            .sum::<f32>()
            .max(f32::EPSILON);
        (0..n)
            .map(|c| low[c] + extra * (high[c] - low[c]) / want)
            .collect()
    };
    if sum_min <= avail {
        return share(min, max);
    }
    let kept: Vec<f32> = min.iter().map(|m| m.min(protect)).collect();
    if kept.iter().sum::<f32>() < avail {
        return share(&kept, min);
    }
    let base: Vec<f32> = (0..n).map(|c| hard[c].min(kept[c])).collect();
    let sum_base: f32 = base.iter().sum();
    if sum_base >= avail {
        return base.iter().map(|b| b * avail / sum_base).collect();
    }
    share(&base, &kept)
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
    run(blocks, charts, setup, m, None, toc, sink)
}

/// [`layout_into`] in the official style of GB/T 9704-2012: A4 with its body area, every
/// line of text on its grid of 22 lines of 28 characters, the title in 2号, headings
/// numbered 一、（一）1.（1） in their faces, tables in 小四. The page numbers are the
/// caller's (they are drawn with the page's other decorations).
pub fn layout_official(
    blocks: &mut dyn Iterator<Item = Block>,
    charts: &[(&str, Chart)],
    official: &Official<'_>,
    toc: &HashMap<String, usize>,
    sink: &mut dyn FnMut(Vec<Draw>),
) -> Paged {
    let setup = PageSetup::official();
    run(
        blocks,
        charts,
        setup,
        official.body,
        Some(official),
        toc,
        sink,
    )
}

fn run<'a>(
    blocks: &mut dyn Iterator<Item = Block>,
    charts: &[(&str, Chart)],
    setup: PageSetup,
    m: &'a dyn Metrics,
    official: Option<&'a Official<'a>>,
    toc: &'a HashMap<String, usize>,
    sink: &'a mut dyn FnMut(Vec<Draw>),
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
        official,
        face: None,
        numbers: [0; 4],
        table_size: if official.is_some() {
            grid::TABLE
        } else {
            TABLE
        },
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
            Block::Paragraph(spans) if c.official.is_some() => c.official_paragraph(spans),
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
                let (x1, x2) = (setup.margin_x, setup.right());
                c.page().push(Draw::Line {
                    x1,
                    y1: y,
                    x2,
                    y2: y,
                    width: 0.5,
                });
                c.y += 10.0;
                c.snap();
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
        let needs = |hard: &[f32], min: &[f32], max: &[f32]| Needs {
            hard: hard.to_vec(),
            min: min.to_vec(),
            max: max.to_vec(),
        };
        let min = [20.0, 40.0, 30.0, 3000.0];
        let w = column_widths(&needs(&min, &min, &min), 500.0, 60.0);
        assert_eq!(&w[..3], &[20.0, 40.0, 30.0]);
        assert!((w.iter().sum::<f32>() - 500.0).abs() < 0.01);
        // Everything fits: natural widths.
        assert_eq!(
            column_widths(
                &needs(&[5.0, 5.0], &[10.0, 10.0], &[50.0, 60.0]),
                500.0,
                60.0
            ),
            [50.0, 60.0]
        );
    }

    #[test]
    fn an_over_full_table_squeezes_han_labels_before_it_breaks_a_date() {
        // A date (hard 56) beside two Han labels (pieces 70, breakable to 10 each):
        // their pieces cannot all fit in 150.
        let needs = Needs {
            hard: vec![56.0, 10.0, 10.0],
            min: vec![56.0, 70.0, 70.0],
            max: vec![56.0, 200.0, 200.0],
        };
        let w = column_widths(&needs, 150.0, 80.0);
        assert_eq!(w[0], 56.0, "{w:?}");
        assert!(
            (w[1] - 47.0).abs() < 0.01 && (w[2] - 47.0).abs() < 0.01,
            "{w:?}"
        );
        // Not even the hard pieces fit: all shrink in proportion.
        let w = column_widths(&needs, 38.0, 80.0);
        assert!((w[0] - 28.0).abs() < 0.01, "{w:?}");
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

    fn official(md: &str) -> (Vec<Vec<Draw>>, Paged) {
        let o = Official {
            body: &Mono,
            title: &Mono,
            heading: &Mono,
            subheading: &Mono,
            title_bold: true,
        };
        let mut pages = Vec::new();
        let mut blocks = parse(md, &[]).into_iter();
        let paged = layout_official(&mut blocks, &[], &o, &HashMap::new(), &mut |p| {
            pages.push(p)
        });
        (pages, paged)
    }

    /// Each text's baseline and its characters, with the face it is set in.
    fn texts_in_faces(page: &[Draw]) -> Vec<(Face, f32, f32, String)> {
        let mut face = Face::Body;
        let mut out = Vec::new();
        for d in page {
            match d {
                Draw::Face { face: f, .. } => face = *f,
                Draw::Text { y, size, text, .. } => out.push((face, *y, *size, text.clone())),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn official_text_stands_on_a_grid_of_22_lines_of_28_characters() {
        let md = format!("# 标题\n\n{}\n", "国".repeat(28 * 50));
        let (pages, _) = official(&md);
        let setup = PageSetup::official();
        let mm = 72.0 / 25.4;
        assert!((setup.margin_x - 28.0 * mm).abs() < 0.01);
        assert!((setup.margin_top - 37.0 * mm).abs() < 0.01);
        assert!((setup.content_width() - 156.0 * mm).abs() < 0.01);
        assert!((setup.bottom() - setup.margin_top - 225.0 * mm).abs() < 0.01);
        let first = texts_in_faces(&pages[0]);
        // The title on line 1 in its face, a blank line, then 20 lines of text.
        assert_eq!(first[0].0, Face::Title);
        assert_eq!(first[0].2, grid::TITLE);
        assert_eq!(first.len(), 21);
        let second = texts_in_faces(&pages[1]);
        assert_eq!(second.len(), 22, "22 lines to a page");
        for (k, (face, y, size, text)) in second.iter().enumerate() {
            assert_eq!(*face, Face::Body);
            assert_eq!(*size, grid::BODY);
            let top = setup.margin_top + k as f32 * grid::PITCH;
            assert!((y - grid::EM_TOP * size - top).abs() < 0.01, "line {k}");
            assert_eq!(text.chars().count(), 28, "28 characters to a line");
        }
        // The paragraph's first line is indented two characters.
        assert_eq!(first[1].3.chars().count(), 26);
    }

    #[test]
    fn official_headings_are_numbered_by_level_in_their_faces() {
        let md = "# 标题\n\n## 甲\n\n### 乙\n\n#### 丙\n\n##### 丁\n\n##### 戊\n\n\
                  ### 己\n\n## 庚\n\n### 辛\n\n## 三、自有编号\n\n## 附录：表\n";
        let (pages, paged) = official(md);
        let titles: Vec<&str> = paged.marks.iter().map(|m| m.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "标题",
                "一、甲",
                "（一）乙",
                "1.丙",
                "（1）丁",
                "（2）戊",
                "（二）己",
                "二、庚",
                "（一）辛",
                "三、自有编号",
                "附录：表"
            ]
        );
        let faces: Vec<(Face, String)> = texts_in_faces(&pages[0])
            .into_iter()
            .map(|(f, _, _, t)| (f, t))
            .collect();
        assert_eq!(faces[1], (Face::Heading, "一、甲".to_string()));
        assert_eq!(faces[2], (Face::Subheading, "（一）乙".to_string()));
        assert_eq!(faces[3], (Face::Body, "1.丙".to_string()));
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
