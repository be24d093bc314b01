//! Binders: one bound PDF per measure set that an inspector pages through. A cover, a
//! contents list with the binder page each measure starts on, then every PDF's pages as
//! they are (imported, not re-rendered) and every image on its own captioned page, with
//! bookmarks set › measure › item › file and every page stamped with its binder page
//! number (档案页号) at the top right. A PDF locked by an owner password only (an empty user
//! password opens it, as in every viewer) is bound decrypted; one that needs a user
//! password is listed as not bound.
//!
//! Memory depends on one source file, not on the binder: each source PDF is loaded on its
//! own, its pages and what they reference are renumbered and written out at once, and only
//! object offsets and page ids are kept for the page tree, outline and xref written at the
//! end. The cover, contents, captions and stamps are laid out by the project's own PDF
//! engine (so the CJK glyphs are embedded as one subset) and merged in the same way; a
//! stamp on an imported page is a Form XObject drawn on top of the page's own content.

use crate::evidence::pdf_budget;
use crate::render::pdf::MISSING_MARK;
use crate::render::pdf::Paper;
use crate::render::pdf::blocks::Span;
use crate::render::pdf::font::{Font, FontError};
use crate::render::pdf::layout::{Draw, Laid, PageSetup, Paint};
use crate::render::pdf::out::{self, PdfOut, num, reference, text_string};
use crate::render::pdf::text::{Metrics, break_lines};
use crate::render::pdf::write;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One set's binder: what goes on the cover and, measure by measure, what is bound.
#[derive(Debug, Clone, Default)]
pub struct Binder {
    /// The cover's title (also the top bookmark).
    pub title: String,
    /// Label/value rows under the cover title: unit, set, as-of date, counts.
    pub cover: Vec<(String, String)>,
    /// The words the binder prints itself.
    pub labels: BinderLabels,
    /// The measures in binder order.
    pub measures: Vec<BinderMeasure>,
}

/// The words a binder prints of its own, so the caller decides the language.
#[derive(Debug, Clone)]
pub struct BinderLabels {
    /// Heading of the contents list: "目录".
    pub contents: String,
    /// What a file that is not bound is listed as: "附件（未装订）".
    pub unbound: String,
    /// A page number in the contents column, `{n}` standing for the number: "第 {n} 页".
    pub page: String,
    /// The reason given for a file that could not be read at bind time, followed by the
    /// error: "无法读取".
    pub unreadable: String,
}

impl Default for BinderLabels {
    fn default() -> Self {
        BinderLabels {
            contents: "目录".into(),
            unbound: "附件（未装订）".into(),
            page: "第 {n} 页".into(),
            unreadable: "无法读取".into(),
        }
    }
}

/// A measure and its items, bookmarked and listed in the contents.
#[derive(Debug, Clone, Default)]
pub struct BinderMeasure {
    /// "第4条 烟花爆竹…".
    pub title: String,
    pub items: Vec<BinderItem>,
}

/// An item of a measure and the files that evidence it.
#[derive(Debug, Clone, Default)]
pub struct BinderItem {
    pub title: String,
    pub files: Vec<BinderFile>,
}

/// One evidence file.
#[derive(Debug, Clone)]
pub struct BinderFile {
    /// The file name, for the bookmark and the contents.
    pub title: String,
    /// Where the file is in the pack: how a warning about it names it.
    pub path: String,
    /// For images: the line under the picture (path · date).
    pub caption: String,
    pub source: BinderSource,
}

/// What a file contributes to the binder.
#[derive(Debug, Clone)]
pub enum BinderSource {
    /// A PDF and the page count the caller read; its pages are imported as they are.
    Pdf { path: PathBuf, pages: u32 },
    /// A JPEG, PNG, BMP or TIFF, set on a page of its own.
    Image(PathBuf),
    /// Not bound, with the reason shown in the contents.
    Unbound(String),
}

/// How a binder is made.
pub struct BinderOptions<'a> {
    /// The font of the cover, contents, captions and stamps.
    pub font: &'a Font,
    /// The paper of the generated pages (imported pages keep their own size).
    pub paper: Paper,
    /// Document title and author in the PDF's metadata.
    pub title: &'a str,
    pub author: &'a str,
    /// The as-of date as seconds since 1970, the document's creation date.
    pub created: i64,
}

/// What came of binding, worth a warning or a count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bound {
    /// Pages of the binder, cover and contents included.
    pub pages: usize,
    /// Characters the font lacks; each was drawn as □.
    pub missing: BTreeSet<char>,
    /// Files that turned out unreadable at bind time: (path in the pack, reason). They are
    /// listed in the contents as not bound, and the clerk is told.
    pub unbound: Vec<(String, String)>,
}

/// Why a binder could not be made. A bad source file is never one of these: it is left
/// unbound instead.
#[derive(Debug, thiserror::Error)]
pub enum BinderError {
    #[error("cannot write the binder: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Font(#[from] FontError),
    #[error("cannot read back the binder's own pages: {0}")]
    Generated(String),
}

/// The page number stamp: size, distance of its right edge from the page's right edge and
/// of its baseline from the top, in points.
const STAMP_SIZE: f32 = 9.0;
const STAMP_RIGHT: f32 = 28.0;
const STAMP_TOP: f32 = 26.0;
/// The white margin around the number, in points.
const STAMP_PAD: f32 = 3.0;
/// The caption under an image.
const CAPTION_SIZE: f32 = 9.0;
/// Guard against cyclic /Parent chains in damaged files.
const MAX_DEPTH: usize = 64;

