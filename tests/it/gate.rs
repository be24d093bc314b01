//! The CI gate (issue 9, item 4): each of `--fail-under` and `--fail-on veto, overdue,
//! errors, evidence` exits 1 with its exact lines on the sample (after writing the
//! outputs), a passing gate exits 0, the JUnit file holds together as JUnit and its
//! counts are report.json's, a batch gives its suites in one order whatever `--jobs`,
//! and GitHub Actions annotations and the step summary appear only under GitHub Actions.

use crate::common::{AS_OF, dossier, sample, xlsx};
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `dossier ARGS…` in `dir` with extra environment: exit code, stdout and stderr.
fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = dossier(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `dossier ARGS…` in `dir`: exit code, stdout and stderr.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run_env(dir, args, &[])
}

/// The sample's path as an argument.
fn qingxi() -> String {
    sample("qingxi-town.xlsx").display().to_string()
}

/// `build` of the sample (report.json only) into `DIR/out` with gate flags.
fn build_sample(dir: &Path, gate: &[&str]) -> (i32, String, String) {
    let input = qingxi();
    let mut args = vec![
        "build", &input, "-o", "out", "--as-of", AS_OF, "--format", "json",
    ];
    args.extend(gate);
    run(dir, &args)
}

/// The gate's lines of a stderr, in order.
fn gate_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("dossier: gate"))
        .collect()
}

fn report_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The veto lines of the sample at the as-of date: its six open veto items.
const VETO: [&str; 6] = [
    "dossier: gate: 清溪镇: veto: 省65条 64: open veto item (一票否决), status not_started (\"未落实\") (qingxi-town.xlsx: 省65条!G66)",
    "dossier: gate: 清溪镇: veto: 市78条 4: open veto item (一票否决), status not_started (\"未落实\") (qingxi-town.xlsx: 市78条!G6)",
    "dossier: gate: 清溪镇: veto: 市78条 14: open veto item (一票否决), status not_started (\"未落实\") (qingxi-town.xlsx: 市78条!G16)",
    "dossier: gate: 清溪镇: veto: 市78条 68: open veto item (一票否决), status not_started (\"未落实\") (qingxi-town.xlsx: 市78条!G70)",
    "dossier: gate: 清溪镇: veto: 市78条 69: open veto item (一票否决), status not_started (\"未落实\") (qingxi-town.xlsx: 市78条!G71)",
    "dossier: gate: 清溪镇: veto: 市78条 78: open veto item (一票否决), status not_started (\"未落实\") (qingxi-town.xlsx: 市78条!G80)",
];

/// The overdue lines of the sample at the as-of date, pointing at the deadline cells.
const OVERDUE: [&str; 16] = [
    "dossier: gate: 清溪镇: overdue: 国务院15条 14: overdue by 43 days, deadline 2026-11-02 (qingxi-town.xlsx: 国务院15条!H16)",
    "dossier: gate: 清溪镇: overdue: 省65条 4: overdue by 46 days, deadline 2026-10-30 (qingxi-town.xlsx: 省65条!H6)",
    "dossier: gate: 清溪镇: overdue: 省65条 12: overdue by 55 days, deadline 2026-10-21 (qingxi-town.xlsx: 省65条!H14)",
    "dossier: gate: 清溪镇: overdue: 省65条 16: overdue by 45 days, deadline 2026-10-31 (qingxi-town.xlsx: 省65条!H18)",
    "dossier: gate: 清溪镇: overdue: 省65条 19: overdue by 41 days, deadline 2026-11-04 (qingxi-town.xlsx: 省65条!H21)",
    "dossier: gate: 清溪镇: overdue: 省65条 38: overdue by 15 days, deadline 2026-11-30 (qingxi-town.xlsx: 省65条!H40)",
    "dossier: gate: 清溪镇: overdue: 市78条 3: overdue by 36 days, deadline 2026-11-09 (qingxi-town.xlsx: 市78条!H5)",
    "dossier: gate: 清溪镇: overdue: 市78条 15: overdue by 15 days, deadline 2026-11-30 (qingxi-town.xlsx: 市78条!H17)",
    "dossier: gate: 清溪镇: overdue: 市78条 17: overdue by 37 days, deadline 2026-11-08 (qingxi-town.xlsx: 市78条!H19)",
    "dossier: gate: 清溪镇: overdue: 市78条 24: overdue by 15 days, deadline 2026-11-30 (qingxi-town.xlsx: 市78条!H26)",
    "dossier: gate: 清溪镇: overdue: 市78条 27: overdue by 56 days, deadline 2026-10-20 (qingxi-town.xlsx: 市78条!H29)",
    "dossier: gate: 清溪镇: overdue: 市78条 28: overdue by 53 days, deadline 2026-10-23 (qingxi-town.xlsx: 市78条!H30)",
    "dossier: gate: 清溪镇: overdue: 市78条 55: overdue by 22 days, deadline 2026-11-23 (qingxi-town.xlsx: 市78条!H57)",
    "dossier: gate: 清溪镇: overdue: 市78条 59: overdue by 31 days, deadline 2026-11-14 (qingxi-town.xlsx: 市78条!H61)",
    "dossier: gate: 清溪镇: overdue: 市78条 65: overdue by 22 days, deadline 2026-11-23 (qingxi-town.xlsx: 市78条!H67)",
    "dossier: gate: 清溪镇: overdue: 市78条 77: overdue by 45 days, deadline 2026-10-31 (qingxi-town.xlsx: 市78条!H79)",
];

