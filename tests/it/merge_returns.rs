//! `dossier merge` on returns made the way departments make them, with the split's base
//! sheet still inside: sorted without the key column, cells cleared, words typed for
//! dates, merged twice or late, locked cells edited, re-saved through LibreOffice as
//! xlsx, xls and ods (where it is installed). Each asserts the merged workbook cell by
//! cell against the master: exactly the intended cells change.

use crate::common::{AS_OF, dossier, sample};
use crate::merge::{HEADER, col, row_of, text};
use crate::xls_writer::{Cell, rows_from_range};
use calamine::{Data, Reader, Xlsx, open_workbook};
use dossier::merge::xlsx::{CellEdit, MasterXlsx, NewValue};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    master: PathBuf,
    split: PathBuf,
}

fn setup(lang: &str) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let master = dir.join("qingxi-town.xlsx");
    std::fs::copy(sample("qingxi-town.xlsx"), &master).unwrap();
    let split = dir.join("split");
    dossier(&dir)
        .arg("split")
        .arg(&master)
        .arg("-o")
        .arg(&split)
        .args(["--as-of", AS_OF, "--no-pdf", "--lang", lang])
        .assert()
        .success();
    Setup {
        _tmp: tmp,
        dir,
        master,
        split,
    }
}

/// The department's sheet as cells (the first sheet).
fn rows(path: &Path) -> Vec<Vec<Cell>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    rows_from_range(&book.worksheet_range(&name).unwrap())
}

/// Writes cells (0-based row, column) into the department's sheet the way a
/// spreadsheet program saves an edit: every other byte of the file (the base sheet,
/// protection, validations) kept.
fn edit(path: &Path, edits: &[(usize, usize, Cell)]) {
    let name = {
        let book: Xlsx<_> = open_workbook(path).unwrap();
        book.sheet_names()[0].clone()
    };
    let bytes = std::fs::read(path).unwrap();
    let book = MasterXlsx::open(&bytes, u64::MAX).unwrap();
    let sheet = book.sheet(&name).unwrap();
    let edits: Vec<CellEdit> = edits
        .iter()
        .map(|(r, c, cell)| CellEdit {
            row: *r as u32 + 1,
            col: *c as u32,
            value: match cell {
                Cell::Empty => NewValue::Blank,
                Cell::Text(t) => NewValue::Text(t.clone()),
                Cell::Date(d) => NewValue::Date(*d),
                Cell::Number(n) => NewValue::Text(n.to_string()),
            },
            style: None,
        })
        .collect();
    let xml = sheet.edited(&edits, &[], book.date1904);
    let part = book.part(&name).unwrap().to_string();
    let out = book.write(&HashMap::from([(part, xml)])).unwrap();
    std::fs::write(path, out).unwrap();
}

/// The file re-saved by LibreOffice as `ext` (into `dir/ext/`), or `None` where
/// LibreOffice is not installed.
fn resave(path: &Path, ext: &str, dir: &Path) -> Option<PathBuf> {
    let soffice = ["soffice", "libreoffice"].into_iter().find(|p| {
        std::process::Command::new(p)
            .arg("--version")
            .output()
            .is_ok()
    })?;
    let out = dir.join(ext);
    std::fs::create_dir_all(&out).unwrap();
    let profile = dir.join("lo-profile");
    let status = std::process::Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", ext, "--outdir"])
        .arg(&out)
        .arg(path)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let file = out.join(path.with_extension(ext).file_name().unwrap());
    assert!(file.exists(), "LibreOffice wrote no {}", file.display());
    Some(file)
}

fn merge_args(s: &Setup, returned: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    dossier(&s.dir)
        .arg("merge")
        .arg(&s.master)
        .args(returned)
        .arg("-o")
        .arg(out)
        .args(["--as-of", AS_OF])
        .args(extra)
        .output()
        .unwrap()
}

