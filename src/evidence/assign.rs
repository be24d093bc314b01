//! Which measure and which required item each file of the folder belongs to: measure
//! folders inside set folders, files named by id in a set folder, files named by set and
//! id anywhere (the contract's three rules, first match wins). Pure: paths in, indexes out.

use super::names::{IdForm, drop_ordinal, id_key, is_separator, leading_ids, norm, set_norm};
use crate::model::Measure;
use std::collections::BTreeMap;

/// The measures and sets a folder is matched against, indexed once.
pub struct Matcher<'a> {
    measures: &'a [Measure],
    /// Normalised set name → (display name, (id key → first measure index)).
    sets: Vec<(String, Vec<(IdForm, usize)>)>,
    /// Normalised folder name → normalised set name, from the config.
    folders: BTreeMap<String, String>,
}

/// Where a file belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub measure: usize,
    /// The item text: folder names between the measure folder and the file, and the
    /// file stem (with its set and id prefix removed for rules 2 and 3).
    pub pieces: Vec<String>,
}

/// What follows a set name at the start of `name`, comparing as set names compare:
/// spaces inside the name do not count (`市 78 条-04` starts with 市78条).
fn strip_set_prefix<'n>(name: &'n str, key: &str) -> Option<&'n str> {
    let mut want = key.chars().peekable();
    let mut iter = name.char_indices();
    for (i, c) in iter.by_ref() {
        let Some(&w) = want.peek() else {
            return Some(&name[i..]);
        };
        if c == w {
            want.next();
            if want.peek().is_none() {
                return Some(&name[i + c.len_utf8()..]);
            }
        } else if !c.is_whitespace() {
            return None;
        }
    }
    None
}

fn stem(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s,
        _ => name,
    }
}

impl<'a> Matcher<'a> {
    /// Indexes the measures; `folders` maps folder names to set names (`[evidence.sets]`).
    pub fn new(measures: &'a [Measure], folders: &BTreeMap<String, String>) -> Matcher<'a> {
        let mut sets: Vec<(String, Vec<(IdForm, usize)>)> = Vec::new();
        for (i, m) in measures.iter().enumerate() {
            let key = set_norm(&m.set);
            let pos = match sets.iter().position(|(k, _)| *k == key) {
                Some(p) => p,
                None => {
                    sets.push((key, Vec::new()));
                    sets.len() - 1
                }
            };
            let id = id_key(&m.id);
            if !sets[pos].1.iter().any(|(k, _)| *k == id) {
                sets[pos].1.push((id, i));
            }
        }
        // Longest names first, so the longest contained set name wins.
        sets.sort_by(|a, b| {
            b.0.chars()
                .count()
                .cmp(&a.0.chars().count())
                .then(a.0.cmp(&b.0))
        });
        let folders = folders
            .iter()
            .map(|(f, s)| (set_norm(f), set_norm(s)))
            .collect();
        Matcher {
            measures,
            sets,
            folders,
        }
    }

    fn set_index(&self, key: &str) -> Option<usize> {
        self.sets.iter().position(|(k, _)| k == key)
    }

    /// The set a folder name makes it the folder of, if any.
    pub fn set_folder(&self, name: &str) -> Option<usize> {
        let whole = set_norm(name);
        let bare = set_norm(drop_ordinal(&norm(name)));
        for key in [&whole, &bare] {
            if let Some(set) = self.folders.get(key) {
                return self.set_index(set);
            }
        }
        if let Some(i) = self.set_index(&bare) {
            return Some(i);
        }
        // Sets are sorted longest first: the first contained one is the longest.
        self.sets
            .iter()
            .position(|(k, _)| !k.is_empty() && bare.contains(k.as_str()))
    }

    /// The measure of `set` a normalised name starts with an id form of, and the byte
    /// length of that form.
    fn measure_named(&self, set: usize, name: &str) -> Option<(usize, usize)> {
        leading_ids(name).into_iter().find_map(|(form, len)| {
            self.sets[set]
                .1
                .iter()
                .find(|(k, _)| *k == form)
                .map(|(_, i)| (*i, len))
        })
    }

    /// Assigns one file, given its path components (folders, then the file name).
    pub fn assign(&self, parts: &[String]) -> Option<Assignment> {
        let (file, folders) = parts.split_last()?;
        let mut set: Option<(usize, usize)> = None; // (set, depth of its folder)
        for (depth, folder) in folders.iter().enumerate() {
            let directly_inside = set.is_some_and(|(_, d)| d + 1 == depth);
            if let (true, Some((s, _))) = (directly_inside, set) {
                // Rule 1: a measure folder, or nothing (never another set folder).
                if let Some((measure, _)) = self.measure_named(s, &norm(folder)) {
                    let mut pieces: Vec<String> = folders[depth + 1..].to_vec();
                    pieces.push(stem(file).to_string());
                    return Some(Assignment { measure, pieces });
                }
                continue;
            }
            if let Some(s) = self.set_folder(folder) {
                set = Some((s, depth));
            }
        }
        let file_stem = norm(stem(file));
        // Rule 2: a file named by id directly inside a set folder.
        if let Some((s, d)) = set
            && d + 1 == folders.len()
            && let Some((measure, len)) = self.measure_named(s, &file_stem)
        {
            return Some(Assignment {
                measure,
                pieces: vec![file_stem[len..].to_string()],
            });
        }
        // Rule 3: a file named by set and id anywhere.
        for (s, (key, _)) in self.sets.iter().enumerate() {
            let Some(rest) = strip_set_prefix(&file_stem, key) else {
                continue;
            };
            let mut chars = rest.chars();
            let Some(sep) = chars.next() else { continue };
            if !is_separator(sep) {
                continue;
            }
            let after = chars.as_str();
            if let Some((measure, len)) = self.measure_named(s, after) {
                return Some(Assignment {
                    measure,
                    pieces: vec![after[len..].to_string()],
                });
            }
        }
        None
    }

    /// The measures being matched.
    pub fn measures(&self) -> &'a [Measure] {
        self.measures
    }
}