#[test]
fn fail_under_exits_1_with_its_line_after_writing_the_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = build_sample(tmp.path(), &["--fail-under", "80"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        gate_lines(&stderr),
        [
            "dossier: gate: 清溪镇: fail-under: score: 76.0 is under 80",
            "dossier: gate failed: 1 violation in 1 of 1 unit (fail-under 1)",
        ]
    );
    // Written as usual, the gate's lines last.
    assert!(tmp.path().join("out/report.json").is_file());
    assert!(stderr.contains("wrote 1 files to out"), "{stderr}");
    assert!(stderr.trim_end().ends_with("(fail-under 1)"), "{stderr}");
}

#[test]
fn fail_on_veto_names_every_open_veto_item() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = build_sample(tmp.path(), &["--fail-on", "veto"]);
    assert_eq!(code, 1, "{stderr}");
    let mut want: Vec<&str> = VETO.to_vec();
    want.push("dossier: gate failed: 6 violations in 1 of 1 unit (veto 6)");
    assert_eq!(gate_lines(&stderr), want);
    let report = report_json(&tmp.path().join("out/report.json"));
    assert_eq!(report["summary"]["veto_open"], 6);
}

#[test]
fn fail_on_overdue_names_every_overdue_measure_at_its_deadline_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let input = qingxi();
    let (code, _, stderr) = run(
        tmp.path(),
        &["check", &input, "--as-of", AS_OF, "--fail-on", "overdue"],
    );
    assert_eq!(code, 1, "{stderr}");
    let mut want: Vec<&str> = OVERDUE.to_vec();
    want.push("dossier: gate failed: 16 violations in 1 of 1 unit (overdue 16)");
    assert_eq!(gate_lines(&stderr), want);
}

#[test]
fn fail_on_evidence_names_each_measure_missing_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = build_sample(tmp.path(), &["--fail-on", "evidence"]);
    assert_eq!(code, 1, "{stderr}");
    let report = report_json(&tmp.path().join("out/report.json"));
    let lines = gate_lines(&stderr);
    let missing = report["summary"]["evidence_missing"].as_u64().unwrap() as usize;
    assert_eq!(missing, 73);
    assert_eq!(lines.len(), missing + 1, "{stderr}");
    assert_eq!(
        lines[0],
        "dossier: gate: 清溪镇: evidence: 国务院15条 1: required evidence missing: 整改台账, 工作方案, 演练记录, 会议纪要 (qingxi-town.xlsx: 国务院15条!J3)"
    );
    assert!(lines.contains(
        &"dossier: gate: 清溪镇: evidence: 市78条 12: required evidence missing: 整改台账 (qingxi-town.xlsx: 市78条!J14)"
    ));
    assert!(
        lines[..missing]
            .iter()
            .all(|l| l.starts_with("dossier: gate: 清溪镇: evidence: ")),
        "{stderr}"
    );
    assert_eq!(
        lines[missing],
        "dossier: gate failed: 73 violations in 1 of 1 unit (evidence 73)"
    );
}

