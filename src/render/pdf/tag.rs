//! The tagged PDF's structure (PDF 1.7 §14.8): the logical structure tree a screen reader
//! reads, built from the [`Draw::Open`], [`Draw::Close`] and [`Draw::Tag`] marks the
//! layout puts among a page's draws, while the pages stream past. Each piece of content is
//! wrapped in a marked-content sequence: an `MCID` of the element it belongs to, or an
//! `/Artifact` (running header and footer, a repeated table header, rules and borders).
//!
//! Memory stays with the page: an element is written as soon as the layout closes it, and
//! of a finished page only the object number of its MCID array is kept (the parent tree
//! needs one per page). What grows with the document is the document element's list of
//! children, a few integers a block.

use super::layout::{Draw, Role, Tag};
use super::out::{PdfOut, serialize, text_string};
use std::io::{self, Write};

/// A child of a structure element: another element, or marked content on a page.
#[derive(Debug, Clone, Copy)]
enum Kid {
    Elem(u32),
    Mcid { page: u32, mcid: u32 },
}

/// An element opened and not yet written.
struct Open {
    /// The layout's serial number.
    serial: u32,
    /// Its object number (reserved when opened).
    obj: u32,
    /// The parent's object number.
    parent: u32,
    role: Role,
    kids: Vec<Kid>,
}

/// The marked-content sequence open in the page's content stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marked {
    /// Content of the element with this serial number.
    Content(u32),
    Pagination,
    Artifact,
}

/// Builds the structure tree of one PDF as its pages are written.
pub struct Tagger {
    /// The StructTreeRoot's object number.
    root: u32,
    /// The Document element's object number, and its children (the blocks).
    document: u32,
    document_kids: Vec<u32>,
    /// Elements opened and not closed: a handful at a time (a table, its row, its cells).
    open: Vec<Open>,
    /// Elements closed, as (object number, body), waiting for the page to be written.
    ready: Vec<(u32, Vec<u8>)>,
    /// Per page written: the object number of its array of elements by MCID.
    parent_tree: Vec<u32>,
    /// The page being written: its object number, and the element of each MCID on it.
    page: u32,
    mcids: Vec<u32>,
    /// What the draws belong to now, and the sequence open in the content stream.
    tag: Tag,
    marked: Option<Marked>,
}

/// A structure type's name, as written in /S and before `BDC`.
fn name(role: &Role) -> &'static str {
    match role {
        Role::H(1) => "H1",
        Role::H(2) => "H2",
        Role::H(3) => "H3",
        Role::H(4) => "H4",
        Role::H(5) => "H5",
        Role::H(_) => "H6",
        Role::P => "P",
        Role::L => "L",
        Role::LI => "LI",
        Role::Lbl => "Lbl",
        Role::LBody => "LBody",
        Role::BlockQuote => "BlockQuote",
        Role::Table => "Table",
        Role::TR => "TR",
        Role::TH => "TH",
        Role::TD => "TD",
        Role::Figure(_) => "Figure",
    }
}

impl Tagger {
    /// Reserves the structure tree's root and the document element in `out`.
    pub fn new(out: &mut PdfOut<'_>) -> Tagger {
        Tagger {
            root: out.reserve(),
            document: out.reserve(),
            document_kids: Vec::new(),
            open: Vec::new(),
            ready: Vec::new(),
            parent_tree: Vec::new(),
            page: 0,
            mcids: Vec::new(),
            tag: Tag::Artifact,
            marked: None,
        }
    }

    /// Starts page `page` (its object number): MCIDs count from 0 again, and what is drawn
    /// before the layout says otherwise is an artifact.
    pub fn begin_page(&mut self, page: u32) {
        self.page = page;
        self.mcids.clear();
        self.tag = Tag::Artifact;
        self.marked = None;
    }

    /// Takes a structure mark (`true`), or puts into `buf` what must precede drawing `d`:
    /// the end of the sequence open and the start of the one `d` belongs to (`false`).
    pub fn draw(&mut self, d: &Draw, out: &mut PdfOut<'_>, buf: &mut Vec<u8>) -> bool {
        let want = match d {
            Draw::Open { id, parent, role } => {
                self.open_element(*id, *parent, role.clone(), out);
                return true;
            }
            Draw::Close(id) => {
                self.close_element(*id);
                return true;
            }
            Draw::Tag(tag) => {
                self.tag = *tag;
                return true;
            }
            // A change of face draws nothing: the content stream sets the font at the
            // next text.
            Draw::Face { .. } => return false,
            Draw::Text { .. } => match self.tag {
                Tag::Elem(s) if self.find(s).is_some() => Marked::Content(s),
                Tag::Pagination => Marked::Pagination,
                _ => Marked::Artifact,
            },
            // Lines and rectangles are decoration, except what draws a figure.
            Draw::Line { .. } | Draw::Rect { .. } => match self.tag {
                Tag::Elem(s)
                    if self
                        .find(s)
                        .is_some_and(|i| matches!(self.open[i].role, Role::Figure(_))) =>
                {
                    Marked::Content(s)
                }
                Tag::Pagination => Marked::Pagination,
                _ => Marked::Artifact,
            },
        };
        if self.marked == Some(want) {
            return false;
        }
        self.end_marked(buf);
        match want {
            Marked::Content(s) => {
                let mcid = self.mcids.len() as u32;
                let page = self.page;
                if let Some(i) = self.find(s) {
                    let e = &mut self.open[i];
                    e.kids.push(Kid::Mcid { page, mcid });
                    self.mcids.push(e.obj);
                    let _ = writeln!(buf, "/{} <</MCID {mcid}>> BDC", name(&e.role));
                }
            }
            Marked::Pagination => buf.extend_from_slice(b"/Artifact <</Type /Pagination>> BDC\n"),
            Marked::Artifact => buf.extend_from_slice(b"/Artifact BMC\n"),
        }
        self.marked = Some(want);
        false
    }

