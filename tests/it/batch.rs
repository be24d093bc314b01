//! Many units in one run (issue 9, items 1, 2, 3 and 5): a project of units built in one
//! run equals each unit built alone, `--jobs` does not change a byte, a broken unit is
//! named while the others are built, the league table's figures and order, and shards
//! joined by `dossier summary` equal the one-run league table.

use crate::common::{AS_OF, copy_dir, dossier, sample, xlsx};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `dir`, by path relative to it, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts two folders hold the same files with the same bytes, naming the first that
/// differs.
fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        tb.keys().collect::<Vec<_>>(),
        "{} vs {}",
        a.display(),
        b.display()
    );
    for (name, bytes) in &ta {
        assert!(
            bytes == &tb[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// A small workbook of three measures in 市78条, led by 应急办 and 消防所: 1 and 3
/// done, 2 not started (score 66.7, grade 一般).
fn small_unit(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    xlsx(
        dir,
        "gamma.xlsx",
        "市78条",
        &[
            &["序号", "措施内容", "落实情况", "牵头单位"],
            &["1", "排查隐患", "已完成", "应急办"],
            &["2", "动火作业：加强宣传引导", "未启动", "应急办"],
            &["3", "开展培训", "已完成", "消防所"],
        ],
    )
}

/// A workbook made with rust_xlsxwriter and cut short: a unit that cannot be read.
fn broken_unit(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let whole = small_unit(&dir.join("tmp"));
    let bytes = std::fs::read(&whole).unwrap();
    std::fs::write(dir.join("broken.xlsx"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::remove_dir_all(dir.join("tmp")).unwrap();
}

/// A project in `dir`: `towns/alpha` (the sample with its evidence folder),
/// `towns/beta` (the sample alone) by folder pattern, and `gamma` (a small workbook,
/// display name 伽马镇) as a `[[unit]]` table; with `broken`, also `towns/broken`.
fn project(dir: &Path, broken: bool) {
    let towns = dir.join("towns");
    for name in ["alpha", "beta"] {
        std::fs::create_dir_all(towns.join(name)).unwrap();
        std::fs::copy(
            sample("qingxi-town.xlsx"),
            towns.join(name).join("qingxi-town.xlsx"),
        )
        .unwrap();
    }
    copy_dir(
        &sample("evidence").join("qingxi-town"),
        &towns.join("alpha").join("evidence"),
    );
    small_unit(&dir.join("gamma"));
    if broken {
        broken_unit(&towns.join("broken"));
    }
    std::fs::write(
        dir.join("dossier.toml"),
        format!(
            "as_of = {AS_OF}\nunits = \"towns/*\"\n\n[[unit]]\nname = \"gamma\"\ninputs = [\"gamma/*.xlsx\"]\ndisplay = \"伽马镇\"\n"
        ),
    )
    .unwrap();
}

/// `dossier build ARGS…` in `dir`: exit code and stderr.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = dossier(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn summary_json(root: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(root.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn each_unit_of_a_batch_equals_that_unit_built_alone() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), false);
    let (code, stderr) = run(tmp.path(), &["build", "--jobs", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("3 of 3 units built; league table in out: summary.json, summary.md, summary.html, summary.pdf"),
        "{stderr}"
    );
    let alone: [(&str, Vec<&str>); 3] = [
        (
            "alpha",
            vec![
                "towns/alpha/qingxi-town.xlsx",
                "--evidence",
                "towns/alpha/evidence",
            ],
        ),
        ("beta", vec!["towns/beta/qingxi-town.xlsx"]),
        ("gamma", vec!["gamma/gamma.xlsx", "--unit", "伽马镇"]),
    ];
    for (name, args) in alone {
        let target = format!("alone/{name}");
        let mut cmd = vec!["build"];
        cmd.extend(args);
        cmd.extend(["-o", &target]);
        let (code, stderr) = run(tmp.path(), &cmd);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_same_tree(
            &tmp.path().join("out").join(name),
            &tmp.path().join(&target),
        );
    }
    // Every format of every unit is there, and the league table beside them.
    let names: Vec<String> = tree(&tmp.path().join("out")).into_keys().collect();
    for f in [
        "alpha/report.json",
        "alpha/gap-report.pdf",
        "gamma/owner-tasks.html",
        "summary.json",
        "summary.md",
        "summary.html",
        "summary.pdf",
        "summary-score.svg",
        "summary-grades.svg",
    ] {
        assert!(names.iter().any(|n| n == f), "no {f} in {names:?}");
    }
    let gap = std::fs::read_to_string(tmp.path().join("out/gamma/gap-report.md")).unwrap();
    assert!(gap.starts_with("# 伽马镇 差距分析报告"), "{gap}");
    // The league table is a tagged PDF like a unit's documents.
    crate::tagged::assert_well_formed(&tmp.path().join("out/summary.pdf"));
}

#[test]
fn one_job_and_four_jobs_write_identical_trees() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), true);
    let (c1, e1) = run(tmp.path(), &["build", "--jobs", "1", "-o", "one"]);
    let (c4, e4) = run(tmp.path(), &["build", "--jobs", "4", "-o", "four"]);
    assert_eq!((c1, c4), (2, 2), "{e1}\n{e4}");
    assert_same_tree(&tmp.path().join("one"), &tmp.path().join("four"));
}

#[test]
fn the_league_table_ranks_units_with_their_figures() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), true);
    let (code, stderr) = run(tmp.path(), &["build", "--format", "json,md"]);
    assert_eq!(code, 2, "{stderr}");
    let s = summary_json(&tmp.path().join("out"));
    assert_eq!(s["schema"], "dossier.summary/1");
    assert_eq!(s["as_of"], AS_OF);
    // Every field but the score, which is checked below.
    let rows: Vec<Value> = s["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let mut u = u.clone();
            u.as_object_mut().unwrap().remove("score");
            u
        })
        .collect();
    let row = |name: &str, grade: &str, figures: [u64; 5]| {
        json!({
            "name": name, "grade": grade, "measures": figures[0], "open": figures[1],
            "overdue": figures[2], "veto_open": figures[3], "evidence_missing": figures[4],
            "failed": null
        })
    };
    let n = |v: u64| Value::from(v);
    // The two copies of the sample tie at 76.0 (by name then); the evidence folder of
    // alpha decides more items are missing than beta's workbook says.
    assert_eq!(rows[0], row("alpha", "较差", [158, 55, 16, 6, 86]));
    assert_eq!(rows[1], row("beta", "较差", [158, 55, 16, 6, 73]));
    assert_eq!(rows[2], row("gamma", "一般", [3, 1, 0, 0, 0]));
    assert_eq!(rows[3]["name"], "broken");
    for key in [
        "grade",
        "measures",
        "open",
        "overdue",
        "veto_open",
        "evidence_missing",
    ] {
        assert_eq!(rows[3][key], Value::Null, "{key}");
    }
    assert_eq!(s["units"][3]["score"], Value::Null);
    let reason = rows[3]["failed"].as_str().unwrap();
    assert!(
        reason.starts_with("broken.xlsx: the workbook is damaged or truncated"),
        "{reason}"
    );
    let scores: Vec<f64> = s["units"].as_array().unwrap()[..3]
        .iter()
        .map(|u| u["score"].as_f64().unwrap())
        .collect();
    assert!((scores[0] - 76.0479).abs() < 1e-3 && scores[0] == scores[1]);
    assert!((scores[2] - 200.0 / 3.0).abs() < 1e-9);
    // 市78条 2 is open in all three units that were read: the commonest gap.
    let first = &s["common_gaps"][0];
    assert_eq!(
        (&first["set"], &first["id"], &first["units_open"]),
        (&"市78条".into(), &"2".into(), &n(3))
    );
    assert_eq!(
        first["measure"],
        "动火作业：加强宣传引导，向群众普及安全知识"
    );
    assert_eq!(s["common_gaps"][1]["units_open"], 2);
    // 应急办 leads in gamma only (score 50); the sample's departments lead in two units.
    let owners = s["owners"].as_array().unwrap();
    let yjb = owners.iter().find(|o| o["name"] == "应急办").unwrap();
    assert_eq!((&yjb["units"], yjb["score"].as_f64()), (&n(1), Some(50.0)));
    let jj = owners.iter().find(|o| o["name"] == "经济发展局").unwrap();
    assert_eq!(jj["units"], 2);
    let scores: Vec<f64> = owners.iter().filter_map(|o| o["score"].as_f64()).collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
    // The Markdown lists the ranking in the same order.
    let md = std::fs::read_to_string(tmp.path().join("out/summary.md")).unwrap();
    let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("no {s:?} in {md}"));
    assert!(at("| 1 | alpha | 76.0 | 较差 |") < at("| 1 | beta | 76.0 | 较差 |"));
    assert!(at("| 1 | beta |") < at("| 3 | gamma | 66.7 | 一般 | 3 | 1 | 0 | 0 | 0 |"));
    assert!(at("## 未能读取的单位（1）") < at("| broken | broken.xlsx: the workbook is damaged"));
}

