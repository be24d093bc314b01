//! Text normalisation shared by every matching rule: headers, statuses, evidence items and
//! owner names are all compared in one folded form, so that full-width, Traditional and
//! stray-space variants of the same word are one word.

use unicode_normalization::UnicodeNormalization;

/// NFKC and trimmed: the form in which cell text is kept and shown.
pub fn clean(text: &str) -> String {
    text.nfkc().collect::<String>().trim().to_string()
}

/// The matching key: NFKC, whitespace removed, ASCII case folded, Traditional Chinese
/// folded to Simplified.
pub fn key(text: &str) -> String {
    let folded: String = text
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    fast2s::convert(&folded)
}

/// The header-cell key: like [`key`], but a trailing remark in brackets is dropped
/// ("完成时限（年月日）" → "完成时限") and `*` `:` `：` are removed.
pub fn header_key(text: &str) -> String {
    let mut k: String = key(text)
        .chars()
        .filter(|c| !matches!(c, '*' | ':' | '：'))
        .collect();
    // NFKC has already turned full-width brackets into ASCII ones.
    while let Some(last) = k.chars().last() {
        let open = match last {
            ')' => '(',
            ']' => '[',
            '】' => '【',
            '〕' => '〔',
            _ => break,
        };
        match k.rfind(open) {
            Some(pos) if pos > 0 => k.truncate(pos),
            _ => break,
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys_fold_remarks_and_variants() {
        assert_eq!(header_key("完成时限（年月日）"), "完成时限");
        assert_eq!(header_key(" 完成時限 "), "完成时限");
        assert_eq!(header_key("*措施内容："), "措施内容");
        assert_eq!(header_key("Due Date [yyyy-mm-dd]"), "duedate");
        assert_eq!(header_key("ＮＯ．"), "no.");
        assert_eq!(header_key("(备注)"), "(备注)");
    }

    #[test]
    fn keys_fold_traditional_and_width() {
        assert_eq!(key("落實情況"), "落实情况");
        assert_eq!(key("Ｉｎ  Progress"), "inprogress");
    }
}
