//! The documents (gap report, evidence checklist, owner task sheets) in Markdown and HTML:
//! snapshots, numbers against report.json, hostile cells, templates.

use crate::common::*;
use scraper::{Html, Selector};
use serde_json::Value;
use std::path::Path;

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn cell_texts(row: scraper::ElementRef<'_>) -> Vec<String> {
    let td = Selector::parse("td").unwrap();
    row.select(&td)
        .map(|c| c.text().collect::<String>().trim().to_string())
        .collect()
}

/// The body rows of the first table whose first header cell says `first_header`.
fn table_rows(html: &Html, first_header: &str) -> Vec<Vec<String>> {
    let table = Selector::parse("table").unwrap();
    let th = Selector::parse("th").unwrap();
    let tr = Selector::parse("tbody tr").unwrap();
    let t = html
        .select(&table)
        .find(|t| {
            t.select(&th)
                .next()
                .is_some_and(|h| h.text().collect::<String>().trim() == first_header)
        })
        .unwrap_or_else(|| panic!("no table headed {first_header}"));
    t.select(&tr).map(cell_texts).collect()
}

#[test]
fn markdown_snapshots_of_the_samples() {
    for (sample_name, lang) in [("qingxi-town.xlsx", "zh-CN"), ("sample-en.xlsx", "en")] {
        let (_tmp, out, _) = build(&[&sample(sample_name)], &["--format", "md", "--lang", lang]);
        for doc in ["gap-report", "evidence-checklist", "owner-tasks"] {
            let name = format!("{}-{doc}-{lang}", sample_name.trim_end_matches(".xlsx"));
            insta::assert_snapshot!(name, read(&out, &format!("{doc}.md")));
        }
        assert!(read(&out, "score-by-set.svg").starts_with("<svg"));
        assert!(!out.join("report.json").exists(), "--format md wrote json");
    }
}

#[test]
fn html_numbers_match_report_json() {
    let (_tmp, out, _) = build(&[&sample("qingxi-town.xlsx")], &[]);
    let report: Value = serde_json::from_str(&read(&out, "report.json")).unwrap();
    let html = Html::parse_document(&read(&out, "gap-report.html"));
    let one = |v: &Value| format!("{:.1}", v.as_f64().unwrap());

    let sets = table_rows(&html, "措施清单");
    assert_eq!(sets.len(), report["sets"].as_array().unwrap().len());
    for (row, set) in sets.iter().zip(report["sets"].as_array().unwrap()) {
        assert_eq!(row[0], set["name"].as_str().unwrap());
        assert_eq!(row[1], set["measures"].to_string());
        assert_eq!(row[2], set["by_status"]["done"].to_string());
        assert_eq!(row[8], one(&set["score"]));
    }
    let owners = table_rows(&html, "责任单位");
    for (row, owner) in owners.iter().zip(report["owners"].as_array().unwrap()) {
        assert_eq!(row[0], owner["name"].as_str().unwrap());
        assert_eq!(row[1], owner["measures"].to_string());
        assert_eq!(row[2], owner["open"].to_string());
        assert_eq!(row[3], owner["overdue"].to_string());
        assert_eq!(row[4], one(&owner["score"]));
    }
    let text: String = html.root_element().text().collect();
    assert!(text.contains("得分：76.0"), "score in the heading");
    assert!(text.contains("预计等次：较差"));
    let critical = report["summary"]["gaps"]["critical"].as_u64().unwrap();
    assert!(text.contains(&format!("严重差距（{critical}）")));
    // Charts are inline SVG, not links, in HTML.
    assert_eq!(
        html.select(&Selector::parse("figure.chart svg").unwrap())
            .count(),
        2
    );
    assert_eq!(html.select(&Selector::parse("img").unwrap()).count(), 0);
}

