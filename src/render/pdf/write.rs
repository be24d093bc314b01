//! Laid-out pages into PDF, one page at a time: [`PdfWriter`] writes each page's content
//! stream the moment it is laid out and keeps only the page's object number, so the memory
//! a PDF takes does not grow with its page count. The font subset is made before the first
//! page (the characters come from a first layout pass) and embedded as a Type0 font with
//! a ToUnicode map, so text extracts. Nothing varies from run to run (resource names,
//! dates, the document /ID is a hash of the bytes): the same inputs give the same file.

use super::font::{Faces, Font, FontError, Outlines, Subset};
use super::layout::{Draw, Face, Laid, Mark, PageSetup, Paint};
use super::out::{self, PdfOut, reference, text_string};
use super::tag::Tagger;
use super::text::{GAP_EM, QUARTER_EM};
use lopdf::{Dictionary, Object, StringFormat};
use std::collections::BTreeSet;
use std::io::{self, Write};

/// Document metadata.
pub struct Meta<'a> {
    pub title: &'a str,
    /// The unit, written as the author.
    pub author: &'a str,
    /// Seconds since 1970 of the as-of date: the creation date.
    pub created: i64,
    /// The document language, as /Lang.
    pub lang: &'a str,
}

/// The characters a document draws, gathered page by page in the first layout pass: a
/// bit per Basic Multilingual Plane character (8 KB) and a set for the rest, so adding
/// millions of characters is cheap.
pub struct CharSet {
    bmp: Vec<u64>,
    other: BTreeSet<char>,
}

impl Default for CharSet {
    fn default() -> Self {
        CharSet {
            bmp: vec![0; 0x10000 / 64],
            other: BTreeSet::new(),
        }
    }
}

impl CharSet {
    /// Adds the characters of a text.
    pub fn add_str(&mut self, text: &str) {
        for c in text.chars() {
            self.add(c);
        }
    }

