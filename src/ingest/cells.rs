//! Readers for the typed cells of a measure row: deadlines, list cells, yes/no cells and
//! the evidence-in-hand cell. Pure functions over text, so each rule is tested alone.

use super::normalize::{clean, key};
use crate::model::EvidenceReady;
use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::sync::LazyLock;

/// How a deadline cell was read.
#[derive(Debug, Clone, PartialEq)]
pub enum Deadline {
    /// Blank: no deadline.
    None,
    /// A date.
    Date(NaiveDate),
    /// A date written without a year; the as-of year was used (worth a warning).
    DateWithoutYear(NaiveDate),
    /// Text without digits (长期坚持, ongoing): continuous, no deadline.
    Continuous,
    /// Text with digits that is not a date.
    Unreadable,
}

// The date patterns see text already in NFKC (full-width digits made ASCII), so `[0-9]`
// is every digit they can meet; Unicode's `\d` would cost a third of reading a small
// workbook in compiling the patterns alone.
static FULL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:t?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$")
        .expect("valid regex")
});
static CHINESE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:([0-9]{4})年)?([0-9]{1,2})月(?:([0-9]{1,2})[日号]|底|末)?$")
        .expect("valid regex")
});
static YEAR_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]{4})年(?:年底|底|末|年末)$").expect("valid regex"));

/// The words that say a measure has no deadline because it never ends (长期坚持,
/// 常态化…), in matching-key form. Reading takes any text without a digit as such a
/// word (the contract's rule); a merge, which must not turn 待定 or 下周 into "no
/// deadline" in the office's master, takes only these.
pub const CONTINUOUS_WORDS: [&str; 22] = [
    "长期坚持",
    "长期",
    "长期性",
    "长期有效",
    "长效",
    "长效推进",
    "持续",
    "持续推进",
    "持续开展",
    "持续性",
    "常态化",
    "常态化推进",
    "常态化开展",
    "常年",
    "全年",
    "每年",
    "定期",
    "ongoing",
    "continuous",
    "long-term",
    "longterm",
    "permanent",
];

/// Whether `text` is one of the [`CONTINUOUS_WORDS`] (after folding width, case, spaces
/// and Traditional forms), a trailing 。 or . aside.
pub fn is_continuous_word(text: &str) -> bool {
    let k = key(text);
    let k = k.trim_end_matches(['。', '.']);
    CONTINUOUS_WORDS.contains(&k)
}

/// Reads a deadline written as text; `as_of_year` fills in a missing year.
pub fn parse_deadline(text: &str, as_of_year: i32) -> Deadline {
    let k = key(text);
    if k.is_empty() {
        return Deadline::None;
    }
    if !k.chars().any(|c| c.is_ascii_digit()) {
        return Deadline::Continuous;
    }
    let k = k
        .strip_suffix("之前")
        .or_else(|| k.strip_suffix('前'))
        .unwrap_or(&k);
    let num = |s: &str| s.parse::<u32>().ok();
    if let Some(c) = FULL_DATE.captures(k) {
        let y = c[1].parse::<i32>().ok();
        return match (y, num(&c[2]), num(&c[3])) {
            (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d)
                .map(Deadline::Date)
                .unwrap_or(Deadline::Unreadable),
            _ => Deadline::Unreadable,
        };
    }
    if let Some(c) = YEAR_END.captures(k) {
        return c[1]
            .parse::<i32>()
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, 12, 31))
            .map(Deadline::Date)
            .unwrap_or(Deadline::Unreadable);
    }
    if let Some(c) = CHINESE_DATE.captures(k) {
        let year = c.get(1).and_then(|y| y.as_str().parse::<i32>().ok());
        let Some(month) = num(&c[2]) else {
            return Deadline::Unreadable;
        };
        let date = match c.get(3) {
            Some(d) => num(d.as_str())
                .and_then(|d| NaiveDate::from_ymd_opt(year.unwrap_or(as_of_year), month, d)),
            None => last_day_of_month(year.unwrap_or(as_of_year), month),
        };
        return match (date, year) {
            (Some(d), Some(_)) => Deadline::Date(d),
            (Some(d), None) => Deadline::DateWithoutYear(d),
            (None, _) => Deadline::Unreadable,
        };
    }
    Deadline::Unreadable
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    first_of_next.pred_opt().filter(|d| d.month() == month)
}

