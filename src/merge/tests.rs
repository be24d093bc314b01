//! The change set, on the sample's department sheets read back as a returned file would
//! be, then edited in memory the way people edit them.

use super::*;
use crate::config::Config;
use crate::ingest::status::{Classified, Vocabulary};
use crate::pipeline::{Unit, UnitSpec, read_unit};
use crate::render::{self, Lang, templates::Templates};
use crate::split::{self, SplitOptions};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()
}

fn master() -> Unit {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let spec = UnitSpec {
        inputs: vec![root.join("inputs/qingxi-town.xlsx")],
        as_of: as_of(),
        evidence: None,
        period: None,
    };
    read_unit(&spec, &Config::default()).unwrap()
}

/// Every department's sheet, written and read back: (department, returned file).
fn returned(unit: &Unit) -> Vec<(String, ReturnedFile)> {
    let analysis = unit.analyse();
    let templates = Templates::default();
    let labels = render::labels(&templates, Lang::ZhCn).unwrap();
    let config = Config::default();
    let opts = SplitOptions {
        unit: "清溪镇",
        due: None,
        contact: None,
        password: None,
        labels: &labels,
        templates: &templates,
        font: None,
        limits: config.limits,
    };
    let tmp = tempfile::tempdir().unwrap();
    split::departments(&analysis)
        .iter()
        .map(|d| {
            let path = tmp.path().join(format!("{}.xlsx", d.stem));
            let bytes = split::department_workbook(d, as_of(), &opts).unwrap();
            std::fs::write(&path, bytes).unwrap();
            let book = crate::ingest::read_inputs(
                &[path],
                &crate::ingest::ReadOptions {
                    as_of: as_of(),
                    vocabulary: config.vocabulary(),
                    limits: config.limits,
                },
            )
            .unwrap();
            let name = format!("{}.xlsx", d.stem);
            (d.name.clone(), ReturnedFile { name, book })
        })
        .collect()
}

fn status(text: &str) -> Status {
    match Vocabulary::default().classify(text) {
        Classified::Known(s) | Classified::Blank(s) | Classified::Unrecognised(s, _) => s,
    }
}

fn take(files: &mut Vec<(String, ReturnedFile)>, department: &str) -> ReturnedFile {
    let at = files.iter().position(|(d, _)| d == department).unwrap();
    files.remove(at).1
}

#[test]
fn sheets_returned_unchanged_merge_as_no_changes() {
    let unit = master();
    let files = returned(&unit);
    let (names, files): (Vec<String>, Vec<ReturnedFile>) = files.into_iter().unzip();
    let plan = plan(&unit.book.measures, &files);
    assert_eq!(plan.changes, []);
    assert_eq!(plan.refusals, []);
    let found: Vec<String> = plan
        .departments
        .iter()
        .map(|(_, d)| d.clone().unwrap())
        .collect();
    assert_eq!(found, names);
}

