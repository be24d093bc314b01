//! Opening a PDF within a budget of inflated bytes. lopdf inflates a PDF's object streams
//! (`/Type /ObjStm`) and cross-reference streams (`/Type /XRef`) while it loads the file,
//! and keeps the inflated object streams for as long as the document lives: a 1 MB PDF
//! whose object stream inflates to 1 GB took 1.1 GB to check, twice that with two such
//! files checked side by side (issue 18, item 3). Every place dossier opens an evidence
//! PDF (the check, the repair of a broken cross-reference table, the binder) goes through
//! here, so the streams of one PDF inflate to at most [`INFLATE_BUDGET`] together.
//!
//! How, in three steps:
//!
//! 1. **A scan of the raw file**, before lopdf sees it: every object whose dictionary says
//!    `/Type /ObjStm` or `/Type /XRef` is inflated into a counter (64 KB at a time, nothing
//!    kept) through its filters, and the sum stops at the budget. It reads a dictionary as
//!    lopdf does (strings, comments, `#xx` escapes in names), so a bomb is refused before a
//!    byte of it is held.
//! 2. **An encrypted PDF's object streams**, ciphertext until lopdf decrypts them, are
//!    measured after a first load of a copy in which their filters are renamed so that
//!    lopdf decrypts them but cannot inflate them; only when they fit the budget together
//!    is the PDF loaded for real.
//! 3. **lopdf's own limit** (`LoadOptions::max_decompressed_size`) stops any one stream at
//!    the budget, and what lopdf did inflate is counted after loading: a stream the scan
//!    did not find (syntax it reads otherwise than lopdf does) costs at most the budget,
//!    and the PDF is then refused all the same.

use lopdf::{Document, LoadOptions, Object, PdfMetadata, Reader};
use regex::bytes::Regex;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::LazyLock;

/// The most bytes dossier inflates from the object and cross-reference streams of one PDF
/// (docs/limits.md). It is the size up to which a PDF is parsed whole
/// (`inspect::FULL_PARSE_MAX`), so the objects of a compressed PDF never take more to parse
/// than those of an uncompressed one may; a genuine PDF holds a few megabytes of such
/// streams (its page and font dictionaries, its structure tree), while its content and
/// pictures, which may inflate to far more, are never inflated to check or bind it.
pub const INFLATE_BUDGET: u64 = 64 * 1024 * 1024;

/// Why a PDF could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// Its object and cross-reference streams inflate past the budget (in bytes).
    Inflates(u64),
    /// It is encrypted, and the empty user password does not open it.
    Password,
    /// lopdf cannot read it.
    Damaged(lopdf::Error),
    /// The scan found what lopdf would choke on (a cross-reference stream whose fields
    /// would take gigabytes), or more syntax than a PDF of its size can hold.
    Malformed(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Inflates(budget) => write!(
                f,
                "its compressed streams inflate past {}, the most dossier inflates of one PDF (docs/limits.md)",
                megabytes(*budget)
            ),
            OpenError::Password => f.write_str("the PDF needs a password to open"),
            OpenError::Damaged(e) => write!(f, "not a readable PDF: {e}"),
            OpenError::Malformed(what) => write!(f, "not a readable PDF: {what}"),
        }
    }
}