/// Merges and returns (stderr, merge-log.md).
fn merge(s: &Setup, master: &Path, returned: &[&Path], out: &Path) -> (String, String) {
    let output = dossier(&s.dir)
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
    let log = std::fs::read_to_string(out.parent().unwrap().join("merge-log.md")).unwrap();
    (stderr, log)
}

/// Every cell of every sheet by (sheet, cell name), as calamine reads it.
fn all_cells(path: &Path) -> BTreeMap<(String, String), Data> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let mut out = BTreeMap::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            let cell = dossier::model::cell_name(r0 + r as u32, c0 + c as u32);
            out.insert((name.clone(), cell), v.clone());
        }
    }
    out
}

/// The cells that differ between two workbooks, as "sheet!A1: old → new".
fn changed(a: &Path, b: &Path) -> Vec<String> {
    let (a, b) = (all_cells(a), all_cells(b));
    let mut out = Vec::new();
    for k in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        if a.get(k) != b.get(k) {
            out.push(format!("{}!{}: {:?} → {:?}", k.0, k.1, a.get(k), b.get(k)));
        }
    }
    out
}

#[test]
fn rows_sorted_without_the_key_column_write_nothing_onto_other_measures() {
    let s = setup("zh-CN");
    let path = s.split.join("公安分局.xlsx");
    let mut table = rows(&path);
    let st = col(&table, "落实情况");
    for row in &mut table[HEADER + 1..] {
        row[st] = Cell::Text("已完成".into());
    }
    // Sort A:N by the measure text, the hidden key column O left where it was.
    let key = col(&table, "dossier-key");
    let me = col(&table, "措施内容");
    let mut body: Vec<Vec<Cell>> = table[HEADER + 1..].to_vec();
    body.sort_by_key(|r| std::cmp::Reverse(text(&r[me])));
    let mut edits = Vec::new();
    let mut moved = 0;
    for (i, r) in body.iter().enumerate() {
        let at = HEADER + 1 + i;
        if text(&r[me]) != text(&table[at][me]) {
            moved += 1;
        }
        for (c, cell) in r.iter().enumerate().take(key) {
            edits.push((at, c, cell.clone()));
        }
    }
    assert!(moved > 5, "the sort moved rows");
    edit(&path, &edits);
    let out = s.dir.join("out/merged.xlsx");
    let (stderr, log) = merge(&s, &s.master, &[&path], &out);
    assert!(log.contains(&format!("### 行与键不符（{moved}）")), "{log}");
    // The rows left in place are their keys' measures and are taken.
    let stay = body.len() - moved;
    assert!(
        stderr.contains(&format!("merged {stay} changes")) || stay > 0,
        "{stderr}"
    );
    let changes = changed(&s.master, &out);
    assert_eq!(
        changes.len(),
        log.matches("| 落实情况 |").count(),
        "{changes:?}"
    );
    for c in &changes {
        assert!(
            c.contains("已完成"),
            "only statuses of rows still in place: {c}"
        );
    }
}

#[test]
fn cleared_cells_and_words_typed_for_dates_keep_the_masters_values() {
    let s = setup("zh-CN");
    let path = s.split.join("应急管理分局.xlsx");
    let table = rows(&path);
    let cols = ["落实情况", "进展说明", "完成时限", "已备材料"].map(|h| col(&table, h));
    let dl = cols[2];
    let words = [
        "待定",
        "尽快完成",
        "下周",
        "2027-13-45",
        "明年3月",
        "2027年一季度",
    ];
    let mut edits = Vec::new();
    for r in HEADER + 1..table.len() {
        for c in cols {
            let typed = words.get(r - HEADER - 1).filter(|_| c == dl);
            let cell = typed.map_or(Cell::Empty, |w| Cell::Text((*w).into()));
            edits.push((r, c, cell));
        }
    }
    edit(&path, &edits);
    let out = s.dir.join("out/merged.xlsx");
    let (stderr, log) = merge(&s, &s.master, &[&path], &out);
    assert!(stderr.contains("merged 0 changes"), "{stderr}");
    assert_eq!(changed(&s.master, &out), Vec::<String>::new());
    assert!(log.contains("### 无法识别的完成时限（6）"), "{log}");
    for w in words {
        assert!(log.contains(&format!("“{w}”不是日期")), "{w}\n{log}");
    }
    assert!(log.contains("### 清空了单元格（"), "{log}");
    assert!(log.contains("空白不算答复，保留台账原值"), "{log}");
}

