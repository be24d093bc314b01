//! Status vocabulary: turns the free text of a status cell into a class and a credit.
//! Offices write "已完成。11月20日召开专题会议" or "completed - meeting held"; the longest
//! known term the text starts with decides.

use super::normalize::key;
use crate::model::{Status, StatusClass};

/// A status term and what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The term as written in the vocabulary (shown in hints).
    pub text: String,
    /// The matching key of the term (see [`key`]).
    key: String,
    /// Its length in characters, counted once (classification compares it per cell).
    chars: usize,
    /// The key's characters, split once for the nearest-term search.
    key_chars: Vec<char>,
    pub class: StatusClass,
    pub credit: Option<f64>,
}

/// The built-in vocabulary, as the spec lists it: (class, credit, terms).
#[rustfmt::skip]
const BUILT_IN: &[(StatusClass, Option<f64>, &[&str])] = &[
    (StatusClass::Done, Some(1.0), &["已完成", "已落实", "完成", "落实", "已整改", "已办结", "已销号", "全面落实", "done", "complete", "completed", "implemented", "yes", "√", "✓"]),
    (StatusClass::Ongoing, Some(1.0), &["持续推进", "长期坚持", "常态化", "常态化推进", "常态化开展", "ongoing", "continuous"]),
    (StatusClass::Partial, Some(0.5), &["部分落实", "部分完成", "推进中", "正在推进", "进行中", "整改中", "正在整改", "序时推进", "partial", "in progress", "partially"]),
    (StatusClass::Partial, Some(0.75), &["基本落实", "基本完成", "mostly done", "largely done"]),
    (StatusClass::NotStarted, Some(0.0), &["未落实", "未完成", "未启动", "未开展", "未整改", "滞后", "not started", "no", "×", "✗"]),
    (StatusClass::NotApplicable, None, &["不适用", "不涉及", "无此项", "n/a", "na", "not applicable", "/", "—"]),
];

/// The status vocabulary in force: the built-in terms plus any the project config adds.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    /// In the order added; a term replaced by a later one with the same key is left
    /// here emptied (its key blank), so adding stays linear in the terms a config holds.
    terms: Vec<Term>,
    /// Where each key's live term is in `terms`.
    index: std::collections::HashMap<String, usize>,
}

impl Default for Vocabulary {
    fn default() -> Self {
        let mut v = Vocabulary {
            terms: Vec::new(),
            index: std::collections::HashMap::new(),
        };
        for (class, credit, terms) in BUILT_IN {
            for t in *terms {
                v.push(t, *class, *credit);
            }
        }
        v
    }
}

/// The credit a class earns when a config term does not say otherwise.
pub fn default_credit(class: StatusClass) -> Option<f64> {
    match class {
        StatusClass::Done | StatusClass::Ongoing => Some(1.0),
        StatusClass::Partial => Some(0.5),
        StatusClass::NotStarted | StatusClass::Unknown => Some(0.0),
        StatusClass::NotApplicable => None,
    }
}

/// How a status cell was read.
#[derive(Debug, Clone, PartialEq)]
pub enum Classified {
    /// A term matched.
    Known(Status),
    /// The cell is blank.
    Blank(Status),
    /// Text that no term starts: `unknown`, with the nearest term as a suggestion.
    Unrecognised(Status, Option<String>),
}

impl Vocabulary {
    /// Adds a term (from the project config). A later term with the same key replaces
    /// the earlier one, so a config can re-class a built-in term.
    pub fn push(&mut self, text: &str, class: StatusClass, credit: Option<f64>) {
        let k = key(text);
        if k.is_empty() {
            return;
        }
        if let Some(&at) = self.index.get(&k) {
            // Emptied, never matched: a blank key has no characters to start a text.
            let old = &mut self.terms[at];
            old.key.clear();
            old.key_chars.clear();
            old.chars = 0;
        }
        self.index.insert(k.clone(), self.terms.len());
        self.terms.push(Term {
            text: text.to_string(),
            chars: k.chars().count(),
            key_chars: k.chars().collect(),
            key: k,
            class,
            credit,
        });
    }

    /// Classifies a status cell's text by the longest term it starts with.
    pub fn classify(&self, text: &str) -> Classified {
        let shown = super::normalize::clean(text);
        if shown.is_empty() {
            return Classified::Blank(unknown(shown));
        }
        let lowered: Vec<char> = shown.chars().map(|c| c.to_ascii_lowercase()).collect();
        let folded = key(&shown);
        let mut best: Option<&Term> = None;
        for term in &self.terms {
            if term.chars <= best.map_or(0, |b| b.chars) {
                continue;
            }
            if folded.starts_with(&term.key) && ends_at_boundary(&lowered, &term.key) {
                best = Some(term);
            }
        }
        match best {
            Some(t) => Classified::Known(Status {
                class: t.class,
                credit: t.credit,
                text: shown,
            }),
            None => {
                let nearest = self.nearest(&folded).map(|t| t.text.clone());
                Classified::Unrecognised(unknown(shown), nearest)
            }
        }
    }

    /// The term closest to an unrecognised text, if any is reasonably close.
    fn nearest(&self, folded: &str) -> Option<&Term> {
        let text: Vec<char> = folded.chars().collect();
        let mut rows = (Vec::new(), Vec::new());
        self.terms
            .iter()
            .filter(|t| !t.key.is_empty())
            .map(|t| {
                // Compare with the text's prefix of the term's length, since terms lead.
                let prefix = &text[..text.len().min(t.key_chars.len() + 1)];
                (levenshtein(prefix, &t.key_chars, &mut rows), t)
            })
            .filter(|(d, t)| *d * 2 <= t.chars.max(2))
            .min_by_key(|(d, _)| *d)
            .map(|(_, t)| t)
    }

