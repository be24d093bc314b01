//! `dossier init`: a starter project that `dossier build` builds as it stands, written
//! only into a new or empty folder, and never over a file that is there.

use crate::common::*;
use std::path::{Path, PathBuf};

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// `dossier init TMP/town` (asserted to succeed); the folder kept alive and the project.
fn init_project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("town");
    dossier(tmp.path())
        .arg("init")
        .arg(&project)
        .assert()
        .success();
    (tmp, project)
}

/// Renames the gap report in the project's copied zh-CN labels, so a build that used
/// the copied templates shows it; returns the label file.
fn edit_label(project: &Path) -> PathBuf {
    let zh = project.join("templates/i18n/zh-CN.toml");
    let text = std::fs::read_to_string(&zh).unwrap();
    std::fs::write(&zh, text.replace("差距分析报告", "查漏补缺报告")).unwrap();
    zh
}

/// Whether the gap report in `unit` (a build's folder) has the edited label.
fn has_edited_label(unit: &Path) -> bool {
    std::fs::read_to_string(unit.join("gap-report.md"))
        .unwrap()
        .starts_with("# 清溪镇 查漏补缺报告")
}

#[test]
fn init_writes_a_starter_project_that_builds() {
    let (tmp, project) = init_project();
    for f in [
        "README.md",
        "dossier.toml",
        "inputs/qingxi-town.xlsx",
        "templates/gap-report.md",
        "templates/layout.html",
        "templates/i18n/en.toml",
    ] {
        assert!(project.join(f).is_file(), "{f}");
    }
    // Build with the copied templates named by the flag: the edit shows.
    let zh = edit_label(&project);
    dossier(&project)
        .args(["build", "inputs/qingxi-town.xlsx", "--format", "md"])
        .args(["--templates", "templates", "--as-of", AS_OF])
        .assert()
        .success();
    assert!(has_edited_label(&project.join("out/qingxi-town")));
    // A second init is refused (the folder is not empty); with --force it keeps the
    // edited file.
    let again = || {
        let mut cmd = dossier(tmp.path());
        cmd.arg("init").arg(&project);
        cmd
    };
    again().assert().code(2);
    again().arg("--force").assert().success();
    assert!(
        std::fs::read_to_string(&zh)
            .unwrap()
            .contains("查漏补缺报告")
    );
}

#[test]
fn build_with_no_arguments_builds_what_init_wrote() {
    let (_tmp, project) = init_project();
    // The config's `templates` is used without --templates: the edited label shows.
    edit_label(&project);
    let built = dossier(&project).arg("build").assert().code(0);
    let stderr = stderr_of(&built);
    assert!(stderr.contains("1 of 1 units built"), "{stderr}");
    let unit = project.join("out/qingxi-town");
    for doc in ["gap-report", "evidence-checklist", "owner-tasks"] {
        for ext in ["md", "html", "pdf"] {
            let f = unit.join(format!("{doc}.{ext}"));
            assert!(f.is_file(), "{}", f.display());
        }
    }
    assert!(unit.join("report.json").is_file());
    assert!(project.join("out/summary.json").is_file());
    assert!(has_edited_label(&unit));
}

#[test]
fn init_refuses_a_folder_that_is_not_empty() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "mine\n").unwrap();
    let refused = dossier(tmp.path()).arg("init").assert().code(2);
    assert_eq!(
        stderr_of(&refused),
        "dossier: the current folder is not empty: init writes a starter project into a new or empty folder (--force fills it, keeping every file already there)\n"
    );
    assert_eq!(listing(tmp.path()), ["notes.txt"]);
    // A folder named is named in the line.
    let refused = dossier(tmp.path().parent().unwrap())
        .arg("init")
        .arg(tmp.path())
        .assert()
        .code(2);
    let line = format!(
        "dossier: {} is not empty: init writes",
        tmp.path().display()
    );
    assert!(stderr_of(&refused).starts_with(&line));
    assert_eq!(listing(tmp.path()), ["notes.txt"]);
    // An empty folder is filled without --force.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    dossier(&empty).arg("init").assert().success();
    assert!(empty.join("dossier.toml").is_file());
}

#[test]
fn init_with_force_keeps_every_file_already_there() {
    let tmp = tempfile::tempdir().unwrap();
    let readme = "# Our safety office\n\nNot dossier's words.\r\n".as_bytes();
    std::fs::write(tmp.path().join("README.md"), readme).unwrap();
    std::fs::create_dir(tmp.path().join("templates")).unwrap();
    let template = "# {{ unit }}: our own gap report\n".as_bytes();
    std::fs::write(tmp.path().join("templates/gap-report.md"), template).unwrap();
    let done = dossier(tmp.path())
        .args(["init", "--force"])
        .assert()
        .success();
    let stderr = stderr_of(&done);
    for line in [
        "kept ./README.md (exists)\n",
        "kept ./templates/gap-report.md (exists)\n",
        "wrote ./dossier.toml\n",
    ] {
        assert!(stderr.contains(line), "{line} not in {stderr}");
    }
    assert_eq!(std::fs::read(tmp.path().join("README.md")).unwrap(), readme);
    assert_eq!(
        std::fs::read(tmp.path().join("templates/gap-report.md")).unwrap(),
        template
    );
    assert!(tmp.path().join("templates/layout.html").is_file());
    assert!(tmp.path().join("inputs/qingxi-town.xlsx").is_file());
}
