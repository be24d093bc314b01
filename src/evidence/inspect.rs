//! What each evidence file is and whether an inspector could open it: its kind by
//! extension, the per-kind checks of the contract (PDF parse, pages and encryption;
//! image headers and EXIF dates; OOXML/ODF/OFD zips and their created dates; OLE2
//! signatures), its date and its SHA-256. Files are streamed; none is held whole in
//! memory except a PDF while it is parsed, which inflates at most
//! [`super::pdf_budget::INFLATE_BUDGET`] of its streams.

use super::dates::{date_in_name, iso_date, pdf_date};
use crate::hash::sha256_file;
use chrono::NaiveDate;
use serde::Serialize;
use std::io::{BufReader, Read};
use std::path::Path;

/// The kinds of file the contract tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Pdf,
    Image,
    Office,
    Ofd,
    Video,
    Archive,
    Other,
}

impl Kind {
    /// The kind an extension names (compared case-insensitively).
    pub fn of(name: &str) -> Kind {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "pdf" => Kind::Pdf,
            "jpg" | "jpeg" | "png" | "tif" | "tiff" | "bmp" | "heic" => Kind::Image,
            "doc" | "docx" | "xls" | "xlsx" | "ppt" | "pptx" | "wps" | "et" | "dps" | "odt"
            | "ods" => Kind::Office,
            "ofd" => Kind::Ofd,
            "mp4" | "mov" | "avi" => Kind::Video,
            "zip" | "rar" | "7z" => Kind::Archive,
            _ => Kind::Other,
        }
    }

    /// The key used in `report.json` and the label files.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Image => "image",
            Kind::Office => "office",
            Kind::Ofd => "ofd",
            Kind::Video => "video",
            Kind::Archive => "archive",
            Kind::Other => "other",
        }
    }
}

/// Where a file's date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    Name,
    Pdf,
    Exif,
    Office,
}

/// A problem of the file itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Problem {
    #[serde(rename = "evidence_empty")]
    Empty,
    #[serde(rename = "evidence_unreadable")]
    Unreadable,
    #[serde(rename = "evidence_encrypted")]
    Encrypted,
    #[serde(rename = "evidence_stale")]
    Stale,
}

impl Problem {
    /// True for the problems that keep a file from backing its item (a stale file still
    /// counts; it only draws its warning).
    pub fn spoils(self) -> bool {
        matches!(
            self,
            Problem::Empty | Problem::Unreadable | Problem::Encrypted
        )
    }

    /// The diagnostic code, as in `report.json`.
    pub fn code(self) -> &'static str {
        match self {
            Problem::Empty => "evidence_empty",
            Problem::Unreadable => "evidence_unreadable",
            Problem::Encrypted => "evidence_encrypted",
            Problem::Stale => "evidence_stale",
        }
    }
}

/// What was learnt about one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub kind: Kind,
    pub bytes: u64,
    /// Null when the file could not be read.
    pub sha256: Option<String>,
    pub pages: Option<u32>,
    pub date: Option<(NaiveDate, DateSource)>,
    /// Empty, unreadable or encrypted (staleness is judged later, against the period).
    pub problems: Vec<Problem>,
    /// Why the file is unreadable or encrypted, in English, for the diagnostic.
    pub reason: Option<String>,
}

impl Inspection {
    /// A good file backs an item: non-empty, readable and not encrypted.
    pub fn is_good(&self) -> bool {
        !self.problems.iter().any(|p| p.spoils())
    }
}

/// The outcome of a content check.
enum Verdict {
    Good {
        pages: Option<u32>,
        date: Option<(NaiveDate, DateSource)>,
    },
    Unreadable(String),
    Encrypted(String),
}