    /// Adds a character; a [`QUARTER_EM`] gap is positioning, not a glyph.
    fn add(&mut self, c: char) {
        if c == QUARTER_EM {
            return;
        }
        let n = c as usize;
        match self.bmp.get_mut(n / 64) {
            Some(word) => *word |= 1 << (n % 64),
            None => {
                self.other.insert(c);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.other.is_empty() && self.bmp.iter().all(|w| *w == 0)
    }

    /// The characters, in order.
    pub fn to_set(&self) -> BTreeSet<char> {
        let mut set = self.other.clone();
        for (i, word) in self.bmp.iter().enumerate() {
            let mut w = *word;
            while w != 0 {
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                if let Some(c) = char::from_u32((i * 64 + bit) as u32) {
                    set.insert(c);
                }
            }
        }
        set
    }
}

/// The characters a document draws in each face: bold text goes to the bold face where
/// it has the character, the rest to the regular face. Kept per font of the document's
/// [`Faces`] (one, but for the official style), in their order.
#[derive(Default)]
pub struct Used {
    pub regular: CharSet,
    pub bold: CharSet,
    /// The characters of the other fonts, after the body's.
    more: Vec<Used>,
}

impl Used {
    /// Adds the characters every text of a page draws, each in the font of the face it
    /// is set in (a page starts in the body face).
    pub fn add_draws(&mut self, draws: &[Draw], faces: &Faces<'_>) {
        let fonts = faces.fonts();
        let mut at = 0;
        for d in draws {
            match d {
                Draw::Face { face, .. } => at = faces.index(*face),
                Draw::Text { text, bold, .. } => {
                    let font = fonts[at];
                    let used = self.font(at);
                    if *bold && font.bold_face().is_some() {
                        for c in text.chars() {
                            match font.face(c, true) {
                                (_, false) => used.bold.add(c),
                                (_, true) => used.regular.add(c),
                            }
                        }
                    } else {
                        used.regular.add_str(text);
                    }
                }
                _ => {}
            }
        }
    }

    /// The characters of the `at`-th font.
    fn font(&mut self, at: usize) -> &mut Used {
        if at == 0 {
            return self;
        }
        if self.more.len() < at {
            self.more.resize_with(at, Used::default);
        }
        &mut self.more[at - 1]
    }

    /// Adds characters drawn in the body's regular face.
    pub fn add_str(&mut self, text: &str) {
        self.regular.add_str(text);
    }

    /// The subsets to embed: the regular face's, and the bold face's when bold text
    /// uses it, for the body's font and each other font some text uses.
    pub fn subsets(&self, faces: &Faces<'_>) -> Result<Subsets, FontError> {
        let fonts = faces.fonts();
        let mut subsets = self.subsets_of(fonts[0])?;
        for (n, font) in fonts.iter().enumerate().skip(1) {
            subsets.more.push(match self.more.get(n - 1) {
                Some(used) if !used.regular.is_empty() || !used.bold.is_empty() => {
                    Some(used.subsets_of(font)?)
                }
                _ => None,
            });
        }
        Ok(subsets)
    }

    fn subsets_of(&self, font: &Font) -> Result<Subsets, FontError> {
        let bold = match font.bold_face() {
            Some(b) if !self.bold.is_empty() => Some(b.subset(&self.bold.to_set())?),
            _ => None,
        };
        Ok(Subsets {
            regular: font.subset(&self.regular.to_set())?,
            bold,
            more: Vec::new(),
        })
    }
}

/// The embedded subsets of a document's faces.
pub struct Subsets {
    pub regular: Subset,
    pub bold: Option<Subset>,
    /// The subsets of the other fonts of the document's [`Faces`], after the body's:
    /// `None` for a font no text is drawn in.
    pub more: Vec<Option<Subsets>>,
}

impl Subsets {
    /// The subsets of the `at`-th font of the document's faces.
    fn font(&self, at: usize) -> Option<&Subsets> {
        match at {
            0 => Some(self),
            n => self.more.get(n - 1)?.as_ref(),
        }
    }
}

/// The resource names of the `at`-th font's regular and bold faces: F1 and F2 for the
/// body's, F3 and F4 for the next …
fn font_names(at: usize) -> (String, String) {
    (format!("F{}", 2 * at + 1), format!("F{}", 2 * at + 2))
}

/// Writes one PDF page by page: the font and resources first, each page as it comes, the
/// page tree, outline, metadata and catalog at the end.
pub struct PdfWriter<'a> {
    out: PdfOut<'a>,
    setup: PageSetup,
    faces: Faces<'a>,
    subsets: Subsets,
    /// The resource names of each font's faces, by [`Faces::fonts`] order.
    names: Vec<(String, String)>,
    catalog: u32,
    pages_root: u32,
    resources: u32,
    /// The object number of every page written, in order: all that is kept of a page.
    pages: Vec<u32>,
    /// The content stream being built, reused from page to page.
    buf: Vec<u8>,
    /// The structure tree being built (a tagged PDF); `None` for the binder's generated
    /// pages, whose own structure would be thrown away.
    tags: Option<Tagger>,
}

impl<'a> PdfWriter<'a> {
    /// Starts a tagged PDF in `w`: the header, then the font subset (its program is
    /// dropped once written) and the shared page resources.
    pub fn start(
        w: &'a mut dyn Write,
        setup: PageSetup,
        faces: Faces<'a>,
        subsets: Subsets,
    ) -> io::Result<PdfWriter<'a>> {
        Self::begin(w, setup, faces, subsets, true)
    }

