//! Names checked for Windows on every platform (issue 19, item 2): a unit name Windows
//! cannot give a folder (a device name, a refused character, a trailing dot or space)
//! or two units whose names differ only in case are refused with one line, exit 2 and
//! nothing written, wherever dossier runs; output names dossier derives from an input's
//! name are made safe instead.

use crate::common::{AS_OF, dossier, listing};
use std::path::Path;

/// A small workbook of two measures.
fn workbook(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        "序号,措施内容,责任单位,落实情况\n1,排查隐患,应急办,已完成\n2,开展培训,消防所,未启动\n",
    )
    .unwrap();
}

/// A project in `dir` whose `[[unit]]` tables have these names, each with a workbook of
/// its own; `extra` is added to dossier.toml.
fn project(dir: &Path, names: &[&str], extra: &str) {
    let mut toml = format!("as_of = {AS_OF}\n{extra}\n");
    for (i, name) in names.iter().enumerate() {
        workbook(&dir.join(format!("u{i}.csv")));
        let quoted = toml::Value::String(name.to_string()).to_string();
        toml.push_str(&format!(
            "[[unit]]\nname = {quoted}\ninputs = \"u{i}.csv\"\n"
        ));
    }
    std::fs::write(dir.join("dossier.toml"), toml).unwrap();
}

/// `dossier build` of the project with these unit names: asserts exit 2, nothing
/// written, and returns stderr.
fn refused(names: &[&str], extra: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), names, extra);
    refused_in(tmp.path())
}

/// `dossier build` of the project in `dir`: asserts exit 2 and nothing written, and
/// returns stderr.
fn refused_in(dir: &Path) -> String {
    let before = listing(dir);
    let out = dossier(dir)
        .args(["build", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(listing(dir), before, "{stderr}: something was written");
    stderr
}

#[test]
fn a_unit_named_as_a_windows_device_is_refused() {
    for (name, device) in [
        ("CON", "CON"),
        ("nul.txt", "NUL"),
        ("Aux", "AUX"),
        ("com1", "COM1"),
        ("LPT9.pdf", "LPT9"),
        ("COM¹", "COM¹"),
    ] {
        assert_eq!(
            refused(&["清溪镇", name], ""),
            format!(
                "dossier: dossier.toml: unit name {name:?} cannot name a folder on Windows: {device} is a device name there (CON, PRN, AUX, NUL, COM0–COM9, COM¹–COM³, LPT0–LPT9, LPT¹–LPT³, with any extension); rename it\n"
            ),
            "{name}"
        );
    }
}

#[test]
fn a_unit_name_with_a_character_windows_refuses_is_refused() {
    for (name, c) in [
        ("a?b", "'?'"),
        ("清溪:一", "':'"),
        ("a<b", "'<'"),
        ("a|b", "'|'"),
        ("a*b", "'*'"),
        ("\"x\"", "'\"'"),
    ] {
        assert_eq!(
            refused(&[name], ""),
            format!(
                "dossier: dossier.toml: unit name {name:?} cannot name a folder on Windows: it holds {c} (no < > : \" / \\ | ? * or control characters); rename it\n"
            ),
            "{name}"
        );
    }
}

#[test]
fn a_unit_name_ending_in_a_dot_or_space_is_refused() {
    for (name, what) in [("清溪.", "dot"), ("qingxi ", "space")] {
        assert_eq!(
            refused(&[name], ""),
            format!(
                "dossier: dossier.toml: unit name {name:?} cannot name a folder on Windows: it ends in a {what}, which Windows drops; rename it\n"
            ),
            "{name}"
        );
    }
}

/// `refused` for a project whose units are also the folders `towns/*`, here these.
fn refused_with_folders(names: &[&str], folders: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), names, "units = \"towns/*\"");
    for folder in folders {
        workbook(&tmp.path().join("towns").join(folder).join("台账.csv"));
    }
    refused_in(tmp.path())
}

/// The line refusing units `first` and `second`, in name order.
fn case_twins(first: &str, second: &str) -> String {
    format!(
        "dossier: dossier.toml: units {first:?} and {second:?} differ only in case, so they would share one output folder on Windows; give each unit a name of its own\n"
    )
}

#[test]
fn a_unit_folder_with_a_name_windows_refuses_is_refused() {
    // `units = "towns/*"`: the folder's name is the unit's name, checked the same way.
    assert_eq!(
        refused_with_folders(&[], &["清溪镇", "aux"]),
        "dossier: dossier.toml: unit name \"aux\" cannot name a folder on Windows: AUX is a device name there (CON, PRN, AUX, NUL, COM0–COM9, COM¹–COM³, LPT0–LPT9, LPT¹–LPT³, with any extension); rename it\n"
    );
}

#[test]
fn two_units_whose_names_differ_only_in_case_are_refused() {
    assert_eq!(
        refused(&["qingxi", "Qingxi", "清溪镇"], ""),
        case_twins("Qingxi", "qingxi")
    );
}

#[test]
fn case_twins_beyond_ascii_and_across_folders_and_tables_are_refused() {
    assert_eq!(
        refused(&["ÉCOLE", "école"], ""),
        case_twins("ÉCOLE", "école")
    );
    // A unit folder against a [[unit]] table.
    assert_eq!(
        refused_with_folders(&["alpha"], &["Alpha"]),
        case_twins("Alpha", "alpha")
    );
}

/// Runs `dossier ARGS…` in `dir` and asserts it succeeds.
fn succeeds(dir: &Path, args: &[&str]) {
    let o = dossier(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {stderr}");
}

#[test]
fn default_output_names_derived_from_an_input_are_made_safe() {
    // A workbook copied from a Linux share may be named what Windows cannot name a
    // folder: the default output folder and split folder are named safely instead.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (input, safe) in [
        ("清溪:一.csv", "清溪_一"),
        ("CON.csv", "_CON"),
        ("台账..csv", "台账"),
    ] {
        workbook(&tmp.path().join(input));
        succeeds(
            tmp.path(),
            &["build", input, "--format", "json", "--as-of", AS_OF],
        );
        let report = out.join(safe).join("report.json");
        assert!(report.is_file(), "{input}: {:?}", listing(&out));
    }
    succeeds(
        tmp.path(),
        &["split", "清溪:一.csv", "--no-pdf", "--as-of", AS_OF],
    );
    assert_eq!(listing(&out), ["_CON", "台账", "清溪_一", "清溪_一-split"]);
}