/// Binds the binder into `out`. Sources that cannot be read are listed as not bound; only
/// a failure to write, or of the font, is an error.
pub fn bind(
    binder: &Binder,
    opts: &BinderOptions<'_>,
    out: &mut dyn Write,
) -> Result<Bound, BinderError> {
    let mut out = PdfOut::new(out);
    out.raw(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
    let catalog = out.reserve();
    let pages_root = out.reserve();
    let push_q = out.reserve();
    out.stream(push_q, &Dictionary::new(), b"q\n")?;
    let (w, h) = opts.paper.mm();
    let setup = PageSetup::from_mm(w, h, false);
    let mut ctx = Ctx {
        pages_root,
        push_q,
        setup,
        bound: Bound::default(),
    };

    // The sources first, one at a time: what each turns out to be decides the page numbers.
    let mut placed: Vec<Vec<Vec<Placed>>> = Vec::with_capacity(binder.measures.len());
    for measure in &binder.measures {
        let mut items = Vec::with_capacity(measure.items.len());
        for item in &measure.items {
            let mut files = Vec::with_capacity(item.files.len());
            for file in &item.files {
                let p = match &file.source {
                    BinderSource::Unbound(reason) => Placed::Unbound(reason.clone()),
                    BinderSource::Pdf { path, .. } => import_pdf(path, &mut out, &ctx)?,
                    BinderSource::Image(path) => write_image(path, &file.caption, &mut out)?,
                };
                let p = match p {
                    Placed::Failed(e) => {
                        let reason = format!("{}（{e}）", binder.labels.unreadable);
                        ctx.bound.unbound.push((file.path.clone(), reason.clone()));
                        Placed::Unbound(reason)
                    }
                    p => p,
                };
                files.push(p);
            }
            items.push(files);
        }
        placed.push(items);
    }

    // Then the generated pages, now that every page count is known.
    let font = opts.font;
    let mut missing = BTreeSet::new();
    let cover = cover_pages(binder, setup, font, &mut missing);
    let first = contents_pages(binder, &placed, None, setup, font, &mut missing);
    let cover_len = cover.len();
    let before = cover_len + first.pages.len();
    let starts = start_pages(&placed, before);
    let contents = contents_pages(binder, &placed, Some(&starts), setup, font, &mut missing);
    debug_assert_eq!(contents.pages.len(), first.pages.len());

    // Every binder page gets a stamp page (drawn as a Form XObject on top of it); a
    // generated page comes just before its stamp.
    let mut laid = Laid::default();
    let mut kinds: Vec<Gen> = Vec::new();
    let mut binder_page = 0;
    let mut push_stamp = |laid: &mut Laid, kinds: &mut Vec<Gen>, page: Option<Imported>| {
        binder_page += 1;
        laid.pages.push(stamp(binder_page, setup, font));
        kinds.push(Gen::Stamp(page));
    };
    for page in cover.into_iter().chain(contents.pages.iter().cloned()) {
        laid.pages.push(page);
        kinds.push(Gen::Page(None));
        push_stamp(&mut laid, &mut kinds, None);
    }
    for file in placed.iter().flatten().flatten() {
        match file {
            Placed::Pdf(pages) => {
                for page in pages {
                    push_stamp(&mut laid, &mut kinds, Some(*page));
                }
            }
            Placed::Images(images) => {
                for image in images {
                    let (draws, matrix) = image_page(image, setup, font, &mut missing);
                    laid.pages.push(draws);
                    kinds.push(Gen::Page(Some((image.id, matrix))));
                    push_stamp(&mut laid, &mut kinds, None);
                }
            }
            Placed::Unbound(_) | Placed::Failed(_) => {}
        }
    }
    // Only the generated pages are taken from this PDF; the binder's catalog is its own.
    let meta = write::Meta {
        title: opts.title,
        author: opts.author,
        created: opts.created,
        lang: "",
    };
    let bytes = write::write(&laid, setup, font, &meta)?;
    drop(laid);
    let generated =
        Document::load_mem(&bytes).map_err(|e| BinderError::Generated(e.to_string()))?;
    drop(bytes);
    let gen_pages: Vec<ObjectId> = generated.get_pages().into_values().collect();
    if gen_pages.len() != kinds.len() {
        return Err(BinderError::Generated(format!(
            "{} pages written, {} read back",
            kinds.len(),
            gen_pages.len()
        )));
    }
    let mut order: Vec<u32> = Vec::new();
    {
        let mut im = Importer::new(&generated);
        let mut pending: Option<(ObjectId, Option<Placing>)> = None;
        for (old, kind) in gen_pages.iter().zip(&kinds) {
            match kind {
                Gen::Page(image) => pending = Some((*old, *image)),
                Gen::Stamp(Some(page)) => {
                    im.form(*old, page.stamp, setup, &mut out)?;
                    order.push(page.id);
                }
                Gen::Stamp(None) => {
                    let Some((content, image)) = pending.take() else {
                        continue;
                    };
                    let form = out.reserve();
                    im.form(*old, form, setup, &mut out)?;
                    let full = [0.0, 0.0, setup.width, setup.height];
                    let mut extras = vec![];
                    if let Some((obj, matrix)) = image {
                        extras.push(Extra {
                            name: "DossierImage",
                            xobject: obj,
                            matrix,
                        });
                    }
                    extras.push(Extra {
                        name: "DossierStamp",
                        xobject: form,
                        matrix: stamp_matrix(full, 0, setup.width, setup.height),
                    });
                    let id = out.reserve();
                    im.page(content, id, extras, &ctx, &mut out)?;
                    order.push(id);
                }
            }
        }
        im.drain(&mut out)?;
    }
    drop(generated);

    // The page tree, outline, metadata and catalog.
    let mut tree = Dictionary::new();
    tree.set("Type", Object::Name(b"Pages".to_vec()));
    tree.set(
        "Kids",
        Object::Array(order.iter().map(|id| reference(*id)).collect()),
    );
    tree.set("Count", Object::Integer(order.len() as i64));
    out.object(pages_root, &Object::Dictionary(tree))?;
    let outlines = outline(
        binder, &placed, &starts, &contents, cover_len, &order, &mut out,
    )?;
    let info = out.reserve();
    out.object(info, &Object::Dictionary(info_dict(opts)))?;
    let mut cat = Dictionary::new();
    cat.set("Type", Object::Name(b"Catalog".to_vec()));
    cat.set("Pages", reference(pages_root));
    cat.set("Outlines", reference(outlines));
    cat.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    out.object(catalog, &Object::Dictionary(cat))?;
    out.finish(catalog, info)?;

    ctx.bound.pages = order.len();
    ctx.bound.missing = missing;
    Ok(ctx.bound)
}

/// What stays known across the whole binder while sources come and go.
struct Ctx {
    pages_root: u32,
    /// A shared content stream holding `q`, put before an imported page's own content.
    push_q: u32,
    /// The generated pages' paper, which a stamp's Form XObject spans.
    setup: PageSetup,
    bound: Bound,
}

/// A page written from a source PDF and the Form XObject (written later) that stamps it.
#[derive(Debug, Clone, Copy)]
struct Imported {
    id: u32,
    stamp: u32,
}

/// An image written as an XObject: its id, its size as shown (after the EXIF orientation)
/// and the matrix from the unit square that orients it.
#[derive(Debug, Clone)]
struct ImageObj {
    id: u32,
    width: f32,
    height: f32,
    orient: [f32; 6],
    caption: String,
}

/// What a file became.
enum Placed {
    Pdf(Vec<Imported>),
    /// An image, one page each (the pages of a multi-page TIFF).
    Images(Vec<ImageObj>),
    Unbound(String),
    /// Unreadable at bind time; becomes `Unbound` with the reason.
    Failed(String),
}

/// An XObject and the matrix that places it.
type Placing = (u32, [f32; 6]);

/// A generated page: a page of its own (maybe with an image XObject and its matrix), or
/// the stamp of the imported page given, else of the generated page just before.
enum Gen {
    Page(Option<Placing>),
    Stamp(Option<Imported>),
}

/// The binder page each file starts on (`None` when it has no pages), in file order.
fn start_pages(placed: &[Vec<Vec<Placed>>], before: usize) -> Vec<Option<usize>> {
    let mut next = before + 1;
    let mut starts = Vec::new();
    for file in placed.iter().flatten().flatten() {
        let n = match file {
            Placed::Pdf(pages) => pages.len(),
            Placed::Images(images) => images.len(),
            Placed::Unbound(_) | Placed::Failed(_) => 0,
        };
        starts.push((n > 0).then_some(next));
        next += n;
    }
    starts
}

fn info_dict(opts: &BinderOptions<'_>) -> Dictionary {
    out::info_dict(opts.title, opts.author, opts.created)
}

// ---------------------------------------------------------------------------------------
// Importing pages.

/// Something drawn on top of an imported page: an XObject under a resource name, placed by
/// a matrix.
struct Extra {
    name: &'static str,
    xobject: u32,
    matrix: [f32; 6],
}

/// Copies pages of one loaded document into the output, renumbering every object they
/// reach. Page objects of the document map to the ids given for them; the page tree, the
/// catalog and pages not copied are never followed.
struct Importer<'d> {
    doc: &'d Document,
    map: HashMap<ObjectId, u32>,
    queue: VecDeque<ObjectId>,
}

/// Follows references (a missing object is null).
fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    let mut o = o;
    for _ in 0..MAX_DEPTH {
        match o {
            Object::Reference(id) => match doc.objects.get(id) {
                Some(next) => o = next,
                None => return &Object::Null,
            },
            _ => return o,
        }
    }
    &Object::Null
}

fn as_number(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) if r.is_finite() => Some(*r),
        _ => None,
    }
}

impl<'d> Importer<'d> {
    fn new(doc: &'d Document) -> Self {
        Importer {
            doc,
            map: HashMap::new(),
            queue: VecDeque::new(),
        }
    }

    fn map_ref(&mut self, id: ObjectId, out: &mut PdfOut<'_>) -> Object {
        if let Some(n) = self.map.get(&id) {
            return reference(*n);
        }
        let Some(obj) = self.doc.objects.get(&id) else {
            return Object::Null;
        };
        if let Object::Dictionary(d) = obj
            && let Ok(Object::Name(t)) = d.get(b"Type")
            && matches!(t.as_slice(), b"Pages" | b"Page" | b"Catalog" | b"Outlines")
        {
            return Object::Null;
        }
        let n = out.reserve();
        self.map.insert(id, n);
        self.queue.push_back(id);
        reference(n)
    }

    fn convert(&mut self, o: &Object, out: &mut PdfOut<'_>) -> Object {
        match o {
            Object::Reference(id) => self.map_ref(*id, out),
            Object::Array(items) => {
                Object::Array(items.iter().map(|i| self.convert(i, out)).collect())
            }
            Object::Dictionary(d) => Object::Dictionary(self.convert_dict(d, &[], out)),
            Object::Stream(_) => Object::Null,
            other => other.clone(),
        }
    }

    fn convert_dict(&mut self, d: &Dictionary, skip: &[&[u8]], out: &mut PdfOut<'_>) -> Dictionary {
        let mut nd = Dictionary::new();
        for (k, v) in d.iter() {
            if skip.contains(&k.as_slice()) {
                continue;
            }
            let v = self.convert(v, out);
            nd.set(k.clone(), v);
        }
        nd
    }

    /// Writes every object reached so far, and what they reach in turn.
    fn drain(&mut self, out: &mut PdfOut<'_>) -> io::Result<()> {
        let doc = self.doc;
        while let Some(old) = self.queue.pop_front() {
            let Some(&id) = self.map.get(&old) else {
                continue;
            };
            match doc.objects.get(&old) {
                Some(Object::Stream(s)) => {
                    let mut dict = self.convert_dict(&s.dict, &[b"Length"], out);
                    drop_crypt_filter(&mut dict);
                    out.stream(id, &dict, &s.content)?;
                }
                Some(o) => {
                    let o = self.convert(o, out);
                    out.object(id, &o)?;
                }
                None => out.object(id, &Object::Null)?,
            }
        }
        Ok(())
    }