/// "64 MB", or the bytes when the budget is not whole megabytes (tests lower it).
fn megabytes(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

impl From<lopdf::Error> for OpenError {
    fn from(e: lopdf::Error) -> Self {
        match e {
            lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => OpenError::Password,
            e => OpenError::Damaged(e),
        }
    }
}

/// Loads a whole PDF held in memory, inflating at most [`INFLATE_BUDGET`] bytes. An
/// encrypted PDF that the empty user password opens (an owner password only) comes back
/// decrypted, `was_encrypted()` true.
pub fn load(pdf: &[u8]) -> Result<Document, OpenError> {
    load_within(pdf, INFLATE_BUDGET)
}

/// [`load`] with another budget.
pub fn load_within(pdf: &[u8], budget: u64) -> Result<Document, OpenError> {
    let scan = scan(pdf, budget)?;
    if !scan.sealed.is_empty() {
        measure_sealed(pdf, &scan, budget)?;
    }
    let doc = load_limited(pdf, budget)?;
    if doc.is_encrypted() && !doc.was_encrypted() {
        return Err(OpenError::Password);
    }
    if scan.xref.saturating_add(object_streams(&doc)) > budget {
        return Err(OpenError::Inflates(budget));
    }
    Ok(doc)
}

/// Measures the object streams of an encrypted PDF: lopdf loads a copy in which their
/// filters are renamed, so it decrypts them and leaves them compressed; each is then
/// inflated into a counter. `Err(Inflates)` when they pass what the scan left of `budget`.
fn measure_sealed(pdf: &[u8], scan: &Scan, budget: u64) -> Result<(), OpenError> {
    let mut copy = pdf.to_vec();
    for s in &scan.sealed {
        for &(from, to) in &s.names {
            // `/FlateDecode` becomes `/XXXXXXXXXXX`: same length, no offset moves.
            if let Some(name) = copy.get_mut(from + 1..to) {
                name.fill(b'X');
            }
        }
    }
    let probe = load_limited(&copy, budget)?;
    drop(copy);
    if probe.is_encrypted() && !probe.was_encrypted() {
        return Err(OpenError::Password);
    }
    let mut total = scan.inflated;
    for s in &scan.sealed {
        let Some(Object::Stream(stream)) = probe.objects.get(&s.id) else {
            continue;
        };
        let cap = budget.saturating_sub(total).saturating_add(1);
        total = total.saturating_add(measure(&s.filters, &stream.content, cap));
        if total > budget {
            return Err(OpenError::Inflates(budget));
        }
    }
    Ok(())
}

/// Reads a PDF's trailer, page count and Info without loading its objects (for PDFs too
/// large to parse whole), refusing, before anything is read, one whose streams inflate
/// past [`INFLATE_BUDGET`] together. lopdf inflates an object stream each time it takes
/// an object from it and lets it go at once, so no more than one is held at a time.
pub fn metadata(pdf: &[u8]) -> Result<PdfMetadata, OpenError> {
    scan(pdf, INFLATE_BUDGET)?;
    let reader = Reader {
        buffer: pdf,
        document: Document::new(),
        encryption_state: None,
        raw_objects: BTreeMap::new(),
        password: None,
        strict: false,
        max_decompressed_size: Some(to_usize(INFLATE_BUDGET)),
    };
    Ok(reader.read_metadata()?)
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn load_limited(pdf: &[u8], limit: u64) -> Result<Document, OpenError> {
    let options = LoadOptions {
        max_decompressed_size: Some(to_usize(limit)),
        ..LoadOptions::default()
    };
    Ok(Document::load_mem_with_options(pdf, options)?)
}

/// Bytes lopdf holds inflated in the object streams of a loaded document.
fn object_streams(doc: &Document) -> u64 {
    doc.objects
        .values()
        .filter_map(|o| match o {
            Object::Stream(s) if s.dict.has_type(b"ObjStm") && !s.is_compressed() => {
                Some(s.content.len() as u64)
            }
            _ => None,
        })
        .sum()
}

// ---------------------------------------------------------------------------------------
// The scan.

/// What the scan found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Bytes its object and cross-reference streams inflate to, as measured.
    pub inflated: u64,
    /// Of which cross-reference streams (lopdf does not keep them inflated).
    pub xref: u64,
    /// Some trailer names an `/Encrypt` dictionary.
    pub encrypted: bool,
    /// The object streams of an encrypted PDF, ciphertext to the scan.
    pub sealed: Vec<Sealed>,
}

/// An object stream the scan could not measure: its object id, its filters and where the
/// names of those lopdf would inflate with are in the file (from `/` to the name's end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The object's number and generation, to find it among what lopdf decrypted.
    pub id: (u32, u16),
    /// Its filters in decoding order, to inflate it as lopdf would.
    pub filters: Vec<Vec<u8>>,
    /// Where the names of the filters lopdf inflates with are, to rename them in the copy.
    pub names: Vec<(usize, usize)>,
}

/// An object header, `N G obj`, at the start or after a non-digit.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)(?:^|[^0-9])([0-9]{1,10})(?:[\x00\t\n\x0C\r ]|%[^\r\n]*[\r\n])+([0-9]{1,5})(?:[\x00\t\n\x0C\r ]|%[^\r\n]*[\r\n])+obj",
    )
    .expect("valid regex")
});
static TRAILER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)trailer[\x00\t\n\x0C\r ]*<<").expect("valid regex"));

/// The widest field of a cross-reference stream entry that makes sense: eight bytes hold
/// any offset. lopdf reserves a buffer of each declared width, so `/W [1 3000000000 1]` in
/// a 250-byte PDF asked for 3 GB and aborted the run.
const MAX_XREF_FIELD: i64 = 8;