    fn begin(
        w: &'a mut dyn Write,
        setup: PageSetup,
        faces: Faces<'a>,
        mut subsets: Subsets,
        tagged: bool,
    ) -> io::Result<PdfWriter<'a>> {
        let mut out = PdfOut::new(w);
        out.raw(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
        let catalog = out.reserve();
        let pages_root = out.reserve();
        let font_id = write_font(&mut out, &mut subsets.regular)?;
        let resources = out.reserve();
        let mut fonts = Dictionary::new();
        let (regular, bold_name) = font_names(0);
        fonts.set(regular, reference(font_id));
        if let Some(bold) = subsets.bold.as_mut() {
            fonts.set(bold_name, reference(write_font(&mut out, bold)?));
        }
        for (n, more) in subsets.more.iter_mut().enumerate() {
            let Some(more) = more else { continue };
            let (regular, bold_name) = font_names(n + 1);
            fonts.set(regular, reference(write_font(&mut out, &mut more.regular)?));
            if let Some(bold) = more.bold.as_mut() {
                fonts.set(bold_name, reference(write_font(&mut out, bold)?));
            }
        }
        let mut res = Dictionary::new();
        res.set("Font", Object::Dictionary(fonts));
        out.object(resources, &Object::Dictionary(res))?;
        let tags = tagged.then(|| Tagger::new(&mut out));
        let names = (0..faces.fonts().len()).map(font_names).collect();
        Ok(PdfWriter {
            out,
            setup,
            faces,
            subsets,
            names,
            catalog,
            pages_root,
            resources,
            pages: Vec::new(),
            buf: Vec::with_capacity(64 * 1024),
            tags,
        })
    }

    /// Writes one page: its content stream (compressed) and its page object, and in a
    /// tagged PDF the structure elements the page completes.
    pub fn page(&mut self, draws: &[Draw]) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let page = self.out.reserve();
        let tags = match self.tags.as_mut() {
            Some(t) => {
                t.begin_page(page);
                Some((t, &mut self.out))
            }
            None => None,
        };
        let fonts = Fonts {
            faces: &self.faces,
            subsets: &self.subsets,
            names: &self.names,
        };
        content(&mut buf, draws, self.setup.height, &fonts, tags);
        let contents = self.out.reserve();
        self.out.deflated(contents, &Dictionary::new(), &buf)?;
        self.buf = buf;
        let key = match self.tags.as_mut() {
            Some(t) => Some(t.end_page(&mut self.out)?),
            None => None,
        };
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"Page".to_vec()));
        d.set("Parent", reference(self.pages_root));
        d.set(
            "MediaBox",
            Object::Array(vec![
                Object::Integer(0),
                Object::Integer(0),
                Object::Real(self.setup.width),
                Object::Real(self.setup.height),
            ]),
        );
        d.set("Resources", reference(self.resources));
        d.set("Contents", reference(contents));
        if let Some(key) = key {
            d.set("StructParents", Object::Integer(key as i64));
        }
        self.out.object(page, &Object::Dictionary(d))?;
        self.pages.push(page);
        Ok(())
    }

    /// Writes the page tree, the outline (`marks` in document order, one flat list as
    /// before), the metadata and the catalog, then the cross-reference table.
    pub fn finish(mut self, marks: &[Mark], meta: &Meta<'_>) -> io::Result<()> {
        let mut tree = format!("<</Type/Pages/Count {}/Kids[", self.pages.len()).into_bytes();
        for (i, id) in self.pages.iter().enumerate() {
            if i > 0 {
                tree.push(b' ');
            }
            tree.extend_from_slice(format!("{id} 0 R").as_bytes());
        }
        tree.extend_from_slice(b"]>>");
        self.out.object_bytes(self.pages_root, &tree)?;
        drop(tree);

        let marks: Vec<(&Mark, u32)> = marks
            .iter()
            .filter_map(|m| {
                let page = self.pages.get(m.page.checked_sub(1)?)?;
                Some((m, *page))
            })
            .collect();
        let outlines = if marks.is_empty() {
            None
        } else {
            let root = self.out.reserve();
            let ids: Vec<u32> = marks.iter().map(|_| self.out.reserve()).collect();
            for (i, (mark, page)) in marks.iter().enumerate() {
                let mut d = Dictionary::new();
                d.set("Title", text_string(&mark.title));
                d.set("Parent", reference(root));
                if i > 0 {
                    d.set("Prev", reference(ids[i - 1]));
                }
                if let Some(next) = ids.get(i + 1) {
                    d.set("Next", reference(*next));
                }
                d.set(
                    "Dest",
                    Object::Array(vec![
                        reference(*page),
                        Object::Name(b"XYZ".to_vec()),
                        Object::Null,
                        Object::Null,
                        Object::Null,
                    ]),
                );
                self.out.object(ids[i], &Object::Dictionary(d))?;
            }
            let mut d = Dictionary::new();
            d.set("Type", Object::Name(b"Outlines".to_vec()));
            d.set("Count", Object::Integer(ids.len() as i64));
            d.set("First", reference(ids[0]));
            d.set("Last", reference(ids[ids.len() - 1]));
            self.out.object(root, &Object::Dictionary(d))?;
            Some(root)
        };

        let info = self.out.reserve();
        let mut d = out::info_dict(meta.title, meta.author, meta.created);
        d.set("Subject", text_string(meta.title));
        self.out.object(info, &Object::Dictionary(d))?;
        let mut cat = Dictionary::new();
        cat.set("Type", Object::Name(b"Catalog".to_vec()));
        cat.set("Pages", reference(self.pages_root));
        if let Some(root) = outlines {
            cat.set("Outlines", reference(root));
            cat.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
        }
        let described = super::archive::Described {
            title: meta.title,
            author: meta.author,
            subject: meta.title,
            created: meta.created,
        };
        super::archive::write(&mut self.out, &mut cat, &described)?;
        if let Some(tags) = self.tags.take() {
            // A tagged PDF (PDF 1.7 §14.8): the structure tree, and viewers title the
            // window with the document's title rather than the file name (PDF/UA).
            let root = tags.finish(&mut self.out)?;
            cat.set("StructTreeRoot", reference(root));
            cat.set(
                "MarkInfo",
                Object::Dictionary(lopdf::dictionary! { "Marked" => true }),
            );
            cat.set(
                "ViewerPreferences",
                Object::Dictionary(lopdf::dictionary! { "DisplayDocTitle" => true }),
            );
        }
        if !meta.lang.is_empty() {
            cat.set("Lang", text_string(meta.lang));
        }
        self.out.object(self.catalog, &Object::Dictionary(cat))?;
        self.out.finish(self.catalog, info)
    }
}

