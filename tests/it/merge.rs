//! `dossier merge`: department sheets from `split`, changed the way people change them
//! (drop-down and free-text statuses, sorted, filtered, a row inserted, the key column deleted,
//! re-saved as .xls, locked cells edited, two departments disagreeing), merged back; the
//! merged workbook judged by `check`, its untouched parts compared byte for byte.

use crate::common::{AS_OF, dossier, sample};
use crate::xls_writer::{Cell, rows_from_range, write_xls};
use calamine::{Reader, Xlsx, open_workbook};
use chrono::NaiveDate;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The 0-based row of a split sheet's table header.
pub(crate) const HEADER: usize = 8;

fn split(dir: &Path, master: &Path) -> PathBuf {
    let out = dir.join("split");
    dossier(dir)
        .arg("split")
        .arg(master)
        .arg("-o")
        .arg(&out)
        .args(["--as-of", AS_OF, "--no-pdf"])
        .assert()
        .success();
    out
}

/// A returned sheet as cells, as another program would hold it after opening it.
fn open(path: &Path) -> Vec<Vec<Cell>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    rows_from_range(&book.worksheet_range(&name).unwrap())
}

/// Saves cells as an xlsx, as a program that re-saves a sheet does: values kept,
/// protection, validation and hidden columns gone.
fn save_xlsx(path: &Path, rows: &[Vec<Cell>]) {
    save_filtered(path, rows, &[]);
}

/// Saves cells as an xlsx with `hidden` rows (0-based) hidden, as a filter leaves them.
fn save_filtered(path: &Path, rows: &[Vec<Cell>], hidden: &[usize]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for r in hidden {
        ws.set_row_hidden(*r as u32).unwrap();
    }
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => {
                    ws.write_string(r, c, t).unwrap();
                }
                Cell::Number(n) => {
                    ws.write_number(r, c, *n).unwrap();
                }
                Cell::Date(d) => {
                    use chrono::Datelike;
                    let d = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.year() as u16,
                        d.month() as u8,
                        d.day() as u8,
                    )
                    .unwrap();
                    ws.write_datetime_with_format(r, c, d, &date).unwrap();
                }
            }
        }
    }
    book.save(path).unwrap();
}

