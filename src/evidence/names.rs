//! How names in an evidence folder point at measures and items: set folders, id forms
//! (`第4条`, `第四条`, `(4)`, `04`), item names and their aliases. Pure functions over
//! text, so each rule of the contract is tested alone.

use unicode_normalization::UnicodeNormalization;

/// The contract's normal form: NFKC, Traditional folded to Simplified, Latin letters
/// lower-cased. Every comparison of names is made on this form on both sides.
pub fn norm(text: &str) -> String {
    let folded: String = text.nfkc().flat_map(char::to_lowercase).collect();
    fast2s::convert(&folded)
}

/// The normal form of a set name: [`norm`] with spaces removed, since offices write
/// `市 78 条` and `市78条` alike.
pub fn set_norm(text: &str) -> String {
    norm(text).chars().filter(|c| !c.is_whitespace()).collect()
}

/// The separators that may follow a bare id or a set name (`04-`, `04 `, `04_`, …), in
/// normal form (NFKC has already turned `．` into `.`).
pub fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '_' | '.' | '、') || c.is_whitespace()
}

/// A set folder's name with its leading ordinal dropped (`02 `, `一、`, `(二)`, `第一部分`).
pub fn drop_ordinal(name: &str) -> &str {
    let t = name.trim_start();
    // Digits followed by a space, `.`, `．` or `、`.
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        let rest = &t[digits..];
        for sep in [" ", ".", "．", "、", "\u{3000}"] {
            if let Some(r) = rest.strip_prefix(sep) {
                return r.trim_start();
            }
        }
    }
    // Chinese numerals followed by `、`.
    let numerals = t.len() - t.trim_start_matches(is_chinese_numeral).len();
    if numerals > 0
        && let Some(r) = t[numerals..].strip_prefix('、')
    {
        return r.trim_start();
    }
    // Anything in brackets.
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some(r) = t.strip_prefix(open)
            && let Some(end) = r.find(close)
        {
            return r[end + close.len_utf8()..].trim_start();
        }
    }
    // 第…部分.
    if let Some(r) = t.strip_prefix('第')
        && let Some(end) = r.find("部分")
        && end <= 12
    {
        return r[end + "部分".len()..].trim_start();
    }
    t
}

fn is_chinese_numeral(c: char) -> bool {
    matches!(
        c,
        '零' | '〇'
            | '一'
            | '二'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '两'
    )
}

/// Reads a Chinese numeral of one to one hundred and ninety-nine (`四`, `十二`, `七十二`,
/// `一百零三`, `一百一十二`); `None` for anything else.
pub fn chinese_number(text: &str) -> Option<u32> {
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let chars: Vec<char> = text.chars().collect();
    let (hundreds, rest) = match chars.iter().position(|&c| c == '百') {
        Some(p) => {
            let h = match p {
                0 => return None,
                1 => digit(chars[0])?,
                _ => return None,
            };
            (h, &chars[p + 1..])
        }
        None => (0, &chars[..]),
    };
    let below = match rest {
        [] => 0,
        ['十'] => 10,
        ['零', d] if hundreds > 0 => digit(*d)?,
        [d] if hundreds == 0 => digit(*d)?,
        ['十', d] => 10 + digit(*d)?,
        [t, '十'] => 10 * digit(*t)?,
        [t, '十', d] => 10 * digit(*t)? + digit(*d)?,
        _ => return None,
    };
    let n = hundreds * 100 + below;
    (n > 0 && n < 200).then_some(n)
}

/// What an id form at the start of a name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdForm {
    /// A whole number (`第4条`, `第四条`, `(4)`, `04`).
    Number(u32),
    /// A dotted id written as itself (`3.2`), in normal form.
    Dotted(String),
}

/// The length in bytes of a leading number `第N条`, `第<中文>条`, `(N)` form, with its value.
fn marked_form(name: &str) -> Option<(u32, usize)> {
    if let Some(r) = name.strip_prefix('第') {
        let end = r.find('条')?;
        let inner = &r[..end];
        let n = if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
            inner.parse::<u32>().ok()?
        } else {
            chinese_number(inner)?
        };
        return Some((n, '第'.len_utf8() + end + '条'.len_utf8()));
    }
    if let Some(r) = name.strip_prefix('(') {
        let end = r.find(')')?;
        let inner = &r[..end];
        if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        return Some((inner.parse().ok()?, 1 + end + 1));
    }
    None
}

/// True when `rest` (what follows a bare id) ends the name or starts with a separator;
/// a `.` followed by a digit is a decimal point, not a separator (`1.5米护栏`).
fn ends_bare(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        None => true,
        Some('.') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        Some(c) => is_separator(c),
    }
}

/// The id forms a normalised name (a folder name, or a file stem) starts with, with the
/// byte length of each form. A name may start with both a dotted and a whole-number
/// reading (`3.2 照片`); the caller tries them against the set's measures.
pub fn leading_ids(name: &str) -> Vec<(IdForm, usize)> {
    let mut out = Vec::new();
    if let Some((n, len)) = marked_form(name) {
        if !name[len..].starts_with(|c: char| c.is_ascii_digit()) {
            out.push((IdForm::Number(n), len));
        }
        return out;
    }
    // A dotted id: digits and dots, ending at the end or a separator.
    let dotted_len = name.len()
        - name
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
            .len();
    if dotted_len > 0 {
        let candidate = name[..dotted_len].trim_end_matches('.');
        if candidate.contains('.') && ends_bare(&name[candidate.len()..]) {
            out.push((IdForm::Dotted(candidate.to_string()), candidate.len()));
        }
    }
    let digits = name.len() - name.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0
        && ends_bare(&name[digits..])
        && let Ok(n) = name[..digits].parse::<u32>()
    {
        out.push((IdForm::Number(n), digits));
    }
    out
}