/// A workbook with an error diagnostic (measure 1 twice in 市78条) and markup in its
/// cells.
fn workbook_with_errors(dir: &Path) -> PathBuf {
    xlsx(
        dir,
        "dup.xlsx",
        "市78条",
        &[
            &["序号", "措施内容", "落实情况", "牵头单位"],
            &["1", "排查<b>隐患</b> & \"整改\"", "已完成", "应急办"],
            &["1", "开展培训]]>", "未启动", "消防所"],
        ],
    )
}

#[test]
fn fail_on_errors_names_each_error_diagnostic_and_the_sample_has_none() {
    let tmp = tempfile::tempdir().unwrap();
    let input = workbook_with_errors(tmp.path());
    let input = input.display().to_string();
    let (code, _, stderr) = run(
        tmp.path(),
        &[
            "build",
            &input,
            "-o",
            "out",
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--fail-on",
            "errors",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        gate_lines(&stderr),
        [
            "dossier: gate: dup: errors: duplicate_id: duplicate id \"1\" in set \"市78条\"; first used at dup.xlsx: 市78条!A2; give every measure of a set its own number (dup.xlsx: 市78条!A3)",
            "dossier: gate failed: 1 violation in 1 of 1 unit (errors 1)",
        ]
    );
    // The sample has no error diagnostic: the same gate passes it.
    let (code, _, stderr) = build_sample(tmp.path(), &["--fail-on", "errors"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        gate_lines(&stderr),
        ["dossier: gate passed: 0 violations in 1 unit"]
    );
}

#[test]
fn a_gate_the_unit_meets_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = build_sample(
        tmp.path(),
        &[
            "--fail-under",
            "76",
            "--fail-on",
            "errors",
            "--junit",
            "j.xml",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        gate_lines(&stderr),
        ["dossier: gate passed: 0 violations in 1 unit"]
    );
    assert!(tmp.path().join("j.xml").is_file());
    // Without gate flags nothing of the gate is said.
    let (code, _, stderr) = build_sample(tmp.path(), &["--junit", "j.xml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(gate_lines(&stderr).is_empty(), "{stderr}");
}

#[test]
fn every_rule_at_once_and_a_bad_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = build_sample(
        tmp.path(),
        &[
            "--fail-under",
            "90",
            "--fail-on",
            "evidence,overdue,veto,errors",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        gate_lines(&stderr).last().copied(),
        Some(
            "dossier: gate failed: 96 violations in 1 of 1 unit (fail-under 1, veto 6, overdue 16, evidence 73)"
        )
    );
    let (code, _, stderr) = build_sample(tmp.path(), &["--fail-under", "120"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = build_sample(tmp.path(), &["--fail-on", "late"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn a_junit_file_inside_the_output_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = build_sample(tmp.path(), &["--junit", "out/junit.xml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with("dossier: --junit out/junit.xml is inside the output folder out"),
        "{stderr}"
    );
    assert!(!tmp.path().join("out").exists());
}

/// An element of a parsed XML file.
#[derive(Debug)]
struct Node {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, name: &str) -> &str {
        self.attrs
            .get(name)
            .unwrap_or_else(|| panic!("<{}> has no {name}: {:?}", self.name, self.attrs))
    }

    fn count(&self, name: &str) -> usize {
        self.attr(name).parse().unwrap()
    }

    fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
}

fn node(e: &BytesStart<'_>) -> Node {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                a.key.as_ref().to_string(),
                quick_xml::escape::unescape(&a.value).unwrap().into_owned(),
            )
        })
        .collect();
    Node {
        name: e.name().as_ref().to_string(),
        attrs,
        children: Vec::new(),
    }
}

/// Parses an XML file into its root element; fails on anything malformed (quick-xml
/// checks that end tags match).
fn parse(xml: &str) -> Node {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack = vec![Node {
        name: String::new(),
        attrs: BTreeMap::new(),
        children: Vec::new(),
    }];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => {
                let n = node(&e);
                stack.last_mut().unwrap().children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(n);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut doc = stack.pop().unwrap();
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().unwrap()
}

/// Checks a file against the common JUnit schema's elements and attributes (testsuites ›
/// testsuite › properties, testcase › failure | error | skipped) and that every count
/// is what the elements hold; returns the root.
fn junit(path: &Path) -> Node {
    let root = parse(&std::fs::read_to_string(path).unwrap());
    assert_eq!(root.name, "testsuites");
    let mut sums = [0; 4];
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite");
        assert!(!suite.attr("name").is_empty());
        assert_eq!(suite.attr("timestamp"), format!("{AS_OF}T00:00:00"));
        let cases = suite.all("testcase");
        for c in &suite.children {
            assert!(
                ["properties", "testcase"].contains(&c.name.as_str()),
                "{c:?}"
            );
        }
        for p in suite.all("properties") {
            for p in &p.children {
                assert_eq!(p.name, "property");
                p.attr("name");
                p.attr("value");
            }
        }
        let with = |name: &str| cases.iter().filter(|c| !c.all(name).is_empty()).count();
        for c in &cases {
            c.attr("classname");
            assert!(!c.attr("name").is_empty());
            for f in &c.children {
                assert!(
                    ["failure", "error", "skipped"].contains(&f.name.as_str()),
                    "{f:?}"
                );
                if f.name != "skipped" {
                    f.attr("message");
                    f.attr("type");
                }
            }
        }
        let counts = [cases.len(), with("failure"), with("error"), with("skipped")];
        assert_eq!(
            counts,
            [
                suite.count("tests"),
                suite.count("failures"),
                suite.count("errors"),
                suite.count("skipped")
            ]
        );
        for (s, c) in sums.iter_mut().zip(counts) {
            *s += c;
        }
    }
    assert_eq!(
        sums,
        [
            root.count("tests"),
            root.count("failures"),
            root.count("errors"),
            root.count("skipped")
        ]
    );
    root
}

/// A suite's counts equal the figures of the unit's report.json.
fn assert_counts_are_the_reports(suite: &Node, report: &Value) {
    let s = &report["summary"];
    let n = |v: &Value| v.as_u64().unwrap() as usize;
    assert_eq!(suite.count("tests"), n(&s["measures"]));
    assert_eq!(
        suite.count("failures"),
        n(&s["gaps"]["critical"]) + n(&s["gaps"]["major"])
    );
    assert_eq!(suite.count("skipped"), n(&s["by_status"]["not_applicable"]));
    assert_eq!(suite.count("errors"), 0);
    // A failure per gap of severity major or worse.
    let serious = report["measures"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["gaps"].as_array().unwrap())
        .filter(|g| g["severity"] != "minor")
        .count();
    let failures: usize = suite
        .all("testcase")
        .iter()
        .map(|c| c.all("failure").len())
        .sum();
    assert_eq!(failures, serious);
}

#[test]
fn junit_holds_together_and_its_counts_are_the_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = build_sample(tmp.path(), &["--junit", "reports/junit.xml"]);
    assert_eq!(code, 0, "{stderr}");
    let path = tmp.path().join("reports/junit.xml");
    let root = junit(&path);
    let report = report_json(&tmp.path().join("out/report.json"));
    assert_eq!(root.children.len(), 1);
    let suite = &root.children[0];
    assert_eq!(suite.attr("name"), "清溪镇");
    assert_counts_are_the_reports(suite, &report);
    assert_eq!(
        (
            suite.count("tests"),
            suite.count("failures"),
            suite.count("skipped")
        ),
        (158, 81, 5)
    );
    // Test cases: classname the set, name the id and the start of the text; a failure
    // names the gap and its cell.
    let case = suite
        .all("testcase")
        .into_iter()
        .find(|c| c.attr("classname") == "市78条" && c.attr("name").starts_with("3 "))
        .unwrap();
    assert_eq!(
        case.attr("name"),
        "3 燃气使用：严格执行审批和现场监护制度，违规作业一…"
    );
    let failure = &case.children[0];
    assert_eq!(failure.attr("type"), "overdue");
    assert_eq!(
        failure.attr("message"),
        "critical: overdue by 36 days, deadline 2026-11-09 (qingxi-town.xlsx: 市78条!H5)"
    );
    // The same run writes the same bytes (no clock in it).
    let first = std::fs::read(&path).unwrap();
    let (code, _, stderr) = build_sample(tmp.path(), &["--junit", "reports/junit.xml"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), first);
    // check writes the same file.
    let input = qingxi();
    let (code, _, stderr) = run(
        tmp.path(),
        &["check", &input, "--as-of", AS_OF, "--junit", "check.xml"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(tmp.path().join("check.xml")).unwrap(), first);
}

#[test]
fn junit_keeps_markup_in_cells_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let input = workbook_with_errors(tmp.path()).display().to_string();
    let (code, _, stderr) = run(
        tmp.path(),
        &["check", &input, "--as-of", AS_OF, "--junit", "j.xml"],
    );
    assert_eq!(code, 1, "{stderr}");
    let root = junit(&tmp.path().join("j.xml"));
    let names: Vec<&str> = root.children[0]
        .all("testcase")
        .iter()
        .map(|c| c.attr("name"))
        .collect();
    assert_eq!(names, ["1 排查<b>隐患</b> & \"整改\"", "1 开展培训]]>"]);
}

/// A project of two units: `towns/a` (the sample) and `towns/b` (three measures, one
/// not started), named by folder; with `broken`, also `towns/c`, cut short.
fn project(dir: &Path, broken: bool) {
    let towns = dir.join("towns");
    std::fs::create_dir_all(towns.join("a")).unwrap();
    std::fs::copy(sample("qingxi-town.xlsx"), towns.join("a/qingxi-town.xlsx")).unwrap();
    std::fs::create_dir_all(towns.join("b")).unwrap();
    let small = xlsx(
        &towns.join("b"),
        "b.xlsx",
        "市78条",
        &[
            &["序号", "措施内容", "落实情况", "牵头单位"],
            &["1", "排查隐患", "已完成", "应急办"],
            &["2", "动火作业：加强宣传引导", "未启动", "应急办"],
            &["3", "开展培训", "已完成", "消防所"],
        ],
    );
    if broken {
        std::fs::create_dir_all(towns.join("c")).unwrap();
        let bytes = std::fs::read(&small).unwrap();
        std::fs::write(towns.join("c/c.xlsx"), &bytes[..bytes.len() / 2]).unwrap();
    }
    std::fs::write(
        dir.join("dossier.toml"),
        format!("as_of = {AS_OF}\nunits = \"towns/*\"\n"),
    )
    .unwrap();
}

#[test]
fn a_batch_gives_a_suite_per_unit_in_one_order_whatever_the_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), false);
    let mut runs = Vec::new();
    for jobs in ["1", "2"] {
        let out = format!("out{jobs}");
        let junit_file = format!("junit{jobs}.xml");
        let (code, _, stderr) = run(
            tmp.path(),
            &[
                "build",
                "--format",
                "json",
                "--jobs",
                jobs,
                "-o",
                &out,
                "--junit",
                &junit_file,
                "--fail-on",
                "veto",
                "--fail-under",
                "60",
            ],
        );
        assert_eq!(code, 1, "{stderr}");
        let lines: Vec<String> = gate_lines(&stderr).into_iter().map(String::from).collect();
        let xml = std::fs::read(tmp.path().join(&junit_file)).unwrap();
        runs.push((lines, xml));
    }
    assert_eq!(runs[0], runs[1]);
    let lines = &runs[0].0;
    let mut want: Vec<String> = VETO.iter().map(|l| l.replace("清溪镇", "a")).collect();
    want.push("dossier: gate failed: 6 violations in 1 of 2 units (veto 6)".into());
    assert_eq!(lines, &want);
    let root = junit(&tmp.path().join("junit1.xml"));
    let names: Vec<&str> = root.children.iter().map(|s| s.attr("name")).collect();
    assert_eq!(names, ["a", "b"]);
    for suite in &root.children {
        let report = report_json(
            &tmp.path()
                .join("out1")
                .join(suite.attr("name"))
                .join("report.json"),
        );
        assert_counts_are_the_reports(suite, &report);
    }
}

#[test]
fn a_unit_that_cannot_be_built_exits_2_and_is_a_suite_in_error() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), true);
    let (code, _, stderr) = run(
        tmp.path(),
        &[
            "build",
            "--format",
            "json",
            "--junit",
            "j.xml",
            "--fail-on",
            "veto",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("dossier: unit c failed: "), "{stderr}");
    assert_eq!(
        gate_lines(&stderr).last().copied(),
        Some("dossier: gate failed: 6 violations in 1 of 2 units (veto 6)")
    );
    let root = junit(&tmp.path().join("j.xml"));
    let names: Vec<&str> = root.children.iter().map(|s| s.attr("name")).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(root.children[2].count("errors"), 1);
    assert_eq!(root.count("errors"), 1);
}

