//! Rebuilding a PDF's cross-reference table from its objects, as qpdf and poppler do
//! when a table's offsets are wrong: an office's scanner or an edit that shifted bytes
//! leaves a PDF every reader opens, and the contract counts it as readable.

use regex::bytes::Regex;
use std::sync::LazyLock;

static OBJ: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)(?:^|[\r\n\s])(\d{1,10})\s+(\d{1,5})\s+obj\b").expect("valid regex")
});
static ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/Root\s+(\d+)\s+(\d+)\s+R").expect("valid regex"));
static INFO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/Info\s+(\d+)\s+(\d+)\s+R").expect("valid regex"));
static CATALOG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/Type\s*/Catalog\b").expect("valid regex"));

/// The PDF with a fresh cross-reference table and trailer appended, built from where its
/// `N G obj` headers really are; `None` when no catalog can be found. Objects inside
/// object streams are not recovered.
pub fn with_rebuilt_xref(pdf: &[u8]) -> Option<Vec<u8>> {
    let mut offsets: Vec<(u32, u16, usize)> = Vec::new();
    for c in OBJ.captures_iter(pdf) {
        let num = c.get(1)?;
        let id: u32 = std::str::from_utf8(num.as_bytes()).ok()?.parse().ok()?;
        let gen_: u16 = std::str::from_utf8(c.get(2)?.as_bytes())
            .ok()?
            .parse()
            .ok()?;
        offsets.push((id, gen_, num.start()));
    }
    if offsets.is_empty() {
        return None;
    }
    // A later definition of the same object wins, as in an incremental update.
    offsets.sort_by_key(|&(id, _, off)| (id, off));
    offsets.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            *earlier = *later;
            true
        } else {
            false
        }
    });
    let root = ROOT
        .captures_iter(pdf)
        .last()
        .map(|c| (c[1].to_vec(), c[2].to_vec()))
        .or_else(|| {
            // No trailer names the root: the object that says /Type /Catalog.
            let at = CATALOG.find(pdf)?.start();
            let (id, gen_, _) = offsets.iter().filter(|o| o.2 <= at).max_by_key(|o| o.2)?;
            Some((id.to_string().into_bytes(), gen_.to_string().into_bytes()))
        })?;
    let info = INFO
        .captures_iter(pdf)
        .last()
        .map(|c| (c[1].to_vec(), c[2].to_vec()));
    let size = offsets.iter().map(|o| o.0).max()? + 1;
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let xref_at = out.len();
    // One subsection per run of consecutive object numbers found: the table grows with
    // the objects the file holds, never with the numbers it claims (one object numbered
    // 999999999 in a 66-byte file would otherwise ask for 20 GB of free entries).
    out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n");
    let found: Vec<&(u32, u16, usize)> = offsets.iter().filter(|o| o.0 > 0).collect();
    for run in found.chunk_by(|a, b| b.0 == a.0 + 1) {
        out.extend_from_slice(format!("{} {}\n", run[0].0, run.len()).as_bytes());
        for (_, gen_, off) in run {
            out.extend_from_slice(format!("{off:010} {gen_:05} n \n").as_bytes());
        }
    }
    out.extend_from_slice(format!("trailer\n<< /Size {size} /Root ").as_bytes());
    out.extend_from_slice(&root.0);
    out.push(b' ');
    out.extend_from_slice(&root.1);
    out.extend_from_slice(b" R");
    if let Some((id, gen_)) = info {
        out.extend_from_slice(b" /Info ");
        out.extend_from_slice(&id);
        out.push(b' ');
        out.extend_from_slice(&gen_);
        out.extend_from_slice(b" R");
    }
    out.extend_from_slice(format!(" >>\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 66-byte PDF whose one object claims the number 999999999: the rebuilt table
    /// holds that one entry, not a billion (issue 18, item 6).
    #[test]
    fn a_huge_object_number_costs_one_entry() {
        let pdf = b"%PDF-1.4\n999999999 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
        let out = with_rebuilt_xref(pdf).unwrap();
        assert!(out.len() < pdf.len() + 300, "{}", out.len());
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("xref\n0 1\n0000000000 65535 f \n999999999 1\n"),
            "{text}"
        );
        assert!(
            text.contains("/Size 1000000000 /Root 999999999 0 R"),
            "{text}"
        );
    }

    #[test]
    fn consecutive_objects_share_a_subsection() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n7 0 obj << >> endobj\n%%EOF\n";
        let out = String::from_utf8(with_rebuilt_xref(pdf).unwrap()).unwrap();
        let table = &out[out.find("xref").unwrap()..out.find("trailer").unwrap()];
        assert_eq!(
            table.lines().filter(|l| l.ends_with(" n ")).count(),
            3,
            "{table}"
        );
        assert!(
            table.contains("\n1 2\n") && table.contains("\n7 1\n"),
            "{table}"
        );
    }
}
