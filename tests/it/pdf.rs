//! PDF output: text that `pdftotext` gets back, fonts embedded as subsets, page footers,
//! bookmarks, a table of contents with real page numbers, byte-identical output.

use crate::common::*;
use std::path::Path;
use std::process::Command;

/// `pdftotext` of a PDF (all pages, or one), U+3000 folded to a space as poppler does.
pub fn text(pdf: &Path, page: Option<usize>) -> String {
    extract(pdf, page, false)
}

/// Text in drawing order (`pdftotext -raw`): a table cell's lines stay together.
fn raw_text(pdf: &Path) -> String {
    extract(pdf, None, true)
}

fn extract(pdf: &Path, page: Option<usize>, raw: bool) -> String {
    let mut cmd = Command::new("pdftotext");
    if raw {
        cmd.arg("-raw");
    }
    if let Some(p) = page {
        cmd.args(["-f", &p.to_string(), "-l", &p.to_string()]);
    }
    let out = cmd
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) installed");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every word of a PDF with its box (`pdftotext -bbox-layout`, XHTML), for the tests that
/// measure where text lands.
pub fn bbox_layout(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-bbox-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

pub fn tool(name: &str, pdf: &Path) -> String {
    let out = Command::new(name)
        .arg(pdf)
        .env("TZ", "UTC")
        .output()
        .expect("poppler-utils installed");
    String::from_utf8(out.stdout).unwrap()
}

fn pages(pdf: &Path) -> usize {
    tool("pdfinfo", pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

/// Removes the line breaks `pdftotext` puts where the layout wrapped a line.
fn flat(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn pdfs_hold_the_measures_unit_score_and_footers() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf,json"]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    for doc in ["gap-report", "evidence-checklist", "owner-tasks"] {
        let pdf = out.join(format!("{doc}.pdf"));
        let size = std::fs::metadata(&pdf).unwrap().len();
        assert!(size < 1024 * 1024, "{doc}.pdf is {size} bytes");
        let all = text(&pdf, None);
        let n = pages(&pdf);
        assert!(all.contains("清溪镇"), "{doc}: unit");
        for p in 1..=n {
            let page = text(&pdf, Some(p));
            assert!(
                page.contains(&format!("第 {p} 页 共 {n} 页")),
                "{doc}: footer of page {p}"
            );
            assert!(
                page.contains("统计截至 2026-12-15"),
                "{doc}: running header of page {p}"
            );
        }
        let fonts = tool("pdffonts", &pdf);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty());
        for row in rows {
            assert!(
                row.contains("yes yes yes"),
                "{doc}: font not embedded as subset: {row}"
            );
            assert!(
                row.split_whitespace().next().unwrap().contains('+'),
                "{row}"
            );
        }
        let flat_all = flat(&raw_text(&pdf));
        if doc == "evidence-checklist" {
            // Every measure's text is in the checklist.
            for m in report["measures"].as_array().unwrap() {
                let t = flat(m["measure"].as_str().unwrap());
                assert!(flat_all.contains(&t), "{doc}: measure {t}");
            }
        }
        if doc == "gap-report" {
            assert!(all.contains("得分：76.0"), "score");
            assert!(all.contains("预计等次：较差"));
        }
    }
}

#[test]
fn metadata_names_the_document_the_unit_and_the_as_of_date() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    let info = tool("pdfinfo", &out.join("gap-report.pdf"));
    assert!(
        info.contains("Title:           清溪镇 差距分析报告"),
        "{info}"
    );
    assert!(info.contains("Author:          清溪镇"), "{info}");
    assert!(
        info.contains("CreationDate:    Tue Dec 15 00:00:00 2026 UTC"),
        "{info}"
    );
}

#[test]
fn same_inputs_give_byte_identical_pdfs() {
    let (_a, first, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    let (_b, second, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    for doc in ["gap-report", "evidence-checklist", "owner-tasks"] {
        let name = format!("{doc}.pdf");
        assert_eq!(
            std::fs::read(first.join(&name)).unwrap(),
            std::fs::read(second.join(&name)).unwrap(),
            "{name}"
        );
    }
    assert!(
        !first.join("report.json").exists(),
        "--format pdf alone wrote json"
    );
}

#[test]
fn table_of_contents_shows_the_pages_sets_start_on() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    let pdf = out.join("evidence-checklist.pdf");
    let toc = text(&pdf, Some(1));
    for set in ["国务院15条", "省65条", "市78条"] {
        let line = toc
            .lines()
            .find(|l| l.contains(set))
            .unwrap_or_else(|| panic!("{set} not in the contents: {toc}"));
        let page: usize = line
            .trim_end()
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("no page number in {line:?}"));
        // The first line under the running header.
        let first_line_of_page = text(&pdf, Some(page))
            .lines()
            .filter(|l| !l.trim().is_empty())
            .find(|l| !l.contains("佐证材料清单") && !l.contains("统计截至"))
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            first_line_of_page.trim(),
            set,
            "{set} starts on page {page}"
        );
    }
}