#[cfg(test)]
mod continuous_tests {
    use super::*;

    #[test]
    fn only_words_of_no_end_are_continuous_words() {
        for yes in [
            "长期坚持",
            "長期堅持",
            "常态化",
            "Ongoing",
            "long-term",
            "持续推进。",
            "Long-term",
        ] {
            assert!(is_continuous_word(yes), "{yes}");
        }
        for no in ["待定", "尽快完成", "下周", "明年3月", "", "2026-12-31"] {
            assert!(!is_continuous_word(no), "{no}");
        }
    }
}

// Raw cell text: ASCII and full-width digits.
static ITEM_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[0-9０-９]{1,3}\s*[.、．)）]|[(（]\s*[0-9０-９]{1,3}\s*[)）]|[①-⑳])\s*")
        .expect("valid regex")
});

/// Splits a list cell (owners, evidence…) into its items: item markers ("1." "（1）" "①")
/// dropped, split on newlines and on ；;、，, and each item NFKC-normalised and trimmed.
pub fn split_list(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    for line in text.split(['\n', '\r']) {
        let line = strip_marker(line);
        for part in line.split(['；', ';', '、', '，', ',']) {
            let part = strip_marker(part);
            let item = clean(&part);
            if !item.is_empty() {
                items.push(item);
            }
        }
    }
    items
}

/// The text without a leading item marker. Only text whose first visible character can
/// start one (any numeric character, a bracket, ①…⑳) is given to the regex: most items
/// are not.
fn strip_marker(text: &str) -> std::borrow::Cow<'_, str> {
    let first = text.trim_start().chars().next();
    let may_mark = first.is_some_and(|c| c.is_ascii_digit() || matches!(c, '(' | '（' | '①'..='⑳'));
    if may_mark {
        ITEM_MARKER.replace(text, "")
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Like [`split_list`], without repeating an item (an owner named twice counts once).
pub fn split_unique(text: &str) -> Vec<String> {
    let mut items = split_list(text);
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
    items
}

/// How a yes/no cell was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YesNo {
    Yes,
    No,
    /// Neither: read as no, worth a warning.
    Unclear,
}

/// Reads a yes/no cell (the `veto` column).
pub fn parse_yes_no(text: &str) -> YesNo {
    match key(text).as_str() {
        "是" | "有" | "y" | "yes" | "true" | "1" | "√" | "✓" => YesNo::Yes,
        "" | "否" | "无" | "n" | "no" | "false" | "0" => YesNo::No,
        _ => YesNo::Unclear,
    }
}

/// Reads the evidence-in-hand cell.
pub fn parse_evidence_ready(text: &str) -> EvidenceReady {
    match key(text).as_str() {
        "" => EvidenceReady::Unknown,
        "齐全" | "已备齐" | "全部" | "是" | "yes" | "√" | "✓" => EvidenceReady::All,
        "无" | "否" | "未准备" | "no" => EvidenceReady::Nothing,
        _ => EvidenceReady::Items(split_list(text)),
    }
}

/// The required evidence items not in hand. Unknown readiness misses nothing: nobody has
/// said, and a later evidence folder will decide.
pub fn missing_evidence(required: &[String], ready: &EvidenceReady) -> Vec<String> {
    match ready {
        EvidenceReady::Unknown | EvidenceReady::All => Vec::new(),
        EvidenceReady::Nothing => required.to_vec(),
        EvidenceReady::Items(have) => {
            let have: Vec<String> = have.iter().map(|h| key(h)).collect();
            required
                .iter()
                .filter(|r| {
                    let r = key(r);
                    !have
                        .iter()
                        .any(|h| *h == r || h.contains(r.as_str()) || r.contains(h.as_str()))
                })
                .cloned()
                .collect()
        }
    }
}

