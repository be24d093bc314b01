//! `dossier split`: one protected sheet per lead department, read back the way the
//! office and the departments would open it.

use crate::common::{AS_OF, dossier, report, sample, xlsx};
use calamine::{Data, Reader, Xlsx, open_workbook};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// Runs `dossier split INPUTS -o TMP/out --as-of AS_OF EXTRA…`, expecting success.
fn split(dir: &Path, inputs: &[&Path], extra: &[&str]) -> PathBuf {
    let out = dir.join("out");
    std::fs::create_dir_all(dir).unwrap();
    let mut cmd = dossier(dir);
    cmd.arg("split");
    for i in inputs {
        cmd.arg(i);
    }
    cmd.arg("-o").arg(&out).args(["--as-of", AS_OF]).args(extra);
    cmd.assert().success();
    out
}

/// The first sheet of an xlsx as rows of text (dates as calamine gives them).
fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let (r0, c0) = range.start().unwrap();
    assert_eq!((r0, c0), (0, 0), "{}", path.display());
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::DateTime(d) => d
                        .as_datetime()
                        .map(|d| d.date().to_string())
                        .unwrap_or_default(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// One part of an xlsx (a zip), as text.
fn part(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The key the sheet should carry for a measure of `report.json`, computed here
/// independently: set, id, first 8 hex of SHA-256 of the NFKC text.
fn expected_key(m: &Value) -> String {
    let text: String = m["measure"].as_str().unwrap().nfkc().collect();
    let digest = Sha256::digest(text.trim().as_bytes());
    let fp: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    serde_json::to_string(&[m["set"].as_str().unwrap(), m["id"].as_str().unwrap(), &fp]).unwrap()
}

/// Index of a header in the table's header row (row 9).
fn column(rows: &[Vec<String>], header: &str) -> usize {
    rows[8]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header} in {:?}", rows[8]))
}

fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_sample_splits_into_one_sheet_per_owner_each_measure_once_open_first() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("qingxi-town.xlsx");
    let out = split(
        tmp.path(),
        &[&input],
        &[
            "--due",
            "2026-12-31",
            "--contact",
            "镇安委办 张三 0760-1234",
        ],
    );
    let report = report(&[&input]);
    let owners: Vec<&Value> = report["owners"].as_array().unwrap().iter().collect();
    let mut expected: BTreeSet<String> = owners
        .iter()
        .flat_map(|o| {
            let n = o["name"].as_str().unwrap();
            [format!("{n}.xlsx"), format!("{n}.pdf")]
        })
        .collect();
    expected.insert("split.json".into());
    assert_eq!(listing(&out), expected);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("split.json")).unwrap()).unwrap();
    assert_eq!(manifest["schema"], "dossier.split/2");
    assert_eq!(
        manifest["departments"].as_array().unwrap().len(),
        owners.len()
    );

    let measures = report["measures"].as_array().unwrap();
    for owner in owners {
        let name = owner["name"].as_str().unwrap();
        let rows = rows(&out.join(format!("{name}.xlsx")));
        // The header block.
        assert_eq!(rows[0][0], format!("清溪镇 {name} 措施落实情况反馈表"));
        let block: Vec<(&str, &str)> = rows[1..6]
            .iter()
            .map(|r| (r[0].as_str(), r[2].as_str()))
            .collect();
        assert_eq!(
            block,
            [
                ("单位", "清溪镇"),
                ("责任单位", name),
                ("统计截至", AS_OF),
                ("反馈截止", "2026-12-31"),
                ("联系人", "镇安委办 张三 0760-1234"),
            ]
        );
        // Each of the owner's measures exactly once, under its key.
        let key_col = column(&rows, "dossier-key");
        let status_col = column(&rows, "落实情况");
        let keys: Vec<&str> = rows[9..].iter().map(|r| r[key_col].as_str()).collect();
        let mine: Vec<&Value> = measures
            .iter()
            .filter(|m| m["owners"].as_array().unwrap().iter().any(|o| o == name))
            .collect();
        assert_eq!(keys.len(), mine.len(), "{name}");
        assert_eq!(mine.len() as u64, owner["measures"].as_u64().unwrap());
        let by_key: BTreeMap<String, &Value> = mine.iter().map(|m| (expected_key(m), *m)).collect();
        assert_eq!(by_key.len(), mine.len(), "{name}: keys are unique");
        let got: BTreeSet<&str> = keys.iter().copied().collect();
        assert_eq!(got.len(), keys.len(), "{name}: a measure twice");
        assert_eq!(
            got,
            by_key.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            "{name}"
        );
        // Open and missing-evidence measures first, then the rest.
        let needs_work: Vec<bool> = rows[9..]
            .iter()
            .map(|r| {
                let m = by_key[&r[key_col]];
                assert_eq!(r[status_col], m["status_text"].as_str().unwrap_or(""));
                ["partial", "not_started", "unknown"].contains(&m["status"].as_str().unwrap())
                    || !m["evidence_missing"].as_array().unwrap().is_empty()
            })
            .collect();
        let first_rest = needs_work
            .iter()
            .position(|w| !w)
            .unwrap_or(needs_work.len());
        assert!(
            needs_work[first_rest..].iter().all(|w| !w),
            "{name}: {needs_work:?}"
        );
    }
}

