//! Fonts for PDF: the CJK font compiled into the binary (a cut of Noto Sans CJK SC, see
//! assets/fonts/README.md) or an office's own (`--font PATH[#INDEX]`), with advance
//! widths for layout and a per-document subset so each PDF embeds only the glyphs it uses.

use super::layout::Face;
use super::text::{GAP_EM, Metrics, QUARTER_EM};
use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile};
use printpdf::ParsedFont;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The built-in font: Noto Sans CJK SC Regular cut to GB2312, Big5 level 1, Latin-1 and
/// the punctuation and marks the documents use (OFL-1.1).
pub static BUILT_IN: &[u8] =
    include_bytes!("../../../assets/fonts/NotoSansCJKsc-Regular-dossier.otf");

/// Its bold, cut the same way: titles, headings and table headers in a real bold face
/// instead of strokes drawn around the regular one.
pub static BUILT_IN_BOLD: &[u8] =
    include_bytes!("../../../assets/fonts/NotoSansCJKsc-Bold-dossier.otf");

/// Noto Serif CJK SC Regular, cut like the sans: the official style's body (in place of
/// 仿宋), title (thickened, in place of 小标宋) and level-2 headings (in place of 楷体), for
/// an office without its own fonts. Loaded only when a document is set in that style.
pub static BUILT_IN_SERIF: &[u8] =
    include_bytes!("../../../assets/fonts/NotoSerifCJKsc-Regular-dossier.otf");

/// A font that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("{0}: not a font dossier can read (TTF, OTF, or a face of a TTC as PATH#INDEX)")]
    Unreadable(String),
    #[error("{0}: cannot cut the font down to the glyphs used: {1}")]
    Subset(String, String),
    #[error("cannot write the PDF: {0}")]
    Write(String),
}

/// A loaded font face.
pub struct Font {
    bytes: Vec<u8>,
    index: usize,
    parsed: ParsedFont,
    /// The name shown in error messages and, with a subset tag, as /BaseFont.
    pub name: String,
    /// How much wider synthetic bold draws (stroke width per point of size).
    bold_stroke: f32,
    /// The glyph (0: none) and advance of every Basic Multilingual Plane character, looked
    /// up once: layout asks for them for every character of every line, twice.
    bmp: Vec<(u16, f32)>,
    /// The bold face, when there is one; bold text in a character it lacks (or with no
    /// bold face at all) is drawn in this face with synthetic bold.
    bold: Option<Box<Font>>,
}

impl Font {
    /// The font compiled into the binary, with its bold.
    pub fn built_in() -> Result<Font, FontError> {
        let bold = Font::from_bytes(BUILT_IN_BOLD.to_vec(), 0, "NotoSansCJKsc-Bold")?;
        Ok(Font::from_bytes(BUILT_IN.to_vec(), 0, "NotoSansCJKsc-Regular")?.with_bold(bold))
    }

    /// The built-in serif: the official style's body face unless `--font` gives one.
    pub fn built_in_serif() -> Result<Font, FontError> {
        Font::from_bytes(BUILT_IN_SERIF.to_vec(), 0, "NotoSerifCJKsc-Regular")
    }

    /// The built-in regular face alone: for runs that write no PDF but pass a font
    /// along, at half the loading cost of [`Font::built_in`].
    pub fn built_in_regular() -> Result<Font, FontError> {
        Font::from_bytes(BUILT_IN.to_vec(), 0, "NotoSansCJKsc-Regular")
    }

    /// This face with `bold` as its bold face (`--font-bold`, or the built-in bold).
    pub fn with_bold(mut self, bold: Font) -> Font {
        self.bold = Some(Box::new(bold));
        self
    }

    /// The real bold face, if any.
    pub fn bold_face(&self) -> Option<&Font> {
        self.bold.as_deref()
    }

    /// The face a character is drawn in, and whether synthetic bold is needed there.
    pub fn face(&self, c: char, bold: bool) -> (&Font, bool) {
        match &self.bold {
            Some(b) if bold && b.glyph(c).is_some() => (b, false),
            _ => (self, bold),
        }
    }

