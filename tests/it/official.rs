//! The official style (`--style official`, GB/T 9704-2012) read back from the gap
//! report's PDF: the page, the body area's margins, the line pitch, the characters per
//! line, the type sizes and the page numbers, each from `pdftotext -bbox-layout` within
//! 0.5 mm and 0.5 pt of the standard's; the faces from `pdffonts`.
//!
//! poppler's boxes run from the font's ascent to its descent, so the size of a line is its
//! box height over (Ascent − Descent) of the font descriptor, and the top of a CJK em box
//! (what the standard measures: 天头 is the white above the characters) is `Ascent − 0.88`
//! em below the box top. The serif and the sans have nearly the same metrics (1151/−286
//! and 1160/−288): the body font's serve for every line, off by under 0.1 pt.

use crate::common::*;
use crate::pdf::{text, tool};
use regex::Regex;
use std::path::{Path, PathBuf};

const MM: f32 = 72.0 / 25.4;
const TOP: f32 = 37.0;
const LEFT: f32 = 28.0;
const BODY_W: f32 = 156.0;
const BODY_H: f32 = 225.0;
/// One line of the 22 in the body area.
const PITCH: f32 = BODY_H / 22.0;
/// The em box top below the baseline, in ems.
const EM_TOP: f32 = 0.88;

/// A line as `pdftotext -bbox-layout` reads it, in millimetres from the page's top left,
/// with its type size in points and its words.
#[derive(Debug, Clone)]
struct Line {
    x0: f32,
    x1: f32,
    /// The top of its characters' em box.
    top: f32,
    size: f32,
    words: Vec<(f32, f32, String)>,
}

impl Line {
    fn text(&self) -> String {
        self.words.iter().map(|w| w.2.as_str()).collect()
    }
}

/// The Ascent and Descent (in ems) of the font descriptor of the first font whose name
/// holds `name`.
fn metrics(pdf: &Path, name: &str) -> (f32, f32) {
    let doc = lopdf::Document::load(pdf).unwrap();
    for object in doc.objects.values() {
        let Ok(d) = object.as_dict() else { continue };
        let is_descriptor =
            d.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"FontDescriptor");
        let font = d
            .get(b"FontName")
            .and_then(|n| n.as_name())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        if is_descriptor && font.contains(name) {
            let num = |key: &[u8]| match d.get(key).unwrap() {
                lopdf::Object::Integer(i) => *i as f32,
                lopdf::Object::Real(r) => *r,
                other => panic!("{other:?}"),
            };
            return (num(b"Ascent") / 1000.0, num(b"Descent") / 1000.0);
        }
    }
    panic!("no font descriptor for {name}");
}

