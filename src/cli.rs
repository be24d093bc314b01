//! The command line: flags documented once here and reused by `--help`; every command
//! returns an exit code or an error, and only `main` exits.

use crate::analysis::Analysis;
use crate::config::{self, Config};
use crate::evidence::Period;
use crate::ingest;
use crate::model::{Severity, Workbook};
use crate::pipeline::{self, Format, PipelineError, Unit, UnitSpec};
use crate::render::templates::{TemplateError, Templates};
use crate::render::{self, Lang, RenderError};
use crate::signature::Check;
use crate::verify::Signature;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

mod keygen;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Shown under every command's `--help`: what the statuses and the score mean.
const JUDGING_HELP: &str = "\
Statuses: each status cell is classified by the longest known term it starts with: done \
(已完成, 已落实…) and ongoing (持续推进, 常态化…) earn full credit, partial earns 0.5 \
(推进中…) or 0.75 (基本落实…), not_started (未启动…) and unknown (blank or unrecognised) \
earn 0, and not_applicable (不适用…) is left out.

Score: 100 × Σ(weight × credit) / Σ(weight) over applicable measures; ≥90 优秀, ≥80 良好, \
≥60 一般, else 较差, and any open veto item (一票否决) makes it 较差.";

/// Read the measure workbooks a town safety office keeps and judge its readiness for the
/// safety-production assessment.
#[derive(Debug, Parser)]
#[command(name = "dossier", version, after_help = JUDGING_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

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

/// The subcommands; each documents itself for `--help`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and judge the inputs; print every diagnostic and a one-line summary.
    /// Exit 0 without error diagnostics, 1 with (or when the CI gate fails), 2 when an
    /// input cannot be read.
    #[command(after_help = JUDGING_HELP)]
    Check {
        #[command(flatten)]
        input: InputArgs,

        /// How to print the diagnostics.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,

        #[command(flatten)]
        gate: GateArgs,
    },
    /// Read and judge the inputs and write the documents into an output folder.
    #[command(after_help = JUDGING_HELP)]
    Build {
        #[command(flatten)]
        input: InputArgs,

        /// Output folder [default: out/<stem of the first input>].
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,

        /// Formats to write, comma-separated [default: all].
        #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMATS")]
        format: Vec<OutputFormat>,

        #[command(flatten)]
        docs: DocArgs,

        #[command(flatten)]
        batch: BatchArgs,

        #[command(flatten)]
        gate: GateArgs,
    },
    /// Build the league table (汇总排名: summary.json, .md, .html, .pdf) from the output
    /// folders of batches or shards: each DIR is a batch's root (summary.json and unit
    /// folders), or a unit's folder (report.json). Exit 2 when it cannot be made, or
    /// when a unit in it failed.
    Summary {
        /// Output folders of `dossier build` runs (e.g. one per shard).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,

        /// Where to write summary.* [default: out].
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,

        /// Formats to write, comma-separated [default: all].
        #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMATS")]
        format: Vec<OutputFormat>,

        /// Project config, for [limits] [default: ./dossier.toml if present].
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,

        #[command(flatten)]
        previous: PreviousArgs,

        #[command(flatten)]
        docs: DocArgs,
    },
    /// Make the pack handed to inspectors: a zip (or a folder) with the numbered index
    /// (卷内目录), the three documents, report.json, every evidence file under numbered
    /// folders, one bound binder PDF per set, and manifests that `dossier verify` checks.
    /// Needs an evidence folder.
    #[command(after_help = JUDGING_HELP)]
    Pack {
        #[command(flatten)]
        input: InputArgs,

        /// The zip to write [default: out/<stem of the first input>.zip]; an existing one
        /// is replaced whole.
        #[arg(short, long, value_name = "PACK.zip")]
        output: Option<PathBuf>,

        /// Write the pack as a folder instead of a zip (replaced whole if it exists).
        #[arg(long, value_name = "DIR", conflicts_with = "output")]
        folder: Option<PathBuf>,

        /// Sign manifest.sha256 with this minisign secret key (from `dossier keygen` or
        /// `minisign -G`), writing manifest.sha256.minisig: inspectors check it with
        /// `dossier verify --key PUB` or `minisign -V`. A password-protected key takes its
        /// password from DOSSIER_KEY_PASSWORD, or asks at a terminal.
        #[arg(long, value_name = "KEY")]
        sign: Option<PathBuf>,

        /// Pack evidence files that changed after they were judged (a scanner or sync
        /// client still writing) as they are now, instead of failing; the manifests
        /// describe what was packed, and each such file is named.
        #[arg(long)]
        allow_changing: bool,

        #[command(flatten)]
        docs: DocArgs,
    },
    /// Compare two snapshots of one unit and write the progress report (进展报告) and
    /// diff.json: score and grade before and after (overall, per set, per owner), measures
    /// that improved, regressed, got done or became overdue, evidence items newly in hand
    /// or lost, measures added and removed. Exit 2 when the two are not snapshots of one
    /// unit (different units, or no measure in common).
    Diff {
        /// The earlier snapshot: a workbook, a report.json, or a build's output folder.
        #[arg(value_name = "OLD")]
        old: PathBuf,

        /// The later snapshot: a workbook, a report.json, or a build's output folder.
        #[arg(value_name = "NEW")]
        new: PathBuf,

        /// Output folder [default: out/<stem of NEW>-diff; a folder's or its report.json's
        /// stem is the folder's name].
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,

        /// Formats to write, comma-separated [default: all].
        #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMATS")]
        format: Vec<DiffFormat>,

        /// The date a workbook given as NEW is judged against [default: the config's
        /// as_of, else today]. A report.json or output folder carries its own.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        as_of: Option<NaiveDate>,

        /// The date a workbook given as OLD is judged against [default: --as-of].
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        old_as_of: Option<NaiveDate>,

        /// The evidence folder of a workbook given as NEW [default: the config's evidence].
        #[arg(long, value_name = "DIR")]
        evidence: Option<PathBuf>,

        /// The evidence folder of a workbook given as OLD [default: the config's evidence].
        #[arg(long, value_name = "DIR")]
        old_evidence: Option<PathBuf>,

        /// Project config with extra status terms and a default as-of date [default: ./dossier.toml if present].
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,

        #[command(flatten)]
        docs: DocArgs,
    },
    /// Check a pack against its manifest.sha256: prints "N files intact" and exits 0, or
    /// names every changed, missing and unexpected file and exits 1; 2 when the pack
    /// cannot be read.
    Verify {
        /// The pack: a zip, or a folder it was unpacked into.
        #[arg(value_name = "PACK.zip|DIR")]
        pack: PathBuf,

        /// Also check the pack's signature with this minisign public key: says who signed
        /// it, or `not signed` / `signed by another key` / `signature does not match`
        /// (exit 1).
        #[arg(long, value_name = "PUB")]
        key: Option<PathBuf>,
    },
    /// Make a minisign key pair for signing packs (`pack --sign`): DIR/dossier.key (secret,
    /// readable by you only) and DIR/dossier.pub (give it to the inspectors). Existing
    /// files are never overwritten.
    Keygen(keygen::KeygenArgs),
    /// Write a starter project: the built-in templates to edit, a sample workbook, a
    /// config and a README on what to change.
    Init {
        /// Folder to create or fill (existing files are never overwritten).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Write one workbook per lead department (督办) into DIR: its measures (open and
    /// missing-evidence first), the cells it may update (status, progress, deadline,
    /// evidence ready) unlocked, everything else locked, a status drop-down, a hidden key
    /// per row for merging back; beside each, its task sheet PDF; and split.json. The
    /// folder is written whole or not at all.
    Split(SplitArgs),
    /// Merge the department sheets that came back (from `split`, in whatever format they
    /// return: re-saved, .xls, rows pasted without the key column) into the master. For
    /// an .xlsx master only the changed cells are replaced and everything else is kept;
    /// any other master becomes an .xlsx in the contract's layout. Writes the merged
    /// workbook and merge-log.{md,html,xlsx} (every change, every refusal and why); the
    /// master is never modified.
    Merge(MergeFlags),
    /// Print the shell completion script for SHELL, made from these very flags: e.g.
    /// `dossier completions bash > /etc/bash_completion.d/dossier`, or
    /// `source <(dossier completions zsh)`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of dossier, or of one command (`dossier man build`);
    /// with -o, write every page (dossier.1 and dossier-<command>.1) into DIR.
    Man {
        /// The command whose page to print [default: dossier itself].
        #[arg(value_name = "COMMAND", conflicts_with = "output")]
        command: Option<String>,

        /// Write all pages into this folder (created if missing; the pages are replaced).
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
    },
}

