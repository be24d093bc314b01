//! Escaping cell text so that it is always data, never markup, in the Markdown the
//! templates produce (and so in the HTML and PDF made from that Markdown).

use std::io::Write;

/// Escapes text for Markdown: punctuation that could start emphasis, code, links, tables,
/// headings or HTML is backslash-escaped or written as an entity, and newlines become
/// `<br>` so that a multi-line cell stays inside its table cell.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut at_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `{` `}` too: heading attributes (`## x {onclick=…}`) must not come from a cell.
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '!' | '$' | '^' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => {
                out.push_str("<br>");
                at_start = true;
                continue;
            }
            // At the start of a value, these could open a list, a quote or a heading rule.
            '-' | '+' | '=' if at_start => {
                out.push('\\');
                out.push(c);
            }
            d if at_start && d.is_ascii_digit() => {
                // "1." or "1)" at the start would open an ordered list.
                out.push(d);
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_digit() {
                        out.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let mut ahead = chars.clone();
                if let Some(p) = ahead.next()
                    && (p == '.' || p == ')')
                    && ahead
                        .next()
                        .is_none_or(|n| n == ' ' || n == '\t' || n == '\n')
                {
                    out.push('\\');
                    out.push(p);
                    chars.next();
                }
            }
            _ => out.push(c),
        }
        at_start = false;
    }
    out
}

/// The escape function Tera calls for every `{{ … }}` in a Markdown template.
pub fn markdown_escape_fn(input: &str, output: &mut dyn Write) -> std::io::Result<()> {
    output.write_all(markdown(input).as_bytes())
}

/// Escapes text for HTML and XML (SVG, XMP, sheet XML) content and attribute values;
/// characters XML 1.0 cannot carry at all become U+FFFD, so the result always parses.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_cells_is_escaped() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("<script>"), "&lt;script&gt;");
        assert_eq!(markdown("[a](javascript:x)"), "\\[a\\](javascript:x)");
        assert_eq!(markdown("# 标题"), "\\# 标题");
        assert_eq!(markdown("1. 第一"), "1\\. 第一");
        assert_eq!(markdown("- x"), "\\- x");
        assert_eq!(markdown("一\n二"), "一<br>二");
        assert_eq!(markdown("2026-12-15"), "2026-12-15");
        assert_eq!(markdown("76.0"), "76.0");
        assert_eq!(markdown("办 {onclick=x}"), "办 \\{onclick=x\\}");
        assert_eq!(markdown("3."), "3\\.");
    }
}