#[test]
fn a_stale_return_or_the_same_return_twice_never_reverts_an_update() {
    let s = setup("zh-CN");
    // 市场监管分局 and 消防救援所 both lead 市78条 68.
    let a = s.split.join("市场监管分局.xlsx");
    let b = s.split.join("消防救援所.xlsx");
    let table = rows(&a);
    let st = col(&table, "落实情况");
    let r = row_of(&table, "市78条", "68");
    edit(&a, &[(r, st, Cell::Text("已完成（11月已验收）".into()))]);
    let m1 = s.dir.join("one/merged.xlsx");
    merge(&s, &s.master, &[&a], &m1);
    let first = changed(&s.master, &m1);
    assert_eq!(first.len(), 1, "{first:?}");
    // Written as typed: full-width brackets stay.
    assert!(first[0].contains("已完成（11月已验收）"), "{first:?}");

    // Later: B's untouched sheet, and A's sheet once more.
    let m2 = s.dir.join("two/merged.xlsx");
    let (stderr, log) = merge(&s, &m1, &[&b, &a], &m2);
    assert!(stderr.contains("merged 0 changes"), "{stderr}");
    assert!(stderr.contains("; 0 not taken"), "{stderr}");
    assert_eq!(changed(&m1, &m2), Vec::<String>::new());
    assert!(log.contains("## 台账中已是反馈的值（1）"), "{log}");

    // The co-lead changing the same status from what it was sent: refused.
    let table = rows(&b);
    let r = row_of(&table, "市78条", "68");
    edit(&b, &[(r, st, Cell::Text("未启动".into()))]);
    let m3 = s.dir.join("three/merged.xlsx");
    let (_, log) = merge(&s, &m1, &[&b], &m3);
    assert_eq!(changed(&m1, &m3), Vec::<String>::new());
    assert!(log.contains("### 下发后台账已改（1）"), "{log}");
    // The master's status as read (NFKC, as every status is compared).
    assert!(log.contains("台账现为“已完成(11月已验收)”"), "{log}");
}

#[test]
fn returns_resaved_through_libreoffice_merge_exactly_as_the_original() {
    let s = setup("zh-CN");
    let path = s.split.join("公安分局.xlsx");
    let table = rows(&path);
    let (st, pr, dl) = (
        col(&table, "落实情况"),
        col(&table, "进展说明"),
        col(&table, "完成时限"),
    );
    let r = row_of(&table, "市78条", "14");
    let date = chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    edit(
        &path,
        &[
            (r, st, Cell::Text("已完成".into())),
            (r, pr, Cell::Text("11月召开专题会议（已整改）".into())),
            (r, dl, Cell::Date(date)),
        ],
    );
    let original = s.dir.join("original/merged.xlsx");
    merge(&s, &s.master, &[&path], &original);
    let expected = changed(&s.master, &original);
    assert_eq!(
        expected.len(),
        4,
        "status, progress, its new header, deadline: {expected:?}"
    );
    for ext in ["xlsx", "xls", "ods"] {
        let Some(resaved) = resave(&path, ext, &s.dir.join("lo")) else {
            eprintln!("LibreOffice is not installed: the re-saved returns are not tried");
            return;
        };
        let out = s.dir.join(format!("{ext}/merged.xlsx"));
        let (_, log) = merge(&s, &s.master, &[&resaved], &out);
        assert!(
            log.contains("与下发时比对"),
            "{ext}: the base survived\n{log}"
        );
        assert_eq!(changed(&s.master, &out), expected, "{ext}");
    }
}