/// A cell as its text (the split sheets' cells are text; anything else shows its kind).
pub(crate) fn text(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

/// The column of a split sheet's table headed `header`.
pub(crate) fn col(rows: &[Vec<Cell>], header: &str) -> usize {
    rows[HEADER]
        .iter()
        .position(|c| text(c) == header)
        .unwrap_or_else(|| panic!("no column {header}"))
}

/// The table row (index into `rows`) of the measure `set`/`id`.
pub(crate) fn row_of(rows: &[Vec<Cell>], set: &str, id: &str) -> usize {
    let (s, i) = (col(rows, "措施来源"), col(rows, "序号"));
    (HEADER + 1..rows.len())
        .find(|&r| text(&rows[r][s]) == set && text(&rows[r][i]) == id)
        .unwrap_or_else(|| panic!("no row {set} {id}"))
}

fn set_cell(rows: &mut [Vec<Cell>], r: usize, c: usize, cell: Cell) {
    if rows[r].len() <= c {
        rows[r].resize(c + 1, Cell::Empty);
    }
    rows[r][c] = cell;
}

fn report(dir: &Path, input: &Path) -> Value {
    let out = dossier(dir)
        .arg("check")
        .arg(input)
        .args(["--format", "json", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = dir.join(format!(
        "report-{}",
        input.file_stem().unwrap().to_string_lossy()
    ));
    dossier(dir)
        .arg("build")
        .arg(input)
        .arg("-o")
        .arg(&target)
        .args(["--format", "json", "--as-of", AS_OF])
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(target.join("report.json")).unwrap()).unwrap()
}

/// The measures of a report by (set, id), without what names the file.
fn measures(report: &Value) -> BTreeMap<(String, String), Value> {
    report["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m.as_object_mut().unwrap().remove("source");
            (
                (
                    m["set"].as_str().unwrap().to_string(),
                    m["id"].as_str().unwrap().to_string(),
                ),
                m,
            )
        })
        .collect()
}

fn entries(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

/// Every `<c …>…</c>` (or `<c …/>`) of a sheet part, by its reference.
fn cells(xml: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = xml;
    while let Some(at) = rest.find("<c ") {
        let tail = &rest[at..];
        let head_end = tail.find('>').unwrap();
        let end = if tail[..head_end].ends_with('/') {
            head_end + 1
        } else {
            tail.find("</c>").unwrap() + 4
        };
        let cell = &tail[..end];
        let r = cell
            .split("r=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        out.insert(r.to_string(), cell.to_string());
        rest = &tail[end..];
    }
    out
}

fn merge(dir: &Path, master: &Path, returned: &[PathBuf], out: &Path) -> String {
    let output = dossier(dir)
        .arg("merge")
        .arg(master)
        .args(returned)
        .arg("-o")
        .arg(out)
        .args(["--as-of", AS_OF])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

#[test]
fn returned_sheets_changed_as_people_do_merge_into_the_master_and_nothing_else_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let master = dir.join("qingxi-town.xlsx");
    std::fs::copy(sample("qingxi-town.xlsx"), &master).unwrap();
    let master_bytes = std::fs::read(&master).unwrap();
    let sheets = split(dir, &master);
    let back = dir.join("back");
    std::fs::create_dir_all(&back).unwrap();

    // 公安分局: statuses through the drop-down and as free text, a progress note (the
    // master has no progress column), a deadline, a locked cell edited, rows sorted
    // backwards, a row inserted for a measure the master does not have, an unknown
    // status.
    let mut a = open(&sheets.join("公安分局.xlsx"));
    let (st, pr, dl, me) = (
        col(&a, "落实情况"),
        col(&a, "进展说明"),
        col(&a, "完成时限"),
        col(&a, "措施内容"),
    );
    let r = row_of(&a, "市78条", "14");
    set_cell(&mut a, r, st, Cell::Text("已完成".into()));
    set_cell(
        &mut a,
        r,
        pr,
        Cell::Text("11月召开专题会议，<b>已整改</b> | 完毕".into()),
    );
    let r = row_of(&a, "省65条", "21");
    set_cell(
        &mut a,
        r,
        st,
        Cell::Text("部分落实。已完成排查，整改推进中".into()),
    );
    let deadline = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    set_cell(&mut a, r, dl, Cell::Date(deadline));
    set_cell(&mut a, r, me, Cell::Text("改过的措施内容".into()));
    let r = row_of(&a, "国务院15条", "1");
    set_cell(&mut a, r, st, Cell::Text("待定".into()));
    let mut table = a.split_off(HEADER + 1);
    table.reverse();
    let mut inserted = vec![Cell::Empty; a[HEADER].len()];
    inserted[col(&a, "措施来源")] = Cell::Text("市78条".into());
    inserted[col(&a, "序号")] = Cell::Text("999".into());
    inserted[me] = Cell::Text("新增的一条措施".into());
    inserted[st] = Cell::Text("已完成".into());
    table.insert(2, inserted);
    a.extend(table);
    let a_path = back.join("公安分局.xlsx");
    // Saved filtered to the rows still open: a hidden row is still the department's.
    let hidden = row_of(&a, "市78条", "14");
    save_filtered(&a_path, &a, &[hidden]);

    // 交通运输分局: the key column deleted, re-saved as .xls: matched by set and id.
    let mut b = open(&sheets.join("交通运输分局.xlsx"));
    let key = col(&b, "dossier-key");
    let r = row_of(&b, "省65条", "12");
    let st = col(&b, "落实情况");
    set_cell(&mut b, r, st, Cell::Text("已落实".into()));
    for row in &mut b {
        if row.len() > key {
            row.remove(key);
        }
    }
    let b_path = back.join("交通运输分局.xls");
    std::fs::write(&b_path, write_xls(&[("反馈表", b)])).unwrap();

    // 市场监管分局 and 消防救援所 both lead 市78条 68 and disagree on its status;
    // they agree on its deadline.
    let mut returned = vec![a_path, b_path];
    for (name, status) in [("市场监管分局", "已完成"), ("消防救援所", "未启动")] {
        let mut rows = open(&sheets.join(format!("{name}.xlsx")));
        let r = row_of(&rows, "市78条", "68");
        let (st, dl) = (col(&rows, "落实情况"), col(&rows, "完成时限"));
        set_cell(&mut rows, r, st, Cell::Text(status.into()));
        set_cell(&mut rows, r, dl, Cell::Text("长期坚持".into()));
        let path = back.join(format!("{name}.xlsx"));
        save_xlsx(&path, &rows);
        returned.push(path);
    }
    // Another unit's workbook (ids in common, texts not), and a file that is no
    // workbook at all.
    returned.push(sample("departments.csv"));
    let notes = back.join("notes.txt");
    std::fs::write(&notes, "请于12月20日前反馈\n").unwrap();
    returned.push(notes);

    let merged = dir.join("merged.xlsx");
    let stderr = merge(dir, &master, &returned, &merged);
    let log = std::fs::read_to_string(dir.join("merge-log.md")).unwrap();
    assert!(
        stderr.contains("merged 4 changes from 6 files into"),
        "{stderr}\n{log}"
    );
    assert!(stderr.contains("进展说明"), "{stderr}");
    assert_eq!(
        std::fs::read(&master).unwrap(),
        master_bytes,
        "the master is never changed"
    );

    // check on the merged workbook: the master with exactly these updates.
    let before = measures(&report(dir, &master));
    let after = measures(&report(dir, &merged));
    assert_eq!(before.len(), after.len());
    let key = |s: &str, i: &str| (s.to_string(), i.to_string());
    let mut expected = before.clone();
    let mut set = |s: &str, i: &str, field: &str, v: Value| {
        expected.get_mut(&key(s, i)).unwrap()[field] = v;
    };
    set("市78条", "14", "status_text", "已完成".into());
    set(
        "市78条",
        "14",
        "progress",
        "11月召开专题会议，<b>已整改</b> | 完毕".into(),
    );
    // 省65条 21 had its locked text edited: the row is no longer its key's measure,
    // and none of it is taken.
    set("省65条", "12", "status_text", "已落实".into());
    set("市78条", "68", "deadline", Value::Null);
    set("市78条", "68", "continuous", true.into());
    for (k, m) in &after {
        let e = &expected[k];
        for field in [
            "status_text",
            "progress",
            "deadline",
            "continuous",
            "measure",
            "owners",
            "evidence",
        ] {
            assert_eq!(m[field], e[field], "{k:?} {field}");
        }
    }
    assert_eq!(after[&key("市78条", "14")]["status"], "done");
    assert_eq!(
        after[&key("省65条", "21")]["status_text"],
        before[&key("省65条", "21")]["status_text"]
    );
    // Not taken: the conflict, the locked text, the unknown status, the inserted row.
    assert_eq!(
        after[&key("市78条", "68")]["status_text"],
        before[&key("市78条", "68")]["status_text"]
    );
    assert_eq!(after[&key("国务院15条", "1")]["status_text"], "已完成");

    // The log says every change and every refusal, once each.
    let at = |name: &str| back.join(name).display().to_string();
    let departments_csv = sample("departments.csv").display().to_string();
    for line in [
        "| 市78条 | 14 | ".to_string(),
        format!(
            "| 落实情况 | 未落实 | 已完成 | {} Sheet1\\!第",
            at("公安分局.xlsx")
        ),
        format!(
            "| 完成时限 | 2027-02-02 | 长期坚持 | {} Sheet1\\!第11行、{} Sheet1\\!第10行 |",
            at("市场监管分局.xlsx"),
            at("消防救援所.xlsx")
        ),
        "### 反馈冲突（1）".into(),
        format!(
            "落实情况：{} Sheet1\\!第11行 已完成、{} Sheet1\\!第10行 未启动；均未采纳",
            at("市场监管分局.xlsx"),
            at("消防救援所.xlsx")
        ),
        "### 行与键不符（1）".into(),
        "| 省65条 | 21 | 改过的措施内容 | 该行的措施内容已不是隐藏键所指的 省65条 21".into(),
        "### 无法识别的状态（1）".into(),
        "| 国务院15条 | 1 |".into(),
        "“待定”不是已知状态词".into(),
        "### 台账中无此措施（1）".into(),
        "| 市78条 | 999 | 新增的一条措施 | 台账中没有与该行内容相同的措施（市78条 999） |".into(),
        format!(
            "| 不是本台账某一责任单位的反馈表：没有或只有少数行对应该单位牵头的措施，整个文件未采纳 | {departments_csv} |"
        ),
        "### 无法读取（1）".into(),
        format!(
            "| 找不到含“措施内容”和“落实情况”列的表头 | {} |",
            at("notes.txt")
        ),
        format!("| {departments_csv} | — | — | 0 | 0 | 1 |"),
        "新增“进展说明”列".into(),
        "11月召开专题会议，&lt;b&gt;已整改&lt;/b&gt; \\| 完毕".into(),
    ] {
        assert!(log.contains(&line), "missing {line:?} in\n{log}");
    }
    let html = std::fs::read_to_string(dir.join("merge-log.html")).unwrap();
    assert!(
        html.contains("&lt;b&gt;已整改&lt;&#x2F;b&gt;")
            || html.contains("&lt;b&gt;已整改&lt;/b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>已整改"));
    let log_book: Xlsx<_> = open_workbook(dir.join("merge-log.xlsx")).unwrap();
    assert_eq!(
        log_book.sheet_names(),
        ["已写入的修改", "未采纳", "反馈文件"]
    );

    // Every zip entry but the changed sheets is the master's, byte for byte; within a
    // changed sheet every cell but the changed ones (and the added column) is too.
    let (old, new) = (entries(&master), entries(&merged));
    assert_eq!(
        old.keys().collect::<Vec<_>>(),
        new.keys().collect::<Vec<_>>()
    );
    let mut changed_cells = Vec::new();
    for (name, bytes) in &old {
        if bytes == &new[name] {
            continue;
        }
        assert!(name.starts_with("xl/worksheets/sheet"), "{name} changed");
        let (a, b) = (
            cells(std::str::from_utf8(bytes).unwrap()),
            cells(std::str::from_utf8(&new[name]).unwrap()),
        );
        for (r, cell) in &b {
            if a.get(r) != Some(cell) {
                changed_cells.push(format!("{name}:{r}"));
            }
        }
        assert!(
            a.keys().all(|r| b.contains_key(r)),
            "a cell vanished from {name}"
        );
    }
    changed_cells.sort();
    // 市78条 (sheet4): 14 status and progress (new column), the header of the new column,
    // 68 deadline; 省65条 (sheet3): 12 status.
    assert_eq!(changed_cells.len(), 5, "{changed_cells:?}");

    // The round trip closes: the merged workbook split again and returned unchanged
    // merges as no changes, into a workbook whose every part is the merged one's.
    let again = tempfile::tempdir().unwrap();
    let sheets = split(again.path(), &merged);
    let returned: Vec<PathBuf> = std::fs::read_dir(&sheets)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    let twice = again.path().join("twice.xlsx");
    let stderr = merge(again.path(), &merged, &returned, &twice);
    assert!(
        stderr.contains("merged 0 changes from 12 files"),
        "{stderr}"
    );
    assert!(stderr.contains("; 0 not taken"), "{stderr}");
    assert_eq!(entries(&merged), entries(&twice));
}

#[test]
fn a_split_returned_unchanged_merges_as_no_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let master = sample("qingxi-town.xlsx");
    let sheets = split(dir, &master);
    let returned: Vec<PathBuf> = std::fs::read_dir(&sheets)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    assert_eq!(returned.len(), 12);
    let merged = dir.join("out").join("merged.xlsx");
    let stderr = merge(dir, &master, &returned, &merged);
    assert!(
        stderr.contains("merged 0 changes from 12 files"),
        "{stderr}"
    );
    assert!(stderr.contains("0 not taken"), "{stderr}");
    let log = std::fs::read_to_string(dir.join("out").join("merge-log.md")).unwrap();
    assert!(log.contains("没有需要写入的修改"), "{log}");
    assert_eq!(entries(&master), entries(&merged));
}

/// Cell texts by (sheet, 0-based row, column).
type Cells = BTreeMap<(String, u32, u32), String>;

/// Every cell of every sheet of any workbook, by (sheet, row, column), with the sheet
/// names in order.
fn any_cells(path: &Path) -> (Vec<String>, Cells) {
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let names = book.sheet_names();
    let mut cells = BTreeMap::new();
    for name in &names {
        let range = book.worksheet_range(name).unwrap();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            let v = match v {
                calamine::Data::DateTime(d) => d.as_datetime().unwrap().date().to_string(),
                calamine::Data::DateTimeIso(d) => d[..10.min(d.len())].to_string(),
                other => other.to_string(),
            };
            cells.insert((name.clone(), r0 + r as u32, c0 + c as u32), v);
        }
    }
    (names, cells)
}

#[test]
fn a_master_that_is_not_xlsx_becomes_an_xlsx_keeping_every_sheet_and_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut masters = vec![crate::common::fixture("formats/merged.xls")];
    // The sample as an office keeps it in WPS or LibreOffice, with an instructions sheet.
    let soffice = ["soffice", "libreoffice"].into_iter().find(|p| {
        std::process::Command::new(p)
            .arg("--version")
            .output()
            .is_ok()
    });
    if let Some(soffice) = soffice {
        for ext in ["xls", "ods"] {
            let out = dir.join("lo");
            let done = std::process::Command::new(soffice)
                .arg(format!(
                    "-env:UserInstallation=file://{}/profile",
                    dir.display()
                ))
                .args(["--headless", "--convert-to", ext, "--outdir"])
                .arg(&out)
                .arg(sample("qingxi-town.xlsx"))
                .output()
                .unwrap();
            assert!(done.status.success(), "{done:?}");
            masters.push(out.join(format!("qingxi-town.{ext}")));
        }
    } else {
        eprintln!("LibreOffice is not installed: only the .xls fixture is tried");
    }
    for (n, master) in masters.iter().enumerate() {
        let work = dir.join(format!("m{n}"));
        std::fs::create_dir_all(&work).unwrap();
        let sheets = split(&work, master);
        let first = std::fs::read_dir(&sheets)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
            .unwrap();
        let mut rows = open(&first);
        let st = col(&rows, "落实情况");
        let r = HEADER + 1;
        set_cell(&mut rows, r, st, Cell::Text("不适用（已撤销）".into()));
        let back = work.join("back.xlsx");
        save_xlsx(&back, &rows);
        let merged = work.join("merged.xlsx");
        let stderr = merge(&work, master, &[back], &merged);
        assert!(stderr.contains("is not an xlsx workbook"), "{stderr}");
        assert!(stderr.contains("merged 1 changes"), "{stderr}");
        let (names_before, before) = any_cells(master);
        let (names_after, after) = any_cells(&merged);
        assert_eq!(
            names_before,
            names_after,
            "{}: every sheet, in order",
            master.display()
        );
        let changed: Vec<_> = after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v))
            .collect();
        assert_eq!(changed.len(), 1, "{}: {changed:?}", master.display());
        assert_eq!(changed[0].1, "不适用（已撤销）", "written as typed");
        assert!(
            before.keys().all(|k| after.contains_key(k)),
            "{}: a cell vanished",
            master.display()
        );
        let log = std::fs::read_to_string(work.join("merge-log.md")).unwrap();
        assert!(log.contains("不是 xlsx，合并后的台账另存为 xlsx"), "{log}");
    }
}

