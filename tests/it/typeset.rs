//! PDF typesetting read back with `pdftotext -bbox-layout`: table columns wide enough for
//! every list item, date and id when the page can hold them, no cell or paragraph line
//! holding one character alone, and the quarter em between Han characters and Latin
//! letters or digits, which positions glyphs but never changes the extracted text.

use crate::common::*;
use crate::pdf::text;
use dossier::render::pdf::font::Font;
use dossier::render::pdf::text::Metrics;
use regex::Regex;
use std::path::{Path, PathBuf};

/// Table text size and line pitch, in points (layout.rs: TABLE, TABLE × LEADING).
const TABLE: f32 = 8.5;
const TABLE_PITCH: f32 = 12.75;

/// A word as `pdftotext -bbox-layout` reads it: its box in points from the top-left.
#[derive(Debug, Clone)]
struct Word {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    text: String,
}

/// The words of each page, without the running header and footer.
fn body_words(pdf: &Path) -> Vec<Vec<Word>> {
    let xml = crate::pdf::bbox_layout(pdf);
    let page_re = Regex::new(r#"<page width="([\d.]+)" height="([\d.]+)">"#).unwrap();
    let word_re = Regex::new(
        r#"<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>"#,
    )
    .unwrap();
    let num = |s: &str| s.parse::<f32>().unwrap();
    let mut pages = Vec::new();
    for part in xml.split("<page ").skip(1) {
        let part = format!("<page {part}");
        let height = num(&page_re.captures(&part).expect("a page size")[2]);
        let words = word_re
            .captures_iter(&part)
            .map(|c| Word {
                x0: num(&c[1]),
                y0: num(&c[2]),
                x1: num(&c[3]),
                y1: num(&c[4]),
                text: c[5]
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&"),
            })
            // The running header sits in the top 20 mm, the footer in the bottom 18 mm.
            .filter(|w| w.y0 > 57.0 && w.y1 < height - 51.0)
            .collect();
        pages.push(words);
    }
    pages
}

/// Cell lines whose only text is one character, or that start with closing punctuation,
/// where the line continues a cell (a line one table pitch above starts at the same x; the
/// next row is at least two paddings further down).
fn lone_lines(pages: &[Vec<Word>]) -> Vec<String> {
    let mut bad = Vec::new();
    for (p, words) in pages.iter().enumerate() {
        for w in words {
            let continues = words
                .iter()
                .any(|a| (a.x0 - w.x0).abs() < 0.5 && (w.y0 - a.y0 - TABLE_PITCH).abs() < 0.6);
            if !continues {
                continue;
            }
            // Another word on the line, a space away (the next cell is at least two
            // paddings, 6 pt, away).
            let alone = !words
                .iter()
                .any(|b| (b.y0 - w.y0).abs() < 0.5 && b.x0 >= w.x1 - 0.1 && b.x0 - w.x1 < 4.0);
            let first = w.text.chars().next().unwrap_or(' ');
            let closing = "，。、；：？！）】》」』〕”’".contains(first);
            let single = w.text.chars().count() == 1;
            // A list marker (`？ 执法文书`) is one character with its item a space away.
            if (alone && single) || (closing && !single) {
                bad.push(format!(
                    "page {}: {:?} at ({}, {})",
                    p + 1,
                    w.text,
                    w.x0,
                    w.y0
                ));
            }
        }
    }
    bad
}

/// How many times each piece occurs in the PDF's words, against the times the Markdown
/// holds it: fewer means it was broken across lines somewhere.
fn broken_pieces(pages: &[Vec<Word>], md: &str, pieces: &[String]) -> Vec<String> {
    let words: Vec<&str> = pages.iter().flatten().map(|w| w.text.as_str()).collect();
    let mut bad = Vec::new();
    for piece in pieces {
        let want = md.matches(piece.as_str()).count();
        let got: usize = words
            .iter()
            .map(|w| w.matches(piece.as_str()).count())
            .sum();
        if got < want {
            bad.push(format!("{piece}: {got} whole of {want}"));
        }
    }
    bad
}

/// The list items, dates, ids and places of a document's tables, from its Markdown.
fn pieces_of(md: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let item = Regex::new(r"[☑☐？] ([^<|]+?) *(?:<br>|\|)").unwrap();
    let date = Regex::new(r"\d{4}-\d{2}-\d{2}").unwrap();
    let id = Regex::new(r"\b[A-Z]-\d{2}\b").unwrap();
    let place = Regex::new(r"\| ([^|<]+?) / [A-Z]-\d{2} \|").unwrap();
    for line in md.lines().filter(|l| l.starts_with('|')) {
        pieces.extend(item.captures_iter(line).map(|c| c[1].to_string()));
        pieces.extend(date.find_iter(line).map(|m| m.as_str().to_string()));
        pieces.extend(id.find_iter(line).map(|m| m.as_str().to_string()));
        pieces.extend(place.captures_iter(line).map(|c| c[1].to_string()));
    }
    pieces.sort();
    pieces.dedup();
    pieces
}

/// A workbook whose evidence checklist and gap report need every column shared out: long
/// measures, several owners, five evidence items, a place and a box id, dates.
fn crowded(dir: &Path) -> PathBuf {
    let header = [
        "序号",
        "措施内容",
        "责任单位",
        "落实情况",
        "完成时限",
        "佐证材料",
        "已备材料",
        "检查方式",
        "现场点位",
        "资料盒号",
    ];
    let measures = [
        "按照第3项要求于2026-12-31前完成整改，落实网格化管理，将安全监管责任落实到村（社区）和网格员",
        "组织开展安全培训和应急演练，提高从业人员自救逃生能力，严格执行审批和现场监护制度",
        "建立健全隐患排查治理长效机制，实行清单化、闭环式管理，违规作业一律停工整顿",
    ];
    let owners = [
        "交通运输分局、经济发展局、应急管理分局",
        "综合行政执法办",
        "住房城乡建设办、消防救援所",
    ];
    let statuses = ["未启动", "部分落实", "已完成"];
    let evidence = [
        "隐患排查台账、考核结果通报、整改台账、工作方案、培训签到表",
        "应急预案、会议纪要",
        "现场照片、执法文书、宣传资料",
    ];
    let places = ["南塘村液化气站", "新联村物流仓库", "东岭村工地"];
    let ids = ["C-21", "A-33", "B-07"];
    let numbers: Vec<String> = (1..=30).map(|i| i.to_string()).collect();
    let dates = ["2026-12-31", "2026-11-20", "2027-01-18"];
    let mut rows: Vec<Vec<&str>> = vec![header.to_vec()];
    for (i, n) in numbers.iter().enumerate() {
        rows.push(vec![
            n,
            measures[i % 3],
            owners[i % 3],
            statuses[i % 3],
            dates[i % 3],
            evidence[i % 3],
            "无",
            "资料+现场",
            places[i % 3],
            ids[i % 3],
        ]);
    }
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    xlsx(dir, "crowded.xlsx", "市78条", &rows)
}

#[test]
fn tables_keep_items_dates_and_ids_whole_and_leave_no_character_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let crowded = crowded(tmp.path());
    // What each document must hold whole: the sample's items, and the crowded table's.
    let must: [(&Path, &str, &[&str]); 4] = [
        (
            &sample("qingxi-town.xlsx"),
            "evidence-checklist",
            &["培训签到表"],
        ),
        (&sample("qingxi-town.xlsx"), "gap-report", &["2026-12-15"]),
        (
            &crowded,
            "evidence-checklist",
            &["隐患排查台账", "考核结果通报", "南塘村液化气站", "C-21"],
        ),
        (&crowded, "gap-report", &["2026-12-31"]),
    ];
    for input in [sample("qingxi-town.xlsx"), crowded.clone()] {
        let (_t, out, _) = build(&[&input], &["--format", "pdf,md"]);
        for doc in ["evidence-checklist", "gap-report"] {
            let pages = body_words(&out.join(format!("{doc}.pdf")));
            let md = std::fs::read_to_string(out.join(format!("{doc}.md"))).unwrap();
            let pieces = pieces_of(&md);
            for (_, _, want) in must.iter().filter(|(i, d, _)| *i == input && *d == doc) {
                for w in *want {
                    assert!(pieces.iter().any(|p| p == w), "{doc}: {w} in {pieces:?}");
                }
            }
            let broken = broken_pieces(&pages, &md, &pieces);
            assert!(
                broken.is_empty(),
                "{}: {doc}: broken: {broken:#?}",
                input.display()
            );
            let lone = lone_lines(&pages);
            assert!(
                lone.is_empty(),
                "{}: {doc}: lone: {lone:#?}",
                input.display()
            );
        }
    }
}