#[test]
fn hostile_cells_render_literally() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "很长的措施内容".repeat(300);
    let hostile = [
        "a | b | c",
        "# not a heading",
        "*not emphasis* and _not_ either",
        "<script>alert(1)</script>",
        "{{ labels.gap_report }} {% if true %}x{% endif %}",
        "[click](javascript:alert(1))",
        "1. not a list",
        "line one\nline two",
        long.as_str(),
        "",
    ];
    let mut rows: Vec<Vec<String>> = vec![
        [
            "序号",
            "措施内容",
            "牵头单位",
            "落实情况",
            "佐证材料",
            "已备材料",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (i, h) in hostile.iter().enumerate() {
        rows.push(vec![
            (i + 1).to_string(),
            h.to_string(),
            format!("单位{i}<b>"),
            "未启动".into(),
            format!("材料|{i}"),
            "无".into(),
        ]);
    }
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let input = xlsx(tmp.path(), "hostile.xlsx", "Sheet1", &rows);
    let (_t, out, _) = build(&[&input], &["--format", "md,html"]);

    for doc in ["gap-report", "evidence-checklist", "owner-tasks"] {
        let html_text = read(&out, &format!("{doc}.html"));
        let html = Html::parse_document(&html_text);
        assert_eq!(
            html.select(&Selector::parse("script").unwrap()).count(),
            0,
            "{doc}"
        );
        assert_eq!(
            html.select(&Selector::parse("a[href^='javascript']").unwrap())
                .count(),
            0,
            "{doc}"
        );
        assert_eq!(html.select(&Selector::parse("td b").unwrap()).count(), 0);
        assert_eq!(html.select(&Selector::parse("td em").unwrap()).count(), 0);
        let cells: Vec<String> = html
            .select(&Selector::parse("td").unwrap())
            .map(|c| c.text().collect())
            .collect();
        for h in &hostile[..7] {
            assert!(cells.iter().any(|c| c == h), "{doc}: no cell reads {h:?}");
        }
        assert!(cells.iter().any(|c| c == &long), "{doc}: long text cut");
        let owner_shown = cells.iter().any(|c| c == "单位0<b>")
            || html
                .select(&Selector::parse("h2").unwrap())
                .any(|h| h.text().collect::<String>() == "单位0<b>");
        assert!(owner_shown, "{doc}: owner");
        // A newline inside a cell stays a line break inside that cell.
        let br_cell = html
            .select(&Selector::parse("td").unwrap())
            .find(|c| c.text().collect::<String>() == "line oneline two")
            .unwrap_or_else(|| panic!("{doc}: multi-line cell"));
        assert!(br_cell.inner_html().contains("<br>"));
        // Tera syntax in a cell is not evaluated.
        assert!(!html_text.contains("差距分析报告 x"));
    }
    let md = read(&out, "gap-report.md");
    assert!(md.contains("a \\| b \\| c"));
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(md.contains("\\[click\\](javascript:alert(1))"));
    assert!(md.contains("line one<br>line two"));
}

#[test]
fn every_format_is_byte_identical_across_runs() {
    let (_a, first, _) = build(&[&sample("qingxi-town.xlsx")], &[]);
    let (_b, second, _) = build(&[&sample("qingxi-town.xlsx")], &[]);
    let mut names: Vec<String> = std::fs::read_dir(&first)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "evidence-checklist.html",
            "evidence-checklist.md",
            "evidence-checklist.pdf",
            "gap-report.html",
            "gap-report.md",
            "gap-report.pdf",
            "open-by-owner.svg",
            "owner-tasks.html",
            "owner-tasks.md",
            "owner-tasks.pdf",
            "report.json",
            "score-by-set.svg"
        ]
    );
    for n in &names {
        assert_eq!(
            std::fs::read(first.join(n)).unwrap(),
            std::fs::read(second.join(n)).unwrap(),
            "{n}"
        );
    }
}

#[test]
fn labels_follow_the_language() {
    let (_t, out, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "md", "--lang", "zh-TW"],
    );
    let md = read(&out, "gap-report.md");
    assert!(md.starts_with("# 清溪镇 差距分析報告"), "{}", &md[..80]);
    assert!(md.contains("| 落實情況 | 數量 |"));
    let (_t, out, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "md", "--lang", "en", "--unit", "Qingxi Town"],
    );
    let md = read(&out, "owner-tasks.md");
    assert!(
        md.starts_with("# Qingxi Town Owner task sheets"),
        "{}",
        &md[..80]
    );
}

#[test]
fn user_template_replaces_the_built_in_one_file_by_file() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("my-templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("gap-report.md"),
        "# {{ unit }}: {{ report.summary.measures }} measures, score {{ score }}\n",
    )
    .unwrap();
    let (_t, out, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "md", "--templates", templates.to_str().unwrap()],
    );
    assert_eq!(
        read(&out, "gap-report.md"),
        "# 清溪镇: 158 measures, score 76.0\n"
    );
    // The documents the folder does not replace follow the built-in templates.
    assert!(read(&out, "owner-tasks.md").starts_with("# 清溪镇 责任单位任务清单"));
}

/// A document's context holds what its template names; a template that names a key (or
/// reads maps whole) sees exactly the values the full context holds.
#[test]
fn a_template_sees_every_key_it_names() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("t");
    std::fs::create_dir_all(&templates).unwrap();
    let named = "{% set o = owners | first %}{% set s = sets | first %}{% set g = critical | first %}\
                 {{ o.name }} {{ o.tasks | length }} {{ o.missing | length }} \
                 {{ o.evidence_tasks | length }} {{ s.categories | length }} {{ g.veto }} \
                 {{ g.open }} {{ report.summary.measures }}\n";
    let whole = "{{ owners | first | keys | sort | join(sep=\",\") | safe }}\n\
                 {{ critical | first | keys | sort | join(sep=\",\") | safe }}\n\
                 {{ sets | first | keys | sort | join(sep=\",\") | safe }}\n";
    std::fs::write(templates.join("gap-report.md"), named).unwrap();
    std::fs::write(templates.join("owner-tasks.md"), format!("{named}{whole}")).unwrap();
    let (_t, out, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "md", "--templates", templates.to_str().unwrap()],
    );
    let gap = read(&out, "gap-report.md");
    let tasks = read(&out, "owner-tasks.md");
    assert_eq!(gap, "经济发展局 11 6 0 5 true true 158\n");
    assert_eq!(tasks.lines().next(), gap.lines().next());
    assert_eq!(
        tasks.lines().skip(1).collect::<Vec<_>>(),
        [
            "evidence_tasks,measures,missing,name,open,overdue,score,tasks",
            "days_left,days_overdue,deadline,due,gaps,id,measure,missing,open,owners,set,\
             severity,severity_key,status,veto",
            "anchor,applicable,categories,counts,has_place,measures,name,open,overdue,score",
        ]
    );
}