#[test]
fn a_sheet_is_protected_validated_and_set_up_for_a4_landscape() {
    let tmp = tempfile::tempdir().unwrap();
    let out = split(tmp.path(), &[&sample("qingxi-town.xlsx")], &["--no-pdf"]);
    let file = out.join("应急管理分局.xlsx");
    let sheet = part(&file, "xl/worksheets/sheet1.xml");
    for needle in [
        "<dataValidation ",
        "type=\"list\"",
        "已完成,持续推进,基本落实,部分落实,未启动,不适用",
        "type=\"date\"",
        "<sheetProtection ",
        "sort=\"0\"",
        "autoFilter=\"0\"",
        "paperSize=\"9\"",
        "orientation=\"landscape\"",
        "fitToHeight=\"0\"",
        "<pageSetUpPr fitToPage=\"1\"/>",
        "<autoFilter ref=\"A9:O27\"/>",
        "hidden=\"1\"",
    ] {
        assert!(sheet.contains(needle), "no {needle} in {sheet}");
    }
    assert!(!sheet.contains("password="), "protected without a password");
    assert!(!sheet.contains("<f>"), "no formulas: every cell is data");
    let styles = part(&file, "xl/styles.xml");
    assert!(styles.contains("<protection locked=\"0\"/>"), "{styles}");
    let workbook = part(&file, "xl/workbook.xml");
    assert!(workbook.contains("_xlnm.Print_Titles"), "{workbook}");
    let custom = part(&file, "docProps/custom.xml");
    assert!(custom.contains("dossier.split/2") && custom.contains("应急管理分局"));

    let again = split(
        &tmp.path().join("pw"),
        &[&sample("qingxi-town.xlsx")],
        &["--no-pdf", "--password", "s3cret"],
    );
    let sheet = part(&again.join("应急管理分局.xlsx"), "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<sheetProtection password="), "{sheet}");
}

