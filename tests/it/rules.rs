//! One test per rule of `docs/workbook.md`, each on a small workbook built here, asserting
//! what the office sees: the figures of `report.json` and the exact diagnostics.
//! Every test runs against the as-of date [`AS_OF`] (2026-12-15).

use crate::common::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};
use serde_json::Value;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------
// Helpers local to these rules.

/// Builds an xlsx with `build` and saves it as `dir/name`.
fn book(dir: &Path, name: &str, build: impl FnOnce(&mut Workbook)) -> PathBuf {
    let mut wb = Workbook::new();
    build(&mut wb);
    let path = dir.join(name);
    wb.save(&path).unwrap();
    path
}

/// Adds a sheet named `name`.
fn sheet<'a>(wb: &'a mut Workbook, name: &str) -> &'a mut Worksheet {
    let ws = wb.add_worksheet();
    ws.set_name(name).unwrap();
    ws
}

/// Writes rows of text from `first_row` down; empty strings stay blank.
fn put(ws: &mut Worksheet, first_row: u32, rows: &[&[&str]]) {
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if !text.is_empty() {
                ws.write_string(first_row + r as u32, c as u16, *text)
                    .unwrap();
            }
        }
    }
}

/// A one-sheet xlsx from text rows, read into a report.
fn read_rows(sheet: &str, rows: &[&[&str]]) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let path = xlsx(tmp.path(), "book.xlsx", sheet, rows);
    report(&[&path])
}

/// The measure with this id in this set.
fn in_set<'a>(report: &'a Value, set: &str, id: &str) -> &'a Value {
    report["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["set"] == set && m["id"] == id)
        .unwrap_or_else(|| panic!("no measure {set} {id} in {report:#}"))
}

/// The entry named `name` in a list of the report (`sets`, `owners`, `categories`).
fn named<'a>(report: &'a Value, list: &str, name: &str) -> &'a Value {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no {list} entry {name:?} in {:#}", report[list]))
}

/// The names of a list of the report, in report order.
fn names(report: &Value, list: &str) -> Vec<String> {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

/// A measure's gaps as "kind/severity".
fn gaps(m: &Value) -> Vec<String> {
    m["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            format!(
                "{}/{}",
                g["kind"].as_str().unwrap(),
                g["severity"].as_str().unwrap()
            )
        })
        .collect()
}

/// The ids of all measures, in report order.
fn ids(report: &Value) -> Vec<String> {
    report["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// A JSON array of strings as a vector.
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Asserts the report's diagnostics are exactly these lines (`severity CELL: message`).
fn assert_diagnostics(report: &Value, want: &[&str]) {
    assert_eq!(
        diagnostic_lines(report),
        want,
        "{:#}",
        report["diagnostics"]
    );
}

/// Asserts a float is what is expected (to 1e-9).
fn assert_close(got: &Value, want: f64) {
    let g = got
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {got}"));
    assert!((g - want).abs() < 1e-9, "got {g}, want {want}");
}

// ---------------------------------------------------------------------------------------
// Files and sheets.

#[test]
fn csv_default_set_is_the_file_stem() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("部门台账.csv");
    std::fs::write(
        &path,
        "序号,措施内容,落实情况\n1,排查隐患,已完成\n2,开展培训,未启动\n",
    )
    .unwrap();
    let r = report(&[&path]);
    assert_eq!(names(&r, "sets"), ["部门台账"]);
    assert_eq!(in_set(&r, "部门台账", "2")["status"], "not_started");
}

#[test]
fn sheet_name_is_the_default_set_and_a_set_column_overrides_it() {
    let r = read_rows(
        "市78条",
        &[
            &["序号", "措施内容", "落实情况", "来源"],
            &["1", "排查隐患", "已完成", ""],
            &["1", "开展培训", "未启动", "省65条"],
        ],
    );
    assert_eq!(names(&r, "sets"), ["市78条", "省65条"]);
    assert_eq!(in_set(&r, "市78条", "1")["measure"], "排查隐患");
    assert_eq!(in_set(&r, "省65条", "1")["measure"], "开展培训");
    // The same id in two sets is not a duplicate.
    assert_diagnostics(&r, &[]);
}

#[test]
fn several_files_are_analysed_together() {
    let tmp = tempfile::tempdir().unwrap();
    let a = xlsx(
        tmp.path(),
        "a.xlsx",
        "15条",
        &[
            &["序号", "措施内容", "落实情况"],
            &["1", "排查隐患", "已完成"],
        ],
    );
    let b = tmp.path().join("b.csv");
    std::fs::write(&b, "序号,措施内容,落实情况\n1,开展培训,未启动\n").unwrap();
    let r = report(&[&a, &b]);
    assert_eq!(r["summary"]["measures"], 2);
    assert_close(&r["summary"]["score"], 50.0);
    assert_eq!(names(&r, "sets"), ["15条", "b"]);
}

#[test]
fn sheet_without_header_is_skipped_with_info() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "填表说明");
        put(
            ws,
            0,
            &[&["填表说明"], &["1. 落实情况请填写已完成、推进中或未启动"]],
        );
        sheet(wb, "空白");
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况"],
                &["1", "排查隐患", "已完成"],
            ],
        );
    });
    let r = report(&[&path]);
    assert_eq!(r["summary"]["measures"], 1);
    assert_eq!(names(&r, "sets"), ["台账"]);
    let d: Vec<(String, String, String)> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["severity"].as_str().unwrap().to_string(),
                d["sheet"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        d,
        [
            (
                "info".to_string(),
                "填表说明".to_string(),
                "no header row found; sheet skipped".to_string()
            ),
            (
                "info".to_string(),
                "空白".to_string(),
                "sheet is empty; skipped".to_string()
            ),
        ]
    );
}

