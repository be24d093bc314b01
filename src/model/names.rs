//! What makes a name one Windows can give a file or folder. A project set up on Linux is
//! built on the office's Windows PCs, and folders made on one are opened on the other;
//! Windows refuses some names (device names, some characters), silently changes others
//! (a trailing dot or space is dropped), and compares names without case, so units
//! `Qingxi` and `qingxi` would share one folder there. This is the one rule, applied on
//! every platform: a name the user typed is refused with [`windows_rule`]'s reason; a
//! name dossier derives from data is made safe by [`crate::pack::names::safe_component`],
//! which uses the same tests. No I/O.

use std::fmt;

/// Characters Windows does not allow in a file or folder name (control characters
/// neither).
pub const WINDOWS_FORBIDDEN: [char; 9] = ['<', '>', ':', '"', '/', '\\', '|', '?', '*'];

/// Why a name cannot be a file or folder name on Windows: said after the name in a
/// refusal, so the user knows what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowsRule {
    /// A device name (`CON`, `nul.txt`, `COM¹`): Windows opens the device, not a file.
    /// Holds the device's name in capitals.
    Device(String),
    /// A character Windows refuses in a name.
    Char(char),
    /// A trailing dot or space (the one found), which Windows drops: the name written
    /// would not be this one.
    Trailing(char),
}

impl fmt::Display for WindowsRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowsRule::Device(base) => write!(
                f,
                "{base} is a device name there (CON, PRN, AUX, NUL, COM0–COM9, COM¹–COM³, LPT0–LPT9, LPT¹–LPT³, with any extension)"
            ),
            WindowsRule::Char(c) => write!(
                f,
                "it holds {c:?} (no < > : \" / \\ | ? * or control characters)"
            ),
            WindowsRule::Trailing(c) => write!(
                f,
                "it ends in a {}, which Windows drops",
                if *c == '.' { "dot" } else { "space" }
            ),
        }
    }
}

/// Whether Windows refuses `c` in a file or folder name.
pub fn is_windows_forbidden(c: char) -> bool {
    WINDOWS_FORBIDDEN.contains(&c) || c.is_control()
}

/// The device `name` opens on Windows, if it is one: CON, PRN, AUX, NUL, COM0–COM9 and
/// LPT0–LPT9 (also with the superscript digits ¹ ² ³ Windows reserves too), in any case,
/// alone or with any extension (`con.txt`, `Lpt9.tar.gz`), spaces before the dot
/// ignored as Windows ignores them. Only the whole part before the first dot counts:
/// `CONTRACT.pdf` and `com10.txt` are files.
pub fn device_name(name: &str) -> Option<String> {
    let base = name.split('.').next().unwrap_or("");
    let base = base.trim_end_matches(' ').to_ascii_uppercase();
    let device = match base.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            let mut chars = base.chars();
            let prefix: String = chars.by_ref().take(3).collect();
            let rest: Vec<char> = chars.collect();
            (prefix == "COM" || prefix == "LPT")
                && rest.len() == 1
                && matches!(rest[0], '0'..='9' | '¹' | '²' | '³')
        }
    };
    device.then_some(base)
}

/// Why `name` cannot be a file or folder name on Windows, or `None` when it can: a
/// refused character first (the first one), then a device name, then a trailing dot or
/// space.
pub fn windows_rule(name: &str) -> Option<WindowsRule> {
    if let Some(c) = name.chars().find(|&c| is_windows_forbidden(c)) {
        return Some(WindowsRule::Char(c));
    }
    if let Some(device) = device_name(name) {
        return Some(WindowsRule::Device(device));
    }
    match name.chars().last() {
        Some(c @ ('.' | ' ')) => Some(WindowsRule::Trailing(c)),
        _ => None,
    }
}

/// A name as a case-insensitive file system compares it (Windows, and macOS by
/// default): two names with the same key are one file there.
pub fn case_key(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_with_or_without_extension_in_any_case() {
        for (name, device) in [
            ("CON", "CON"),
            ("nul.txt", "NUL"),
            ("Aux", "AUX"),
            ("prn.tar.gz", "PRN"),
            ("com1", "COM1"),
            ("LPT9.pdf", "LPT9"),
            ("COM¹", "COM¹"),
            ("lpt³.x", "LPT³"),
            ("CON .txt", "CON"),
        ] {
            assert_eq!(device_name(name).as_deref(), Some(device), "{name}");
            assert_eq!(
                windows_rule(name),
                Some(WindowsRule::Device(device.into())),
                "{name}"
            );
        }
        for name in [
            "CONTRACT.pdf",
            "com10.txt",
            "my con.txt",
            "清溪镇",
            "COM",
            "LPT¹²",
        ] {
            assert_eq!(device_name(name), None, "{name}");
        }
    }

    #[test]
    fn forbidden_characters_and_trailing_dots_and_spaces() {
        assert_eq!(windows_rule("a?b"), Some(WindowsRule::Char('?')));
        assert_eq!(windows_rule("清溪:一"), Some(WindowsRule::Char(':')));
        assert_eq!(windows_rule("a\tb"), Some(WindowsRule::Char('\t')));
        for c in WINDOWS_FORBIDDEN {
            assert_eq!(windows_rule(&format!("x{c}y")), Some(WindowsRule::Char(c)));
        }
        assert_eq!(windows_rule("清溪."), Some(WindowsRule::Trailing('.')));
        assert_eq!(windows_rule("清溪 "), Some(WindowsRule::Trailing(' ')));
        for ok in ["清溪镇", "Qingxi", "a.b", " lead", "东莞-清溪_1"] {
            assert_eq!(windows_rule(ok), None, "{ok}");
        }
    }

    #[test]
    fn rules_read_as_the_reason_in_a_refusal() {
        assert_eq!(
            WindowsRule::Char('?').to_string(),
            "it holds '?' (no < > : \" / \\ | ? * or control characters)"
        );
        assert_eq!(
            WindowsRule::Trailing(' ').to_string(),
            "it ends in a space, which Windows drops"
        );
        assert_eq!(
            WindowsRule::Device("NUL".into()).to_string(),
            "NUL is a device name there (CON, PRN, AUX, NUL, COM0–COM9, COM¹–COM³, LPT0–LPT9, LPT¹–LPT³, with any extension)"
        );
    }

    #[test]
    fn case_keys_fold_beyond_ascii() {
        assert_eq!(case_key("Qingxi"), case_key("qingxi"));
        assert_eq!(case_key("ÉCOLE"), case_key("école"));
        assert_ne!(case_key("清溪"), case_key("青溪"));
    }
}