    /// A page attribute from the page or, for the inheritable ones, its ancestors.
    fn inherited(&self, page: &'d Dictionary, key: &[u8]) -> Option<&'d Object> {
        let mut d = page;
        for _ in 0..MAX_DEPTH {
            if let Ok(v) = d.get(key) {
                return Some(v);
            }
            let parent = d.get(b"Parent").ok()?.as_reference().ok()?;
            d = self.doc.get_dictionary(parent).ok()?;
        }
        None
    }

    fn rect(&self, o: Option<&Object>) -> Option<[f32; 4]> {
        let Object::Array(a) = deref(self.doc, o?) else {
            return None;
        };
        if a.len() != 4 {
            return None;
        }
        let mut v = [0.0; 4];
        for (slot, item) in v.iter_mut().zip(a) {
            *slot = as_number(deref(self.doc, item))?;
        }
        let r = [
            v[0].min(v[2]),
            v[1].min(v[3]),
            v[0].max(v[2]),
            v[1].max(v[3]),
        ];
        (r[2] > r[0] && r[3] > r[1]).then_some(r)
    }

    /// Copies a page as `id` with inherited attributes resolved onto it, its content kept
    /// as it is and `extra` drawn on top.
    fn page(
        &mut self,
        old: ObjectId,
        id: u32,
        extras: Vec<Extra>,
        ctx: &Ctx,
        out: &mut PdfOut<'_>,
    ) -> io::Result<()> {
        let doc = self.doc;
        let empty = Dictionary::new();
        let page = doc.get_dictionary(old).unwrap_or(&empty);
        let mut nd = Dictionary::new();
        nd.set("Type", Object::Name(b"Page".to_vec()));
        nd.set("Parent", reference(ctx.pages_root));
        const OWN: [&[u8]; 8] = [
            b"Type",
            b"Parent",
            b"Resources",
            b"MediaBox",
            b"CropBox",
            b"Rotate",
            b"Contents",
            b"B",
        ];
        for (k, v) in page.iter() {
            if OWN.contains(&k.as_slice()) {
                continue;
            }
            let v = self.convert(v, out);
            nd.set(k.clone(), v);
        }
        let media = self
            .rect(self.inherited(page, b"MediaBox"))
            .unwrap_or([0.0, 0.0, 612.0, 792.0]);
        let crop = self.rect(self.inherited(page, b"CropBox"));
        let rect_obj = |r: [f32; 4]| Object::Array(r.iter().map(|v| Object::Real(*v)).collect());
        nd.set("MediaBox", rect_obj(media));
        if let Some(c) = crop {
            nd.set("CropBox", rect_obj(c));
        }
        let rotate = self
            .inherited(page, b"Rotate")
            .and_then(|o| as_number(deref(self.doc, o)))
            .map(|r| ((r / 90.0).round() as i64).rem_euclid(4) * 90)
            .unwrap_or(0);
        if rotate != 0 {
            nd.set("Rotate", Object::Integer(rotate));
        }

        // Resources: a direct copy of the top dictionary (and of /XObject when adding one).
        let resources = self
            .inherited(page, b"Resources")
            .map(|o| deref(self.doc, o))
            .and_then(|o| o.as_dict().ok());
        let mut res = Dictionary::new();
        if let Some(r) = resources {
            for (k, v) in r.iter() {
                if !extras.is_empty() && k.as_slice() == b"XObject" {
                    continue;
                }
                let v = self.convert(v, out);
                res.set(k.clone(), v);
            }
        }
        let mut contents: Vec<Object> = Vec::new();
        if let Ok(c) = page.get(b"Contents") {
            match c {
                Object::Reference(r) => match doc.objects.get(r) {
                    Some(Object::Array(items)) => {
                        contents.extend(items.iter().map(|i| self.convert(i, out)));
                    }
                    Some(_) => contents.push(self.map_ref(*r, out)),
                    None => {}
                },
                Object::Array(items) => {
                    contents.extend(items.iter().map(|i| self.convert(i, out)));
                }
                _ => {}
            }
        }
        contents.retain(|c| matches!(c, Object::Reference(_)));
        if !extras.is_empty() {
            let mut xobjects = Dictionary::new();
            if let Some(x) = resources.and_then(|r| r.get(b"XObject").ok())
                && let Ok(x) = deref(self.doc, x).as_dict()
            {
                xobjects = self.convert_dict(x, &[], out);
            }
            let mut top = String::from("Q\n");
            for extra in extras {
                let mut key = extra.name.to_string();
                let mut n = 1;
                while xobjects.has(key.as_bytes()) {
                    n += 1;
                    key = format!("{}{n}", extra.name);
                }
                xobjects.set(key.clone(), reference(extra.xobject));
                let m = extra.matrix.map(num).join(" ");
                top.push_str(&format!("q {m} cm /{key} Do Q\n"));
            }
            res.set("XObject", Object::Dictionary(xobjects));
            let top_id = out.reserve();
            out.stream(top_id, &Dictionary::new(), top.as_bytes())?;
            contents.insert(0, reference(ctx.push_q));
            contents.push(reference(top_id));
        }
        nd.set("Resources", Object::Dictionary(res));
        nd.set("Contents", Object::Array(contents));
        out.object(id, &Object::Dictionary(nd))
    }

    /// Writes a generated page as a Form XObject `id` (a stamp to draw on another page).
    fn form(
        &mut self,
        old: ObjectId,
        id: u32,
        setup: PageSetup,
        out: &mut PdfOut<'_>,
    ) -> io::Result<()> {
        let doc = self.doc;
        let empty = Dictionary::new();
        let page = doc.get_dictionary(old).unwrap_or(&empty);
        let mut streams: Vec<&lopdf::Stream> = Vec::new();
        match page.get(b"Contents").map(|c| deref(self.doc, c)) {
            Ok(Object::Stream(s)) => streams.push(s),
            Ok(Object::Array(items)) => {
                for i in items {
                    if let Object::Stream(s) = deref(self.doc, i) {
                        streams.push(s);
                    }
                }
            }
            _ => {}
        }
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"XObject".to_vec()));
        d.set("Subtype", Object::Name(b"Form".to_vec()));
        d.set(
            "BBox",
            Object::Array(vec![
                Object::Integer(0),
                Object::Integer(0),
                Object::Real(setup.width),
                Object::Real(setup.height),
            ]),
        );
        if let Some(r) = self.inherited(page, b"Resources") {
            let r = self.convert(&deref(self.doc, r).clone(), out);
            d.set("Resources", r);
        }
        let content = match streams.as_slice() {
            [one] => {
                for key in [b"Filter".as_slice(), b"DecodeParms"] {
                    if let Ok(v) = one.dict.get(key) {
                        let v = self.convert(v, out);
                        d.set(key, v);
                    }
                }
                one.content.clone()
            }
            many => {
                let mut all = Vec::new();
                for s in many {
                    all.extend(
                        s.decompressed_content()
                            .unwrap_or_else(|_| s.content.clone()),
                    );
                    all.push(b'\n');
                }
                all
            }
        };
        out.stream(id, &d, &content)
    }
}

/// Takes a `/Crypt` filter out of a stream's filters (and its parameters): a stream of a
/// decrypted PDF is in clear, and the binder has no encryption for it to name.
fn drop_crypt_filter(dict: &mut Dictionary) {
    let crypt = |o: &Object| o.as_name().ok() == Some(b"Crypt".as_slice());
    match dict.get(b"Filter") {
        Ok(o) if crypt(o) => {
            dict.remove(b"Filter");
            dict.remove(b"DecodeParms");
        }
        Ok(Object::Array(filters)) => {
            let Some(at) = filters.iter().position(crypt) else {
                return;
            };
            let mut filters = filters.clone();
            filters.remove(at);
            if let Ok(Object::Array(parms)) = dict.get(b"DecodeParms") {
                let mut parms = parms.clone();
                if at < parms.len() {
                    parms.remove(at);
                }
                dict.set("DecodeParms", Object::Array(parms));
            }
            dict.set("Filter", Object::Array(filters));
        }
        _ => {}
    }
}

/// The matrix placing a stamp drawn at the top right of a `w`×`h` generated page at the
/// visible top right of a page with box `b` and rotation `rotate`, upright as displayed.
fn stamp_matrix(b: [f32; 4], rotate: i64, w: f32, h: f32) -> [f32; 6] {
    let (cos, sin, corner) = match rotate {
        90 => (0.0, 1.0, (b[0], b[3])),
        180 => (-1.0, 0.0, (b[0], b[1])),
        270 => (0.0, -1.0, (b[2], b[1])),
        _ => (1.0, 0.0, (b[2], b[3])),
    };
    [
        cos,
        sin,
        -sin,
        cos,
        corner.0 - (w * cos - h * sin),
        corner.1 - (w * sin + h * cos),
    ]
}

/// Loads a source PDF and writes its pages; an unreadable one, or one that needs a user
/// password, is `Failed`. It is loaded
/// through [`pdf_budget`], so its object streams inflate to at most
/// [`pdf_budget::INFLATE_BUDGET`]; its pages' content is copied as it is, never inflated.
fn import_pdf(path: &Path, out: &mut PdfOut<'_>, ctx: &Ctx) -> io::Result<Placed> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Ok(Placed::Failed(e.to_string())),
    };
    let loaded = pdf_budget::load(&bytes);
    drop(bytes);
    // A PDF locked by an owner password only opens with the empty user password, as in
    // every viewer: it comes back decrypted and is bound in clear. One that needs a user
    // password is not bound.
    let doc = match loaded {
        Ok(doc) => doc,
        Err(pdf_budget::OpenError::Password) => return Ok(Placed::Failed("encrypted".into())),
        Err(e) => return Ok(Placed::Failed(e.to_string())),
    };
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if pages.is_empty() {
        return Ok(Placed::Failed("no pages".into()));
    }
    let mut im = Importer::new(&doc);
    let mut placed = Vec::with_capacity(pages.len());
    for old in &pages {
        let id = out.reserve();
        im.map.insert(*old, id);
        placed.push(Imported {
            id,
            stamp: out.reserve(),
        });
    }
    let empty = Dictionary::new();
    for (old, p) in pages.iter().zip(&placed) {
        let page = doc.get_dictionary(*old).unwrap_or(&empty);
        let media = im
            .rect(im.inherited(page, b"MediaBox"))
            .unwrap_or([0.0, 0.0, 612.0, 792.0]);
        let visible = im
            .rect(im.inherited(page, b"CropBox"))
            .map(|c| {
                [
                    c[0].max(media[0]),
                    c[1].max(media[1]),
                    c[2].min(media[2]),
                    c[3].min(media[3]),
                ]
            })
            .filter(|c| c[2] > c[0] && c[3] > c[1])
            .unwrap_or(media);
        let rotate = im
            .inherited(page, b"Rotate")
            .and_then(|o| as_number(deref(&doc, o)))
            .map(|r| ((r / 90.0).round() as i64).rem_euclid(4) * 90)
            .unwrap_or(0);
        let extra = Extra {
            name: "DossierStamp",
            xobject: p.stamp,
            matrix: stamp_matrix(visible, rotate, ctx.setup.width, ctx.setup.height),
        };
        im.page(*old, p.id, vec![extra], ctx, out)?;
        im.drain(out)?;
    }
    Ok(Placed::Pdf(placed))
}

