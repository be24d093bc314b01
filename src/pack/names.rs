//! Names for everything written into a pack. The pack is opened on Windows (Explorer,
//! 7-Zip, WinRAR) by people who never saw the evidence folder, so every path component
//! must be one Windows can create, whatever the original file was called on a Mac or
//! Linux machine; and two files must never collapse into one name.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use unicode_normalization::UnicodeNormalization;

/// Longest component, in characters: long enough for a real title, short enough that
/// the deepest pack path stays under Windows' classic 260-character limit.
pub const MAX_CHARS: usize = 80;

/// An extension longer than this (dot included) is not one worth keeping when a name
/// is cut: it is most likely a sentence that happens to contain a dot.
const MAX_EXT_CHARS: usize = 20;

/// Turns one path component into a name every common file system and unzip tool
/// accepts, so the pack unpacks the same everywhere (the spec's "Names" rules).
pub fn safe_component(name: &str) -> String {
    let replaced: String = name
        .nfc()
        .map(|c| if is_forbidden(c) { '_' } else { c })
        .collect();
    let mut s = trim_trailing(&replaced).to_string();
    if is_device_name(&s) {
        s.insert(0, '_');
    }
    let (stem, ext) = split_ext(&s);
    let mut out = cut(stem, MAX_CHARS.saturating_sub(ext.chars().count()));
    out.push_str(ext);
    let out = trim_trailing(&out);
    if out.is_empty() {
        "_".to_string()
    } else {
        out.to_string()
    }
}

/// A default output name made from an input's stem (`out/<stem>`, `<stem>.zip`,
/// `<stem>-split`): the stem made safe as [`safe_component`] makes a name, cut so that
/// `suffix` (a fixed ending dossier adds, itself safe) still fits in the 80 characters,
/// then `suffix` added. A workbook `清溪:一.xlsx` copied from a Linux share, or `CON.csv`,
/// must not make a build fail on Windows with a raw OS error.
pub fn safe_stem_with(stem: &str, suffix: &str) -> String {
    let room = MAX_CHARS.saturating_sub(suffix.chars().count()).max(1);
    let head = cut(&safe_component(stem), room);
    let head = trim_trailing(&head);
    let head = if head.is_empty() { "_" } else { head };
    format!("{head}{suffix}")
}

/// Names that are not valid UTF-8 (old Linux archives, Windows-1252 or GBK bytes) still
/// have to land in the pack under some readable, safe name rather than abort it.
pub fn lossy_name(os: &OsStr) -> String {
    safe_component(&os.to_string_lossy().replace('\u{FFFD}', "_"))
}

/// The names already handed out, per folder: two evidence files can end up with the
/// same safe name (`a:b.pdf` and `a?b.pdf`, or `A.pdf` and `a.pdf` on a case-insensitive
/// Windows disk), and both must survive.
#[derive(Debug, Default, Clone)]
pub struct NameSet {
    taken: HashMap<String, HashSet<String>>,
}