#[test]
fn github_actions_get_annotations_and_a_step_summary_only_when_set() {
    let tmp = tempfile::tempdir().unwrap();
    let input = workbook_with_errors(tmp.path()).display().to_string();
    let summary = tmp.path().join("summary.md");
    let summary_env = summary.display().to_string();
    let workspace = tmp.path().display().to_string();
    let args = [
        "build", &input, "-o", "out", "--as-of", AS_OF, "--format", "json",
    ];
    // Not under GitHub Actions: no workflow command, no summary, even with the file named.
    let (code, stdout, stderr) =
        run_env(tmp.path(), &args, &[("GITHUB_STEP_SUMMARY", &summary_env)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("::error") && !stderr.contains("::error"));
    assert!(!summary.exists());
    // Under GitHub Actions.
    let gh = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary_env.as_str()),
        ("GITHUB_WORKSPACE", workspace.as_str()),
    ];
    let (code, stdout, stderr) = run_env(tmp.path(), &args, &gh);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "::error file=dup.xlsx,title=dossier%3A dup%3A dup.xlsx%3A 市78条!A3::duplicate id \"1\" in set \"市78条\"; first used at dup.xlsx: 市78条!A2; give every measure of a set its own number\n"
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("### dossier: dup\n\n2 measures (2 applicable), score 50.0, grade 较差;"),
        "{text}"
    );
    // check --format json keeps stdout JSON: the commands go to stderr.
    let (code, stdout, stderr) = run_env(
        tmp.path(),
        &["check", &input, "--as-of", AS_OF, "--format", "json"],
        &gh,
    );
    assert_eq!(code, 1, "{stderr}");
    serde_json::from_str::<Value>(&stdout).unwrap();
    assert!(stderr.contains("::error file=dup.xlsx,"), "{stderr}");
    // The summary is appended to, never replaced.
    let again = std::fs::read_to_string(&summary).unwrap();
    assert!(again.starts_with(&text) && again.len() > text.len());
}

#[test]
fn a_batch_under_github_actions_appends_the_league_table() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), false);
    let summary = tmp.path().join("summary.md");
    let summary_env = summary.display().to_string();
    let (code, _, stderr) = run_env(
        tmp.path(),
        &["build", "--format", "json", "--fail-under", "50"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary_env.as_str()),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        text,
        format!(
            "### dossier: league table, as of {AS_OF}\n\n| # | Unit | Score | Grade | Measures | Open | Overdue | Veto open | Evidence missing |\n|---:|---|---:|---|---:|---:|---:|---:|---:|\n| 1 | a | 76.0 | 较差 | 158 | 55 | 16 | 6 | 73 |\n| 2 | b | 66.7 | 一般 | 3 | 1 | 0 | 0 | 0 |\n\ndossier: gate passed: 0 violations in 2 units\n\n"
        )
    );
}