#[test]
fn hidden_sheet_and_hidden_rows_are_read_with_info() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "公开");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况"],
                &["1", "排查隐患", "已完成"],
            ],
        );
        let ws = sheet(wb, "隐藏");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况"],
                &["1", "开展培训", "未启动"],
                &["2", "应急演练", "推进中"],
            ],
        );
        ws.set_row_hidden(2).unwrap();
        ws.set_hidden(true);
    });
    let r = report(&[&path]);
    assert_eq!(r["summary"]["measures"], 3);
    assert_eq!(in_set(&r, "隐藏", "2")["status"], "partial");
    let hidden = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["sheet"] == "隐藏")
        .expect("an info on the hidden sheet");
    assert_eq!(hidden["severity"], "info");
    assert_eq!(
        hidden["message"],
        "sheet is hidden; it is read like the others"
    );
    // The hidden row is read (measure 2 above) and the office is told where it is.
    assert_eq!(
        diagnostic_lines(&r),
        [
            "info -: sheet is hidden; it is read like the others",
            "info A3: a row is hidden: 3; hidden rows are read like the others"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// The header row.

#[test]
fn title_row_above_header_becomes_sheet_title() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "78条");
        // Row 1 blank; the title merged across the table on row 2; a second title row.
        ws.merge_range(
            1,
            0,
            1,
            3,
            "清溪镇落实市安委会78条硬措施工作台账",
            &Format::new(),
        )
        .unwrap();
        put(ws, 2, &[&["填报单位：清溪镇安委办"]]);
        put(
            ws,
            3,
            &[
                &["序号", "措施内容", "责任单位", "落实情况"],
                &["1", "排查隐患", "应急管理办", "已完成"],
            ],
        );
    });
    let r = report(&[&path]);
    assert_eq!(
        r["sheets"][0]["title"],
        "清溪镇落实市安委会78条硬措施工作台账"
    );
    assert_eq!(r["summary"]["measures"], 1);
    assert_eq!(measure(&r, "1")["source"]["row"], 5);
    assert_diagnostics(&r, &[]);
}

#[test]
fn header_row_must_be_within_the_first_ten_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let header: &[&str] = &["序号", "措施内容", "落实情况"];
    let row: &[&str] = &["1", "排查隐患", "已完成"];
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "第十行");
        put(ws, 0, &[&["台账"]]);
        put(ws, 9, &[header, row]);
        let ws = sheet(wb, "第十一行");
        put(ws, 0, &[&["台账"]]);
        put(ws, 10, &[header, row]);
    });
    let r = report(&[&path]);
    assert_eq!(names(&r, "sets"), ["第十行"]);
    assert_eq!(r["summary"]["measures"], 1);
    let skipped = &r["diagnostics"][0];
    assert_eq!(skipped["sheet"], "第十一行");
    assert_eq!(skipped["message"], "no header row found; sheet skipped");
}

#[test]
fn traditional_chinese_headers_are_recognised() {
    let r = read_rows(
        "台賬",
        &[
            &[
                "序號",
                "措施內容",
                "責任單位",
                "落實情況",
                "完成時限",
                "佐證材料",
                "已備材料",
                "類別",
            ],
            &[
                "3",
                "開展隱患排查",
                "應急管理辦",
                "推進中",
                "2026年12月31日",
                "排查台賬、整改通知書",
                "排查台賬",
                "責任落實",
            ],
        ],
    );
    let m = measure(&r, "3");
    assert_eq!(m["measure"], "開展隱患排查");
    assert_eq!(strings(&m["owners"]), ["應急管理辦"]);
    assert_eq!(m["status"], "partial");
    assert_eq!(m["deadline"], "2026-12-31");
    assert_eq!(strings(&m["evidence"]), ["排查台賬", "整改通知書"]);
    assert_eq!(strings(&m["evidence_missing"]), ["整改通知書"]);
    assert_eq!(m["category"], "責任落實");
    assert_eq!(m["extras"].as_array().unwrap().len(), 0);
    assert_diagnostics(&r, &[]);
}

#[test]
fn english_headers_are_recognised() {
    let r = read_rows(
        "Controls",
        &[
            &[
                "No.",
                "Requirement",
                "Owner",
                "Implementation Status",
                "Due Date",
                "Evidence Required",
                "Evidence Provided",
                "Points",
                "Veto",
                "Area",
                "Co-owners",
            ],
            &[
                "A.1",
                "Inspect fire exits",
                "Safety office",
                "in progress",
                "2026-12-20",
                "photos; logbook",
                "photos",
                "2",
                "no",
                "Fire",
                "Police station",
            ],
        ],
    );
    let m = measure(&r, "A.1");
    assert_eq!(m["measure"], "Inspect fire exits");
    assert_eq!(strings(&m["owners"]), ["Safety office"]);
    assert_eq!(strings(&m["supporting"]), ["Police station"]);
    assert_eq!(m["status"], "partial");
    assert_eq!(m["deadline"], "2026-12-20");
    assert_eq!(strings(&m["evidence_missing"]), ["logbook"]);
    assert_eq!(m["weight"], 2.0);
    assert_eq!(m["veto"], false);
    assert_eq!(m["category"], "Fire");
    assert_eq!(
        gaps(m),
        ["due_soon/major", "partial/minor", "evidence_missing/minor"]
    );
    assert_diagnostics(&r, &[]);
}

#[test]
fn header_with_remark_in_brackets_matches() {
    let r = read_rows(
        "台账",
        &[
            &[
                "序号",
                "*措施内容：",
                "落实情况（已完成/推进中/未启动）",
                "完成时限（年月日）",
                "分值[分]",
            ],
            &["1", "排查隐患", "推进中", "2026-12-01", "3"],
        ],
    );
    let m = measure(&r, "1");
    assert_eq!(m["measure"], "排查隐患");
    assert_eq!(m["status"], "partial");
    assert_eq!(m["deadline"], "2026-12-01");
    assert_eq!(m["weight"], 3.0);
    assert_eq!(m["extras"].as_array().unwrap().len(), 0);
}

