//! Signing a pack's `manifest.sha256` in minisign's format, so an inspector can tell who
//! made a pack with `minisign -V` alone, and `dossier verify --key` can say it too.
//!
//! Keys are minisign's own key files: `dossier keygen` writes a pair, and a key made by
//! `minisign -G` (with or without a password) signs as well. The signature is the
//! prehashed kind minisign writes by default (Ed25519 over the BLAKE2b-512 of the file),
//! made with deterministic Ed25519 so the same pack signed twice is byte-identical; the
//! `minisign` crate reads and decrypts key files and checks signatures.

use std::path::{Path, PathBuf};

use blake2::{Blake2b512, Digest};

/// minisign's key checksum.
type Blake2b256 = blake2::Blake2b<blake2::digest::consts::U32>;
use ct_codecs::{Base64, Decoder, Encoder};
use ed25519_dalek::{Signer, SigningKey};

/// The signature's name beside `manifest.sha256` in a pack (minisign's own naming).
pub const SIGNATURE: &str = "manifest.sha256.minisig";

/// The environment variable holding the password of a password-protected secret key, for
/// runs with nobody at a terminal (CI).
pub const PASSWORD_ENV: &str = "DOSSIER_KEY_PASSWORD";

/// The largest key or signature file read (they are a few hundred bytes).
const KEY_FILE_BYTES: u64 = 64 * 1024;

/// A key or signature that cannot be used; each names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The key file cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a minisign key of the kind expected.
    #[error("{}: not a minisign {what} key ({reason})", path.display())]
    NotAKey {
        /// The key file.
        path: PathBuf,
        /// `secret` or `public`.
        what: &'static str,
        /// What the key reader said.
        reason: String,
    },
    /// A password-protected key, and no way to ask for the password.
    #[error(
        "{}: the key is protected by a password; set {PASSWORD_ENV} (or run at a terminal to be asked)",
        path.display()
    )]
    NeedsPassword {
        /// The key file.
        path: PathBuf,
    },
    /// The password given does not open the key.
    #[error("{}: wrong password for this key ({PASSWORD_ENV} or the one typed)", path.display())]
    WrongPassword {
        /// The key file.
        path: PathBuf,
    },
    /// `keygen` would write over an existing file.
    #[error("{}: already exists; a key is never overwritten (move it away or choose another name)", path.display())]
    Exists {
        /// The file found.
        path: PathBuf,
    },
    /// Writing a new key failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `keygen` found neither a password nor `--no-password`.
    #[error(
        "a new secret key needs a password: set {PASSWORD_ENV}, run at a terminal to be asked, or give --no-password for an unprotected key (keep it where only the signer can read it)"
    )]
    NoPassword,
    /// The key library failed for another reason.
    #[error("{0}")]
    Other(String),
}

/// A secret key ready to sign: the Ed25519 key and minisign's key id.
pub struct SecretKey {
    signing: SigningKey,
    key_id: [u8; 8],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", key_id_hex(&self.key_id))
    }
}

/// A public key read from a minisign `.pub` file (or a bare base64 key line).
#[derive(Debug, Clone)]
pub struct PublicKey {
    key: minisign::PublicKey,
    /// minisign's key id, as `minisign` prints it (16 hex digits).
    pub key_id: String,
}

/// How a password is found when a key needs one.
#[derive(Debug, Clone)]
pub enum Password {
    /// From [`PASSWORD_ENV`], else asked at the terminal, else an error.
    FromEnvOrTerminal,
    /// Given by the caller (tests, a library user).
    Given(String),
}