// ---------------------------------------------------------------------------------------
// Images.

/// Width, height, components and whether an Adobe APP14 marker is present, from a JPEG's
/// frame header; `None` when it is not an 8-bit JPEG a viewer can show as it is.
fn jpeg_info(b: &[u8]) -> Option<(u32, u32, u8, bool)> {
    if b.len() < 4 || b[0] != 0xFF || b[1] != 0xD8 {
        return None;
    }
    let mut adobe = false;
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let seg = b.get(i + 4..i + 2 + len.max(2))?;
        match marker {
            0xEE if seg.starts_with(b"Adobe") => adobe = true,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if seg.len() < 6 || seg[0] != 8 {
                    return None;
                }
                let h = u32::from(u16::from_be_bytes([seg[1], seg[2]]));
                let w = u32::from(u16::from_be_bytes([seg[3], seg[4]]));
                let comps = seg[5];
                return (w > 0 && h > 0 && matches!(comps, 1 | 3 | 4))
                    .then_some((w, h, comps, adobe));
            }
            0xD9 | 0xDA => return None,
            _ => {}
        }
        i += 2 + len;
    }
    None
}

/// The EXIF orientation (1–8) of a JPEG, 1 when it has none.
fn jpeg_orientation(bytes: &[u8]) -> u32 {
    exif::Reader::new()
        .read_from_container(&mut io::Cursor::new(bytes))
        .ok()
        .and_then(|e| {
            e.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
        })
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1)
}

/// The matrix from an image's unit square to the unit square as shown, for an EXIF
/// orientation.
fn orientation_matrix(o: u32) -> [f32; 6] {
    match o {
        2 => [-1.0, 0.0, 0.0, 1.0, 1.0, 0.0],
        3 => [-1.0, 0.0, 0.0, -1.0, 1.0, 1.0],
        4 => [1.0, 0.0, 0.0, -1.0, 0.0, 1.0],
        5 => [0.0, -1.0, -1.0, 0.0, 1.0, 1.0],
        6 => [0.0, -1.0, 1.0, 0.0, 0.0, 1.0],
        7 => [0.0, 1.0, 1.0, 0.0, 0.0, 0.0],
        8 => [0.0, 1.0, -1.0, 0.0, 1.0, 0.0],
        _ => [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    }
}

/// The most pixels an image bound into a binder may have (docs/limits.md): 50
/// megapixels is an A3 page scanned at 600 dpi with room to spare, and decoding it
/// takes at most about 200 MB. A larger one (or one whose header only claims to be) is
/// listed unbound with the reason, never decoded.
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;

fn image_dict(w: u32, h: u32, space: &[u8], filter: &[u8]) -> Dictionary {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"XObject".to_vec()));
    d.set("Subtype", Object::Name(b"Image".to_vec()));
    d.set("Width", Object::Integer(i64::from(w)));
    d.set("Height", Object::Integer(i64::from(h)));
    d.set("ColorSpace", Object::Name(space.to_vec()));
    d.set("BitsPerComponent", Object::Integer(8));
    d.set("Filter", Object::Name(filter.to_vec()));
    d
}

/// The most pages of one TIFF bound, and the most megapixels they may have together:
/// a fax or a scanner's multi-page TIFF has a few dozen pages; each is decoded on its own,
/// under [`MAX_IMAGE_PIXELS`], so these bound the time a TIFF takes, not the memory.
pub const MAX_TIFF_PAGES: usize = 1_000;
/// See [`MAX_TIFF_PAGES`].
pub const MAX_TIFF_PIXELS: u64 = 10 * MAX_IMAGE_PIXELS;

/// Why an image of `w`×`h` pixels is not bound, if it is not.
fn too_large(w: u32, h: u32) -> Option<String> {
    (u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS).then(|| {
        format!(
            "the image claims {w}×{h} pixels, more than the {} megapixels a binder page takes",
            MAX_IMAGE_PIXELS / 1_000_000
        )
    })
}

/// Writes an image as XObjects, one per page: a JPEG as it is, anything else decoded,
/// flattened onto white and compressed; every page of a multi-page TIFF. An unreadable
/// image is `Failed`.
fn write_image(path: &Path, caption: &str, out: &mut PdfOut<'_>) -> io::Result<Placed> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Ok(Placed::Failed(e.to_string())),
    };
    if let Some((w, h, comps, adobe)) = jpeg_info(&bytes) {
        // Not decoded here, but every reader of the binder would have to.
        if let Some(e) = too_large(w, h) {
            return Ok(Placed::Failed(e));
        }
        let space: &[u8] = match comps {
            1 => b"DeviceGray",
            3 => b"DeviceRGB",
            _ => b"DeviceCMYK",
        };
        let mut d = image_dict(w, h, space, b"DCTDecode");
        if comps == 4 && adobe {
            let decode = [1, 0, 1, 0, 1, 0, 1, 0].map(Object::Integer);
            d.set("Decode", Object::Array(decode.to_vec()));
        }
        let o = jpeg_orientation(&bytes);
        let id = out.reserve();
        out.stream(id, &d, &bytes)?;
        let (width, height) = if o >= 5 { (h, w) } else { (w, h) };
        return Ok(Placed::Images(vec![ImageObj {
            id,
            width: width as f32,
            height: height as f32,
            orient: orientation_matrix(o),
            caption: caption.to_string(),
        }]));
    }
    let pages = match tiff_pages(&bytes) {
        Ok(Some(pages)) => pages,
        Ok(None) => {
            let img = decode_image(&bytes);
            drop(bytes);
            return Ok(match img {
                Ok(img) => Placed::Images(vec![write_pixels(img, caption, out)?]),
                Err(e) => Placed::Failed(e),
            });
        }
        Err(e) => return Ok(Placed::Failed(e)),
    };
    // Each page decoded in turn as the first image of the file, its header pointed at it.
    let mut bytes = bytes;
    let n = pages.len();
    let mut images = Vec::with_capacity(n);
    for (i, page) in pages.iter().enumerate() {
        page.point_header(&mut bytes);
        let img = match decode_image(&bytes) {
            Ok(img) => img,
            Err(e) if n == 1 => return Ok(Placed::Failed(e)),
            Err(e) => return Ok(Placed::Failed(format!("page {} of {n}: {e}", i + 1))),
        };
        let caption = if n == 1 {
            caption.to_string()
        } else {
            format!("{caption} · {}/{n}", i + 1)
        };
        images.push(write_pixels(img, &caption, out)?);
    }
    Ok(Placed::Images(images))
}

/// A page of a TIFF: where its directory is, and how the header points at it.
struct TiffPage {
    ifd: u64,
    big: bool,
    little: bool,
}

impl TiffPage {
    /// Points the header's first directory at this page, so a decoder reads it first.
    fn point_header(&self, bytes: &mut [u8]) {
        let at: Option<&mut [u8]> = if self.big {
            bytes.get_mut(8..16)
        } else {
            bytes.get_mut(4..8)
        };
        let Some(slot) = at else { return };
        match (self.big, self.little) {
            (true, true) => slot.copy_from_slice(&self.ifd.to_le_bytes()),
            (true, false) => slot.copy_from_slice(&self.ifd.to_be_bytes()),
            (false, little) => {
                let ifd = u32::try_from(self.ifd).unwrap_or(u32::MAX);
                slot.copy_from_slice(&if little {
                    ifd.to_le_bytes()
                } else {
                    ifd.to_be_bytes()
                });
            }
        }
    }
}

/// The pages of a TIFF (`None` when it is not one): every image in its chain of
/// directories but reduced-resolution copies (thumbnails) after the first. All their
/// sizes are read, and checked against the limits, before any is decoded.
fn tiff_pages(bytes: &[u8]) -> Result<Option<Vec<TiffPage>>, String> {
    let little = match bytes.get(..4) {
        Some(b"II*\0" | b"II+\0") => true,
        Some(b"MM\0*" | b"MM\0+") => false,
        _ => return Ok(None),
    };
    let big = bytes.get(2..4).is_some_and(|v| v == b"+\0" || v == b"\0+");
    let bad = |e: tiff::TiffError| format!("the TIFF does not read: {e}");
    let mut dec = tiff::decoder::Decoder::new(io::Cursor::new(bytes)).map_err(bad)?;
    let mut pages = Vec::new();
    let mut pixels = 0u64;
    loop {
        let thumbnail = dec
            .find_tag_unsigned::<u32>(tiff::tags::Tag::NewSubfileType)
            .ok()
            .flatten()
            .is_some_and(|t| t & 1 == 1);
        if pages.is_empty() || !thumbnail {
            let (w, h) = dec.dimensions().map_err(bad)?;
            if let Some(e) = too_large(w, h) {
                return Err(format!("page {}: {e}", pages.len() + 1));
            }
            pixels = pixels.saturating_add(u64::from(w) * u64::from(h));
            let Some(ifd) = dec.ifd_pointer() else {
                return Err("the TIFF does not say where its pages are".into());
            };
            pages.push(TiffPage {
                ifd: ifd.0,
                big,
                little,
            });
            if pages.len() > MAX_TIFF_PAGES || pixels > MAX_TIFF_PIXELS {
                return Err(format!(
                    "the TIFF holds more than {MAX_TIFF_PAGES} pages or {} megapixels, more than a binder takes of one file",
                    MAX_TIFF_PIXELS / 1_000_000
                ));
            }
        }
        if !dec.more_images() {
            return Ok(Some(pages));
        }
        dec.next_image()
            .map_err(|e| format!("page {} of the TIFF does not read: {e}", pages.len() + 1))?;
    }
}