/// The flags of `split`.
#[derive(Debug, clap::Args)]
pub struct SplitArgs {
    /// Measure workbooks: .xlsx .xlsm .xlsb .xls .ods .csv .tsv (read together).
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Output folder [default: out/<stem of the first input>-split].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// The date the departments must return their sheets by, printed in each.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub due: Option<NaiveDate>,

    /// Who the departments return their sheets to or ask (name, phone), printed in each.
    #[arg(long, value_name = "TEXT")]
    pub contact: Option<String>,

    /// Protect the sheets with this password [default: protected without one].
    #[arg(long, value_name = "PW")]
    pub password: Option<String>,

    /// Language of the sheets' headers, status terms and task sheets.
    #[arg(long, value_enum, default_value_t = LangArg::ZhCn)]
    pub lang: LangArg,

    /// The unit the sheets are for [default: named by the sheet titles, else the first input's stem].
    #[arg(long, value_name = "NAME")]
    pub unit: Option<String>,

    /// Write the sheets only, without the task sheet PDFs.
    #[arg(long)]
    pub no_pdf: bool,

    /// A folder of templates laid over the built-in ones (the task sheets use
    /// owner-tasks.md; the sheets' words come from i18n/<lang>.toml).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Task sheet PDF font instead of the built-in Noto Sans CJK SC: a TTF or OTF, or
    /// a face of a TTC as PATH#INDEX.
    #[arg(long, value_name = "PATH[#INDEX]", conflicts_with = "no_pdf")]
    pub font: Option<String>,

    /// The task sheets' bold face [default: the built-in bold; with --font, synthetic bold].
    #[arg(long, value_name = "PATH[#INDEX]", conflicts_with = "no_pdf")]
    pub font_bold: Option<String>,

    /// The date every judgement of time is made against [default: the config's as_of, else today].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,

    /// Project config with extra status terms and a default as-of date [default: ./dossier.toml if present].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// The flags of `merge`.
#[derive(Debug, clap::Args)]
pub struct MergeFlags {
    /// The master workbook the sheets were split from.
    #[arg(value_name = "MASTER")]
    pub master: PathBuf,

    /// The returned department sheets.
    #[arg(value_name = "RETURNED", required = true)]
    pub returned: Vec<PathBuf>,

    /// The split's split.json (or its folder): what was sent, for returns that lost
    /// their own record, and the departments that never returned.
    #[arg(long, value_name = "PATH")]
    pub split: Option<PathBuf>,

    /// Write only the merge log: what the merge would change and refuse.
    #[arg(long)]
    pub dry_run: bool,

    /// The merged workbook [default: out/<master stem>-merged.xlsx].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Folder of merge-log.{md,html,xlsx} [default: the merged workbook's folder].
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,

    /// Language of added column headers, status words and the merge log.
    #[arg(long, value_enum, default_value_t = LangArg::ZhCn)]
    pub lang: LangArg,

    /// The unit the log names [default: named by the sheet titles, else the master's stem].
    #[arg(long, value_name = "NAME")]
    pub unit: Option<String>,

    /// The date deadlines without a year are read against [default: the config's as_of, else today].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,

    /// Project config with extra status terms and limits [default: ./dossier.toml if present].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
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
    fn gate(&self) -> crate::gate::run::Gate {
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

fn parse_score(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!("{text:?} is not a score from 0 to 100")),
    }
}

/// Flags that shape the documents.
#[derive(Debug, clap::Args)]
pub struct DocArgs {
    /// Language of the documents' labels.
    #[arg(long, value_enum, default_value_t = LangArg::ZhCn)]
    pub lang: LangArg,

    /// The unit the documents are for [default: named by the sheet titles (清溪镇落实… → 清溪镇), else the first input's stem].
    #[arg(long, value_name = "NAME")]
    pub unit: Option<String>,