/// The lines of every page, and the page size in millimetres.
fn lines(pdf: &Path, ascent: f32, descent: f32) -> (Vec<Vec<Line>>, (f32, f32)) {
    let xml = crate::pdf::bbox_layout(pdf);
    let page_re = Regex::new(r#"<page width="([\d.]+)" height="([\d.]+)">"#).unwrap();
    let box_re = r#"xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)""#;
    let line_re = Regex::new(&format!("<line {box_re}>")).unwrap();
    let word_re = Regex::new(&format!("<word {box_re}>([^<]*)</word>")).unwrap();
    let num = |s: &str| s.parse::<f32>().unwrap();
    let size = page_re.captures(&xml).expect("a page");
    let paper = (num(&size[1]) / MM, num(&size[2]) / MM);
    let mut pages = Vec::new();
    for page in xml.split("<page ").skip(1) {
        let mut found = Vec::new();
        for part in page.split("<line ").skip(1) {
            let part = format!("<line {part}");
            let c = line_re.captures(&part).unwrap();
            let (y0, y1) = (num(&c[2]), num(&c[4]));
            let size = (y1 - y0) / (ascent - descent);
            let words = word_re
                .captures_iter(&part)
                .map(|w| (num(&w[1]) / MM, num(&w[3]) / MM, w[5].to_string()))
                .collect();
            found.push(Line {
                x0: num(&c[1]) / MM,
                x1: num(&c[3]) / MM,
                top: (y0 + (ascent - EM_TOP) * size) / MM,
                size,
                words,
            });
        }
        pages.push(found);
    }
    (pages, paper)
}

/// The sample's gap report in the official style, and where it was made.
fn official(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let mut args = vec!["--format", "pdf", "--style", "official"];
    args.extend_from_slice(extra);
    let (tmp, out, stderr) = build(&[&sample("qingxi-town.xlsx")], &args);
    assert!(!stderr.contains("dossier: warning"), "{stderr}");
    (tmp, out.join("gap-report.pdf"))
}

fn near(a: f32, b: f32, tolerance: f32) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn official_style_sets_the_gap_report_on_the_gb_t_9704_grid() {
    let (_t, pdf) = official(&[]);
    let (ascent, descent) = metrics(&pdf, "NotoSerifCJKsc-Regular");
    let (pages, paper) = lines(&pdf, ascent, descent);
    assert!(pages.len() > 2, "{} pages", pages.len());
    // A4.
    assert!(
        near(paper.0, 210.0, 0.5) && near(paper.1, 297.0, 0.5),
        "{paper:?}"
    );

    // The title: 2号, its box at the top of the body area, centred in it.
    let title = &pages[0][0];
    assert_eq!(title.text(), "清溪镇差距分析报告");
    assert!(near(title.size, 22.0, 0.5), "title size {}", title.size);
    assert!(near(title.top, TOP, 0.5), "title top {} mm", title.top);
    let centre = (title.x0 + title.x1) / 2.0;
    assert!(
        near(centre, LEFT + BODY_W / 2.0, 0.5),
        "title centre {centre} mm"
    );

    let mut char_pitches = Vec::new();
    let mut starts_with_text = 0;
    let mut last_line_used = false;
    for (p, page) in pages.iter().enumerate() {
        let body: Vec<&Line> = page
            .iter()
            .filter(|l| near(l.size, 16.0, 0.5) && l.top < TOP + BODY_H)
            .collect();
        for l in &body {
            // Every 3号 line on the grid: 37 mm plus a whole number of 225/22 mm lines.
            let k = (l.top - TOP) / PITCH;
            assert!(
                near(k, k.round(), 0.5 / PITCH),
                "page {}: {:?} at {} mm is off the grid",
                p + 1,
                l.text(),
                l.top
            );
            assert!((0.0..22.0).contains(&k.round()), "line {k} of 22");
            last_line_used |= k.round() == 21.0;
            // Inside the body area: from 28 mm, at most 156 mm wide.
            assert!(l.x0 >= LEFT - 0.5, "{:?} starts at {} mm", l.text(), l.x0);
            assert!(
                l.x1 <= LEFT + BODY_W + 0.5,
                "{:?} ends at {} mm",
                l.text(),
                l.x1
            );
            // Runs of Han characters and full-width punctuation, each one em of 3号 set
            // on the grid's character pitch.
            for (x0, x1, word) in &l.words {
                let n = word.chars().count();
                let full = |c: char| matches!(c as u32, 0x3000..=0x303F | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF);
                if n >= 10 && word.chars().all(full) {
                    char_pitches.push((x1 - x0) / n as f32);
                }
            }
        }
        // Nothing above the body area; a page that starts with a line of text has its
        // characters' box at the top of it.
        let first = page
            .iter()
            .filter(|l| l.top < TOP + BODY_H)
            .min_by(|a, b| a.top.total_cmp(&b.top))
            .expect("text on every page");
        assert!(
            first.top >= TOP - 0.5,
            "page {} starts at {} mm",
            p + 1,
            first.top
        );
        if first.size > 15.5 {
            assert!(
                near(first.top, TOP, 0.5),
                "page {}: {} mm",
                p + 1,
                first.top
            );
            starts_with_text += 1;
        }
        // Consecutive lines of 3号 text are one line of the grid apart.
        for pair in body.windows(2) {
            let gap = pair[1].top - pair[0].top;
            if gap > 0.1 && gap < 1.5 * PITCH {
                assert!(near(gap, PITCH, 0.5), "pitch {gap} mm");
            }
        }
        // Continuation lines start at 28 mm; first lines two characters in.
        if p == 0 {
            let starts: Vec<f32> = body.iter().map(|l| l.x0).collect();
            assert!(starts.iter().any(|x| near(*x, LEFT, 0.5)), "{starts:?}");
            let indent = LEFT + 2.0 * BODY_W / 28.0;
            assert!(starts.iter().any(|x| near(*x, indent, 0.5)), "{starts:?}");
        }

        // The page number: — n — in 4号, 7 mm below the body area, one character in from
        // the outer edge (odd pages right, even pages left).
        let n = p + 1;
        let number = page
            .iter()
            .find(|l| l.top > TOP + BODY_H)
            .unwrap_or_else(|| panic!("page {n} has no page number"));
        assert_eq!(number.text(), format!("—{n}—"));
        let shown: Vec<&str> = number.words.iter().map(|w| w.2.as_str()).collect();
        assert_eq!(shown, ["—", &n.to_string(), "—"]);
        assert!(
            near(number.size, 14.0, 0.5),
            "page number size {}",
            number.size
        );
        assert!(
            near(number.top, TOP + BODY_H + 7.0, 0.5),
            "{} mm",
            number.top
        );
        let one = 14.0 / MM;
        if n % 2 == 1 {
            assert!(
                near(number.x1, LEFT + BODY_W - one, 0.5),
                "odd {}",
                number.x1
            );
        } else {
            assert!(near(number.x0, LEFT + one, 0.5), "even {}", number.x0);
        }
    }
    // 22 lines to a page, 28 characters to a line, filling the 156 mm.
    assert!(last_line_used, "no page uses its 22nd line");
    assert!(
        starts_with_text >= 2,
        "{starts_with_text} pages start with text"
    );
    assert!(char_pitches.len() >= 5, "{char_pitches:?}");
    for pitch in char_pitches {
        assert!(
            near(28.0 * pitch, BODY_W, 0.5),
            "28 characters take {} mm",
            28.0 * pitch
        );
    }

    // Headings numbered 一、（一）; an appendix is not.
    let all = text(&pdf, None);
    for heading in ["一、总体情况", "五、其他差距", "（一）较重", "（二）一般"]
    {
        assert!(all.contains(heading), "{heading} missing");
    }
    assert!(all.contains("附录：台账数据问题"));
    assert!(!all.contains("、附录"));
    // No running header, and no 第 n 页 共 m 页.
    assert!(!all.contains("第 1 页"), "a default footer");
    assert!(!all.contains("统计截至 2026-12-15"), "a running header");

    // The body in the serif, the level-1 headings in the sans (黑体).
    let fonts = tool("pdffonts", &pdf);
    assert!(fonts.contains("+NotoSerifCJKsc-Regular "), "{fonts}");
    assert!(fonts.contains("+NotoSansCJKsc-Regular "), "{fonts}");
}

#[test]
fn official_style_leaves_the_other_documents_and_the_markdown_alone() {
    let (_t, dflt, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf,md"]);
    let (_u, off, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "pdf,md", "--style", "official"],
    );
    for name in ["evidence-checklist.pdf", "owner-tasks.pdf", "gap-report.md"] {
        let a = std::fs::read(dflt.join(name)).unwrap();
        let b = std::fs::read(off.join(name)).unwrap();
        assert!(a == b, "{name} differs");
    }
    let a = std::fs::read(dflt.join("gap-report.pdf")).unwrap();
    let b = std::fs::read(off.join("gap-report.pdf")).unwrap();
    assert!(a != b);
}

#[test]
fn an_office_s_title_heading_and_subheading_fonts_are_embedded() {
    // The repository's own font files stand in for an office's 方正小标宋, 黑体 and 楷体.
    let font = |name: &str| {
        root()
            .join("assets/fonts")
            .join(name)
            .to_string_lossy()
            .into_owned()
    };
    let (title, heading, subheading) = (
        font("NotoSerifCJKsc-Regular-dossier.otf"),
        font("NotoSansCJKsc-Bold-dossier.otf"),
        font("NotoSansCJKsc-Regular-dossier.otf"),
    );
    let (_t, pdf) = official(&[
        "--font-title",
        &title,
        "--font-heading",
        &heading,
        "--font-subheading",
        &subheading,
    ]);
    let fonts = tool("pdffonts", &pdf);
    for name in [
        "+NotoSerifCJKsc-Regular ",
        "+NotoSerifCJKsc-Regular-dossier ",
        "+NotoSansCJKsc-Bold-dossier ",
        "+NotoSansCJKsc-Regular-dossier ",
    ] {
        assert!(fonts.contains(name), "{name} not embedded: {fonts}");
    }
    assert!(text(&pdf, Some(1)).contains("清溪镇 差距分析报告"));

    // An office's 仿宋 as --font: the body in it, the headings in the built-in sans.
    let (_t, pdf) = official(&["--font", &subheading]);
    let fonts = tool("pdffonts", &pdf);
    assert!(fonts.contains("+NotoSansCJKsc-Regular-dossier "), "{fonts}");
    assert!(fonts.contains("+NotoSansCJKsc-Regular "), "{fonts}");
    assert!(
        fonts.contains("+NotoSerifCJKsc-Regular "),
        "the title: {fonts}"
    );
}

#[test]
fn a_bad_style_or_official_font_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("qingxi-town.xlsx");
    let stderr = build_failing(tmp.path(), &[&input], &["--style", "fancy"]);
    assert!(stderr.contains("invalid value 'fancy'"), "{stderr}");
    assert!(stderr.contains("default, official"), "{stderr}");

    let bogus = tmp.path().join("heiti.ttf");
    std::fs::write(&bogus, b"not a font").unwrap();
    let args = [
        "--format",
        "pdf",
        "--style",
        "official",
        "--font-heading",
        bogus.to_str().unwrap(),
    ];
    let stderr = build_failing(tmp.path(), &[&input], &args);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("dossier: ")
            && stderr.contains("heiti.ttf: not a font dossier can read"),
        "{stderr}"
    );
    assert!(!tmp.path().join("out").exists());

    // The official fonts belong to the official style.
    let args = ["--font-title", bogus.to_str().unwrap()];
    let stderr = build_failing(tmp.path(), &[&input], &args);
    assert!(stderr.contains("--style"), "{stderr}");
}

