//! `dossier diff OLD NEW` (issue 9, item 6): two snapshots of the sample with known
//! changes list exactly those changes, whichever way each side is given (workbook,
//! report.json, output folder); bad pairs are refused; identical inputs change nothing.

use crate::common::*;
use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A cell of the sample as rewritten: text, number or nothing.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

/// One sheet of the sample: its cells from A1 and its merged regions.
#[derive(Debug, Clone)]
struct Sheet {
    name: String,
    rows: Vec<Vec<Cell>>,
    merges: Vec<((u32, u32), (u32, u32))>,
}

/// The sample workbook as sheets of cells, dates as `YYYY-MM-DD` text.
fn read_sample() -> Vec<Sheet> {
    let mut book: Xlsx<_> = open_workbook(sample("qingxi-town.xlsx")).unwrap();
    let names = book.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let mut rows = vec![Vec::new(); r0 as usize];
            for row in range.rows() {
                let mut cells = vec![Cell::Empty; c0 as usize];
                cells.extend(row.iter().map(|d| match d {
                    Data::Empty | Data::Error(_) => Cell::Empty,
                    Data::String(s) => Cell::Text(s.clone()),
                    Data::Float(f) => Cell::Number(*f),
                    Data::Int(i) => Cell::Number(*i as f64),
                    Data::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.into()),
                    other => match other.as_date() {
                        Some(date) => Cell::Text(date.format("%Y-%m-%d").to_string()),
                        None => Cell::Text(other.to_string()),
                    },
                }));
                rows.push(cells);
            }
            let merges = book
                .merge_cells_by_sheet_name(&name)
                .unwrap()
                .into_iter()
                .map(|d| (d.start, d.end))
                .collect();
            Sheet { name, rows, merges }
        })
        .collect()
}

/// Writes sheets as an xlsx with their merged regions; returns its path.
fn write_book(dir: &Path, file: &str, sheets: &[Sheet]) -> PathBuf {
    let mut book = rust_xlsxwriter::Workbook::new();
    let plain = rust_xlsxwriter::Format::new();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name).unwrap();
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Empty => {}
                    Cell::Text(t) => {
                        ws.write_string(r as u32, c as u16, t).unwrap();
                    }
                    Cell::Number(n) => {
                        ws.write_number(r as u32, c as u16, *n).unwrap();
                    }
                }
            }
        }
        for ((r1, c1), (r2, c2)) in &sheet.merges {
            let text = match sheet
                .rows
                .get(*r1 as usize)
                .and_then(|r| r.get(*c1 as usize))
            {
                Some(Cell::Text(t)) => t.clone(),
                Some(Cell::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            ws.merge_range(*r1, *c1 as u16, *r2, *c2 as u16, &text, &plain)
                .unwrap();
        }
    }
    let path = dir.join(file);
    book.save(&path).unwrap();
    path
}

impl Sheet {
    /// The column whose header (row 2) says `header`.
    fn col(&self, header: &str) -> usize {
        self.rows[1]
            .iter()
            .position(|c| *c == Cell::Text(header.into()))
            .unwrap_or_else(|| panic!("{}: no column {header}", self.name))
    }

    /// The row of the measure with this id.
    fn row(&self, id: &str) -> usize {
        let col = self.col("序号");
        self.rows
            .iter()
            .position(|r| r.get(col) == Some(&Cell::Text(id.into())))
            .unwrap_or_else(|| panic!("{}: no measure {id}", self.name))
    }

    /// Sets the cell under `header` of measure `id`.
    fn set(&mut self, id: &str, header: &str, text: &str) {
        let (row, col) = (self.row(id), self.col(header));
        self.rows[row][col] = Cell::Text(text.into());
    }
}

fn sheet<'a>(sheets: &'a mut [Sheet], name: &str) -> &'a mut Sheet {
    sheets.iter_mut().find(|s| s.name == name).unwrap()
}

/// The as-of dates of the two snapshots: one day apart, so that exactly one open
/// measure (市78条 4, due 2026-12-15) passes its deadline between them.
const OLD_AS_OF: &str = "2026-12-15";
const NEW_AS_OF: &str = "2026-12-16";