#[test]
fn second_header_for_same_field_warns() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "状态", "备注", "落实情况"],
            &["1", "排查隐患", "已完成", "", "未启动"],
        ],
    );
    assert_diagnostics(
        &r,
        &[r#"warning E1: second status column "落实情况"; the first, C1, is used"#],
    );
    assert_eq!(measure(&r, "1")["status"], "done");
}

#[test]
fn unknown_header_travels_as_extra() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "检查人员", "落实情况", "整改期限说明"],
            &["1", "排查隐患", "张三", "已完成", ""],
        ],
    );
    let extras = &measure(&r, "1")["extras"];
    assert_eq!(
        *extras,
        serde_json::json!([
            {"name": "检查人员", "value": "张三"},
            {"name": "整改期限说明", "value": ""},
        ])
    );
}

// ---------------------------------------------------------------------------------------
// Rows.

#[test]
fn section_row_sets_category_until_next_section() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(ws, 0, &[&["序号", "措施内容", "类别", "落实情况"]]);
        ws.merge_range(1, 0, 1, 3, "一、强化安全生产责任落实", &Format::new())
            .unwrap();
        put(
            ws,
            2,
            &[
                &["1", "压实党政领导责任", "", "已完成"],
                &["2", "落实部门监管责任", "", "已完成"],
                // A section title typed into one cell, not merged.
                &["（二）深化重点行业领域专项整治"],
                &["3", "整治燃气安全", "", "推进中"],
                &["4", "整治消防安全", "消防", "推进中"],
                &["3. 夯实基层基础"],
                &["5", "建设微型消防站", "", "未启动"],
            ],
        );
    });
    let r = report(&[&path]);
    assert_eq!(ids(&r), ["1", "2", "3", "4", "5"]);
    let cat = |id| measure(&r, id)["category"].clone();
    assert_eq!(cat("1"), "强化安全生产责任落实");
    assert_eq!(cat("2"), "强化安全生产责任落实");
    assert_eq!(cat("3"), "深化重点行业领域专项整治");
    assert_eq!(cat("4"), "消防");
    assert_eq!(cat("5"), "夯实基层基础");
    assert_eq!(
        names(&r, "categories"),
        [
            "强化安全生产责任落实",
            "深化重点行业领域专项整治",
            "消防",
            "夯实基层基础"
        ]
    );
    assert_diagnostics(&r, &[]);
}

#[test]
fn bare_number_row_is_a_measure_not_a_section() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况"],
                &["1", "排查隐患", "已完成"],
                &["2"],
                &["3.2"],
                &[""],
                &["5", "开展培训", "已完成"],
            ],
        );
        // A number cell alone on its row.
        ws.write_number(4, 0, 4.0).unwrap();
    });
    let r = report(&[&path]);
    assert_eq!(ids(&r), ["1", "2", "3.2", "4", "5"]);
    for id in ["2", "3.2", "4"] {
        let m = measure(&r, id);
        assert_eq!(m["status"], "unknown", "measure {id}");
        assert_eq!(m["measure"], "", "measure {id}");
    }
    // None of them started a section.
    assert_eq!(measure(&r, "5")["category"], Value::Null);
    assert_eq!(r["categories"], serde_json::json!([]));
    assert_diagnostics(
        &r,
        &[
            "warning B3: measure 2 has no text",
            "warning C3: measure 2 has no status; counted as unknown",
            "warning B4: measure 3.2 has no text",
            "warning C4: measure 3.2 has no status; counted as unknown",
            "warning B5: measure 4 has no text",
            "warning C5: measure 4 has no status; counted as unknown",
        ],
    );
}

#[test]
fn measure_text_without_status_is_unknown_with_warning() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况", "责任单位"],
            &["1", "排查隐患", "", "应急管理办"],
        ],
    );
    let m = measure(&r, "1");
    assert_eq!(m["status"], "unknown");
    assert_eq!(gaps(m), ["unknown_status/major"]);
    assert_eq!(r["summary"]["by_status"]["unknown"], 1);
    assert_diagnostics(
        &r,
        &["warning C2: measure 1 has no status; counted as unknown"],
    );
}

#[test]
fn merged_owner_cell_applies_to_every_row() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "类别", "责任单位", "落实情况"],
                &["1", "排查燃气隐患", "", "", "已完成"],
                &["2", "排查消防隐患", "", "", "未启动"],
                &["3", "排查用电隐患", "", "", "推进中"],
                &["4", "开展培训", "宣传", "综治办", "已完成"],
            ],
        );
        ws.merge_range(1, 2, 3, 2, "隐患排查", &Format::new())
            .unwrap();
        ws.merge_range(1, 3, 3, 3, "应急管理办", &Format::new())
            .unwrap();
    });
    let r = report(&[&path]);
    for id in ["1", "2", "3"] {
        let m = measure(&r, id);
        assert_eq!(strings(&m["owners"]), ["应急管理办"], "measure {id}");
        assert_eq!(m["category"], "隐患排查", "measure {id}");
        assert!(!gaps(m).contains(&"no_owner/minor".to_string()));
    }
    let owner = named(&r, "owners", "应急管理办");
    assert_eq!(owner["measures"], 3);
    assert_eq!(owner["open"], 2);
    assert_close(&owner["score"], 100.0 * 1.5 / 3.0);
    assert_eq!(named(&r, "categories", "隐患排查")["measures"], 3);
}

