//! The evidence folder on the bundled sample: `inputs/evidence/qingxi-town/` judged
//! against `inputs/qingxi-town.xlsx` must give exactly the expected judgement
//! (tests/fixtures/evidence-qingxi-town.json), and the documents must show it.

use crate::common::{AS_OF, build, fixture, root, sample};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn evidence_dir() -> PathBuf {
    root().join("inputs/evidence/qingxi-town")
}

fn sample_report() -> Value {
    let ev = evidence_dir();
    let (_tmp, out, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "json", "--evidence", ev.to_str().unwrap()],
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn codes(report: &Value) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    for d in report["diagnostics"].as_array().unwrap() {
        let key = (
            d["code"].as_str().unwrap_or("").to_string(),
            d["severity"].as_str().unwrap().to_string(),
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

#[test]
fn sample_evidence_folder_gives_exactly_the_expected_judgement() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("evidence-qingxi-town.json")).unwrap(),
    )
    .unwrap();
    let r = sample_report();
    let ev = &r["evidence"];
    assert_eq!(ev["root"], "qingxi-town");
    assert_eq!(ev["period"]["from"], "2026-01-01");
    assert_eq!(ev["period"]["to"], AS_OF);
    assert_eq!(ev["files"], expected["evidence_files_considered"]);
    assert_eq!(ev["bytes"], expected["evidence_bytes"]);
    assert_eq!(ev["matched"], expected["evidence_matched"]);
    assert_eq!(ev["orphans"], expected["orphans"]);
    assert_eq!(r["summary"]["evidence_problems"], expected["problem_files"]);
    assert_eq!(r["summary"]["evidence_files"], expected["evidence_matched"]);
    assert_eq!(
        r["summary"]["evidence_missing"],
        expected["measures_with_evidence_missing"]
    );
    let c = codes(&r);
    let n = |code: &str, sev: &str| *c.get(&(code.into(), sev.into())).unwrap_or(&0);
    assert_eq!(
        n("evidence_claimed_missing", "warning") as u64,
        expected["claimed_missing_measures"].as_u64().unwrap()
    );
    for (code, key) in [
        ("evidence_empty", "empty"),
        ("evidence_unreadable", "unreadable"),
        ("evidence_encrypted", "encrypted"),
        ("evidence_stale", "stale"),
    ] {
        assert_eq!(
            n(code, "warning") as u64,
            expected["problem_counts"][key].as_u64().unwrap(),
            "{code}"
        );
    }
    assert_eq!(
        n("evidence_outside", "warning"),
        1,
        "the link to ../../departments.csv"
    );
    assert_eq!(n("evidence_orphan", "info"), 1);
    assert_eq!(
        n("evidence_duplicate", "info") as u64,
        expected["duplicates"]["cross_measure_groups"]
            .as_u64()
            .unwrap()
    );
    assert_eq!(
        n("evidence_duplicate", "warning") as u64,
        expected["duplicates"]["same_measure"].as_u64().unwrap()
    );
    // Items in hand, for every measure, and every assigned file's path and SHA-256.
    let mut hashes = BTreeMap::new();
    for m in r["measures"].as_array().unwrap() {
        let key = format!(
            "{}|{}",
            m["set"].as_str().unwrap(),
            m["id"].as_str().unwrap()
        );
        assert_eq!(
            m["evidence_found"], expected["measures"][&key],
            "evidence_found of {key}"
        );
        assert_ne!(m["evidence_state"], "unknown", "{key}");
        for f in m["evidence_files"].as_array().unwrap() {
            hashes.insert(f["path"].as_str().unwrap().to_string(), f["sha256"].clone());
        }
    }
    let orphans: Vec<&str> = expected["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    let mut want = 0;
    for (path, sha) in expected["sha256"].as_object().unwrap() {
        if orphans.contains(&path.as_str()) {
            continue;
        }
        want += 1;
        assert_eq!(hashes.get(path), Some(sha), "sha256 of {path}");
    }
    assert_eq!(hashes.len(), want, "no file assigned that should not be");
}

#[test]
fn without_evidence_the_report_has_null_evidence_and_no_file_keys() {
    let (_tmp, out, _) = build(&[&sample("qingxi-town.xlsx")], &["--format", "json"]);
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(r["evidence"].is_null());
    assert!(r["summary"].get("evidence_files").is_none());
    let m = &r["measures"][0];
    assert!(m.get("evidence_found").is_none());
    assert!(m.get("evidence_files").is_none());
}

#[test]
fn documents_show_the_files_behind_each_item_and_the_evidence_section() {
    let ev = evidence_dir();
    for lang in ["zh-CN", "en"] {
        let (_tmp, out, _) = build(
            &[&sample("qingxi-town.xlsx")],
            &[
                "--format",
                "md,html",
                "--lang",
                lang,
                "--evidence",
                ev.to_str().unwrap(),
            ],
        );
        let read = |n: &str| std::fs::read_to_string(out.join(n)).unwrap();
        let checklist = read("evidence-checklist.md");
        // A file under its item, with pages and date; a problem file named as such.
        assert!(
            checklist.contains("2026年市78条佐证材料/第九条/培训签到表.pdf"),
            "{lang}: checklist lists the files"
        );
        let gap = read("gap-report.md");
        let owner = read("owner-tasks.md");
        let html = read("gap-report.html");
        if lang == "zh-CN" {
            assert!(checklist.contains(
                "☑ 培训签到表<br>　· 2026年市78条佐证材料/第九条/培训签到表.pdf（2页 · 2026-05-12）"
            ));
            assert!(gap.contains("## 佐证材料核查"));
            assert!(gap.contains("### 台账称已备但无有效文件支撑（48）"));
            assert!(gap.contains("### 存在问题的文件（12）"));
            assert!(gap.contains("### 未归属任何措施的文件（5）"));
            assert!(gap.contains("- 照片/IMG\\_9999.jpg"));
            assert!(owner.contains("### 佐证材料：需补充或更正"));
            assert!(html.contains("佐证材料核查"));
        } else {
            assert!(gap.contains("## Evidence folder check"));
            assert!(gap.contains("### Files with problems (12)"));
            assert!(owner.contains("### Evidence to supply or fix"));
        }
    }
}

#[test]
fn evidence_pdfs_are_readable_as_text() {
    let ev = evidence_dir();
    let (_tmp, out, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "pdf", "--evidence", ev.to_str().unwrap()],
    );
    let text = crate::pdf::text(&out.join("gap-report.pdf"), None);
    assert!(
        text.contains("佐证材料核查"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(text.contains("存在问题的文件"));
}

#[test]
fn markdown_snapshots_with_the_sample_evidence_folder() {
    let ev = evidence_dir();
    let (_tmp, out, _) = build(
        &[&sample("qingxi-town.xlsx")],
        &["--format", "md", "--evidence", ev.to_str().unwrap()],
    );
    for doc in ["gap-report", "evidence-checklist", "owner-tasks"] {
        let text = std::fs::read_to_string(out.join(format!("{doc}.md"))).unwrap();
        insta::assert_snapshot!(format!("qingxi-town-evidence-{doc}"), text);
    }
}

#[test]
fn check_closes_with_the_evidence_line() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = evidence_dir();
    let out = crate::common::stdout_of(
        tmp.path(),
        &[
            "check".as_ref(),
            sample("qingxi-town.xlsx").as_os_str(),
            "--as-of".as_ref(),
            AS_OF.as_ref(),
            "--evidence".as_ref(),
            ev.as_os_str(),
        ],
        0,
    );
    assert_eq!(
        out.lines().last(),
        Some(
            "evidence qingxi-town: 266 files, 261 matched to measures, 12 with problems, 5 orphans"
        )
    );
    // Every evidence warning names its file relative to the folder.
    assert!(
        out.contains("一、国务院15条/第一条/会议纪要.pdf: warning: the file is empty (0 bytes)"),
        "{out}"
    );
}