/// Scans a PDF's bytes for the streams lopdf inflates while loading it and measures them
/// against `budget`; `Err(Inflates)` as soon as they pass it together.
///
/// Every object header and every trailer is read, wherever it is (one inside another's
/// data is read too, so none can hide there); as the dictionaries of a real PDF do not
/// overlap, reading them all takes one pass over the file. Reading more than twice the
/// file (nested headers made to be read again and again) refuses it as malformed.
pub fn scan(pdf: &[u8], budget: u64) -> Result<Scan, OpenError> {
    let mut work = Work {
        left: pdf.len().saturating_mul(2).saturating_add(1 << 20),
    };
    let mut out = Scan::default();
    for m in TRAILER.find_iter(pdf) {
        let mut lx = Lexer::at(pdf, m.end() - 2);
        let dict = work.dict(&mut lx)?;
        out.encrypted |= dict.is_some_and(|d| d.encrypt);
    }
    // (is a cross-reference stream, id, dictionary, data)
    let mut streams = Vec::new();
    for c in HEADER.captures_iter(pdf) {
        let (Some(num), Some(gen_), Some(all)) = (c.get(1), c.get(2), c.get(0)) else {
            continue;
        };
        let number = |m: regex::bytes::Match<'_>| {
            std::str::from_utf8(m.as_bytes())
                .ok()
                .and_then(|t| t.parse::<u64>().ok())
        };
        let id = match (number(num), number(gen_)) {
            (Some(n), Some(g)) => (
                u32::try_from(n).unwrap_or(u32::MAX),
                u16::try_from(g).unwrap_or(u16::MAX),
            ),
            _ => continue,
        };
        let mut lx = Lexer::at(pdf, all.end());
        lx.skip_space();
        if !lx.rest().starts_with(b"<<") {
            continue;
        }
        let Some(dict) = work.dict(&mut lx)? else {
            continue;
        };
        let kind = dict.kind.as_deref();
        if kind == Some(b"XRef".as_slice())
            && let Some(w) = dict
                .widths
                .iter()
                .find(|w| !(0..=MAX_XREF_FIELD).contains(*w))
        {
            return Err(OpenError::Malformed(format!(
                "a cross-reference stream declares entry fields of {w} bytes"
            )));
        }
        lx.skip_space();
        if !lx.keyword(b"stream") {
            continue;
        }
        while matches!(lx.peek(), Some(b' ' | b'\t')) {
            lx.i += 1;
        }
        if lx.rest().starts_with(b"\r\n") {
            lx.i += 2;
        } else if matches!(lx.peek(), Some(b'\n' | b'\r')) {
            lx.i += 1;
        }
        let start = lx.i.min(pdf.len());
        let end = match dict.length {
            Some(n) => start.saturating_add(n).min(pdf.len()),
            None => pdf.len(),
        };
        match kind {
            Some(b"XRef") => {
                out.encrypted |= dict.encrypt;
                streams.push((true, id, dict, start, end));
            }
            Some(b"ObjStm") => streams.push((false, id, dict, start, end)),
            _ => {}
        }
    }
    for (xref, id, dict, start, end) in streams {
        if !xref && out.encrypted {
            // Ciphertext: measured once lopdf has decrypted it (`measure_sealed`).
            let names = dict
                .filters
                .iter()
                .zip(&dict.spans)
                .filter(|(f, _)| INFLATING.contains(&f.as_slice()))
                .map(|(_, span)| *span)
                .collect();
            out.sealed.push(Sealed {
                id,
                filters: dict.filters,
                names,
            });
            continue;
        }
        let cap = budget.saturating_sub(out.inflated).saturating_add(1);
        let n = measure(&dict.filters, &pdf[start..end], cap);
        out.inflated = out.inflated.saturating_add(n);
        if xref {
            out.xref = out.xref.saturating_add(n);
        }
        if out.inflated > budget {
            return Err(OpenError::Inflates(budget));
        }
    }
    Ok(out)
}

/// The filters lopdf decodes; any other makes it leave a stream as it is.
const INFLATING: [&[u8]; 3] = [b"FlateDecode", b"LZWDecode", b"ASCII85Decode"];