#[test]
fn a_cell_shared_by_two_measures_or_holding_a_formula_is_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let master = dir.join("master.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("市78条").unwrap();
    let head = ["序号", "措施内容", "牵头单位", "落实情况", "完成时限"];
    for (c, h) in head.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [
        ["1", "开展隐患排查", "应急管理办"],
        ["2", "召开专题会议", "应急管理办"],
        ["3", "组织应急演练", "应急管理办"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
        ws.write_string(r as u32 + 1, 4, "2026-12-31").unwrap();
    }
    let fmt = rust_xlsxwriter::Format::new();
    ws.merge_range(1, 3, 2, 3, "推进中", &fmt).unwrap();
    ws.write_formula(
        3,
        3,
        rust_xlsxwriter::Formula::new("=\"推进中\"").set_result("推进中"),
    )
    .unwrap();
    book.save(&master).unwrap();

    let sheets = split(dir, &master);
    let path = sheets.join("应急管理办.xlsx");
    let mut rows = open(&path);
    let (st, dl) = (col(&rows, "落实情况"), col(&rows, "完成时限"));
    for id in ["1", "3"] {
        let r = row_of(&rows, "市78条", id);
        set_cell(&mut rows, r, st, Cell::Text("已完成".into()));
        set_cell(&mut rows, r, dl, Cell::Text("2027-01-15".into()));
    }
    save_xlsx(&path, &rows);
    let merged = dir.join("merged.xlsx");
    let stderr = merge(dir, &master, &[path], &merged);
    assert!(stderr.contains("merged 2 changes"), "{stderr}");
    assert!(stderr.contains("2 not taken"), "{stderr}");
    let log = std::fs::read_to_string(dir.join("merge-log.md")).unwrap();
    assert!(
        log.contains("| 市78条 | 1 | 开展隐患排查 | 落实情况：D2 与其他措施合并（D2:D3） | D2 |"),
        "{log}"
    );
    assert!(
        log.contains("| 市78条 | 3 | 组织应急演练 | 落实情况：D4 是公式单元格 | D4 |"),
        "{log}"
    );
    let after = measures(&report(dir, &merged));
    for id in ["1", "3"] {
        let m = &after[&("市78条".to_string(), id.to_string())];
        assert_eq!(m["deadline"], "2027-01-15", "{id}");
        assert_eq!(m["status_text"], "推进中", "{id}");
    }
}

#[test]
fn the_merged_workbook_never_replaces_the_master() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let master = dir.join("qingxi-town.xlsx");
    std::fs::copy(sample("qingxi-town.xlsx"), &master).unwrap();
    let before = std::fs::read(&master).unwrap();
    let out = dossier(dir)
        .arg("merge")
        .arg(&master)
        .arg(&master)
        .arg("-o")
        .arg(&master)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("dossier: ")
            && stderr.contains("the merged workbook would replace the master"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&master).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}
