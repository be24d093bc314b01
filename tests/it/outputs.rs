//! Outputs that are never mixed, templates that stay in their folder, and the render
//! limits (issue 8, items 5 and 6, `output_bytes`, `template_seconds`).

use crate::common::{AS_OF, dossier, listing, sample};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every file of a folder by name, with its bytes (the folders here are flat).
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The binary as a plain process, for running two at once.
fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("dossier")
}

/// `dossier build INPUT -o OUT --as-of AS_OF EXTRA…` in `dir`; exit code and stderr.
fn build_in(dir: &Path, input: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let output = dossier(dir)
        .arg("build")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(["--as-of", AS_OF])
        .args(extra)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// One line on stderr, exit 2, no temporary name, no panic.
fn assert_one_line_refusal(code: Option<i32>, stderr: &str, what: &str) {
    assert_eq!(code, Some(2), "{what}: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{what}: not one line: {stderr:?}"
    );
    assert!(stderr.starts_with("dossier: "), "{what}: {stderr:?}");
    assert_no_temp_names(stderr, what);
}

/// No temporary name of dossier's (`.tmp…`, `.….old-…`, the lock) in `stderr`; the
/// test's own temporary folder (also `.tmp…`) is taken out first.
fn assert_no_temp_names(stderr: &str, what: &str) {
    let root = std::env::temp_dir();
    let mut stderr = stderr.to_string();
    for line in stderr.clone().lines() {
        for word in line.split([' ', '"', '`']) {
            if let Ok(rest) = Path::new(word).strip_prefix(&root) {
                let mut parts = rest.components();
                parts.next();
                let replaced = format!("TEST/{}", parts.as_path().display());
                stderr = stderr.replace(word, &replaced);
            }
        }
    }
    assert!(
        !stderr.contains(".tmp") && !stderr.contains(".old-") && !stderr.contains(".lock"),
        "{what}: a temporary name in {stderr:?}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr:?}");
}

#[test]
fn two_builds_into_one_folder_at_once_leave_one_whole_build() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = [sample("qingxi-town.xlsx"), sample("sample-en.xlsx")];
    // What each build alone writes: the folder after a race must be one of these, byte
    // for byte (outputs are deterministic).
    let refs: Vec<BTreeMap<String, Vec<u8>>> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let out = tmp.path().join(format!("ref-{i}"));
            let (code, stderr) = build_in(tmp.path(), input, &out, &[]);
            assert_eq!(code, Some(0), "{stderr}");
            contents(&out)
        })
        .collect();
    assert_ne!(refs[0]["report.json"], refs[1]["report.json"]);
    let race = tmp.path().join("race");
    std::fs::create_dir(&race).unwrap();
    let shared = race.join("shared");
    let mut refusals = 0;
    for round in 0..10 {
        let spawn = |input: &Path| {
            Command::new(binary())
                .current_dir(tmp.path())
                .env("DOSSIER_LANG", crate::common::MESSAGES_LANG)
                .arg("build")
                .arg(input)
                .arg("-o")
                .arg(&shared)
                .args(["--as-of", AS_OF])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (first, second) = if round % 2 == 0 { (0, 1) } else { (1, 0) };
        let a = spawn(&inputs[first]);
        let b = spawn(&inputs[second]);
        let outputs: Vec<Output> = [a, b]
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let mut succeeded = 0;
        for o in &outputs {
            let stderr = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0) => succeeded += 1,
                code => {
                    assert_one_line_refusal(code, &stderr, &format!("round {round}"));
                    assert!(
                        stderr.contains(&format!(
                            "another dossier build is writing {}",
                            shared.display()
                        )),
                        "round {round}: {stderr:?}"
                    );
                    refusals += 1;
                }
            }
            assert_no_temp_names(&stderr, &format!("round {round}"));
        }
        assert!(succeeded >= 1, "round {round}: neither build wrote");
        let got = contents(&shared);
        let which = refs.iter().position(|r| *r == got);
        assert!(
            which.is_some(),
            "round {round}: the folder is no single build's: {:?}",
            got.keys().collect::<Vec<_>>()
        );
        // report.json and the gap report agree on the workbook.
        let report: serde_json::Value = serde_json::from_slice(&got["report.json"]).unwrap();
        let gap = String::from_utf8_lossy(&got["gap-report.md"]).into_owned();
        let unit = if report["inputs"][0] == "qingxi-town.xlsx" {
            "清溪镇"
        } else {
            "sample-en"
        };
        assert!(gap.starts_with(&format!("# {unit} ")), "round {round}");
        // Nothing but the folder is left beside it: no temporary folder, no lock.
        assert_eq!(listing(&race), ["shared"], "round {round}");
    }
    eprintln!("{refusals} of 20 builds refused while the other wrote");
}