#[test]
fn total_rows_are_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况", "分值"],
                &["1", "排查隐患", "已完成", ""],
                &["2", "开展培训", "未启动", ""],
                &["小計", "", "", ""],
                &[],
                &["", "", "", ""],
                &["总计：", "", "", ""],
            ],
        );
        ws.write_number(1, 3, 4.0).unwrap();
        ws.write_number(2, 3, 6.0).unwrap();
        ws.write_number(3, 3, 10.0).unwrap();
        // The usual total row: 合计 merged across the id and measure columns.
        ws.merge_range(7, 0, 7, 1, "合计", &Format::new()).unwrap();
        ws.write_number(7, 3, 10.0).unwrap();
        ws.write_number(6, 3, 10.0).unwrap();
    });
    let r = report(&[&path]);
    assert_eq!(ids(&r), ["1", "2"]);
    assert_eq!(r["summary"]["measures"], 2);
    assert_close(&r["summary"]["score"], 40.0);
    assert_diagnostics(&r, &[]);
}

#[test]
fn number_id_reads_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况"],
                &["", "排查隐患", "已完成"],
                &["", "开展培训", "已完成"],
                &["第三条", "应急演练", "已完成"],
                &["（一）", "隐患整改", "已完成"],
            ],
        );
        ws.write_number(1, 0, 3.0).unwrap();
        ws.write_number(2, 0, 3.2).unwrap();
    });
    let r = report(&[&path]);
    assert_eq!(ids(&r), ["3", "3.2", "第三条", "（一）"]);
    assert_eq!(measure(&r, "3")["measure"], "排查隐患");
    assert_diagnostics(&r, &[]);
}

#[test]
fn missing_id_column_numbers_measures_within_their_set() {
    let r = read_rows(
        "台账",
        &[
            &["措施内容", "落实情况", "来源"],
            &["排查隐患", "已完成", "15条"],
            &["开展培训", "已完成", "78条"],
            &["应急演练", "已完成", "15条"],
        ],
    );
    assert_eq!(in_set(&r, "15条", "1")["measure"], "排查隐患");
    assert_eq!(in_set(&r, "15条", "2")["measure"], "应急演练");
    assert_eq!(in_set(&r, "78条", "1")["measure"], "开展培训");
}

#[test]
fn duplicate_id_is_an_error_naming_both_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "dup.xlsx", |wb| {
        let ws = sheet(wb, "78条");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况"],
                &["", "排查隐患", "已完成"],
                &["2", "开展培训", "已完成"],
                &["3", "应急演练", "已完成"],
            ],
        );
        // A number 2.0 and the text "2" are the same id.
        ws.write_number(1, 0, 2.0).unwrap();
    });
    let r = report(&[&path]);
    assert_diagnostics(
        &r,
        &[r#"error A3: duplicate id "2" in set "78条"; first used at dup.xlsx: 78条!A2"#],
    );
    // Both measures are still read.
    assert_eq!(r["summary"]["measures"], 3);
}

#[test]
fn formula_error_reads_as_empty_with_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "责任单位", "落实情况"],
                &["1", "排查隐患", "", "已完成"],
            ],
        );
        ws.write_formula(1, 2, "=NA()").unwrap();
        ws.set_formula_result(1, 2, "#N/A");
    });
    let r = report(&[&path]);
    let m = measure(&r, "1");
    assert_eq!(strings(&m["owners"]), Vec::<String>::new());
    assert_eq!(gaps(m), ["no_owner/minor"]);
    assert_diagnostics(&r, &["warning C2: formula error #N/A; read as empty"]);
}

// ---------------------------------------------------------------------------------------
// List, owner and yes/no cells.

#[test]
fn list_cells_drop_item_markers_and_split() {
    let r = read_rows(
        "台账",
        &[
            &[
                "序号",
                "措施内容",
                "责任单位",
                "配合单位",
                "落实情况",
                "佐证材料",
            ],
            &[
                "1",
                "排查隐患",
                "1.应急管理办\n2.规划建设办",
                "（1）派出所；（2）市场监管所",
                "已完成",
                "①会议纪要\n② 工作方案,通报、台账",
            ],
        ],
    );
    let m = measure(&r, "1");
    assert_eq!(strings(&m["owners"]), ["应急管理办", "规划建设办"]);
    assert_eq!(strings(&m["supporting"]), ["派出所", "市场监管所"]);
    assert_eq!(
        strings(&m["evidence"]),
        ["会议纪要", "工作方案", "通报", "台账"]
    );
}

#[test]
fn owner_names_compared_after_nfkc() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "责任单位", "落实情况"],
            &["1", "排查隐患", "应急管理办 ", "已完成"],
            &["2", "开展培训", "应急管理办", "未启动"],
            &["3", "应急演练", "综治办（综治中心）、应急管理办", "已完成"],
            &["4", "隐患整改", "综治办(综治中心)", "已完成"],
        ],
    );
    assert_eq!(names(&r, "owners"), ["应急管理办", "综治办(综治中心)"]);
    let o = named(&r, "owners", "应急管理办");
    assert_eq!(o["measures"], 3);
    assert_close(&o["score"], 100.0 * 2.0 / 3.0);
    assert_eq!(named(&r, "owners", "综治办(综治中心)")["measures"], 2);
}

