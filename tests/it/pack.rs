//! `dossier pack` and `dossier verify`: the zip unpacks and `sha256sum -c` passes,
//! `verify` names every changed, missing and unexpected file, the same inputs give a
//! byte-identical zip, every binder opens and has the pages its contents say, and
//! hostile file names come out safe.

use crate::common::{AS_OF, dossier, root, sample};
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn evidence_dir() -> PathBuf {
    root().join("inputs/evidence/qingxi-town")
}

/// Packs the sample into `dir/NAME` (a zip, or a folder with `--folder`).
fn pack_sample(dir: &Path, name: &str, folder: bool, extra: &[&str]) -> PathBuf {
    let target = dir.join(name);
    let mut cmd = dossier(dir);
    cmd.arg("pack")
        .arg(sample("qingxi-town.xlsx"))
        .args(["--as-of", AS_OF, "--evidence"])
        .arg(evidence_dir())
        .arg(if folder { "--folder" } else { "-o" })
        .arg(&target)
        .args(extra);
    cmd.assert().success();
    target
}

fn unzip(zip: &Path, into: &Path) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    archive.extract(into).unwrap();
}

fn verify(dir: &Path, pack: &Path, code: i32) -> String {
    let out = dossier(dir)
        .arg("verify")
        .arg(pack)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn pack_unzips_and_sha256sum_agrees_with_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = pack_sample(tmp.path(), "pack.zip", false, &[]);
    let un = tmp.path().join("un");
    unzip(&zip, &un);
    let check = Command::new("sha256sum")
        .args(["-c", "--quiet", "manifest.sha256"])
        .current_dir(&un)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // The layout of the contract.
    for name in [
        "00-目录.pdf",
        "00-目录.html",
        "00-目录.csv",
        "01-差距分析报告.pdf",
        "02-佐证材料清单.html",
        "03-责任单位任务清单.pdf",
        "report.json",
        "manifest.json",
        "装订/01 国务院15条.pdf",
        "装订/02 省65条.pdf",
        "装订/03 市78条.pdf",
    ] {
        assert!(un.join(name).is_file(), "{name} in the pack");
    }
    // The index is laid out by dossier, so tagged; the binders carry the office's PDFs.
    crate::tagged::assert_well_formed(&un.join("00-目录.pdf"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(un.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["schema"], "dossier.pack/1");
    assert_eq!(manifest["unit"], "清溪镇");
    assert_eq!(manifest["as_of"], AS_OF);
    let files = manifest["files"].as_array().unwrap();
    let copied: Vec<&serde_json::Value> = files
        .iter()
        .filter(|f| f["source"] != "generated")
        .collect();
    // Every assigned, readable file is packed once, under 材料/.
    assert_eq!(copied.len(), 261);
    assert!(
        copied
            .iter()
            .all(|f| f["path"].as_str().unwrap().starts_with("材料/"))
    );
    let one = copied
        .iter()
        .find(|f| f["source"] == "2026年市78条佐证材料/第九条/培训签到表.pdf")
        .expect("a file packed with its source path");
    assert_eq!(
        one["path"],
        "材料/03 市78条/009 9 烟花爆竹：开展专项整治，建立问题/01 培训签到表/培训签到表.pdf"
    );
    // The index: missing items are rows too.
    let csv = std::fs::read_to_string(un.join("00-目录.csv")).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.lines().any(|l| l.ends_with(",缺")),
        "missing items are rows"
    );
    assert!(csv.contains("问题：空文件"));
    let sums = std::fs::read_to_string(un.join("manifest.sha256")).unwrap();
    assert_eq!(
        sums.lines().count(),
        files.len() + 1,
        "manifest.json is summed too"
    );
    assert_eq!(
        verify(tmp.path(), &zip, 0),
        format!("{} files intact\n", files.len() + 1)
    );
}

#[test]
fn verify_names_each_changed_missing_and_unexpected_file() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = pack_sample(tmp.path(), "pack", true, &[]);
    assert!(verify(tmp.path(), &folder, 0).ends_with("files intact\n"));
    std::fs::write(folder.join(".DS_Store"), "x").unwrap();
    let out = verify(tmp.path(), &folder, 0);
    assert!(
        out.contains("ignored: .DS_Store") && out.ends_with("files intact\n"),
        "{out}"
    );
    std::fs::remove_file(folder.join(".DS_Store")).unwrap();
    let changed = folder.join("report.json");
    let mut bytes = std::fs::read(&changed).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&changed, bytes).unwrap();
    std::fs::remove_file(folder.join("00-目录.csv")).unwrap();
    std::fs::write(folder.join("extra.txt"), "x").unwrap();
    // What Windows drops into a folder it shows is named, not counted against the pack.
    std::fs::write(folder.join("Thumbs.db"), "x").unwrap();
    let out = verify(tmp.path(), &folder, 1);
    assert!(out.contains("ignored: Thumbs.db"), "{out}");
    assert!(!out.contains("unexpected: Thumbs.db"), "{out}");
    assert!(out.contains("changed: report.json\n"), "{out}");
    assert!(out.contains("missing: 00-目录.csv\n"), "{out}");
    assert!(out.contains("unexpected: extra.txt\n"), "{out}");
    // The same verdict from the zip after one byte changes inside an entry.
    let zip = pack_sample(tmp.path(), "pack.zip", false, &[]);
    let un = tmp.path().join("un");
    unzip(&zip, &un);
    std::fs::write(un.join("report.json"), "{}").unwrap();
    let out = verify(tmp.path(), &un, 1);
    assert!(out.contains("changed: report.json"), "{out}");
    // A pack that cannot be read at all: exit 2, one line.
    std::fs::write(tmp.path().join("not.zip"), "not a zip").unwrap();
    let err = dossier(tmp.path())
        .args(["verify", "not.zip"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.starts_with("dossier: ") && err.contains("not.zip"),
        "{err}"
    );
}