/// How a measure's id is matched by id forms: its number when it is a whole number,
/// else its normal form (dotted ids and anything else).
pub fn id_key(id: &str) -> IdForm {
    let n = norm(id);
    let t = n.trim();
    if !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit())
        && let Ok(v) = t.parse::<u32>()
    {
        return IdForm::Number(v);
    }
    if let Some((v, len)) = marked_form(t)
        && len == t.len()
    {
        return IdForm::Number(v);
    }
    if let Some(v) = chinese_number(t) {
        return IdForm::Number(v);
    }
    IdForm::Dotted(t.to_string())
}

/// The built-in aliases of required items (the contract's table).
pub const BUILT_IN_ALIASES: &[(&str, &[&str])] = &[
    (
        "现场照片",
        &["照片", "相片", "图片", "photo", "photos", "IMG", "DSC"],
    ),
    ("会议纪要", &["纪要", "会议记录"]),
    ("工作方案", &["方案", "实施方案"]),
    ("培训签到表", &["签到表", "签到"]),
    ("通报文件", &["通报"]),
    ("检查记录", &["检查表"]),
    ("责任书", &["责任状"]),
];

/// Picks the required item a file supports: the longest item name or alias (after
/// normalising) that occurs in any piece of its item text; a tie goes to the item listed
/// first. `aliases(item)` gives the extra words for an item (normalised).
pub fn match_item(
    items: &[String],
    aliases: &dyn Fn(&str) -> Vec<String>,
    pieces: &[String],
) -> Option<usize> {
    let pieces: Vec<String> = pieces.iter().map(|p| norm(p)).collect();
    let mut best: Option<(usize, usize)> = None; // (length, item index)
    for (i, item) in items.iter().enumerate() {
        let item_norm = norm(item);
        let mut words = vec![item_norm.clone()];
        words.extend(aliases(&item_norm));
        for w in words {
            let w = w.trim().to_string();
            if w.is_empty() || !pieces.iter().any(|p| p.contains(&w)) {
                continue;
            }
            let len = w.chars().count();
            if best.is_none_or(|(l, _)| len > l) {
                best = Some((len, i));
            }
        }
    }
    best.map(|(_, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(name: &str) -> Vec<IdForm> {
        leading_ids(&norm(name))
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn every_id_form_reads() {
        use IdForm::*;
        assert_eq!(ids("第4条 照片"), [Number(4)]);
        assert_eq!(ids("第04条"), [Number(4)]);
        assert_eq!(ids("第四条"), [Number(4)]);
        assert_eq!(ids("第七十二條"), [Number(72)]);
        assert_eq!(ids("第一百零三条"), [Number(103)]);
        assert_eq!(ids("第一百一十二条"), [Number(112)]);
        assert_eq!(ids("(15)"), [Number(15)]);
        assert_eq!(ids("（46）检查"), [Number(46)]);
        assert_eq!(ids("04-通报文件"), [Number(4)]);
        assert_eq!(ids("004"), [Number(4)]);
        assert_eq!(ids("19 特种设备"), [Number(19)]);
        assert_eq!(ids("33_现场照片"), [Number(33)]);
        assert_eq!(ids("3.2 照片"), [Dotted("3.2".into())]);
        assert_eq!(ids("3.照片"), [Number(3)]);
        assert_eq!(ids("12月检查记录"), []);
        assert_eq!(ids("1.5米护栏"), []);
        assert_eq!(ids("第4条5"), []);
        assert_eq!(ids("照片"), []);
    }

    #[test]
    fn chinese_numerals_up_to_199() {
        assert_eq!(chinese_number("九十九"), Some(99));
        assert_eq!(chinese_number("十"), Some(10));
        assert_eq!(chinese_number("十五"), Some(15));
        assert_eq!(chinese_number("一百"), Some(100));
        assert_eq!(chinese_number("一百九十九"), Some(199));
        assert_eq!(chinese_number("二百"), None);
        assert_eq!(chinese_number("零"), None);
    }

    #[test]
    fn ordinals_drop_from_set_folder_names() {
        assert_eq!(drop_ordinal("02 省65条"), "省65条");
        assert_eq!(drop_ordinal("一、国务院15条"), "国务院15条");
        assert_eq!(drop_ordinal("(二)市78条"), "市78条");
        assert_eq!(drop_ordinal("第三部分 市78条"), "市78条");
        assert_eq!(drop_ordinal("1.市78条"), "市78条");
        assert_eq!(drop_ordinal("2026年市78条佐证材料"), "2026年市78条佐证材料");
    }

    #[test]
    fn longest_item_or_alias_wins() {
        let items: Vec<String> = ["会议纪要", "现场照片", "工作方案"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let aliases = |item: &str| -> Vec<String> {
            BUILT_IN_ALIASES
                .iter()
                .filter(|(i, _)| norm(i) == item)
                .flat_map(|(_, a)| a.iter().map(|w| norm(w)))
                .collect()
        };
        let pick = |p: &[&str]| {
            let pieces: Vec<String> = p.iter().map(|s| s.to_string()).collect();
            match_item(&items, &aliases, &pieces)
        };
        assert_eq!(pick(&["照片", "IMG_1441"]), Some(1));
        assert_eq!(pick(&["dsc0001"]), Some(1));
        assert_eq!(pick(&["2026-05-01 会议记录"]), Some(0));
        assert_eq!(pick(&["实施方案"]), Some(2));
        assert_eq!(pick(&["情况说明"]), None);
    }
}
