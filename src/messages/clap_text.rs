//! clap's help and errors in the user's language.
//!
//! The flags are documented once, in English, by the commands' doc comments; `help.toml`
//! holds each of those texts in Chinese. [`localize`] swaps them into the clap command
//! before it parses, with clap's own words (`Usage:`, `Options`, `[default: …]`, the help
//! flag) from `messages.toml`. [`error_text`] says clap's parse errors — an unknown
//! command, a bad value — the same way, keeping clap's suggestion ("did you mean").

use super::{Entry, text};
use crate::render::Lang;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The help texts by their English, whitespace collapsed.
fn help_texts() -> &'static HashMap<String, Entry> {
    static HELP: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    HELP.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct File {
            help: Vec<Entry>,
        }
        // The file is part of the program, and a test reads it: it parses.
        let file: File = toml::from_str(include_str!("help.toml")).expect("help.toml parses");
        file.help
            .into_iter()
            .map(|e| (collapse(&e.en), e))
            .collect()
    })
}

/// `text` with every run of white space one space, trimmed: a doc comment's line breaks
/// are not part of what it says.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The help text `english` in `lang`, or `None` when `help.toml` lacks it.
pub fn translate(english: &str, lang: Lang) -> Option<String> {
    let entry = help_texts().get(&collapse(english))?;
    Some(entry.get(lang).trim_end().to_string())
}

/// Every help text of `cmd` and its subcommands, in English: what `help.toml` must hold.
pub fn english_texts(cmd: &Command) -> Vec<String> {
    let mut out = Vec::new();
    collect(cmd, &mut out);
    out
}

fn collect(cmd: &Command, out: &mut Vec<String>) {
    let texts = [
        cmd.get_about(),
        cmd.get_long_about(),
        cmd.get_before_help(),
        cmd.get_after_help(),
        cmd.get_after_long_help(),
    ];
    out.extend(
        texts
            .into_iter()
            .flatten()
            .map(|t| collapse(&t.to_string())),
    );
    for a in cmd.get_arguments() {
        out.extend(
            [a.get_help(), a.get_long_help()]
                .into_iter()
                .flatten()
                .map(|t| collapse(&t.to_string())),
        );
    }
    for s in cmd.get_subcommands() {
        collect(s, out);
    }
}

/// `cmd` and its subcommands with their help in `lang`. English is left as it is.
pub fn localize(cmd: Command, lang: Lang) -> Command {
    if lang == Lang::En {
        return cmd;
    }
    let root = cmd
        .disable_version_flag(true)
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(text(lang, "clap.version", &[]))
                .help_heading(text(lang, "clap.options", &[])),
        )
        .disable_help_subcommand(true);
    one(root, lang)
}

/// One command and, through it, its subcommands.
fn one(cmd: Command, lang: Lang) -> Command {
    let tr = |t: Option<&clap::builder::StyledStr>| {
        t.map(|t| translate(&t.to_string(), lang).unwrap_or_else(|| t.to_string()))
    };
    let about = tr(cmd.get_about());
    let long_about = tr(cmd.get_long_about());
    let before = tr(cmd.get_before_help());
    let after = tr(cmd.get_after_help());
    let after_long = tr(cmd.get_after_long_help());
    let options = text(lang, "clap.options", &[]);
    let arguments = text(lang, "clap.arguments", &[]);
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{}{{usage}}\n\n{{all-args}}{{after-help}}",
        text(lang, "clap.usage", &[])
    );
    let mut cmd = cmd;
    if let Some(t) = about {
        cmd = cmd.about(t);
    }
    if let Some(t) = long_about {
        cmd = cmd.long_about(t);
    }
    if let Some(t) = before {
        cmd = cmd.before_help(t);
    }
    if let Some(t) = after {
        cmd = cmd.after_help(t);
    }
    if let Some(t) = after_long {
        cmd = cmd.after_long_help(t);
    }
    let mut cmd = cmd
        .help_template(template)
        .subcommand_help_heading(text(lang, "clap.commands", &[]))
        .mut_args(|a| arg(a, lang, &options, &arguments))
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(text(lang, "clap.help", &[]))
                .help_heading(options.clone()),
        );
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |s| one(s, lang));
    }
    cmd
}