#[test]
fn same_inputs_give_a_byte_identical_zip_and_an_earlier_pack_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    // A file that is no pack of dossier's is never replaced; an earlier pack is.
    std::fs::write(tmp.path().join("a.zip"), "old").unwrap();
    dossier(tmp.path())
        .arg("pack")
        .arg(sample("qingxi-town.xlsx"))
        .args(["--as-of", AS_OF, "--evidence"])
        .arg(evidence_dir())
        .args(["-o", "a.zip"])
        .assert()
        .code(2);
    assert_eq!(std::fs::read(tmp.path().join("a.zip")).unwrap(), b"old");
    std::fs::remove_file(tmp.path().join("a.zip")).unwrap();
    pack_sample(tmp.path(), "a.zip", false, &[]);
    let a = pack_sample(tmp.path(), "a.zip", false, &[]);
    let b = pack_sample(tmp.path(), "b.zip", false, &[]);
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(a.len() > 1000);
    assert!(a == b, "two packs of the same inputs differ");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");
}

#[test]
fn binders_open_have_the_pages_their_contents_say_and_bookmark_every_measure() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = pack_sample(tmp.path(), "pack", true, &[]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("report.json")).unwrap())
            .unwrap();
    for (n, set) in [(1, "国务院15条"), (2, "省65条"), (3, "市78条")] {
        let path = folder.join(format!("装订/{n:02} {set}.pdf"));
        let doc = lopdf::Document::load(&path).expect("binder parses");
        let pages = doc.get_pages().len();
        // What the contents must account for: every good PDF's pages and one page per
        // bindable image.
        let mut bound = 0u64;
        let mut bound_measures = Vec::new();
        for m in report["measures"].as_array().unwrap() {
            if m["set"] != set {
                continue;
            }
            let mut any = false;
            for f in m["evidence_files"].as_array().unwrap() {
                let problems = f["problems"].as_array().unwrap();
                let bad = problems.iter().any(|p| p != "evidence_stale");
                if bad {
                    continue;
                }
                match f["kind"].as_str().unwrap() {
                    "pdf" => {
                        bound += f["pages"].as_u64().unwrap();
                        any = true;
                    }
                    "image" if !f["path"].as_str().unwrap().ends_with(".heic") => {
                        bound += 1;
                        any = true;
                    }
                    _ => {}
                }
            }
            if any {
                bound_measures.push(m["id"].as_str().unwrap().to_string());
            }
        }
        // Cover and contents come first; the first bound file's bookmark says where they
        // end.
        let toc = doc.get_toc().expect("bookmarks");
        let file_level = toc.toc.iter().map(|t| t.level).max().unwrap();
        let titles: Vec<String> = toc.toc.iter().map(|t| t.title.clone()).collect();
        for id in &bound_measures {
            assert!(
                titles
                    .iter()
                    .any(|t| t.split(' ').nth(1) == Some(id.as_str())),
                "{set}: a bookmark for measure {id}: {titles:?}"
            );
        }
        // Measures with no file at all are in the contents too, their items marked 缺.
        for m in report["measures"].as_array().unwrap() {
            let required = m["evidence"].as_array().map_or(0, Vec::len);
            if m["set"] != set || required == 0 {
                continue;
            }
            let id = m["id"].as_str().unwrap();
            assert!(
                titles.iter().any(|t| t.split(' ').nth(1) == Some(id)),
                "{set}: a bookmark for measure {id}, files or not: {titles:?}"
            );
        }
        assert!(
            titles.iter().any(|t| t.ends_with("（缺）")),
            "{set}: missing items are named: {titles:?}"
        );
        let first_page = toc
            .toc
            .iter()
            .filter(|t| t.level == file_level)
            .map(|t| t.page)
            .min()
            .unwrap();
        assert_eq!(
            pages as u64,
            first_page as u64 - 1 + bound,
            "{set}: front pages + bound pages"
        );
        if Command::new("qpdf").arg("--version").output().is_ok() {
            let q = Command::new("qpdf")
                .arg("--check")
                .arg(&path)
                .output()
                .unwrap();
            assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stdout));
        }
        let info = Command::new("pdfinfo").arg(&path).output().unwrap();
        let info = String::from_utf8(info.stdout).unwrap();
        assert!(
            info.contains(&format!("Pages:           {pages}")),
            "{info}"
        );
        // Every page carries its binder page number at the top right.
        let last = Command::new("pdftotext")
            .args([
                "-f",
                &pages.to_string(),
                "-l",
                &pages.to_string(),
                "-layout",
            ])
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        let last = String::from_utf8(last.stdout).unwrap();
        assert!(
            last.lines().any(|l| l.trim() == pages.to_string()),
            "{set}: page {pages} is stamped with its number"
        );
    }
}