    /// A folder of templates laid over the built-in ones, file by file (see `dossier init`).
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

/// The fonts the official style loads besides the documents' font: the built-in serif
/// and sans where no office font stands in, and the office's own title, heading and
/// subheading fonts. Nothing is loaded without `--style official`.
struct OfficialFonts {
    serif: Option<render::pdf::font::Font>,
    sans: Option<render::pdf::font::Font>,
    title: Option<render::pdf::font::Font>,
    heading: Option<render::pdf::font::Font>,
    subheading: Option<render::pdf::font::Font>,
}

impl OfficialFonts {
    /// The fonts `docs` asks for, or `None` when the gap report keeps dossier's style.
    fn load(docs: &DocArgs) -> Result<Option<OfficialFonts>, CliError> {
        use render::pdf::font::Font;
        if docs.style != StyleArg::Official {
            return Ok(None);
        }
        let office = |spec: &Option<String>| spec.as_deref().map(font_file).transpose();
        let serif = if docs.font.is_none() || docs.font_title.is_none() {
            Some(Font::built_in_serif()?)
        } else {
            None
        };
        let sans = if docs.font.is_some() && docs.font_heading.is_none() {
            Some(Font::built_in_regular()?)
        } else {
            None
        };
        Ok(Some(OfficialFonts {
            serif,
            sans,
            title: office(&docs.font_title)?,
            heading: office(&docs.font_heading)?,
            subheading: office(&docs.font_subheading)?,
        }))
    }

    /// The faces, `font` being the documents' font (`--font`, else the built-in sans).
    fn faces<'a>(
        &'a self,
        docs: &DocArgs,
        font: &'a render::pdf::font::Font,
    ) -> render::pdf::font::Faces<'a> {
        let serif = self.serif.as_ref();
        let body = match docs.font {
            Some(_) => font,
            None => serif.unwrap_or(font),
        };
        let heading = match docs.font {
            Some(_) => self.sans.as_ref().unwrap_or(font),
            None => font,
        };
        render::pdf::font::Faces {
            body,
            title: self.title.as_ref().or(serif).unwrap_or(body),
            heading: self.heading.as_ref().unwrap_or(heading),
            subheading: self.subheading.as_ref().unwrap_or(body),
            title_bold: self.title.is_none(),
        }
    }
}

/// Refuses `--style official` where no gap report is written.
fn no_official(docs: &DocArgs, command: &str) -> Result<(), CliError> {
    if docs.style == StyleArg::Official {
        return Err(CliError::Usage(format!(
            "--style official sets the gap report's PDF; {command} writes none"
        )));
    }
    Ok(())
}

/// Loads the PDF font: `--font PATH[#INDEX]`, else the built-in one, and its bold face:
/// `--font-bold`, else the built-in bold for the built-in font (an office's own font
/// without a bold face gets synthetic bold).
fn load_font(spec: Option<&str>, bold: Option<&str>) -> Result<render::pdf::font::Font, CliError> {
    use render::pdf::font::Font;
    let regular = match spec {
        None => Font::built_in()?,
        Some(spec) => font_file(spec)?,
    };
    Ok(match bold {
        Some(bold) => regular.with_bold(font_file(bold)?),
        None => regular,
    })
}

/// One face from `PATH[#INDEX]`.
fn font_file(spec: &str) -> Result<render::pdf::font::Font, CliError> {
    use render::pdf::font::Font;
    let (path, index) = match spec.rsplit_once('#') {
        Some((p, i)) if i.chars().all(|c| c.is_ascii_digit()) && !i.is_empty() => {
            (p, i.parse::<usize>().unwrap_or(0))
        }
        _ => (spec, 0),
    };
    // Only a regular file: a FIFO would block the run, a device never end.
    let bytes = render::templates::read_regular(Path::new(path)).map_err(|error| CliError::Io {
        path: path.to_string(),
        error,
    })?;
    let stem = Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Font::from_bytes(bytes, index, &stem)
        .map_err(|_| CliError::Font(render::pdf::font::FontError::Unreadable(spec.to_string())))
}

/// The languages the documents come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
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

/// How `check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
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

impl OutputFormat {
    fn format(self) -> Format {
        match self {
            OutputFormat::Json => Format::Json,
            OutputFormat::Md => Format::Md,
            OutputFormat::Html => Format::Html,
            OutputFormat::Pdf => Format::Pdf,
        }
    }
}

/// What `diff` can write: its own help, since its files are not a build's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// diff.json, the machine-readable comparison (dossier.diff/1).
    Json,
    /// The progress report as Markdown.
    Md,
    /// The progress report as a self-contained HTML page.
    Html,
    /// The progress report as PDF.
    Pdf,
}

