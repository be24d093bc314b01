//! What a run under GitHub Actions adds, as text: workflow commands (`::error …`) that
//! annotate the run with each error diagnostic, and the Markdown appended to the step
//! summary (the league table, or the single unit's summary line, and the gate's verdict).
//! Escaped as GitHub's toolkit escapes: a command's message may not hold `%`, CR or LF
//! raw, and its properties (`file=`, `title=`) not `:` or `,` either.

use super::{one_line, place};
use crate::batch::summary::League;
use crate::model::Severity;
use crate::report::Report;

/// Escapes a workflow command's message: `%`, CR and LF.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value: as [`escape_data`], and `:` and `,`,
/// which would end the value.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` command per error diagnostic of a unit's report, in report order.
/// `path_of` turns a diagnostic's file name into the path GitHub should annotate
/// (relative to the repository), as only the caller knows where the inputs lie.
pub fn annotations(
    unit: &str,
    report: &Report<'_>,
    path_of: &dyn Fn(&str) -> String,
) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let title = format!(
                "dossier: {unit}: {}",
                place(d.file, d.sheet, d.cell.as_deref())
            );
            let mut message = d.message.to_string();
            if let Some(hint) = d.hint {
                message.push_str("; ");
                message.push_str(hint);
            }
            format!(
                "::error file={},title={}::{}",
                escape_property(&path_of(d.file)),
                escape_property(&title),
                escape_data(&message)
            )
        })
        .collect()
}

/// Text for a Markdown table cell or heading: on one line, with the characters that
/// would make markup (or HTML, which GitHub renders) escaped.
pub fn markdown(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The step summary of a single unit: its name, the one-line summary `check` and
/// `build` print, and the gate's last line when a gate was set.
pub fn unit_summary(unit: &str, summary_line: &str, gate: Option<&str>) -> String {
    let mut out = format!(
        "### dossier: {}\n\n{}\n",
        markdown(unit),
        markdown(summary_line)
    );
    if let Some(g) = gate {
        out.push_str(&format!("\n{}\n", markdown(g)));
    }
    out.push('\n');
    out
}

/// The step summary of a batch: the league table (rank, unit, score, grade, measures,
/// open, overdue, open veto items, evidence missing; failed units with their reason)
/// and the gate's last line when a gate was set.
pub fn league_summary(league: &League, gate: Option<&str>) -> String {
    let mut out = format!(
        "### dossier: league table, as of {}\n\n| # | Unit | Score | Grade | Measures | Open | Overdue | Veto open | Evidence missing |\n|---:|---|---:|---|---:|---:|---:|---:|---:|\n",
        markdown(&league.as_of)
    );
    let n = |v: Option<usize>| v.map_or("—".to_string(), |v| v.to_string());
    let mut rank = 0;
    for u in &league.units {
        if let Some(reason) = &u.failed {
            out.push_str(&format!(
                "| — | {} | failed: {} | | | | | | |\n",
                markdown(&u.name),
                markdown(reason)
            ));
            continue;
        }
        rank += 1;
        out.push_str(&format!(
            "| {rank} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            markdown(&u.name),
            u.score.map_or("—".to_string(), |s| format!("{s:.1}")),
            markdown(u.grade.as_deref().unwrap_or("—")),
            n(u.measures),
            n(u.open),
            n(u.overdue),
            n(u.veto_open),
            n(u.evidence_missing),
        ));
    }
    if let Some(g) = gate {
        out.push_str(&format!("\n{}\n", markdown(g)));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_escape_as_github_requires() {
        assert_eq!(escape_data("50%\r\nok: a,b"), "50%25%0D%0Aok: a,b");
        assert_eq!(
            escape_property("a.xlsx: 市78条!A1,2%"),
            "a.xlsx%3A 市78条!A1%2C2%25"
        );
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown("a|b\n<i>*x*"), "a\\|b &lt;i&gt;\\*x\\*");
    }
}