/// Bytes `data` inflates to through `filters` (in decoding order), counted up to `cap`.
/// A single FlateDecode, as good as every such stream is, is inflated 64 KB at a time into
/// a counter; any other chain through lopdf's own decoders, bounded by `cap`. What lopdf
/// would not decode (an unknown filter) inflates to nothing.
fn measure(filters: &[Vec<u8>], data: &[u8], cap: u64) -> u64 {
    match filters {
        [] => 0,
        [one] if one == b"FlateDecode" => {
            // As lopdf: a zlib stream, or failing that at once a raw deflate one.
            let (n, failed) = count(flate2::read::ZlibDecoder::new(data), cap);
            if failed && n == 0 && data.len() > 2 {
                count(flate2::read::DeflateDecoder::new(&data[2..]), cap).0
            } else {
                n
            }
        }
        chain => {
            let mut d = lopdf::Dictionary::new();
            let names = chain.iter().map(|f| Object::Name(f.clone())).collect();
            d.set("Filter", Object::Array(names));
            let s = lopdf::Stream::new(d, data.to_vec());
            match s.decompressed_content_with_limit(to_usize(cap.saturating_sub(1))) {
                Ok(v) => v.len() as u64,
                Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                    ..
                })) => cap,
                Err(_) => 0,
            }
        }
    }
}

/// Reads `r` to its end, an error or `cap` bytes, keeping none; returns the count and
/// whether it ended in an error.
fn count(mut r: impl Read, cap: u64) -> (u64, bool) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    while n < cap {
        match r.read(&mut buf) {
            Ok(0) => return (n, false),
            Ok(k) => n = n.saturating_add(k as u64),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return (n, true),
        }
    }
    (n, false)
}

/// The entries of a dictionary the scan needs.
#[derive(Debug, Default)]
struct DictInfo {
    /// `/Type`, a name.
    kind: Option<Vec<u8>>,
    /// `/Filter`, a name or an array of names.
    filters: Vec<Vec<u8>>,
    /// Where each of those names is in the file.
    spans: Vec<(usize, usize)>,
    /// `/Length`, when a direct integer.
    length: Option<usize>,
    /// `/Encrypt` is there.
    encrypt: bool,
    /// `/W`, the integers of a direct array.
    widths: Vec<i64>,
}

/// What is left of the bytes the scan may read in dictionaries.
struct Work {
    left: usize,
}

impl Work {
    /// Reads the dictionary at the lexer, charging what it reads.
    fn dict(&mut self, lx: &mut Lexer<'_>) -> Result<Option<DictInfo>, OpenError> {
        let from = lx.i;
        let dict = lx.dict();
        let read = lx.i.saturating_sub(from);
        self.left = self.left.checked_sub(read).ok_or_else(|| {
            OpenError::Malformed("its objects are nested past what its size can hold".into())
        })?;
        Ok(dict)
    }
}

/// A value as far as the scan cares.
enum Value {
    /// A name and where it is, from its `/` to its end.
    Name(Vec<u8>, (usize, usize)),
    Int(i64),
    Array(Vec<Value>),
    Other,
}

/// The PDF tokens of a dictionary, read as lopdf's parser reads them.
struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
}

/// Nesting past this is refused by lopdf too (`reader::MAX_NESTING_DEPTH`).
const MAX_NESTING: usize = 100;

fn is_space(c: u8) -> bool {
    b" \t\n\r\0\x0C".contains(&c)
}

fn is_delimiter(c: u8) -> bool {
    b"()<>[]{}/%".contains(&c)
}