/// Writes the Type0 font of a subset (its program, descriptor, ToUnicode map and CID
/// font) and returns the Type0 font's object number. The program is taken out of the
/// subset: it is not needed again.
fn write_font(out: &mut PdfOut<'_>, subset: &mut Subset) -> io::Result<u32> {
    let program = std::mem::take(&mut subset.program);
    let file = out.reserve();
    let mut d = Dictionary::new();
    let (subtype, file_key) = match subset.kind {
        Outlines::BareCff => {
            d.set("Subtype", Object::Name(b"CIDFontType0C".to_vec()));
            ("CIDFontType0", "FontFile3")
        }
        Outlines::OpenType => {
            d.set("Subtype", Object::Name(b"OpenType".to_vec()));
            ("CIDFontType0", "FontFile3")
        }
        Outlines::TrueType => {
            d.set("Length1", Object::Integer(program.len() as i64));
            ("CIDFontType2", "FontFile2")
        }
    };
    out.deflated(file, &d, &program)?;
    drop(program);
    let name = || Object::Name(subset.name.as_bytes().to_vec());

    let descriptor = out.reserve();
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"FontDescriptor".to_vec()));
    d.set("FontName", name());
    // Non-symbolic: the font covers the standard Latin characters.
    d.set("Flags", Object::Integer(32));
    d.set(
        "FontBBox",
        Object::Array(subset.bbox.iter().map(|v| Object::Integer(*v)).collect()),
    );
    d.set("ItalicAngle", Object::Integer(0));
    d.set("Ascent", Object::Integer(subset.ascent));
    d.set("Descent", Object::Integer(subset.descent));
    d.set("CapHeight", Object::Integer(subset.ascent));
    d.set("StemV", Object::Integer(subset.stem_v));
    d.set(file_key, reference(file));
    out.object(descriptor, &Object::Dictionary(d))?;

    let to_unicode = out.reserve();
    out.deflated(
        to_unicode,
        &Dictionary::new(),
        &to_unicode_cmap(&subset.glyphs),
    )?;

    // /W: runs of consecutive codes, each with its widths.
    let mut w: Vec<Object> = Vec::new();
    let mut run: Vec<Object> = Vec::new();
    let mut run_start = 0u16;
    let mut last: Option<u16> = None;
    for (code, width, _) in &subset.glyphs {
        if last.is_some_and(|l| u32::from(l) + 1 != u32::from(*code)) {
            w.push(Object::Integer(i64::from(run_start)));
            w.push(Object::Array(std::mem::take(&mut run)));
        }
        if run.is_empty() {
            run_start = *code;
        }
        run.push(Object::Integer(*width));
        last = Some(*code);
    }
    if !run.is_empty() {
        w.push(Object::Integer(i64::from(run_start)));
        w.push(Object::Array(run));
    }

    let cid_font = out.reserve();
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Font".to_vec()));
    d.set("Subtype", Object::Name(subtype.as_bytes().to_vec()));
    d.set("BaseFont", name());
    let mut info = Dictionary::new();
    info.set(
        "Registry",
        Object::String(b"Adobe".to_vec(), StringFormat::Literal),
    );
    info.set(
        "Ordering",
        Object::String(b"Identity".to_vec(), StringFormat::Literal),
    );
    info.set("Supplement", Object::Integer(0));
    d.set("CIDSystemInfo", Object::Dictionary(info));
    d.set("FontDescriptor", reference(descriptor));
    d.set("DW", Object::Integer(1000));
    d.set("W", Object::Array(w));
    if subset.kind == Outlines::TrueType {
        d.set("CIDToGIDMap", Object::Name(b"Identity".to_vec()));
    }
    out.object(cid_font, &Object::Dictionary(d))?;

    let font = out.reserve();
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Font".to_vec()));
    d.set("Subtype", Object::Name(b"Type0".to_vec()));
    d.set("BaseFont", name());
    d.set("Encoding", Object::Name(b"Identity-H".to_vec()));
    d.set("DescendantFonts", Object::Array(vec![reference(cid_font)]));
    d.set("ToUnicode", reference(to_unicode));
    out.object(font, &Object::Dictionary(d))?;
    Ok(font)
}