#[test]
fn locked_cells_edited_are_reported_and_never_written() {
    let s = setup("zh-CN");
    let path = s.split.join("应急管理分局.xlsx");
    let table = rows(&path);
    let r = HEADER + 1;
    let edits: Vec<(usize, usize, Cell)> = [
        ("分值", "9"),
        ("一票否决", "是"),
        ("佐证材料", "另一份材料"),
        ("配合单位", "别的单位"),
        ("类别", "别的类别"),
    ]
    .iter()
    .map(|(h, v)| (r, col(&table, h), Cell::Text((*v).into())))
    .collect();
    edit(&path, &edits);
    let out = s.dir.join("out/merged.xlsx");
    let (_, log) = merge(&s, &s.master, &[&path], &out);
    assert_eq!(changed(&s.master, &out), Vec::<String>::new());
    let reported = ["分值", "佐证材料", "配合单位", "类别"]
        .iter()
        .filter(|h| log.contains(&format!("“{h}”由镇安委办维护")))
        .count();
    let veto_changed = text(&table[r][col(&table, "一票否决")]) != "是";
    let expected = 4 + usize::from(veto_changed);
    assert!(reported >= 4, "{log}");
    assert!(
        log.contains(&format!("### 修改了锁定字段（{expected}）")),
        "{log}"
    );
}

#[test]
fn the_log_tells_files_apart_and_names_departments_that_did_not_return() {
    let s = setup("zh-CN");
    // Two returns of the same name from two folders, one row cleared whole (deleted).
    let a = s.split.join("公安分局.xlsx");
    let table = rows(&a);
    let last = table.len() - 1;
    let cleared: Vec<(usize, usize, Cell)> = (0..table[last].len())
        .map(|c| (last, c, Cell::Empty))
        .collect();
    edit(&a, &cleared);
    let (one, two) = (s.dir.join("one"), s.dir.join("two"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&two).unwrap();
    std::fs::copy(&a, one.join("反馈.xlsx")).unwrap();
    std::fs::copy(s.split.join("消防救援所.xlsx"), two.join("反馈.xlsx")).unwrap();
    let out = s.dir.join("out/merged.xlsx");
    let split = s.split.display().to_string();
    let output = merge_args(
        &s,
        &[&one.join("反馈.xlsx"), &two.join("反馈.xlsx")],
        &out,
        &["--split", &split],
    );
    assert!(output.status.success(), "{output:?}");
    let log = std::fs::read_to_string(s.dir.join("out/merge-log.md")).unwrap();
    assert!(
        log.contains(&format!(
            "| {} | 公安分局 |",
            one.join("反馈.xlsx").display()
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "| {} | 消防救援所 |",
            two.join("反馈.xlsx").display()
        )),
        "{log}"
    );
    assert!(log.contains("## 未反馈的责任单位（10）"), "{log}");
    assert!(log.contains("- 应急管理分局（应急管理分局.xlsx，"), "{log}");
    assert!(log.contains("## 反馈中删去的行（1）"), "{log}");
    assert_eq!(changed(&s.master, &out), Vec::<String>::new());
}

#[test]
fn a_dry_run_writes_only_the_log_and_files_follow_the_umask() {
    let s = setup("zh-CN");
    let path = s.split.join("公安分局.xlsx");
    let table = rows(&path);
    let r = row_of(&table, "市78条", "14");
    edit(
        &path,
        &[(r, col(&table, "落实情况"), Cell::Text("已完成".into()))],
    );
    let out = s.dir.join("dry/merged.xlsx");
    let output = merge_args(&s, &[&path], &out, &["--dry-run"]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("dry run: would merge 1 changes"));
    assert!(!out.exists());
    let log = std::fs::read_to_string(s.dir.join("dry/merge-log.md")).unwrap();
    assert!(log.contains("试运行：只写了本日志"), "{log}");

    let out = s.dir.join("real/merged.xlsx");
    merge(&s, &s.master, &[&path], &out);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        // The test runs under the usual umask 022.
        assert_eq!(
            mode & 0o044,
            0o044,
            "readable by others as any new file: {mode:o}"
        );
    }
    // A file at the output path that no merge wrote is never replaced.
    let theirs = s.dir.join("real/theirs.xlsx");
    std::fs::write(&theirs, b"the office's own file").unwrap();
    let output = merge_args(&s, &[&path], &theirs, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("dossier did not write"));
    assert_eq!(std::fs::read(&theirs).unwrap(), b"the office's own file");
    // The merge's own output is replaced by a later merge, also after a merge to another
    // file beside it; once the office edits it, it is theirs.
    let other = s.dir.join("real/other.xlsx");
    merge(&s, &s.master, &[&path], &other);
    merge(&s, &s.master, &[&path], &out);
    std::fs::write(&other, b"edited by the office").unwrap();
    let output = merge_args(&s, &[&path], &other, &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(std::fs::read(&other).unwrap(), b"edited by the office");
}

#[test]
fn a_missing_returned_file_stops_the_merge_before_anything_is_written() {
    let s = setup("zh-CN");
    let out = s.dir.join("out/merged.xlsx");
    let missing = s.dir.join("没有这个文件.xlsx");
    let output = merge_args(&s, &[&s.split.join("公安分局.xlsx"), &missing], &out, &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "dossier: {}: no such returned file; nothing was merged",
            missing.display()
        )),
        "{stderr}"
    );
    assert!(!s.dir.join("out").exists());
}

