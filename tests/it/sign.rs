//! Signed packs and packs of a changing folder: `pack --sign` writes a minisign
//! signature of manifest.sha256 that `verify --key` and `minisign -V` accept and a
//! re-hashed forgery fails; `keygen` never overwrites; a file written to while `pack`
//! runs stops the pack unless `--allow-changing`, and the manifests then describe what
//! was packed.

use crate::common::{AS_OF, copy_dir, dossier, root, sample};
use std::path::{Path, PathBuf};
use std::process::Command;

fn evidence() -> PathBuf {
    root().join("inputs/evidence/qingxi-town")
}

fn keygen(dir: &Path, out: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    dossier(dir)
        .args(["keygen", "-o", out, "--name", "青溪镇安监办"])
        .args(extra)
        .env_remove("DOSSIER_KEY_PASSWORD")
        .assert()
        .success();
    (
        dir.join(out).join("dossier.key"),
        dir.join(out).join("dossier.pub"),
    )
}

fn pack(dir: &Path, evidence: &Path, target: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    dossier(dir)
        .arg("pack")
        .arg(sample("qingxi-town.xlsx"))
        .args(["--as-of", AS_OF, "--evidence"])
        .arg(evidence)
        .args(["--folder", target])
        .args(extra)
        .assert()
}

fn verify(dir: &Path, pack: &str, key: Option<&Path>, code: i32) -> String {
    let mut cmd = dossier(dir);
    cmd.args(["verify", pack]);
    if let Some(k) = key {
        cmd.arg("--key").arg(k);
    }
    let out = cmd.assert().code(code).get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn minisign_installed() -> bool {
    Command::new("minisign").arg("-v").output().is_ok()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_signed_pack_says_who_signed_it_and_minisign_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    let (sk, pk) = keygen(tmp.path(), "keys", &["--no-password"]);
    let key_text = std::fs::read_to_string(&pk).unwrap();
    assert!(key_text.starts_with("untrusted comment: minisign public key "));
    assert!(key_text.contains("of 青溪镇安监办"));
    let sk_s = sk.to_str().unwrap();
    let out = pack(tmp.path(), &evidence(), "p", &["--sign", sk_s])
        .success()
        .get_output()
        .stderr
        .clone();
    let last = String::from_utf8(out).unwrap();
    assert!(
        last.lines().last().unwrap().contains(", signed with key "),
        "{last}"
    );
    let out = verify(tmp.path(), "p", Some(&pk), 0);
    let manifest = std::fs::read(tmp.path().join("p/manifest.sha256")).unwrap();
    let signed = out.lines().last().unwrap();
    assert!(signed.starts_with("signed by key "), "{out}");
    assert!(
        signed.ends_with(&format!(
            ": dossier pack; unit: 清溪镇; as_of: {AS_OF}; manifest.sha256: {}",
            sha256_hex(&manifest)
        )),
        "{out}"
    );
    // Without a key it still says it is signed, and by which key id.
    let plain = verify(tmp.path(), "p", None, 0);
    assert!(plain.contains("(not checked: give --key PUB)"), "{plain}");
    if minisign_installed() {
        let v = Command::new("minisign")
            .args(["-V", "-m", "manifest.sha256", "-p"])
            .arg(&pk)
            .current_dir(tmp.path().join("p"))
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
        assert!(String::from_utf8_lossy(&v.stdout).contains("unit: 清溪镇"));
    }
    // Signing is deterministic: the same inputs give the same signature.
    pack(tmp.path(), &evidence(), "q", &["--sign", sk_s]).success();
    assert_eq!(
        std::fs::read(tmp.path().join("p/manifest.sha256.minisig")).unwrap(),
        std::fs::read(tmp.path().join("q/manifest.sha256.minisig")).unwrap()
    );
}

#[test]
fn a_rehashed_forgery_of_a_signed_pack_fails_its_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let (sk, pk) = keygen(tmp.path(), "keys", &["--no-password"]);
    pack(
        tmp.path(),
        &evidence(),
        "p",
        &["--sign", sk.to_str().unwrap()],
    )
    .success();
    let root = tmp.path().join("p");
    // The forger changes report.json and rewrites both manifests to match.
    let forged = b"{\"forged\": true}\n".to_vec();
    let old = std::fs::read(root.join("report.json")).unwrap();
    std::fs::write(root.join("report.json"), &forged).unwrap();
    let (old_h, new_h) = (sha256_hex(&old), sha256_hex(&forged));
    let json = std::fs::read_to_string(root.join("manifest.json"))
        .unwrap()
        .replace(&old_h, &new_h);
    std::fs::write(root.join("manifest.json"), &json).unwrap();
    let sums = std::fs::read_to_string(root.join("manifest.sha256"))
        .unwrap()
        .replace(&old_h, &new_h);
    let old_json_h = sums
        .lines()
        .find(|l| l.ends_with("  manifest.json"))
        .unwrap()[..64]
        .to_string();
    let sums = sums.replace(&old_json_h, &sha256_hex(json.as_bytes()));
    std::fs::write(root.join("manifest.sha256"), &sums).unwrap();
    // Every hash agrees, so only the signature tells.
    let plain = verify(tmp.path(), "p", None, 0);
    assert!(plain.starts_with("275 files intact\n"), "{plain}");
    let out = verify(tmp.path(), "p", Some(&pk), 1);
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("signature does not match: "),
        "{out}"
    );
    if minisign_installed() {
        let v = Command::new("minisign")
            .args(["-V", "-m", "manifest.sha256", "-p"])
            .arg(&pk)
            .current_dir(&root)
            .output()
            .unwrap();
        assert!(!v.status.success());
    }
}