#[test]
fn every_heading_is_a_bookmark() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    let doc = lopdf::Document::load(out.join("gap-report.pdf")).unwrap();
    let catalog = doc.catalog().unwrap();
    let outlines = catalog.get(b"Outlines").unwrap().as_reference().unwrap();
    let outlines = doc.get_object(outlines).unwrap().as_dict().unwrap();
    let count = outlines.get(b"Count").unwrap().as_i64().unwrap();
    let md_headings = {
        let (_t2, md_out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "md"]);
        std::fs::read_to_string(md_out.join("gap-report.md"))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with('#'))
            .count()
    };
    assert_eq!(count as usize, md_headings);
}

#[test]
fn traditional_and_english_pdfs() {
    let (_t, out, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "pdf", "--lang", "zh-TW"],
    );
    let t = text(&out.join("gap-report.pdf"), None);
    assert!(t.contains("清溪镇 差距分析報告"), "{}", &t[..200]);
    assert!(t.contains("第 1 頁 共"));
    let (_t, out, _) = build(
        &[&sample("sample-en.xlsx")],
        &["--format", "pdf", "--lang", "en"],
    );
    let t = text(&out.join("owner-tasks.pdf"), None);
    assert!(t.contains("Owner task sheets"));
    assert!(t.contains("Page 1 of"));
}

#[test]
fn a_character_no_font_has_is_a_warning_not_a_wrong_glyph() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "长文本".repeat(667);
    let input = xlsx(
        tmp.path(),
        "odd.xlsx",
        "台账",
        &[
            &["序号", "措施内容", "落实情况", "牵头单位"],
            &["1", "韩文 한국 测试", "未启动", "应急办"],
            &["2", &long, "未启动", "应急办"],
        ],
    );
    let (_t, out, stderr) = build(&[&input], &["--format", "pdf"]);
    assert!(
        stderr.contains("dossier: warning: gap-report.pdf: characters are not in the font"),
        "{stderr}"
    );
    assert!(stderr.contains("U+D55C '한'"), "{stderr}");
    let t = flat(&text(&out.join("gap-report.pdf"), None));
    assert!(t.contains("韩文□□测试"), "missing characters drawn as □");
    // The 2,001-character cell comes out whole, over as many lines and pages as it needs
    // (a split row repeats the table header on the next page, so count, not match).
    let checklist = raw_text(&out.join("evidence-checklist.pdf"));
    assert_eq!(checklist.matches('长').count(), 667, "long cell cut");
    assert_eq!(checklist.matches('本').count(), 667, "long cell cut");
    assert!(pages(&out.join("evidence-checklist.pdf")) >= 3);
}

#[test]
fn paper_size_and_orientation() {
    let (_t, out, _) = build(
        &[&sample("sample-en.xlsx")],
        &["--format", "pdf", "--paper", "A3", "--landscape"],
    );
    let info = tool("pdfinfo", &out.join("gap-report.pdf"));
    let size = info.lines().find(|l| l.starts_with("Page size:")).unwrap();
    // A3 landscape: 420 × 297 mm = 1190.55 × 841.89 pt.
    assert!(size.contains("1190.55 x 841.89"), "{size}");
}