#[test]
fn a_keyless_return_without_ids_is_matched_by_text_and_says_why_not() {
    let s = setup("zh-CN");
    // A measure of 应急管理分局's, by its text alone: one whose text is the text of no
    // other measure, and one whose text several measures share.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for f in std::fs::read_dir(&s.split).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "xlsx") {
            let sheet = rows(&f);
            let me = col(&sheet, "措施内容");
            let keys = col(&sheet, "dossier-key");
            let mut mine = std::collections::HashSet::new();
            for r in &sheet[HEADER + 1..] {
                if mine.insert(text(&r[keys])) {
                    *seen.entry(text(&r[me])).or_default() += 1;
                }
            }
        }
    }
    let sheet = rows(&s.split.join("应急管理分局.xlsx"));
    let me = col(&sheet, "措施内容");
    let texts: Vec<String> = sheet[HEADER + 1..].iter().map(|r| text(&r[me])).collect();
    let unique: Vec<&String> = texts.iter().filter(|t| seen[*t] == 1).take(2).collect();
    let (text4, text5) = (unique[0].clone(), unique[1].clone());
    let shared = texts.iter().find(|t| seen[*t] > 1).unwrap().clone();
    let path = s.dir.join("应急管理分局-手填.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (r, row) in [
        ["措施内容", "落实情况"],
        [text4.as_str(), "已完成"],
        [text5.as_str(), "已完成"],
        ["一条台账里没有的措施", "已完成"],
        [shared.as_str(), "已完成"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save(&path).unwrap();
    let out = s.dir.join("out/merged.xlsx");
    let (_, log) = merge(&s, &s.master, &[&path], &out);
    let applied = log.matches("| 落实情况 |").count();
    assert_eq!(changed(&s.master, &out).len(), applied, "{log}");
    assert!(applied >= 1, "{log}");
    assert!(
        log.contains("一条台账里没有的措施 | 台账中没有与该行内容相同的措施"),
        "{log}"
    );
    assert!(
        log.contains("该行内容与台账中多项措施相同，无法确定是哪一项"),
        "{log}"
    );
    assert!(log.contains("无下发记录，与台账现状比对"), "{log}");
}

#[test]
fn a_return_far_larger_than_its_master_is_refused_whole_and_the_rest_merge() {
    let s = setup("zh-CN");
    std::fs::write(
        s.dir.join("dossier.toml"),
        "[limits]\nreturn_extra_rows = 10\n",
    )
    .unwrap();
    // 2 × 158 + 10 = 326 rows at most: a sheet with 400 is refused unread.
    let big = s.dir.join("big.xlsx");
    let table = rows(&s.split.join("应急管理分局.xlsx"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let mut r = 0u32;
    for row in table.iter().take(HEADER + 1) {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r, c as u16, text(cell)).unwrap();
        }
        r += 1;
    }
    while r < 420 {
        for row in table.iter().skip(HEADER + 1) {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r, c as u16, text(cell)).unwrap();
            }
            r += 1;
        }
    }
    book.save(&big).unwrap();
    let path = s.split.join("公安分局.xlsx");
    let t = rows(&path);
    let row = row_of(&t, "市78条", "14");
    edit(
        &path,
        &[(row, col(&t, "落实情况"), Cell::Text("已完成".into()))],
    );
    let out = s.dir.join("out/merged.xlsx");
    let (stderr, log) = merge(&s, &s.master, &[&big, &path], &out);
    assert!(stderr.contains("merged 1 changes"), "{stderr}");
    assert!(log.contains("### 反馈文件行数超过上限（1）"), "{log}");
    assert!(log.contains("超过 326 行"), "{log}");
}

