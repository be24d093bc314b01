//! Tagged PDF (issue 11): the structure tree a screen reader follows, read back with lopdf
//! (the PDF library dossier itself depends on) from the PDFs a build writes, and checked
//! against the Markdown the same build writes.

use crate::common::*;
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

/// A structure element read back.
#[derive(Debug)]
pub struct Elem {
    pub id: ObjectId,
    /// The structure type (`H1`, `TD`…).
    pub s: String,
    pub kids: Vec<Kid>,
    pub attrs: Option<Dictionary>,
    pub alt: Option<String>,
}

/// A child: an element, or marked content (page, MCID).
#[derive(Debug)]
pub enum Kid {
    Elem(Elem),
    Mc(ObjectId, i64),
}

impl Elem {
    /// This element and all below it, in reading order.
    fn walk<'a>(&'a self, into: &mut Vec<&'a Elem>) {
        into.push(self);
        for k in &self.kids {
            if let Kid::Elem(e) = k {
                e.walk(into);
            }
        }
    }

    pub fn all(&self) -> Vec<&Elem> {
        let mut v = Vec::new();
        self.walk(&mut v);
        v
    }

    fn elems(&self) -> impl Iterator<Item = &Elem> {
        self.kids.iter().filter_map(|k| match k {
            Kid::Elem(e) => Some(e),
            Kid::Mc(..) => None,
        })
    }

    /// The marked content of this element and all below it, in reading order.
    fn mcs(&self, into: &mut Vec<(ObjectId, i64)>) {
        for k in &self.kids {
            match k {
                Kid::Elem(e) => e.mcs(into),
                Kid::Mc(p, m) => into.push((*p, *m)),
            }
        }
    }
}

/// What a stretch of a page's content is marked as.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    Mcid(i64),
    /// `/Artifact` with its /Type, if any (`Pagination`).
    Artifact(Option<String>),
    /// Not inside any marked-content sequence of the tagging.
    None,
}

/// A run of a page's content under one mark: the text its glyphs stand for (through the
/// fonts' ToUnicode maps) and how many painting operators it holds.
#[derive(Debug)]
pub struct Run {
    pub mark: Mark,
    pub text: String,
    pub paints: usize,
}

/// A tagged PDF read back.
pub struct Tagged {
    pub doc: Document,
    /// Page object ids, in page order.
    pub pages: Vec<ObjectId>,
    pub root: Elem,
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    match o {
        Object::Reference(id) => doc.get_object(*id).unwrap(),
        o => o,
    }
}

fn name_of(o: &Object) -> String {
    String::from_utf8(o.as_name().unwrap().to_vec()).unwrap()
}

/// A PDF text string (UTF-16BE with a byte order mark, or ASCII).
fn text_string(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(b) => {
            let units: Vec<u16> = b
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).unwrap()
        }
        None => String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn read_elem(doc: &Document, id: ObjectId) -> Elem {
    let d = doc.get_dictionary(id).unwrap();
    // /Type is optional; where present it says StructElem.
    if let Ok(t) = d.get(b"Type") {
        assert_eq!(name_of(t), "StructElem");
    }
    let pg = d.get(b"Pg").ok().map(|p| p.as_reference().unwrap());
    let mut kids = Vec::new();
    let k = d.get(b"K").ok();
    let items: Vec<&Object> = match k {
        Some(Object::Array(a)) => a.iter().collect(),
        Some(o) => vec![o],
        None => vec![],
    };
    for item in items {
        match item {
            Object::Integer(m) => kids.push(Kid::Mc(pg.expect("an MCID needs /Pg"), *m)),
            Object::Reference(r) => kids.push(Kid::Elem(read_elem(doc, *r))),
            Object::Dictionary(mcr) => {
                assert_eq!(name_of(mcr.get(b"Type").unwrap()), "MCR");
                let page = mcr.get(b"Pg").unwrap().as_reference().unwrap();
                kids.push(Kid::Mc(page, mcr.get(b"MCID").unwrap().as_i64().unwrap()));
            }
            o => panic!("unexpected kid {o:?}"),
        }
    }
    // Every element names its parent.
    assert!(d.get(b"P").unwrap().as_reference().is_ok());
    Elem {
        id,
        s: name_of(d.get(b"S").unwrap()),
        kids,
        attrs: d
            .get(b"A")
            .ok()
            .map(|a| deref(doc, a).as_dict().unwrap().clone()),
        alt: d.get(b"Alt").ok().map(|a| text_string(a.as_str().unwrap())),
    }
}

