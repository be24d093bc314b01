//! The flag groups several commands share, and the value types their flags take:
//! written once here so every command's `--help` says the same about them.

use crate::pipeline::Format;
use crate::render::{self, Lang};
use chrono::NaiveDate;
use clap::ValueEnum;
use std::path::PathBuf;

/// Flags every command that reads inputs shares.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Measure workbooks: .xlsx .xlsm .xlsb .xls .ods .csv .tsv (read together). `build`
    /// without inputs builds the units the project config names.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// The date every judgement of time is made against [default: the config's as_of, else today].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,

    /// Project config with extra status terms and a default as-of date [default: ./dossier.toml if present].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The evidence folder (佐证材料): its files, not the workbook's word, decide which
    /// required items are in hand [default: the config's evidence].
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,

    /// The assessment period evidence files must be dated in [default: the config's
    /// period, else 1 January of the as-of year to the as-of date].
    #[arg(long, value_name = "FROM..TO")]
    pub period: Option<String>,
}

/// Flags of a project build (`build` without inputs: the units dossier.toml names).
#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// Build only these units of the project (by name; repeat or separate with commas).
    #[arg(long, value_name = "NAME", num_args = 1.., value_delimiter = ',')]
    pub only: Vec<String>,

    /// Units built at once [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Build shard K of N: a deterministic, balanced share of the units, for CI matrices;
    /// `dossier summary` then joins the shards' folders into one league table.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    #[command(flatten)]
    pub previous: PreviousArgs,
}

/// The previous run a league table compares with (project builds and `summary`).
#[derive(Debug, clap::Args)]
pub struct PreviousArgs {
    /// The previous run's output folder (its <unit>/report.json files; it may be this
    /// run's own): the league table then shows each unit's change since, as `dossier
    /// diff` counts it (score before, measures improved, regressed, done, newly overdue).
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
}

/// The CI gate's flags, shared by `check`, `build` and project builds (documented once
/// here, so every command says the same). Under GitHub Actions (GITHUB_ACTIONS=true)
/// error diagnostics also become workflow annotations, and the summary line (or the
/// league table) is appended to $GITHUB_STEP_SUMMARY when set.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "CI gate (docs/ci.md)")]
pub struct GateArgs {
    /// Exit 1 when a unit's score is under SCORE (0 to 100; a unit without a score fails
    /// too), after writing every output.
    #[arg(long, value_name = "SCORE", value_parser = parse_score)]
    pub fail_under: Option<f64>,

    /// Exit 1 on any of these in any unit, comma-separated: veto (an open veto item
    /// 一票否决), overdue (an open measure past its deadline), errors (an error
    /// diagnostic), evidence (required evidence missing). Each violation is one line on
    /// stderr: `dossier: gate: UNIT: RULE: SUBJECT: DETAIL (LOCATION)`.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "RULES")]
    pub fail_on: Vec<FailOn>,

    /// Write a JUnit XML report to FILE (replaced whole): a test suite per unit, a test
    /// case per measure, a failure per gap of severity major or worse.
    ///
    /// Under GitHub Actions (GITHUB_ACTIONS=true), with or without these flags, error
    /// diagnostics are also printed as ::error annotations, and the summary line (a
    /// project's league table) is appended to $GITHUB_STEP_SUMMARY when it is set.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// What `--fail-on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// An open veto item (一票否决).
    Veto,
    /// An open measure past its deadline.
    Overdue,
    /// An error diagnostic.
    Errors,
    /// Required evidence missing.
    Evidence,
}

impl GateArgs {
    /// The gate these flags set, with GitHub Actions as the environment says.
    pub fn gate(&self) -> crate::gate::run::Gate {
        use crate::gate::{Rule, Settings};
        let mut fail_on: Vec<Rule> = self
            .fail_on
            .iter()
            .map(|f| match f {
                FailOn::Veto => Rule::Veto,
                FailOn::Overdue => Rule::Overdue,
                FailOn::Errors => Rule::Errors,
                FailOn::Evidence => Rule::Evidence,
            })
            .collect();
        fail_on.sort();
        fail_on.dedup();
        let settings = Settings {
            fail_under: self.fail_under,
            fail_on,
        };
        crate::gate::run::Gate::new(
            settings,
            self.junit.clone(),
            crate::gate::run::Github::from_env(),
        )
    }
}

/// Reads `--fail-under`: a score from 0 to 100, refused by clap otherwise.
fn parse_score(text: &str) -> Result<f64, crate::messages::clap_text::ValueError> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(crate::messages::clap_text::ValueError {
            key: "value.score",
            args: vec![("value", text.to_string())],
        }),
    }
}

/// Flags that shape the documents.
#[derive(Debug, clap::Args)]
pub struct DocArgs {
    /// Language of the documents' labels: the global `--lang`, set by the dispatch.
    #[arg(skip)]
    pub lang: LangArg,

    /// The unit the documents are for [default: named by the sheet titles (清溪镇落实… → 清溪镇), else the first input's stem].
    #[arg(long, value_name = "NAME")]
    pub unit: Option<String>,

    /// A folder of templates laid over the built-in ones, file by file (see `dossier init`)
    /// [default: the config's templates].
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// PDF paper size.
    #[arg(long, value_enum, default_value_t = PaperArg::A4)]
    pub paper: PaperArg,