    /// The first two terms of each class that has terms.
    fn examples_per_class(&self) -> Vec<(StatusClass, Vec<&str>)> {
        StatusClass::ALL
            .into_iter()
            .map(|class| {
                let terms = self
                    .terms
                    .iter()
                    .filter(|t| t.class == class && !t.key.is_empty())
                    .take(2)
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>();
                (class, terms)
            })
            .filter(|(_, terms)| !terms.is_empty())
            .collect()
    }

    /// One or two example terms per class, without the class names: "已完成、已落实、…".
    pub fn examples(&self) -> String {
        let terms: Vec<&str> = self
            .examples_per_class()
            .into_iter()
            .flat_map(|(_, t)| t)
            .collect();
        terms.join("、")
    }

    /// One or two example terms per class, for the "known statuses" hint.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .examples_per_class()
            .into_iter()
            .map(|(class, t)| format!("{} ({})", t.join("/"), class.key()))
            .collect();
        parts.join(", ")
    }
}

fn unknown(text: String) -> Status {
    Status {
        class: StatusClass::Unknown,
        credit: Some(0.0),
        text,
    }
}

/// True when the term, matched against the text with its spaces removed, ends where a
/// word ends in the original text: "none" does not start with the term "no", but
/// "done today" starts with "done".
fn ends_at_boundary(original: &[char], term_key: &str) -> bool {
    let Some(last) = term_key.chars().last() else {
        return true;
    };
    if !last.is_ascii_alphanumeric() {
        return true;
    }
    // Walk the original text, skipping whitespace, until the term's characters are used.
    let mut remaining = term_key.chars().count();
    let mut i = 0;
    while i < original.len() && remaining > 0 {
        if !original[i].is_whitespace() {
            remaining -= 1;
        }
        i += 1;
    }
    match original.get(i) {
        None => true,
        Some(c) => !c.is_ascii_alphanumeric(),
    }
}

/// The edit distance of `a` and `b`, in two rows of `rows` reused from call to call
/// (it runs against every term for each unrecognised status).
fn levenshtein(a: &[char], b: &[char], rows: &mut (Vec<usize>, Vec<usize>)) -> usize {
    let (prev, cur) = rows;
    prev.clear();
    prev.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        std::mem::swap(prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(text: &str) -> StatusClass {
        match Vocabulary::default().classify(text) {
            Classified::Known(s) | Classified::Blank(s) | Classified::Unrecognised(s, _) => s.class,
        }
    }

    #[test]
    fn longest_leading_term_decides() {
        assert_eq!(class_of("已完成。11月20日召开专题会议"), StatusClass::Done);
        assert_eq!(class_of("未完成"), StatusClass::NotStarted);
        assert_eq!(class_of("常态化开展"), StatusClass::Ongoing);
        assert_eq!(class_of("基本落实"), StatusClass::Partial);
        assert_eq!(class_of("部分落實"), StatusClass::Partial);
        assert_eq!(class_of("未啟動"), StatusClass::NotStarted);
        assert_eq!(class_of(" In  Progress "), StatusClass::Partial);
        assert_eq!(class_of("completed - meeting held"), StatusClass::Done);
        assert_eq!(class_of("N/A"), StatusClass::NotApplicable);
    }

    #[test]
    fn english_terms_end_at_a_word_boundary() {
        assert_eq!(class_of("none"), StatusClass::Unknown);
        assert_eq!(class_of("no"), StatusClass::NotStarted);
        assert_eq!(class_of("no progress yet"), StatusClass::NotStarted);
        assert_eq!(class_of("nah"), StatusClass::Unknown);
        assert_eq!(class_of("done today"), StatusClass::Done);
    }

    /// A config of 100,000 terms, each added twice: the later of two terms with one key
    /// wins and the earlier is never matched or shown, with adding linear in the terms
    /// (it was quadratic: 15 s for a check; issue 18, item 6).
    #[test]
    fn a_term_added_again_replaces_the_earlier_one() {
        let mut v = Vocabulary::default();
        for round in [StatusClass::NotStarted, StatusClass::Done] {
            for i in 0..100_000 {
                v.push(&format!("自定义{i}"), round, default_credit(round));
            }
        }
        v.push("已完成", StatusClass::Partial, Some(0.5));
        match v.classify("自定义99999") {
            Classified::Known(s) => assert_eq!(s.class, StatusClass::Done),
            other => panic!("{other:?}"),
        }
        match v.classify("已完成。验收") {
            Classified::Known(s) => assert_eq!(s.class, StatusClass::Partial),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            v.index.len(),
            v.terms.iter().filter(|t| !t.key.is_empty()).count()
        );
        assert!(
            !v.summary().contains("自定义0/自定义1 (not_started)"),
            "{}",
            v.summary()
        );
    }

    #[test]
    fn partial_credits_differ_by_term() {
        let v = Vocabulary::default();
        let Classified::Known(s) = v.classify("基本完成") else {
            panic!()
        };
        assert_eq!(s.credit, Some(0.75));
        let Classified::Known(s) = v.classify("推进中") else {
            panic!()
        };
        assert_eq!(s.credit, Some(0.5));
    }

    #[test]
    fn unknown_text_suggests_the_nearest_term() {
        let v = Vocabulary::default();
        match v.classify("已完城") {
            Classified::Unrecognised(s, Some(n)) => {
                assert_eq!(s.class, StatusClass::Unknown);
                assert_eq!(n, "已完成");
            }
            other => panic!("{other:?}"),
        }
    }
}