/// One flag's help in `lang`, with clap's `[default: …]` and `[possible values: …]`
/// said in `lang` too.
fn arg(a: Arg, lang: Lang, options: &str, arguments: &str) -> Arg {
    let tr = |t: Option<&clap::builder::StyledStr>| {
        t.map(|t| translate(&t.to_string(), lang).unwrap_or_else(|| t.to_string()))
    };
    let mut help = tr(a.get_help());
    let mut long = tr(a.get_long_help());
    let mut extra = String::new();
    if a.get_action().takes_values() {
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && !a.is_hide_default_value_set() {
            extra.push_str(&text(
                lang,
                "clap.default",
                &[("value", &defaults.join(","))],
            ));
        }
        let values: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if !values.is_empty() && !a.is_hide_possible_values_set() {
            extra.push_str(&text(
                lang,
                "clap.possible",
                &[("values", &values.join(lang_list_separator(lang)))],
            ));
        }
    }
    if !extra.is_empty() {
        let add = |t: Option<String>| Some(format!("{}{extra}", t.unwrap_or_default()));
        help = add(help);
        if long.is_some() {
            long = add(long);
        }
    }
    let heading = match a.get_help_heading() {
        Some(h) => translate(h, lang).unwrap_or_else(|| h.to_string()),
        None if a.is_positional() => arguments.to_string(),
        None => options.to_string(),
    };
    let mut a = a;
    if let Some(h) = help {
        a = a.help(h);
    }
    if let Some(h) = long {
        a = a.long_help(h);
    }
    a.hide_default_value(true)
        .hide_possible_values(true)
        .help_heading(heading)
}

fn lang_list_separator(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ", ",
        _ => "、",
    }
}

/// One context value of a clap error as text; many are joined by `sep`.
fn context(e: &clap::Error, kind: ContextKind, sep: &str) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) if !v.is_empty() => Some(v.join(sep)),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) if !v.is_empty() => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(sep),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A value a flag's parser refused, said in every language: what dossier's own value
/// parsers (dates, scores) return, so clap's error can be told in the user's.
#[derive(Debug, Clone)]
pub struct ValueError {
    /// The message's key in `messages.toml`.
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl ValueError {
    /// The refusal in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        text(lang, self.key, &args)
    }
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl std::error::Error for ValueError {}

/// What clap's error says, in `lang`, as the lines to print (without a final newline),
/// or `None` for help and version output and for English, which clap prints itself.
/// `help` is the command that tells more ([`help_command`]).
pub fn error_text(e: &clap::Error, lang: Lang, help: &str) -> Option<String> {
    if lang == Lang::En {
        return None;
    }
    let t = |key: &str, args: &[(&str, &str)]| text(lang, key, args);
    let sep = lang_list_separator(lang);
    let arg = context(e, ContextKind::InvalidArg, sep).unwrap_or_default();
    let value = context(e, ContextKind::InvalidValue, sep).unwrap_or_default();
    let mut line = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => return None,
        ErrorKind::InvalidSubcommand => {
            let name = context(e, ContextKind::InvalidSubcommand, sep).unwrap_or_default();
            t("clap.unknown_command", &[("name", &name)])
        }
        ErrorKind::UnknownArgument => t("clap.unknown_argument", &[("arg", &arg)]),
        ErrorKind::InvalidValue => {
            let values = context(e, ContextKind::ValidValue, sep).unwrap_or_default();
            if value.is_empty() {
                t("clap.empty_value", &[("arg", &arg)])
            } else {
                t(
                    "clap.invalid_value",
                    &[("arg", &arg), ("value", &value), ("values", &values)],
                )
            }
        }
        ErrorKind::ValueValidation => {
            let reason = std::error::Error::source(e)
                .map(|s| match s.downcast_ref::<ValueError>() {
                    Some(v) => v.text(lang),
                    None => s.to_string(),
                })
                .unwrap_or_default();
            t(
                "clap.value_validation",
                &[("arg", &arg), ("reason", &reason)],
            )
        }
        ErrorKind::MissingRequiredArgument => t("clap.missing_argument", &[("args", &arg)]),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            t("clap.missing_command", &[])
        }
        ErrorKind::ArgumentConflict => {
            let other = context(e, ContextKind::PriorArg, sep).unwrap_or_default();
            t("clap.conflict", &[("arg", &arg), ("other", &other)])
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            t("clap.value_count", &[("arg", &arg)])
        }
        ErrorKind::NoEquals => t("clap.no_equals", &[("arg", &arg)]),
        _ => return None,
    };
    let suggestion = context(e, ContextKind::SuggestedSubcommand, sep)
        .or_else(|| context(e, ContextKind::SuggestedArg, sep))
        .or_else(|| context(e, ContextKind::SuggestedValue, sep));
    if let Some(s) = suggestion {
        line.push_str(&t("clap.did_you_mean", &[("suggestion", &s)]));
    }
    let mut out = format!("dossier: {line}");
    if let Some(usage) = context(e, ContextKind::Usage, sep) {
        // clap's usage comes with its English title: the usage alone, under ours.
        let usage = usage.trim();
        let usage = usage.strip_prefix("Usage:").unwrap_or(usage).trim();
        out.push('\n');
        out.push_str(&t("clap.usage", &[]));
        out.push_str(usage);
    }
    out.push('\n');
    out.push_str(&t("clap.more", &[("help", help)]));
    Some(out)
}