/// The ToUnicode CMap: each code to the character it draws, as UTF-16BE.
fn to_unicode_cmap(glyphs: &[(u16, i64, char)]) -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for chunk in glyphs.chunks(100) {
        s.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (code, _, c) in chunk {
            s.push_str(&format!("<{code:04X}> <"));
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                s.push_str(&format!("{u:04X}"));
            }
            s.push_str(">\n");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

/// A number as content streams write it: at most three decimals, no exponent.
fn put_num(buf: &mut Vec<u8>, v: f32) {
    if !v.is_finite() {
        buf.push(b'0');
        return;
    }
    let n = (f64::from(v) * 1000.0).round() as i64;
    if n < 0 {
        buf.push(b'-');
    }
    let a = n.unsigned_abs();
    let _ = write!(buf, "{}", a / 1000);
    let frac = a % 1000;
    if frac != 0 {
        let digits = format!("{frac:03}");
        buf.push(b'.');
        buf.extend_from_slice(digits.trim_end_matches('0').as_bytes());
    }
}

/// Numbers separated by spaces, then the operator and a newline.
fn op(buf: &mut Vec<u8>, nums: &[f32], operator: &str) {
    for n in nums {
        put_num(buf, *n);
        buf.push(b' ');
    }
    buf.extend_from_slice(operator.as_bytes());
    buf.push(b'\n');
}

fn rgb(paint: Paint) -> [f32; 3] {
    match paint {
        Paint::Gray(v) => [v, v, v],
        Paint::Accent => [0.145, 0.388, 0.922],
        Paint::Warning => [0.725, 0.110, 0.110],
    }
}

/// What a content stream draws text with: the faces' fonts, their subsets and resource
/// names.
struct Fonts<'f> {
    faces: &'f Faces<'f>,
    subsets: &'f Subsets,
    names: &'f [(String, String)],
}