    /// A font face from a file's bytes; `index` picks the face of a collection.
    pub fn from_bytes(bytes: Vec<u8>, index: usize, name: &str) -> Result<Font, FontError> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(&bytes, index, &mut warnings)
            .ok_or_else(|| FontError::Unreadable(name.to_string()))?;
        if parsed.units_per_em == 0 || parsed.lookup_glyph_index('A' as u32).is_none() {
            return Err(FontError::Unreadable(name.to_string()));
        }
        let ps: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let mut font = Font {
            bytes,
            index,
            parsed,
            name: if ps.is_empty() { "Font".into() } else { ps },
            bold_stroke: 0.035,
            bmp: Vec::new(),
            bold: None,
        };
        font.bmp = (0..0x10000u32)
            .map(|cp| {
                let gid = char::from_u32(cp).and_then(|c| font.lookup(c)).unwrap_or(0);
                (gid, font.width(gid))
            })
            .collect();
        Ok(font)
    }

    /// The glyph of a character, if the font has one.
    pub fn glyph(&self, c: char) -> Option<u16> {
        match self.bmp.get(c as usize) {
            Some((gid, _)) => (*gid != 0).then_some(*gid),
            None => self.lookup(c),
        }
    }

    /// The glyph of a character from the font's own map.
    fn lookup(&self, c: char) -> Option<u16> {
        self.parsed.lookup_glyph_index(c as u32).filter(|g| *g != 0)
    }

    /// The advance of a glyph in whole thousandths of an em, as /W gives it, per point.
    fn width(&self, gid: u16) -> f32 {
        let adv = self.parsed.get_glyph_width(gid).unwrap_or(0) as f32;
        (adv * 1000.0 / self.parsed.units_per_em as f32).trunc() / 1000.0
    }

    /// The stroke width that makes synthetic bold at a size.
    pub fn bold_stroke(&self, size: f32) -> f32 {
        self.bold_stroke * size
    }

    /// A copy of the font holding only the glyphs of `used`, ready to embed, with the code
    /// every used character has in content streams. Made before any page is written (the
    /// characters come from a first layout pass), so pages can be written with their final
    /// codes as they are laid out.
    pub fn subset(&self, used: &BTreeSet<char>) -> Result<Subset, FontError> {
        let fail = |e: String| FontError::Subset(self.name.clone(), e);
        let font_file = ReadScope::new(&self.bytes)
            .read::<FontData<'_>>()
            .map_err(|e| fail(e.to_string()))?;
        let provider = font_file
            .table_provider(self.index)
            .map_err(|e| fail(e.to_string()))?;
        // .notdef first, no duplicates: what allsorts requires.
        let glyphs: BTreeSet<u16> = used.iter().filter_map(|c| self.glyph(*c)).collect();
        let ids: Vec<u16> = std::iter::once(0).chain(glyphs).collect();
        let bytes =
            allsorts::subset::subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
                .map_err(|e| fail(e.to_string()))?;
        let mut warnings = Vec::new();
        let sub = ParsedFont::from_bytes(&bytes, 0, &mut warnings)
            .ok_or_else(|| fail("the subset cannot be read back".into()))?;
        // Under Identity-H a code is a CID. A CID-keyed CFF resolves CIDs through its
        // charset (which the subset keeps from the original font), so the codes are the
        // charset's CIDs and the bare CFF table is embedded; otherwise codes are the
        // subset's glyph ids.
        let gid_to_cid = printpdf::cff_charset_gid_to_cid_map(&bytes, 0);
        let code_of = |gid: u16| {
            gid_to_cid
                .as_ref()
                .and_then(|m| m.get(&gid).copied())
                .unwrap_or(gid)
        };
        let upm = f32::from(sub.units_per_em.max(1));
        let mut codes = HashMap::with_capacity(used.len());
        let mut glyph_codes: BTreeMap<u16, (i64, char)> = BTreeMap::new();
        for &c in used {
            let Some(gid) = sub.lookup_glyph_index(c as u32).filter(|g| *g != 0) else {
                continue;
            };
            let code = code_of(gid);
            codes.insert(c, code);
            let width = (f32::from(sub.get_glyph_width(gid).unwrap_or(0)) * 1000.0 / upm) as i64;
            glyph_codes.entry(code).or_insert((width, c));
        }
        let (kind, program) = if let Some(cff) = printpdf::extract_cid_keyed_cff(&bytes, 0) {
            (Outlines::BareCff, cff)
        } else if bytes.starts_with(b"OTTO") {
            (Outlines::OpenType, bytes)
        } else {
            (Outlines::TrueType, bytes)
        };
        let scale = |v: f32| (v * 1000.0 / upm).round() as i64;
        let m = &sub.pdf_font_metrics;
        let weight = m.us_weight_class;
        Ok(Subset {
            name: format!("{}+{}", subset_tag(&ids), self.name),
            kind,
            program,
            codes,
            glyphs: glyph_codes
                .into_iter()
                .map(|(k, (w, c))| (k, w, c))
                .collect(),
            ascent: scale(f32::from(sub.font_metrics.ascent)),
            descent: scale(f32::from(sub.font_metrics.descent)),
            bbox: [
                scale(f32::from(m.x_min)),
                scale(f32::from(m.y_min)),
                scale(f32::from(m.x_max)),
                scale(f32::from(m.y_max)),
            ],
            stem_v: if weight == 0 {
                80
            } else {
                50 + (f32::from(weight) / 65.0).powi(2).round() as i64
            },
        })
    }
}