/// Decodes an image, its header checked first (a 68-byte PNG may declare 32768×32768
/// pixels) and its decoding under the `image` crate's allocation limit.
fn decode_image(bytes: &[u8]) -> Result<image::DynamicImage, String> {
    use image::ImageDecoder;
    let reader = || {
        image::ImageReader::new(io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| e.to_string())
    };
    let (w, h) = reader()?.into_dimensions().map_err(|e| e.to_string())?;
    if let Some(e) = too_large(w, h) {
        return Err(e);
    }
    let mut reader = reader()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    img.apply_orientation(orientation);
    if img.width() == 0 || img.height() == 0 {
        return Err("empty image".into());
    }
    Ok(img)
}

/// Writes decoded pixels as an XObject, flattened onto white and compressed.
fn write_pixels(
    img: image::DynamicImage,
    caption: &str,
    out: &mut PdfOut<'_>,
) -> io::Result<ImageObj> {
    let (w, h) = (img.width(), img.height());
    let color = img.color();
    let gray = !color.has_color();
    let pixels: Vec<u8> = if color.has_alpha() {
        let rgba = img.into_rgba8();
        let over_white = |c: u8, a: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        let mut px = Vec::with_capacity((w * h * if gray { 1 } else { 3 }) as usize);
        for p in rgba.pixels() {
            let [r, g, b, a] = p.0;
            if gray {
                px.push(over_white(r, a));
            } else {
                px.extend([over_white(r, a), over_white(g, a), over_white(b, a)]);
            }
        }
        px
    } else if gray {
        img.into_luma8().into_raw()
    } else {
        img.into_rgb8().into_raw()
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&pixels)?;
    drop(pixels);
    let data = z.finish()?;
    let space: &[u8] = if gray { b"DeviceGray" } else { b"DeviceRGB" };
    let id = out.reserve();
    out.stream(id, &image_dict(w, h, space, b"FlateDecode"), &data)?;
    Ok(ImageObj {
        id,
        width: w as f32,
        height: h as f32,
        orient: orientation_matrix(1),
        caption: caption.to_string(),
    })
}

// ---------------------------------------------------------------------------------------
// Generated pages.

/// The text with every character the font cannot draw replaced by □ (and collected).
fn visible(text: &str, font: &Font, missing: &mut BTreeSet<char>) -> String {
    text.chars()
        .map(|c| match c {
            c if font.glyph(c).is_some() => c,
            c if c.is_control() || c.is_whitespace() => ' ',
            c => {
                missing.insert(c);
                MISSING_MARK
            }
        })
        .collect()
}

fn text_width(text: &str, size: f32, font: &Font) -> f32 {
    let m: &dyn Metrics = font;
    text.chars().map(|c| m.advance(c, false)).sum::<f32>() * size
}

/// Lines of `text` no wider than `max`, each as (offset, piece) runs.
fn wrap(text: &str, size: f32, max: f32, bold: bool, font: &Font) -> Vec<Vec<(f32, String)>> {
    let spans = [Span {
        text: text.to_string(),
        bold,
        anchor: None,
    }];
    break_lines(&spans, size, max.max(size), font)
        .into_iter()
        .map(|l| l.pieces.into_iter().map(|p| (p.x, p.text)).collect())
        .collect()
}

fn draw_line(
    page: &mut Vec<Draw>,
    line: Vec<(f32, String)>,
    x: f32,
    y: f32,
    size: f32,
    bold: bool,
) {
    for (dx, text) in line {
        page.push(Draw::Text {
            x: x + dx,
            y,
            size,
            bold,
            text,
        });
    }
}

/// The binder page number, right-aligned at the top right, black on a white patch: it
/// is drawn on top of the page, whose corner may be dark (a scan's black border, a photo),
/// where black alone vanished (issue 18, item 5). The patch covers the page only where
/// the number stands.
fn stamp(n: usize, setup: PageSetup, font: &Font) -> Vec<Draw> {
    let text = n.to_string();
    let width = text_width(&text, STAMP_SIZE, font);
    let x = setup.width - STAMP_RIGHT - width;
    vec![
        Draw::Rect {
            x: x - STAMP_PAD,
            y: STAMP_TOP - STAMP_SIZE - STAMP_PAD,
            w: width + 2.0 * STAMP_PAD,
            h: STAMP_SIZE * 1.25 + 2.0 * STAMP_PAD,
            paint: Paint::Gray(1.0),
        },
        Draw::Text {
            x,
            y: STAMP_TOP,
            size: STAMP_SIZE,
            bold: false,
            text,
        },
    ]
}

/// The cover: the title, then the label/value rows.
fn cover_pages(
    binder: &Binder,
    setup: PageSetup,
    font: &Font,
    missing: &mut BTreeSet<char>,
) -> Vec<Vec<Draw>> {
    let mut pages = vec![Vec::new()];
    let width = setup.width - 2.0 * setup.margin_x;
    let bottom = setup.height - setup.margin_bottom;
    let title_size = 22.0;
    let mut y = setup.height * 0.28;
    let title = visible(&binder.title, font, missing);
    for line in wrap(&title, title_size, width, true, font) {
        let w: f32 = line
            .last()
            .map(|(x, t)| x + text_width(t, title_size, font))
            .unwrap_or(0.0);
        draw_line(
            &mut pages[0],
            line,
            setup.margin_x + (width - w) / 2.0,
            y,
            title_size,
            true,
        );
        y += title_size * 1.5;
    }
    y += 36.0;
    let size = 12.0;
    let lead = size * 1.9;
    let inset = 40.0;
    let rows: Vec<(String, String)> = binder
        .cover
        .iter()
        .map(|(l, v)| (visible(l, font, missing), visible(v, font, missing)))
        .collect();
    let label_w = rows
        .iter()
        .map(|(l, _)| text_width(l, size, font))
        .fold(0.0, f32::max)
        + 2.0 * size;
    let left = setup.margin_x + inset;
    let right = setup.width - setup.margin_x - inset;
    let value_w = (right - left - label_w).max(size * 4.0);
    for (label, value) in rows {
        let lines = wrap(&value, size, value_w, false, font);
        if y + lead * lines.len() as f32 > bottom {
            pages.push(Vec::new());
            y = setup.margin_top + size;
        }
        let page = pages.last_mut().expect("a page");
        page.push(Draw::Text {
            x: left,
            y,
            size,
            bold: true,
            text: label,
        });
        for line in lines {
            draw_line(page, line, left + label_w, y, size, false);
            y += lead;
        }
        page.push(Draw::Line {
            x1: left,
            y1: y - lead + size * 0.6,
            x2: right,
            y2: y - lead + size * 0.6,
            width: 0.4,
        });
    }
    pages
}

/// The contents pages and, for bookmarks of what has no pages, the (0-based) contents page
/// each measure and item is listed on.
struct Contents {
    pages: Vec<Vec<Draw>>,
    measures: Vec<usize>,
    items: Vec<Vec<usize>>,
}