/// Inspects one file: kind, checks, date and hash. `name` is the file's own name.
pub fn inspect(path: &Path, name: &str, bytes: u64) -> Inspection {
    let kind = Kind::of(name);
    let name_date = date_in_name(name).map(|d| (d, DateSource::Name));
    let mut out = Inspection {
        kind,
        bytes,
        sha256: None,
        pages: None,
        date: name_date,
        problems: Vec::new(),
        reason: None,
    };
    match sha256_file(path) {
        Ok((n, hash)) => {
            out.bytes = n;
            out.sha256 = Some(hash);
        }
        Err(e) => {
            out.problems.push(Problem::Unreadable);
            out.reason = Some(format!("cannot read the file: {e}"));
            return out;
        }
    }
    if out.bytes == 0 {
        out.problems.push(Problem::Empty);
        return out;
    }
    // A parser that panics on a hostile file must not take the run down with it.
    let verdict = std::panic::catch_unwind(|| check(path, kind, name))
        .unwrap_or_else(|_| Verdict::Unreadable("the parser failed on this file".into()));
    match verdict {
        Verdict::Good { pages, date } => {
            out.pages = pages;
            if out.date.is_none() {
                out.date = date;
            }
        }
        Verdict::Unreadable(reason) => {
            out.problems.push(Problem::Unreadable);
            out.reason = Some(reason);
        }
        Verdict::Encrypted(reason) => {
            out.problems.push(Problem::Encrypted);
            out.reason = Some(reason);
        }
    }
    out
}

fn check(path: &Path, kind: Kind, name: &str) -> Verdict {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match kind {
        Kind::Pdf => check_pdf(path),
        Kind::Image => check_image(path, &ext),
        Kind::Office => check_office(path),
        Kind::Ofd => match check_zip(path) {
            Ok(_) => Verdict::Good {
                pages: None,
                date: None,
            },
            Err(e) => Verdict::Unreadable(e),
        },
        Kind::Video | Kind::Archive | Kind::Other => Verdict::Good {
            pages: None,
            date: None,
        },
    }
}

/// PDFs larger than this are checked from their cross-reference table, trailer, page tree
/// and Info only (lopdf's metadata reader over a memory map), so a 2 GB scan does not cost
/// 2 GB of memory; smaller ones are parsed whole.
const FULL_PARSE_MAX: u64 = 64 * 1024 * 1024;

fn check_pdf(path: &Path) -> Verdict {
    use super::pdf_budget::{self, OpenError};
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return Verdict::Unreadable(e.to_string()),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > FULL_PARSE_MAX {
        // SAFETY: the map is read-only and lives only for this call; a file changed by
        // another process meanwhile can at worst make the parse fail, which is reported.
        let map = match unsafe { memmap2::Mmap::map(&file) } {
            Ok(m) => m,
            Err(e) => return Verdict::Unreadable(e.to_string()),
        };
        return match pdf_budget::metadata(&map) {
            Ok(meta) if meta.encrypted && meta.page_count == 0 => {
                Verdict::Encrypted(OpenError::Password.to_string())
            }
            Ok(meta) if meta.page_count == 0 => Verdict::Unreadable("the PDF has no pages".into()),
            Ok(meta) => Verdict::Good {
                pages: Some(meta.page_count),
                date: meta
                    .creation_date
                    .as_deref()
                    .and_then(pdf_date)
                    .map(|d| (d, DateSource::Pdf)),
            },
            Err(e) => pdf_error(e),
        };
    }
    let mut bytes = Vec::new();
    if let Err(e) = file.take(FULL_PARSE_MAX + 1).read_to_end(&mut bytes) {
        return Verdict::Unreadable(e.to_string());
    }
    let first = match pdf_budget::load(&bytes) {
        Ok(doc) => pdf_verdict(&doc),
        Err(e @ OpenError::Damaged(_)) => pdf_error(e),
        // Rebuilding the cross-reference table changes none of these.
        Err(e) => return pdf_error(e),
    };
    if !matches!(first, Verdict::Unreadable(_)) {
        return first;
    }
    // A damaged cross-reference table that rebuilding from the objects repairs still
    // parses, as it does in every PDF reader.
    let repaired = super::pdf_repair::with_rebuilt_xref(&bytes);
    drop(bytes);
    match repaired.map(|b| pdf_budget::load(&b)) {
        Some(Ok(doc)) => match pdf_verdict(&doc) {
            v @ Verdict::Good { .. } => v,
            _ => first,
        },
        Some(Err(e @ OpenError::Password)) => pdf_error(e),
        _ => first,
    }
}

