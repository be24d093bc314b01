//! Text normalisation shared by every matching rule: headers, statuses, evidence items and
//! owner names are all compared in one folded form, so that full-width, Traditional and
//! stray-space variants of the same word are one word.

use std::borrow::Cow;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The text in NFKC, borrowed when it already is (most cells are: the quick check
/// spares the decomposition and recomposition, a tenth of reading a large workbook).
fn nfkc(text: &str) -> Cow<'_, str> {
    // ASCII, the common CJK ideographs and 、。 are their own NFKC form: most cells are
    // nothing else, and this is cheaper than even the quick check's table lookups.
    let stable =
        |c: char| c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '、' || c == '。';
    if text.chars().all(stable) {
        return Cow::Borrowed(text);
    }
    match is_nfkc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfkc().collect()),
    }
}

/// NFKC and trimmed: the form in which cell text is kept and shown.
pub fn clean(text: &str) -> String {
    nfkc(text).trim().to_string()
}

/// The matching key: NFKC, whitespace removed, ASCII case folded, Traditional Chinese
/// folded to Simplified.
pub fn key(text: &str) -> String {
    let folded: String = nfkc(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if folded.is_ascii() {
        // Nothing to fold from Traditional.
        return folded;
    }
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
    fn text_already_in_nfkc_is_kept_and_other_text_is_normalised() {
        assert_eq!(clean("  已完成 "), "已完成");
        assert_eq!(clean("ＡＢＣ　１２３"), "ABC 123");
        assert_eq!(clean("㈠ ①"), "(一) 1");
        assert_eq!(key("Ｄｏｎｅ"), "done");
        assert_eq!(key("DONE now"), "donenow");
    }

    #[test]
    fn keys_fold_traditional_and_width() {
        assert_eq!(key("落實情況"), "落实情况");
        assert_eq!(key("Ｉｎ  Progress"), "inprogress");
    }
}
