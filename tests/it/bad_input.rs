//! Inputs that cannot be read: each gives exactly one line on stderr naming the file and
//! what is wrong, exit code 2, no panic, nothing written, and the input left untouched —
//! for `check` and for `build` alike.

use crate::common::*;
use std::path::{Path, PathBuf};

/// Deterministic pseudo-random bytes (xorshift), never starting like a known format.
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes[..4].copy_from_slice(b"\x01\x02\x03\x04");
    bytes
}

/// Runs `check` and `build` (with and without `-o`) on `input` from an empty working
/// folder and asserts the failure contract; `expected` is the start of the one stderr
/// line.
fn assert_refused(input: &Path, expected: &str) {
    let before = std::fs::read(input).ok();
    let inputs_dir = input.parent().unwrap();
    let inputs_before = listing(inputs_dir);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out-dir");
    let runs: [&[&str]; 4] = [
        &["check"],
        &["check", "--format", "json"],
        &["build"],
        &["build", "--format", "json", "-o"],
    ];
    for args in runs {
        let mut cmd = dossier(work.path());
        // A reader caught in a loop must fail the test, not hang it.
        cmd.timeout(std::time::Duration::from_secs(60));
        cmd.args(args);
        if args.last() == Some(&"-o") {
            cmd.arg(&out);
        }
        cmd.arg(input).args(["--as-of", AS_OF]);
        let output = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what = format!("dossier {} {}", args.join(" "), input.display());
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "{what}: not one line: {stderr:?}"
        );
        assert!(
            stderr.starts_with(expected),
            "{what}: {stderr:?} does not start with {expected:?}"
        );
        assert!(
            output.stdout.is_empty(),
            "{what}: stdout {:?}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(
            listing(work.path()).is_empty(),
            "{what}: wrote {:?}",
            listing(work.path())
        );
        assert_eq!(
            listing(inputs_dir),
            inputs_before,
            "{what}: inputs folder changed"
        );
        assert_eq!(
            std::fs::read(input).ok(),
            before,
            "{what}: the input was modified"
        );
    }
}

/// A fresh folder holding one file with these bytes.
fn input(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn merged_xlsx() -> Vec<u8> {
    std::fs::read(fixture("formats/merged.xlsx")).unwrap()
}

#[test]
fn empty_file() {
    let (_dir, path) = input("empty.xlsx", b"");
    assert_refused(&path, "dossier: empty.xlsx: the file is empty\n");
    let (_dir, path) = input("empty.csv", b"");
    assert_refused(&path, "dossier: empty.csv: the file is empty\n");
}

#[test]
fn random_bytes_named_xlsx() {
    let (_dir, path) = input("random.xlsx", &garbage(64 * 1024, 7));
    assert_refused(&path, "dossier: random.xlsx: not a spreadsheet");
}

#[test]
fn truncated_workbooks() {
    let xlsx = merged_xlsx();
    let (_dir, path) = input("half.xlsx", &xlsx[..xlsx.len() / 2]);
    assert_refused(
        &path,
        "dossier: half.xlsx: the workbook is damaged or truncated",
    );
    for name in ["merged.ods", "merged.xls"] {
        let bytes = std::fs::read(fixture(&format!("formats/{name}"))).unwrap();
        let cut = format!("half-{name}");
        let (_dir, path) = input(&cut, &bytes[..bytes.len() / 2]);
        assert_refused(
            &path,
            &format!("dossier: {cut}: the workbook is damaged or truncated"),
        );
    }
}

/// Compound files cut at these lengths make calamine 0.38 panic (it indexes past the
/// end of a sector); the panic must become the usual one-line message.
#[test]
fn compound_files_cut_where_the_reader_panics() {
    for (name, len) in [("merged.xls", 5632), ("encrypted.xlsx", 1024)] {
        let bytes = std::fs::read(fixture(&format!("formats/{name}"))).unwrap();
        let cut = format!("cut-{name}");
        let (_dir, path) = input(&cut, &bytes[..len]);
        assert_refused(
            &path,
            &format!("dossier: {cut}: the workbook is damaged or truncated"),
        );
    }
}

/// An xls whose allocation table is zeroed: every sector chain loops on sector 0, and
/// calamine 0.38 would follow it until memory runs out.
#[test]
fn compound_file_whose_sector_chains_loop() {
    let mut bytes = std::fs::read(fixture("formats/merged.xls")).unwrap();
    let first_fat = u32::from_le_bytes(bytes[0x4C..0x50].try_into().unwrap()) as usize;
    let at = (first_fat + 1) * 512;
    bytes[at..at + 512].fill(0);
    let (_dir, path) = input("loop.xls", &bytes);
    assert_refused(
        &path,
        "dossier: loop.xls: the workbook is damaged or truncated: its sector chains loop",
    );
}

#[test]
fn password_protected_xlsx() {
    // Made by tests/fixtures/formats/make.sh; the password is "dossier".
    let bytes = std::fs::read(fixture("formats/encrypted.xlsx")).unwrap();
    let (_dir, path) = input("encrypted.xlsx", &bytes);
    assert_refused(
        &path,
        "dossier: encrypted.xlsx: the workbook is password-protected",
    );
}

#[test]
fn workbook_without_a_header_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = xlsx(
        dir.path(),
        "noheader.xlsx",
        "填表说明",
        &[
            &["填表说明"],
            &["1. 请按月更新落实情况"],
            &["2. 佐证材料请编号归档"],
        ],
    );
    assert_refused(
        &path,
        "dossier: noheader.xlsx: no sheet has a header row naming a measure column and a \
         status column",
    );
    // The same as CSV.
    let (_dir, path) = input("noheader.csv", "名称,数量\n灭火器,12\n".as_bytes());
    assert_refused(&path, "dossier: noheader.csv: no sheet has a header row");
}