/// The verdict on a PDF that could not be opened.
fn pdf_error(e: super::pdf_budget::OpenError) -> Verdict {
    match e {
        super::pdf_budget::OpenError::Password => Verdict::Encrypted(e.to_string()),
        e => Verdict::Unreadable(e.to_string()),
    }
}

/// What a load of the whole PDF says of it.
fn pdf_verdict(doc: &lopdf::Document) -> Verdict {
    let pages = u32::try_from(doc.get_pages().len()).ok();
    let date = doc
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|info| match info {
            lopdf::Object::Reference(id) => doc.get_dictionary(*id).ok(),
            lopdf::Object::Dictionary(d) => Some(d),
            _ => None,
        })
        .and_then(|info| info.get(b"CreationDate").ok())
        .and_then(|v| v.as_str().ok())
        .and_then(|raw| pdf_date(&String::from_utf8_lossy(raw)))
        .map(|d| (d, DateSource::Pdf));
    if pages == Some(0) {
        return Verdict::Unreadable("the PDF has no pages".into());
    }
    Verdict::Good { pages, date }
}

fn read_head(path: &Path, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    std::fs::File::open(path)?
        .take(n as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// The most pixels one byte of a JPEG or PNG can hold: deflate makes at most 1032 bytes of
/// one, and a 1-bit image packs 8 pixels in a byte (a JPEG holds fewer still: it spends at
/// least a bit on every 8×8 block). A header claiming more lies about the size, as a
/// 693-byte JPEG claiming 65500×65500 pixels does, which a viewer would try to allocate
/// 12 GB for (issue 18, item 3). TIFF and BMP are not held to it: a fax page in CCITT G4
/// or a BMP in RLE may be smaller still.
const MAX_PIXELS_PER_BYTE: u64 = 8 * 1032;

fn check_image(path: &Path, ext: &str) -> Verdict {
    let good = |date| Verdict::Good { pages: None, date };
    if ext == "heic" {
        return match read_head(path, 32) {
            Ok(h) if h.len() >= 12 && &h[4..8] == b"ftyp" => {
                let brand = &h[8..12];
                if [
                    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
                ]
                .iter()
                .any(|b| brand == *b)
                {
                    good(None)
                } else {
                    Verdict::Unreadable("not a HEIC image (unknown ftyp brand)".into())
                }
            }
            Ok(_) => Verdict::Unreadable("not a HEIC image".into()),
            Err(e) => Verdict::Unreadable(e.to_string()),
        };
    }
    let reader = match image::ImageReader::open(path).and_then(|r| r.with_guessed_format()) {
        Ok(r) => r,
        Err(e) => return Verdict::Unreadable(e.to_string()),
    };
    if reader.format().is_none() {
        return Verdict::Unreadable("not an image: no known image signature".into());
    }
    let format = reader.format();
    match reader.into_dimensions() {
        Ok((w, h)) if w > 0 && h > 0 => {
            let packed = matches!(
                format,
                Some(image::ImageFormat::Jpeg | image::ImageFormat::Png)
            );
            let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX);
            if packed && u64::from(w) * u64::from(h) > bytes.saturating_mul(MAX_PIXELS_PER_BYTE) {
                return Verdict::Unreadable(format!(
                    "the image claims {w}×{h} pixels, more than its {bytes} bytes can hold"
                ));
            }
        }
        Ok(_) => return Verdict::Unreadable("the image has no pixels".into()),
        Err(e) => return Verdict::Unreadable(format!("the image header does not read: {e}")),
    }
    let date = matches!(ext, "jpg" | "jpeg" | "tif" | "tiff")
        .then(|| exif_date(path))
        .flatten()
        .map(|d| (d, DateSource::Exif));
    good(date)
}

fn exif_date(path: &Path) -> Option<NaiveDate> {
    let file = std::fs::File::open(path).ok()?;
    let exif = exif::Reader::new()
        .read_from_container(&mut BufReader::new(file))
        .ok()?;
    let field = exif.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)?;
    match &field.value {
        exif::Value::Ascii(v) => v
            .first()
            .and_then(|s| iso_date(&String::from_utf8_lossy(s))),
        _ => None,
    }
}

