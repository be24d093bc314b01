//! An operating system's refusal in the user's language. The system's own text comes in
//! its language (Windows says 拒绝访问 inside an English sentence); dossier says what the
//! kind of failure means and what to do, and keeps the system's code for support.

use super::text;
use crate::render::Lang;
use std::io::ErrorKind;
use std::path::Path;

/// What `error` means, in `lang`: a phrase for the kinds people meet (not found, no
/// permission, held by another program, disk full), else the system's text.
pub fn io_text(error: &std::io::Error, lang: Lang) -> String {
    let code = error.raw_os_error();
    // Windows: 32 sharing violation, 33 lock violation: another program has it open.
    let key = match (error.kind(), code) {
        (_, Some(32 | 33)) if cfg!(windows) => "io.locked",
        (ErrorKind::NotFound, _) => "io.not_found",
        (ErrorKind::PermissionDenied, _) => "io.permission",
        (ErrorKind::AlreadyExists, _) => "io.exists",
        (ErrorKind::StorageFull, _) => "io.full",
        (ErrorKind::IsADirectory, _) => "io.is_folder",
        (ErrorKind::NotADirectory, _) => "io.not_folder",
        (ErrorKind::ReadOnlyFilesystem, _) => "io.read_only",
        _ => return error.to_string(),
    };
    let phrase = text(lang, key, &[]);
    match code {
        Some(n) => format!("{phrase} (os error {n})"),
        None => phrase,
    }
}

/// The name in `path`'s folder nearest to its own, for "did you mean" when it is not
/// there: the closest by edit distance, if close enough to be a slip of the keyboard.
/// At most the first 10,000 names of the folder are looked at.
pub fn nearest_name(path: &Path) -> Option<String> {
    let wanted = path.file_name()?.to_string_lossy().to_lowercase();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut best: Option<(f64, String)> = None;
    for entry in std::fs::read_dir(dir).ok()?.take(10_000).flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let score = strsim::normalized_damerau_levenshtein(&wanted, &name.to_lowercase());
        if score >= 0.6
            && best
                .as_ref()
                .is_none_or(|(s, n)| score > *s || (score == *s && name < *n))
        {
            best = Some((score, name));
        }
    }
    best.map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_text_is_replaced_by_what_it_means() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_text(&e, Lang::ZhCn), "找不到该文件或文件夹 (os error 2)");
        assert_eq!(io_text(&e, Lang::En), "no such file or folder (os error 2)");
        let e = std::io::Error::new(ErrorKind::PermissionDenied, "denied");
        assert!(
            io_text(&e, Lang::ZhTw).starts_with("沒有權限"),
            "{}",
            io_text(&e, Lang::ZhTw)
        );
    }

    #[test]
    fn a_slip_of_the_keyboard_finds_the_file_and_a_stranger_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        for n in ["qingxi-town.xlsx", "huangjiang.xlsx", "README.md"] {
            std::fs::write(dir.path().join(n), "x").expect("write");
        }
        let near = |n: &str| nearest_name(&dir.path().join(n));
        assert_eq!(
            near("qingxi-townn.xlsx").as_deref(),
            Some("qingxi-town.xlsx")
        );
        assert_eq!(near("Qingxi-Town.xls").as_deref(), Some("qingxi-town.xlsx"));
        assert_eq!(near("budget-2027.csv"), None);
        assert_eq!(nearest_name(&dir.path().join("no-folder/x.xlsx")), None);
    }
}