#[test]
fn a_traditional_master_round_trips_with_a_traditional_log() {
    // The sample with its headers in Traditional, as a Taiwan or Hong Kong office keeps it.
    let s = {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let master = dir.join("traditional.xlsx");
        let bytes = std::fs::read(sample("qingxi-town.xlsx")).unwrap();
        let book = MasterXlsx::open(&bytes, u64::MAX).unwrap();
        let names = {
            let b: Xlsx<_> = open_workbook(sample("qingxi-town.xlsx")).unwrap();
            b.sheet_names()
        };
        let words = [
            ("措施内容", "措施內容"),
            ("牵头单位", "牽頭單位"),
            ("责任单位", "責任單位"),
            ("落实情况", "落實情況"),
            ("完成时限", "完成時限"),
            ("佐证材料", "佐證材料"),
            ("序号", "序號"),
        ];
        let mut replaced = HashMap::new();
        let mut b: Xlsx<_> = open_workbook(sample("qingxi-town.xlsx")).unwrap();
        for name in &names {
            let range = b.worksheet_range(name).unwrap();
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let mut edits = Vec::new();
            for (r, c, v) in range.used_cells() {
                let t = v.to_string();
                if let Some((_, tw)) = words.iter().find(|(cn, _)| t.trim() == *cn) {
                    edits.push(CellEdit {
                        row: r0 + r as u32 + 1,
                        col: c0 + c as u32,
                        value: NewValue::Text((*tw).into()),
                        style: None,
                    });
                }
            }
            if !edits.is_empty() {
                let xml = book.sheet(name).unwrap().edited(&edits, &[], book.date1904);
                replaced.insert(book.part(name).unwrap().to_string(), xml);
            }
        }
        assert!(!replaced.is_empty());
        std::fs::write(&master, book.write(&replaced).unwrap()).unwrap();
        let split = dir.join("split");
        dossier(&dir)
            .arg("split")
            .arg(&master)
            .arg("-o")
            .arg(&split)
            .args(["--as-of", AS_OF, "--no-pdf", "--lang", "zh-TW"])
            .assert()
            .success();
        Setup {
            _tmp: tmp,
            dir,
            master,
            split,
        }
    };
    let path = s.split.join("公安分局.xlsx");
    let table = rows(&path);
    let st = col(&table, "落實情況");
    let pr = col(&table, "進展說明");
    let r = (HEADER + 1..table.len())
        .find(|&r| text(&table[r][st]) != "已完成")
        .unwrap();
    edit(
        &path,
        &[
            (r, st, Cell::Text("已完成".into())),
            (r, pr, Cell::Text("已於11月召開會議".into())),
            (r + 1, st, Cell::Text("待確認".into())),
        ],
    );
    let out = s.dir.join("out/merged.xlsx");
    let output = merge_args(&s, &[&path], &out, &["--lang", "zh-TW"]);
    assert!(output.status.success(), "{output:?}");
    let log = std::fs::read_to_string(s.dir.join("out/merge-log.md")).unwrap();
    assert!(log.contains("合併日誌"), "{log}");
    assert!(log.contains("## 已寫入的修改（2）"), "{log}");
    assert!(log.contains("與下發時比對"), "{log}");
    assert!(log.contains("### 無法識別的狀態（1）"), "{log}");
    assert!(log.contains("「待確認」不是已知狀態詞"), "{log}");
    assert!(log.contains("新增「進展說明」欄"), "{log}");
    // The status, the note, and the Traditional header of the note's new column.
    let changes = changed(&s.master, &out);
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(
        changes.iter().any(|c| c.contains("進展說明")),
        "{changes:?}"
    );
}