#[test]
fn veto_yes_no_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况", "一票否决"],
                &["1", "a", "推进中", "是"],
                &["2", "b", "推进中", "√"],
                &["3", "c", "推进中", "Y"],
                &["4", "d", "推进中", ""],
                &["5", "e", "推进中", "否"],
                &["6", "f", "推进中", "無"],
                &["7", "g", "推进中", "待定"],
                &["8", "h", "推进中", ""],
                &["9", "i", "推进中", "false"],
            ],
        );
        ws.write_number(8, 3, 1.0).unwrap();
    });
    let r = report(&[&path]);
    let vetoes: Vec<bool> = r["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["veto"].as_bool().unwrap())
        .collect();
    assert_eq!(
        vetoes,
        [true, true, true, false, false, false, false, true, false]
    );
    assert_eq!(r["summary"]["veto_open"], 4);
    assert_diagnostics(
        &r,
        &[r#"warning D8: veto "待定" is neither yes nor no; read as no"#],
    );
}

// ---------------------------------------------------------------------------------------
// Status.

#[test]
fn status_longest_leading_term_decides() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况"],
            &["1", "a", "已完成。11月20日召开专题会议"],
            &["2", "b", "基本落实，剩余2家企业"],
            &["3", "c", "部分落實"],
            &["4", "d", "Not applicable to our town"],
            &["5", "e", "no progress yet"],
            &["6", "f", "Completed - meeting held"],
            &["7", "g", " In  Progress "],
            &["8", "h", "常态化开展"],
            &["9", "i", "未啟動"],
            &["10", "j", "N/A"],
            &["11", "k", "/"],
            &["12", "l", "—"],
            &["13", "m", "×"],
            &["14", "n", "√"],
            &["15", "o", "ＤＯＮＥ"],
        ],
    );
    let want = [
        ("1", "done", Some(1.0)),
        ("2", "partial", Some(0.75)),
        ("3", "partial", Some(0.5)),
        ("4", "not_applicable", None),
        ("5", "not_started", Some(0.0)),
        ("6", "done", Some(1.0)),
        ("7", "partial", Some(0.5)),
        ("8", "ongoing", Some(1.0)),
        ("9", "not_started", Some(0.0)),
        ("10", "not_applicable", None),
        ("11", "not_applicable", None),
        ("12", "not_applicable", None),
        ("13", "not_started", Some(0.0)),
        ("14", "done", Some(1.0)),
        ("15", "done", Some(1.0)),
    ];
    for (id, status, credit) in want {
        let m = measure(&r, id);
        assert_eq!(m["status"], status, "measure {id}");
        assert_eq!(m["credit"].as_f64(), credit, "measure {id}");
    }
    assert_eq!(
        measure(&r, "1")["status_text"],
        "已完成。11月20日召开专题会议"
    );
    assert_diagnostics(&r, &[]);
}

#[test]
fn english_status_term_ends_at_a_word_boundary() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况"],
            &["1", "a", "none"],
            &["2", "b", "no"],
            &["3", "c", "done today"],
        ],
    );
    assert_eq!(measure(&r, "1")["status"], "unknown");
    assert_eq!(measure(&r, "2")["status"], "not_started");
    assert_eq!(measure(&r, "3")["status"], "done");
    assert_diagnostics(
        &r,
        &[r#"warning C2: unknown status "none"; counted as unknown"#],
    );
}

#[test]
fn unknown_status_warns_with_nearest_term() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况"],
            &["1", "排查隐患", "已完城"],
        ],
    );
    let m = measure(&r, "1");
    assert_eq!(m["status"], "unknown");
    assert_eq!(m["status_text"], "已完城");
    assert_eq!(gaps(m), ["unknown_status/major", "no_owner/minor"]);
    assert_diagnostics(
        &r,
        &[r#"warning C2: unknown status "已完城"; counted as unknown"#],
    );
    let hint = r["diagnostics"][0]["hint"].as_str().unwrap();
    assert!(
        hint.starts_with(r#"did you mean "已完成"? known statuses: "#),
        "{hint}"
    );
}

#[test]
fn config_status_terms_extend_the_vocabulary() {
    let tmp = tempfile::tempdir().unwrap();
    let path = xlsx(
        tmp.path(),
        "book.xlsx",
        "台账",
        &[
            &["序号", "措施内容", "落实情况"],
            &["1", "排查隐患", "已验收，待归档"],
            &["2", "开展培训", "已完成"],
        ],
    );
    let config = tmp.path().join("my.toml");
    std::fs::write(&config, "[statuses]\ndone = [\"已验收\"]\n").unwrap();
    let out = tmp.path().join("out");
    dossier(tmp.path())
        .arg("build")
        .arg(&path)
        .arg("--config")
        .arg(&config)
        .arg("-o")
        .arg(&out)
        .args(["--as-of", AS_OF, "--format", "json"])
        .assert()
        .success();
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(measure(&r, "1")["status"], "done");
    assert_close(&r["summary"]["score"], 100.0);
    assert_diagnostics(&r, &[]);
}

// ---------------------------------------------------------------------------------------
// Deadlines.

#[test]
fn every_deadline_form_reads_without_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let forms = [
        "2026-12-31",
        "2026/12/30",
        "2026.12.29",
        "2026年12月28日",
        "2026年11月底",
        "2026年10月",
        "2026年年底",
        "2026年末之前",
        "2027年2月底前",
        "",
    ];
    let want = [
        "2026-12-31",
        "2026-12-30",
        "2026-12-29",
        "2026-12-28",
        "2026-11-30",
        "2026-10-31",
        "2026-12-31",
        "2026-12-31",
        "2027-02-28",
        "2026-06-30",
    ];
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(ws, 0, &[&["序号", "措施内容", "落实情况", "完成时限"]]);
        for (i, form) in forms.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, (i + 1).to_string()).unwrap();
            ws.write_string(row, 1, "措施").unwrap();
            ws.write_string(row, 2, "已完成").unwrap();
            if !form.is_empty() {
                ws.write_string(row, 3, *form).unwrap();
            }
        }
        // A real date cell.
        let date = ExcelDateTime::from_ymd(2026, 6, 30).unwrap();
        ws.write_datetime_with_format(10, 3, &date, &Format::new().set_num_format("yyyy-mm-dd"))
            .unwrap();
    });
    let r = report(&[&path]);
    let got: Vec<String> = r["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["deadline"].as_str().unwrap_or("-").to_string())
        .collect();
    assert_eq!(got, want);
    assert_diagnostics(&r, &[]);
}

