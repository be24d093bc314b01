//! `dossier check`: read and judge the inputs, print every diagnostic and the one-line
//! summary, for a person at a terminal or a CI job that reads the exit code.

use super::args::{GateArgs, InputArgs};
use super::common::{
    finish_gate, leave_to_exit, load_config, read_with, require_inputs, summary_line,
};
use super::error::CliError;
use crate::model::Severity;
use clap::ValueEnum;
use std::io::Write;

/// The flags of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,

    /// How to print the diagnostics.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,

    #[command(flatten)]
    gate: GateArgs,
}

/// How `check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

/// Prints the diagnostics and the summary; exit 1 on an error diagnostic or a failed gate.
pub fn run(args: &CheckArgs) -> Result<i32, CliError> {
    let CheckArgs {
        input,
        format,
        gate,
    } = args;
    let format = *format;
    require_inputs(input)?;
    let gate = gate.gate();
    let config = load_config(input.config.as_deref())?;
    let unit = read_with(input, &config)?;
    let book = &unit.book;
    let analysis = unit.analyse();
    let said = Said::new(crate::messages::current())?;
    let mut out = std::io::stdout().lock();
    let text = match format {
        CheckFormat::Text => {
            let mut text = String::new();
            for d in &book.diagnostics {
                text.push_str(&said.line(d));
                text.push('\n');
            }
            text.push_str(&summary_line(book, &analysis));
            text.push('\n');
            if let Some(e) = &unit.evidence {
                text.push_str(&e.summary_line());
                text.push('\n');
            }
            text
        }
        CheckFormat::Json => {
            let words: Vec<(String, Option<String>)> =
                book.diagnostics.iter().map(|d| said.words(d)).collect();
            let diagnostics: Vec<_> = book
                .diagnostics
                .iter()
                .zip(&words)
                .map(|(d, (message, hint))| {
                    let mut json = d.to_json();
                    json.message = message.as_str();
                    json.hint = hint.as_deref();
                    json
                })
                .collect();
            let mut text =
                serde_json::to_string_pretty(&diagnostics).expect("diagnostics serialise");
            text.push('\n');
            text
        }
    };
    // A closed pipe (`dossier check … | head`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes());
    let has_errors = book
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    let failed = if gate.is_active() {
        let line = summary_line(book, &analysis);
        let report = unit.report(&analysis);
        let json = format == CheckFormat::Json;
        finish_gate(gate, input, &unit, &report, None, &line, json)?
    } else {
        false
    };
    let code = i32::from(has_errors || failed);
    leave_to_exit(analysis);
    leave_to_exit(unit);
    Ok(code)
}

/// Diagnostics in the user's language: the documents' words for each code (the built-in
/// labels of that language), the stable code unchanged; English as the library says it.
struct Said {
    labels: Option<crate::render::context::Labels>,
}

impl Said {
    fn new(lang: crate::render::Lang) -> Result<Said, CliError> {
        let labels = match lang {
            crate::render::Lang::En => None,
            other => Some(crate::render::labels(
                &crate::render::templates::Templates::default(),
                other,
            )?),
        };
        Ok(Said { labels })
    }

    /// The message and hint of `d`.
    fn words(&self, d: &crate::model::Diagnostic) -> (String, Option<String>) {
        match &self.labels {
            Some(labels) => crate::render::context::diagnostic_words(d, labels),
            None => (d.message.clone(), d.hint.clone()),
        }
    }

    /// `d` as one line: `FILE: SHEET!CELL: SEVERITY: MESSAGE; HINT`.
    fn line(&self, d: &crate::model::Diagnostic) -> String {
        let Some(labels) = &self.labels else {
            return d.to_string();
        };
        let (message, hint) = crate::render::context::diagnostic_words(d, labels);
        let severity = labels
            .get("severity")
            .and_then(|t| t.get(d.severity.to_string().as_str()))
            .and_then(|v| v.as_str())
            .map_or_else(|| d.severity.to_string(), str::to_string);
        let location = d.location.to_string();
        let mut line = format!(
            "{}: {severity}：{}",
            crate::model::visible(&location),
            crate::model::visible(&message)
        );
        if let Some(h) = hint {
            line.push('；');
            line.push_str(&crate::model::visible(&h));
        }
        line
    }
}