const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn check_office(path: &Path) -> Verdict {
    let head = match read_head(path, 8) {
        Ok(h) => h,
        Err(e) => return Verdict::Unreadable(e.to_string()),
    };
    if head == OLE2 {
        return match contains_utf16(path, "EncryptedPackage") {
            Ok(true) => Verdict::Encrypted("the Office file is password-protected".into()),
            Ok(false) => Verdict::Good {
                pages: None,
                date: None,
            },
            Err(e) => Verdict::Unreadable(e.to_string()),
        };
    }
    if head.starts_with(b"PK") {
        return match check_zip(path) {
            Ok(date) => Verdict::Good {
                pages: None,
                date: date.map(|d| (d, DateSource::Office)),
            },
            Err(e) => Verdict::Unreadable(e),
        };
    }
    Verdict::Unreadable("neither an OLE2 nor a zip-based Office file".into())
}

/// Streams the file looking for a UTF-16LE name (an OLE2 directory entry).
fn contains_utf16(path: &Path, needle: &str) -> std::io::Result<bool> {
    let pattern: Vec<u8> = needle
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(false);
        }
        carry.extend_from_slice(&buf[..n]);
        if carry
            .windows(pattern.len())
            .any(|w| w == pattern.as_slice())
        {
            return Ok(true);
        }
        let keep = carry.len().saturating_sub(pattern.len());
        carry.drain(..keep);
    }
}

/// Checks a zip-based file: the central directory reads and every entry's CRC checks.
/// Returns the created date of OOXML core properties or ODF meta, when there is one.
fn check_zip(path: &Path) -> Result<Option<NaiveDate>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| format!("not a readable zip: {e}"))?;
    let mut date = None;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| format!("a zip entry does not read: {e}"))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let wanted = name == "docProps/core.xml" || name == "meta.xml";
        if wanted && entry.size() < 1024 * 1024 {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| format!("{name}: {e}"))?;
            date = date.or_else(|| created_date(&text));
        } else {
            std::io::copy(&mut entry, &mut std::io::sink()).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(date)
}

/// The `dcterms:created` (OOXML) or `meta:creation-date` (ODF) date in a properties part.
fn created_date(xml: &str) -> Option<NaiveDate> {
    for tag in ["dcterms:created", "meta:creation-date"] {
        if let Some(start) = xml.find(&format!("<{tag}")) {
            let rest = &xml[start..];
            let open_end = rest.find('>')?;
            let body = &rest[open_end + 1..];
            let close = body.find('<').unwrap_or(body.len());
            return iso_date(body[..close].trim());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_extension_any_case() {
        assert_eq!(Kind::of("a.PDF"), Kind::Pdf);
        assert_eq!(Kind::of("a.Jpeg"), Kind::Image);
        assert_eq!(Kind::of("a.wps"), Kind::Office);
        assert_eq!(Kind::of("a.ofd"), Kind::Ofd);
        assert_eq!(Kind::of("a.MOV"), Kind::Video);
        assert_eq!(Kind::of("a.7z"), Kind::Archive);
        assert_eq!(Kind::of("a.txt"), Kind::Other);
        assert_eq!(Kind::of("noext"), Kind::Other);
    }

    #[test]
    fn created_dates_from_properties() {
        let core = r#"<cp:coreProperties><dcterms:created xsi:type="dcterms:W3CDTF">2026-03-04T10:00:00Z</dcterms:created></cp:coreProperties>"#;
        assert_eq!(created_date(core), NaiveDate::from_ymd_opt(2026, 3, 4));
        let meta = "<office:meta><meta:creation-date>2025-12-31T23:59:59</meta:creation-date>";
        assert_eq!(created_date(meta), NaiveDate::from_ymd_opt(2025, 12, 31));
    }
}