/// The contents: every measure with the page it starts on, its items and files under it,
/// files not bound with the reason. `starts` (per file, in order) is `None` on the first
/// pass, which only counts pages: the page column has a fixed width, so the numbers never
/// move a line.
fn contents_pages(
    binder: &Binder,
    placed: &[Vec<Vec<Placed>>],
    starts: Option<&[Option<usize>]>,
    setup: PageSetup,
    font: &Font,
    missing: &mut BTreeSet<char>,
) -> Contents {
    let mut c = Contents {
        pages: vec![Vec::new()],
        measures: Vec::new(),
        items: Vec::new(),
    };
    let left = setup.margin_x;
    let right = setup.width - setup.margin_x;
    let bottom = setup.height - setup.margin_bottom;
    let heading = 16.0;
    let mut y = setup.margin_top + heading;
    let title = visible(&binder.labels.contents, font, missing);
    let w = text_width(&title, heading, font);
    c.pages[0].push(Draw::Text {
        x: left + (right - left - w) / 2.0,
        y,
        size: heading,
        bold: true,
        text: title,
    });
    y += heading * 1.6;
    let page_label = visible(&binder.labels.page, font, missing);
    let unbound = visible(&binder.labels.unbound, font, missing);
    let number = |n: usize| page_label.replace("{n}", &n.to_string());
    let mut file_no = 0usize;
    // One entry: returns the contents page (0-based) its first line is on.
    let entry = |c: &mut Contents,
                 y: &mut f32,
                 text: &str,
                 level: usize,
                 page: Option<usize>,
                 missing: &mut BTreeSet<char>|
     -> usize {
        let (size, bold, gap) = match level {
            0 => (11.0, true, 8.0),
            1 => (10.0, false, 2.0),
            _ => (9.0, false, 0.0),
        };
        let lead = size * 1.55;
        let indent = level as f32 * 1.8 * size;
        let column = text_width(&number(888_888), size, font) + size;
        let text = visible(text, font, missing);
        let lines = wrap(&text, size, right - left - indent - column, bold, font);
        *y += gap;
        let mut first = None;
        for (i, line) in lines.into_iter().enumerate() {
            if *y + lead > bottom + size {
                c.pages.push(Vec::new());
                *y = setup.margin_top + size;
            }
            let at = c.pages.len() - 1;
            let sheet = &mut c.pages[at];
            if i == 0 {
                first = Some(at);
                if let Some(n) = page {
                    let label = number(n);
                    sheet.push(Draw::Text {
                        x: right - text_width(&label, size, font),
                        y: *y,
                        size,
                        bold: false,
                        text: label,
                    });
                }
            }
            draw_line(sheet, line, left + indent, *y, size, bold);
            *y += lead;
        }
        first.unwrap_or(c.pages.len() - 1)
    };
    for (measure, m_placed) in binder.measures.iter().zip(placed) {
        let count: usize = m_placed.iter().map(Vec::len).sum();
        let first_page = |from: usize, n: usize| {
            starts.and_then(|s| s.iter().skip(from).take(n).flatten().next().copied())
        };
        let at = entry(
            &mut c,
            &mut y,
            &measure.title,
            0,
            first_page(file_no, count),
            missing,
        );
        c.measures.push(at);
        let mut items = Vec::new();
        for (item, i_placed) in measure.items.iter().zip(m_placed) {
            let n = i_placed.len();
            let at = entry(
                &mut c,
                &mut y,
                &item.title,
                1,
                first_page(file_no, n),
                missing,
            );
            items.push(at);
            for (file, p) in item.files.iter().zip(i_placed) {
                let start = starts.and_then(|s| s.get(file_no).copied().flatten());
                file_no += 1;
                match p {
                    Placed::Unbound(reason) | Placed::Failed(reason) => {
                        let text = format!("{}　{unbound}：{reason}", file.title);
                        entry(&mut c, &mut y, &text, 2, None, missing);
                    }
                    Placed::Pdf(_) | Placed::Images(_) => {
                        entry(&mut c, &mut y, &file.title, 2, start, missing);
                    }
                }
            }
        }
        c.items.push(items);
    }
    c
}

/// An image's page: the caption at the foot, and the matrix that fits the image above it.
fn image_page(
    image: &ImageObj,
    setup: PageSetup,
    font: &Font,
    missing: &mut BTreeSet<char>,
) -> (Vec<Draw>, [f32; 6]) {
    let mut page = Vec::new();
    let width = setup.width - 2.0 * setup.margin_x;
    let caption = visible(&image.caption, font, missing);
    let lines = wrap(&caption, CAPTION_SIZE, width, false, font);
    let lead = CAPTION_SIZE * 1.5;
    let n = lines.len() as f32;
    let mut y = setup.height - setup.margin_bottom - lead * (n - 1.0);
    let caption_top = y - CAPTION_SIZE;
    for line in lines {
        let w = line
            .last()
            .map(|(x, t)| x + text_width(t, CAPTION_SIZE, font))
            .unwrap_or(0.0);
        draw_line(
            &mut page,
            line,
            setup.margin_x + (width - w) / 2.0,
            y,
            CAPTION_SIZE,
            false,
        );
        y += lead;
    }
    // The area above the caption, in PDF coordinates (origin bottom left).
    let area_w = width;
    let area_h = (caption_top - 8.0 - setup.margin_top).max(1.0);
    let area_x = setup.margin_x;
    let area_y = setup.height - (caption_top - 8.0);
    let scale = (area_w / image.width).min(area_h / image.height);
    let (w, h) = (image.width * scale, image.height * scale);
    let x0 = area_x + (area_w - w) / 2.0;
    let y0 = area_y + (area_h - h) / 2.0;
    let [a, b, c, d, e, f] = image.orient;
    (page, [w * a, h * b, w * c, h * d, w * e + x0, h * f + y0])
}

// ---------------------------------------------------------------------------------------
// Bookmarks.

struct Node {
    title: String,
    /// The binder page (1-based).
    page: usize,
    open: bool,
    children: Vec<Node>,
}

impl Node {
    fn shown(&self) -> usize {
        if self.open {
            self.children.iter().map(|c| 1 + c.shown()).sum()
        } else {
            0
        }
    }
}

/// Writes the outline: set › measure › item › file. A measure or item without bound pages
/// leads to the contents page that lists it (and its reasons).
fn outline(
    binder: &Binder,
    placed: &[Vec<Vec<Placed>>],
    starts: &[Option<usize>],
    contents: &Contents,
    cover_pages: usize,
    order: &[u32],
    out: &mut PdfOut<'_>,
) -> io::Result<u32> {
    let mut file_no = 0;
    let mut measures = Vec::new();
    let contents_page = |i: usize| cover_pages + i + 1;
    for (mi, (measure, m_placed)) in binder.measures.iter().zip(placed).enumerate() {
        let mut items = Vec::new();
        for (ii, (item, i_placed)) in measure.items.iter().zip(m_placed).enumerate() {
            let mut files = Vec::new();
            for file in item.files.iter().take(i_placed.len()) {
                if let Some(Some(p)) = starts.get(file_no) {
                    files.push(Node {
                        title: file.title.clone(),
                        page: *p,
                        open: false,
                        children: Vec::new(),
                    });
                }
                file_no += 1;
            }
            let at = contents.items[mi][ii];
            items.push(Node {
                title: item.title.clone(),
                page: files.first().map_or(contents_page(at), |f| f.page),
                open: false,
                children: files,
            });
        }
        let at = contents.measures[mi];
        let page = items
            .iter()
            .flat_map(|i| i.children.first())
            .map(|f| f.page)
            .next()
            .unwrap_or(contents_page(at));
        measures.push(Node {
            title: measure.title.clone(),
            page,
            open: false,
            children: items,
        });
    }
    let mut top = vec![Node {
        title: binder.labels.contents.clone(),
        page: contents_page(0),
        open: false,
        children: Vec::new(),
    }];
    top.extend(measures);
    let set = Node {
        title: binder.title.clone(),
        page: 1,
        open: true,
        children: top,
    };
    let root = out.reserve();
    let set_id = write_nodes(std::slice::from_ref(&set), root, order, out)?;
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Outlines".to_vec()));
    d.set("First", reference(set_id[0]));
    d.set("Last", reference(set_id[0]));
    d.set("Count", Object::Integer(1 + set.shown() as i64));
    out.object(root, &Object::Dictionary(d))?;
    Ok(root)
}