impl DiffFormat {
    fn format(self) -> Format {
        match self {
            DiffFormat::Json => Format::Json,
            DiffFormat::Md => Format::Md,
            DiffFormat::Html => Format::Html,
            DiffFormat::Pdf => Format::Pdf,
        }
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

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date in the form YYYY-MM-DD"))
}

/// A failure that stops a command: printed as `dossier: …`, exit 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Input(#[from] ingest::FileError),
    #[error("{path}: {error}")]
    Config {
        path: String,
        error: config::ConfigError,
    },
    #[error("{path}: {error}")]
    Io {
        path: String,
        #[source]
        error: std::io::Error,
    },
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Font(#[from] render::pdf::font::FontError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    #[error(transparent)]
    Pack(#[from] crate::pack::PackError),
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    /// Flags that do not go together, or a missing input.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Project(#[from] crate::batch::project::ProjectError),
    #[error(transparent)]
    Batch(#[from] crate::batch::BatchError),
    #[error(transparent)]
    Collect(#[from] crate::batch::summary::CollectError),
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    #[error(transparent)]
    Split(#[from] crate::split::SplitError),
    #[error(transparent)]
    Gate(#[from] crate::gate::run::GateError),
    #[error(transparent)]
    Merge(#[from] crate::merge::run::MergeError),
    #[error(transparent)]
    Signature(#[from] crate::signature::SignatureError),
}

/// Runs the parsed command; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, CliError> {
    match cli.command {
        Command::Check {
            input,
            format,
            gate,
        } => check(&input, format, &gate),
        Command::Build {
            input,
            output,
            format,
            docs,
            batch,
            gate,
        } => {
            if input.inputs.is_empty() {
                build_project(&input, output, &format, &docs, &batch, &gate)
            } else if !batch.only.is_empty()
                || batch.jobs.is_some()
                || batch.shard.is_some()
                || batch.previous.previous.is_some()
            {
                Err(CliError::Usage(
                    "--only, --jobs, --shard and --previous build the units of a project; give them without INPUT (for one unit, dossier diff compares two snapshots)".into(),
                ))
            } else {
                build(&input, output, &format, &docs, &gate)
            }
        }
        Command::Summary {
            dirs,
            output,
            format,
            config,
            previous,
            docs,
        } => summary(
            &dirs,
            output,
            &format,
            config.as_deref(),
            previous.previous.as_deref(),
            &docs,
        ),
        Command::Pack {
            input,
            output,
            folder,
            sign,
            allow_changing,
            docs,
        } => pack(
            &input,
            output,
            folder,
            sign.as_deref(),
            allow_changing,
            &docs,
        ),
        Command::Diff {
            old,
            new,
            output,
            format,
            as_of,
            old_as_of,
            evidence,
            old_evidence,
            config,
            docs,
        } => diff(
            &DiffArgs {
                old,
                new,
                as_of,
                old_as_of,
                evidence,
                old_evidence,
                config,
            },
            output,
            &format,
            &docs,
        ),
        Command::Verify { pack, key } => verify(&pack, key.as_deref()),
        Command::Keygen(args) => keygen::run(&args),
        Command::Init { dir } => init(&dir),
        Command::Split(args) => split(&args),
        Command::Merge(flags) => merge(&flags),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            crate::manual::completions(shell, &mut out);
            // A closed pipe is not an error worth reporting.
            let _ = std::io::stdout().lock().write_all(&out);
            Ok(0)
        }
        Command::Man { command, output } => man(command.as_deref(), output.as_deref()),
    }
}

fn split(args: &SplitArgs) -> Result<i32, CliError> {
    let templates = match &args.templates {
        Some(dir) => Templates::layered(dir)?,
        None => Templates::default(),
    };
    let labels = pipeline::labels(&templates, args.lang.into())?;
    let mut config = load_config(args.config.as_deref())?;
    // The departments update the workbook's own evidence column: the sheets show and
    // judge what the workbook says, not an evidence folder the config names.
    config.evidence.dir = None;
    let as_of = args
        .as_of
        .or(config.as_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let dir = args.output.clone().unwrap_or_else(|| {
        pipeline::default_output_named(&pipeline::first_stem(&args.inputs), "-split")
    });
    let inputs: Vec<&Path> = args.inputs.iter().map(PathBuf::as_path).collect();
    crate::output::refuse_clobbering(&dir, &inputs, None)?;
    let font = if args.no_pdf {
        None
    } else {
        Some(load_font(args.font.as_deref(), args.font_bold.as_deref())?)
    };
    let spec = UnitSpec {
        inputs: args.inputs.clone(),
        as_of,
        evidence: None,
        period: None,
    };
    let unit = pipeline::read_unit(&spec, &config)?;
    let unit_name = render::context::unit_name(args.unit.as_deref(), &unit.book, &unit.stem);
    let opts = crate::split::SplitOptions {
        unit: &unit_name,
        due: args.due,
        contact: args.contact.as_deref(),
        password: args.password.as_deref(),
        labels: &labels,
        templates: &templates,
        font: font.as_ref(),
        limits: config.limits,
    };
    let outcome = crate::split::split(&unit, &opts, &dir)?;
    if let Some(font) = &font {
        warn_missing_glyphs(&outcome.missing_glyphs, &font.name);
    }
    let mut err = std::io::stderr().lock();
    if outcome.unassigned > 0 {
        let _ = writeln!(
            err,
            "dossier: warning: {} measures name no lead department and are in no sheet",
            outcome.unassigned
        );
    }
    let _ = writeln!(
        err,
        "split {} measures into {} department sheets: wrote {} files to {}",
        unit.book.measures.len(),
        outcome.departments,
        outcome.files,
        dir.display()
    );
    Ok(0)
}

fn merge(args: &MergeFlags) -> Result<i32, CliError> {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| crate::merge::run::default_output(&args.master));
    let log_dir = args.log_dir.clone().unwrap_or_else(|| {
        output
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    });
    let templates = Templates::default();
    let labels = pipeline::labels(&templates, args.lang.into())?;
    let config = load_config(args.config.as_deref())?;
    let read = crate::ingest::ReadOptions {
        as_of: args
            .as_of
            .or(config.as_of)
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        vocabulary: config.vocabulary(),
        limits: config.limits,
    };
    let outcome = crate::merge::run::merge(&crate::merge::run::MergeOptions {
        master: &args.master,
        returned: &args.returned,
        split: args.split.as_deref(),
        output: &output,
        log_dir: &log_dir,
        dry_run: args.dry_run,
        read: &read,
        labels: &labels,
        templates: &templates,
        unit: args.unit.as_deref(),
    })?;
    let mut err = std::io::stderr().lock();
    for (sheet, header, cell) in &outcome.added_columns {
        let _ = writeln!(
            err,
            "dossier: note: {sheet}: the master had no {header} column; added at {cell}"
        );
    }
    if !outcome.edited {
        let lost = if outcome.lost.is_empty() {
            String::new()
        } else {
            format!("; not kept: {}", outcome.lost.join(", "))
        };
        let _ = writeln!(
            err,
            "dossier: note: {} is not an xlsx workbook, so the merged workbook is an xlsx holding its sheets and cells{lost}",
            crate::ingest::display_name(&args.master)
        );
    }
    let log = log_dir.join(format!("{}.md", crate::merge::log::STEM));
    let what = if args.dry_run {
        "dry run: would merge"
    } else {
        "merged"
    };
    let _ = writeln!(
        err,
        "{what} {} changes from {} files into {}; {} not taken ({} conflicts); log: {}",
        outcome.applied,
        args.returned.len(),
        output.display(),
        outcome.refused,
        outcome.conflicts,
        log.display()
    );
    Ok(0)
}

/// `man [COMMAND]` prints one page; `man -o DIR` writes them all.
fn man(command: Option<&str>, output: Option<&Path>) -> Result<i32, CliError> {
    use crate::manual;
    match output {
        Some(dir) => {
            let pages = manual::pages().map_err(|e| CliError::Usage(e.to_string()))?;
            std::fs::create_dir_all(dir).map_err(|error| CliError::Io {
                path: dir.display().to_string(),
                error,
            })?;
            let files: Vec<(PathBuf, &[u8])> = pages
                .iter()
                .map(|(name, bytes)| (dir.join(name), bytes.as_slice()))
                .collect();
            write_all_atomically(&files)?;
            let _ = writeln!(
                std::io::stderr().lock(),
                "wrote {} manual pages to {}",
                files.len(),
                dir.display()
            );
        }
        None => {
            let page = manual::page(command).map_err(|e| match e {
                manual::ManualError::NoSuchCommand(c) => CliError::Usage(format!(
                    "no command {c:?}: the pages are {}",
                    manual::commands().join(", ")
                )),
                manual::ManualError::Io(error) => CliError::Io {
                    path: "stdout".into(),
                    error,
                },
            })?;
            let _ = std::io::stdout().lock().write_all(&page);
        }
    }
    Ok(0)
}

fn load_config(path: Option<&Path>) -> Result<Config, CliError> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(config::FILE_NAME), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Config::default());
        }
        Err(error) => {
            return Err(CliError::Io {
                path: path.display().to_string(),
                error,
            });
        }
    };
    Config::parse(&text).map_err(|error| CliError::Config {
        path: path.display().to_string(),
        error,
    })
}

/// Reads the inputs (and the evidence folder) with the config in force.
fn read(input: &InputArgs) -> Result<Unit, CliError> {
    let config = load_config(input.config.as_deref())?;
    read_with(input, &config)
}

/// Reads the inputs (and the evidence folder) with `config`, loaded once by the caller.
fn read_with(input: &InputArgs, config: &Config) -> Result<Unit, CliError> {
    let as_of = input
        .as_of
        .or(config.as_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let spec = UnitSpec {
        inputs: input.inputs.clone(),
        as_of,
        evidence: input.evidence.clone(),
        // Parsed here rather than by clap, so a bad period is one line like every error.
        period: input.period.as_deref().map(Period::parse).transpose()?,
    };
    Ok(pipeline::read_unit(&spec, config)?)
}

/// The one-line summary `check` and `build` print.
pub fn summary_line(book: &Workbook, analysis: &Analysis<'_>) -> String {
    let s = &analysis.summary;
    let score = s.score().map_or("—".to_string(), |v| format!("{v:.1}"));
    let grade = analysis.grade.map_or("—", |g| g.zh());
    let veto = if analysis.veto.is_some() {
        " (open veto item)"
    } else {
        ""
    };
    let count = |sev| {
        book.diagnostics
            .iter()
            .filter(|d| d.severity == sev)
            .count()
    };
    format!(
        "{} measures ({} applicable), score {score}, grade {grade}{veto}; gaps: {} critical, {} major, {} minor; {} errors, {} warnings",
        s.measures,
        s.applicable,
        s.worst[0],
        s.worst[1],
        s.worst[2],
        count(Severity::Error),
        count(Severity::Warning),
    )
}

fn check(input: &InputArgs, format: CheckFormat, gate: &GateArgs) -> Result<i32, CliError> {
    require_inputs(input)?;
    let gate = gate.gate();
    let unit = read(input)?;
    let book = &unit.book;
    let analysis = unit.analyse();
    let mut out = std::io::stdout().lock();
    let text = match format {
        CheckFormat::Text => {
            let mut text = String::new();
            for d in &book.diagnostics {
                text.push_str(&format!("{d}\n"));
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
            let diagnostics: Vec<_> = book.diagnostics.iter().map(|d| d.to_json()).collect();
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

/// Hands a run's model to the process exit instead of dropping it: the process ends right
/// after, and freeing a large workbook's measures one by one costs a few percent of a `check`
/// (the operating system takes the memory back at once).
fn leave_to_exit<T>(model: T) {
    std::mem::forget(model);
}

/// Runs the gate on a single unit once its outputs are written; true when it failed.
fn finish_gate(
    gate: crate::gate::run::Gate,
    input: &InputArgs,
    unit: &Unit,
    report: &crate::report::Report<'_>,
    name: Option<&str>,
    line: &str,
    json_on_stdout: bool,
) -> Result<bool, CliError> {
    use crate::gate::run::StepSummary;
    if !gate.is_active() {
        return Ok(false);
    }
    let name = render::context::unit_name(name, &unit.book, &unit.stem);
    let inputs: Vec<(String, PathBuf)> = unit
        .input_names
        .iter()
        .cloned()
        .zip(input.inputs.iter().cloned())
        .collect();
    gate.look(&name, report, &inputs);
    let summary = StepSummary::Unit { name: &name, line };
    Ok(gate.finish(summary, json_on_stdout)?)
}

fn build(
    input: &InputArgs,
    output: Option<PathBuf>,
    formats: &[OutputFormat],
    docs: &DocArgs,
    gate: &GateArgs,
) -> Result<i32, CliError> {
    let gate = gate.gate();
    let templates = templates_of(docs)?;
    // Labels first: a broken label file fails before the inputs are read.
    pipeline::labels(&templates, docs.lang.into())?;
    let first_stem = pipeline::first_stem(&input.inputs);
    let dir = output.unwrap_or_else(|| pipeline::default_output(&first_stem));
    crate::output::refuse_clobbering(&dir, &input_paths(input), None)?;
    if let Some(evidence) = &input.evidence {
        crate::evidence::refuse_inside_output(evidence, &dir)?;
    }
    gate.refuse_inside(&dir)?;
    let config = load_config(input.config.as_deref())?;
    let unit = read_with(input, &config)?;
    let analysis = unit.analyse();
    let formats: Vec<Format> = if formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        formats.iter().map(|f| f.format()).collect()
    };
    let report = unit.report(&analysis);
    let font = if formats.contains(&Format::Pdf) {
        Some(load_font(docs.font.as_deref(), docs.font_bold.as_deref())?)
    } else {
        None
    };
    let official = match &font {
        Some(_) => OfficialFonts::load(docs)?,
        None => None,
    };
    let fallback;
    let font_ref = match &font {
        Some(f) => f,
        None => {
            fallback = render::pdf::font::Font::built_in_regular()?;
            &fallback
        }
    };
    let opts = pipeline::DocOptions {
        lang: docs.lang.into(),
        unit: docs.unit.as_deref(),
        templates: &templates,
        paper: docs.paper.into(),
        landscape: docs.landscape,
        font: font_ref,
        official: official.as_ref().map(|o| o.faces(docs, font_ref)),
        limits: config.limits,
    };
    let folder = crate::output::BuildFolder::begin(&dir)?;
    let rendered = pipeline::render_unit(&unit, &analysis, &report, &formats, &opts, &folder)?;
    folder.commit()?;
    warn_missing_glyphs(&rendered.missing_glyphs, &font_ref.name);
    let count = rendered.files;
    let line = summary_line(&unit.book, &analysis);
    {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
        if let Some(e) = &unit.evidence {
            let _ = writeln!(err, "{}", e.summary_line());
        }
        let _ = writeln!(err, "wrote {count} files to {}", dir.display());
    }
    let unit_name = docs.unit.as_deref();
    let failed = finish_gate(gate, input, &unit, &report, unit_name, &line, false)?;
    leave_to_exit(report);
    leave_to_exit(analysis);
    leave_to_exit(unit);
    Ok(i32::from(failed))
}

/// The sides of `diff` and how to read a workbook side.
struct DiffArgs {
    old: PathBuf,
    new: PathBuf,
    as_of: Option<NaiveDate>,
    old_as_of: Option<NaiveDate>,
    evidence: Option<PathBuf>,
    old_evidence: Option<PathBuf>,
    config: Option<PathBuf>,
}

fn diff(
    args: &DiffArgs,
    output: Option<PathBuf>,
    formats: &[DiffFormat],
    docs: &DocArgs,
) -> Result<i32, CliError> {
    use crate::diff::{self, LoadOptions};
    no_official(docs, "diff")?;
    let templates = templates_of(docs)?;
    pipeline::labels(&templates, docs.lang.into())?;
    let config = load_config(args.config.as_deref())?;
    let dir = match output {
        Some(dir) => dir,
        None => pipeline::default_output_named(&diff::output_stem(&args.new), "-diff"),
    };
    let mut sides: Vec<&Path> = vec![&args.old, &args.new];
    sides.extend(args.evidence.as_deref());
    sides.extend(args.old_evidence.as_deref());
    crate::output::refuse_clobbering(&dir, &sides, None)?;
    for side in [&args.old, &args.new] {
        diff::refuse_side_in_output(side, &dir)?;
    }
    let as_of = args
        .as_of
        .or(config.as_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let side = |path: &Path, as_of, evidence: &Option<PathBuf>| {
        let options = LoadOptions {
            as_of,
            evidence: evidence.clone(),
            period: None,
            config: &config,
        };
        diff::load_side(path, &options)
    };
    let old = side(
        &args.old,
        args.old_as_of.unwrap_or(as_of),
        &args.old_evidence,
    )?;
    let new = side(&args.new, as_of, &args.evidence)?;
    let compared = diff::compare(&old, &new).map_err(diff::DiffError::from)?;
    let formats: Vec<Format> = if formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        formats.iter().map(|f| f.format()).collect()
    };
    let font = if formats.contains(&Format::Pdf) {
        load_font(docs.font.as_deref(), docs.font_bold.as_deref())?
    } else {
        render::pdf::font::Font::built_in_regular()?
    };
    let opts = pipeline::DocOptions {
        lang: docs.lang.into(),
        unit: docs.unit.as_deref(),
        templates: &templates,
        paper: docs.paper.into(),
        landscape: docs.landscape,
        font: &font,
        official: None,
        limits: config.limits,
    };
    let rendered = diff::document::render(&compared, &formats, &opts)?;
    warn_missing_glyphs(&rendered.missing_glyphs, &font.name);
    let count = rendered.files.len();
    crate::output::write_build(&dir, rendered.files)?;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", compared.summary_line());
    let _ = writeln!(err, "wrote {count} files to {}", dir.display());
    Ok(0)
}

fn templates_of(docs: &DocArgs) -> Result<Templates, CliError> {
    Ok(match &docs.templates {
        Some(dir) => Templates::layered(dir)?,
        None => Templates::default(),
    })
}

fn pack(
    input: &InputArgs,
    output: Option<PathBuf>,
    folder: Option<PathBuf>,
    sign: Option<&Path>,
    allow_changing: bool,
    docs: &DocArgs,
) -> Result<i32, CliError> {
    use crate::pack::{PackError, Target};
    require_inputs(input)?;
    // The key first: a wrong password should not cost a whole pack's work.
    let key = match sign {
        Some(path) => Some(crate::signature::SecretKey::from_file(
            path,
            &crate::signature::Password::FromEnvOrTerminal,
        )?),
        None => None,
    };
    let templates = templates_of(docs)?;
    pipeline::labels(&templates, docs.lang.into())?;
    let first_stem = pipeline::first_stem(&input.inputs);
    let zip_path = output.unwrap_or_else(|| pipeline::default_output_named(&first_stem, ".zip"));
    let target = match &folder {
        Some(dir) => Target::Folder(dir),
        None => Target::Zip(&zip_path),
    };
    match target {
        Target::Folder(dir) => crate::output::refuse_clobbering(dir, &input_paths(input), None)?,
        Target::Zip(zip) => crate::output::refuse_clobbering(
            zip,
            &input_paths(input),
            Some(&crate::pack::is_pack_zip),
        )?,
    }
    let font = load_font(docs.font.as_deref(), docs.font_bold.as_deref())?;
    let official = OfficialFonts::load(docs)?;
    let config = load_config(input.config.as_deref())?;
    let unit = read_with(input, &config)?;
    if unit.evidence.is_none() {
        return Err(PackError::NoEvidence.into());
    }
    let opts = pipeline::DocOptions {
        lang: docs.lang.into(),
        unit: docs.unit.as_deref(),
        templates: &templates,
        paper: docs.paper.into(),
        landscape: docs.landscape,
        font: &font,
        official: official.as_ref().map(|o| o.faces(docs, &font)),
        limits: config.limits,
    };
    let pack_opts = crate::pack::PackOptions {
        sign: key.as_ref(),
        allow_changing,
    };
    let packed = crate::pack::pack(&unit, &opts, target, &pack_opts)?;
    warn_missing_glyphs(&packed.missing_glyphs, &font.name);
    let analysis = unit.analyse();
    let mut err = std::io::stderr().lock();
    for c in &packed.changed {
        let _ = writeln!(err, "dossier: warning: {c}; packed as it is now");
    }
    for (binder, path, reason) in &packed.unbound {
        let _ = writeln!(
            err,
            "dossier: warning: {binder}: {} is packed but not bound: {}",
            crate::model::visible(path),
            crate::model::visible(reason)
        );
    }
    let _ = writeln!(err, "{}", summary_line(&unit.book, &analysis));
    if let Some(e) = &unit.evidence {
        let _ = writeln!(err, "{}", e.summary_line());
    }
    let shown = match target {
        Target::Folder(d) | Target::Zip(d) => d.display().to_string(),
    };
    let signed = match &packed.signed_by {
        Some(id) => format!(", signed with key {id}"),
        None => String::new(),
    };
    let _ = writeln!(
        err,
        "packed {} files ({} binders) into {shown}{signed}",
        packed.files, packed.binders
    );
    Ok(0)
}

fn verify(pack: &Path, key: Option<&Path>) -> Result<i32, CliError> {
    let key = match key {
        Some(path) => Some(crate::signature::PublicKey::from_file(path)?),
        None => None,
    };
    let verdict = crate::verify::verify_signed(pack, key.as_ref())?;
    let mut out = std::io::stdout().lock();
    let mut text = String::new();
    for p in &verdict.changed {
        text.push_str(&format!("changed: {}\n", crate::model::visible(p)));
    }
    for p in &verdict.missing {
        text.push_str(&format!("missing: {}\n", crate::model::visible(p)));
    }
    for p in &verdict.unexpected {
        text.push_str(&format!("unexpected: {}\n", crate::model::visible(p)));
    }
    for p in &verdict.litter {
        text.push_str(&format!(
            "ignored: {} (made by the operating system, not listed)\n",
            crate::model::visible(p)
        ));
    }
    for p in &verdict.duplicated {
        text.push_str(&format!(
            "duplicated: {} (the zip holds it more than once)\n",
            crate::model::visible(p)
        ));
    }
    for p in &verdict.not_files {
        text.push_str(&format!(
            "not a file: {} (a FIFO, device or socket; not read)\n",
            crate::model::visible(p)
        ));
    }
    for p in &verdict.disagreeing {
        text.push_str(&format!(
            "manifests disagree: {} (manifest.json and manifest.sha256 differ)\n",
            crate::model::visible(p)
        ));
    }
    for p in &verdict.miswritten {
        text.push_str(&format!(
            "manifest line changed: {} (the file is what manifest.json says; its manifest.sha256 line was rewritten)\n", crate::model::visible(p)        ));
    }
    if verdict.is_intact() {
        text.push_str(&format!("{} files intact\n", verdict.intact));
    } else {
        let mut counts = format!(
            "{} changed, {} missing, {} unexpected",
            verdict.changed.len(),
            verdict.missing.len(),
            verdict.unexpected.len(),
        );
        for (n, what) in [
            (verdict.duplicated.len(), "duplicated"),
            (verdict.not_files.len(), "not files"),
            (verdict.disagreeing.len(), "where the manifests disagree"),
            (verdict.miswritten.len(), "manifest lines changed"),
        ] {
            if n > 0 {
                counts.push_str(&format!(", {n} {what}"));
            }
        }
        text.push_str(&format!(
            "{}: not intact: {counts}, {} intact\n",
            pack.display(),
            verdict.intact
        ));
    }
    let signed_ok = match &verdict.signature {
        Signature::NotSigned if key.is_some() => {
            text.push_str("not signed: the pack has no manifest.sha256.minisig\n");
            false
        }
        Signature::NotSigned => true,
        Signature::Unchecked { key_id } => {
            text.push_str(&format!(
                "signed with key {key_id} (not checked: give --key PUB)\n"
            ));
            true
        }
        Signature::Checked(Check::Good {
            key_id,
            trusted_comment,
        }) => {
            text.push_str(&format!("signed by key {key_id}: {trusted_comment}\n"));
            true
        }
        Signature::Checked(Check::OtherKey { key_id }) => {
            let given = key.as_ref().map_or("?", |k| k.key_id.as_str());
            text.push_str(&format!(
                "signed by another key: {key_id}, not {given} (the key given)\n"
            ));
            false
        }
        Signature::Checked(Check::Mismatch { reason }) => {
            text.push_str(&format!("signature does not match: {reason}\n"));
            false
        }
    };
    let _ = out.write_all(text.as_bytes());
    Ok(if verdict.is_intact() && signed_ok {
        0
    } else {
        1
    })
}

/// Warns, once per PDF, about characters the font lacks (drawn as □).
fn warn_missing_glyphs(missing: &[(String, std::collections::BTreeSet<char>)], font: &str) {
    let mut err = std::io::stderr().lock();
    for (name, chars) in missing {
        let chars: Vec<String> = chars
            .iter()
            .map(|c| format!("U+{:04X} {c:?}", *c as u32))
            .collect();
        let _ = writeln!(
            err,
            "dossier: warning: {name}: {} not in the font {font}, drawn as {}: {}",
            if chars.len() == 1 {
                "a character is"
            } else {
                "characters are"
            },
            render::pdf::MISSING_MARK,
            chars.join(", ")
        );
    }
}

/// The README `dossier init` writes beside the templates.
const INIT_README: &str = include_str!("../templates/README.md");

/// The config `dossier init` writes.
const INIT_CONFIG: &str = "# dossier project config (see README.md)\n# as_of = 2026-12-15\n[statuses]\n# done = [\"已验收\"]\n";

/// The sample workbook `dossier init` writes.
const SAMPLE_WORKBOOK: &[u8] = include_bytes!("../inputs/qingxi-town.xlsx");

fn init(dir: &Path) -> Result<i32, CliError> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = render::templates::BUILT_IN
        .iter()
        .map(|(name, text)| (dir.join("templates").join(name), text.as_bytes().to_vec()))
        .collect();
    files.push((
        dir.join("inputs").join("qingxi-town.xlsx"),
        SAMPLE_WORKBOOK.to_vec(),
    ));
    files.push((dir.join("README.md"), INIT_README.as_bytes().to_vec()));
    files.push((dir.join(config::FILE_NAME), INIT_CONFIG.as_bytes().to_vec()));
    let mut err = std::io::stderr().lock();
    for (path, bytes) in &files {
        if path.exists() {
            let _ = writeln!(err, "kept {} (exists)", path.display());
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| CliError::Io {
                path: parent.display().to_string(),
                error,
            })?;
        }
        write_atomically(path, bytes)?;
        let _ = writeln!(err, "wrote {}", path.display());
    }
    Ok(0)
}

/// Writes a file through a temporary file in the same folder and a rename, so a reader
/// never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_all_atomically(&[(path.to_path_buf(), bytes)])
}

/// Writes several files so that a failure leaves none of them changed: every temporary
/// file is written and synced, every target checked, and only then are they renamed.
pub fn write_all_atomically(files: &[(PathBuf, &[u8])]) -> Result<(), CliError> {
    let io_err = |path: &Path, error| CliError::Io {
        path: path.display().to_string(),
        error,
    };
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_err(path, e))?;
        tmp.write_all(bytes).map_err(|e| io_err(path, e))?;
        // A temporary file is created owner-only; outputs are for CI and colleagues too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| io_err(path, e))?;
        }
        tmp.as_file().sync_all().map_err(|e| io_err(path, e))?;
        staged.push((path, tmp));
    }
    for (path, _) in &staged {
        if path.is_dir() {
            return Err(io_err(
                path,
                std::io::Error::other("a folder is in the way of this output file"),
            ));
        }
    }
    for (path, tmp) in staged {
        tmp.persist(path).map_err(|e| io_err(path, e.error))?;
    }
    Ok(())
}