/// The HTML body goes into the layout's output as it is, whether the layout prints it
/// once (it is then written beside the layout's text, never copied into it) or not.
#[test]
fn a_layout_gets_the_same_body_however_it_prints_it() {
    let page = |layout: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let templates = tmp.path().join("t");
        std::fs::create_dir_all(&templates).unwrap();
        std::fs::write(templates.join("layout.html"), layout).unwrap();
        let (_t, out, _) = build(
            &[&sample("qingxi-town.xlsx")],
            &[
                "--format",
                "html",
                "--templates",
                templates.to_str().unwrap(),
            ],
        );
        read(&out, "gap-report.html")
    };
    let once = page("<main>{{- body | safe -}}</main>\n");
    let body = once
        .strip_prefix("<main>")
        .and_then(|b| b.strip_suffix("</main>\n"))
        .unwrap();
    assert!(body.contains("<table>"), "{body}");
    assert_eq!(
        page("<main>{{ body | safe }}</main>{% if body %}!{% endif %}\n"),
        format!("<main>{body}</main>!\n")
    );
    assert_eq!(
        page("{{ body | safe }}|{{ body | safe }}"),
        format!("{body}|{body}")
    );
}

#[test]
fn template_errors_name_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("t");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("owner-tasks.md"), "line one\n{{ unit }\n").unwrap();
    let out = tmp.path().join("out");
    let qingxi = sample("qingxi-town.xlsx");
    let args = ["--templates", templates.to_str().unwrap()];
    let stderr = build_failing(tmp.path(), &[&qingxi], &args);
    assert!(stderr.starts_with("dossier: template "), "{stderr}");
    assert!(stderr.contains("owner-tasks.md:2:"), "{stderr}");
    assert!(!out.exists(), "a failed build left output");

    std::fs::remove_file(templates.join("owner-tasks.md")).unwrap();
    std::fs::write(templates.join("gap-reprot.md"), "typo").unwrap();
    let stderr = build_failing(tmp.path(), &[&qingxi], &args);
    assert!(
        stderr.contains(
            "gap-reprot.md: not a template dossier knows; the templates are gap-report.md"
        ),
        "{stderr}"
    );
}

#[test]
fn a_cell_cannot_add_attributes_to_a_heading() {
    let tmp = tempfile::tempdir().unwrap();
    let input = xlsx(
        tmp.path(),
        "inj.xlsx",
        "台账",
        &[
            &["序号", "类别", "措施内容", "牵头单位", "落实情况"],
            &[
                "1",
                "分类 {onclick=alert(2)}",
                "措施",
                "应急办 {onmouseover=alert(1)}",
                "未启动",
            ],
        ],
    );
    let (_t, out, _) = build(&[&input], &["--format", "html"]);
    for doc in ["evidence-checklist", "owner-tasks"] {
        let html = read(&out, &format!("{doc}.html"));
        assert!(!html.contains("onclick=\""), "{doc}");
        assert!(!html.contains("onmouseover=\""), "{doc}");
    }
    assert!(read(&out, "owner-tasks.html").contains("应急办 {onmouseover=alert(1)}</h2>"));
}

#[test]
fn a_failed_build_leaves_no_output_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A folder where gap-report.html must go makes the write fail after rendering.
    std::fs::create_dir_all(out.join("gap-report.html").join("x")).unwrap();
    dossier(tmp.path())
        .arg("build")
        .arg(sample("qingxi-town.xlsx"))
        .arg("-o")
        .arg(&out)
        .args(["--as-of", AS_OF])
        .assert()
        .code(2);
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["gap-report.html"],
        "outputs written before the failure"
    );
}

#[test]
fn the_unit_is_named_before_the_earliest_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let input = xlsx(
        tmp.path(),
        "t.xlsx",
        "市78条",
        &[
            &["清溪镇关于落实市安委会78条硬措施的工作台账"],
            &["序号", "措施内容", "落实情况"],
            &["1", "排查", "已完成"],
        ],
    );
    let (_t, out, _) = build(&[&input], &["--format", "md"]);
    assert!(read(&out, "gap-report.md").starts_with("# 清溪镇 差距分析报告"));
}