#[test]
fn a_failed_build_leaves_no_new_folder_and_the_old_one_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("gap-report.md"),
        "{% for m in measures %}unclosed",
    )
    .unwrap();
    let broken = ["--templates", "templates"];
    let input = sample("qingxi-town.xlsx");

    // No folder yet: none appears, nor its parent.
    let new = tmp.path().join("new").join("out");
    // (A template syntax error is the one refusal told on several lines: Tera's caret
    // under the problem.)
    let (code, stderr) = build_in(tmp.path(), &input, &new, &broken);
    assert_eq!(code, Some(2), "{stderr}");
    assert_no_temp_names(&stderr, "broken template, new folder");
    assert!(stderr.contains("gap-report.md"), "{stderr}");
    assert!(!tmp.path().join("new").exists(), "a folder was left behind");

    // An earlier output stays byte for byte.
    let old = tmp.path().join("old");
    let (code, stderr) = build_in(tmp.path(), &input, &old, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let before = contents(&old);
    let (code, stderr) = build_in(tmp.path(), &input, &old, &broken);
    assert_eq!(code, Some(2), "{stderr}");
    assert_no_temp_names(&stderr, "broken template, old folder");
    assert_eq!(contents(&old), before);

    // A write that fails (the parent is a file) names the target, not a temporary name.
    std::fs::write(tmp.path().join("a-file"), b"x").unwrap();
    let under_file = tmp.path().join("a-file").join("out");
    let (code, stderr) = build_in(tmp.path(), &input, &under_file, &[]);
    assert_one_line_refusal(code, &stderr, "parent is a file");
    assert!(stderr.contains("a-file"), "{stderr}");
    assert_eq!(listing(tmp.path()), ["a-file", "old", "templates"]);
}

#[test]
fn a_folder_with_files_dossier_did_not_write_is_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("sample-en.xlsx");
    let out = tmp.path().join("out");
    let (code, stderr) = build_in(tmp.path(), &input, &out, &["--format", "json,md"]);
    assert_eq!(code, Some(0), "{stderr}");
    // Rebuilding with fewer formats replaces the folder whole: no stale documents.
    let (code, stderr) = build_in(tmp.path(), &input, &out, &["--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(listing(&out), ["report.json"]);
    // A file of the user's makes the folder theirs: refused, kept as it was.
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    let before = contents(&out);
    let (code, stderr) = build_in(tmp.path(), &input, &out, &[]);
    assert_one_line_refusal(code, &stderr, "foreign file");
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert_eq!(contents(&out), before);
}

#[cfg(unix)]
#[test]
fn template_links_leaving_the_folder_are_refused() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("sample-en.xlsx");
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.md"), "SECRET").unwrap();
    std::fs::write(outside.join("zh-CN.toml"), "lang = \"x\"").unwrap();

    // A linked file, to a file of the test's and to the system's password file.
    for (i, target) in [outside.join("secret.md"), PathBuf::from("/etc/passwd")]
        .iter()
        .enumerate()
    {
        let t = tmp.path().join(format!("t-file-{i}"));
        std::fs::create_dir(&t).unwrap();
        symlink(target, t.join("gap-report.md")).unwrap();
        let out = tmp.path().join("out");
        let (code, stderr) = build_in(
            tmp.path(),
            &input,
            &out,
            &["--templates", t.to_str().unwrap()],
        );
        assert_one_line_refusal(code, &stderr, "linked file");
        assert!(stderr.contains("gap-report.md"), "{stderr}");
        assert!(stderr.contains("outside the template folder"), "{stderr}");
        assert!(!out.exists());
    }

    // A linked subfolder is refused before anything under it is read.
    let t = tmp.path().join("t-dir");
    std::fs::create_dir(&t).unwrap();
    symlink(&outside, t.join("i18n")).unwrap();
    let (code, stderr) = build_in(
        tmp.path(),
        &input,
        &tmp.path().join("out"),
        &["--templates", "t-dir"],
    );
    assert_one_line_refusal(code, &stderr, "linked folder");
    assert!(stderr.contains("i18n"), "{stderr}");
    let t = tmp.path().join("t-etc");
    std::fs::create_dir(&t).unwrap();
    symlink("/etc", t.join("i18n")).unwrap();
    let (code, stderr) = build_in(
        tmp.path(),
        &input,
        &tmp.path().join("out"),
        &["--templates", "t-etc"],
    );
    assert_one_line_refusal(code, &stderr, "linked /etc");

    // Links that stay inside are followed, and a loop back to the folder ends.
    let t = tmp.path().join("t-inside");
    std::fs::create_dir_all(t.join(".drafts")).unwrap();
    std::fs::write(t.join(".drafts/gap.md"), "# inside {{ unit }}").unwrap();
    symlink(".drafts/gap.md", t.join("gap-report.md")).unwrap();
    symlink(".", t.join("loop")).unwrap();
    let out = tmp.path().join("inside-out");
    let (code, stderr) = build_in(
        tmp.path(),
        &input,
        &out,
        &["--templates", "t-inside", "--format", "md"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("gap-report.md")).unwrap(),
        "# inside sample-en"
    );
}

