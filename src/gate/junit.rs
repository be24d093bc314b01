//! JUnit XML, so that the test reports of GitLab, Jenkins and GitHub show a unit's gaps
//! like failing tests: a `<testsuite>` per unit, a `<testcase>` per measure (classname
//! the set, name the id and the start of the text), a `<failure>` per gap of severity
//! major or worse, `<skipped/>` for a measure that does not apply. A suite's `tests` is
//! the report's `summary.measures`, `failures` its `summary.gaps.critical +
//! summary.gaps.major` (measures whose worst gap is major or worse) and `skipped` its
//! `summary.by_status.not_applicable`. Pure text, with no clock in it: the only
//! timestamp is the as-of date and every `time` is 0, so a run's file is the same every
//! time. Cells are data, never markup: everything is escaped, and characters XML cannot
//! hold at all become U+FFFD.

use super::{gap_detail, gap_location, measure_name};
use crate::analysis::Severity;
use crate::model::StatusClass;
use crate::report::Report;

/// How many characters of a measure's text a test case's name keeps.
const NAME_CHARS: usize = 24;

/// One unit's `<testsuite>` element, made when the unit is judged and kept (small) until
/// the file is written, with the counts the `<testsuites>` element sums.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// The unit's name, by which suites are ordered.
    pub name: String,
    /// Test cases: the unit's measures (1 for a unit that could not be built).
    pub tests: usize,
    /// Test cases with a failure: measures whose worst gap is major or worse.
    pub failures: usize,
    /// Test cases in error: 1 for a unit that could not be built, else 0.
    pub errors: usize,
    /// Test cases skipped: measures that do not apply.
    pub skipped: usize,
    /// The element's text, indented by two spaces, ending in a newline.
    pub xml: String,
}

/// Escapes text for an XML attribute value or element content: the five markup
/// characters, line breaks and tabs (kept in attributes, which would otherwise fold them
/// into spaces), and characters XML 1.0 cannot carry at all, replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A measure's test case name: its id and the start of its text.
fn case_name(id: &str, text: &str) -> String {
    let text = text.trim();
    let mut short: String = text.chars().take(NAME_CHARS).collect();
    if text.chars().count() > NAME_CHARS {
        short.push('…');
    }
    if short.is_empty() {
        id.to_string()
    } else {
        format!("{id} {short}")
    }
}

/// The `<testsuite>` of one unit's report, named `unit`.
pub fn suite(unit: &str, report: &Report<'_>) -> Suite {
    let s = &report.summary;
    let mut body = String::new();
    body.push_str("    <properties>\n");
    let mut property = |name: &str, value: &str| {
        body.push_str(&format!(
            "      <property name=\"{}\" value=\"{}\"/>\n",
            escape(name),
            escape(value)
        ));
    };
    property("as_of", &report.as_of);
    property("score", &s.score.map_or(String::new(), |v| v.to_string()));
    property("grade", s.grade.unwrap_or(""));
    property("inputs", &report.inputs.join(", "));
    body.push_str("    </properties>\n");
    let mut failures = 0;
    let mut skipped = 0;
    for m in &report.measures {
        let name = case_name(m.id, m.measure);
        body.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
            escape(m.set),
            escape(&name)
        ));
        let serious: Vec<_> = m
            .gaps
            .iter()
            .filter(|g| g.severity <= Severity::Major)
            .collect();
        if m.status == StatusClass::NotApplicable {
            skipped += 1;
            let why = format!("not applicable: {:?}", m.status_text);
            body.push_str(&format!(
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape(&why)
            ));
            continue;
        }
        if serious.is_empty() {
            body.push_str("/>\n");
            continue;
        }
        failures += 1;
        body.push_str(">\n");
        for g in serious {
            let location = gap_location(m.source, g.kind);
            let detail = gap_detail(m, g.kind);
            let message = format!("{}: {detail} ({location})", g.severity.key());
            let mut text = format!(
                "{} {}\n{}: {}\nat {location}\nstatus: {} {:?}\n",
                measure_name(m),
                m.measure,
                g.kind.key(),
                detail,
                m.status.key(),
                m.status_text,
            );
            if let Some(d) = &m.deadline {
                text.push_str(&format!("deadline: {d}\n"));
            }
            if !m.owners.is_empty() {
                text.push_str(&format!("owners: {}\n", m.owners.join(", ")));
            }
            body.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                g.kind.key(),
                escape(&message),
                escape(&text)
            ));
        }
        body.push_str("    </testcase>\n");
    }
    let tests = report.measures.len();
    let xml = format!(
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\" timestamp=\"{}T00:00:00\">\n{body}  </testsuite>\n",
        escape(unit),
        escape(&report.as_of),
    );
    Suite {
        name: unit.to_string(),
        tests,
        failures,
        errors: 0,
        skipped,
        xml,
    }
}

/// The `<testsuite>` of a unit that could not be built: one test case in error, with
/// the one-line reason, so the report shows the unit rather than leaving it out.
pub fn failed_suite(unit: &str, reason: &str, as_of: &str) -> Suite {
    let xml = format!(
        "  <testsuite name=\"{u}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\" timestamp=\"{}T00:00:00\">\n    <testcase classname=\"dossier\" name=\"{u}\" time=\"0\">\n      <error type=\"unit_failed\" message=\"{r}\">{r}</error>\n    </testcase>\n  </testsuite>\n",
        escape(as_of),
        u = escape(unit),
        r = escape(reason),
    );
    Suite {
        name: unit.to_string(),
        tests: 1,
        failures: 0,
        errors: 1,
        skipped: 0,
        xml,
    }
}

/// The whole file: `<testsuites>` with the sums of its suites, the suites in the order
/// given.
pub fn document(suites: &[Suite]) -> String {
    let sum = |f: fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dossier\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">\n",
        sum(|s| s.tests),
        sum(|s| s.failures),
        sum(|s| s.errors),
        sum(|s| s.skipped),
    );
    for s in suites {
        out.push_str(&s.xml);
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_cells_stays_text() {
        assert_eq!(
            escape("<a href=\"x\">&'\n\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#10;\u{FFFD}"
        );
    }

    #[test]
    fn names_keep_the_start_of_the_text() {
        assert_eq!(case_name("3", "短"), "3 短");
        assert_eq!(
            case_name("3", &"长".repeat(30)),
            format!("3 {}…", "长".repeat(24))
        );
        assert_eq!(case_name("3", " "), "3");
    }

    #[test]
    fn the_document_sums_its_suites() {
        let doc = document(&[failed_suite("b<", "cut \"short\"", "2026-12-15")]);
        assert!(
            doc.contains("<testsuites name=\"dossier\" tests=\"1\" failures=\"0\" errors=\"1\"")
        );
        assert!(doc.contains("name=\"b&lt;\""));
        assert!(doc.contains("message=\"cut &quot;short&quot;\""));
    }
}