impl NameSet {
    /// An empty set; one per pack, since it tracks every folder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves `name` in folder `dir`, or the first free `name-2`, `name-3`, … (before
    /// the extension, within the 80-character cut) when it is taken. Compared
    /// case-insensitively, as Windows compares names.
    pub fn unique(&mut self, dir: &str, name: String) -> String {
        let taken = self.taken.entry(fold(dir)).or_default();
        if taken.insert(fold(&name)) {
            return name;
        }
        let (stem, ext) = split_ext(&name);
        let mut n: u64 = 2;
        loop {
            let suffix = format!("-{n}");
            let room = MAX_CHARS.saturating_sub(ext.chars().count() + suffix.chars().count());
            let candidate = format!("{}{suffix}{ext}", cut(stem, room));
            if taken.insert(fold(&candidate)) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// Case folding close to Windows' own (which upper-cases with a fixed table).
fn fold(s: &str) -> String {
    crate::model::names::case_key(s)
}

/// Characters Windows refuses in a name, plus every control character (which breaks
/// terminals, manifests and some unzip tools).
fn is_forbidden(c: char) -> bool {
    crate::model::names::is_windows_forbidden(c) || crate::model::is_bidi_control(c)
}

/// Windows silently drops trailing dots and spaces, so a name ending in them would not
/// be the name written.
fn trim_trailing(s: &str) -> &str {
    s.trim_end_matches(['.', ' '])
}

/// Device names Windows opens as devices instead of files, with any extension
/// (`con.txt` is the console too); the one list is [`crate::model::names::device_name`].
fn is_device_name(name: &str) -> bool {
    crate::model::names::device_name(name).is_some()
}

/// Splits off the extension (last dot, not a leading one, not absurdly long) so cuts and
/// `-2` suffixes go before it and the file still opens with the right program.
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name[i..].chars().count() <= MAX_EXT_CHARS => name.split_at(i),
        _ => (name, ""),
    }
}

/// The first `max` characters (not bytes: Chinese names are 3 bytes a character).
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_forbidden_characters_become_underscores() {
        assert_eq!(safe_component("会议:纪要?.pdf"), "会议_纪要_.pdf");
        assert_eq!(safe_component(r#"a<b>c"d/e\f|g*h"#), "a_b_c_d_e_f_g_h");
        assert_eq!(safe_component("tab\there\nnl\u{7f}"), "tab_here_nl_");
    }

    #[test]
    fn device_names_get_a_prefix_with_or_without_extension() {
        assert_eq!(safe_component("CON"), "_CON");
        assert_eq!(safe_component("con.txt"), "_con.txt");
        assert_eq!(safe_component("Lpt9.tar.gz"), "_Lpt9.tar.gz");
        assert_eq!(safe_component("nul"), "_nul");
        assert_eq!(safe_component("com1"), "_com1");
        // Only the whole base name counts.
        assert_eq!(safe_component("CONTRACT.pdf"), "CONTRACT.pdf");
        assert_eq!(safe_component("com10.txt"), "com10.txt");
        assert_eq!(safe_component("my con.txt"), "my con.txt");
    }

    #[test]
    fn trailing_dots_and_spaces_are_dropped() {
        assert_eq!(safe_component("报告. . "), "报告");
        assert_eq!(safe_component("x.pdf..."), "x.pdf");
        assert_eq!(safe_component(" lead"), " lead");
        assert_eq!(safe_component("..."), "_");
        assert_eq!(safe_component(".."), "_");
        assert_eq!(safe_component(""), "_");
    }

    #[test]
    fn long_names_are_cut_to_80_characters_keeping_the_extension() {
        let long = format!("{}.pdf", "安".repeat(200));
        let s = safe_component(&long);
        assert_eq!(s.chars().count(), 80);
        assert!(s.ends_with(".pdf"));
        assert_eq!(s, format!("{}.pdf", "安".repeat(76)));
        // No extension: a plain cut.
        assert_eq!(safe_component(&"a".repeat(200)), "a".repeat(80));
        // A cut that would end in a dot or space drops it.
        let spacey = format!("{} {}", "a".repeat(79), "b".repeat(10));
        assert_eq!(safe_component(&spacey), "a".repeat(79));
    }

    #[test]
    fn default_output_names_are_safe_stems_with_their_suffix() {
        assert_eq!(safe_stem_with("清溪:一", ""), "清溪_一");
        assert_eq!(safe_stem_with("CON", ".zip"), "_CON.zip");
        assert_eq!(safe_stem_with("nul", "-split"), "_nul-split");
        assert_eq!(safe_stem_with("台账.", "-diff"), "台账-diff");
        assert_eq!(safe_stem_with("a?b", "-merged.xlsx"), "a_b-merged.xlsx");
        assert_eq!(safe_stem_with("qingxi-town", ""), "qingxi-town");
        let long = safe_stem_with(&"长".repeat(200), "-split");
        assert_eq!(long, format!("{}-split", "长".repeat(74)));
        assert_eq!(long.chars().count(), MAX_CHARS);
    }

    #[test]
    fn nfd_input_comes_out_nfc() {
        let nfd = "Cafe\u{301}.txt";
        assert_eq!(safe_component(nfd), "Caf\u{e9}.txt");
    }

    #[test]
    fn safe_component_is_idempotent() {
        for name in ["CON", "a:b", &"长".repeat(120), "x. ", "con.txt", "a.b.c"] {
            let once = safe_component(name);
            assert_eq!(safe_component(&once), once, "{name}");
        }
    }

    #[test]
    fn collisions_get_numbered_before_the_extension_case_insensitively() {
        let mut set = NameSet::new();
        assert_eq!(set.unique("材料/01", "a.pdf".into()), "a.pdf");
        assert_eq!(set.unique("材料/01", "A.PDF".into()), "A-2.PDF");
        assert_eq!(set.unique("材料/01", "a.pdf".into()), "a-3.pdf");
        assert_eq!(set.unique("材料/01", "readme".into()), "readme");
        assert_eq!(set.unique("材料/01", "README".into()), "README-2");
        // Another folder is another namespace.
        assert_eq!(set.unique("材料/02", "a.pdf".into()), "a.pdf");
        // Names from the same safe_component collide too.
        let x = safe_component("a:b.pdf");
        let y = safe_component("a?b.pdf");
        assert_eq!(set.unique("d", x), "a_b.pdf");
        assert_eq!(set.unique("d", y), "a_b-2.pdf");
    }

    #[test]
    fn collision_suffix_respects_the_cut() {
        let mut set = NameSet::new();
        let name = safe_component(&format!("{}.docx", "字".repeat(100)));
        assert_eq!(name.chars().count(), 80);
        assert_eq!(set.unique("", name.clone()), name);
        let second = set.unique("", name.clone());
        assert_eq!(second.chars().count(), 80);
        assert!(second.ends_with("-2.docx"), "{second}");
        for _ in 3..=11 {
            let next = set.unique("", name.clone());
            assert!(next.chars().count() <= 80);
        }
        assert!(set.unique("", name).ends_with("-12.docx"));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_become_safe_strings() {
        use std::os::unix::ffi::OsStrExt;
        let os = OsStr::from_bytes(b"caf\xe9:x.txt");
        assert_eq!(lossy_name(os), "caf__x.txt");
        assert_eq!(lossy_name(OsStr::new("con")), "_con");
    }
}
