//! What the program says to its user — errors, warnings, progress, gate and summary lines,
//! `--help` — in the user's language (zh-CN, zh-TW or en).
//!
//! The documents have their own labels (`templates/i18n/`) and their language is chosen by
//! `--lang` or the config alone, so the same inputs give the same files on every machine.
//! The program's messages follow the person at the keyboard: `--lang`, then
//! `DOSSIER_LANG`, then the system locale, and zh-CN when none says.
//!
//! The words live in two files beside this one, each entry in all three languages side by
//! side so a translator sees what changed: `messages.toml` (one table a message, by a
//! stable key) and `help.toml` (`--help` text, keyed by the English of the doc comments,
//! so a changed doc comment shows as an untranslated entry in a test, never as a stale
//! translation).

pub mod clap_text;
pub mod errors;
pub mod io;

use crate::render::Lang;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The language a tag names: `zh`, `zh-CN`, `zh_CN.UTF-8`, `zh-Hans`, `zh-SG` are
/// Simplified; `zh-TW`, `zh_HK.Big5`, `zh-Hant` Traditional; any other language English.
/// `C` and `POSIX` (a machine with no locale set) and empty say nothing.
pub fn lang_of_tag(tag: &str) -> Option<Lang> {
    // `zh_CN.UTF-8@euro` → `zh-cn`.
    let base = tag.split(['.', '@']).next().unwrap_or("").trim();
    let lower = base.replace('_', "-").to_ascii_lowercase();
    if lower.is_empty() || lower == "c" || lower == "posix" {
        return None;
    }
    let mut parts = lower.split('-');
    let language = parts.next().unwrap_or("");
    if language != "zh" {
        return Some(Lang::En);
    }
    for part in parts {
        match part {
            "hant" | "tw" | "hk" | "mo" => return Some(Lang::ZhTw),
            "hans" | "cn" | "sg" | "my" => return Some(Lang::ZhCn),
            _ => {}
        }
    }
    Some(Lang::ZhCn)
}

/// Where the language was found, in the order they are asked.
#[derive(Debug, Clone, Default)]
pub struct LangSources {
    /// `--lang` on the command line.
    pub flag: Option<String>,
    /// `DOSSIER_LANG`.
    pub env: Option<String>,
    /// The system locale: `LC_ALL`, `LC_MESSAGES`, `LANG` on Unix; the user locale on
    /// Windows.
    pub system: Vec<String>,
}

impl LangSources {
    /// The sources of this process: its arguments and environment.
    pub fn of_process(args: &[std::ffi::OsString]) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let system: Vec<String> = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|n| var(n))
            .collect();
        // Windows keeps the user's language in its settings, not in the environment.
        #[cfg(windows)]
        let system: Vec<String> = system.into_iter().chain(sys_locale::get_locale()).collect();
        LangSources {
            flag: flag_value(args),
            env: var("DOSSIER_LANG"),
            system,
        }
    }

    /// The language of the messages: the first source that names one, else zh-CN. A
    /// `--lang` of another language is skipped here (clap refuses it, in the language
    /// the other sources give).
    pub fn resolve(&self) -> Lang {
        let spoken = |t: &&String| {
            let language = t.split(['-', '_', '.']).next().unwrap_or("");
            language.eq_ignore_ascii_case("zh") || language.eq_ignore_ascii_case("en")
        };
        self.flag
            .iter()
            .filter(spoken)
            .chain(&self.env)
            .chain(&self.system)
            .find_map(|t| lang_of_tag(t))
            .unwrap_or_default()
    }
}

/// The value of `--lang` among the arguments (`--lang X` or `--lang=X`), read before clap
/// parses them so that clap's own help and errors come in that language. Arguments after
/// `--` are operands, not flags.
fn flag_value(args: &[std::ffi::OsString]) -> Option<String> {
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            return None;
        }
        if a == "--lang" {
            return it.next().map(|v| v.into_owned());
        }
        if let Some(v) = a.strip_prefix("--lang=") {
            return Some(v.to_string());
        }
    }
    None
}

/// The language of this run's messages, once found ([`set_current`]).
static CURRENT: OnceLock<Lang> = OnceLock::new();

/// Sets the language of this run's messages, once, at start; later calls are ignored.
pub fn set_current(lang: Lang) {
    let _ = CURRENT.set(lang);
}

/// The language of this run's messages: what [`set_current`] set, else English (the
/// library used on its own, as its tests do).
pub fn current() -> Lang {
    CURRENT.get().copied().unwrap_or(Lang::En)
}