/// Two snapshots of the sample in `dir`: `old.xlsx`, the sample rewritten unchanged, and
/// `new.xlsx` with the known changes (see [`expected`]).
fn snapshots(dir: &Path) -> (PathBuf, PathBuf) {
    let base = read_sample();
    let old = write_book(dir, "old.xlsx", &base);
    let mut changed = base;
    // Done: 省65条 27 was not started (no deadline).
    sheet(&mut changed, "省65条").set("27", "落实情况", "已完成");
    // Regressed: 国务院15条 3 was done (long-term, so it cannot become overdue).
    sheet(&mut changed, "国务院15条").set("3", "落实情况", "未启动");
    // Evidence gained: 国务院15条 1 had none of its four items, now all.
    sheet(&mut changed, "国务院15条").set("1", "已备材料", "齐全");
    // Evidence lost: 省65条 2 had its one item, now none.
    sheet(&mut changed, "省65条").set("2", "已备材料", "无");
    // Removed: 省65条 30, its row blanked (inside a merged category, not its top row).
    let s65 = sheet(&mut changed, "省65条");
    let row = s65.row("30");
    for c in s65.rows[row].iter_mut() {
        *c = Cell::Empty;
    }
    // Added: 市78条 79, a new last row.
    let s78 = sheet(&mut changed, "市78条");
    let mut added = vec![Cell::Empty; s78.rows[1].len()];
    for (header, text) in [
        ("序号", "79"),
        ("类别", "强化责任落实"),
        ("措施内容", "新增：建立安全生产举报奖励制度"),
        ("牵头单位", "应急管理分局"),
        ("落实情况", "推进中"),
        ("完成时限", "2027-03-31"),
    ] {
        added[s78.col(header)] = Cell::Text(text.into());
    }
    s78.rows.push(added);
    let new = write_book(dir, "new.xlsx", &changed);
    (old, new)
}

/// The lists of `diff.json` the known changes give, as `set id before→after` lines.
fn expected() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("improved", vec!["省65条 27 not_started→done"]),
        ("regressed", vec!["国务院15条 3 done→not_started"]),
        ("changed", vec![]),
        ("newly_overdue", vec!["市78条 4 not_started→not_started"]),
        ("done", vec!["省65条 27 not_started→done"]),
        ("added", vec!["市78条 79 null→partial"]),
        ("removed", vec!["省65条 30 not_started→null"]),
    ]
}

/// A list of `diff.json` as `set id before→after` lines.
fn lines(diff: &Value, list: &str) -> Vec<String> {
    let status = |v: &Value| v.as_str().unwrap_or("null").to_string();
    diff[list]
        .as_array()
        .unwrap_or_else(|| panic!("no list {list} in {diff:#}"))
        .iter()
        .map(|c| {
            format!(
                "{} {} {}→{}",
                c["set"].as_str().unwrap(),
                c["id"].as_str().unwrap(),
                status(&c["before"]),
                status(&c["after"])
            )
        })
        .collect()
}

/// An evidence list of `diff.json` as `set id item` lines.
fn items(diff: &Value, list: &str) -> Vec<String> {
    diff[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["set"].as_str().unwrap(),
                e["id"].as_str().unwrap(),
                e["item"].as_str().unwrap()
            )
        })
        .collect()
}

/// Asserts that `diff` lists exactly the known changes.
fn assert_known_changes(diff: &Value) {
    for (list, want) in expected() {
        assert_eq!(lines(diff, list), want, "{list}");
    }
    assert_eq!(
        items(diff, "evidence_gained"),
        [
            "国务院15条 1 整改台账",
            "国务院15条 1 工作方案",
            "国务院15条 1 演练记录",
            "国务院15条 1 会议纪要"
        ]
    );
    assert_eq!(items(diff, "evidence_lost"), ["省65条 2 整改台账"]);
}