/// A one-measure workbook whose evidence has names Windows cannot take.
#[cfg(unix)]
#[test]
fn hostile_file_names_come_out_safe_in_the_zip() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("市78条.csv");
    std::fs::write(
        &book,
        "序号,措施内容,落实情况,佐证材料\n1,排查隐患,已完成,现场照片\n",
    )
    .unwrap();
    let ev = tmp.path().join("ev");
    let dir = ev.join("市78条/第1条");
    std::fs::create_dir_all(&dir).unwrap();
    // Long, but within the 255 bytes a Linux file system takes.
    let long = format!("{}.pdf", "长".repeat(82));
    let ascii = format!("{}.txt", "a".repeat(200));
    for name in [
        "a:b?.txt",
        "CON.txt",
        "trailing. ",
        long.as_str(),
        ascii.as_str(),
        "会议纪要\u{202e}fdp.exe",
        "两行\n名字.txt",
    ] {
        std::fs::write(dir.join(name), "x").unwrap();
    }
    std::fs::write(dir.join(OsStr::from_bytes(b"\xff\xfe-bad.txt")), "y").unwrap();
    let zip = tmp.path().join("p.zip");
    dossier(tmp.path())
        .arg("pack")
        .arg(&book)
        .args(["--as-of", AS_OF, "--evidence"])
        .arg(&ev)
        .arg("-o")
        .arg(&zip)
        .assert()
        .success();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut sink = Vec::new();
        entry.read_to_end(&mut sink).unwrap();
        names.push(name);
    }
    for name in &names {
        for part in name.split('/') {
            assert!(
                !part.contains([':', '?', '<', '>', '"', '\\', '|', '*']),
                "{name}"
            );
            assert!(part.chars().count() <= 80, "{name}");
            assert!(!part.ends_with(['.', ' ']), "{name}");
        }
    }
    let files: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix("材料/01 市78条/001 1 排查隐患/99-其他材料/"))
        .collect();
    assert!(files.contains(&"a_b_.txt"), "{files:?}");
    assert!(files.contains(&"_CON.txt"), "{files:?}");
    assert!(files.contains(&"trailing"), "{files:?}");
    assert!(
        files
            .iter()
            .any(|f| f.ends_with(".pdf") && f.chars().count() == 80),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.ends_with(".txt") && f.starts_with("aaa") && f.len() == 80),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("-bad.txt") && f.starts_with('_')),
        "{files:?}"
    );
    // A bidi override cannot make an .exe pass for a .pdf, nor a newline split a name.
    assert!(files.contains(&"会议纪要_fdp.exe"), "{files:?}");
    assert!(files.contains(&"两行_名字.txt"), "{files:?}");
    // In diagnostics both are shown, not obeyed: every line is one diagnostic.
    let out = dossier(tmp.path())
        .arg("check")
        .arg(&book)
        .args(["--as-of", AS_OF, "--evidence"])
        .arg(&ev)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("会议纪要\\u{202e}fdp.exe"), "{text}");
    assert!(text.contains("两行\\n名字.txt"), "{text}");
    assert!(!text.contains('\u{202e}'), "{text}");
    for line in text.lines() {
        assert!(
            line.starts_with("ev") || line.contains(": ") || line.starts_with("evidence"),
            "a line that is no diagnostic: {line}"
        );
    }
}

