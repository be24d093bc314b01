/// Whether a sheet name must be quoted in an Excel formula.
fn needs_quotes(name: &str) -> bool {
    name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit())
        || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
        || crate::ingest::xlsx_extras::cell_ref(name).is_some()
}

fn sheet_ref(name: &str) -> String {
    if needs_quotes(name) {
        format!("'{}'!", name.replace('\'', "''"))
    } else {
        format!("{name}!")
    }
}

/// Whether quotes and parentheses outside strings balance: what calamine could not
/// decode leaves them open.
fn balanced(f: &str) -> bool {
    let (mut depth, mut in_string) = (0i64, false);
    for c in f.chars() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && !in_string
}

/// An `.xls` formula as calamine decodes it, in Excel's syntax with sheet names
/// quoted where Excel needs it; `None` when calamine could not decode it (a shared
/// formula, an unknown token, a sheet it could not name).
pub(super) fn from_xls(f: &str, sheets: &[String]) -> Option<String> {
    let f = f.trim().trim_start_matches('=');
    if f.is_empty() || f.starts_with("Unrecognised") || f.contains("#REF") || !balanced(f) {
        return None;
    }
    let mut out = f.to_string();
    for name in sheets.iter().filter(|n| needs_quotes(n)) {
        let raw = format!("{name}!");
        if !out.contains(&raw) {
            continue;
        }
        // Another sheet's name holding this one would be quoted wrongly.
        if sheets
            .iter()
            .any(|o| o != name && o.contains(name.as_str()))
        {
            return None;
        }
        out = out.replace(&raw, &sheet_ref(name));
    }
    Some(out)
}

/// An `.ods` formula (OpenFormula, `of:=SUM([.A1:.A3])`) in Excel's syntax, for the
/// plain ones: cell and range references, functions whose names are the same in
/// both, operators, numbers and strings. `None` for anything else (inline arrays,
/// the union and intersection operators, namespaced functions, references to
/// other files or to whole columns), which keeps its last value only.
pub(super) fn from_open_formula(f: &str) -> Option<String> {
    let body = f.strip_prefix("of:")?.strip_prefix('=')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                loop {
                    let c = chars.next()?;
                    out.push(c);
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            out.push(chars.next()?);
                        } else {
                            break;
                        }
                    }
                }
            }
            '[' => {
                let mut inner = String::new();
                loop {
                    match chars.next()? {
                        ']' => break,
                        '\'' => {
                            inner.push('\'');
                            loop {
                                let c = chars.next()?;
                                inner.push(c);
                                if c == '\'' {
                                    if chars.peek() == Some(&'\'') {
                                        inner.push(chars.next()?);
                                    } else {
                                        break;
                                    }
                                }
                            }
                        }
                        c => inner.push(c),
                    }
                }
                out.push_str(&reference(&inner)?);
            }
            ';' => out.push(','),
            '{' | '}' | '~' | '!' | ']' | '#' | '|' => return None,
            c if c.is_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '.' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                // A function (followed by its parenthesis) or a boolean; a bare
                // name is a named range, which the xlsx does not carry.
                let mut ahead = chars.clone();
                while ahead.peek().is_some_and(|c| c.is_whitespace()) {
                    ahead.next();
                }
                let call = ahead.peek() == Some(&'(');
                let boolean =
                    word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false");
                if word.contains('.') || !(call || boolean) {
                    return None;
                }
                out.push_str(&word);
            }
            c => out.push(c),
        }
    }
    (!out.trim().is_empty() && balanced(&out)).then_some(out)
}

/// The inside of an OpenFormula reference (`.A1`, `.A1:.B2`, `$Sheet1.$A$1`,
/// `$'My sheet'.A1:.B2`) in Excel's syntax.
fn reference(inner: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut sheet: Option<String> = None;
    for (i, part) in split_outside_quotes(inner, ':').into_iter().enumerate() {
        let (name, cell) = split_sheet(&part)?;
        if i == 0 {
            sheet = name;
        } else if name.is_some() && name != sheet {
            // A 3-D range across sheets.
            return None;
        }
        let bare = cell.replace('$', "");
        crate::ingest::xlsx_extras::cell_ref(&bare)?;
        parts.push(cell);
    }
    if parts.is_empty() || parts.len() > 2 {
        return None;
    }
    let prefix = sheet.map(|s| sheet_ref(&s)).unwrap_or_default();
    Some(format!("{prefix}{}", parts.join(":")))
}

/// `$Sheet1.$A$1` → (Some("Sheet1"), "$A$1"); `.A1` → (None, "A1").
fn split_sheet(part: &str) -> Option<(Option<String>, String)> {
    let part = part.trim();
    if let Some(cell) = part.strip_prefix('.') {
        return Some((None, cell.to_string()));
    }
    let name_part = part.strip_prefix('$').unwrap_or(part);
    if let Some(quoted) = name_part.strip_prefix('\'') {
        // 'name''s'.A1
        let mut name = String::new();
        let mut chars = quoted.chars().peekable();
        loop {
            let c = chars.next()?;
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    name.push('\'');
                } else {
                    break;
                }
            } else {
                name.push(c);
            }
        }
        let rest: String = chars.collect();
        let cell = rest.strip_prefix('.')?;
        return Some((Some(name), cell.to_string()));
    }
    let (name, cell) = name_part.rsplit_once('.')?;
    if name.is_empty() || name.contains('#') {
        return None;
    }
    Some((Some(name.to_string()), cell.to_string()))
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in text.chars() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}