    /// PDF pages in landscape.
    #[arg(long)]
    pub landscape: bool,

    /// PDF font instead of the built-in Noto Sans CJK SC: a TTF or OTF, or a face of a TTC
    /// as PATH#INDEX (e.g. an office's FangSong). With --style official, also the gap
    /// report's body font (仿宋) instead of the built-in Noto Serif CJK SC.
    #[arg(long, value_name = "PATH[#INDEX]")]
    pub font: Option<String>,

    /// The bold face for titles, headings and table headers [default: the built-in font's
    /// bold; with --font, synthetic bold unless this gives one].
    #[arg(long, value_name = "PATH[#INDEX]")]
    pub font_bold: Option<String>,

    /// How the gap report's PDF is typeset: dossier's own style, or official: GB/T
    /// 9704-2012 (党政机关公文格式), A4 with the standard's margins, 3号 body text on a grid
    /// of 22 lines of 28 characters, the title in 2号, headings numbered 一、（一）1.（1）,
    /// page numbers — 1 — at the outer corner; --paper and --landscape do not apply to it.
    /// The other documents keep dossier's style.
    #[arg(long, value_enum, default_value_t = StyleArg::Default)]
    pub style: StyleArg,

    /// The official style's title font, e.g. an office's 方正小标宋 [default: the built-in
    /// Noto Serif CJK SC, thickened].
    #[arg(long, value_name = "PATH[#INDEX]", requires = "style")]
    pub font_title: Option<String>,

    /// The official style's font for level-1 headings (一、), e.g. an office's 黑体
    /// [default: the built-in Noto Sans CJK SC].
    #[arg(long, value_name = "PATH[#INDEX]", requires = "style")]
    pub font_heading: Option<String>,

    /// The official style's font for level-2 headings (（一）), e.g. an office's 楷体
    /// [default: the body font].
    #[arg(long, value_name = "PATH[#INDEX]", requires = "style")]
    pub font_subheading: Option<String>,
}

/// How the gap report's PDF is typeset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StyleArg {
    /// dossier's own: compact, a running header, page N of M.
    Default,
    /// GB/T 9704-2012, the layout of an official document (公文).
    Official,
}

/// The languages the documents come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LangArg {
    #[default]
    #[value(name = "zh-CN")]
    ZhCn,
    #[value(name = "zh-TW")]
    ZhTw,
    #[value(name = "en")]
    En,
}

impl From<PaperArg> for render::pdf::Paper {
    fn from(p: PaperArg) -> Self {
        match p {
            PaperArg::A4 => render::pdf::Paper::A4,
            PaperArg::A3 => render::pdf::Paper::A3,
            PaperArg::Letter => render::pdf::Paper::Letter,
        }
    }
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::ZhCn => Lang::ZhCn,
            LangArg::ZhTw => Lang::ZhTw,
            LangArg::En => Lang::En,
        }
    }
}

/// What `build` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// report.json, the machine-readable contract.
    Json,
    /// The documents as Markdown, with their charts as SVG files beside them.
    Md,
    /// The documents as self-contained HTML pages.
    Html,
    /// The documents as PDF, with the CJK font embedded (only the glyphs used).
    Pdf,
}

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Format {
        match f {
            OutputFormat::Json => Format::Json,
            OutputFormat::Md => Format::Md,
            OutputFormat::Html => Format::Html,
            OutputFormat::Pdf => Format::Pdf,
        }
    }
}

/// The formats asked for, all when none is named.
pub fn formats_of<F: Copy + Into<Format>>(formats: &[F]) -> Vec<Format> {
    if formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        formats.iter().map(|&f| f.into()).collect()
    }
}

/// Paper sizes for PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaperArg {
    #[value(name = "A4", alias = "a4")]
    A4,
    #[value(name = "A3", alias = "a3")]
    A3,
    #[value(name = "letter", alias = "Letter")]
    Letter,
}

/// Reads a `YYYY-MM-DD` flag; clap prints the refusal.
pub fn parse_date(text: &str) -> Result<NaiveDate, crate::messages::clap_text::ValueError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        crate::messages::clap_text::ValueError {
            key: "value.date",
            args: vec![("value", text.to_string())],
        }
    })
}

/// `--lang`'s value: `zh-CN`, `zh-TW`, `en`, or any way people write them (`zh`,
/// `zh-Hans`, `zh_TW.UTF-8`, `en-GB`); another language is refused, naming those three.
pub fn parse_lang(text: &str) -> Result<LangArg, crate::messages::clap_text::ValueError> {
    let language = text
        .split(['-', '_', '.'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let lang = match language.as_str() {
        "zh" | "en" => crate::messages::lang_of_tag(text),
        _ => None,
    };
    match lang {
        Some(Lang::ZhCn) => Ok(LangArg::ZhCn),
        Some(Lang::ZhTw) => Ok(LangArg::ZhTw),
        Some(Lang::En) => Ok(LangArg::En),
        None => Err(crate::messages::clap_text::ValueError {
            key: "value.lang",
            args: vec![("value", text.to_string())],
        }),
    }
}