/// The index's columns and counts agree with its rows: one 序号 (the measure's) and the
/// pack's own 档号; the header's 缺 count is the number of 缺 rows, and items that have
/// only problem files are counted apart (issue 18, item 5).
#[test]
fn the_index_header_counts_match_its_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = pack_sample(tmp.path(), "p", true, &[]);
    let csv = std::fs::read_to_string(dir.join("00-目录.csv")).unwrap();
    let header = csv.lines().next().unwrap().trim_start_matches('\u{feff}');
    assert_eq!(
        header,
        "档号,措施清单,序号,措施内容,材料项,包内路径,类型,页数,日期,SHA-256,状态"
    );
    let lack_rows = csv.lines().filter(|l| l.ends_with(",缺")).count();
    let html = std::fs::read_to_string(dir.join("00-目录.html")).unwrap();
    let said = html
        .split("缺 ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap();
    assert_eq!(said, lack_rows.to_string(), "{said} vs {lack_rows}");
    let problem_only = html
        .split("仅有问题文件 ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap();
    assert!(problem_only.parse::<usize>().unwrap() > 0);
    let pdf = Command::new("pdftotext")
        .arg(dir.join("00-目录.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) installed");
    let pdf = String::from_utf8_lossy(&pdf.stdout);
    assert!(pdf.contains(&format!("缺 {lack_rows} 项")), "{pdf}");
}

#[test]
fn pack_without_an_evidence_folder_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let err = dossier(tmp.path())
        .arg("pack")
        .arg(sample("qingxi-town.xlsx"))
        .args(["--as-of", AS_OF])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert_eq!(
        String::from_utf8(err).unwrap(),
        "dossier: pack needs an evidence folder: give --evidence DIR (or evidence in the config)\n"
    );
    assert!(!tmp.path().join("out").exists(), "nothing written");
}

#[test]
fn english_packs_have_english_fixed_names() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = pack_sample(tmp.path(), "pack", true, &["--lang", "en"]);
    for name in [
        "00-index.pdf",
        "00-index.csv",
        "01-gap-report.pdf",
        "02-evidence-checklist.html",
        "03-owner-tasks.pdf",
        "binders/01 国务院15条.pdf",
    ] {
        assert!(folder.join(name).is_file(), "{name}");
    }
    let other = folder.join("evidence/02 省65条/049 49 村级工业园：严格执行审批和现场监/99-other");
    assert!(other.is_dir(), "{}", other.display());
    assert!(verify(tmp.path(), &folder, 0).ends_with("files intact\n"));
}

#[test]
fn a_pack_inside_the_evidence_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("市78条.csv");
    std::fs::write(
        &book,
        "序号,措施内容,落实情况,佐证材料\n1,排查隐患,已完成,现场照片\n",
    )
    .unwrap();
    let ev = tmp.path().join("ev");
    std::fs::create_dir_all(ev.join("市78条/第1条")).unwrap();
    std::fs::write(ev.join("市78条/第1条/照片.jpg"), "x").unwrap();
    for (flag, target) in [("-o", ev.join("p.zip")), ("--folder", ev.join("p"))] {
        let err = dossier(tmp.path())
            .arg("pack")
            .arg(&book)
            .args(["--as-of", AS_OF, "--evidence"])
            .arg(&ev)
            .arg(flag)
            .arg(&target)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("an input folder of this run"), "{err}");
        assert!(!target.exists(), "nothing written");
    }
    // A folder that is not an earlier pack is never replaced.
    let mine = tmp.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("keep.txt"), "x").unwrap();
    let err = dossier(tmp.path())
        .arg("pack")
        .arg(&book)
        .args(["--as-of", AS_OF, "--evidence"])
        .arg(&ev)
        .arg("--folder")
        .arg(&mine)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8(err).unwrap().contains("is not a pack"));
    assert!(mine.join("keep.txt").is_file());
    // A folder pack that would contain the evidence folder is refused too.
    let err = dossier(tmp.path())
        .arg("pack")
        .arg(&book)
        .args(["--as-of", AS_OF, "--evidence"])
        .arg(&ev)
        .arg("--folder")
        .arg(tmp.path())
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(err)
            .unwrap()
            .contains("an input of this run")
    );
    assert!(
        ev.join("市78条/第1条/照片.jpg").is_file(),
        "the evidence is untouched"
    );
}