/// One page's content stream, in PDF coordinates (origin bottom-left, `h` the page
/// height); text as the subsets' two-byte codes, in the font of the face it is set in.
/// With `tags`, every draw is marked content of its structure element or an artifact,
/// and the marks build the tree.
fn content(
    buf: &mut Vec<u8>,
    draws: &[Draw],
    h: f32,
    fonts: &Fonts<'_>,
    mut tags: Option<(&mut Tagger, &mut PdfOut<'_>)>,
) {
    let Fonts {
        faces,
        subsets,
        names,
    } = fonts;
    // The face the text is in (a page starts in the body face) and its tracking; the
    // character spacing last set (text state outlives BT … ET).
    let mut face = Face::Body;
    let mut tracking = 0.0;
    let mut spacing = 0.0;
    let index = [Face::Body, Face::Title, Face::Heading, Face::Subheading].map(|f| faces.index(f));
    for d in draws {
        if let Some((t, out)) = tags.as_mut()
            && t.draw(d, out, buf)
        {
            continue;
        }
        match d {
            // Structure marks, taken by the tagger above or ignored when untagged.
            Draw::Open { .. } | Draw::Close(_) | Draw::Tag(_) => {}
            Draw::Face {
                face: f,
                tracking: t,
            } => {
                face = *f;
                tracking = *t;
            }
            Draw::Rect {
                x,
                y,
                w,
                h: rh,
                paint,
            } => {
                buf.extend_from_slice(b"q\n");
                op(buf, &rgb(*paint), "rg");
                op(buf, &[*x, h - y - rh, *w, *rh], "re");
                buf.extend_from_slice(b"f\nQ\n");
            }
            Draw::Line {
                x1,
                y1,
                x2,
                y2,
                width,
            } => {
                buf.extend_from_slice(b"q\n");
                op(buf, &rgb(Paint::Gray(0.45)), "RG");
                op(buf, &[*width], "w");
                op(buf, &[*x1, h - y1], "m");
                op(buf, &[*x2, h - y2], "l");
                buf.extend_from_slice(b"S\nQ\n");
            }
            Draw::Text {
                x,
                y,
                size,
                bold,
                text,
            } => {
                let at = index[face as usize];
                let font = faces.font(face);
                let Some(subsets) = subsets.font(at) else {
                    continue;
                };
                buf.extend_from_slice(b"BT\n");
                op(buf, &[1.0, 0.0, 0.0, 1.0, *x, h - y], "Tm");
                if tracking * size != spacing {
                    spacing = tracking * size;
                    op(buf, &[spacing], "Tc");
                }
                let real = |c: char| *bold && subsets.bold.is_some() && !font.face(c, true).1;
                let style = Style {
                    size: *size,
                    bold: *bold,
                    stroke: font.bold_stroke(*size),
                };
                show(buf, text, &style, &real, subsets, &names[at]);
                buf.extend_from_slice(b"ET\n");
            }
        }
    }
    if let Some((t, _)) = tags {
        t.end_marked(buf);
    }
}

/// Hexadecimal digits, upper case.
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// How a text is drawn: its size, whether it is bold, and the stroke of synthetic bold.
struct Style {
    size: f32,
    bold: bool,
    stroke: f32,
}

/// Where a text's gaps are marked with `/ActualText`: from the character before the first
/// [`QUARTER_EM`] to the one after the last, as byte offsets; none without a gap.
fn marked(text: &str) -> Option<(usize, usize)> {
    let first = text.find(QUARTER_EM)?;
    let last = text.rfind(QUARTER_EM)?;
    let from = text[..first]
        .char_indices()
        .next_back()
        .map_or(0, |(i, _)| i);
    let after = last + QUARTER_EM.len_utf8();
    let to = text[after..]
        .chars()
        .next()
        .map_or(text.len(), |c| after + c.len_utf8());
    Some((from, to))
}

/// Shows a text from the current text position, in runs of one face: bold text switches to
/// the bold face and back wherever the bold face lacks a character (`real` is false there:
/// drawn in the regular face with synthetic bold), so the advances match the layout's.
/// [`QUARTER_EM`] gaps become positioning inside a `TJ`, and the stretch around them is
/// marked with its `/ActualText`: text extraction (pdftotext, copy and paste, search)
/// reads a gap wider than a tenth of an em as a space, and the text must read `第3项` as
/// written.
fn show(
    buf: &mut Vec<u8>,
    text: &str,
    style: &Style,
    real: &dyn Fn(char) -> bool,
    subsets: &Subsets,
    names: &(String, String),
) {
    let marked = marked(text);
    let hex = |buf: &mut Vec<u8>, subset: &Subset, run: &str| {
        buf.push(b'<');
        for c in run.chars() {
            let code = subset.codes.get(&c).copied().unwrap_or(0);
            for shift in [12, 8, 4, 0] {
                buf.push(HEX[usize::from((code >> shift) & 0xF)]);
            }
        }
        buf.push(b'>');
    };
    // The face of the run being shown: real bold or not; a gap keeps the face it is in.
    let mut face: Option<bool> = None;
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let in_bold = match rest.chars().next() {
            Some(QUARTER_EM) | None => face.unwrap_or(false),
            Some(c) => real(c),
        };
        // A run ends where the face changes and at the marked stretch's ends.
        let end = rest
            .char_indices()
            .skip(1)
            .find(|&(i, c)| {
                marked.is_some_and(|(f, t)| at + i == f || at + i == t)
                    || (c != QUARTER_EM && real(c) != in_bold)
            })
            .map_or(rest.len(), |(i, _)| i);
        let run = &rest[..end];
        if let Some((from, to)) = marked.filter(|(f, _)| *f == at) {
            buf.extend_from_slice(b"/Span<</ActualText<FEFF");
            let mut units = [0u16; 2];
            for c in text[from..to].chars().filter(|c| *c != QUARTER_EM) {
                for u in c.encode_utf16(&mut units) {
                    for shift in [12, 8, 4, 0] {
                        buf.push(HEX[usize::from((*u >> shift) & 0xF)]);
                    }
                }
            }
            buf.extend_from_slice(b">>>BDC\n");
        }
        let (name, subset) = match (&subsets.bold, in_bold) {
            (Some(b), true) => (&names.1, b),
            _ => (&names.0, &subsets.regular),
        };
        if face != Some(in_bold) {
            let synthetic = |real_bold: bool| style.bold && !real_bold;
            if face.is_some_and(synthetic) {
                buf.extend_from_slice(b"0 Tr\n");
            }
            buf.push(b'/');
            buf.extend_from_slice(name.as_bytes());
            buf.push(b' ');
            op(buf, &[style.size], "Tf");
            if synthetic(in_bold) {
                buf.extend_from_slice(b"2 Tr\n");
                op(buf, &[style.stroke], "w");
            }
            face = Some(in_bold);
        }
        if run.contains(QUARTER_EM) {
            buf.push(b'[');
            for (n, part) in run.split(QUARTER_EM).enumerate() {
                if n > 0 {
                    // Thousandths of an em, negative to move right.
                    let _ = write!(buf, " {} ", -(GAP_EM * 1000.0).round() as i32);
                }
                if !part.is_empty() {
                    hex(buf, subset, part);
                }
            }
            buf.extend_from_slice(b"] TJ\n");
        } else {
            hex(buf, subset, run);
            buf.extend_from_slice(b" Tj\n");
        }
        if marked.is_some_and(|(_, t)| t == at + end) {
            buf.extend_from_slice(b"EMC\n");
        }
        at += end;
    }
    if face.is_some_and(|real_bold| style.bold && !real_bold) {
        buf.extend_from_slice(b"0 Tr\n");
    }
}