#[test]
fn an_unreadable_font_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let bogus = tmp.path().join("fangsong.ttf");
    std::fs::write(&bogus, b"not a font").unwrap();
    let out = tmp.path().join("out");
    let spec = format!("{}#0", bogus.display());
    let args = ["--format", "pdf", "--font", spec.as_str()];
    let stderr = build_failing(tmp.path(), &[&sample("qingxi-town.xlsx")], &args);
    assert!(stderr.starts_with("dossier: "), "{stderr}");
    assert!(
        stderr.contains("fangsong.ttf#0: not a font dossier can read"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn an_office_font_is_embedded_instead_of_the_built_in_one() {
    // Any OTF/TTF works; the repository's own font file stands in for an office's FangSong.
    let font = root().join("assets/fonts/NotoSansCJKsc-Regular-dossier.otf");
    let spec = format!("{}#0", font.display());
    let (_t, out, stderr) = build(
        &[&sample("sample-en.xlsx")],
        &["--format", "pdf", "--font", &spec],
    );
    assert!(!stderr.contains("dossier: warning"), "{stderr}");
    let fonts = tool("pdffonts", &out.join("owner-tasks.pdf"));
    assert!(fonts.contains("+NotoSansCJKsc-Regular-dossier"), "{fonts}");
    assert!(text(&out.join("owner-tasks.pdf"), None).contains("责任单位任务清单"));
}

#[test]
fn titles_headings_and_table_headers_are_set_in_a_real_bold_face() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    let pdf = out.join("gap-report.pdf");
    let fonts = tool("pdffonts", &pdf);
    assert!(fonts.contains("+NotoSansCJKsc-Regular "), "{fonts}");
    assert!(fonts.contains("+NotoSansCJKsc-Bold "), "{fonts}");
    // Bold text extracts like any other.
    let text = text(&pdf, Some(1));
    assert!(text.contains("清溪镇 差距分析报告"), "{text}");
    assert!(text.contains("落实情况"), "{text}");
}

#[test]
fn an_office_font_without_a_bold_face_gets_synthetic_bold_unless_one_is_given() {
    let font = root().join("assets/fonts/NotoSansCJKsc-Regular-dossier.otf");
    let bold = root().join("assets/fonts/NotoSansCJKsc-Bold-dossier.otf");
    let (_t, out, _) = build(
        &[&sample("sample-en.xlsx")],
        &["--format", "pdf", "--font", font.to_str().unwrap()],
    );
    let fonts = tool("pdffonts", &out.join("gap-report.pdf"));
    assert_eq!(fonts.matches("CID Type 0C").count(), 1, "{fonts}");
    let (_t, out, _) = build(
        &[&sample("sample-en.xlsx")],
        &[
            "--format",
            "pdf",
            "--font",
            font.to_str().unwrap(),
            "--font-bold",
            bold.to_str().unwrap(),
        ],
    );
    let fonts = tool("pdffonts", &out.join("gap-report.pdf"));
    assert!(fonts.contains("+NotoSansCJKsc-Regular-dossier "), "{fonts}");
    assert!(fonts.contains("+NotoSansCJKsc-Bold-dossier "), "{fonts}");
}

#[test]
fn every_document_identifies_as_pdf_a_2b_with_an_srgb_output_intent() {
    let (_t, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    for name in [
        "gap-report.pdf",
        "evidence-checklist.pdf",
        "owner-tasks.pdf",
    ] {
        let pdf = out.join(name);
        let meta = tool("pdfinfo", &pdf);
        assert!(meta.contains("Metadata Stream: yes"), "{name}: {meta}");
        let xmp = Command::new("pdfinfo")
            .arg("-meta")
            .arg(&pdf)
            .output()
            .unwrap();
        let xmp = String::from_utf8(xmp.stdout).unwrap();
        assert!(
            xmp.contains("<pdfaid:part>2</pdfaid:part>"),
            "{name}: {xmp}"
        );
        assert!(
            xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
            "{name}"
        );
        // What the metadata says agrees with /Info.
        let title = meta
            .lines()
            .find_map(|l| l.strip_prefix("Title:"))
            .unwrap()
            .trim();
        assert!(
            xmp.contains(&format!("x-default\">{title}</rdf:li>")),
            "{name}: {xmp}"
        );
        assert!(xmp.contains("<rdf:li>清溪镇</rdf:li>"), "{name}");
        assert!(xmp.contains("<xmp:CreateDate>2026-12-15T00:00:00+00:00</xmp:CreateDate>"));

        let doc = lopdf::Document::load(&pdf).unwrap();
        let catalog = doc.catalog().unwrap();
        let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
        let intent = intents[0].as_dict().unwrap();
        assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFA1");
        let profile = intent
            .get(b"DestOutputProfile")
            .unwrap()
            .as_reference()
            .unwrap();
        let mut stream = doc
            .get_object(profile)
            .unwrap()
            .as_stream()
            .unwrap()
            .clone();
        assert_eq!(stream.dict.get(b"N").unwrap().as_i64().unwrap(), 3);
        stream.decompress().unwrap();
        assert_eq!(&stream.content[36..40], b"acsp", "an ICC profile");
        assert_eq!(&stream.content[16..20], b"RGB ", "of RGB");
        assert!(doc.trailer.get(b"Encrypt").is_err());
        let lang = catalog.get(b"Lang").unwrap().as_str().unwrap();
        assert_eq!(lang, b"zh-CN", "{name}: the document language");
    }
}