/// Reads a file no larger than [`KEY_FILE_BYTES`] as text.
fn read_small(path: &Path) -> Result<String, SignatureError> {
    use std::io::Read;
    let rerr = |source| SignatureError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(rerr)?;
    if !file.metadata().map_err(rerr)?.is_file() {
        return Err(rerr(std::io::Error::other("not a regular file")));
    }
    let mut text = String::new();
    file.take(KEY_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(rerr)?;
    Ok(text)
}

/// The password from the environment or a terminal prompt, if either is there.
fn find_password(prompt: &str) -> Option<String> {
    use std::io::IsTerminal;
    if let Ok(p) = std::env::var(PASSWORD_ENV)
        && !p.is_empty()
    {
        return Some(p);
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        return rpassword::prompt_password(prompt).ok();
    }
    None
}

/// Layout of minisign's secret key bytes: algorithms, KDF salt and limits, then the key id,
/// the 64-byte Ed25519 key (seed and public half) and a checksum.
const SK_KEYNUM_AT: usize = 2 + 2 + 2 + 32 + 8 + 8;
const SK_KEY_AT: usize = SK_KEYNUM_AT + 8;

impl SecretKey {
    /// Reads a minisign secret key file, decrypting it when it is password-protected.
    pub fn from_file(path: &Path, password: &Password) -> Result<Self, SignatureError> {
        let text = read_small(path)?;
        let not_key = |reason: String| SignatureError::NotAKey {
            path: path.to_path_buf(),
            what: "secret",
            reason,
        };
        let encoded = text
            .lines()
            .nth(1)
            .map(str::trim)
            .ok_or_else(|| not_key("expected a comment line and a key line".into()))?;
        let raw = Base64::decode_to_vec(encoded, None).map_err(|e| not_key(e.to_string()))?;
        if raw.len() != SK_KEY_AT + 64 + 32 || &raw[..2] != b"Ed" {
            return Err(not_key("wrong length or algorithm".into()));
        }
        let encrypted = raw[2..4] != [0, 0];
        let bytes = if encrypted {
            let boxed =
                minisign::SecretKeyBox::from_string(&text).map_err(|e| not_key(e.to_string()))?;
            let pw = match password {
                Password::Given(p) => p.clone(),
                Password::FromEnvOrTerminal => find_password("password of the signing key: ")
                    .ok_or_else(|| SignatureError::NeedsPassword {
                        path: path.to_path_buf(),
                    })?,
            };
            let key = boxed.into_secret_key(Some(pw)).map_err(|e| {
                if e.to_string().contains("Wrong password") {
                    SignatureError::WrongPassword {
                        path: path.to_path_buf(),
                    }
                } else {
                    not_key(e.to_string())
                }
            })?;
            key.to_bytes()
        } else {
            // `minisign -G -W` leaves the checksum of an unprotected key zero; one that is
            // set must match (BLAKE2b-256 of the algorithm, key id and key).
            let chk = &raw[SK_KEY_AT + 64..];
            if chk.iter().any(|&b| b != 0) {
                let mut h = Blake2b256::new();
                h.update(&raw[..2]);
                h.update(&raw[SK_KEYNUM_AT..SK_KEY_AT + 64]);
                if h.finalize()[..] != *chk {
                    return Err(not_key("its checksum does not match: corrupted".into()));
                }
            }
            raw
        };
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&bytes[SK_KEYNUM_AT..SK_KEY_AT]);
        let seed: [u8; 32] = bytes[SK_KEY_AT..SK_KEY_AT + 32]
            .try_into()
            .map_err(|_| not_key("short key".into()))?;
        let signing = SigningKey::from_bytes(&seed);
        if signing.verifying_key().as_bytes()[..] != bytes[SK_KEY_AT + 32..SK_KEY_AT + 64] {
            return Err(not_key("its two halves do not belong together".into()));
        }
        Ok(SecretKey { signing, key_id })
    }

    /// minisign's key id (16 hex digits, as `minisign` prints it).
    pub fn key_id(&self) -> String {
        key_id_hex(&self.key_id)
    }

    /// Signs `data` as `minisign -S -t COMMENT` would, but deterministically: the text of
    /// a `.minisig` file.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> String {
        let prehash = Blake2b512::digest(data);
        let sig = self.signing.sign(&prehash).to_bytes();
        let mut first = Vec::with_capacity(74);
        first.extend_from_slice(b"ED");
        first.extend_from_slice(&self.key_id);
        first.extend_from_slice(&sig);
        let comment = one_line(trusted_comment);
        let mut global = sig.to_vec();
        global.extend_from_slice(comment.as_bytes());
        let global_sig = self.signing.sign(&global).to_bytes();
        format!(
            "untrusted comment: signature from dossier secret key {}\n{}\ntrusted comment: {comment}\n{}\n",
            self.key_id(),
            b64(&first),
            b64(&global_sig)
        )
    }
}

impl PublicKey {
    /// Reads a minisign public key file (`minisign.pub`, `dossier.pub`).
    pub fn from_file(path: &Path) -> Result<Self, SignatureError> {
        let text = read_small(path)?;
        Self::from_text(&text).map_err(|reason| SignatureError::NotAKey {
            path: path.to_path_buf(),
            what: "public",
            reason,
        })
    }