/// Writes laid-out pages held in memory (the pack's binder, whose generated pages are
/// few): the same writer the documents stream through, untagged, as the binder takes
/// only the pages' content from this PDF and its bound PDFs carry no structure of ours.
pub fn write(
    laid: &Laid,
    setup: PageSetup,
    font: &Font,
    meta: &Meta<'_>,
) -> Result<Vec<u8>, FontError> {
    let mut used = Used::default();
    for page in &laid.pages {
        used.add_draws(page, &Faces::single(font));
    }
    let faces = Faces::single(font);
    let subsets = used.subsets(&faces)?;
    let mut bytes = Vec::new();
    let fail = |e: io::Error| FontError::Write(e.to_string());
    let mut w = PdfWriter::begin(&mut bytes, setup, faces, subsets, false).map_err(fail)?;
    for page in &laid.pages {
        w.page(page).map_err(fail)?;
    }
    w.finish(&laid.marks, meta).map_err(fail)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_at_most_three_decimals_and_no_negative_zero() {
        let mut buf = Vec::new();
        for v in [1.5, -0.0004, 841.8898, -2.25, 0.1, f32::NAN] {
            put_num(&mut buf, v);
            buf.push(b' ');
        }
        assert_eq!(String::from_utf8_lossy(&buf), "1.5 0 841.89 -2.25 0.1 0 ");
    }

    fn subset(codes: &[(char, u16)]) -> Subset {
        Subset {
            name: "X".into(),
            kind: Outlines::BareCff,
            program: Vec::new(),
            codes: codes.iter().copied().collect(),
            glyphs: Vec::new(),
            ascent: 880,
            descent: -120,
            bbox: [0; 4],
            stem_v: 80,
        }
    }

    #[test]
    fn a_quarter_em_is_positioning_marked_with_the_text_it_parts() {
        let subsets = Subsets {
            regular: subset(&[('按', 1), ('第', 2), ('3', 3), ('项', 4)]),
            bold: Some(subset(&[('按', 5), ('第', 6), ('项', 7)])),
            more: Vec::new(),
        };
        let regular = Style {
            size: 10.0,
            bold: false,
            stroke: 0.35,
        };
        let shown = |text: &str, style: &Style| {
            let mut buf = Vec::new();
            // The bold face lacks 3: synthetic bold there.
            let names = font_names(0);
            show(
                &mut buf,
                text,
                style,
                &|c| style.bold && c != '3',
                &subsets,
                &names,
            );
            String::from_utf8(buf).unwrap()
        };
        assert_eq!(
            shown("按第\u{2005}3\u{2005}项按", &regular),
            "/F1 10 Tf\n<0001> Tj\n/Span<</ActualText<FEFF7B2C00339879>>>BDC\n\
             [<0002> -250 <0003> -250 <0004>] TJ\nEMC\n<0001> Tj\n"
        );
        assert_eq!(shown("第3", &regular), "/F1 10 Tf\n<00020003> Tj\n");
        // Bold: the stretch spans the change of face to synthetic bold and back.
        let bold = Style {
            bold: true,
            ..regular
        };
        assert_eq!(
            shown("第\u{2005}3\u{2005}项", &bold),
            "/Span<</ActualText<FEFF7B2C00339879>>>BDC\n/F2 10 Tf\n[<0006> -250 ] TJ\n\
             /F1 10 Tf\n2 Tr\n0.35 w\n[<0003> -250 ] TJ\n0 Tr\n/F2 10 Tf\n<0007> Tj\nEMC\n"
        );
        // The gap is no glyph of the subset.
        let mut set = CharSet::default();
        set.add_str("第\u{2005}3");
        assert_eq!(set.to_set().into_iter().collect::<String>(), "3第");
    }

    #[test]
    fn char_sets_keep_every_plane() {
        let mut set = CharSet::default();
        set.add_str("a中a𠀀");
        assert_eq!(set.to_set().into_iter().collect::<String>(), "a中𠀀");
    }
}