#[test]
fn a_broken_unit_is_named_and_the_others_are_built() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), true);
    let (code, stderr) = run(tmp.path(), &["build", "--format", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let s = summary_json(&tmp.path().join("out"));
    let reason = s["units"][3]["failed"].as_str().unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[lines.len() - 2..],
        [
            "3 of 4 units built; league table in out: summary.json",
            &format!("dossier: unit broken failed: {reason}"),
        ],
        "{stderr}"
    );
    // Not a terminal: one plain line per unit, in the order they finished.
    let mut per_unit: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with('['))
        .map(|l| l.split_once("] ").unwrap().1)
        .collect();
    per_unit.sort();
    assert_eq!(
        per_unit,
        [
            "alpha: score 76.0, grade 较差; 55 open, 16 overdue",
            "beta: score 76.0, grade 较差; 55 open, 16 overdue",
            &format!("broken: failed: {reason}"),
            "gamma: score 66.7, grade 一般; 1 open, 0 overdue",
        ]
    );
    for name in ["alpha", "beta", "gamma"] {
        assert!(
            tmp.path()
                .join("out")
                .join(name)
                .join("report.json")
                .is_file()
        );
    }
    assert!(!tmp.path().join("out/broken").exists());
}

#[test]
fn shards_joined_by_summary_equal_the_one_run_league_table() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), true);
    let (code, stderr) = run(tmp.path(), &["build", "-o", "whole"]);
    assert_eq!(code, 2, "{stderr}");
    let mut seen = Vec::new();
    for k in 1..=3 {
        let root = format!("shard-{k}");
        let shard = format!("{k}/3");
        let (code, stderr) = run(tmp.path(), &["build", "--shard", &shard, "-o", &root]);
        assert!(code == 0 || code == 2, "{stderr}");
        let s = summary_json(&tmp.path().join(&root));
        let names: Vec<String> = s["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_string())
            .collect();
        // Balanced: four units over three shards, one or two each.
        assert!((1..=2).contains(&names.len()), "{k}: {names:?}");
        seen.extend(names);
    }
    seen.sort();
    assert_eq!(seen, ["alpha", "beta", "broken", "gamma"]);
    let (code, stderr) = run(
        tmp.path(),
        &["summary", "shard-1", "shard-2", "shard-3", "-o", "joined"],
    );
    assert_eq!(code, 2, "a unit failed: {stderr}");
    assert!(
        stderr.contains("dossier: unit broken failed: broken.xlsx"),
        "{stderr}"
    );
    for f in [
        "summary.json",
        "summary.md",
        "summary.html",
        "summary.pdf",
        "summary-score.svg",
        "summary-grades.svg",
    ] {
        let a = std::fs::read(tmp.path().join("whole").join(f)).unwrap();
        let b = std::fs::read(tmp.path().join("joined").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    // A unit given twice is refused.
    let (code, stderr) = run(tmp.path(), &["summary", "whole", "shard-1", "-o", "x"]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("dossier: unit "), "{stderr}");
    assert!(stderr.contains(" is in both "), "{stderr}");
}

#[test]
fn only_picks_units_and_names_an_unknown_one() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), false);
    let (code, stderr) = run(
        tmp.path(),
        &["build", "--only", "gamma,beta", "--format", "json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["beta", "gamma", "summary.json"]);
    let (code, stderr) = run(tmp.path(), &["build", "--only", "delta"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "dossier: --only: no unit named \"delta\" in dossier.toml; its units are alpha, beta, gamma\n"
    );
}

#[test]
fn units_are_found_relative_to_the_config_and_refusals_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    project(&proj, false);
    let (code, stderr) = run(
        tmp.path(),
        &[
            "build",
            "--config",
            "proj/dossier.toml",
            "--only",
            "gamma",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(tmp.path().join("out/gamma/report.json").is_file());

    std::fs::write(proj.join("sub.toml"), "as_of = 2026-12-15\n").unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["build"],
            "dossier: no INPUT given, and there is no dossier.toml here to name units (units = \"towns/*\" or [[unit]] tables)\n",
        ),
        (
            &["build", "--config", "proj/sub.toml"],
            "dossier: no INPUT given, and proj/sub.toml names no units (units = \"towns/*\" or [[unit]] tables)\n",
        ),
        (
            &["build", "x.xlsx", "--jobs", "2"],
            "dossier: --only, --jobs, --shard and --previous build the units of a project; give them without INPUT (for one unit, dossier diff compares two snapshots)\n",
        ),
        (
            &["build", "--config", "proj/dossier.toml", "--shard", "4/3"],
            "dossier: --shard \"4/3\": give K/N with 1 ≤ K ≤ N, e.g. --shard 2/3\n",
        ),
        (
            &["check"],
            "dossier: no INPUT given: name the workbooks to read\n",
        ),
    ];
    for (args, expected) in cases {
        let (code, stderr) = run(tmp.path(), args);
        assert_eq!((code, stderr.as_str()), (2, expected), "{args:?}");
    }
}

#[test]
fn previous_run_adds_each_units_change_and_summary_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), false);
    let (code, stderr) = run(tmp.path(), &["build", "--format", "json", "-o", "last"]);
    assert_eq!(code, 0, "{stderr}");
    // Since then: gamma's measure 2 got done, measure 3 regressed to not started.
    xlsx(
        &tmp.path().join("gamma"),
        "gamma.xlsx",
        "市78条",
        &[
            &["序号", "措施内容", "落实情况", "牵头单位"],
            &["1", "排查隐患", "已完成", "应急办"],
            &["2", "动火作业：加强宣传引导", "已完成", "应急办"],
            &["3", "开展培训", "未启动", "消防所"],
        ],
    );
    // A unit new since the last run has no change to show.
    std::fs::remove_dir_all(tmp.path().join("last").join("beta")).unwrap();
    let (code, stderr) = run(tmp.path(), &["build", "--previous", "last", "-o", "now"]);
    assert_eq!(code, 0, "{stderr}");
    let s = summary_json(&tmp.path().join("now"));
    let unit = |name: &str| {
        s["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .unwrap()
            .clone()
    };
    let gamma = unit("gamma");
    assert_eq!(gamma["since_last"]["improved"], 1, "{gamma}");
    assert_eq!(gamma["since_last"]["regressed"], 1, "{gamma}");
    assert_eq!(gamma["since_last"]["done"], 1, "{gamma}");
    assert_eq!(gamma["since_last"]["grade_before"], "一般", "{gamma}");
    assert_eq!(unit("alpha")["since_last"]["improved"], 0);
    assert!(unit("beta").get("since_last").is_none(), "{s}");
    let md = std::fs::read_to_string(tmp.path().join("now").join("summary.md")).unwrap();
    assert!(md.contains("| 较上次 |"), "{md}");
    assert!(
        md.contains("| ±0.0（改进1，退步1，新超期0） |"),
        "gamma's score is the same, one up and one down: {md}"
    );
    // The league table from the written folders with the same previous run is the same.
    let (code, stderr) = run(
        tmp.path(),
        &["summary", "now", "--previous", "last", "-o", "joined"],
    );
    assert_eq!(code, 0, "{stderr}");
    for f in ["summary.json", "summary.md"] {
        let a = std::fs::read(tmp.path().join("now").join(f)).unwrap();
        let b = std::fs::read(tmp.path().join("joined").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    // Without --previous the table has no such column and summary.json no such key.
    let (code, _) = run(tmp.path(), &["summary", "now", "-o", "plain"]);
    assert_eq!(code, 0);
    let plain = std::fs::read_to_string(tmp.path().join("plain").join("summary.json")).unwrap();
    assert!(!plain.contains("since_last"), "{plain}");
}

/// A `summary.json` whose unit names lead out of its folder (`../outside`, an absolute
/// path) is refused in one line: `summary` never reads a report outside the folders it
/// was given (issue 18, item 6).
#[test]
fn summary_refuses_unit_names_that_lead_out_of_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), false);
    let (code, stderr) = run(tmp.path(), &["build", "--only", "gamma", "-o", "batch"]);
    assert_eq!(code, 0, "{stderr}");
    let listed = tmp.path().join("batch/summary.json");
    let mut league = summary_json(&tmp.path().join("batch"));
    // A report outside the folder, where the forged name points.
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    std::fs::copy(
        tmp.path().join("batch/gamma/report.json"),
        tmp.path().join("outside/report.json"),
    )
    .unwrap();
    for forged in [
        "../outside",
        &tmp.path().join("outside").display().to_string(),
    ] {
        league["units"][0]["name"] = forged.into();
        std::fs::write(&listed, serde_json::to_vec(&league).unwrap()).unwrap();
        let out = dossier(tmp.path())
            .args(["summary", "batch", "-o", "joined"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("cannot name a unit's folder"), "{stderr}");
        assert!(!tmp.path().join("joined").exists());
    }
}