/// Loads a PDF and its structure tree; fails unless it says it is tagged.
pub fn read(pdf: &Path) -> Tagged {
    let doc = Document::load(pdf).unwrap();
    let catalog = doc.catalog().unwrap();
    let mark_info = deref(&doc, catalog.get(b"MarkInfo").expect("/MarkInfo"));
    assert!(
        mark_info
            .as_dict()
            .unwrap()
            .get(b"Marked")
            .unwrap()
            .as_bool()
            .unwrap(),
        "/Marked true"
    );
    let prefs = deref(&doc, catalog.get(b"ViewerPreferences").unwrap());
    assert!(
        prefs
            .as_dict()
            .unwrap()
            .get(b"DisplayDocTitle")
            .unwrap()
            .as_bool()
            .unwrap()
    );
    let root_id = catalog
        .get(b"StructTreeRoot")
        .unwrap()
        .as_reference()
        .unwrap();
    let root = doc.get_dictionary(root_id).unwrap();
    assert_eq!(name_of(root.get(b"Type").unwrap()), "StructTreeRoot");
    let document = read_elem(&doc, root.get(b"K").unwrap().as_reference().unwrap());
    assert_eq!(document.s, "Document");
    let pages = doc.get_pages().into_values().collect();
    Tagged {
        doc,
        pages,
        root: document,
    }
}

/// Each font's code → text map, from its ToUnicode CMap (the `bfchar` entries dossier
/// writes).
fn to_unicode(doc: &Document, font: &Dictionary) -> HashMap<u16, String> {
    let id = font.get(b"ToUnicode").unwrap().as_reference().unwrap();
    let cmap = doc
        .get_object(id)
        .unwrap()
        .as_stream()
        .unwrap()
        .decompressed_content()
        .unwrap();
    let cmap = String::from_utf8(cmap).unwrap();
    let mut map = HashMap::new();
    for line in cmap.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [code, text] = parts[..]
            && let (Some(code), Some(text)) = (
                code.strip_prefix('<').and_then(|c| c.strip_suffix('>')),
                text.strip_prefix('<').and_then(|t| t.strip_suffix('>')),
            )
            && code.len() == 4
        {
            let units: Vec<u16> = (0..text.len() / 4)
                .map(|i| u16::from_str_radix(&text[i * 4..i * 4 + 4], 16).unwrap())
                .collect();
            map.insert(
                u16::from_str_radix(code, 16).unwrap(),
                String::from_utf16(&units).unwrap(),
            );
        }
    }
    map
}

