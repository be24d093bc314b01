//! The library's errors in the user's language.
//!
//! Every error of the library says itself in English through its `#[error("…")]`
//! template, and stays typed and testable that way. `errors.toml` holds each template
//! with its Chinese; [`translate`] finds the template an English message was made from,
//! takes the values back out of it, and fills them into the Chinese — values that are
//! themselves messages (a nested error) are translated the same way. A test reads every
//! `#[error]` template in `src/` and fails on one the catalogue lacks, so a new error
//! cannot ship in English alone.

use super::{Entry, io::io_text};
use crate::render::Lang;
use regex::Regex;
use std::sync::OnceLock;

/// One template: its English as a pattern, and the three languages.
struct Template {
    pattern: Regex,
    /// The placeholders' names in the English, in order (`""` for `{}`).
    names: Vec<String>,
    entry: Entry,
}

/// The placeholders of `template` in order, by name (`{path}` → `path`, `{}` → ``,
/// `{limit:.1}` → `limit`), and the literal text between them. `{{` and `}}` are
/// literal braces.
fn split(template: &str) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut literals = vec![String::new()];
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literals.last_mut().expect("one").push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literals.last_mut().expect("one").push('}');
            }
            '{' => {
                let mut inner = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    inner.push(d);
                }
                let name = inner.split(':').next().unwrap_or("").to_string();
                names.push(name);
                literals.push(String::new());
            }
            c => literals.last_mut().expect("one").push(c),
        }
    }
    (names, literals)
}

fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct File {
            error: Vec<Entry>,
        }
        // The file is part of the program, and a test reads it: it parses.
        let file: File = toml::from_str(include_str!("errors.toml")).expect("errors.toml parses");
        let mut out: Vec<(usize, Template)> = file
            .error
            .into_iter()
            .filter_map(|entry| {
                let (names, literals) = split(&entry.en);
                let literal_len: usize = literals.iter().map(|l| l.chars().count()).sum();
                // `{0}` alone says nothing of its own: its value is translated as it is.
                if literal_len == 0 {
                    return None;
                }
                let body: Vec<String> = literals.iter().map(|l| regex::escape(l)).collect();
                let pattern = format!("(?s)^{}$", body.join("(.+?)"));
                let pattern = Regex::new(&pattern).ok()?;
                Some((
                    literal_len,
                    Template {
                        pattern,
                        names,
                        entry,
                    },
                ))
            })
            .collect();
        // The most specific first: `{path}: {error}` matches nearly anything.
        out.sort_by_key(|t| std::cmp::Reverse(t.0));
        out.into_iter().map(|(_, t)| t).collect()
    })
}

/// `english`, a message the library made, in `lang`; as it is when no template made it.
pub fn translate(english: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return english.to_string();
    }
    translate_at(english, lang, 0)
}

fn translate_at(english: &str, lang: Lang, depth: usize) -> String {
    if depth > 6 || english.is_empty() {
        return english.to_string();
    }
    for t in templates() {
        let Some(caps) = t.pattern.captures(english) else {
            continue;
        };
        let values: Vec<String> = (1..caps.len())
            .map(|i| {
                let v = caps.get(i).map_or("", |m| m.as_str());
                translate_at(v, lang, depth + 1)
            })
            .collect();
        return fill_template(t.entry.get(lang), &t.names, &values);
    }
    // The system's words for a failure: say what it means instead.
    if let Some(code) = os_error_code(english) {
        return io_text(&std::io::Error::from_raw_os_error(code), lang);
    }
    english.to_string()
}

/// `N` of a message that is the text of an io::Error alone: `No such file or directory
/// (os error 2)`. A message that says more before it is left to its template.
fn os_error_code(text: &str) -> Option<i32> {
    let rest = text.strip_suffix(')')?;
    let at = rest.rfind("(os error ")?;
    if rest[..at].contains([':', '：']) {
        return None;
    }
    rest[at + "(os error ".len()..].parse().ok()
}

