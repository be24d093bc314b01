//! Shell completions and manual pages come from the same clap definitions as `--help`.

use crate::common::{dossier, stdout_of};
use std::ffi::OsStr;

#[test]
fn bash_completions_name_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let script = stdout_of(
        tmp.path(),
        &[OsStr::new("completions"), OsStr::new("bash")],
        0,
    );
    for sub in [
        "check", "build", "summary", "pack", "diff", "verify", "init", "man",
    ] {
        assert!(script.contains(sub), "no {sub} in {script}");
    }
    assert!(script.contains("--as-of"));
    for shell in ["zsh", "fish", "powershell"] {
        let s = stdout_of(
            tmp.path(),
            &[OsStr::new("completions"), OsStr::new(shell)],
            0,
        );
        assert!(s.contains("build"), "{shell}");
    }
}

#[test]
fn man_pages_carry_the_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let top = stdout_of(tmp.path(), &[OsStr::new("man")], 0);
    assert!(
        top.starts_with(".ie") || top.contains(".TH dossier"),
        "{top}"
    );
    assert!(top.contains("build"));
    let build = stdout_of(tmp.path(), &[OsStr::new("man"), OsStr::new("build")], 0);
    for flag in [
        "\\-\\-as\\-of",
        "\\-\\-format",
        "\\-\\-lang",
        "\\-\\-landscape",
    ] {
        assert!(build.contains(flag), "no {flag} in {build}");
    }
    let dir = tmp.path().join("man");
    dossier(tmp.path())
        .args(["man", "-o"])
        .arg(&dir)
        .assert()
        .success();
    let check = std::fs::read_to_string(dir.join("dossier-check.1")).unwrap();
    assert!(check.contains("\\-\\-format"));
    assert!(dir.join("dossier.1").is_file());
    let err = dossier(tmp.path()).args(["man", "nope"]).assert().code(2);
    let err = String::from_utf8_lossy(&err.get_output().stderr).into_owned();
    assert!(err.starts_with("dossier: no command \"nope\""), "{err}");
}