/// Han characters beside Latin letters or digits in a text: where the gaps go.
fn han_latin_boundaries(text: &str) -> usize {
    let han = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c);
    let latin = |c: char| c.is_ascii_alphanumeric();
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(2)
        .filter(|w| (han(w[0]) && latin(w[1])) || (latin(w[0]) && han(w[1])))
        .count()
}

#[test]
fn a_quarter_em_parts_han_from_latin_and_the_text_extracts_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let (_t, out, _) = build(&[&crowded(tmp.path())], &["--format", "pdf"]);
    let pdf = out.join("evidence-checklist.pdf");
    let font = Font::built_in().unwrap();
    let natural = |t: &str| t.chars().map(|c| font.advance(c, false)).sum::<f32>() * TABLE;
    let words: Vec<Word> = body_words(&pdf).into_iter().flatten().collect();
    // In the sentence: the word is the line of the cell (the gaps are marked so they are
    // no word breaks), as wide as its characters plus a quarter em at each of 第|3, 3|项,
    // 于|2026 and 31|前, and no wider: nothing inside the date.
    let sentence = words
        .iter()
        .find(|w| w.text.contains("第3项"))
        .expect("第3项 extracted as written");
    assert!(sentence.text.contains("于2026-12-31前"), "{sentence:?}");
    let gaps = han_latin_boundaries(&sentence.text);
    assert_eq!(gaps, 4, "{sentence:?}");
    let extra = (sentence.x1 - sentence.x0) - natural(&sentence.text);
    assert!(
        (extra - gaps as f32 * 0.25 * TABLE).abs() < 0.05,
        "{sentence:?}: {extra} pt beyond its characters' advances"
    );
    // A date alone in its cell (the gap report's deadlines): no gap at all.
    let deadlines: Vec<Word> = body_words(&out.join("gap-report.pdf"))
        .into_iter()
        .flatten()
        .collect();
    let date = deadlines
        .iter()
        .find(|w| w.text == "2026-12-31")
        .expect("a date cell");
    assert!(
        (date.x1 - date.x0 - natural("2026-12-31")).abs() < 0.05,
        "{date:?}"
    );
    // The extracted text has no space the gaps could have added.
    let all = text(&pdf, None);
    assert!(all.contains("按照第3项要求于2026-12-31前完成整改"), "{all}");
    assert!(!all.contains("第 3"), "{all}");
}