/// `check` and `pack` read the inputs they are given; only `build` builds a project.
/// What a run of `input` reads: the workbooks, the evidence folder, the config.
fn input_paths(input: &InputArgs) -> Vec<&Path> {
    let mut paths: Vec<&Path> = input.inputs.iter().map(PathBuf::as_path).collect();
    paths.extend(input.evidence.as_deref());
    paths.extend(input.config.as_deref());
    paths
}

fn require_inputs(input: &InputArgs) -> Result<(), CliError> {
    if input.inputs.is_empty() {
        return Err(CliError::Usage(
            "no INPUT given: name the workbooks to read".into(),
        ));
    }
    Ok(())
}

/// The formats asked for, all when none is named.
fn formats_of(formats: &[OutputFormat]) -> Vec<Format> {
    if formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        formats.iter().map(|f| f.format()).collect()
    }
}

/// `build` without inputs: every unit of the project (or those `--only` names, or one
/// shard of them) into `-o DIR` (default `out`), then the league table. Exit 0 when
/// every unit was built, 2 when any was not (each named on its own line).
fn build_project(
    input: &InputArgs,
    output: Option<PathBuf>,
    formats: &[OutputFormat],
    docs: &DocArgs,
    args: &BatchArgs,
    gate: &GateArgs,
) -> Result<i32, CliError> {
    use crate::batch::{self, project};
    let gate = gate.gate();
    if input.evidence.is_some() {
        return Err(CliError::Usage(
            "--evidence names one unit's folder; in a project each unit has its own (evidence = … in its [[unit]], or an evidence/ folder in its unit folder)".into(),
        ));
    }
    if docs.unit.is_some() {
        return Err(CliError::Usage(
            "--unit names one unit; in a project each unit is named by its [[unit]] (display = …) or its sheet titles".into(),
        ));
    }
    let config_path = input
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(config::FILE_NAME));
    let config = load_config(input.config.as_deref())?;
    let shown = config_path.display().to_string();
    if config.units.pattern.is_none() && config.units.tables.is_empty() {
        let what = if config_path.exists() {
            format!("{shown} names no units")
        } else {
            format!("there is no {shown} here to name units")
        };
        return Err(CliError::Usage(format!(
            "no INPUT given, and {what} (units = \"towns/*\" or [[unit]] tables)"
        )));
    }
    let templates = templates_of(docs)?;
    pipeline::labels(&templates, docs.lang.into())?;
    let period = input.period.as_deref().map(Period::parse).transpose()?;
    let units = project::resolve(
        &config.units,
        &project::base_of(&config_path),
        &shown,
        config.limits.max_files,
    )?;
    let units = project::pick(units, &args.only, &shown)?;
    let units = match &args.shard {
        Some(text) => {
            let (k, n) = project::parse_shard(text)?;
            project::shard(units, k, n)
        }
        None => units,
    };
    let formats = formats_of(formats);
    let font = load_font(docs.font.as_deref(), docs.font_bold.as_deref())?;
    let official = OfficialFonts::load(docs)?;
    let root = output.unwrap_or_else(|| PathBuf::from("out"));
    let jobs = args.jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let as_of = input
        .as_of
        .or(config.as_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    for def in &units {
        gate.refuse_inside(&root.join(&def.name))?;
    }
    // The gate keeps each unit's violations (and JUnit suite) as the unit is judged;
    // the unit's report is dropped with the rest of it.
    let look = |def: &project::UnitDef, unit: &Unit, report: &crate::report::Report<'_>| {
        let inputs: Vec<(String, PathBuf)> = unit
            .input_names
            .iter()
            .cloned()
            .zip(def.inputs.iter().cloned())
            .collect();
        gate.look(&def.name, report, &inputs);
    };
    let spec = batch::Batch {
        root: root.clone(),
        as_of,
        period,
        formats,
        docs: pipeline::DocOptions {
            lang: docs.lang.into(),
            unit: None,
            templates: &templates,
            paper: docs.paper.into(),
            landscape: docs.landscape,
            font: &font,
            official: official.as_ref().map(|o| o.faces(docs, &font)),
            limits: config.limits,
        },
        jobs,
        on_unit: gate.is_active().then_some(&look as &batch::OnUnit),
        previous: args.previous.previous.clone(),
    };
    let outcome = batch::build(&units, &config, &spec)?;
    let code = report_outcome(
        &root,
        outcome.built,
        &outcome.failed,
        &outcome.summary_files,
    );
    drop(spec);
    let as_of = as_of.format("%Y-%m-%d").to_string();
    for f in &outcome.failed {
        gate.unit_failed(&f.name, &f.reason, &as_of);
    }
    let summary = crate::gate::run::StepSummary::League(&outcome.league);
    let gate_failed = gate.finish(summary, false)?;
    // A unit that could not be built (2) outranks a gate that failed (1).
    Ok(if code != 0 {
        code
    } else {
        i32::from(gate_failed)
    })
}