/// The help command for what `args` were asking: `dossier build --help` when the first
/// argument names one of `cmd`'s subcommands, else `dossier --help`.
pub fn help_command(cmd: &Command, args: &[std::ffi::OsString]) -> String {
    let name = cmd.get_name();
    let sub = args
        .get(1)
        .map(|a| a.to_string_lossy())
        .filter(|a| cmd.find_subcommand(a.as_ref()).is_some());
    match sub {
        Some(s) => format!("{name} {s} --help"),
        None => format!("{name} --help"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command shaped like dossier's, with two of its help texts.
    fn toy() -> Command {
        Command::new("dossier").version("1.0").subcommand(
            Command::new("build")
                .about("Read and judge the inputs and write the documents into an output folder")
                .arg(
                    Arg::new("as_of")
                        .long("as-of")
                        .value_name("YYYY-MM-DD")
                        .help("The date every judgement of time is made against [default: the config's as_of, else today]"),
                )
                .arg(
                    Arg::new("format")
                        .long("format")
                        .value_parser(["json", "md", "pdf"])
                        .default_value("pdf"),
                ),
        )
    }

    #[test]
    fn help_comes_in_chinese_with_clap_words_too() {
        let mut cmd = localize(toy(), Lang::ZhCn);
        let help = cmd
            .find_subcommand_mut("build")
            .expect("build")
            .render_help()
            .to_string();
        assert!(
            help.starts_with("读取并评判输入，将各类文档写入输出文件夹\n"),
            "{help}"
        );
        assert!(help.contains("\n用法：build [OPTIONS]\n"), "{help}");
        assert!(help.contains("\n选项:\n"), "{help}");
        assert!(help.contains("统计截至日期"), "{help}");
        assert!(
            help.contains("［默认：pdf］［可选：json、md、pdf］"),
            "{help}"
        );
        assert!(
            help.contains("-h, --help") && help.contains("显示帮助"),
            "{help}"
        );
        assert!(!help.contains("Print help"), "{help}");
        // English stays clap's own.
        let english = localize(toy(), Lang::En)
            .find_subcommand_mut("build")
            .expect("build")
            .render_help()
            .to_string();
        assert!(english.contains("\nUsage: build [OPTIONS]\n"), "{english}");
    }

    #[test]
    fn clap_errors_are_said_in_the_language_with_the_suggestion() {
        let e = localize(toy(), Lang::ZhCn)
            .try_get_matches_from(["dossier", "bild"])
            .expect_err("no such command");
        let args: Vec<std::ffi::OsString> = vec!["dossier".into(), "bild".into()];
        let text = error_text(&e, Lang::ZhCn, &help_command(&toy(), &args)).expect("said");
        assert!(
            text.starts_with("dossier: 没有“bild”这个命令；是否应为“build”？\n用法："),
            "{text}"
        );
        assert!(text.ends_with("\n详见：dossier --help"), "{text}");
        let e = localize(toy(), Lang::ZhTw)
            .try_get_matches_from(["dossier", "build", "--format", "pdfx"])
            .expect_err("bad value");
        let args: Vec<std::ffi::OsString> = vec!["dossier".into(), "build".into()];
        let text = error_text(&e, Lang::ZhTw, &help_command(&toy(), &args)).expect("said");
        assert!(
            text.starts_with(
                "dossier: --format <format> 不接受「pdfx」；可用的值：json、md、pdf；是否應為「pdf」？"
            ),
            "{text}"
        );
        assert!(text.ends_with("\n詳見：dossier build --help"), "{text}");
        assert_eq!(error_text(&e, Lang::En, "dossier --help"), None);
    }
}
