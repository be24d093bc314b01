//! What the official style (GB/T 9704-2012, 党政机关公文格式) adds to the layout besides its
//! grid: the heading numbers 一、（一）1.（1） (7.3.3) and the page numbers `— 1 —` at
//! the outer bottom corner (7.5).

use super::layout::{Draw, Face, PageSetup, grid};
use super::text::Metrics;

/// Chinese numerals as headings count: 一 … 十, 十一 … 九十九, then digits (no document
/// has a hundred sections, but a number must still be unambiguous).
pub fn chinese(n: u32) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let (tens, ones) = ((n / 10) as usize, (n % 10) as usize);
    let ones = if ones == 0 { "" } else { DIGITS[ones] };
    match n {
        0..=9 => DIGITS[n as usize].to_string(),
        10..=19 => format!("十{ones}"),
        20..=99 => format!("{}十{ones}", DIGITS[tens]),
        _ => n.to_string(),
    }
}

/// The number of the `n`-th heading of a Markdown level: `##` 一、, `###` （一）,
/// `####` 1., `#####` （1） (7.3.3: 文中结构层次序数依次可以用"一、""（一）""1.""（1）"标注).
pub fn number(level: u8, n: u32) -> String {
    match level {
        2 => format!("{}、", chinese(n)),
        3 => format!("（{}）", chinese(n)),
        4 => format!("{n}."),
        5 => format!("（{n}）"),
        _ => String::new(),
    }
}

/// Whether a heading carries its number already (a template that numbers its own
/// headings), or is an appendix (附录, 附件, 附表: in an official document the
/// attachments stand outside the numbered body): either way it gets no number.
pub fn has_number(text: &str) -> bool {
    const NUMERALS: &str = "〇零一二三四五六七八九十百";
    let numeral = |c: char| NUMERALS.contains(c);
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest: String = chars.collect();
    if ["附录", "附件", "附表", "Appendix", "Annex"]
        .iter()
        .any(|p| text.starts_with(p))
    {
        return true;
    }
    if numeral(first) {
        // 一、 二十三、
        let after = rest.trim_start_matches(numeral);
        return after.starts_with('、');
    }
    if first == '（' || first == '(' {
        // （一） （12） (3)
        let inner = rest.trim_start_matches(|c: char| numeral(c) || c.is_ascii_digit());
        return inner.len() < rest.len() && (inner.starts_with('）') || inner.starts_with(')'));
    }
    if first.is_ascii_digit() {
        // 1. 2、 3．
        let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        return after.starts_with(['.', '．', '、']);
    }
    if first == '第' {
        // 第一章 第3节
        let after = rest.trim_start_matches(|c: char| numeral(c) || c.is_ascii_digit());
        return after.len() < rest.len() && after.starts_with(['章', '节', '部', '篇', '条']);
    }
    false
}

/// The page number of page `page` (1-based): `— n —` in 4号 in the body face, its box
/// 7 mm below the body area, one character in from the body area's right edge on odd
/// pages and its left edge on even ones (7.5: 单页码居右空一字，双页码居左空一字).
pub fn page_number(page: usize, setup: &PageSetup, m: &dyn Metrics) -> [Draw; 2] {
    let size = grid::PAGE_NUMBER;
    let text = format!("— {page} —");
    let width = text.chars().map(|c| m.advance(c, false)).sum::<f32>() * size;
    // One character of the page number's size.
    let x = if page % 2 == 1 {
        setup.right() - size - width
    } else {
        setup.margin_x + size
    };
    let y = setup.bottom() + grid::PAGE_NUMBER_DROP + grid::EM_TOP * size;
    [
        Draw::Face {
            face: Face::Body,
            tracking: 0.0,
        },
        Draw::Text {
            x,
            y,
            size,
            bold: false,
            text,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_count_in_chinese_numerals_by_level() {
        assert_eq!(number(2, 1), "一、");
        assert_eq!(number(2, 10), "十、");
        assert_eq!(number(2, 12), "十二、");
        assert_eq!(number(2, 20), "二十、");
        assert_eq!(number(2, 35), "三十五、");
        assert_eq!(number(3, 4), "（四）");
        assert_eq!(number(4, 3), "3.");
        assert_eq!(number(5, 11), "（11）");
        assert_eq!(number(6, 1), "");
    }

    #[test]
    fn numbered_headings_and_appendices_are_not_numbered_again() {
        for text in [
            "一、总体情况",
            "十二、其他",
            "（三）较重",
            "(3) 一般",
            "（12）事项",
            "1. 问题",
            "2、问题",
            "第一章 总则",
            "附录：台账数据问题",
            "附件2",
        ] {
            assert!(has_number(text), "{text}");
        }
        for text in [
            "总体情况",
            "一般（18）",
            "2026年工作",
            "十分重要",
            "第三方评估",
            "（注）说明",
            "",
        ] {
            assert!(!has_number(text), "{text}");
        }
    }
}