impl Tagged {
    /// The runs of page `page` (0-based): the content between marks, with its text. The
    /// `/Span` marks of `/ActualText` inside a tagged run belong to that run.
    pub fn runs(&self, page: usize) -> Vec<Run> {
        let id = self.pages[page];
        let fonts: HashMap<Vec<u8>, HashMap<u16, String>> = self
            .doc
            .get_page_fonts(id)
            .unwrap()
            .into_iter()
            .map(|(n, f)| (n, to_unicode(&self.doc, f)))
            .collect();
        let content = Content::decode(&self.doc.get_page_content(id)).unwrap();
        let mut runs = vec![Run {
            mark: Mark::None,
            text: String::new(),
            paints: 0,
        }];
        // The marks open: ours (Some) and others, such as /Span (None).
        let mut stack: Vec<Option<Mark>> = Vec::new();
        let mut font: Option<&HashMap<u16, String>> = None;
        let show = |bytes: &[u8], font: Option<&HashMap<u16, String>>, into: &mut String| {
            for c in bytes.chunks(2) {
                let code = u16::from_be_bytes([c[0], c[1]]);
                into.push_str(&font.expect("a font set")[&code]);
            }
        };
        for op in &content.operations {
            let ours = match op.operator.as_str() {
                "BDC" | "BMC" => {
                    let tag = name_of(&op.operands[0]);
                    let props = op.operands.get(1).and_then(|p| p.as_dict().ok());
                    let mark = if tag == "Artifact" {
                        Some(Mark::Artifact(
                            props.and_then(|p| p.get(b"Type").ok()).map(name_of),
                        ))
                    } else {
                        props
                            .and_then(|p| p.get(b"MCID").ok())
                            .map(|m| Mark::Mcid(m.as_i64().unwrap()))
                    };
                    if let Some(m) = &mark {
                        assert!(
                            stack.iter().all(Option::is_none),
                            "page {}: {m:?} nested in a mark",
                            page + 1
                        );
                    }
                    stack.push(mark.clone());
                    mark
                }
                // The end of one of ours starts unmarked content; of a /Span, nothing.
                "EMC" => stack.pop().expect("EMC without BDC").map(|_| Mark::None),
                "Tf" => {
                    font = fonts.get(op.operands[0].as_name().unwrap());
                    None
                }
                "Tj" => {
                    let last = runs.last_mut().unwrap();
                    show(op.operands[0].as_str().unwrap(), font, &mut last.text);
                    None
                }
                "TJ" => {
                    let last = runs.last_mut().unwrap();
                    for part in op.operands[0].as_array().unwrap() {
                        if let Ok(s) = part.as_str() {
                            show(s, font, &mut last.text);
                        }
                    }
                    None
                }
                "f" | "S" | "B" | "b" | "s" | "F" | "f*" | "B*" | "b*" | "Do" | "sh" => {
                    runs.last_mut().unwrap().paints += 1;
                    None
                }
                _ => None,
            };
            if let Some(mark) = ours {
                runs.push(Run {
                    mark,
                    text: String::new(),
                    paints: 0,
                });
            }
        }
        assert!(stack.is_empty(), "page {}: unbalanced marks", page + 1);
        runs.retain(|r| !r.text.is_empty() || r.paints > 0);
        runs
    }

    /// The text of every MCID of every page: (page id, MCID) → text.
    pub fn mcid_texts(&self) -> HashMap<(ObjectId, i64), String> {
        let mut texts = HashMap::new();
        for (p, id) in self.pages.iter().enumerate() {
            for run in self.runs(p) {
                if let Mark::Mcid(m) = run.mark {
                    texts.insert((*id, m), run.text);
                }
            }
        }
        texts
    }

    /// The text of an element, through its marked content.
    pub fn text_of(&self, e: &Elem, texts: &HashMap<(ObjectId, i64), String>) -> String {
        let mut mcs = Vec::new();
        e.mcs(&mut mcs);
        mcs.iter().map(|k| texts[k].as_str()).collect()
    }

    /// The 0-based index of a page object.
    fn page_no(&self, id: ObjectId) -> usize {
        self.pages.iter().position(|p| *p == id).unwrap()
    }
}

