//! The program speaks the user's language (issue 19, item 1): `--lang`, then
//! `DOSSIER_LANG`, then the locale, else Simplified Chinese; help, clap's errors and the
//! library's errors alike, with paths as the user gave them and stable codes in the JSON.

use crate::common::{AS_OF, dossier, sample};
use std::path::Path;

/// `dossier ARGS` in `dir` with the language set only by `LANG` (the test harness's own
/// `DOSSIER_LANG` removed); returns (exit code, stdout, stderr).
fn run_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut cmd = dossier(dir);
    for var in ["DOSSIER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const ZH: &[(&str, &str)] = &[("LANG", "zh_CN.UTF-8")];

#[test]
fn help_is_chinese_under_a_chinese_locale_and_english_with_lang_en() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, _) = run_in(tmp.path(), ZH, &["check", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("\n用法：dossier check [OPTIONS] [INPUT]...\n"),
        "{out}"
    );
    assert!(out.contains("统计截至日期"), "{out}");
    assert!(out.contains("显示帮助"), "{out}");
    assert!(!out.contains("Print help"), "{out}");
    let (code, out, _) = run_in(tmp.path(), ZH, &["check", "--help", "--lang", "en"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("\nUsage: dossier check [OPTIONS] [INPUT]...\n"),
        "{out}"
    );
    assert!(
        out.contains("The date every judgement of time is made against"),
        "{out}"
    );
    let (_, out, _) = run_in(
        tmp.path(),
        &[("DOSSIER_LANG", "zh-TW"), ("LANG", "en_US.UTF-8")],
        &["check", "--help"],
    );
    assert!(out.contains("統計截至日期"), "{out}");
    assert!(out.contains("顯示說明"), "{out}");
    // With no locale at all, Simplified Chinese.
    let (_, out, _) = run_in(tmp.path(), &[], &["--help"]);
    assert!(out.contains("用法：dossier"), "{out}");
}

#[test]
fn five_common_mistakes_are_told_in_chinese_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("清溪镇 台账.xlsx"), b"x").unwrap();
    std::fs::create_dir(tmp.path().join("材料 文件夹")).unwrap();

    // A date in the wrong form.
    let (code, _, err) = run_in(
        tmp.path(),
        ZH,
        &["check", "清溪镇 台账.xlsx", "--as-of", "2026/12/01"],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err.lines().next().unwrap(),
        "dossier: --as-of <YYYY-MM-DD>：“2026/12/01”不是“年-月-日”格式的日期（如 2026-12-31）",
        "{err}"
    );
    assert_eq!(
        err.lines().last().unwrap(),
        "详见：dossier check --help",
        "{err}"
    );

    // A file that is not there: the path as given, and the name it was probably meant to be.
    let (code, _, err) = run_in(tmp.path(), ZH, &["check", "清溪镇台账.xlsx"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "dossier: 清溪镇台账.xlsx：无法读取该文件：找不到该文件或文件夹 (os error 2)；是否应为“清溪镇 台账.xlsx”？\n"
    );

    // A folder given as an input.
    let (code, _, err) = run_in(tmp.path(), ZH, &["check", "材料 文件夹"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "dossier: 材料 文件夹：无法读取该文件：它是文件夹，不是普通文件\n"
    );

    // A format dossier does not write.
    let (code, _, err) = run_in(
        tmp.path(),
        ZH,
        &["build", "清溪镇 台账.xlsx", "--format", "pdfx"],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err.lines().next().unwrap(),
        "dossier: --format <FORMATS> 不接受“pdfx”；可用的值：json、md、html、pdf；是否应为“pdf”？",
        "{err}"
    );

    // A misspelled command.
    let (code, _, err) = run_in(tmp.path(), ZH, &["bild"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "dossier: 没有“bild”这个命令；是否应为“build”？\n用法：dossier [OPTIONS] <COMMAND>\n详见：dossier --help\n"
    );
}

#[test]
fn the_same_mistakes_in_english_and_traditional_chinese() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, err) = run_in(tmp.path(), ZH, &["--lang", "en", "check", "missing.xlsx"]);
    assert_eq!(
        err,
        "dossier: missing.xlsx: cannot read the file: No such file or directory (os error 2)\n"
    );
    let (_, _, err) = run_in(
        tmp.path(),
        &[("DOSSIER_LANG", "zh-TW")],
        &["check", "missing.xlsx"],
    );
    assert_eq!(
        err,
        "dossier: missing.xlsx：無法讀取該檔案：找不到該檔案或資料夾 (os error 2)\n"
    );
    // `zh`, `zh-Hans` and a locale name are languages too.
    for tag in ["zh", "zh-Hans", "zh_CN.UTF-8"] {
        let (_, _, err) = run_in(tmp.path(), &[], &["check", "missing.xlsx", "--lang", tag]);
        assert!(err.contains("找不到该文件或文件夹"), "{tag}: {err}");
    }
    let (code, _, err) = run_in(tmp.path(), &[], &["check", "missing.xlsx", "--lang", "fr"]);
    assert_eq!(code, 2);
    assert_eq!(
        err.lines().next().unwrap(),
        "dossier: --lang <LANG>：dossier 不支持“fr”：可用 zh-CN、zh-TW 或 en（也接受 zh、zh-Hans、zh_TW.UTF-8 等写法）",
        "{err}"
    );
}

#[test]
fn diagnostics_keep_their_codes_in_every_language() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample("qingxi-town.xlsx");
    let input = input.to_str().unwrap();
    let mut seen = Vec::new();
    for lang in ["zh-CN", "zh-TW", "en"] {
        let (_, out, _) = run_in(
            tmp.path(),
            &[],
            &[
                "check", input, "--as-of", AS_OF, "--format", "json", "--lang", lang,
            ],
        );
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let diags = json.as_array().expect("an array of diagnostics");
        let codes: Vec<String> = diags.iter().map(|d| d["code"].to_string()).collect();
        let messages: Vec<String> = diags.iter().map(|d| d["message"].to_string()).collect();
        assert!(!codes.is_empty());
        seen.push((lang, codes, messages));
    }
    assert_eq!(seen[0].1, seen[1].1);
    assert_eq!(seen[0].1, seen[2].1);
    assert_ne!(seen[0].2, seen[2].2, "the words follow the language");
}

#[test]
fn usage_mistakes_of_the_commands_are_told_in_chinese_too() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    let (code, _, err) = run_in(tmp.path(), ZH, &["init"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "dossier: 当前文件夹不是空的：init 只在新建或空的文件夹中生成起步项目（--force 可写入，已有文件一律保留）\n"
    );
    let (code, _, err) = run_in(tmp.path(), ZH, &["build"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "dossier: 没有给出 INPUT，且当前文件夹中没有列出单位的 dossier.toml（可写 units = \"towns/*\" 或 [[unit]] 表）\n"
    );
}
