//! Any bytes as an evidence file of any kind (the first byte picks the extension): the
//! checks (PDF parse and repair, image headers, EXIF, zips, OLE2) report a problem or a
//! good file, never panic, abort or hang.
#![no_main]

use dossier::evidence::inspect::inspect;
use libfuzzer_sys::fuzz_target;

const EXTENSIONS: &[&str] = &[
    "pdf", "jpg", "png", "tif", "bmp", "heic", "docx", "xlsx", "doc", "odt", "ofd", "mp4", "zip",
    "txt",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ext = EXTENSIONS[usize::from(pick) % EXTENSIONS.len()];
    let Ok(dir) = tempfile::tempdir() else { return };
    let name = format!("2026-03-01 现场照片.{ext}");
    let path = dir.path().join(&name);
    if std::fs::write(&path, body).is_ok() {
        let _ = inspect(&path, &name, body.len() as u64);
    }
});