/// Checks what makes a tagged PDF well formed: every page has its /StructParents, the
/// parent tree has an array for each, every MCID of a page is marked once in its content
/// and the array names the element that holds it, no content is left unmarked, and every
/// element's marked content exists.
pub fn assert_well_formed(pdf: &Path) -> Tagged {
    let t = read(pdf);
    let catalog = t.doc.catalog().unwrap();
    let root_id = catalog
        .get(b"StructTreeRoot")
        .unwrap()
        .as_reference()
        .unwrap();
    let root = t.doc.get_dictionary(root_id).unwrap();
    let tree = deref(&t.doc, root.get(b"ParentTree").unwrap())
        .as_dict()
        .unwrap();
    let nums = tree.get(b"Nums").unwrap().as_array().unwrap();
    let mut parent_tree: BTreeMap<i64, Vec<ObjectId>> = BTreeMap::new();
    for pair in nums.chunks(2) {
        let arr = deref(&t.doc, &pair[1]).as_array().unwrap();
        parent_tree.insert(
            pair[0].as_i64().unwrap(),
            arr.iter().map(|o| o.as_reference().unwrap()).collect(),
        );
    }
    assert_eq!(
        root.get(b"ParentTreeNextKey").unwrap().as_i64().unwrap(),
        t.pages.len() as i64
    );
    // Which element holds each (page, MCID), from the tree.
    let mut holder: HashMap<(ObjectId, i64), ObjectId> = HashMap::new();
    for e in t.root.all() {
        for k in &e.kids {
            if let Kid::Mc(p, m) = k {
                assert!(
                    holder.insert((*p, *m), e.id).is_none(),
                    "MCID {m} of page {p:?} is in two elements"
                );
            }
        }
    }
    let mut keys = Vec::new();
    for (n, page) in t.pages.iter().enumerate() {
        let key = t
            .doc
            .get_dictionary(*page)
            .unwrap()
            .get(b"StructParents")
            .unwrap_or_else(|_| panic!("{}: page {} has no /StructParents", pdf.display(), n + 1))
            .as_i64()
            .unwrap();
        keys.push(key);
        let array = parent_tree
            .get(&key)
            .unwrap_or_else(|| panic!("page {}: key {key} not in the parent tree", n + 1));
        let mut seen = vec![0; array.len()];
        for run in t.runs(n) {
            match run.mark {
                Mark::Mcid(m) => {
                    let slot = seen
                        .get_mut(m as usize)
                        .unwrap_or_else(|| panic!("page {}: MCID {m} past its array", n + 1));
                    *slot += 1;
                    assert_eq!(
                        holder.get(&(*page, m)),
                        Some(&array[m as usize]),
                        "page {}: MCID {m} is held by the element the parent tree names",
                        n + 1
                    );
                }
                Mark::Artifact(_) => {}
                Mark::None => panic!("page {}: content left unmarked: {run:?}", n + 1),
            }
        }
        assert!(
            seen.iter().all(|s| *s == 1),
            "page {}: every MCID marked exactly once: {seen:?}",
            n + 1
        );
    }
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), t.pages.len(), "one parent tree key a page");
    // Every marked-content reference of the tree is on a page of the document.
    for (page, _) in holder.keys() {
        assert!(t.pages.contains(page));
    }
    t
}

/// The Markdown's headings: level and text (without an `{#id}`).
fn md_headings(md: &str) -> Vec<(usize, String)> {
    md.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            let level = l.chars().take_while(|c| *c == '#').count();
            let text = l[level..].trim();
            let text = match text.rfind(" {#") {
                Some(i) if text.ends_with('}') => &text[..i],
                _ => text,
            };
            (level, text.to_string())
        })
        .collect()
}

/// How many tables the Markdown holds: one delimiter row each.
fn md_tables(md: &str) -> usize {
    md.lines()
        .filter(|l| {
            let l = l.trim();
            l.starts_with('|') && l.contains('-') && l.chars().all(|c| "|:- ".contains(c))
        })
        .count()
}

fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '\\')
        .collect()
}