/// The league table's files go beside the units' folders: a user's own `summary.md` (or
/// any summary.* dossier did not write) there is never written over, while an earlier
/// league table is replaced, in any language (issue 18, item 1).
#[test]
fn summary_never_writes_over_a_users_file_but_replaces_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), false);
    let (code, stderr) = run(tmp.path(), &["build", "--only", "gamma", "-o", "batch"]);
    assert_eq!(code, 0, "{stderr}");
    // Its own files, again and in English: replaced.
    for lang in ["zh-CN", "en"] {
        let out = dossier(tmp.path())
            .args(["summary", "batch", "-o", "batch", "--lang", lang])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    for (name, mine) in [
        ("summary.md", "# 我的笔记\n"),
        ("summary.html", "<!DOCTYPE html><p>mine</p>"),
        ("summary.pdf", "%PDF-1.4 mine"),
        ("summary.json", "{\"schema\": \"mine\"}"),
    ] {
        let path = tmp.path().join("batch").join(name);
        let before = std::fs::read(&path).unwrap();
        std::fs::write(&path, mine).unwrap();
        let out = dossier(tmp.path())
            .args(["summary", "batch", "-o", "batch"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        // summary.json is also what `summary DIR` reads: refused there already.
        let expected = if name == "summary.json" {
            format!(
                "dossier: {}: not a dossier report or summary: missing field `as_of` at line 1 column 18\n",
                Path::new("batch").join(name).display()
            )
        } else {
            format!(
                "dossier: {}: a file is already there that dossier did not write; move it away or give another output path\n",
                Path::new("batch").join(name).display()
            )
        };
        assert_eq!(stderr, expected);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), mine);
        std::fs::write(&path, before).unwrap();
    }
    // A summary.json of someone else's where the league table is to go.
    std::fs::create_dir_all(tmp.path().join("joined")).unwrap();
    std::fs::write(
        tmp.path().join("joined/summary.json"),
        "{\"schema\": \"mine\"}",
    )
    .unwrap();
    let out = dossier(tmp.path())
        .args(["summary", "batch", "-o", "joined"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "dossier: {}: a file is already there that dossier did not write; move it away or give another output path\n",
            Path::new("joined").join("summary.json").display()
        )
    );
    assert_eq!(
        std::fs::read_dir(tmp.path().join("joined"))
            .unwrap()
            .count(),
        1,
        "nothing else written"
    );
}