    /// Reads a public key file's text, or the bare base64 key line `minisign -P` takes.
    pub fn from_text(text: &str) -> Result<Self, String> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .ok_or("no key line")?;
        let key = minisign::PublicKey::from_base64(line).map_err(|e| e.to_string())?;
        let raw = Base64::decode_to_vec(line, None).map_err(|e| e.to_string())?;
        let key_id = key_id_hex(raw.get(2..10).ok_or("short key")?);
        Ok(PublicKey { key, key_id })
    }
}

/// What checking a signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Made by the key given, over these bytes; the trusted comment it carries.
    Good {
        /// The signer's key id.
        key_id: String,
        /// The signed comment (unit, as-of date, pack hash).
        trusted_comment: String,
    },
    /// Signed by another key than the one given.
    OtherKey {
        /// The key id the signature names.
        key_id: String,
    },
    /// The signature does not match the bytes (or is not a signature at all).
    Mismatch {
        /// What failed.
        reason: String,
    },
}

/// The key id a signature names, when it can be read (to say who signed without a key).
pub fn signer_id(signature: &str) -> Option<String> {
    let line = signature.lines().nth(1)?.trim();
    let raw = Base64::decode_to_vec(line, None).ok()?;
    (raw.len() == 74).then(|| key_id_hex(&raw[2..10]))
}

/// Checks the text of a `.minisig` file over `data` with `key`, as `minisign -V` does
/// (legacy, non-prehashed signatures are refused like minisign's default).
pub fn check(key: &PublicKey, signature: &str, data: &[u8]) -> Check {
    let boxed = match minisign::SignatureBox::from_string(signature) {
        Ok(b) => b,
        Err(e) => {
            return Check::Mismatch {
                reason: format!("not a minisign signature ({e})"),
            };
        }
    };
    if let Some(id) = signer_id(signature)
        && id != key.key_id
    {
        return Check::OtherKey { key_id: id };
    }
    match minisign::verify(
        &key.key,
        &boxed,
        std::io::Cursor::new(data),
        true,
        false,
        false,
    ) {
        Ok(()) => Check::Good {
            key_id: key.key_id.clone(),
            trusted_comment: boxed.trusted_comment().unwrap_or_default(),
        },
        Err(e) => Check::Mismatch {
            reason: e.to_string(),
        },
    }
}

/// The two files `keygen` writes, as text.
pub struct KeyFiles {
    /// The secret key file (minisign's format; encrypted when a password was given).
    pub secret: String,
    /// The public key file, for inspectors.
    pub public: String,
    /// The new key's id.
    pub key_id: String,
}

/// Makes a new key pair; `signer` names who holds it in the files' (untrusted) comments.
pub fn generate(
    password: Option<String>,
    signer: Option<&str>,
) -> Result<KeyFiles, SignatureError> {
    let other = |e: minisign::PError| SignatureError::Other(e.to_string());
    let pair = match &password {
        Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p.clone())).map_err(other)?,
        None => minisign::KeyPair::generate_unencrypted_keypair().map_err(other)?,
    };
    let public = pair.pk.to_box().map_err(other)?.into_string();
    let key_id = public
        .lines()
        .nth(1)
        .and_then(|l| Base64::decode_to_vec(l.trim(), None).ok())
        .and_then(|raw| raw.get(2..10).map(key_id_hex))
        .unwrap_or_default();
    let who = signer.map(one_line).filter(|s| !s.is_empty());
    let sk_comment = match (&who, &password) {
        (Some(w), Some(_)) => format!("dossier encrypted secret key of {w}"),
        (Some(w), None) => format!("dossier secret key of {w} (no password)"),
        (None, Some(_)) => "dossier encrypted secret key".to_string(),
        (None, None) => "dossier secret key (no password)".to_string(),
    };
    let secret = pair
        .sk
        .to_box(Some(&sk_comment))
        .map_err(other)?
        .into_string();
    // The public file's comment names the signer for the inspector; the key line is
    // what counts.
    let public = match &who {
        Some(w) => {
            let key_line = public.lines().nth(1).unwrap_or_default();
            format!("untrusted comment: minisign public key {key_id} of {w}\n{key_line}\n")
        }
        None => public,
    };
    Ok(KeyFiles {
        secret,
        public,
        key_id,
    })
}

/// The password for a new key: from the environment, else asked twice at a terminal.
pub fn new_password() -> Option<String> {
    use std::io::IsTerminal;
    if let Ok(p) = std::env::var(PASSWORD_ENV)
        && !p.is_empty()
    {
        return Some(p);
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return None;
    }
    loop {
        let first = rpassword::prompt_password("password for the new key: ").ok()?;
        let again = rpassword::prompt_password("the same password again: ").ok()?;
        if first == again && !first.is_empty() {
            return Some(first);
        }
        eprintln!("the two differ or are empty; again");
    }
}

