//! Dates of evidence files: from the file's own name first (`2026-10-20 会议纪要.pdf`,
//! `2026年10月`), else from what the file says inside. Pure functions over text.

use chrono::NaiveDate;

fn digits_at(chars: &[char], at: usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let mut n = 0;
    let mut v = 0u32;
    while n < max && at + n < chars.len() && chars[at + n].is_ascii_digit() {
        v = v * 10 + chars[at + n].to_digit(10)?;
        n += 1;
    }
    (n >= min).then_some((v, at + n))
}

fn free_end(chars: &[char], end: usize) -> bool {
    chars.get(end).is_none_or(|c| !c.is_ascii_digit())
}

/// Every date reading that starts at `at` (a digit not preceded by a digit), longest first.
fn dates_at(chars: &[char], at: usize) -> Option<NaiveDate> {
    let (year, after_year) = digits_at(chars, at, 4, 4)?;
    let date = |m: u32, d: u32| NaiveDate::from_ymd_opt(year as i32, m, d);
    // 2026-10-20, 2026.10.20, 2026_10_20: one separator used twice.
    if let Some(&sep) = chars.get(after_year)
        && matches!(sep, '-' | '.' | '_')
        && let Some((m, e1)) = digits_at(chars, after_year + 1, 1, 2)
        && chars.get(e1) == Some(&sep)
        && let Some((d, e2)) = digits_at(chars, e1 + 1, 1, 2)
        && free_end(chars, e2)
    {
        return date(m, d);
    }
    // 2026年10月20日, 2026年10月.
    if chars.get(after_year) == Some(&'年')
        && let Some((m, e1)) = digits_at(chars, after_year + 1, 1, 2)
        && chars.get(e1) == Some(&'月')
    {
        if let Some((d, e2)) = digits_at(chars, e1 + 1, 1, 2)
            && chars.get(e2) == Some(&'日')
            && let Some(found) = date(m, d)
        {
            return Some(found);
        }
        return date(m, 1);
    }
    // 20261020: exactly eight digits.
    if let Some((md, end)) = digits_at(chars, after_year, 4, 4)
        && free_end(chars, end)
    {
        return date(md / 100, md % 100);
    }
    None
}

/// The leftmost valid date written in a file name; the digits of a date may not touch
/// other digits, and impossible dates (2026-02-30) are no dates.
pub fn date_in_name(name: &str) -> Option<NaiveDate> {
    let chars: Vec<char> = name.chars().collect();
    (0..chars.len())
        .filter(|&i| chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()))
        .find_map(|i| dates_at(&chars, i).filter(|d| (1900..=2999).contains(&d.year_ce().1)))
}

use chrono::Datelike;

/// The calendar date of a PDF date string (`D:20261020083000+08'00'`), ignoring the time
/// and zone; month and day default to 1 as the PDF standard says.
pub fn pdf_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim().strip_prefix("D:").unwrap_or(text.trim());
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    let part = |from: usize, len: usize, default: u32| -> Option<u32> {
        match digits.get(from..from + len) {
            Some(s) => s.parse().ok(),
            None if digits.len() <= from => Some(default),
            None => None,
        }
    };
    let year = digits.get(0..4)?.parse::<i32>().ok()?;
    NaiveDate::from_ymd_opt(year, part(4, 2, 1)?, part(6, 2, 1)?)
}

/// The calendar date at the start of an ISO 8601 / EXIF date-time (`2026-10-20T08:30:00Z`,
/// `2026:10:20 08:30:00`), ignoring the time and zone.
pub fn iso_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let y = t.get(0..4)?.parse::<i32>().ok()?;
    let sep = t.get(4..5)?;
    if sep != "-" && sep != ":" {
        return None;
    }
    let m = t.get(5..7)?.parse::<u32>().ok()?;
    if t.get(7..8)? != sep {
        return None;
    }
    let d = t.get(8..10)?.parse::<u32>().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn every_name_date_form_reads() {
        assert_eq!(date_in_name("2026-10-20 会议纪要.pdf"), d(2026, 10, 20));
        assert_eq!(date_in_name("纪要2026.1.5.pdf"), d(2026, 1, 5));
        assert_eq!(date_in_name("x_2026_10_20_y"), d(2026, 10, 20));
        assert_eq!(date_in_name("IMG_20261020_1234.jpg"), d(2026, 10, 20));
        assert_eq!(date_in_name("2026年10月20日会议"), d(2026, 10, 20));
        assert_eq!(date_in_name("2026年3月通报"), d(2026, 3, 1));
        assert_eq!(date_in_name("2026-02-30 x 2026-03-01"), d(2026, 3, 1));
        assert_eq!(date_in_name("120261020"), None);
        assert_eq!(date_in_name("12月检查记录.pdf"), None);
        assert_eq!(date_in_name("2026-10-20-1"), d(2026, 10, 20));
        assert_eq!(date_in_name("no date"), None);
    }

    #[test]
    fn dates_inside_files_ignore_time_and_zone() {
        assert_eq!(pdf_date("D:20261020083000+08'00'"), d(2026, 10, 20));
        assert_eq!(pdf_date("D:2026"), d(2026, 1, 1));
        assert_eq!(pdf_date("garbage"), None);
        assert_eq!(iso_date("2026-10-20T23:30:00Z"), d(2026, 10, 20));
        assert_eq!(iso_date("2026:10:20 08:30:00"), d(2026, 10, 20));
    }
}
