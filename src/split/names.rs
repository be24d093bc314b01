//! File names of the department sheets. The office opens the folder on Windows and
//! mails the files on: a department called `安监/应急办` or `CON` must still get a file,
//! and two departments must never get the same one.

use crate::pack::names::{NameSet, safe_component};

/// The file stems of `departments` (in the order given, which must be deterministic:
/// the later of two colliding names gets the `-2`). Each is the name made safe for
/// Windows (forbidden characters replaced, reserved device names prefixed, trailing dots
/// and spaces dropped, cut to length) and distinct from the others case-insensitively,
/// as Windows compares names.
pub fn stems<'a>(departments: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = NameSet::new();
    departments
        .into_iter()
        .map(|name| {
            // Made safe with the extension on, so a name ending in dots or spaces keeps
            // them harmlessly inside, a device name is caught with its extension, and
            // the length cut leaves room for it.
            let name = name.trim().trim_end_matches(['.', ' ']);
            let name = if name.is_empty() { "_" } else { name };
            let safe = safe_component(&format!("{name}.xlsx"));
            let unique = taken.unique("", safe);
            unique
                .strip_suffix(".xlsx")
                .map(str::to_string)
                .unwrap_or(unique)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_on_windows_and_distinct() {
        let got = stems([
            "应急管理办",
            "安监/应急办",
            "安监:应急办",
            "CON",
            "con",
            "Nul.",
            "交通办 ",
            "...",
        ]);
        assert_eq!(
            got,
            [
                "应急管理办",
                "安监_应急办",
                "安监_应急办-2",
                "_CON",
                "_con-2",
                "_Nul",
                "交通办",
                "_",
            ]
        );
        let long = "很".repeat(200);
        let s = &stems([long.as_str()])[0];
        assert!(s.chars().count() + ".xlsx".len() <= crate::pack::names::MAX_CHARS);
    }
}