#[test]
fn edits_are_found_after_sorting_and_without_the_key_and_doubtful_ones_refused() {
    let unit = master();
    let master = &unit.book.measures;
    let mut files = returned(&unit);
    let mut file = take(&mut files, "应急管理分局");
    let rows = &mut file.book.measures;
    let done = rows
        .iter()
        .position(|r| r.status.class != StatusClass::Done)
        .unwrap();
    let done_key = Key::of(&rows[done]);
    rows[done].status = status("已完成。12月10日验收");
    // The key column deleted on another row: matched by set and id.
    let keyless = (done + 1) % rows.len();
    let keyless_key = Key::of(&rows[keyless]);
    rows[keyless].extras.clear();
    rows[keyless].progress = Some("=已召开专题会议".into());
    // A locked cell changed, and a status nobody can classify.
    let locked = (done + 2) % rows.len();
    let locked_key = Key::of(&rows[locked]);
    rows[locked].text.push_str("（已改）");
    rows[locked].status = status("待定中");
    // A row inserted that the master does not have, then everything sorted backwards.
    let mut extra = rows[0].clone();
    extra.extras.clear();
    extra.id = "999".into();
    extra.text = "新增的一行".into();
    rows.push(extra);
    rows.reverse();

    let plan = plan(master, std::slice::from_ref(&file));
    let key_of = |i: usize| Key::of(&master[i]);
    let got: Vec<(Key, Field, String)> = plan
        .changes
        .iter()
        .map(|c| (key_of(c.measure), c.field, c.new.to_string()))
        .collect();
    assert!(got.contains(&(done_key, Field::Status, "已完成。12月10日验收".into())));
    assert!(got.contains(&(keyless_key, Field::Progress, "=已召开专题会议".into())));
    assert_eq!(got.len(), 2, "{got:?}");
    let refused: Vec<String> = plan
        .refusals
        .iter()
        .map(|r| match r {
            Refusal::LockedField { measure, field, .. } => {
                assert_eq!(key_of(*measure), locked_key);
                format!("locked {field}")
            }
            Refusal::UnknownStatus { measure, text, .. } => {
                assert_eq!(key_of(*measure), locked_key);
                format!("status {text}")
            }
            Refusal::UnknownRow { id, .. } => format!("unknown {id}"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        refused,
        ["unknown 999", "locked measure", "status 待定中"],
        "{:?}",
        plan.refusals
    );
    // What check on the merged workbook must give: the master with the one status set.
    let merged = apply(master, &plan);
    let i = plan
        .changes
        .iter()
        .find(|c| c.field == Field::Status)
        .unwrap()
        .measure;
    assert_eq!(merged[i].status.class, StatusClass::Done);
    assert_eq!(merged.len(), master.len());
}

#[test]
fn two_departments_disagreeing_is_a_conflict_and_agreeing_one_change() {
    let unit = master();
    let master = &unit.book.measures;
    let shared = master
        .iter()
        .position(|m| m.owners.len() == 2)
        .expect("the sample has a measure with two leads");
    let key = Key::of(&master[shared]);
    let [a, b] = [&master[shared].owners[0], &master[shared].owners[1]];
    let mut files = returned(&unit);
    let mut fa = take(&mut files, a);
    let mut fb = take(&mut files, b);
    let set = |f: &mut ReturnedFile, text: &str| {
        let row = f
            .book
            .measures
            .iter_mut()
            .find(|r| Key::of(r) == key)
            .unwrap();
        row.status = status(text);
    };
    // Both change it (a department leaving the master's value asks for nothing).
    assert!(!["基本完成", "未启动"].contains(&master[shared].status.text.as_str()));
    set(&mut fa, "基本完成");
    set(&mut fb, "未启动");
    let disagree = plan(master, &[fa, fb]);
    assert_eq!(disagree.changes, []);
    assert!(matches!(
        &disagree.refusals[..],
        [Refusal::Conflict { measure, field: Field::Status, values }]
            if *measure == shared && values.len() == 2
    ));

    let mut files = returned(&unit);
    let mut fa = take(&mut files, a);
    let mut fb = take(&mut files, b);
    set(&mut fa, "基本完成");
    set(&mut fb, "基本完成");
    let agree = plan(master, &[fa, fb]);
    assert_eq!(agree.refusals, []);
    assert_eq!(agree.changes.len(), 1);
    assert_eq!(agree.changes[0].from.len(), 2);
}

#[test]
fn another_departments_row_and_a_foreign_file_are_refused() {
    let unit = master();
    let master = &unit.book.measures;
    let mut files = returned(&unit);
    let mut mine = take(&mut files, "应急管理分局");
    let theirs = files
        .iter()
        .flat_map(|(_, f)| f.book.measures.iter())
        .find(|r| !r.owners.iter().any(|o| o == "应急管理分局"))
        .unwrap()
        .clone();
    let mut changed = theirs.clone();
    changed.status = status("已完成");
    changed.progress = Some("代为填写".into());
    mine.book.measures.push(changed);
    let mut foreign = take(&mut files, "公安分局");
    for (n, r) in foreign.book.measures.iter_mut().enumerate() {
        r.extras.clear();
        r.set = "别的清单".into();
        r.id = format!("x{n}");
        r.text = format!("别的措施 {n}");
    }
    foreign.name = "别的表.xlsx".into();
    let plan = plan(master, &[mine, foreign]);
    assert_eq!(plan.changes, []);
    assert!(
        matches!(
            &plan.refusals[..],
            [
                Refusal::NotLead { department, .. },
                Refusal::NotASplitSheet { file },
            ] if department == "应急管理分局" && file == "别的表.xlsx"
        ),
        "{:?}",
        plan.refusals
    );
}