/// The official style lays out through the same cursor as the default one, so its gap
/// report must be as well tagged: every MCID in the parent tree once, nothing unmarked,
/// the same tables and headings as the default style's tree.
#[test]
fn the_official_gap_report_is_tagged_like_the_default_one() {
    let (_t, pdf) = official(&[]);
    let tagged = crate::tagged::assert_well_formed(&pdf);
    let (_d, dflt, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "pdf"]);
    let plain = crate::tagged::assert_well_formed(&dflt.join("gap-report.pdf"));
    let kinds = |t: &crate::tagged::Tagged| {
        let mut k: Vec<String> = t
            .root
            .all()
            .iter()
            .map(|e| e.s.clone())
            .filter(|s| s == "Table" || s == "TH" || s.starts_with('H'))
            .collect();
        k.sort();
        k
    };
    let official_kinds = kinds(&tagged);
    assert!(
        official_kinds.iter().any(|s| s == "Table"),
        "{official_kinds:?}"
    );
    assert_eq!(official_kinds, kinds(&plain));
}

/// The official style's 156 mm body cannot hold every piece of the nine-column table at
/// full width: what it squeezes is Han text, never a date (`2027-01-` / `03`).
#[test]
fn official_tables_keep_every_date_whole_when_they_must_squeeze() {
    let (_t, out, stderr) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "pdf,md", "--style", "official"],
    );
    assert!(!stderr.contains("dossier: warning"), "{stderr}");
    let date = Regex::new(r"\d{4}-\d{2}-\d{2}").unwrap();
    let md = std::fs::read_to_string(out.join("gap-report.md")).unwrap();
    let pdf = text(&out.join("gap-report.pdf"), None);
    let in_md = date.find_iter(&md).count();
    assert!(in_md > 20, "{in_md} dates in the Markdown");
    assert_eq!(date.find_iter(&pdf).count(), in_md);
}