#[test]
fn verify_with_a_key_refuses_an_unsigned_pack_and_another_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (sk, _) = keygen(tmp.path(), "mine", &["--no-password"]);
    let (_, other) = keygen(tmp.path(), "theirs", &["--no-password"]);
    pack(tmp.path(), &evidence(), "unsigned", &[]).success();
    let out = verify(tmp.path(), "unsigned", Some(&other), 1);
    assert!(
        out.ends_with("not signed: the pack has no manifest.sha256.minisig\n"),
        "{out}"
    );
    pack(
        tmp.path(),
        &evidence(),
        "p",
        &["--sign", sk.to_str().unwrap()],
    )
    .success();
    let out = verify(tmp.path(), "p", Some(&other), 1);
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("signed by another key: "), "{out}");
    assert!(last.ends_with(" (the key given)"), "{out}");
}

#[test]
fn keygen_never_overwrites_and_asks_for_a_password_or_no_password() {
    let tmp = tempfile::tempdir().unwrap();
    dossier(tmp.path())
        .args(["keygen", "-o", "k"])
        .env_remove("DOSSIER_KEY_PASSWORD")
        .assert()
        .code(2)
        .stderr(
            "dossier: a new secret key needs a password: set DOSSIER_KEY_PASSWORD, run at a terminal to be asked, or give --no-password for an unprotected key (keep it where only the signer can read it)\n",
        );
    assert!(!tmp.path().join("k").exists());
    std::fs::create_dir(tmp.path().join("k")).unwrap();
    std::fs::write(tmp.path().join("k/dossier.pub"), "mine").unwrap();
    dossier(tmp.path())
        .args(["keygen", "-o", "k", "--no-password"])
        .assert()
        .code(2)
        .stderr(format!(
            "dossier: {}: already exists; a key is never overwritten (move it away or choose another name)\n",
            Path::new("k").join("dossier.pub").display()
        ));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("k/dossier.pub")).unwrap(),
        "mine"
    );
    assert!(!tmp.path().join("k/dossier.key").exists());
}

