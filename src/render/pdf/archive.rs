//! PDF/A-2b identification: the XMP metadata that says so and agrees with /Info, and the
//! sRGB output intent that gives the documents' RGB colours a meaning.
//!
//! Offices archive these documents and the provincial platforms ask for PDF/A. The rest
//! of what PDF/A-2b requires the writer already does: every font embedded (a subset with
//! its widths), a document ID, no encryption, no transparency, no external content.

use super::out::{PdfOut, reference};
use crate::render::escape::xml;
use lopdf::{Dictionary, Object, StringFormat};
use std::io;

/// The sRGB profile every document names as its output intent (assets/icc/README.md).
static SRGB: &[u8] = include_bytes!("../../../assets/icc/sRGB.icc");

/// What the metadata says; the same values go into /Info.
pub struct Described<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub subject: &'a str,
    /// Seconds since 1970: creation and modification date.
    pub created: i64,
}

/// The XMP packet: PDF/A part 2, conformance B, and the /Info entries as XMP has them.
pub fn xmp(d: &Described<'_>) -> Vec<u8> {
    let date = chrono::DateTime::from_timestamp(d.created, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    let tool = format!("dossier {}", env!("CARGO_PKG_VERSION"));
    format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n",
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n",
            "<rdf:Description rdf:about=\"\"",
            " xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"",
            " xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
            " xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"",
            " xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n",
            "<pdfaid:part>2</pdfaid:part>\n",
            "<pdfaid:conformance>B</pdfaid:conformance>\n",
            "<dc:format>application/pdf</dc:format>\n",
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n",
            "<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n",
            "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n",
            "<xmp:CreateDate>{date}</xmp:CreateDate>\n",
            "<xmp:ModifyDate>{date}</xmp:ModifyDate>\n",
            "<xmp:CreatorTool>{tool}</xmp:CreatorTool>\n",
            "<pdf:Producer>dossier</pdf:Producer>\n",
            "</rdf:Description>\n",
            "</rdf:RDF>\n",
            "</x:xmpmeta>\n",
            "<?xpacket end=\"w\"?>"
        ),
        title = xml(d.title),
        author = xml(d.author),
        subject = xml(d.subject),
        date = date,
        tool = tool,
    )
    .into_bytes()
}

/// Writes the metadata stream and the output intent; sets /Metadata and /OutputIntents
/// in the catalog.
pub fn write(out: &mut PdfOut<'_>, catalog: &mut Dictionary, d: &Described<'_>) -> io::Result<()> {
    let meta = out.reserve();
    let mut md = Dictionary::new();
    md.set("Type", Object::Name(b"Metadata".to_vec()));
    md.set("Subtype", Object::Name(b"XML".to_vec()));
    // Left uncompressed, as archives' tools expect to find it by scanning.
    out.stream(meta, &md, &xmp(d))?;
    catalog.set("Metadata", reference(meta));

    let profile = out.reserve();
    let mut pd = Dictionary::new();
    pd.set("N", Object::Integer(3));
    out.deflated(profile, &pd, SRGB)?;
    let mut intent = Dictionary::new();
    intent.set("Type", Object::Name(b"OutputIntent".to_vec()));
    intent.set("S", Object::Name(b"GTS_PDFA1".to_vec()));
    let name = |s: &str| Object::String(s.as_bytes().to_vec(), StringFormat::Literal);
    intent.set("OutputConditionIdentifier", name("sRGB IEC61966-2.1"));
    intent.set("Info", name("sRGB IEC61966-2.1"));
    intent.set("DestOutputProfile", reference(profile));
    catalog.set(
        "OutputIntents",
        Object::Array(vec![Object::Dictionary(intent)]),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packet_escapes_what_it_is_given_and_says_part_2_b() {
        let text = String::from_utf8(xmp(&Described {
            title: "清溪镇 <差距> & \"分析\"",
            author: "A&B",
            subject: "s",
            created: 1_797_292_800,
        }))
        .unwrap();
        assert!(text.contains("<pdfaid:part>2</pdfaid:part>"));
        assert!(text.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
        assert!(text.contains("清溪镇 &lt;差距&gt; &amp; &quot;分析&quot;"));
        assert!(text.contains("<rdf:li>A&amp;B</rdf:li>"));
        assert!(text.contains("<xmp:CreateDate>2026-12-15T00:00:00+00:00</xmp:CreateDate>"));
    }
}