/// One message in the three languages.
#[derive(Debug, serde::Deserialize)]
struct Entry {
    en: String,
    #[serde(rename = "zh-CN")]
    zh_cn: String,
    #[serde(rename = "zh-TW")]
    zh_tw: String,
}

impl Entry {
    fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh_cn,
            Lang::ZhTw => &self.zh_tw,
            Lang::En => &self.en,
        }
    }
}

/// The messages, by key; read once from the embedded file.
fn catalogue() -> &'static HashMap<String, Entry> {
    static CATALOGUE: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // The file is part of the program, and a test reads it: it parses.
        toml::from_str(include_str!("messages.toml")).expect("messages.toml parses")
    })
}

/// The message `key` in `lang` with each `{name}` replaced by its value. An unknown key
/// is shown as itself, which a test keeps from happening.
pub fn text(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let Some(entry) = catalogue().get(key) else {
        return key.to_string();
    };
    fill(entry.get(lang), args)
}

/// `template` with each `{name}` replaced by its value, in one pass: a value that holds
/// `{other}` is shown as it is, never filled again (the documents' own filler).
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let values: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, v.to_string())).collect();
    crate::render::context::fill(template, &values)
}

/// The keys of the catalogue, for tests that every message the program uses is there.
pub fn keys() -> impl Iterator<Item = &'static str> {
    catalogue().keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
        args.iter().map(Into::into).collect()
    }

    #[test]
    fn every_way_people_write_chinese_is_understood() {
        for tag in [
            "zh",
            "zh-CN",
            "zh_CN.UTF-8",
            "zh-Hans",
            "zh-Hans-CN",
            "zh_SG.GBK",
        ] {
            assert_eq!(lang_of_tag(tag), Some(Lang::ZhCn), "{tag}");
        }
        for tag in [
            "zh-TW",
            "zh_TW.Big5",
            "zh-Hant",
            "zh-Hant-TW",
            "zh_HK.UTF-8",
            "zh-MO",
        ] {
            assert_eq!(lang_of_tag(tag), Some(Lang::ZhTw), "{tag}");
        }
        for tag in ["en", "en_US.UTF-8", "en-GB", "fr_FR.UTF-8"] {
            assert_eq!(lang_of_tag(tag), Some(Lang::En), "{tag}");
        }
        for tag in ["", "C", "POSIX", "C.UTF-8"] {
            assert_eq!(lang_of_tag(tag), None, "{tag}");
        }
    }

    #[test]
    fn the_flag_then_the_variable_then_the_locale_then_simplified_chinese() {
        let mut s = LangSources {
            flag: Some("en".into()),
            env: Some("zh-TW".into()),
            system: vec!["zh_CN.UTF-8".into()],
        };
        assert_eq!(s.resolve(), Lang::En);
        s.flag = None;
        assert_eq!(s.resolve(), Lang::ZhTw);
        s.env = None;
        assert_eq!(s.resolve(), Lang::ZhCn);
        // LC_ALL=C says nothing; LANG then decides.
        s.system = vec!["C".into(), "en_US.UTF-8".into()];
        assert_eq!(s.resolve(), Lang::En);
        assert_eq!(LangSources::default().resolve(), Lang::ZhCn);
    }

    #[test]
    fn the_flag_is_found_before_clap_reads_the_arguments() {
        let v = |a: &[&str]| flag_value(&os(a));
        assert_eq!(
            v(&["dossier", "check", "--lang", "en", "x"]),
            Some("en".into())
        );
        assert_eq!(
            v(&["dossier", "--lang=zh-TW", "check"]),
            Some("zh-TW".into())
        );
        assert_eq!(v(&["dossier", "check", "--", "--lang", "en"]), None);
        assert_eq!(v(&["dossier", "check"]), None);
    }

    #[test]
    fn every_entry_has_all_three_languages_and_the_same_placeholders() {
        let names = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                .collect();
            v.sort();
            v
        };
        for (key, e) in catalogue() {
            for (lang, t) in [("zh-CN", &e.zh_cn), ("zh-TW", &e.zh_tw)] {
                assert!(!t.trim().is_empty(), "{key}: no {lang}");
                assert_eq!(names(t), names(&e.en), "{key}: {lang} placeholders");
            }
        }
    }

    #[test]
    fn a_value_is_never_filled_twice() {
        assert_eq!(fill("{a}, {b}", &[("a", "{b}"), ("b", "x")]), "{b}, x");
        assert_eq!(fill("{unknown} {a}", &[("a", "1")]), "{unknown} 1");
    }
}