#[test]
fn a_password_protected_key_signs_with_its_password_only() {
    let tmp = tempfile::tempdir().unwrap();
    dossier(tmp.path())
        .args(["keygen", "-o", "k"])
        .env("DOSSIER_KEY_PASSWORD", "青溪-2026")
        .assert()
        .success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join("k/dossier.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let pack_with = |password: &str| {
        dossier(tmp.path())
            .arg("pack")
            .arg(sample("qingxi-town.xlsx"))
            .args(["--as-of", AS_OF, "--evidence"])
            .arg(evidence())
            .args(["--folder", "p", "--sign", "k/dossier.key"])
            .env("DOSSIER_KEY_PASSWORD", password)
            .assert()
    };
    pack_with("wrong").code(2).stderr(format!(
        "dossier: {}: wrong password for this key (DOSSIER_KEY_PASSWORD or the one typed)\n",
        Path::new("k/dossier.key").display()
    ));
    assert!(!tmp.path().join("p").exists());
    pack_with("青溪-2026").success();
    let out = verify(tmp.path(), "p", Some(&tmp.path().join("k/dossier.pub")), 0);
    assert!(out.lines().last().unwrap().starts_with("signed by key "));
}

#[test]
fn a_key_made_by_minisign_without_a_password_signs() {
    if !minisign_installed() {
        eprintln!("minisign not installed: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let made = Command::new("minisign")
        .args(["-G", "-W", "-p", "m.pub", "-s", "m.key"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(made.status.success());
    pack(tmp.path(), &evidence(), "p", &["--sign", "m.key"]).success();
    let out = verify(tmp.path(), "p", Some(&tmp.path().join("m.pub")), 0);
    assert!(out.lines().last().unwrap().starts_with("signed by key "));
}

/// Appends to `file` every millisecond until `stop` is set.
fn keep_appending(file: PathBuf, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        f.write_all(b"scanner still writing\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Runs `pack` on a copy of the sample folder while a thread appends to one of its PDFs.
fn pack_while_written(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let ev = dir.join("evidence");
    copy_dir(&evidence(), &ev);
    let victim = walk_pdfs(&ev).into_iter().next().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || keep_appending(victim, stop))
    };
    let assert = pack(dir, &ev, "p", extra);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert
}

fn walk_pdfs(dir: &Path) -> Vec<PathBuf> {
    crate::common::files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect()
}

#[test]
fn a_file_written_to_while_pack_runs_stops_the_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pack_while_written(tmp.path(), &[])
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("dossier: evidence_changed_during_pack: ")
            && lines[0].contains(" bytes when judged, "),
        "{err}"
    );
    assert_eq!(
        *lines.last().unwrap(),
        "1 evidence file(s) changed while packing; nothing was written: pack again once they are finished, or give --allow-changing to pack them as they are now"
    );
    assert!(!tmp.path().join("p").exists());
}

#[test]
fn allow_changing_packs_what_it_read_and_the_pack_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pack_while_written(tmp.path(), &["--allow-changing"])
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.lines().any(
            |l| l.starts_with("dossier: warning: evidence_changed_during_pack: ")
                && l.ends_with("; packed as it is now")
        ),
        "{err}"
    );
    // What went in is what the manifests say, so the pack checks out.
    let v = verify(tmp.path(), "p", None, 0);
    assert!(v.ends_with(" files intact\n"), "{v}");
}

#[test]
fn a_rewritten_manifest_line_is_blamed_on_the_manifest_not_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    pack(tmp.path(), &evidence(), "p", &[]).success();
    let sums_path = tmp.path().join("p/manifest.sha256");
    let sums = std::fs::read_to_string(&sums_path).unwrap();
    let line = sums
        .lines()
        .find(|l| l.ends_with("  report.json"))
        .unwrap()
        .to_string();
    let bad = format!("{}{}", "0".repeat(64), &line[64..]);
    std::fs::write(&sums_path, sums.replace(&line, &bad)).unwrap();
    let out = verify(tmp.path(), "p", None, 1);
    assert!(
        out.contains("manifest line changed: report.json (the file is what manifest.json says; its manifest.sha256 line was rewritten)\n"),
        "{out}"
    );
    assert!(!out.contains("changed: report.json\n"), "{out}");
    assert!(out.contains("manifests disagree: report.json"), "{out}");
}