/// `dossier diff ARGS… -o DIR/OUT` in `dir`, expecting success; returns the output
/// folder and stderr.
fn diff_ok(dir: &Path, args: &[&std::ffi::OsStr], out: &str) -> (PathBuf, String) {
    let out = dir.join(out);
    let assert = dossier(dir)
        .arg("diff")
        .args(args)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    (out, stderr)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `dossier build INPUT --format json -o DIR --as-of AS_OF` in `dir`.
fn build_json(dir: &Path, input: &Path, out: &str, as_of: &str) -> PathBuf {
    let out = dir.join(out);
    dossier(dir)
        .arg("build")
        .arg(input)
        .arg("-o")
        .arg(&out)
        .args(["--as-of", as_of, "--format", "json"])
        .assert()
        .success();
    out
}

#[test]
fn two_snapshots_of_the_sample_list_exactly_the_known_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = snapshots(tmp.path());
    let (out, stderr) = diff_ok(
        tmp.path(),
        &[
            old.as_os_str(),
            new.as_os_str(),
            "--old-as-of".as_ref(),
            OLD_AS_OF.as_ref(),
            "--as-of".as_ref(),
            NEW_AS_OF.as_ref(),
        ],
        "progress",
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["diff.json", "progress.html", "progress.md", "progress.pdf"]
    );
    let diff = read_json(&out.join("diff.json"));
    assert_eq!(diff["schema"], "dossier.diff/1");
    assert_known_changes(&diff);

    // Scores and grades are the two reports' own.
    let old_report = build_json(tmp.path(), &old, "old-report", OLD_AS_OF);
    let new_report = build_json(tmp.path(), &new, "new-report", NEW_AS_OF);
    let (a, b) = (
        read_json(&old_report.join("report.json")),
        read_json(&new_report.join("report.json")),
    );
    assert_eq!(diff["score_before"], a["summary"]["score"]);
    assert_eq!(diff["score_after"], b["summary"]["score"]);
    assert_eq!(diff["grade_before"], a["summary"]["grade"]);
    assert_eq!(diff["grade_after"], b["summary"]["grade"]);
    assert_ne!(diff["score_before"], diff["score_after"]);
    assert_eq!(diff["before"]["source"], "old.xlsx");
    assert_eq!(diff["after"]["unit"], "清溪镇");
    assert_eq!(diff["matched"], 157);
    // Per set and per owner, before and after, as each report says them.
    for (key, group) in [("sets", "sets"), ("owners", "owners")] {
        for g in b[group].as_array().unwrap() {
            let row = diff[key]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == g["name"])
                .unwrap_or_else(|| panic!("{key}: no {}", g["name"]));
            assert_eq!(row["score_after"], g["score"], "{key} {}", g["name"]);
            let before = a[group]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["name"] == g["name"])
                .map_or(Value::Null, |x| x["score"].clone());
            assert_eq!(row["score_before"], before, "{key} {}", g["name"]);
        }
    }
    assert!(
        stderr.contains("1 improved, 1 regressed, 1 done, 1 newly overdue, 1 added, 1 removed")
    );
    // The PDF says it too, and the same inputs give the same files byte for byte.
    let pdf = crate::pdf::text(&out.join("progress.pdf"), None);
    assert!(pdf.contains("清溪镇 进展报告"), "{pdf}");
    assert!(pdf.contains("新增：建立安全生产举报奖励制度"), "{pdf}");
    crate::tagged::assert_well_formed(&out.join("progress.pdf"));
    let (again, _) = diff_ok(
        tmp.path(),
        &[
            old.as_os_str(),
            new.as_os_str(),
            "--old-as-of".as_ref(),
            OLD_AS_OF.as_ref(),
            "--as-of".as_ref(),
            NEW_AS_OF.as_ref(),
        ],
        "again",
    );
    for name in &names {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn report_json_and_output_folder_sides_give_the_same_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = snapshots(tmp.path());
    let old_out = build_json(tmp.path(), &old, "old-build", OLD_AS_OF);
    let new_out = build_json(tmp.path(), &new, "new-build", NEW_AS_OF);
    // report.json against report.json: each carries its own as-of.
    let (out, _) = diff_ok(
        tmp.path(),
        &[
            old_out.join("report.json").as_os_str(),
            new_out.join("report.json").as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ],
        "by-report",
    );
    let by_report = read_json(&out.join("diff.json"));
    assert_known_changes(&by_report);
    assert_eq!(by_report["before"]["source"], "old-build/report.json");
    // An output folder against a workbook.
    let (out, _) = diff_ok(
        tmp.path(),
        &[
            old_out.as_os_str(),
            new.as_os_str(),
            "--as-of".as_ref(),
            NEW_AS_OF.as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
        ],
        "by-folder",
    );
    let by_folder = read_json(&out.join("diff.json"));
    assert_known_changes(&by_folder);
    assert_eq!(by_folder["before"]["source"], "old-build/");
    // Whichever way the sides came, the comparison is the same but for their names.
    let strip = |mut v: Value| {
        v["before"]["source"] = Value::Null;
        v["after"]["source"] = Value::Null;
        v
    };
    assert_eq!(strip(by_report), strip(by_folder));
}