#[test]
fn utf16_without_bom() {
    let text = "序号,措施内容,落实情况\r\n1,严格落实安全生产责任,已完成\r\n";
    let bytes: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let (_dir, path) = input("utf16.csv", &bytes);
    assert_refused(
        &path,
        "dossier: utf16.csv: the file looks like UTF-16 without a byte-order mark",
    );
    let bytes: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let (_dir, path) = input("utf16be.csv", &bytes);
    assert_refused(
        &path,
        "dossier: utf16be.csv: the file looks like UTF-16 without a byte-order mark",
    );
}

#[test]
fn a_folder_given_as_input() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("台账.xlsx");
    std::fs::create_dir(&folder).unwrap();
    // Named as the user gave it (issue 19): the whole path, not the file name alone.
    assert_refused(
        &folder,
        &format!(
            "dossier: {}: cannot read the file: it is a folder",
            folder.display()
        ),
    );
}

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.xlsx");
    assert_refused(
        &path,
        &format!("dossier: {}: cannot read the file", path.display()),
    );
    assert!(!path.exists());
}

#[test]
fn a_100_mb_file_of_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.xlsx");
    // One buffer, one write: a repeated 64 KiB block of noise.
    let block = garbage(64 * 1024, 42);
    let bytes = block.repeat(1600);
    assert_eq!(bytes.len(), 100 * 1024 * 1024);
    std::fs::write(&path, &bytes).unwrap();
    drop(bytes);
    let started = std::time::Instant::now();
    assert_refused(&path, "dossier: huge.xlsx: not a spreadsheet");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

/// A bad input among good ones still stops the whole run, naming the bad one.
#[test]
fn one_bad_input_among_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.xlsx");
    std::fs::write(&good, merged_xlsx()).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, b"").unwrap();
    let work = tempfile::tempdir().unwrap();
    for command in ["check", "build"] {
        let output = dossier(work.path())
            .arg(command)
            .arg(&good)
            .arg(&bad)
            .args(["--as-of", AS_OF])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert_eq!(stderr, "dossier: bad.csv: the file is empty\n", "{command}");
        assert!(output.stdout.is_empty(), "{command}");
        assert!(listing(work.path()).is_empty(), "{command}");
    }
    assert_eq!(std::fs::read(&good).unwrap(), merged_xlsx());
}

/// Reading a good workbook leaves it byte for byte as it was, too.
#[test]
fn a_good_input_is_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merged.xlsx");
    std::fs::write(&path, merged_xlsx()).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let work = tempfile::tempdir().unwrap();
    for command in ["check", "build"] {
        dossier(work.path())
            .arg(command)
            .arg(&path)
            .args(["--as-of", AS_OF])
            .assert()
            .success();
    }
    assert_eq!(std::fs::read(&path).unwrap(), merged_xlsx());
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(listing(dir.path()), ["merged.xlsx"]);
}