/// `target` with its placeholders filled: `{name}` by the English placeholder of that
/// name, `{}` by the next unnamed one in order.
fn fill_template(target: &str, names: &[String], values: &[String]) -> String {
    let (target_names, literals) = split(target);
    let mut out = String::new();
    let mut unnamed = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_empty())
        .map(|(i, _)| i);
    for (k, literal) in literals.iter().enumerate() {
        out.push_str(literal);
        let Some(name) = target_names.get(k) else {
            continue;
        };
        let index = if name.is_empty() {
            unnamed.next()
        } else {
            names.iter().position(|n| n == name)
        };
        if let Some(v) = index.and_then(|i| values.get(i)) {
            out.push_str(v);
        }
    }
    out
}

/// The English templates the catalogue holds, for the test that every `#[error]` of the
/// library is in it.
pub fn english_templates() -> Vec<String> {
    templates().iter().map(|t| t.entry.en.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first string literal after each `marker` (`#[error(`, `msg!(`) in `source`, as
    /// written in the source (escapes resolved, `\` line continuations joined);
    /// `transparent` skipped.
    fn templates_after(source: &str, marker: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            let head = rest.trim_start();
            if head.starts_with("transparent") {
                continue;
            }
            let Some(open) = rest.find('"') else { break };
            let mut s = String::new();
            let mut chars = rest[open + 1..].chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => s.push('\n'),
                        Some('"') => s.push('"'),
                        Some('\\') => s.push('\\'),
                        Some('\n') => {
                            // A line continuation: the next line's indent goes too.
                            let tail: String = chars.clone().collect();
                            let skipped = tail.len() - tail.trim_start().len();
                            for _ in 0..tail[..skipped].chars().count() {
                                chars.next();
                            }
                        }
                        Some(o) => s.push(o),
                        None => break,
                    },
                    c => s.push(c),
                }
            }
            out.push(s);
        }
        out
    }

    /// The Rust sources under `dir` but for those under `skip` (this module: its tests
    /// name the markers).
    fn sources(dir: &std::path::Path, skip: &std::path::Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("src readable")
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                sources(&p, skip, out);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.starts_with(skip) {
                let text = std::fs::read_to_string(&p).expect("source readable");
                out.push((p.display().to_string(), text));
            }
        }
    }

    #[test]
    fn every_error_of_the_library_is_in_the_catalogue() {
        let mut files = Vec::new();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        sources(&src, &src.join("messages"), &mut files);
        let found = |text: &str| {
            let mut t = templates_after(text, "#[error(");
            t.extend(templates_after(text, "msg!("));
            t
        };
        let known: std::collections::HashSet<String> = english_templates().into_iter().collect();
        let mut missing = Vec::new();
        for (path, text) in &files {
            for t in found(text) {
                // `{0}` alone says nothing of its own.
                let says_something = split(&t).1.iter().any(|l| !l.is_empty());
                if says_something && !known.contains(&t) {
                    missing.push(format!("{path}: {t:?}"));
                }
            }
        }
        if let Ok(dump) = std::env::var("DOSSIER_DUMP_MISSING") {
            let all: Vec<String> = files.iter().flat_map(|(_, t)| found(t)).collect();
            std::fs::write(dump, serde_json::to_string_pretty(&all).expect("json")).expect("dump");
        }
        assert!(
            missing.is_empty(),
            "{} #[error] and msg! templates have no entry in src/messages/errors.toml:\n{}",
            missing.len(),
            missing.join("\n")
        );
    }

    #[test]
    fn a_nested_message_is_translated_inside_its_parent() {
        assert_eq!(
            translate(
                "qingxi.xlsx: cannot read the file: No such file or directory (os error 2)",
                Lang::ZhCn
            ),
            "qingxi.xlsx：无法读取该文件：找不到该文件或文件夹 (os error 2)"
        );
        assert_eq!(
            translate(
                "a.xlsx: cannot read the file: it is a folder, not a regular file",
                Lang::ZhTw
            ),
            "a.xlsx：無法讀取該檔案：它是資料夾，不是一般檔案"
        );
        // What no template made stays as it is.
        assert_eq!(translate("未知", Lang::ZhCn), "未知");
    }

    #[test]
    fn unnamed_and_named_placeholders_are_filled_in_any_order() {
        let names = vec![String::new(), "source".to_string()];
        let values = vec!["a.zip".to_string(), "bad".to_string()];
        assert_eq!(
            fill_template("{source}（{}）", &names, &values),
            "bad（a.zip）"
        );
    }
}