#[test]
fn deadline_without_year_uses_as_of_year_with_warning() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况", "完成时限", "责任单位"],
            &["1", "排查隐患", "推进中", "12月底前", "应急办"],
            &["2", "开展培训", "推进中", "11月30日", "应急办"],
        ],
    );
    assert_eq!(measure(&r, "1")["deadline"], "2026-12-31");
    assert_eq!(measure(&r, "2")["deadline"], "2026-11-30");
    assert_eq!(gaps(measure(&r, "2")), ["overdue/critical"]);
    assert_diagnostics(
        &r,
        &[
            r#"warning D2: deadline "12月底前" has no year; read as 2026-12-31 (the as-of year)"#,
            r#"warning D3: deadline "11月30日" has no year; read as 2026-11-30 (the as-of year)"#,
        ],
    );
}

#[test]
fn continuous_deadline_has_no_warning() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况", "完成时限", "责任单位"],
            &["1", "排查隐患", "推进中", "长期坚持", "应急办"],
            &["2", "开展培训", "推进中", "ongoing", "应急办"],
        ],
    );
    for id in ["1", "2"] {
        let m = measure(&r, id);
        assert_eq!(m["deadline"], Value::Null);
        assert_eq!(m["continuous"], true);
        assert_eq!(gaps(m), ["partial/minor"]);
    }
    assert_diagnostics(&r, &[]);
}

#[test]
fn unreadable_deadline_warns() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况", "完成时限"],
            &["1", "排查隐患", "已完成", "第3季度"],
        ],
    );
    let m = measure(&r, "1");
    assert_eq!(m["deadline"], Value::Null);
    assert_eq!(m["continuous"], false);
    assert_diagnostics(
        &r,
        &[r#"warning D2: deadline "第3季度" is not a date; no deadline read"#],
    );
}

// ---------------------------------------------------------------------------------------
// Evidence.

#[test]
fn evidence_ready_items_match_by_containment() {
    let required = "1.培训签到表\n2.宣传资料\n（3）整改台账";
    #[rustfmt::skip]
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况", "佐证材料", "已备材料", "责任单位"],
            &["1", "a", "已完成", required, "签到表、宣传资料", "应急办"],
            &["2", "b", "已完成", required, "齊全", "应急办"],
            &["3", "c", "已完成", required, "未準備", "应急办"],
            &["4", "d", "已完成", required, "", "应急办"],
            &["5", "e", "已完成", required, "培训签到表（含照片）、整改", "应急办"],
            &["6", "f", "已完成", required, "已備齊", "应急办"],
            &["7", "g", "已完成", required, "全部", "应急办"],
            &["8", "h", "已完成", required, "否", "应急办"],
        ],
    );
    let missing = |id| strings(&measure(&r, id)["evidence_missing"]);
    assert_eq!(
        strings(&measure(&r, "1")["evidence"]),
        ["培训签到表", "宣传资料", "整改台账"]
    );
    assert_eq!(missing("1"), ["整改台账"]);
    assert_eq!(missing("2"), Vec::<String>::new());
    assert_eq!(missing("3"), ["培训签到表", "宣传资料", "整改台账"]);
    assert_eq!(missing("4"), Vec::<String>::new());
    assert_eq!(measure(&r, "4")["evidence_state"], "unknown");
    assert_eq!(measure(&r, "2")["evidence_state"], "complete");
    assert_eq!(missing("5"), ["宣传资料"]);
    assert_eq!(missing("6"), Vec::<String>::new());
    assert_eq!(missing("7"), Vec::<String>::new());
    assert_eq!(missing("8").len(), 3);
    assert_eq!(gaps(measure(&r, "8")), ["evidence_missing/major"]);
    assert_eq!(r["summary"]["evidence_missing"], 4);
}

#[test]
fn without_evidence_ready_column_evidence_is_unknown_not_missing() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况", "佐证材料", "责任单位"],
            &["1", "a", "已完成", "会议纪要、工作方案", "应急办"],
        ],
    );
    let m = measure(&r, "1");
    assert_eq!(m["evidence_state"], "unknown");
    assert_eq!(strings(&m["evidence_missing"]), Vec::<String>::new());
    assert_eq!(gaps(m), Vec::<String>::new());
    assert_eq!(r["summary"]["evidence_missing"], 0);
}

// ---------------------------------------------------------------------------------------
// Scoring.

#[test]
fn blank_weight_is_one_with_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &["序号", "措施内容", "落实情况", "分值"],
                &["1", "a", "已完成", ""],
                &["2", "b", "未启动", ""],
                &["3", "c", "未启动", "三分"],
                &["4", "d", "已完成", "2"],
            ],
        );
        ws.write_number(1, 3, 4.0).unwrap();
    });
    let r = report(&[&path]);
    let weight = |id| measure(&r, id)["weight"].as_f64().unwrap();
    assert_eq!(
        [weight("1"), weight("2"), weight("3"), weight("4")],
        [4.0, 1.0, 1.0, 2.0]
    );
    // (4 + 2) / (4 + 1 + 1 + 2)
    assert_close(&r["summary"]["score"], 75.0);
    assert_diagnostics(
        &r,
        &[
            "warning D3: weight is blank; 1 is used",
            r#"warning D4: weight "三分" is not a number; 1 is used"#,
        ],
    );
}

#[test]
fn not_applicable_leaves_denominator() {
    let tmp = tempfile::tempdir().unwrap();
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "台账");
        put(
            ws,
            0,
            &[
                &[
                    "序号",
                    "措施内容",
                    "落实情况",
                    "分值",
                    "佐证材料",
                    "已备材料",
                    "完成时限",
                ],
                &["1", "a", "已完成", "", "", "", ""],
                &["2", "b", "未启动", "", "", "", ""],
                &["3", "c", "不涉及", "", "会议纪要", "无", "2026-01-01"],
            ],
        );
        ws.write_number(1, 3, 1.0).unwrap();
        ws.write_number(2, 3, 1.0).unwrap();
        ws.write_number(3, 3, 5.0).unwrap();
    });
    let r = report(&[&path]);
    let s = &r["summary"];
    assert_eq!(s["measures"], 3);
    assert_eq!(s["applicable"], 2);
    assert_eq!(s["by_status"]["not_applicable"], 1);
    assert_close(&s["score"], 50.0);
    let na = measure(&r, "3");
    assert_eq!(na["credit"], Value::Null);
    // No owner, evidence not in hand, deadline passed: still no gap.
    assert_eq!(gaps(na), Vec::<String>::new());
    assert_eq!(strings(&na["evidence_missing"]), Vec::<String>::new());
}