/// Writes sibling outline items under `parent`; returns their ids.
fn write_nodes(
    nodes: &[Node],
    parent: u32,
    order: &[u32],
    out: &mut PdfOut<'_>,
) -> io::Result<Vec<u32>> {
    let ids: Vec<u32> = nodes.iter().map(|_| out.reserve()).collect();
    for (i, node) in nodes.iter().enumerate() {
        let mut d = Dictionary::new();
        d.set("Title", text_string(&node.title));
        d.set("Parent", reference(parent));
        if i > 0 {
            d.set("Prev", reference(ids[i - 1]));
        }
        if let Some(next) = ids.get(i + 1) {
            d.set("Next", reference(*next));
        }
        if let Some(page) = order.get(node.page.saturating_sub(1)) {
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
        }
        if !node.children.is_empty() {
            let kids = write_nodes(&node.children, ids[i], order, out)?;
            d.set("First", reference(kids[0]));
            d.set("Last", reference(kids[kids.len() - 1]));
            let count = if node.open {
                node.shown() as i64
            } else {
                -(node.children.len() as i64)
            };
            d.set("Count", Object::Integer(count));
        }
        out.object(ids[i], &Object::Dictionary(d))?;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Stream, dictionary};

    /// A small source PDF: one page per size, each showing "marker-N"; pages without a
    /// size of their own inherit MediaBox and Resources from the page tree.
    fn source_pdf(path: &Path, sizes: &[Option<(f32, f32)>], marker: &str, rotate: i64) {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let mut kids = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            let text = format!("BT /F1 24 Tf 60 60 Td ({marker}-{}) Tj ET", i + 1);
            let content = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
            let mut page = dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            };
            if let Some((w, h)) = size {
                page.set(
                    "MediaBox",
                    vec![0.into(), 0.into(), Object::Real(*w), Object::Real(*h)],
                );
            }
            if rotate != 0 && i == 0 {
                page.set("Rotate", rotate);
            }
            kids.push(Object::Reference(doc.add_object(page)));
        }
        let pages = dictionary! {
            "Type" => "Pages", "Count" => kids.len() as i64, "Kids" => kids.clone(),
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        };
        // A link from the first page to the last, and metadata that must not be copied.
        if let (Some(Object::Reference(first)), Some(last)) = (kids.first(), kids.last()) {
            let link = dictionary! {
                "Type" => "Annot", "Subtype" => "Link", "P" => *first,
                "Rect" => vec![0.into(), 0.into(), 10.into(), 10.into()],
                "Dest" => vec![last.clone(), "Fit".into()],
            };
            let link = doc.add_object(link);
            if let Ok(Object::Dictionary(d)) = doc.get_object_mut(*first) {
                d.set("Annots", vec![Object::Reference(link)]);
            }
        }
        let info = doc.add_object(dictionary! { "Title" => Object::string_literal("SourceInfo") });
        doc.trailer.set("Info", info);
        doc.objects.insert(pages_id, Object::Dictionary(pages));
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        doc.save(path).expect("test PDF written");
    }

    fn file(title: &str, source: BinderSource) -> BinderFile {
        BinderFile {
            title: title.into(),
            path: format!("材料/{title}"),
            caption: format!("{title} · 2026-05-01"),
            source,
        }
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        binder: Binder,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.pdf");
        let b = dir.path().join("b.pdf");
        let bad = dir.path().join("bad.pdf");
        source_pdf(&a, &[None, None], "A", 0);
        source_pdf(&b, &[None, Some((842.0, 595.0)), None], "B", 90);
        std::fs::write(&bad, b"%PDF-1.4 this is not a PDF").expect("write");
        let png = dir.path().join("photo.png");
        let jpg = dir.path().join("photo.jpg");
        let img =
            image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90]));
        img.save(&png).expect("png");
        img.save(&jpg).expect("jpg");
        let binder = Binder {
            title: "安全生产标准化 第1组".into(),
            cover: vec![
                ("单位".into(), "某某镇".into()),
                ("截至".into(), "2026-05-01".into()),
                ("措施".into(), "3".into()),
            ],
            labels: BinderLabels::default(),
            measures: vec![
                BinderMeasure {
                    title: "第1条 安全责任".into(),
                    items: vec![BinderItem {
                        title: "责任书".into(),
                        files: vec![
                            file("a.pdf", BinderSource::Pdf { path: a, pages: 2 }),
                            file("photo.png", BinderSource::Image(png)),
                        ],
                    }],
                },
                BinderMeasure {
                    title: "第2条 隐患排查".into(),
                    items: vec![BinderItem {
                        title: "排查记录".into(),
                        files: vec![
                            file("video.mp4", BinderSource::Unbound("视频".into())),
                            file(
                                "bad.pdf",
                                BinderSource::Pdf {
                                    path: bad,
                                    pages: 1,
                                },
                            ),
                            file("b.pdf", BinderSource::Pdf { path: b, pages: 3 }),
                            file("photo.jpg", BinderSource::Image(jpg)),
                        ],
                    }],
                },
                BinderMeasure {
                    title: "第3条 应急演练".into(),
                    items: vec![BinderItem {
                        title: "演练记录".into(),
                        files: vec![file(
                            "plan.docx",
                            BinderSource::Unbound("Office 文档".into()),
                        )],
                    }],
                },
            ],
        };
        Fixture { _dir: dir, binder }
    }

    fn run(binder: &Binder) -> (Vec<u8>, Bound) {
        let font = Font::built_in().expect("font");
        let opts = BinderOptions {
            font: &font,
            paper: Paper::A4,
            title: "binder",
            author: "某某镇",
            created: 1_777_593_600,
        };
        let mut out = Vec::new();
        let bound = bind(binder, &opts, &mut out).expect("bound");
        (out, bound)
    }

    fn outline_titles(doc: &Document, first: &Object, into: &mut Vec<String>) {
        let mut next = first.as_reference().ok();
        while let Some(id) = next {
            let Ok(d) = doc.get_dictionary(id) else { break };
            if let Ok(t) = d.get(b"Title") {
                into.push(lopdf::decode_text_string(t).expect("title"));
            }
            if let Ok(kid) = d.get(b"First") {
                outline_titles(doc, kid, into);
            }
            next = d.get(b"Next").and_then(Object::as_reference).ok();
        }
    }

    /// A PNG whose 68 bytes declare 32768×32768 pixels and a JPEG whose few bytes claim
    /// 65500×65500: both listed unbound with the reason, neither decoded nor embedded
    /// (issue 18, item 3). They used to abort the pack and take 26 s a page to render.
    #[test]
    fn images_claiming_more_pixels_than_a_page_takes_are_listed_unbound() {
        let dir = tempfile::tempdir().expect("tempdir");
        // PNG signature, an IHDR chunk of 32768×32768 RGB, no data.
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&32768u32.to_be_bytes());
        ihdr.extend_from_slice(&32768u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut crc = flate2::Crc::new();
        crc.update(&ihdr);
        let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d".to_vec();
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc.sum().to_be_bytes());
        let mut idat = b"IDAT".to_vec();
        idat.extend_from_slice(&[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        let mut crc = flate2::Crc::new();
        crc.update(&idat);
        png.extend_from_slice(&8u32.to_be_bytes());
        png.extend_from_slice(&idat);
        png.extend_from_slice(&crc.sum().to_be_bytes());
        png.extend_from_slice(b"\x00\x00\x00\x00IEND\xaeB`\x82");
        // A baseline JPEG: SOI, SOF0 of 65500×65500, 3 components, EOI.
        let mut jpg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
        jpg.extend_from_slice(&65500u16.to_be_bytes());
        jpg.extend_from_slice(&65500u16.to_be_bytes());
        jpg.extend_from_slice(&[3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 0xFF, 0xD9]);
        let (png_path, jpg_path) = (dir.path().join("huge.png"), dir.path().join("huge.jpg"));
        std::fs::write(&png_path, &png).expect("png");
        std::fs::write(&jpg_path, &jpg).expect("jpg");
        let binder = Binder {
            title: "t".into(),
            cover: Vec::new(),
            labels: BinderLabels::default(),
            measures: vec![BinderMeasure {
                title: "第1条".into(),
                items: vec![BinderItem {
                    title: "照片".into(),
                    files: vec![
                        file("huge.png", BinderSource::Image(png_path)),
                        file("huge.jpg", BinderSource::Image(jpg_path)),
                    ],
                }],
            }],
        };
        let (bytes, bound) = run(&binder);
        let names: Vec<&str> = bound.unbound.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["材料/huge.png", "材料/huge.jpg"],
            "{:?}",
            bound.unbound
        );
        for (_, reason) in &bound.unbound {
            assert!(
                reason.contains("megapixels a binder page takes"),
                "{reason}"
            );
        }
        assert!(
            bytes.len() < 200_000,
            "nothing huge embedded: {}",
            bytes.len()
        );
    }

    /// A PDF whose object stream inflates past the budget (changed since the check, or
    /// bound by a caller that did not check it) is listed unbound with the reason, and
    /// nothing of it is inflated past the budget (issue 18, item 3).
    #[test]
    fn a_pdf_inflating_past_the_budget_is_listed_unbound() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bomb.pdf");
        let pad = usize::try_from(pdf_budget::INFLATE_BUDGET).expect("fits") + (1 << 20);
        std::fs::write(&path, crate::evidence::pdf_budget::objstm_pdf(pad, "")).expect("write");
        let binder = Binder {
            title: "t".into(),
            cover: Vec::new(),
            labels: BinderLabels::default(),
            measures: vec![BinderMeasure {
                title: "第1条".into(),
                items: vec![BinderItem {
                    title: "值班表".into(),
                    files: vec![file("bomb.pdf", BinderSource::Pdf { path, pages: 1 })],
                }],
            }],
        };
        let (_, bound) = run(&binder);
        assert_eq!(
            bound.unbound,
            [(
                "材料/bomb.pdf".to_string(),
                "无法读取（its compressed streams inflate past 64 MB, the most dossier inflates of one PDF (docs/limits.md)）".to_string()
            )]
        );
    }

    #[test]
    fn binds_pages_images_stamps_bookmarks_and_contents() {
        let f = fixture();
        let (bytes, bound) = run(&f.binder);
        let doc = Document::load_mem(&bytes).expect("the binder reads back");
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        // Cover, one contents page, 2 + 3 PDF pages and two images.
        assert_eq!(pages.len(), 1 + 1 + 2 + 3 + 2);
        assert_eq!(bound.pages, pages.len());
        assert_eq!(bound.unbound.len(), 1);
        assert_eq!(bound.unbound[0].0, "材料/bad.pdf");
        assert!(bound.missing.is_empty(), "{:?}", bound.missing);

        // Every page carries its stamp on top.
        for (i, page) in pages.iter().enumerate() {
            let content = doc.get_page_content(*page);
            let tail = String::from_utf8_lossy(&content);
            assert!(tail.contains("/DossierStamp Do"), "page {}", i + 1);
            let (res, _) = doc.get_page_resources(*page).expect("resources");
            let xobjects = res
                .expect("own resources")
                .get(b"XObject")
                .expect("xobjects");
            let stamp = xobjects.as_dict().expect("dict").get(b"DossierStamp");
            let form = doc.get_object(stamp.expect("stamp").as_reference().expect("ref"));
            let form = form.expect("form").as_stream().expect("stream");
            assert_eq!(
                form.dict.get(b"Subtype").expect("subtype").as_name().ok(),
                Some(&b"Form"[..])
            );
        }
        // The imported pages are there, in order, their content as it was.
        let text =
            |n: usize| String::from_utf8_lossy(&doc.get_page_content(pages[n - 1])).into_owned();
        assert!(text(3).contains("(A-1) Tj"));
        assert!(text(4).contains("(A-2) Tj"));
        assert!(text(5).contains("/DossierImage Do"));
        assert!(text(6).contains("(B-1) Tj"));
        assert!(text(8).contains("(B-3) Tj"));
        assert!(text(9).contains("/DossierImage Do"));
        let page = |n: usize| doc.get_dictionary(pages[n - 1]).expect("page");
        // A link keeps pointing at its page (now the binder's); the source's metadata stays out.
        let annots = page(3)
            .get(b"Annots")
            .expect("annots")
            .as_array()
            .expect("array");
        let link = doc
            .get_dictionary(annots[0].as_reference().expect("ref"))
            .expect("link");
        let dest = link.get(b"Dest").expect("dest").as_array().expect("array");
        assert_eq!(dest[0].as_reference().ok(), Some(pages[3]));
        assert_eq!(
            link.get(b"P").and_then(Object::as_reference).ok(),
            Some(pages[2])
        );
        assert!(!bytes.windows(10).any(|w| w == b"SourceInfo"));
        // Inherited attributes are resolved onto the page; the landscape page kept its box.
        let media = |n: usize| -> Vec<f32> {
            page(n)
                .get(b"MediaBox")
                .expect("box")
                .as_array()
                .expect("array")
                .iter()
                .map(|o| o.as_float().expect("number"))
                .collect()
        };
        assert_eq!(media(3), [0.0, 0.0, 595.0, 842.0]);
        assert_eq!(media(7), [0.0, 0.0, 842.0, 595.0]);
        assert_eq!(
            page(6).get(b"Rotate").and_then(Object::as_i64).ok(),
            Some(90)
        );

        // The contents give each measure the page its first file starts on.
        let contents = doc.extract_text(&[2]).expect("contents text");
        let squeezed: String = contents.split_whitespace().collect();
        assert!(squeezed.contains("第1条安全责任第3页"), "{contents}");
        assert!(squeezed.contains("第2条隐患排查第6页"), "{contents}");
        assert!(squeezed.contains("附件（未装订）：视频"), "{contents}");
        assert!(squeezed.contains("bad.pdf"), "{contents}");

        // Bookmarks: set › measure › item › file.
        let catalog = doc.catalog().expect("catalog");
        let outlines = doc
            .get_dictionary(
                catalog
                    .get(b"Outlines")
                    .expect("outlines")
                    .as_reference()
                    .expect("ref"),
            )
            .expect("dict");
        let mut titles = Vec::new();
        outline_titles(&doc, outlines.get(b"First").expect("first"), &mut titles);
        for m in &f.binder.measures {
            assert!(titles.contains(&m.title), "{titles:?}");
        }
        for t in [
            "安全生产标准化 第1组",
            "目录",
            "责任书",
            "a.pdf",
            "b.pdf",
            "photo.jpg",
        ] {
            assert!(titles.iter().any(|x| x == t), "{t} in {titles:?}");
        }
        assert!(!titles.iter().any(|x| x == "bad.pdf" || x == "video.mp4"));
    }

    /// A decrypted stream keeps no `/Crypt` filter: the binder is not encrypted.
    #[test]
    fn a_crypt_filter_is_dropped_from_a_decrypted_stream() {
        let mut one = dictionary! { "Filter" => "Crypt", "DecodeParms" => dictionary! {} };
        drop_crypt_filter(&mut one);
        assert!(!one.has(b"Filter") && !one.has(b"DecodeParms"));
        let mut chain = dictionary! {
            "Filter" => vec![Object::Name(b"Crypt".to_vec()), Object::Name(b"FlateDecode".to_vec())],
            "DecodeParms" => vec![Object::Dictionary(dictionary! { "Name" => "StdCF" }), Object::Null],
        };
        drop_crypt_filter(&mut chain);
        assert_eq!(
            chain
                .get(b"Filter")
                .and_then(Object::as_array)
                .map(Vec::len)
                .ok(),
            Some(1)
        );
        assert_eq!(
            chain.get(b"DecodeParms").and_then(Object::as_array).ok(),
            Some(&vec![Object::Null])
        );
        let mut plain = dictionary! { "Filter" => "FlateDecode" };
        drop_crypt_filter(&mut plain);
        assert!(plain.has(b"Filter"));
    }

    /// A TIFF of `pages` (width, height, grey level), written by the tiff crate.
    fn tiff(path: &Path, pages: &[(u32, u32, u8)]) {
        use tiff::encoder::{Compression, DeflateLevel};
        let mut out = io::Cursor::new(Vec::new());
        {
            let mut enc = tiff::encoder::TiffEncoder::new(&mut out)
                .expect("encoder")
                .with_compression(Compression::Deflate(DeflateLevel::Fast));
            for &(w, h, level) in pages {
                let px = vec![level; (w * h) as usize];
                enc.write_image::<tiff::encoder::colortype::Gray8>(w, h, &px)
                    .expect("page");
            }
        }
        std::fs::write(path, out.into_inner()).expect("tiff");
    }

    /// Every page of a multi-page TIFF is bound on a page of its own, each captioned with
    /// its number; the image crate alone gave the first only (issue 18, item 5).
    #[test]
    fn every_page_of_a_multi_page_tiff_is_bound() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fax.tif");
        tiff(&path, &[(40, 30, 10), (30, 40, 120), (50, 20, 240)]);
        let binder = Binder {
            title: "t".into(),
            cover: Vec::new(),
            labels: BinderLabels::default(),
            measures: vec![BinderMeasure {
                title: "第1条".into(),
                items: vec![BinderItem {
                    title: "通报".into(),
                    files: vec![file("fax.tif", BinderSource::Image(path))],
                }],
            }],
        };
        let (bytes, bound) = run(&binder);
        assert!(bound.unbound.is_empty(), "{:?}", bound.unbound);
        let doc = Document::load_mem(&bytes).expect("the binder reads back");
        // Cover, contents, three pages.
        assert_eq!(bound.pages, 5);
        let mut sizes: Vec<(i64, i64)> = doc
            .objects
            .values()
            .filter_map(|o| o.as_stream().ok())
            .filter(|s| s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image"))
            .map(|s| {
                let n = |k: &[u8]| s.dict.get(k).and_then(Object::as_i64).expect("size");
                (n(b"Width"), n(b"Height"))
            })
            .collect();
        sizes.sort_unstable();
        assert_eq!(sizes, [(30, 40), (40, 30), (50, 20)]);
        let text: String = (3..=5)
            .map(|p| doc.extract_text(&[p]).expect("text"))
            .collect();
        let squeezed: String = text.split_whitespace().collect();
        for n in 1..=3 {
            assert!(
                squeezed.contains(&format!("fax.tif·2026-05-01·{n}/3")),
                "{text}"
            );
        }
    }

    /// A TIFF is held to the pixel limit page by page, every page's size read before any
    /// is decoded.
    #[test]
    fn a_tiff_page_past_the_pixel_limit_leaves_the_file_unbound() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("scan.tif");
        tiff(&path, &[(40, 30, 10), (8000, 7000, 255)]);
        let pages = tiff_pages(&std::fs::read(&path).expect("read"));
        assert_eq!(
            pages.err().as_deref(),
            Some(
                "page 2: the image claims 8000×7000 pixels, more than the 50 megapixels a binder page takes"
            )
        );
        assert!(matches!(tiff_pages(b"\x89PNG"), Ok(None)));
    }

    /// The number sits inside a white patch drawn before it, so it reads on any page.
    #[test]
    fn the_stamp_is_drawn_on_a_white_patch() {
        let font = Font::built_in().expect("font");
        let setup = PageSetup::from_mm(210.0, 297.0, false);
        let draws = stamp(1234, setup, &font);
        let [
            Draw::Rect { x, y, w, h, paint },
            Draw::Text {
                x: tx,
                y: ty,
                size,
                text,
                ..
            },
        ] = draws.as_slice()
        else {
            panic!("{draws:?}");
        };
        assert_eq!((*paint, text.as_str()), (Paint::Gray(1.0), "1234"));
        let width = text_width(text, *size, &font);
        assert!(*x < *tx && tx + width < x + w, "{draws:?}");
        assert!(*y < ty - size && *ty < y + h, "{draws:?}");
        assert!(x + w < setup.width && *y > 0.0, "{draws:?}");
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let f = fixture();
        let (a, _) = run(&f.binder);
        let (b, _) = run(&f.binder);
        assert!(a == b);
    }

    #[test]
    fn stamps_sit_at_the_visible_top_right_upright() {
        let apply =
            |m: [f32; 6], x: f32, y: f32| (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]);
        let (w, h) = (595.0, 842.0);
        // The generated page's top-right corner lands on the shown top-right corner.
        let b = [10.0, 20.0, 610.0, 820.0];
        assert_eq!(apply(stamp_matrix(b, 0, w, h), w, h), (610.0, 820.0));
        assert_eq!(apply(stamp_matrix(b, 90, w, h), w, h), (10.0, 820.0));
        assert_eq!(apply(stamp_matrix(b, 180, w, h), w, h), (10.0, 20.0));
        assert_eq!(apply(stamp_matrix(b, 270, w, h), w, h), (610.0, 20.0));
        // Rotated 90° (shown turned clockwise), the stamp's "up" points to the page's -x.
        let m = stamp_matrix(b, 90, w, h);
        assert_eq!((m[2], m[3]), (-1.0, 0.0));
    }

    #[test]
    fn jpeg_frame_header_and_orientation() {
        let img = image::RgbImage::from_pixel(7, 5, image::Rgb([1, 2, 3]));
        let mut jpg = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut io::Cursor::new(&mut jpg), image::ImageFormat::Jpeg)
            .expect("jpeg");
        assert_eq!(jpeg_info(&jpg), Some((7, 5, 3, false)));
        assert_eq!(jpeg_info(b"\x89PNG"), None);
        assert_eq!(jpeg_info(&jpg[..10]), None);
        assert_eq!(jpeg_orientation(&jpg), 1);
        // Orientation 6 (turn clockwise): the stored top-left corner shows at the top right.
        let m = orientation_matrix(6);
        assert_eq!(
            (
                m[0] * 0.0 + m[2] * 1.0 + m[4],
                m[1] * 0.0 + m[3] * 1.0 + m[5]
            ),
            (1.0, 1.0)
        );
    }
}