#[test]
fn a_reference_sheet_copied_into_a_return_is_left_unread_and_the_rest_merges() {
    let s = setup("zh-CN");
    let mine = rows(&s.split.join("公安分局.xlsx"));
    let reference = {
        let mut book: Xlsx<_> = open_workbook(&s.master).unwrap();
        rows_from_range(&book.worksheet_range("市78条").unwrap())
    };
    let st = col(&mine, "落实情况");
    let r = row_of(&mine, "市78条", "14");
    let path = s.dir.join("公安分局-带参考.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, table) in [("反馈表", &mine), ("参考", &reference)] {
        let ws = book.add_worksheet();
        ws.set_name(name).unwrap();
        for (i, row) in table.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let value = if name == "反馈表" && i == r && c == st {
                    "已完成".to_string()
                } else {
                    text(cell)
                };
                ws.write_string(i as u32, c as u16, value).unwrap();
            }
        }
    }
    book.save(&path).unwrap();
    let out = s.dir.join("out/merged.xlsx");
    let (stderr, log) = merge(&s, &s.master, &[&path], &out);
    assert!(stderr.contains("merged 1 changes"), "{stderr}\n{log}");
    assert!(
        log.contains("的工作表“参考”不是该单位的反馈表，未读取"),
        "{log}"
    );
    assert_eq!(changed(&s.master, &out).len(), 1);
}

#[test]
fn many_refusals_of_one_kind_show_twenty_and_a_count() {
    let s = setup("zh-CN");
    // The department's rows pasted again and again below its table: 公安分局 has 13.
    let table = rows(&s.split.join("公安分局.xlsx"));
    let body = table.len() - HEADER - 1;
    let path = s.dir.join("公安分局-重复.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let mut r = 0u32;
    for row in table.iter() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r, c as u16, text(cell)).unwrap();
        }
        r += 1;
    }
    for _ in 0..3 {
        for row in table.iter().skip(HEADER + 1) {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r, c as u16, text(cell)).unwrap();
            }
            r += 1;
        }
    }
    book.save(&path).unwrap();
    let out = s.dir.join("out/merged.xlsx");
    let (_, log) = merge(&s, &s.master, &[&path], &out);
    let duplicates = 3 * body;
    assert!(
        log.contains(&format!("### 重复行（{duplicates}）")),
        "{log}"
    );
    assert!(
        log.contains(&format!("另有 {} 项，见 merge-log.xlsx。", duplicates - 20)),
        "{log}"
    );
    assert_eq!(log.matches("同一措施在该文件中出现多次").count(), 20);
    // The workbook log lists them all.
    let mut book: Xlsx<_> = open_workbook(s.dir.join("out/merge-log.xlsx")).unwrap();
    let refusals = book.worksheet_range("未采纳").unwrap();
    let listed = refusals.rows().filter(|r| r[0] == "重复行").count();
    assert_eq!(listed, duplicates);
    assert_eq!(changed(&s.master, &out), Vec::<String>::new());
}