#[test]
fn no_applicable_measure_gives_null_score_and_grade() {
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况"],
            &["1", "a", "不适用"],
            &["2", "b", "无此项"],
        ],
    );
    assert_eq!(r["summary"]["score"], Value::Null);
    assert_eq!(r["summary"]["grade"], Value::Null);
    assert_eq!(r["summary"]["applicable"], 0);
    assert_eq!(named(&r, "sets", "台账")["score"], Value::Null);
}

#[test]
fn grade_bands() {
    let grade = |done: usize, half: bool| {
        let mut rows: Vec<Vec<String>> =
            vec![vec!["序号".into(), "措施内容".into(), "落实情况".into()]];
        for i in 0..20 {
            let status = if i < done {
                "已完成"
            } else if half && i == done {
                "推进中"
            } else {
                "未启动"
            };
            rows.push(vec![(i + 1).to_string(), "措施".into(), status.into()]);
        }
        let rows: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        let r = read_rows("台账", &rows);
        (
            r["summary"]["score"].as_f64().unwrap(),
            r["summary"]["grade"].as_str().unwrap().to_string(),
        )
    };
    // 20 measures: each done is 5 points, the half-done one 2.5.
    assert_eq!(grade(18, false), (90.0, "优秀".to_string()));
    assert_eq!(grade(17, true), (87.5, "良好".to_string()));
    assert_eq!(grade(16, false), (80.0, "良好".to_string()));
    assert_eq!(grade(15, true), (77.5, "一般".to_string()));
    assert_eq!(grade(12, false), (60.0, "一般".to_string()));
    assert_eq!(grade(11, true), (57.5, "较差".to_string()));
}

#[test]
fn veto_open_forces_grade_poor() {
    let rows = |veto_status: &'static str| -> Vec<[&'static str; 5]> {
        let mut rows = vec![["序号", "措施内容", "落实情况", "一票否决", "责任单位"]];
        let ids = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
        for id in ids {
            rows.push([id, "措施", "已完成", "否", "应急办"]);
        }
        rows.push(["10", "杜绝较大以上事故", veto_status, "是", "应急办"]);
        rows
    };
    let run = |veto_status| {
        let rows = rows(veto_status);
        let rows: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        read_rows("安全", &rows)
    };
    // The veto item done: 100, 优秀.
    let r = run("已完成");
    assert_eq!(r["summary"]["grade"], "优秀");
    assert_eq!(r["summary"]["veto_open"], 0);
    assert_eq!(r["summary"]["grade_reason"], Value::Null);
    // The veto item basically done: 97.5 would be 优秀, but the open veto makes it 较差.
    let r = run("基本落实");
    assert_close(&r["summary"]["score"], 97.5);
    assert_eq!(r["summary"]["grade"], "较差");
    assert_eq!(r["summary"]["veto_open"], 1);
    assert_eq!(
        r["summary"]["grade_reason"],
        "open veto items (一票否决): 安全 10"
    );
    assert_eq!(
        gaps(measure(&r, "10")),
        ["veto_open/critical", "partial/minor"]
    );
    assert_eq!(r["summary"]["gaps"]["critical"], 1);
}

#[test]
fn scores_per_set_category_owner() {
    let tmp = tempfile::tempdir().unwrap();
    let header: &[&str] = &[
        "序号",
        "措施内容",
        "类别",
        "责任单位",
        "配合单位",
        "落实情况",
        "分值",
    ];
    let path = book(tmp.path(), "book.xlsx", |wb| {
        let ws = sheet(wb, "15条");
        put(
            ws,
            0,
            &[
                header,
                &["1", "a", "责任", "应急办", "", "已完成", "1"],
                &["2", "b", "责任", "应急办、派出所", "", "未启动", "1"],
                &["3", "c", "整治", "派出所", "", "推进中", "2"],
            ],
        );
        let ws = sheet(wb, "78条");
        put(
            ws,
            0,
            &[
                header,
                &["1", "d", "整治", "应急办", "城管办", "基本完成", "1"],
                &["2", "e", "整治", "应急办", "城管办", "不适用", "1"],
            ],
        );
    });
    let r = report(&[&path]);
    let s = &r["summary"];
    assert_eq!(s["measures"], 5);
    assert_eq!(s["applicable"], 4);
    // (1 + 0 + 0.5×2 + 0.75) / (1 + 1 + 2 + 1)
    assert_close(&s["score"], 55.0);
    assert_eq!(s["grade"], "较差");

    let a = named(&r, "sets", "15条");
    assert_eq!(a["measures"], 3);
    assert_close(&a["score"], 50.0);
    assert_eq!(a["by_status"]["partial"], 1);
    let b = named(&r, "sets", "78条");
    assert_eq!(b["measures"], 2);
    assert_close(&b["score"], 75.0);
    assert_eq!(b["by_status"]["not_applicable"], 1);

    assert_eq!(names(&r, "categories"), ["责任", "整治"]);
    assert_close(&named(&r, "categories", "责任")["score"], 50.0);
    let fix = named(&r, "categories", "整治");
    assert_eq!(fix["measures"], 3);
    assert_close(&fix["score"], 100.0 * 1.75 / 3.0);

    // Worst owner first; a supporting unit is not an owner.
    assert_eq!(names(&r, "owners"), ["派出所", "应急办"]);
    let police = named(&r, "owners", "派出所");
    assert_eq!(police["measures"], 2);
    assert_eq!(police["open"], 2);
    assert_close(&police["score"], 100.0 / 3.0);
    let office = named(&r, "owners", "应急办");
    assert_eq!(office["measures"], 4);
    assert_eq!(office["open"], 2);
    assert_close(&office["score"], 100.0 * 1.75 / 3.0);
}