fn is_regular(c: u8) -> bool {
    !is_space(c) && !is_delimiter(c)
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

impl<'a> Lexer<'a> {
    fn at(b: &'a [u8], i: usize) -> Self {
        Lexer { b, i }
    }

    fn rest(&self) -> &'a [u8] {
        self.b.get(self.i..).unwrap_or(&[])
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips white space and comments.
    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if is_space(c) {
                self.i += 1;
            } else if c == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.i += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Takes `word` when it is the next token.
    fn keyword(&mut self, word: &[u8]) -> bool {
        let rest = self.rest();
        if rest.starts_with(word) && rest.get(word.len()).is_none_or(|c| !is_regular(*c)) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// A dictionary at `<<`, its entries of interest.
    fn dict(&mut self) -> Option<DictInfo> {
        let mut info = DictInfo::default();
        self.i += 2;
        loop {
            self.skip_space();
            if self.rest().starts_with(b">>") {
                self.i += 2;
                return Some(info);
            }
            if self.peek()? != b'/' {
                return None;
            }
            let key = self.name();
            self.skip_space();
            let value = self.value(1)?;
            match (key.as_slice(), value) {
                (b"Type", Value::Name(n, _)) => info.kind = Some(n),
                (b"Filter", Value::Name(n, span)) => {
                    info.filters = vec![n];
                    info.spans = vec![span];
                }
                (b"Filter", Value::Array(items)) => {
                    (info.filters, info.spans) = items
                        .into_iter()
                        .filter_map(|v| match v {
                            Value::Name(n, span) => Some((n, span)),
                            _ => None,
                        })
                        .unzip();
                }
                (b"W", Value::Array(items)) => {
                    info.widths = items
                        .into_iter()
                        .take(3)
                        .filter_map(|v| match v {
                            Value::Int(n) => Some(n),
                            _ => None,
                        })
                        .collect();
                }
                (b"Length", Value::Int(n)) => info.length = usize::try_from(n).ok(),
                (b"Length", _) => info.length = None,
                (b"Encrypt", _) => info.encrypt = true,
                _ => {}
            }
        }
    }

    /// A name at `/`, `#xx` escapes decoded.
    fn name(&mut self) -> Vec<u8> {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'#'
                && let (Some(h), Some(l)) = (
                    self.b.get(self.i + 1).copied().and_then(hex),
                    self.b.get(self.i + 2).copied().and_then(hex),
                )
            {
                out.push(h * 16 + l);
                self.i += 3;
            } else if c != b'#' && is_regular(c) {
                out.push(c);
                self.i += 1;
            } else {
                break;
            }
        }
        out
    }

    /// One value; `None` when it does not read (the dictionary is then no stream's).
    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_NESTING {
            return None;
        }
        let c = self.peek()?;
        match c {
            b'/' => {
                let from = self.i;
                let name = self.name();
                Some(Value::Name(name, (from, self.i)))
            }
            b'<' if self.rest().starts_with(b"<<") => {
                // A nested dictionary: only its extent matters.
                self.i += 2;
                loop {
                    self.skip_space();
                    if self.rest().starts_with(b">>") {
                        self.i += 2;
                        return Some(Value::Other);
                    }
                    self.value(depth + 1)?;
                }
            }
            b'<' => {
                let end = self.rest().iter().position(|&c| c == b'>')?;
                self.i += end + 1;
                Some(Value::Other)
            }
            b'(' => {
                self.literal()?;
                Some(Value::Other)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if self.peek()? == b']' {
                        self.i += 1;
                        return Some(Value::Array(items));
                    }
                    let v = self.value(depth + 1)?;
                    if items.len() < 32 {
                        items.push(v);
                    }
                }
            }
            c if is_regular(c) => {
                let start = self.i;
                while self.peek().is_some_and(is_regular) {
                    self.i += 1;
                }
                let token = &self.b[start..self.i];
                let Some(n) = std::str::from_utf8(token)
                    .ok()
                    .and_then(|t| t.parse::<i64>().ok())
                else {
                    return Some(Value::Other);
                };
                // `N G R`, a reference, is not the integer N.
                let save = self.i;
                self.skip_space();
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.i += 1;
                    }
                    self.skip_space();
                    if self.keyword(b"R") {
                        return Some(Value::Other);
                    }
                }
                self.i = save;
                Some(Value::Int(n))
            }
            _ => {
                // `{`, `}`, a stray `)` or `>`: lopdf would not read on.
                None
            }
        }
    }

    /// A literal string at `(`: nested parentheses balance, a backslash escapes.
    fn literal(&mut self) -> Option<()> {
        self.i += 1;
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// A one-page PDF for tests whose object 4 is an object stream holding a dictionary
/// followed by `pad` spaces, deflated; `dict` is written before the stream's own keys.
#[cfg(test)]
pub(crate) fn objstm_pdf(pad: usize, dict: &str) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(b"5 0 << /Kept true >>").unwrap();
    let chunk = vec![b' '; 1 << 20];
    let mut left = pad;
    while left > 0 {
        let k = left.min(chunk.len());
        z.write_all(&chunk[..k]).unwrap();
        left -= k;
    }
    let data = z.finish().unwrap();
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    let objects: [Vec<u8>; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_vec(),
        {
            let mut o = format!(
                "<< {dict} /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
                data.len()
            )
            .into_bytes();
            o.extend_from_slice(&data);
            o.extend_from_slice(b"\nendstream");
            o
        },
    ];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn an_object_stream_within_the_budget_loads_and_is_counted() {
        let pdf = objstm_pdf(1000, "");
        let scan = scan(&pdf, 1 << 20).unwrap();
        assert_eq!(scan.inflated, 1020);
        assert_eq!((scan.xref, scan.encrypted), (0, false));
        assert!(scan.sealed.is_empty());
        let doc = load_within(&pdf, 1 << 20).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
        assert!(doc.get_object((5, 0)).is_ok(), "the object in the stream");
    }

    #[test]
    fn an_object_stream_past_the_budget_is_refused_before_lopdf_reads_it() {
        let pdf = objstm_pdf(3 << 20, "");
        assert!(pdf.len() < 20_000, "{}", pdf.len());
        let e = load_within(&pdf, 1 << 20).unwrap_err();
        assert!(matches!(e, OpenError::Inflates(b) if b == 1 << 20), "{e:?}");
        assert_eq!(
            e.to_string(),
            "its compressed streams inflate past 1 MB, the most dossier inflates of one PDF (docs/limits.md)"
        );
    }

    /// The scan reads the dictionary as lopdf does: a `#xx` escape in the type's name, a
    /// `stream` keyword inside a string and a comment do not hide the object stream.
    #[test]
    fn escaped_names_strings_and_comments_do_not_hide_an_object_stream() {
        let pdf = objstm_pdf(3 << 20, "/Note (a >> stream\n in a string) % stream >>\n");
        assert!(matches!(scan(&pdf, 1 << 20), Err(OpenError::Inflates(_))));
        let mut pdf = objstm_pdf(3 << 20, "");
        let at = pdf.windows(13).position(|w| w == b"/Type /ObjStm").unwrap();
        pdf.splice(at..at + 13, b"/Type /Obj#53tm".iter().copied());
        assert!(matches!(scan(&pdf, 1 << 20), Err(OpenError::Inflates(_))));
    }

    /// Two object streams each under the budget but past it together are refused: the
    /// budget is per PDF, not per stream.
    #[test]
    fn the_budget_is_for_all_streams_of_a_pdf_together() {
        let one = objstm_pdf(600_000, "");
        // A copy of object 4 as object 6, appended with its own table.
        let text = one.clone();
        let start = text.windows(8).position(|w| w == b"4 0 obj\n").unwrap();
        let end = text.windows(7).rposition(|w| w == b"endobj\n").unwrap() + 7;
        let mut obj = b"6".to_vec();
        obj.extend_from_slice(&text[start + 1..end]);
        let mut pdf = one[..one.windows(4).rposition(|w| w == b"xref").unwrap()].to_vec();
        pdf.extend_from_slice(&obj);
        assert!(scan(&one, 1 << 20).is_ok());
        assert!(matches!(scan(&pdf, 1 << 20), Err(OpenError::Inflates(_))));
    }

    /// A 250-byte PDF whose cross-reference stream declares a 3 GB field: lopdf would
    /// reserve it and abort the run (issue 18, item 3).
    #[test]
    fn a_cross_reference_stream_with_gigabyte_fields_is_refused_before_lopdf_reads_it() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&[0; 20]).unwrap();
        let data = z.finish().unwrap();
        let mut pdf = b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
        pdf.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n");
        let at = pdf.len();
        pdf.extend_from_slice(
            format!(
                "3 0 obj\n<< /Type /XRef /Size 4 /W [1 3000000000 1] /Root 1 0 R /Filter /FlateDecode /Length {} >>\nstream\n",
                data.len()
            )
            .as_bytes(),
        );
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
        let e = load(&pdf).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not a readable PDF: a cross-reference stream declares entry fields of 3000000000 bytes"
        );
    }

    /// Headers nested in each other's strings would make the scan read the file once per
    /// header: it stops at twice the file and refuses it.
    #[test]
    fn headers_nested_to_be_read_again_and_again_are_refused_in_linear_time() {
        let pdf = b"1 0 obj << /A (".repeat(20_000);
        let start = std::time::Instant::now();
        let e = scan(&pdf, INFLATE_BUDGET).unwrap_err();
        assert!(matches!(e, OpenError::Malformed(_)), "{e:?}");
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn megabytes_are_named_as_such() {
        assert_eq!(megabytes(INFLATE_BUDGET), "64 MB");
        assert_eq!(megabytes(1000), "1000 bytes");
    }
}