/// Formats a number cell as an id or text: 3.0 → "3", 3.2 → "3.2".
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_deadline_form_reads() {
        let p = |s| parse_deadline(s, 2026);
        assert_eq!(p("2026-12-31"), Deadline::Date(d(2026, 12, 31)));
        assert_eq!(p("2026/1/9"), Deadline::Date(d(2026, 1, 9)));
        assert_eq!(p("2026.12.31"), Deadline::Date(d(2026, 12, 31)));
        assert_eq!(p("2026年12月31日"), Deadline::Date(d(2026, 12, 31)));
        assert_eq!(p("2026年12月底"), Deadline::Date(d(2026, 12, 31)));
        assert_eq!(p("2027年2月底前"), Deadline::Date(d(2027, 2, 28)));
        assert_eq!(p("2026年12月"), Deadline::Date(d(2026, 12, 31)));
        assert_eq!(p("2026年底"), Deadline::Date(d(2026, 12, 31)));
        assert_eq!(p("2026年年底"), Deadline::Date(d(2026, 12, 31)));
        assert_eq!(p("2026年末之前"), Deadline::Date(d(2026, 12, 31)));
        assert_eq!(
            p("２０２６年１１月３０日前"),
            Deadline::Date(d(2026, 11, 30))
        );
        assert_eq!(p("12月底前"), Deadline::DateWithoutYear(d(2026, 12, 31)));
        assert_eq!(p("11月30日"), Deadline::DateWithoutYear(d(2026, 11, 30)));
        assert_eq!(p("长期坚持"), Deadline::Continuous);
        assert_eq!(p("ongoing"), Deadline::Continuous);
        assert_eq!(p(""), Deadline::None);
        assert_eq!(p("2026年13月"), Deadline::Unreadable);
        assert_eq!(p("第3季度"), Deadline::Unreadable);
        assert_eq!(p("2026-02-30"), Deadline::Unreadable);
    }

    #[test]
    fn list_cells_drop_markers_and_split() {
        assert_eq!(
            split_list("1.培训签到表\n2.宣传资料\n（3）整改台账"),
            vec!["培训签到表", "宣传资料", "整改台账"]
        );
        assert_eq!(
            split_list("① 会议纪要；②方案、通报,台账"),
            vec!["会议纪要", "方案", "通报", "台账"]
        );
        assert_eq!(split_unique("应急管理办 、应急管理办"), vec!["应急管理办"]);
    }

    #[test]
    fn yes_no_cells() {
        assert_eq!(parse_yes_no("是"), YesNo::Yes);
        assert_eq!(parse_yes_no("√"), YesNo::Yes);
        assert_eq!(parse_yes_no("無"), YesNo::No);
        assert_eq!(parse_yes_no(""), YesNo::No);
        assert_eq!(parse_yes_no("待定"), YesNo::Unclear);
    }

    #[test]
    fn evidence_in_hand_matches_by_containment() {
        let required = vec![
            "培训签到表".to_string(),
            "宣传资料".into(),
            "整改台账".into(),
        ];
        assert_eq!(
            missing_evidence(&required, &parse_evidence_ready("签到表、宣传资料")),
            vec!["整改台账"]
        );
        assert!(missing_evidence(&required, &parse_evidence_ready("齊全")).is_empty());
        assert_eq!(
            missing_evidence(&required, &parse_evidence_ready("未準備")).len(),
            3
        );
        assert!(missing_evidence(&required, &parse_evidence_ready("")).is_empty());
    }

    #[test]
    fn numbers_read_as_ids() {
        assert_eq!(number_text(3.0), "3");
        assert_eq!(number_text(3.2), "3.2");
    }
}