    /// Ends the marked-content sequence open, if any (at the end of a page's content).
    pub fn end_marked(&mut self, buf: &mut Vec<u8>) {
        if self.marked.take().is_some() {
            buf.extend_from_slice(b"EMC\n");
        }
    }

    /// After the page's content: writes its MCID array and the elements closed on it;
    /// returns the page's key in the parent tree (its /StructParents).
    pub fn end_page(&mut self, out: &mut PdfOut<'_>) -> io::Result<usize> {
        let key = self.parent_tree.len();
        let array = out.reserve();
        let mut body = Vec::with_capacity(2 + self.mcids.len() * 8);
        body.push(b'[');
        for (i, obj) in self.mcids.iter().enumerate() {
            if i > 0 {
                body.push(b' ');
            }
            let _ = write!(body, "{obj} 0 R");
        }
        body.push(b']');
        out.packed(array, &body)?;
        self.parent_tree.push(array);
        self.flush(out)?;
        Ok(key)
    }

    fn flush(&mut self, out: &mut PdfOut<'_>) -> io::Result<()> {
        for (obj, body) in self.ready.drain(..) {
            out.packed(obj, &body)?;
        }
        Ok(())
    }

    fn find(&self, serial: u32) -> Option<usize> {
        self.open.iter().rposition(|e| e.serial == serial)
    }

    fn open_element(&mut self, serial: u32, parent: u32, role: Role, out: &mut PdfOut<'_>) {
        let obj = out.reserve();
        let parent = match self.find(parent) {
            Some(i) if parent != 0 => {
                self.open[i].kids.push(Kid::Elem(obj));
                self.open[i].obj
            }
            // The document, or a parent already closed (which the layout never does).
            _ => {
                self.document_kids.push(obj);
                self.document
            }
        };
        self.open.push(Open {
            serial,
            obj,
            parent,
            role,
            kids: Vec::new(),
        });
    }

    fn close_element(&mut self, serial: u32) {
        if let Some(i) = self.find(serial) {
            let e = self.open.remove(i);
            let body = element(&e);
            self.ready.push((e.obj, body));
        }
    }

    /// Writes every element still open, the document element, the parent tree and the
    /// root; returns the root's object number for the catalog's /StructTreeRoot.
    pub fn finish(mut self, out: &mut PdfOut<'_>) -> io::Result<u32> {
        while let Some(e) = self.open.pop() {
            self.ready.push((e.obj, element(&e)));
        }
        self.flush(out)?;
        let mut body = format!("<</S/Document/P {} 0 R/K[", self.root).into_bytes();
        for (i, obj) in self.document_kids.iter().enumerate() {
            if i > 0 {
                body.push(b' ');
            }
            let _ = write!(body, "{obj} 0 R");
        }
        body.extend_from_slice(b"]>>");
        out.packed(self.document, &body)?;

        let tree = out.reserve();
        let mut body = b"<</Nums[".to_vec();
        for (key, obj) in self.parent_tree.iter().enumerate() {
            if key > 0 {
                body.push(b' ');
            }
            let _ = write!(body, "{key} {obj} 0 R");
        }
        body.extend_from_slice(b"]>>");
        out.packed(tree, &body)?;

        let root = format!(
            "<</Type/StructTreeRoot/K {} 0 R/ParentTree {tree} 0 R/ParentTreeNextKey {}>>",
            self.document,
            self.parent_tree.len()
        );
        out.packed(self.root, root.as_bytes())?;
        Ok(self.root)
    }
}