#[cfg(unix)]
#[test]
fn only_regular_files_are_read_as_templates_and_fonts() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("sample-en.xlsx");
    let fifo = tmp.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let t = tmp.path().join("t");
    std::fs::create_dir(&t).unwrap();
    let made = Command::new("mkfifo")
        .arg(t.join("gap-report.md"))
        .status()
        .unwrap();
    assert!(made.success());
    let out = tmp.path().join("out");
    let fifo_arg = fifo.to_str().unwrap();
    let runs: [&[&str]; 3] = [
        &["--templates", "t"],
        &["--font", fifo_arg],
        &["--font", "/dev/zero"],
    ];
    for extra in runs {
        let start = Instant::now();
        let (code, stderr) = build_in(tmp.path(), &input, &out, extra);
        assert_one_line_refusal(code, &stderr, &extra.join(" "));
        assert!(stderr.contains("not a regular file"), "{stderr}");
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{extra:?} waited"
        );
        assert!(!out.exists());
    }
}

/// Runs `dossier build` under a 2 GB address-space cap, as a hostile template would be
/// run on a shared machine; returns exit code, stderr and the time taken.
fn build_capped(dir: &Path, extra: &[&str]) -> (Option<i32>, String, Duration) {
    let start = Instant::now();
    let output = Command::new("sh")
        .current_dir(dir)
        .env("DOSSIER_LANG", crate::common::MESSAGES_LANG)
        .arg("-c")
        .arg(r#"ulimit -v 2000000; exec "$0" "$@""#)
        .arg(binary())
        .arg("build")
        .arg(sample("sample-en.xlsx"))
        .args(["-o", "out", "--as-of", AS_OF])
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        start.elapsed(),
    )
}

#[test]
fn a_template_that_loops_huge_stops_at_the_output_limit() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("t")).unwrap();
    std::fs::write(
        tmp.path().join("t/gap-report.md"),
        "{% for i in range(end=100000) %}{% for j in range(end=100000) %}x{% endfor %}{% endfor %}",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("limits.toml"),
        "[limits]\noutput_bytes = 1000000\n",
    )
    .unwrap();
    let (code, stderr, took) =
        build_capped(tmp.path(), &["--templates", "t", "--config", "limits.toml"]);
    assert_ne!(code, Some(134), "aborted: {stderr}");
    assert_one_line_refusal(code, &stderr, "huge loop");
    assert!(
        stderr.contains("gap-report.md") && stderr.contains("output_bytes limit of 1000000"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn a_template_that_loops_without_writing_stops_at_the_time_limit() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("t")).unwrap();
    std::fs::write(
        tmp.path().join("t/owner-tasks.md"),
        "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("limits.toml"),
        "[limits]\ntemplate_seconds = 1\n",
    )
    .unwrap();
    let (code, stderr, took) =
        build_capped(tmp.path(), &["--templates", "t", "--config", "limits.toml"]);
    assert_one_line_refusal(code, &stderr, "silent loop");
    assert!(
        stderr.contains("owner-tasks.md") && stderr.contains("template_seconds limit of 1 s"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn a_document_larger_than_the_output_limit_is_refused_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("limits.toml"),
        "[limits]\noutput_bytes = 2000\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    // The built-in templates write far more than 2000 bytes: stopped while rendering;
    // report.json, made first, is stopped while it is written.
    for (format, first) in [
        ("md", "gap-report.md"),
        ("html", "gap-report.md"),
        ("json,pdf", "report.json"),
    ] {
        let (code, stderr) = build_in(
            tmp.path(),
            &sample("qingxi-town.xlsx"),
            &out,
            &["--config", "limits.toml", "--format", format],
        );
        assert_one_line_refusal(code, &stderr, format);
        assert!(
            stderr.contains("output_bytes limit of 2000 bytes"),
            "{stderr}"
        );
        assert!(stderr.contains(first), "{stderr}");
        assert!(!out.exists());
    }
    // Tiny Markdown, but a PDF (with its font) larger than the limit.
    let t = tmp.path().join("t");
    std::fs::create_dir(&t).unwrap();
    for doc in ["gap-report", "evidence-checklist", "owner-tasks"] {
        std::fs::write(t.join(format!("{doc}.md")), "# 报告\n").unwrap();
    }
    let (code, stderr) = build_in(
        tmp.path(),
        &sample("qingxi-town.xlsx"),
        &out,
        &[
            "--config",
            "limits.toml",
            "--format",
            "pdf",
            "--templates",
            "t",
        ],
    );
    assert_one_line_refusal(code, &stderr, "pdf");
    assert!(
        stderr.contains(".pdf: larger than the output_bytes limit of 2000 bytes"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn a_build_finding_the_folder_locked_says_so_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // What another build holds while it writes `out`: the lock beside it.
    let lock = std::fs::File::create(tmp.path().join(".out.lock")).unwrap();
    lock.try_lock().unwrap();
    let (code, stderr) = build_in(tmp.path(), &sample("sample-en.xlsx"), &out, &[]);
    assert_one_line_refusal(code, &stderr, "locked");
    assert!(
        stderr.starts_with(&format!(
            "dossier: another dossier build is writing {}",
            out.display()
        )),
        "{stderr}"
    );
    assert!(!out.exists());
    // Once the other build is done (its lock released), the next one writes.
    drop(lock);
    let (code, stderr) = build_in(tmp.path(), &sample("sample-en.xlsx"), &out, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(out.join("report.json").is_file());
}
