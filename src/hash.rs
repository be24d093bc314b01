//! SHA-256 of files, read in fixed-size chunks: the evidence folder, the pack and
//! `verify` all hash files that may be gigabytes (videos), so nothing here ever holds a
//! whole file in memory.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// The chunk read at a time; memory per hash is this, whatever the file's size.
const CHUNK: usize = 256 * 1024;

/// Hashes everything a reader yields; returns (bytes read, lowercase hex digest).
pub fn sha256_reader(mut reader: impl Read) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex(&hasher.finalize())))
}

/// Hashes one file by streaming it; returns (bytes, lowercase hex digest).
pub fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    sha256_reader(std::fs::File::open(path)?)
}

/// Hashes bytes already in memory (generated documents).
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex, as `sha256sum` prints it.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_of_abc() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (n, h) = sha256_reader(&b"abc"[..]).unwrap();
        assert_eq!((n, h.as_str()), (3, sha256_bytes(b"abc").as_str()));
    }
}