/// A structure element's dictionary: its type, parent, children in reading order (an MCID
/// on its own page, a marked-content reference on another), the page it starts on, the
/// scope of a header cell, the alternate text of a figure. The optional `/Type
/// /StructElem` is left out: a long checklist has tens of thousands of elements.
fn element(e: &Open) -> Vec<u8> {
    let mut b = Vec::with_capacity(64 + e.kids.len() * 12);
    let _ = write!(b, "<</S/{}/P {} 0 R", name(&e.role), e.parent);
    let pg = e.kids.iter().find_map(|k| match k {
        Kid::Mcid { page, .. } => Some(*page),
        Kid::Elem(_) => None,
    });
    if let Some(pg) = pg {
        let _ = write!(b, "/Pg {pg} 0 R");
    }
    if !e.kids.is_empty() {
        b.extend_from_slice(if e.kids.len() > 1 { b"/K[" } else { b"/K " });
        for (i, kid) in e.kids.iter().enumerate() {
            if i > 0 {
                b.push(b' ');
            }
            match *kid {
                Kid::Elem(obj) => {
                    let _ = write!(b, "{obj} 0 R");
                }
                Kid::Mcid { page, mcid } if Some(page) == pg => {
                    let _ = write!(b, "{mcid}");
                }
                Kid::Mcid { page, mcid } => {
                    let _ = write!(b, "<</Type/MCR/Pg {page} 0 R/MCID {mcid}>>");
                }
            }
        }
        if e.kids.len() > 1 {
            b.push(b']');
        }
    }
    match &e.role {
        Role::TH => b.extend_from_slice(b"/A<</O/Table/Scope/Column>>"),
        Role::Figure(alt) => {
            b.extend_from_slice(b"/Alt ");
            serialize(&mut b, &text_string(alt));
        }
        _ => {}
    }
    b.extend_from_slice(b">>");
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> Draw {
        Draw::Text {
            x: 0.0,
            y: 0.0,
            size: 10.0,
            bold: false,
            text: "a".into(),
        }
    }

    fn line() -> Draw {
        Draw::Line {
            x1: 0.0,
            y1: 0.0,
            x2: 1.0,
            y2: 0.0,
            width: 1.0,
        }
    }

    /// Feeds a page's draws; a draw that paints shows as `x`.
    fn page(t: &mut Tagger, out: &mut PdfOut<'_>, id: u32, draws: &[Draw]) -> String {
        let mut buf = Vec::new();
        t.begin_page(id);
        for d in draws {
            if !t.draw(d, out, &mut buf) {
                buf.extend_from_slice(b"x\n");
            }
        }
        t.end_marked(&mut buf);
        t.end_page(out).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn content_is_marked_by_element_and_an_element_over_pages_refers_by_mcr() {
        let mut bytes = Vec::new();
        let mut out = PdfOut::new(&mut bytes);
        out.raw(b"%PDF-1.7\n").unwrap();
        // Objects 1 and 2: the root and the document.
        let mut t = Tagger::new(&mut out);
        let first = page(
            &mut t,
            &mut out,
            100,
            &[
                Draw::Open {
                    id: 1,
                    parent: 0,
                    role: Role::P,
                },
                Draw::Tag(Tag::Elem(1)),
                text(),
                text(),
                line(),
                text(),
                Draw::Tag(Tag::Pagination),
                text(),
                line(),
            ],
        );
        assert_eq!(
            first,
            "/P <</MCID 0>> BDC\nx\nx\nEMC\n/Artifact BMC\nx\nEMC\n/P <</MCID 1>> BDC\nx\nEMC\n\
             /Artifact <</Type /Pagination>> BDC\nx\nx\nEMC\n"
        );
        let second = page(
            &mut t,
            &mut out,
            101,
            &[
                Draw::Tag(Tag::Elem(1)),
                text(),
                Draw::Close(1),
                Draw::Open {
                    id: 2,
                    parent: 0,
                    role: Role::Figure("图：甲 1".into()),
                },
                Draw::Tag(Tag::Elem(2)),
                line(),
                Draw::Close(2),
                text(),
            ],
        );
        // A figure's lines are its content; after an element closes, an artifact.
        assert_eq!(
            second,
            "/P <</MCID 0>> BDC\nx\nEMC\n/Figure <</MCID 1>> BDC\nx\nEMC\n/Artifact BMC\nx\nEMC\n"
        );
        let root = t.finish(&mut out).unwrap();
        assert_eq!(root, 1);
        // Pages 100 and 101 are no objects of this file; a null stands in for /Info.
        let info = out.reserve();
        out.object(info, &lopdf::Object::Null).unwrap();
        out.finish(root, info).unwrap();
        // Read back through the object streams and the cross-reference stream.
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let obj = |id: u32| {
            let mut b = Vec::new();
            serialize(&mut b, doc.get_object((id, 0)).unwrap());
            String::from_utf8(b).unwrap()
        };
        // The paragraph (object 3) starts on page 100 and goes on on page 101.
        assert_eq!(
            obj(3),
            "<</S /P/P 2 0 R/Pg 100 0 R/K [0 1 <</Type /MCR/Pg 101 0 R/MCID 0>>]>>"
        );
        // Page 100's MCIDs are both the paragraph's (its array is object 4); page 101's
        // the paragraph's and the figure's (object 5; the array, object 6).
        assert_eq!(obj(4), "[3 0 R 3 0 R]");
        assert_eq!(obj(6), "[3 0 R 5 0 R]");
        assert!(
            obj(5).starts_with("<</S /Figure/P 2 0 R/Pg 101 0 R/K 1/Alt <FEFF"),
            "{}",
            obj(5)
        );
        assert_eq!(obj(2), "<</S /Document/P 1 0 R/K [3 0 R 5 0 R]>>");
        assert!(obj(1).ends_with("/ParentTreeNextKey 2>>"), "{}", obj(1));
    }
}