#[test]
fn identical_snapshots_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = sample("qingxi-town.xlsx");
    let (out, stderr) = diff_ok(
        tmp.path(),
        &[
            sample.as_os_str(),
            sample.as_os_str(),
            "--as-of".as_ref(),
            AS_OF.as_ref(),
            "--format".as_ref(),
            "json,md".as_ref(),
        ],
        "same",
    );
    let diff = read_json(&out.join("diff.json"));
    for list in [
        "improved",
        "regressed",
        "changed",
        "newly_overdue",
        "done",
        "added",
        "removed",
        "evidence_gained",
        "evidence_lost",
    ] {
        assert_eq!(diff[list], Value::Array(vec![]), "{list}");
    }
    assert_eq!(diff["score_before"], diff["score_after"]);
    assert_eq!(diff["score_change"], 0.0);
    assert_eq!(diff["matched"], 158);
    let md = std::fs::read_to_string(out.join("progress.md")).unwrap();
    assert!(md.contains("两次之间措施状态和佐证材料均无变化。"), "{md}");
    assert!(stderr.contains("0 improved, 0 regressed"), "{stderr}");
}

/// `dossier diff OLD NEW` in `dir` expecting exit 2; returns stderr.
fn diff_failing(dir: &Path, old: &Path, new: &Path) -> String {
    let assert = dossier(dir)
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(["--as-of", AS_OF])
        .assert()
        .code(2);
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

#[test]
fn a_bad_pair_is_one_line_naming_both_sides_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let mut other = read_sample();
    for s in &mut other {
        if let Some(Cell::Text(t)) = s.rows.first_mut().and_then(|r| r.first_mut()) {
            *t = t.replace("清溪镇", "塘厦镇");
        }
    }
    let other = write_book(tmp.path(), "tangxia.xlsx", &other);
    let qingxi = sample("qingxi-town.xlsx");
    let stderr = diff_failing(tmp.path(), &qingxi, &other);
    assert_eq!(
        stderr,
        format!(
            "dossier: {} (清溪镇) and {} (塘厦镇) are not the same unit; diff compares two snapshots of one unit\n",
            qingxi.display(),
            other.display()
        )
    );
    let english = sample("sample-en.xlsx");
    let stderr = diff_failing(tmp.path(), &qingxi, &english);
    assert_eq!(
        stderr,
        format!(
            "dossier: {} and {} have no measure in common (matched by set and id, then by text); diff compares two snapshots of one unit\n",
            qingxi.display(),
            english.display()
        )
    );
    // Nothing was written.
    assert!(!tmp.path().join("out").exists());
    // A folder that is not a build's output, and JSON that is not a report.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let stderr = diff_failing(tmp.path(), &empty, &qingxi);
    assert!(
        stderr.starts_with("dossier: ") && stderr.contains("without report.json"),
        "{stderr}"
    );
    let json = tmp.path().join("other.json");
    std::fs::write(&json, r#"{"schema": "something/1"}"#).unwrap();
    let stderr = diff_failing(tmp.path(), &json, &qingxi);
    assert!(stderr.contains("not a dossier report.json"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn the_default_output_is_named_after_new_and_a_side_inside_it_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = snapshots(tmp.path());
    dossier(tmp.path())
        .arg("diff")
        .arg(&old)
        .arg(&new)
        .args(["--as-of", AS_OF, "--format", "json"])
        .assert()
        .success();
    assert!(tmp.path().join("out/new-diff/diff.json").is_file());
    // Again into the same folder: it is dossier's, replaced whole.
    dossier(tmp.path())
        .arg("diff")
        .arg(&old)
        .arg(&new)
        .args(["--as-of", AS_OF, "--format", "md"])
        .assert()
        .success();
    assert!(!tmp.path().join("out/new-diff/diff.json").exists());
    assert!(tmp.path().join("out/new-diff/progress.md").is_file());
    // A build's folder as OLD and as -o would lose the snapshot: refused, kept.
    let build = build_json(tmp.path(), &old, "snap", AS_OF);
    let assert = dossier(tmp.path())
        .arg("diff")
        .arg(&build)
        .arg(&new)
        .arg("-o")
        .arg(&build)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("is an input of this run"), "{stderr}");
    assert!(build.join("report.json").is_file());
}

#[test]
fn progress_report_markdown_and_html() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = snapshots(tmp.path());
    let (out, _) = diff_ok(
        tmp.path(),
        &[
            old.as_os_str(),
            new.as_os_str(),
            "--old-as-of".as_ref(),
            OLD_AS_OF.as_ref(),
            "--as-of".as_ref(),
            NEW_AS_OF.as_ref(),
            "--format".as_ref(),
            "md,html".as_ref(),
        ],
        "progress",
    );
    let md = std::fs::read_to_string(out.join("progress.md")).unwrap();
    insta::assert_snapshot!("qingxi-town-progress-zh-CN", md);
    let html =
        scraper::Html::parse_document(&std::fs::read_to_string(out.join("progress.html")).unwrap());
    let text: String = html.root_element().text().collect();
    assert!(text.contains("清溪镇 进展报告"), "{text}");
    assert!(text.contains("新增：建立安全生产举报奖励制度"));
    let body = scraper::Selector::parse("body.doc-progress").unwrap();
    assert_eq!(html.select(&body).count(), 1);
    // The other languages have every label.
    for (lang, title) in [("en", "Progress report"), ("zh-TW", "進展報告")] {
        let (out, _) = diff_ok(
            tmp.path(),
            &[
                old.as_os_str(),
                new.as_os_str(),
                "--as-of".as_ref(),
                NEW_AS_OF.as_ref(),
                "--format".as_ref(),
                "md".as_ref(),
                "--lang".as_ref(),
                lang.as_ref(),
            ],
            lang,
        );
        let md = std::fs::read_to_string(out.join("progress.md")).unwrap();
        assert!(md.contains(title), "{lang}: {md}");
        assert!(!md.contains("pr_"), "{lang}: a label is missing: {md}");
    }
}

/// One string of four million newlines in a hand-made report.json is cut to a cell's
/// length when read, so the progress report stays small (it cost 1.2 GB; issue 18,
/// item 6).
#[test]
fn a_huge_string_in_a_report_is_cut_to_a_cells_length() {
    let tmp = tempfile::tempdir().unwrap();
    let old = build_json(tmp.path(), &sample("qingxi-town.xlsx"), "old", AS_OF);
    let mut report: Value =
        serde_json::from_slice(&std::fs::read(old.join("report.json")).unwrap()).unwrap();
    let big = "\n".repeat(4_000_000);
    report["measures"][0]["measure"] = big.clone().into();
    report["measures"][0]["owners"] = vec![big.clone()].into();
    report["measures"][0]["status"] = "not_started".into();
    report["measures"][0]["status_text"] = "未启动".into();
    for sheet in report["sheets"].as_array_mut().unwrap() {
        sheet["title"] = big.clone().into();
    }
    let new = tmp.path().join("new.json");
    std::fs::write(&new, serde_json::to_vec(&report).unwrap()).unwrap();
    dossier(tmp.path())
        .arg("diff")
        .arg(old.join("report.json"))
        .arg(&new)
        .args(["-o", "d", "--format", "md,html"])
        .assert()
        .success();
    for name in ["progress.md", "progress.html"] {
        let len = std::fs::metadata(tmp.path().join("d").join(name))
            .unwrap()
            .len();
        assert!(len < 1_000_000, "{name}: {len} bytes");
    }
}