#[test]
fn the_same_inputs_give_the_same_bytes_and_a_rerun_replaces_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("qingxi-town.xlsx");
    let one = split(&tmp.path().join("a"), &[&input], &["--due", "2026-12-31"]);
    let two = split(&tmp.path().join("b"), &[&input], &["--due", "2026-12-31"]);
    let names = listing(&one);
    assert_eq!(names, listing(&two));
    for name in &names {
        assert!(
            std::fs::read(one.join(name)).unwrap() == std::fs::read(two.join(name)).unwrap(),
            "{name} differs between two runs"
        );
    }
    // Splitting again into the same folder replaces it; a file of the user's stops it.
    split(&tmp.path().join("a"), &[&input], &["--no-pdf"]);
    assert!(!listing(&one).iter().any(|n| n.ends_with(".pdf")));
    std::fs::write(one.join("notes.txt"), "mine").unwrap();
    let err = dossier(&tmp.path().join("a"))
        .args(["split"])
        .arg(&input)
        .arg("-o")
        .arg(&one)
        .args(["--as-of", AS_OF])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&err.get_output().stderr).into_owned();
    assert!(
        err.starts_with("dossier: ") && err.contains("notes.txt"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(one.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn department_names_become_safe_distinct_file_names_and_cells_stay_data() {
    let tmp = tempfile::tempdir().unwrap();
    let input = xlsx(
        tmp.path(),
        "town.xlsx",
        "市78条",
        &[
            &["序号", "措施内容", "责任单位", "落实情况"],
            &["1", "=1+1", "安监/应急办", "推进中"],
            &["2", "建立台账", "CON", "已完成"],
            &["3", "开展检查", "Con、安监/应急办", "未启动"],
            &["4", "无人牵头", "", "未启动"],
        ],
    );
    let out = split(tmp.path(), &[&input], &["--no-pdf"]);
    assert_eq!(
        listing(&out),
        BTreeSet::from([
            "_CON.xlsx".to_string(),
            "_Con-2.xlsx".to_string(),
            "安监_应急办.xlsx".to_string(),
            "split.json".to_string(),
        ])
    );
    let rows = rows(&out.join("安监_应急办.xlsx"));
    let text_col = column(&rows, "措施内容");
    let texts: Vec<&str> = rows[9..].iter().map(|r| r[text_col].as_str()).collect();
    // A measure with two leads goes to both; the worse gap first (未启动 before 推进中).
    assert_eq!(texts, ["开展检查", "=1+1"]);
    let sheet = part(&out.join("安监_应急办.xlsx"), "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "{sheet}");
    assert_eq!(rows[2][2], "安监/应急办");
}

#[test]
fn check_reads_a_split_sheet_as_the_departments_measures() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("qingxi-town.xlsx");
    let out = split(tmp.path(), &[&input], &["--no-pdf"]);
    let master = report(&[&input]);
    let sheet = out.join("应急管理分局.xlsx");
    let part_report = report(&[&sheet]);
    let key = |m: &Value| format!("{}/{}", m["set"], m["id"]);
    let master: BTreeMap<String, &Value> = master["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (key(m), m))
        .collect();
    let read = part_report["measures"].as_array().unwrap();
    assert!(!read.is_empty());
    for m in read {
        let was = master[&key(m)];
        for field in [
            "measure",
            "owners",
            "status",
            "status_text",
            "deadline",
            "evidence",
            "evidence_missing",
            "weight",
            "veto",
            "category",
        ] {
            assert_eq!(m[field], was[field], "{} {field}", key(m));
        }
    }
    let stdout = dossier(tmp.path())
        .arg("check")
        .arg(&sheet)
        .args(["--as-of", AS_OF])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        stdout.contains(&format!("{} measures", read.len())),
        "{stdout}"
    );
}

#[test]
fn task_sheets_follow_the_templates_folder_and_the_font_given() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("owner-tasks.md"),
        "# 督办单 {{ unit }}\n\n{% for o in owners %}## {{ o.name }}\n\n共{{ o.measures }}项\n{% endfor %}",
    )
    .unwrap();
    let font = crate::common::root().join("assets/fonts/NotoSansCJKsc-Regular-dossier.otf");
    let out = split(
        tmp.path(),
        &[&sample("qingxi-town.xlsx")],
        &[
            "--templates",
            templates.to_str().unwrap(),
            "--font",
            &format!("{}#0", font.display()),
        ],
    );
    let pdf = out.join("公安分局.pdf");
    let text = crate::pdf::text(&pdf, None);
    assert!(text.contains("督办单 清溪镇"), "{text}");
    assert!(text.contains("共12项"), "{text}");
    let fonts = crate::pdf::tool("pdffonts", &pdf);
    assert!(fonts.contains("+NotoSansCJKsc-Regular-dossier"), "{fonts}");
}
