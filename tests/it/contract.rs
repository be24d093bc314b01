//! The sample workbooks against their expected summaries (the product contract), and
//! byte-identical output.

use crate::common::*;
use serde_json::Value;

fn close(got: &Value, want: &Value) -> bool {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => (g - w).abs() <= 0.01,
        _ => got.is_null() && want.is_null(),
    }
}

#[test]
fn sample_summaries_match_the_contract() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("summaries.json")).unwrap()).unwrap();
    for (name, exp) in expected.as_object().unwrap() {
        assert_eq!(exp["as_of"], AS_OF);
        let report = report(&[&sample(name)]);
        let s = &report["summary"];
        for key in [
            "measures",
            "applicable",
            "grade",
            "overdue",
            "due_soon",
            "veto_open",
            "evidence_missing",
        ] {
            assert_eq!(s[key], exp[key], "{name}: summary.{key}");
        }
        for group in ["by_status", "gaps"] {
            for (k, v) in exp[group].as_object().unwrap() {
                assert_eq!(&s[group][k], v, "{name}: summary.{group}.{k}");
            }
        }
        assert!(
            close(&s["score"], &exp["score"]),
            "{name}: score {}",
            s["score"]
        );
        for (set, se) in exp["sets"].as_object().unwrap() {
            let got = report["sets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["name"] == set.as_str())
                .unwrap_or_else(|| panic!("{name}: no set {set}"));
            assert_eq!(got["measures"], se["measures"], "{name}: {set} measures");
            assert!(close(&got["score"], &se["score"]), "{name}: {set} score");
        }
    }
}

#[test]
fn same_inputs_give_byte_identical_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for run in ["a", "b"] {
        let out = tmp.path().join(run);
        dossier(tmp.path())
            .arg("build")
            .arg(sample("qingxi-town.xlsx"))
            .arg(sample("departments.csv"))
            .arg("-o")
            .arg(&out)
            .args(["--as-of", AS_OF])
            .assert()
            .success();
        outputs.push(std::fs::read(out.join("report.json")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn veto_grade_names_the_open_veto_items() {
    let report = report(&[&sample("qingxi-town.xlsx")]);
    assert_eq!(report["summary"]["grade"], "较差");
    let reason = report["summary"]["grade_reason"].as_str().unwrap();
    assert!(reason.contains("省65条 64"), "{reason}");
    assert!(report["summary"]["score"].as_f64().unwrap() > 60.0);
}

#[test]
fn check_prints_located_diagnostics_and_a_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("qingxi-town.xlsx");
    let args = [
        "check".as_ref(),
        input.as_os_str(),
        "--as-of".as_ref(),
        AS_OF.as_ref(),
    ];
    let text = stdout_of(tmp.path(), &args, 0);
    assert!(
        text.contains("qingxi-town.xlsx: 市78条!G61: warning: unknown status \"待定\""),
        "{text}"
    );
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("158 measures (153 applicable), score 76.0, grade 较差"),
        "{text}"
    );
}

#[test]
fn check_exits_1_on_error_diagnostics_and_lists_errors_first() {
    let tmp = tempfile::tempdir().unwrap();
    let input = xlsx(
        tmp.path(),
        "dup.xlsx",
        "台账",
        &[
            &["序号", "措施内容", "落实情况"],
            &["1", "排查隐患", "待定"],
            &["1", "开展培训", "已完成"],
        ],
    );
    let args = [
        "check".as_ref(),
        input.as_os_str(),
        "--as-of".as_ref(),
        AS_OF.as_ref(),
    ];
    let text = stdout_of(tmp.path(), &args, 1);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("dup.xlsx: 台账!A3: error: duplicate id \"1\""),
        "{text}"
    );
    assert!(
        lines[1].starts_with("dup.xlsx: 台账!C2: warning: unknown status \"待定\""),
        "{text}"
    );
    assert!(lines[2].contains("1 errors, 1 warnings"), "{text}");
}

#[test]
fn help_explains_statuses_and_the_score() {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["check", "build"] {
        let text = stdout_of(tmp.path(), &[cmd.as_ref(), "--help".as_ref()], 0);
        assert!(
            text.contains("Statuses: each status cell is classified"),
            "{cmd}"
        );
        assert!(
            text.contains("Score: 100 × Σ(weight × credit) / Σ(weight)"),
            "{cmd}"
        );
    }
}