#[test]
fn the_gap_report_is_tagged_with_its_tables_headings_and_charts_as_the_markdown_has_them() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "md,pdf"]);
    let md = std::fs::read_to_string(out.join("gap-report.md")).unwrap();
    let t = assert_well_formed(&out.join("gap-report.pdf"));
    let all = t.root.all();
    let texts = t.mcid_texts();

    // One Table element per Markdown table: TH cells (scope column) in its first row,
    // TD cells in the others.
    let tables: Vec<&&Elem> = all.iter().filter(|e| e.s == "Table").collect();
    assert!(md_tables(&md) > 0);
    assert_eq!(tables.len(), md_tables(&md), "Table elements");
    for table in &tables {
        let rows: Vec<&Elem> = table.elems().collect();
        assert!(rows.len() >= 2, "a header row and a body row");
        assert!(rows.iter().all(|r| r.s == "TR"));
        let head: Vec<&Elem> = rows[0].elems().collect();
        assert!(!head.is_empty());
        for th in &head {
            assert_eq!(th.s, "TH");
            let a = th.attrs.as_ref().expect("TH has /A");
            assert_eq!(name_of(a.get(b"O").unwrap()), "Table");
            assert_eq!(name_of(a.get(b"Scope").unwrap()), "Column");
            assert!(!t.text_of(th, &texts).is_empty(), "a header cell has text");
        }
        for row in &rows[1..] {
            let cells: Vec<&Elem> = row.elems().collect();
            assert_eq!(cells.len(), head.len(), "every row has every column");
            assert!(cells.iter().all(|c| c.s == "TD"));
        }
    }

    // Headings H1, H2… in the Markdown's order, with its text.
    let headings: Vec<(usize, String)> = all
        .iter()
        .filter_map(|e| {
            let level = e.s.strip_prefix('H')?.parse().ok()?;
            Some((level, squeeze(&t.text_of(e, &texts))))
        })
        .collect();
    let expected: Vec<(usize, String)> = md_headings(&md)
        .into_iter()
        .map(|(l, s)| (l, squeeze(&s)))
        .collect();
    assert!(expected.len() > 3);
    assert_eq!(headings, expected);

    // The blocks in reading order: the document's first child is the title.
    let first = t.root.elems().next().unwrap();
    assert_eq!(first.s, "H1");

    // Each chart is a Figure with alternate text naming every bar.
    let figures: Vec<&&Elem> = all.iter().filter(|e| e.s == "Figure").collect();
    assert_eq!(
        figures.len(),
        md.lines().filter(|l| l.starts_with("![")).count()
    );
    for f in figures {
        let alt = f.alt.as_deref().expect("a figure has /Alt");
        let shown = t.text_of(f, &texts);
        assert!(!shown.is_empty());
        assert!(alt.chars().count() > 10, "{alt}");
    }

    // Lists: L > LI > Lbl + LBody.
    for l in all.iter().filter(|e| e.s == "L") {
        for li in l.elems() {
            assert_eq!(li.s, "LI");
            let parts: Vec<&str> = li.elems().map(|e| e.s.as_str()).collect();
            assert_eq!(parts, ["Lbl", "LBody"]);
        }
    }

    // Poppler reads the same tree, with the text it holds.
    let out = Command::new("pdfinfo")
        .arg("-struct-text")
        .arg(out.join("gap-report.pdf"))
        .output()
        .expect("pdfinfo (poppler-utils) installed");
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("Document"), "{tree}");
    assert!(tree.contains("Table"), "{tree}");
    assert!(squeeze(&tree).contains(&expected[0].1), "{tree}");
}

#[test]
fn every_pdf_of_a_build_is_tagged_and_every_mcid_is_in_the_parent_tree_once() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    for doc in ["gap-report", "evidence-checklist", "owner-tasks"] {
        let pdf = out.join(format!("{doc}.pdf"));
        // The structure goes out in object streams with a cross-reference stream: qpdf
        // (installed by .ci/run) reads every object back.
        let check = Command::new("qpdf")
            .arg("--check")
            .arg(&pdf)
            .output()
            .expect("qpdf installed");
        assert!(
            check.status.success(),
            "{doc}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
        let t = assert_well_formed(&pdf);
        assert!(t.pages.len() > 1, "{doc}");
        // Every page's running header and footer are pagination artifacts.
        for p in 0..t.pages.len() {
            let runs = t.runs(p);
            let furniture: String = runs
                .iter()
                .filter(|r| r.mark == Mark::Artifact(Some("Pagination".into())))
                .map(|r| r.text.as_str())
                .collect();
            assert!(furniture.contains("统计截至"), "{doc} page {}", p + 1);
            let footer = format!("第{}页共{}页", p + 1, t.pages.len());
            assert!(
                squeeze(&furniture).contains(&footer),
                "{doc} page {}",
                p + 1
            );
        }
    }
}

