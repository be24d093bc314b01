//! `dossier verify`: check a pack against its manifests (and its signature, given the
//! public key), so an inspector can tell a pack is the one the office made.

use super::error::CliError;
use crate::signature::Check;
use crate::verify::Signature;
use std::io::Write;
use std::path::PathBuf;

/// The flags of `verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The pack: a zip, or a folder it was unpacked into.
    #[arg(value_name = "PACK.zip|DIR")]
    pack: PathBuf,

    /// Also check the pack's signature with this minisign public key: says who signed
    /// it, or `not signed` / `signed by another key` / `signature does not match`
    /// (exit 1).
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
}

/// Prints every finding and the verdict; exit 1 when the pack is not intact or its
/// signature does not hold.
pub fn run(args: &VerifyArgs) -> Result<i32, CliError> {
    let pack = &args.pack;
    let key = match args.key.as_deref() {
        Some(path) => Some(crate::signature::PublicKey::from_file(path)?),
        None => None,
    };
    let verdict = crate::verify::verify_signed(pack, key.as_ref())?;
    let mut out = std::io::stdout().lock();
    let mut text = String::new();
    // Each finding on its own line: what it is, the file, and for the rarer ones why.
    let findings: [(&[String], &str, &str); 8] = [
        (&verdict.changed, "changed", ""),
        (&verdict.missing, "missing", ""),
        (&verdict.unexpected, "unexpected", ""),
        (
            &verdict.litter,
            "ignored",
            " (made by the operating system, not listed)",
        ),
        (
            &verdict.duplicated,
            "duplicated",
            " (the zip holds it more than once)",
        ),
        (
            &verdict.not_files,
            "not a file",
            " (a FIFO, device or socket; not read)",
        ),
        (
            &verdict.disagreeing,
            "manifests disagree",
            " (manifest.json and manifest.sha256 differ)",
        ),
        (
            &verdict.miswritten,
            "manifest line changed",
            " (the file is what manifest.json says; its manifest.sha256 line was rewritten)",
        ),
    ];
    for (paths, what, why) in findings {
        for p in paths {
            text.push_str(&format!("{what}: {}{why}\n", crate::model::visible(p)));
        }
    }
    if verdict.is_intact() {
        text.push_str(&format!("{} files intact\n", verdict.intact));
    } else {
        let mut counts = format!(
            "{} changed, {} missing, {} unexpected",
            verdict.changed.len(),
            verdict.missing.len(),
            verdict.unexpected.len(),
        );
        for (n, what) in [
            (verdict.duplicated.len(), "duplicated"),
            (verdict.not_files.len(), "not files"),
            (verdict.disagreeing.len(), "where the manifests disagree"),
            (verdict.miswritten.len(), "manifest lines changed"),
        ] {
            if n > 0 {
                counts.push_str(&format!(", {n} {what}"));
            }
        }
        text.push_str(&format!(
            "{}: not intact: {counts}, {} intact\n",
            pack.display(),
            verdict.intact
        ));
    }
    let signed_ok = match &verdict.signature {
        Signature::NotSigned if key.is_some() => {
            text.push_str("not signed: the pack has no manifest.sha256.minisig\n");
            false
        }
        Signature::NotSigned => true,
        Signature::Unchecked { key_id } => {
            text.push_str(&format!(
                "signed with key {key_id} (not checked: give --key PUB)\n"
            ));
            true
        }
        Signature::Checked(Check::Good {
            key_id,
            trusted_comment,
        }) => {
            text.push_str(&format!("signed by key {key_id}: {trusted_comment}\n"));
            true
        }
        Signature::Checked(Check::OtherKey { key_id }) => {
            let given = key.as_ref().map_or("?", |k| k.key_id.as_str());
            text.push_str(&format!(
                "signed by another key: {key_id}, not {given} (the key given)\n"
            ));
            false
        }
        Signature::Checked(Check::Mismatch { reason }) => {
            text.push_str(&format!("signature does not match: {reason}\n"));
            false
        }
    };
    let _ = out.write_all(text.as_bytes());
    Ok(if verdict.is_intact() && signed_ok {
        0
    } else {
        1
    })
}
