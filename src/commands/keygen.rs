//! `dossier keygen`: a minisign key pair for signing packs, so an office can prove to
//! inspectors which packs it made (`pack --sign`, `verify --key`, `minisign -V`).

use std::io::Write;
use std::path::PathBuf;

use super::error::CliError;
use crate::signature;

/// The flags of `dossier keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Folder for dossier.key and dossier.pub (created if missing).
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    output: PathBuf,

    /// Who holds the key (an office's name), written into the key files' comments so an
    /// inspector sees whose public key it is.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Write the secret key without a password (for CI: keep it in the CI's secret
    /// store). Without this flag the password comes from DOSSIER_KEY_PASSWORD or is asked
    /// for at a terminal.
    #[arg(long)]
    no_password: bool,
}

/// Writes the pair, never over an existing file; prints where and the key id.
pub fn run(args: &KeygenArgs) -> Result<i32, CliError> {
    let secret = args.output.join("dossier.key");
    let public = args.output.join("dossier.pub");
    for path in [&secret, &public] {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(signature::SignatureError::Exists { path: path.clone() }.into());
        }
    }
    let password = match signature::new_password() {
        Some(p) => Some(p),
        None if args.no_password => None,
        None => return Err(signature::SignatureError::NoPassword.into()),
    };
    std::fs::create_dir_all(&args.output).map_err(|error| CliError::Io {
        path: args.output.display().to_string(),
        error,
    })?;
    let files = signature::generate(password, args.name.as_deref())?;
    signature::write_new(&secret, &files.secret, true)?;
    if let Err(e) = signature::write_new(&public, &files.public, false) {
        // The secret half alone is of no use, and it is ours: take it back.
        let _ = std::fs::remove_file(&secret);
        return Err(e.into());
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "key {} written: {} (secret: keep it; sign with `dossier pack --sign {}`) and {} (public: give it to the inspectors)",
        files.key_id,
        secret.display(),
        secret.display(),
        public.display()
    );
    Ok(0)
}
