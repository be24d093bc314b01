//! The change set, on the sample's department sheets read back as a returned file would
//! be (base sheet and all), then edited in memory the way people edit them: each edit
//! sets both what the reader reads and the cell as typed.

use super::returned::{self, BaseFrom, ReturnedFile, Typed};
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

fn read_options() -> crate::ingest::ReadOptions {
    let config = Config::default();
    crate::ingest::ReadOptions {
        as_of: as_of(),
        vocabulary: config.vocabulary(),
        limits: config.limits,
    }
}

/// Every department's sheet of `unit`, as split writes it and merge reads it back:
/// (department, returned file).
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
    split::departments(&analysis)
        .iter()
        .map(|d| {
            let bytes = split::department_workbook(d, as_of(), &opts).unwrap();
            let name = format!("{}.xlsx", d.stem);
            let file = returned::read(&name, &bytes, &read_options(), 100_000).unwrap();
            (d.name.clone(), file)
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

/// The row of `file` holding the measure with `key`.
fn row(file: &ReturnedFile, key: &Key) -> usize {
    file.book
        .measures
        .iter()
        .position(|r| &Key::of(r) == key)
        .unwrap()
}

/// Types `text` into the status cell of row `i`.
fn set_status(file: &mut ReturnedFile, i: usize, text: &str) {
    file.book.measures[i].status = status(text);
    file.typed[i].status = if text.is_empty() {
        Typed::Blank
    } else {
        Typed::Text(text.into())
    };
}

/// Types `text` into the deadline cell of row `i` (read as the reader reads it).
fn set_deadline(file: &mut ReturnedFile, i: usize, text: &str) {
    use crate::ingest::cells::{Deadline, parse_deadline};
    let (date, continuous) = match parse_deadline(text, 2026) {
        Deadline::Date(d) | Deadline::DateWithoutYear(d) => (Some(d), false),
        Deadline::Continuous => (None, true),
        _ => (None, false),
    };
    file.book.measures[i].deadline = date;
    file.book.measures[i].continuous = continuous;
    file.typed[i].deadline = if text.is_empty() {
        Typed::Blank
    } else {
        Typed::Text(text.into())
    };
}

fn read_all(files: Vec<ReturnedFile>) -> Vec<Returned> {
    files.into_iter().map(Returned::Read).collect()
}

#[test]
fn sheets_returned_unchanged_merge_as_no_changes() {
    let unit = master();
    let files = returned(&unit);
    let (names, files): (Vec<String>, Vec<ReturnedFile>) = files.into_iter().unzip();
    assert!(files.iter().all(|f| f.base_from == BaseFrom::Sheet));
    let plan = plan(&unit.book.measures, &read_all(files), 2026);
    assert_eq!(plan.changes, []);
    assert_eq!(plan.refusals, []);
    let found: Vec<String> = plan
        .files
        .iter()
        .map(|f| f.department.clone().unwrap())
        .collect();
    assert_eq!(found, names);
}

#[test]
fn a_change_is_applied_as_typed_and_doubtful_cells_are_refused() {
    let unit = master();
    let master = &unit.book.measures;
    let mut files = returned(&unit);
    let mut file = take(&mut files, "应急管理分局");
    let open: Vec<usize> = (0..file.book.measures.len())
        .filter(|&i| file.book.measures[i].status.class != StatusClass::Done)
        .collect();
    let keys: Vec<Key> = open
        .iter()
        .map(|&i| Key::of(&file.book.measures[i]))
        .collect();
    set_status(&mut file, open[0], "已完成（12月10日验收）");
    set_status(&mut file, open[1], "");
    set_status(&mut file, open[2], "待定中");
    set_deadline(&mut file, open[3], "待定");
    set_deadline(&mut file, open[4], "2027-13-45");
    set_deadline(&mut file, open[5], "长期坚持");
    set_deadline(&mut file, open[6], "2027年3月底");
    let plan = plan(master, &read_all(vec![file]), 2026);
    let key_of = |i: usize| Key::of(&master[i]);
    let got: Vec<(Key, Field, String)> = plan
        .changes
        .iter()
        .map(|c| (key_of(c.measure), c.field, c.typed.text()))
        .collect();
    // Written as typed: the full-width brackets stay.
    assert!(got.contains(&(
        keys[0].clone(),
        Field::Status,
        "已完成（12月10日验收）".into()
    )));
    assert!(got.contains(&(keys[6].clone(), Field::Deadline, "2027年3月底".into())));
    let refused: Vec<(Key, &str)> = plan
        .refusals
        .iter()
        .map(|r| match r {
            Refusal::Blank { measure, .. } => (key_of(*measure), "blank"),
            Refusal::UnknownStatus { measure, .. } => (key_of(*measure), "status"),
            Refusal::BadDeadline { measure, .. } => (key_of(*measure), "deadline"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        refused,
        [
            (keys[1].clone(), "blank"),
            (keys[2].clone(), "status"),
            (keys[3].clone(), "deadline"),
            (keys[4].clone(), "deadline"),
        ]
    );
    // 长期坚持 where the master had a date is a change, written as typed.
    assert_eq!(
        file_deadline_of(&unit, &keys[5]).is_some(),
        got.contains(&(keys[5].clone(), Field::Deadline, "长期坚持".into())),
    );
}

fn file_deadline_of(unit: &Unit, key: &Key) -> Option<NaiveDate> {
    unit.book
        .measures
        .iter()
        .find(|m| &Key::of(m) == key)
        .and_then(|m| m.deadline)
}

#[test]
fn a_stale_or_repeated_return_changes_nothing_after_an_update() {
    let unit = master();
    let master = &unit.book.measures;
    let shared = master
        .iter()
        .position(|m| m.owners.len() == 2 && m.status.text != "基本落实")
        .expect("the sample has a measure with two leads");
    let key = Key::of(&master[shared]);
    let [a, b] = [&master[shared].owners[0], &master[shared].owners[1]];
    let mut files = returned(&unit);
    let mut fa = take(&mut files, a);
    let fb = take(&mut files, b);
    let i = row(&fa, &key);
    set_status(&mut fa, i, "基本落实");
    let first = plan(master, &read_all(vec![fa]), 2026);
    assert_eq!(first.changes.len(), 1);
    let updated = apply(master, &first);
    assert_eq!(updated[shared].status.text, "基本落实");

    // B's untouched sheet, and A's again, after A's update: nothing changes.
    let mut files = returned(&unit);
    let fa_again = {
        let mut f = take(&mut files, a);
        let i = row(&f, &key);
        set_status(&mut f, i, "基本落实");
        f
    };
    let later = plan(&updated, &read_all(vec![fb, fa_again]), 2026);
    assert_eq!(later.changes, []);
    assert_eq!(later.refusals, []);
    assert_eq!(later.files[1].already.len(), 1);

    // B changing the field A changed, from the value both were sent: a conflict.
    let mut fb = take(&mut files, b);
    let i = row(&fb, &key);
    set_status(&mut fb, i, "未启动");
    let clash = plan(&updated, &read_all(vec![fb]), 2026);
    assert_eq!(clash.changes, []);
    assert!(
        matches!(&clash.refusals[..], [Refusal::ChangedSince { measure, field: Field::Status, .. }] if *measure == shared),
        "{:?}",
        clash.refusals
    );
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
    assert!(!["基本完成", "未启动"].contains(&master[shared].status.text.as_str()));
    let pair = |sa: &str, sb: &str| {
        let mut files = returned(&unit);
        let mut fa = take(&mut files, a);
        let mut fb = take(&mut files, b);
        let (ia, ib) = (row(&fa, &key), row(&fb, &key));
        set_status(&mut fa, ia, sa);
        set_status(&mut fb, ib, sb);
        read_all(vec![fa, fb])
    };
    let disagree = plan(master, &pair("基本完成", "未启动"), 2026);
    assert_eq!(disagree.changes, []);
    assert!(matches!(
        &disagree.refusals[..],
        [Refusal::Conflict { measure, field: Field::Status, values }]
            if *measure == shared && values.len() == 2
    ));
    let agree = plan(master, &pair("基本完成", "基本完成"), 2026);
    assert_eq!(agree.refusals, []);
    assert_eq!(agree.changes.len(), 1);
    assert_eq!(agree.changes[0].from.len(), 2);
}

#[test]
fn a_row_whose_cells_are_not_its_keys_measure_is_refused_whole() {
    let unit = master();
    let mut files = returned(&unit);
    let mut file = take(&mut files, "应急管理分局");
    // Rows sorted without the key column: the cells of rows 0 and 1 trade places, the
    // keys stay.
    let rows = &mut file.book.measures;
    let (k0, k1) = (rows[0].extras.clone(), rows[1].extras.clone());
    rows.swap(0, 1);
    file.typed.swap(0, 1);
    file.book.measures[0].extras = k0;
    file.book.measures[1].extras = k1;
    set_status(&mut file, 0, "已完成");
    let plan = plan(&unit.book.measures, &read_all(vec![file]), 2026);
    assert_eq!(plan.changes, []);
    assert_eq!(plan.refusals.len(), 2, "{:?}", plan.refusals);
    assert!(
        plan.refusals
            .iter()
            .all(|r| matches!(r, Refusal::KeyMismatch { .. }))
    );
}

#[test]
fn another_departments_row_and_a_foreign_file_are_refused() {
    let unit = master();
    let master = &unit.book.measures;
    let mut files = returned(&unit);
    let mut mine = take(&mut files, "应急管理分局");
    let (theirs, typed) = files
        .iter()
        .flat_map(|(_, f)| f.book.measures.iter().zip(&f.typed))
        .find(|(r, _)| !r.owners.iter().any(|o| o == "应急管理分局"))
        .map(|(r, t)| (r.clone(), t.clone()))
        .unwrap();
    mine.book.measures.push(theirs);
    mine.typed.push(typed);
    let last = mine.book.measures.len() - 1;
    set_status(&mut mine, last, "已完成");
    let mut foreign = take(&mut files, "公安分局");
    for (n, r) in foreign.book.measures.iter_mut().enumerate() {
        r.extras.clear();
        r.set = "别的清单".into();
        r.id = format!("x{n}");
        r.text = format!("别的措施 {n}");
    }
    let plan = plan(master, &read_all(vec![mine, foreign]), 2026);
    assert_eq!(plan.changes, []);
    assert!(
        matches!(
            &plan.refusals[..],
            [
                Refusal::NotLead { department, .. },
                Refusal::NotASplitSheet { file: 1 },
            ] if department == "应急管理分局"
        ),
        "{:?}",
        plan.refusals
    );
}