/// Prints what a batch or `summary` did; the exit code: 2 when a unit failed.
fn report_outcome(
    root: &Path,
    built: usize,
    failed: &[crate::batch::summary::Failed],
    summary_files: &[String],
) -> i32 {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{built} of {} units built; league table in {}: {}",
        built + failed.len(),
        root.display(),
        summary_files.join(", ")
    );
    for f in failed {
        let _ = writeln!(err, "dossier: unit {} failed: {}", f.name, f.reason);
    }
    if failed.is_empty() { 0 } else { 2 }
}

/// `summary DIR…`: the league table from the report.json files batches or shards wrote.
fn summary(
    dirs: &[PathBuf],
    output: Option<PathBuf>,
    formats: &[OutputFormat],
    config: Option<&Path>,
    previous: Option<&Path>,
    docs: &DocArgs,
) -> Result<i32, CliError> {
    use crate::batch::{self, summary::League};
    if docs.unit.is_some() {
        return Err(CliError::Usage(
            "--unit names one unit; the league table is of all units".into(),
        ));
    }
    let config = load_config(config)?;
    let templates = templates_of(docs)?;
    pipeline::labels(&templates, docs.lang.into())?;
    no_official(docs, "summary")?;
    let formats = formats_of(formats);
    let font = load_font(docs.font.as_deref(), docs.font_bold.as_deref())?;
    let batch::summary::Collected {
        digests,
        failed,
        as_of,
    } = batch::summary::collect(dirs, previous)?;
    let built = digests.len();
    let as_of = as_of
        .or_else(|| digests.first().map(|d| d.as_of.clone()))
        .unwrap_or_default();
    let league = League::new(digests, failed.clone(), &as_of);
    let root = output.unwrap_or_else(|| PathBuf::from("out"));
    let opts = pipeline::DocOptions {
        lang: docs.lang.into(),
        unit: None,
        templates: &templates,
        paper: docs.paper.into(),
        landscape: docs.landscape,
        font: &font,
        official: None,
        limits: config.limits,
    };
    let files = batch::write_summary(&league, &root, &formats, &opts)?;
    let mut failed = failed;
    failed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(report_outcome(&root, built, &failed, &files))
}
