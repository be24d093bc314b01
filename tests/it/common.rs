//! Helpers shared by the integration tests: running the binary, building small
//! workbooks, reading reports.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The as-of date the sample summaries were computed for.
pub const AS_OF: &str = "2026-12-15";

/// The language the tests' runs speak, unless a test says otherwise: the exact lines they
/// assert are the English ones.
pub const MESSAGES_LANG: &str = "en";

/// The `dossier` binary, run in `dir` so no stray `dossier.toml` is picked up, and
/// outside GitHub Actions whatever runs the tests (so no test prints workflow commands
/// or appends to the real step summary; tests of that set the variables themselves).
/// It speaks English ([`MESSAGES_LANG`]) whatever the machine's locale; the tests of
/// the other languages set the language themselves (`language.rs`).
pub fn dossier(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dossier").expect("binary built");
    cmd.current_dir(dir).env("DOSSIER_LANG", MESSAGES_LANG);
    for var in ["GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"] {
        cmd.env_remove(var);
    }
    cmd
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a folder (links followed: the copy holds their targets' bytes).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let path = e.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else if path.exists() {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// The names of the entries of a folder, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir`, at any depth, sorted (folders themselves left out).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A sample workbook in `inputs/`.
pub fn sample(name: &str) -> PathBuf {
    root().join("inputs").join(name)
}

/// A fixture in `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests").join("fixtures").join(name)
}

/// Runs `dossier build INPUTS -o TMP/out --as-of AS_OF EXTRA…` in a fresh folder and
/// asserts success; returns the folder (kept alive), the output folder and stderr.
pub fn build(inputs: &[&Path], extra: &[&str]) -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut cmd = dossier(tmp.path());
    cmd.arg("build");
    for i in inputs {
        cmd.arg(i);
    }
    cmd.arg("-o").arg(&out).args(["--as-of", AS_OF]).args(extra);
    let assert = cmd.assert().success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    (tmp, out, stderr)
}

/// Runs `dossier ARGS…` in `dir`, expecting exit `code`; returns stdout.
pub fn stdout_of(dir: &Path, args: &[&std::ffi::OsStr], code: i32) -> String {
    let out = dossier(dir)
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// Runs `dossier build INPUTS -o DIR/out EXTRA…` in `dir`, expecting it to fail with
/// exit 2; returns stderr.
pub fn build_failing(dir: &Path, inputs: &[&Path], extra: &[&str]) -> String {
    let mut cmd = dossier(dir);
    cmd.arg("build");
    for i in inputs {
        cmd.arg(i);
    }
    cmd.arg("-o").arg(dir.join("out")).args(extra);
    let assert = cmd.assert().code(2);
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

/// Runs `build … --format json` and returns the parsed report.
pub fn report(inputs: &[&Path]) -> Value {
    let (_tmp, out, _) = build(inputs, &["--format", "json"]);
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The measure with this id (in any set) from a report.
pub fn measure<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no measure {id} in {report:#}"))
}

/// The diagnostics of a report as `CELL: message` lines.
pub fn diagnostic_lines(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}",
                d["severity"].as_str().unwrap_or(""),
                d["cell"].as_str().unwrap_or("-"),
                d["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Writes a one-sheet xlsx from rows of text (empty strings stay blank) and returns its path.
pub fn xlsx(dir: &Path, name: &str, sheet: &str, rows: &[&[&str]]) -> PathBuf {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if !text.is_empty() {
                ws.write_string(r as u32, c as u16, *text).unwrap();
            }
        }
    }
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}
