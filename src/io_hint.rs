//! What to do about an I/O error, said after it. On Windows a file open in Excel, WPS or
//! a PDF viewer cannot be replaced or removed, and the system's own words ("The process
//! cannot access the file because it is being used by another process. (os error 32)")
//! do not say which program or what to do; an office worker needs to hear "close it and
//! try again". The rule is a pure function of the error's kind, its OS code and whether
//! the codes are Windows' ([`io_hint`]), so it is tested on every platform.

use std::io::ErrorKind;

/// Windows' `ERROR_SHARING_VIOLATION`: another program has the file open.
const SHARING_VIOLATION: i32 = 32;

/// Windows' `ERROR_LOCK_VIOLATION`: another program has locked part of the file.
const LOCK_VIOLATION: i32 = 33;

/// The hint for an I/O error of `kind` with OS code `raw`, when there is one worth
/// saying. `windows` says whether `raw` is a Windows code (`cfg!(windows)`): the same
/// numbers mean other things elsewhere (32 is a broken pipe on Linux).
pub fn io_hint(kind: ErrorKind, raw: Option<i32>, windows: bool) -> Option<&'static str> {
    if windows && matches!(raw, Some(SHARING_VIOLATION | LOCK_VIOLATION)) {
        return Some(
            "the file is held by another program: close it (Excel, WPS, a PDF viewer) and try again",
        );
    }
    if kind == ErrorKind::PermissionDenied {
        return Some("it may be open in another program, or read-only");
    }
    None
}

/// The hint for the first I/O error in `error`'s chain of sources (itself first), on
/// this platform.
pub fn hint_of(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut at = Some(error);
    while let Some(e) = at {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io_hint(io.kind(), io.raw_os_error(), cfg!(windows));
        }
        at = e.source();
    }
    None
}

/// `error` as one line, with its hint after it when it has one: how a failure is told
/// to the user (`dossier: …`, a unit that failed in a batch).
pub fn line(error: &(dyn std::error::Error + 'static)) -> String {
    match hint_of(error) {
        Some(hint) => format!("{error}; {hint}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn a_file_held_by_another_program_on_windows() {
        let held = "the file is held by another program: close it (Excel, WPS, a PDF viewer) and try again";
        for code in [32, 33] {
            assert_eq!(io_hint(ErrorKind::Other, Some(code), true), Some(held));
            // Elsewhere 32 is a broken pipe and 33 a domain error: no such hint.
            assert_eq!(io_hint(ErrorKind::BrokenPipe, Some(code), false), None);
        }
    }

    #[test]
    fn permission_denied_may_be_an_open_or_read_only_file() {
        let hint = Some("it may be open in another program, or read-only");
        // Windows' ERROR_ACCESS_DENIED (a file open in Excel), Linux's EACCES.
        assert_eq!(io_hint(ErrorKind::PermissionDenied, Some(5), true), hint);
        assert_eq!(io_hint(ErrorKind::PermissionDenied, Some(13), false), hint);
        assert_eq!(io_hint(ErrorKind::PermissionDenied, None, false), hint);
        assert_eq!(io_hint(ErrorKind::NotFound, Some(2), true), None);
        assert_eq!(io_hint(ErrorKind::StorageFull, None, false), None);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("out/x.zip: {source}")]
    struct Wrapped {
        source: io::Error,
    }

    #[test]
    fn the_hint_is_found_down_the_chain_and_said_after_the_line() {
        let denied = Wrapped {
            source: io::Error::from(ErrorKind::PermissionDenied),
        };
        assert_eq!(
            line(&denied),
            "out/x.zip: permission denied; it may be open in another program, or read-only"
        );
        let missing = Wrapped {
            source: io::Error::from(ErrorKind::NotFound),
        };
        assert_eq!(line(&missing), "out/x.zip: entity not found");
    }

    #[test]
    fn dossiers_own_errors_lead_to_their_io_error() {
        use crate::pack::archive::ArchiveError;
        let denied = || io::Error::from(ErrorKind::PermissionDenied);
        let hint = Some("it may be open in another program, or read-only");
        let config = crate::cli::CliError::Io {
            path: "dossier.toml".into(),
            error: denied(),
        };
        assert_eq!(hint_of(&config), hint);
        let zip =
            crate::cli::CliError::Output(crate::output::OutputError::Write(ArchiveError::Write {
                path: "out/x.zip".into(),
                source: denied(),
            }));
        assert_eq!(hint_of(&zip), hint);
        let input = crate::cli::CliError::Input(crate::ingest::FileError {
            file: "台账.xlsx".into(),
            error: crate::ingest::InputError::Io(denied()),
        });
        assert_eq!(hint_of(&input), hint);
        // A refused swap says what to do itself: no second hint.
        let swap = ArchiveError::Replace {
            target: "out/x".into(),
            entry: Some("gap-report.pdf".into()),
            error: denied(),
        };
        assert_eq!(hint_of(&swap), None);
    }
}