/// Writes a new file, refusing to replace one (`create_new`); `private` makes it readable
/// by its owner only.
pub fn write_new(path: &Path, text: &str, private: bool) -> Result<(), SignatureError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let werr = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            SignatureError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            SignatureError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let mut file = opts.open(path).map_err(werr)?;
    file.write_all(text.as_bytes()).map_err(werr)?;
    file.sync_all().map_err(werr)
}

/// Control characters (a line break above all) would end the signed comment early.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn key_id_hex(bytes: &[u8]) -> String {
    let mut le = [0u8; 8];
    le.copy_from_slice(&bytes[..8]);
    format!("{:016X}", u64::from_le_bytes(le))
}

fn b64(bytes: &[u8]) -> String {
    Base64::encode_to_string(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(password: Option<&str>) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let files = generate(password.map(str::to_string), Some("青溪镇\n安监办")).unwrap();
        let sk = dir.path().join("k.key");
        let pk = dir.path().join("k.pub");
        write_new(&sk, &files.secret, true).unwrap();
        write_new(&pk, &files.public, false).unwrap();
        (dir, sk, pk)
    }

    #[test]
    fn a_signature_checks_with_its_key_and_is_the_same_twice() {
        let (_dir, sk, pk) = pair(None);
        let key = SecretKey::from_file(&sk, &Password::FromEnvOrTerminal).unwrap();
        let public = PublicKey::from_file(&pk).unwrap();
        assert_eq!(key.key_id(), public.key_id);
        let sig = key.sign(b"abc  x\n", "unit: 青溪镇\nas_of: 2026-11-30");
        assert_eq!(
            sig,
            key.sign(b"abc  x\n", "unit: 青溪镇\nas_of: 2026-11-30")
        );
        assert_eq!(
            check(&public, &sig, b"abc  x\n"),
            Check::Good {
                key_id: public.key_id.clone(),
                trusted_comment: "unit: 青溪镇 as_of: 2026-11-30".into()
            }
        );
        assert!(matches!(
            check(&public, &sig, b"abd  x\n"),
            Check::Mismatch { .. }
        ));
        // A trusted comment rewritten breaks the global signature.
        let forged = sig.replace("青溪镇", "白石镇");
        assert!(matches!(
            check(&public, &forged, b"abc  x\n"),
            Check::Mismatch { .. }
        ));
        assert!(
            std::fs::read_to_string(&pk)
                .unwrap()
                .contains("of 青溪镇 安监办")
        );
    }

    #[test]
    fn another_key_is_named() {
        let (_d1, sk, _) = pair(None);
        let (_d2, _, pk2) = pair(None);
        let key = SecretKey::from_file(&sk, &Password::FromEnvOrTerminal).unwrap();
        let sig = key.sign(b"x", "c");
        let other = PublicKey::from_file(&pk2).unwrap();
        assert_eq!(
            check(&other, &sig, b"x"),
            Check::OtherKey {
                key_id: key.key_id()
            }
        );
    }

    #[test]
    fn a_password_protected_key_opens_with_its_password_only() {
        let (_dir, sk, pk) = pair(Some("秘密"));
        let wrong = SecretKey::from_file(&sk, &Password::Given("x".into())).unwrap_err();
        assert!(
            matches!(wrong, SignatureError::WrongPassword { .. }),
            "{wrong}"
        );
        let key = SecretKey::from_file(&sk, &Password::Given("秘密".into())).unwrap();
        let public = PublicKey::from_file(&pk).unwrap();
        assert!(matches!(
            check(&public, &key.sign(b"d", "c"), b"d"),
            Check::Good { .. }
        ));
    }

    #[test]
    fn keys_are_never_overwritten_and_junk_is_named() {
        let (dir, sk, _) = pair(None);
        let e = write_new(&sk, "x", true).unwrap_err();
        assert!(e.to_string().ends_with(
            "already exists; a key is never overwritten (move it away or choose another name)"
        ));
        let junk = dir.path().join("junk.key");
        std::fs::write(&junk, "hello\nworld\n").unwrap();
        let e = SecretKey::from_file(&junk, &Password::FromEnvOrTerminal).unwrap_err();
        assert!(e.to_string().contains("not a minisign secret key"), "{e}");
    }
}