/// The fonts a document's faces are set in. The default style has one font (and its
/// bold) for everything; the official style may give the title, the level-1 and the
/// level-2 headings fonts of their own (an office's 方正小标宋, 黑体, 楷体).
#[derive(Clone, Copy)]
pub struct Faces<'a> {
    pub body: &'a Font,
    pub title: &'a Font,
    pub heading: &'a Font,
    pub subheading: &'a Font,
    /// Whether the title is drawn bold: the built-in serif has no bold face and is
    /// thickened; an office's 小标宋 is heavy already.
    pub title_bold: bool,
}

impl<'a> Faces<'a> {
    /// One font for every face.
    pub fn single(font: &'a Font) -> Faces<'a> {
        Faces {
            body: font,
            title: font,
            heading: font,
            subheading: font,
            title_bold: false,
        }
    }

    /// The font a face is set in.
    pub fn font(&self, face: Face) -> &'a Font {
        match face {
            Face::Body => self.body,
            Face::Title => self.title,
            Face::Heading => self.heading,
            Face::Subheading => self.subheading,
        }
    }

    /// The distinct fonts, the body's first: a font that sets several faces is embedded
    /// once.
    pub fn fonts(&self) -> Vec<&'a Font> {
        let mut fonts: Vec<&Font> = Vec::with_capacity(4);
        for f in [self.body, self.title, self.heading, self.subheading] {
            if !fonts.iter().any(|g| std::ptr::eq(*g, f)) {
                fonts.push(f);
            }
        }
        fonts
    }

    /// Which of [`Faces::fonts`] a face is set in.
    pub fn index(&self, face: Face) -> usize {
        let font = self.font(face);
        self.fonts()
            .iter()
            .position(|f| std::ptr::eq(*f, font))
            .unwrap_or(0)
    }
}

/// How the glyph outlines of a subset are embedded: decides the descendant font's subtype
/// and the font file key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outlines {
    /// A bare CID-keyed CFF table: CIDFontType0 with /FontFile3 /CIDFontType0C.
    BareCff,
    /// A whole OpenType font with CFF outlines: CIDFontType0 with /FontFile3 /OpenType.
    OpenType,
    /// TrueType outlines: CIDFontType2 with /FontFile2.
    TrueType,
}

/// A font cut down to the characters one document uses: the font program to embed and
/// what the PDF font dictionaries and content streams need to know about it.
pub struct Subset {
    /// /BaseFont: a subset tag, "+", the font's name.
    pub name: String,
    pub kind: Outlines,
    /// The font program, as embedded.
    pub program: Vec<u8>,
    /// The two-byte code of each used character the font has.
    pub codes: HashMap<char, u16>,
    /// (code, advance in thousandths of an em, the character it shows), by code: the /W
    /// widths and the ToUnicode map that lets text be copied and searched.
    pub glyphs: Vec<(u16, i64, char)>,
    /// Font descriptor metrics, in thousandths of an em: how far glyphs rise above the
    /// baseline, so viewers substituting a face keep the line height.
    pub ascent: i64,
    /// How far glyphs go below the baseline (negative).
    pub descent: i64,
    /// The bounding box of all glyphs: x min, y min, x max, y max.
    pub bbox: [i64; 4],
    /// The stem width the descriptor requires, estimated from the weight class.
    pub stem_v: i64,
}

impl Font {
    /// The advance of a character in this face alone.
    fn own_advance(&self, c: char) -> f32 {
        match self.bmp.get(c as usize) {
            Some((_, advance)) => *advance,
            None => self.width(self.glyph(c).unwrap_or(0)),
        }
    }
}

impl Metrics for Font {
    fn advance(&self, c: char, bold: bool) -> f32 {
        if c == QUARTER_EM {
            // The CJK–Latin gap: a quarter em whatever the font, drawn as positioning.
            return GAP_EM;
        }
        self.face(c, bold).0.own_advance(c)
    }
}

/// Six capital letters from an FNV-1a hash of the glyph ids.
fn subset_tag(ids: &[u16]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for id in ids {
        for b in id.to_be_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| (b'A' + ((h >> (i * 8)) % 26) as u8) as char)
        .collect()
}
