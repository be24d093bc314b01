//! Diagnostics: what is wrong in the inputs, each pinned to a file, sheet and cell so the
//! office can go straight to it.

use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is. Errors make `dossier check` fail; warnings and infos do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// A place in the inputs. Carries the numeric position as well as the A1 name, so that
/// diagnostics sort in reading order (row 9 before row 10) rather than by string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: String,
    pub sheet: Option<String>,
    /// 0-based (row, column) in the sheet's real coordinates, when a cell is meant.
    pub cell: Option<(u32, u32)>,
    /// Order of the file among the inputs and of the sheet in its workbook, for sorting.
    pub order: (usize, usize),
}

impl Location {
    /// The A1-style name of the cell, counted from the sheet's real A1.
    pub fn cell_name(&self) -> Option<String> {
        self.cell.map(|(r, c)| cell_name(r, c))
    }
}

/// Turns a 0-based (row, column) into an A1-style name: (13, 6) → "G14".
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8(letters).unwrap_or_default(),
        row + 1
    )
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match (&self.sheet, self.cell_name()) {
            (Some(sheet), Some(cell)) => write!(f, ": {sheet}!{cell}"),
            (Some(sheet), None) => write!(f, ": {sheet}"),
            (None, Some(cell)) => write!(f, ": {cell}"),
            (None, None) => Ok(()),
        }
    }
}

/// One problem found in the inputs, with a hint on how to fix it where one helps.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    /// The message in English, as the command line prints it.
    pub message: String,
    pub hint: Option<String>,
    /// A stable name of the problem (`unknown_status`), for machines and for the labels
    /// that say it in the documents' language; empty when it has none.
    pub code: &'static str,
    /// Which hint the labels should use (`unknown_status_near`); empty means `code`.
    pub hint_code: &'static str,
    /// The values the message names, by placeholder (`status` → "待定").
    pub args: Vec<(&'static str, String)>,
}

impl Diagnostic {
    /// A diagnostic with a message and no hint or code yet.
    pub fn new(severity: Severity, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            location,
            message: message.into(),
            hint: None,
            code: "",
            hint_code: "",
            args: Vec::new(),
        }
    }

    /// Names the problem and the values it mentions, so it can be said in any language.
    pub fn coded(mut self, code: &'static str, args: Vec<(&'static str, String)>) -> Self {
        self.set_code(code, args);
        self
    }

    /// In-place form of [`Diagnostic::coded`].
    pub fn set_code(&mut self, code: &'static str, args: Vec<(&'static str, String)>) -> &mut Self {
        self.code = code;
        self.args = args;
        self
    }

    /// Adds a hint, shown after the message.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sort key: errors first, then reading order (file, sheet, row, column).
    pub fn sort_key(&self) -> impl Ord + '_ {
        let l = &self.location;
        (self.severity, l.order, l.cell, &self.message)
    }
}

/// Sorts diagnostics the way they are printed: errors first, then by location.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.location.to_string();
        write!(
            f,
            "{}: {}: {}",
            visible(&location),
            self.severity,
            visible(&self.message)
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "; {}", visible(hint))?;
        }
        Ok(())
    }
}

/// Whether `c` reorders the text around it (the Unicode bidirectional controls): U+202E
/// makes `纪要\u{202e}fdp.exe` show as `纪要exe.pdf`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with control and bidirectional characters shown as escapes (`\n`, `\u{202e}`),
/// so a file name can neither break a one-line diagnostic nor disguise itself in one.
/// Only for text shown to people: the data itself (report.json) keeps them.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The JSON shape of a diagnostic in `report.json` and `check --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticJson<'a> {
    pub severity: Severity,
    /// Stable problem name (`unknown_status`, `duplicate_id`, …), or null.
    pub code: Option<&'a str>,
    pub file: &'a str,
    pub sheet: Option<&'a str>,
    pub cell: Option<String>,
    pub message: &'a str,
    pub hint: Option<&'a str>,
}

impl Diagnostic {
    /// The stable JSON view of this diagnostic.
    pub fn to_json(&self) -> DiagnosticJson<'_> {
        DiagnosticJson {
            severity: self.severity,
            code: (!self.code.is_empty()).then_some(self.code),
            file: &self.location.file,
            sheet: self.location.sheet.as_deref(),
            cell: self.location.cell_name(),
            message: &self.message,
            hint: self.hint.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names_count_from_a1() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(13, 6), "G14");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(9, 701), "ZZ10");
        assert_eq!(cell_name(0, 702), "AAA1");
    }
}

#[cfg(test)]
mod visible_tests {
    use super::visible;

    #[test]
    fn line_breaks_and_bidi_controls_are_shown_not_obeyed() {
        assert_eq!(visible("会议纪要.pdf"), "会议纪要.pdf");
        assert_eq!(visible("a\nb"), "a\\nb");
        assert_eq!(
            visible("会议纪要\u{202e}fdp.exe"),
            "会议纪要\\u{202e}fdp.exe"
        );
        assert_eq!(visible("x\u{7}"), "x\\u{0007}");
    }
}