// ---------------------------------------------------------------------------------------
// Gaps.

#[test]
fn each_gap_kind_and_severity() {
    // As of 2026-12-15.
    #[rustfmt::skip]
    let r = read_rows(
        "台账",
        &[
            &["序号", "措施内容", "落实情况", "完成时限", "责任单位", "佐证材料", "已备材料", "一票否决"],
            &["A", "overdue", "推进中", "2026-12-14", "应急办", "", "", ""],
            &["B", "due in 14 days", "推进中", "2026-12-29", "应急办", "", "", ""],
            &["C", "due in 15 days", "推进中", "2026-12-30", "应急办", "", "", ""],
            &["D", "due today", "推进中", "2026-12-15", "应急办", "", "", ""],
            &["E", "not started", "未启动", "", "应急办", "", "", ""],
            &["F", "not started, late", "未启动", "2026-12-01", "应急办", "", "", ""],
            &["G", "unknown", "待定", "", "应急办", "", "", ""],
            &["H", "done, evidence missing", "已完成", "", "应急办", "台账、纪要", "台账", ""],
            &["I", "partial, evidence missing", "推进中", "", "应急办", "台账、纪要", "无", ""],
            &["J", "done, no owner", "已完成", "", "", "", "", ""],
            &["K", "done, past deadline", "已完成", "2026-01-01", "应急办", "", "", ""],
            &["L", "veto open", "推进中", "", "应急办", "", "", "是"],
            &["M", "ongoing, evidence missing", "常态化", "", "应急办", "台账", "否", ""],
        ],
    );
    let want: &[(&str, &[&str])] = &[
        ("A", &["overdue/critical"]),
        ("B", &["due_soon/major", "partial/minor"]),
        ("C", &["partial/minor"]),
        ("D", &["due_soon/major", "partial/minor"]),
        ("E", &["not_started/major"]),
        ("F", &["overdue/critical"]),
        ("G", &["unknown_status/major"]),
        ("H", &["evidence_missing/major"]),
        ("I", &["partial/minor", "evidence_missing/minor"]),
        ("J", &["no_owner/minor"]),
        ("K", &[]),
        ("L", &["veto_open/critical", "partial/minor"]),
        ("M", &["evidence_missing/major"]),
    ];
    for (id, kinds) in want {
        assert_eq!(gaps(measure(&r, id)), *kinds, "measure {id}");
    }
    assert_eq!(measure(&r, "A")["days_left"], -1);
    assert_eq!(measure(&r, "B")["days_left"], 14);
    let s = &r["summary"];
    assert_eq!(s["gaps"]["critical"], 3); // A F L
    assert_eq!(s["gaps"]["major"], 6); // B D E G H M
    assert_eq!(s["gaps"]["minor"], 3); // C I J
    assert_eq!(s["overdue"], 2);
    assert_eq!(s["due_soon"], 2);
    assert_eq!(s["veto_open"], 1);
    assert_eq!(s["evidence_missing"], 3);
    let owner = named(&r, "owners", "应急办");
    assert_eq!(owner["overdue"], 2);
    assert_eq!(owner["open"], 9); // A B C D E F G I L
}

#[test]
fn lone_ordinal_row_is_a_measure_and_full_width_ids_collide() {
    let tmp = tempfile::tempdir().unwrap();
    let path = xlsx(
        tmp.path(),
        "ids.xlsx",
        "台账",
        &[
            &["序号", "类别", "措施内容", "落实情况"],
            &["一、强化责任落实", "", "", ""],
            &["4", "", "排查隐患", "已完成"],
            &["第三条", "", "", ""],
            &["４", "", "开展培训", "已完成"],
        ],
    );
    let r = report(&[&path]);
    assert_eq!(r["summary"]["measures"], 3);
    // The lone "第三条" is a measure without text, and does not reset the category.
    assert_eq!(measure(&r, "第三条")["category"], "强化责任落实");
    assert_eq!(measure(&r, "第三条")["status"], "unknown");
    let errors: Vec<String> = diagnostic_lines(&r)
        .into_iter()
        .filter(|l| l.starts_with("error"))
        .collect();
    assert_eq!(
        errors,
        ["error A5: duplicate id \"４\" in set \"台账\"; first used at ids.xlsx: 台账!A3"]
    );
}

#[test]
fn two_row_header_with_merged_cells_is_one_header() {
    use rust_xlsxwriter::{Format, Workbook};
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("two-rows.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    let f = Format::new();
    ws.merge_range(0, 0, 1, 0, "序号", &f).unwrap();
    ws.merge_range(0, 1, 1, 1, "措施内容", &f).unwrap();
    ws.merge_range(0, 2, 0, 3, "责任单位", &f).unwrap();
    ws.write_string(1, 2, "牵头单位").unwrap();
    ws.write_string(1, 3, "配合单位").unwrap();
    ws.merge_range(0, 4, 1, 4, "落实情况", &f).unwrap();
    for (c, v) in ["1", "排查隐患", "应急办", "派出所", "已完成"]
        .iter()
        .enumerate()
    {
        ws.write_string(2, c as u16, *v).unwrap();
    }
    wb.save(&path).unwrap();
    let r = report(&[&path]);
    // The merged header cells are not read again as a measure in the sub-header row.
    assert_eq!(r["summary"]["measures"], 1);
    let m = measure(&r, "1");
    assert_eq!(m["owners"], serde_json::json!(["应急办"]));
    assert_eq!(m["supporting"], serde_json::json!(["派出所"]));
    assert_diagnostics(&r, &[]);
}
