//! One rule for every command that writes: its output is never one of its inputs, never
//! inside an input folder, never a folder holding an input, and never a file dossier did
//! not write. Each refusal is one line and exit 2, with every input byte for byte as it
//! was (issue 18, item 1).

use crate::common::{AS_OF, copy_dir, dossier, sample};
use std::path::{Path, PathBuf};

struct Case {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    workbook: PathBuf,
    evidence: PathBuf,
}

fn case() -> Case {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let workbook = dir.join("qingxi-town.xlsx");
    std::fs::copy(sample("qingxi-town.xlsx"), &workbook).unwrap();
    let evidence = dir.join("evidence");
    copy_dir(&sample("evidence/qingxi-town"), &evidence);
    Case {
        _tmp: tmp,
        dir,
        workbook,
        evidence,
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    crate::common::files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Runs dossier with `args` in the case's folder: exit 2, one line naming `expected`,
/// and nothing in the folder changed.
fn refused<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(c: &Case, args: &[S], expected: &str) {
    let before = snapshot(&c.dir);
    let out = dossier(&c.dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
    assert!(stderr.starts_with("dossier: "), "{stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert!(snapshot(&c.dir) == before, "{args:?}: the folder changed");
}

#[test]
fn pack_never_writes_its_zip_over_an_input_or_a_users_file() {
    let c = case();
    let ev = c.evidence.display().to_string();
    let wb = c.workbook.display().to_string();
    let base = [
        "pack",
        wb.as_str(),
        "--as-of",
        AS_OF,
        "--evidence",
        ev.as_str(),
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    refused(&c, &with(&["-o", &wb]), "is an input of this run");
    std::fs::write(c.dir.join("notes.txt"), "会议记录").unwrap();
    refused(&c, &with(&["-o", "notes.txt"]), "dossier did not write");
    refused(
        &c,
        &with(&["--folder", "notes.txt"]),
        "dossier did not write",
    );
    refused(
        &c,
        &with(&["--folder", &format!("{ev}/packed")]),
        "an input folder of this run",
    );
    // A pack dossier wrote is its own to replace.
    let ok = dossier(&c.dir)
        .args(with(&["-o", "p.zip"]))
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    let again = dossier(&c.dir)
        .args(with(&["-o", "p.zip"]))
        .output()
        .unwrap();
    assert!(again.status.success(), "{again:?}");
}

#[test]
fn build_and_split_never_write_over_an_input() {
    let c = case();
    let wb = c.workbook.display().to_string();
    let ev = c.evidence.display().to_string();
    refused(
        &c,
        &[
            "build", &wb, "--as-of", AS_OF, "--format", "json", "-o", &wb,
        ],
        "is an input of this run",
    );
    refused(
        &c,
        &[
            "build",
            &wb,
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--evidence",
            &ev,
            "-o",
            &format!("{ev}/out"),
        ],
        "an input folder of this run",
    );
    refused(
        &c,
        &["split", &wb, "--as-of", AS_OF, "--no-pdf", "-o", "."],
        "an input of this run",
    );
}

#[test]
fn diff_never_writes_into_a_side_and_merge_never_over_a_users_file() {
    let c = case();
    let wb = c.workbook.display().to_string();
    refused(
        &c,
        &[
            "diff",
            &wb,
            &wb,
            "--as-of",
            AS_OF,
            "-o",
            &c.dir.display().to_string(),
        ],
        "an input of this run",
    );
    let notes = c.dir.join("notes.xlsx");
    std::fs::write(&notes, "the office's own file").unwrap();
    refused(
        &c,
        &["merge", &wb, &wb, "--as-of", AS_OF, "-o", "notes.xlsx"],
        "dossier did not write",
    );
}

/// A pack that fails leaves nothing: no empty folders made on the way to its target, no
/// temporary file, and a message that names the target, not a temporary name
/// (issue 18, item 5).
#[test]
fn a_failed_pack_leaves_no_folders_and_names_no_temporary_file() {
    let c = case();
    let ev = c.evidence.display().to_string();
    let wb = c.workbook.display().to_string();
    let out = dossier(&c.dir)
        .args([
            "pack",
            &wb,
            "--as-of",
            "1975-01-01",
            "--evidence",
            &ev,
            "-o",
            "a/b/p.zip",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "dossier: cannot stamp a/b/p.zip: 1975-01-01 00:00:00 is outside the zip date range (1980–2107)\n"
    );
    assert!(!c.dir.join("a").exists());
    let long = format!("c/{}.zip", "长".repeat(82));
    let out = dossier(&c.dir)
        .args([
            "pack",
            &wb,
            "--as-of",
            AS_OF,
            "--evidence",
            &ev,
            "-o",
            &long,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("dossier: cannot write c: "), "{err}");
    assert!(!err.contains(".tmp-"), "{err}");
    assert!(!c.dir.join("c").exists());
}