/// The genuine entry of a zip pack followed by a forged copy under the same name is
/// what `unzip -n` extracts first; a file dropped with its sha256 line but still in
/// manifest.json; a FIFO where a file should be; a manifest too large to be dossier's:
/// each is named and exits 1 (2 for the manifest), and nothing blocks (issue 18, item 4).
#[test]
fn verify_names_forged_duplicates_rewritten_manifests_and_fifos() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    // A zip holding report.json twice: a forged copy first, the genuine one last.
    let zip = pack_sample(tmp.path(), "pack.zip", false, &[]);
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut forged = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    // Same length as "report.json", renamed once written: the zip writer refuses a
    // name twice, a forger's tool does not.
    forged.start_file("report.jsoN", options).unwrap();
    forged.write_all(b"{\"forged\": true}").unwrap();
    for i in 0..archive.len() {
        forged
            .raw_copy_file(archive.by_index_raw(i).unwrap())
            .unwrap();
    }
    let mut bytes = forged.finish().unwrap().into_inner();
    let (from, to) = (b"report.jsoN", b"report.json");
    let mut at = 0;
    while let Some(p) = bytes[at..].windows(from.len()).position(|w| w == from) {
        bytes[at + p..at + p + to.len()].copy_from_slice(to);
        at += p + 1;
    }
    let twice = tmp.path().join("twice.zip");
    std::fs::write(&twice, bytes).unwrap();
    let out = verify(tmp.path(), &twice, 1);
    assert!(out.contains("duplicated: report.json"), "{out}");

    // An entry compressed another way than dossier writes (bzip2, slow to inflate) is
    // changed, not decoded.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut other = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        let method = if name == "report.json" {
            zip::CompressionMethod::Bzip2
        } else {
            zip::CompressionMethod::Stored
        };
        other
            .start_file(name, options.compression_method(method))
            .unwrap();
        other.write_all(&data).unwrap();
    }
    let bz = tmp.path().join("bzip2.zip");
    std::fs::write(&bz, other.finish().unwrap().into_inner()).unwrap();
    let out = verify(tmp.path(), &bz, 1);
    assert!(out.contains("changed: report.json"), "{out}");

    // A folder pack with a file dropped and its line removed from manifest.sha256.
    let folder = pack_sample(tmp.path(), "pack", true, &[]);
    std::fs::remove_file(folder.join("report.json")).unwrap();
    let sums = std::fs::read_to_string(folder.join("manifest.sha256")).unwrap();
    let kept: String = sums
        .lines()
        .filter(|l| !l.ends_with("  report.json"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(folder.join("manifest.sha256"), kept).unwrap();
    let out = verify(tmp.path(), &folder, 1);
    assert!(out.contains("manifests disagree: report.json"), "{out}");

    // A FIFO where a file should be: named, never opened.
    #[cfg(unix)]
    {
        std::fs::write(folder.join("manifest.sha256"), &sums).unwrap();
        let fifo = folder.join("report.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let out = verify(tmp.path(), &folder, 1);
        assert!(out.contains("not a file: report.json"), "{out}");
        std::fs::remove_file(&fifo).unwrap();
    }

    // A manifest larger than any pack of dossier's: refused, not read whole.
    let big = std::fs::File::create(folder.join("manifest.sha256")).unwrap();
    big.set_len(dossier::verify::MANIFEST_BYTES + 10).unwrap();
    let err = dossier(tmp.path())
        .arg("verify")
        .arg(&folder)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("manifest.sha256 is larger than"), "{err}");
}