/// The PDF with the tagging's marks taken out (the `/Span` marks of `/ActualText` kept).
fn untagged(pdf: &Path, into: &Path) {
    let mut doc = Document::load(pdf).unwrap();
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    for page in pages {
        let mut content = Content::decode(&doc.get_page_content(page)).unwrap();
        let mut ours: Vec<bool> = Vec::new();
        content.operations.retain(|op| match op.operator.as_str() {
            "BDC" | "BMC" => {
                let tagging = name_of(&op.operands[0]) != "Span";
                ours.push(tagging);
                !tagging
            }
            "EMC" => !ours.pop().unwrap(),
            _ => true,
        });
        doc.change_page_content(page, content.encode().unwrap())
            .unwrap();
    }
    doc.save(into).unwrap();
}

#[test]
fn tagging_leaves_the_extracted_text_unchanged() {
    let (tmp, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    for doc in ["gap-report", "evidence-checklist"] {
        let tagged = out.join(format!("{doc}.pdf"));
        let plain = tmp.path().join(format!("{doc}-untagged.pdf"));
        untagged(&tagged, &plain);
        let text = crate::pdf::text(&tagged, None);
        assert!(text.contains("清溪镇"));
        assert_eq!(text, crate::pdf::text(&plain, None), "{doc}");
    }
}

#[test]
fn a_table_split_over_pages_is_one_element_and_its_repeated_header_an_artifact() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    let t = assert_well_formed(&out.join("evidence-checklist.pdf"));
    let texts = t.mcid_texts();
    let mut split = 0;
    for table in t.root.all().into_iter().filter(|e| e.s == "Table") {
        let rows: Vec<&Elem> = table.elems().collect();
        let pages_of = |e: &Elem| -> Vec<usize> {
            let mut mcs = Vec::new();
            e.mcs(&mut mcs);
            let mut p: Vec<usize> = mcs.iter().map(|(p, _)| t.page_no(*p)).collect();
            p.dedup();
            p
        };
        let head_pages = pages_of(rows[0]);
        assert_eq!(
            head_pages.len(),
            1,
            "the header is tagged where the table starts"
        );
        let body_pages: Vec<usize> = {
            let mut p: Vec<usize> = rows[1..].iter().flat_map(|r| pages_of(r)).collect();
            p.sort_unstable();
            p.dedup();
            p
        };
        if body_pages.len() < 2 {
            continue;
        }
        split += 1;
        let header: String = rows[0]
            .elems()
            .map(|th| squeeze(&t.text_of(th, &texts)))
            .collect();
        for page in body_pages.iter().filter(|p| **p != head_pages[0]) {
            // The repeated header is drawn on the page, as a pagination artifact, before
            // the rows the page continues with.
            let runs = t.runs(*page);
            let first_cell = runs
                .iter()
                .position(|r| matches!(r.mark, Mark::Mcid(_)))
                .unwrap();
            let repeated = runs[..first_cell].iter().any(|r| {
                r.mark == Mark::Artifact(Some("Pagination".into())) && squeeze(&r.text) == header
            });
            assert!(
                repeated,
                "page {}: header {header} repeated as an artifact: {runs:?}",
                page + 1
            );
        }
    }
    assert!(split > 0, "the sample's checklist has a table over pages");
}
