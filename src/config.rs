//! The project config (`dossier.toml`): settings an office fixes once for all runs,
//! such as its own status words. Parsing is pure; the CLI finds and reads the file.

use crate::evidence::Period;
use crate::ingest::status::{Vocabulary, default_credit};
use crate::model::StatusClass;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The file name looked for in the current folder when `--config` is not given.
pub const FILE_NAME: &str = "dossier.toml";

/// The most characters a unit's `name` or `display` may have. Names of units are short
/// (广东省东莞市清溪镇安全生产委员会办公室 has 19); a display name runs through every
/// document's title, header and metadata, and one of a megabyte took minutes to lay out.
pub const UNIT_NAME_CHARS: usize = 200;

/// The project config, checked.
#[derive(Debug, Default)]
pub struct Config {
    /// The as-of date when `--as-of` is not given.
    pub as_of: Option<NaiveDate>,
    /// Extra status terms per class: `[statuses] done = ["已验收"]`.
    pub statuses: BTreeMap<StatusClass, Vec<String>>,
    /// The evidence folder and how to read it.
    pub evidence: EvidenceConfig,
    /// `[limits]`: bounds on what input may make dossier do.
    pub limits: crate::limits::Limits,
    /// The project's units, as written (`units = "towns/*"` and `[[unit]]` tables);
    /// [`crate::batch::project`] resolves them against the config file's folder.
    pub units: UnitsConfig,
    /// `templates = "DIR"`: the project's templates, laid over the built-in ones when
    /// `--templates` is not given, so a project's edited templates need no flag. As
    /// written, relative to the config file: whoever reads the file joins it to the
    /// file's folder.
    pub templates: Option<PathBuf>,
}

/// The units a project names: a folder pattern, tables, or both. Kept as written here
/// (parsing stays pure); globbing happens when a batch is built.
#[derive(Debug, Default, Clone)]
pub struct UnitsConfig {
    /// `units = "towns/*"`: every folder the pattern matches is a unit.
    pub pattern: Option<String>,
    /// `[[unit]]` tables, in file order.
    pub tables: Vec<UnitTable>,
}

/// One `[[unit]]` table: a unit named explicitly with its inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitTable {
    /// The unit's name: its output folder `out/<name>/` and what `--only` picks.
    pub name: String,
    /// Globs of its workbooks, relative to the config file (one string or a list).
    pub inputs: OneOrMany,
    /// Its evidence folder, relative to the config file.
    pub evidence: Option<String>,
    /// The name its documents say (as `--unit`), when the sheet titles do not say it well.
    pub display: Option<String>,
}

/// A string or a list of strings, as `inputs` may be written either way.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// `inputs = "a/*.xlsx"`.
    One(String),
    /// `inputs = ["a.xlsx", "b/*.csv"]`.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings, in the order written.
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
}

/// `evidence = "DIR"`, or an `[evidence]` table: where the evidence folder is and how
/// its names map to sets and items.
#[derive(Debug, Default, Clone)]
pub struct EvidenceConfig {
    /// The folder, relative to the current folder (`evidence = "…"` or `[evidence] dir`).
    pub dir: Option<PathBuf>,
    /// `period = "2026-01-01..2026-12-15"`.
    pub period: Option<Period>,
    /// `[evidence.sets]`: folder name → set name.
    pub sets: BTreeMap<String, String>,
    /// `[evidence.aliases]`: item → extra words.
    pub aliases: BTreeMap<String, Vec<String>>,
}

/// The `[evidence]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    dir: Option<String>,
    period: Option<String>,
    #[serde(default)]
    sets: BTreeMap<String, String>,
    #[serde(default)]
    aliases: BTreeMap<String, Vec<String>>,
}

/// `evidence` is a folder name or a table.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawEvidenceKey {
    Dir(String),
    Table(RawEvidence),
}

/// What `dossier.toml` may say, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// `as_of = 2026-12-15` (a TOML date) or `as_of = "2026-12-15"`.
    as_of: Option<toml::Value>,
    #[serde(default)]
    statuses: BTreeMap<String, Vec<String>>,
    evidence: Option<RawEvidenceKey>,
    #[serde(default)]
    limits: crate::limits::RawLimits,
    /// `units = "towns/*"`.
    units: Option<String>,
    /// `[[unit]]` tables.
    #[serde(default)]
    unit: Vec<UnitTable>,
    /// `templates = "templates"`.
    templates: Option<String>,
}

/// A config that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Syntax(String),
    #[error(
        "[statuses] has an unknown class {0:?}; classes are done, ongoing, partial, not_started, not_applicable"
    )]
    UnknownClass(String),
    #[error("[evidence] period: {0}")]
    Period(String),
    /// A unit's `name` or `display` longer than [`UNIT_NAME_CHARS`].
    #[error(
        "[[unit]] {unit:?}: {key} is {chars} characters, more than the {UNIT_NAME_CHARS} a unit's name may have"
    )]
    UnitNameTooLong {
        /// The unit's name, its first 40 characters when it is the long one.
        unit: String,
        key: &'static str,
        chars: usize,
    },
}

/// Refuses a unit whose `name` or `display` is longer than [`UNIT_NAME_CHARS`].
fn check_unit_names(t: &UnitTable) -> Result<(), ConfigError> {
    let short: String = t.name.chars().take(40).collect();
    let unit = if short.len() < t.name.len() {
        format!("{short}…")
    } else {
        short
    };
    for (key, text) in [("name", Some(&t.name)), ("display", t.display.as_ref())] {
        let chars = text.map_or(0, |x| x.chars().count());
        if chars > UNIT_NAME_CHARS {
            return Err(ConfigError::UnitNameTooLong { unit, key, chars });
        }
    }
    Ok(())
}

impl Config {
    /// Parses the text of a config file.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.message().to_string()))?;
        let mut statuses = BTreeMap::new();
        for (class, terms) in raw.statuses {
            match StatusClass::from_key(&class) {
                Some(StatusClass::Unknown) | None => return Err(ConfigError::UnknownClass(class)),
                Some(c) => {
                    statuses.insert(c, terms);
                }
            }
        }
        for t in &raw.unit {
            check_unit_names(t)?;
        }
        let as_of = match raw.as_of {
            None => None,
            Some(value) => {
                let text = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Datetime(d) => d.to_string(),
                    other => other.to_string(),
                };
                Some(NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                    ConfigError::Syntax(format!("as_of {text:?} is not a YYYY-MM-DD date"))
                })?)
            }
        };
        let evidence = match raw.evidence {
            None => EvidenceConfig::default(),
            Some(RawEvidenceKey::Dir(dir)) => EvidenceConfig {
                dir: Some(PathBuf::from(dir)),
                ..EvidenceConfig::default()
            },
            Some(RawEvidenceKey::Table(t)) => EvidenceConfig {
                dir: t.dir.map(PathBuf::from),
                period: match t.period {
                    None => None,
                    Some(p) => {
                        Some(Period::parse(&p).map_err(|e| ConfigError::Period(e.to_string()))?)
                    }
                },
                sets: t.sets,
                aliases: t.aliases,
            },
        };
        Ok(Config {
            as_of,
            statuses,
            evidence,
            limits: raw.limits.resolve(),
            units: UnitsConfig {
                pattern: raw.units,
                tables: raw.unit,
            },
            templates: raw.templates.map(PathBuf::from),
        })
    }

    /// The built-in status vocabulary extended with this config's terms.
    pub fn vocabulary(&self) -> Vocabulary {
        let mut v = Vocabulary::default();
        for (class, terms) in &self.statuses {
            for t in terms {
                v.push(t, *class, default_credit(*class));
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::status::Classified;

    #[test]
    fn config_terms_extend_the_vocabulary() {
        let c = Config::parse("as_of = 2026-12-15\n[statuses]\ndone = [\"已验收\"]\n").unwrap();
        assert_eq!(c.as_of, NaiveDate::from_ymd_opt(2026, 12, 15));
        match c.vocabulary().classify("已验收，待归档") {
            Classified::Known(s) => assert_eq!(s.class, StatusClass::Done),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn evidence_is_a_folder_or_a_table() {
        let c = Config::parse("evidence = \"材料\"\n").unwrap();
        assert_eq!(c.evidence.dir, Some(PathBuf::from("材料")));
        let c = Config::parse(
            "[evidence]\ndir = \"m\"\nperiod = \"2026-01-01..2026-06-30\"\n[evidence.sets]\n\"市级\" = \"市78条\"\n[evidence.aliases]\n\"值班表\" = [\"排班\"]\n",
        )
        .unwrap();
        assert_eq!(c.evidence.sets["市级"], "市78条");
        assert_eq!(c.evidence.aliases["值班表"], ["排班"]);
        assert_eq!(
            c.evidence.period.map(|p| p.to),
            NaiveDate::from_ymd_opt(2026, 6, 30)
        );
        assert!(Config::parse("[evidence]\nperiod = \"x\"\n").is_err());
    }

    #[test]
    fn limits_default_and_override() {
        let c = Config::parse("[limits]\ncell_chars = 100\n").unwrap();
        assert_eq!(c.limits.cell_chars, 100);
        assert_eq!(c.limits.sheets_per_workbook, 1_000);
        assert!(Config::parse("[limits]\nno_such = 1\n").is_err());
    }

    #[test]
    fn units_are_a_pattern_and_tables() {
        let c = Config::parse(
            "units = \"towns/*\"\n[[unit]]\nname = \"a\"\ninputs = \"a/*.xlsx\"\n[[unit]]\nname = \"b\"\ninputs = [\"b.xlsx\", \"b.csv\"]\nevidence = \"b/材料\"\ndisplay = \"乙镇\"\n",
        )
        .unwrap();
        assert_eq!(c.units.pattern.as_deref(), Some("towns/*"));
        assert_eq!(c.units.tables[0].inputs.as_slice(), ["a/*.xlsx"]);
        assert_eq!(c.units.tables[1].inputs.as_slice(), ["b.xlsx", "b.csv"]);
        assert_eq!(c.units.tables[1].display.as_deref(), Some("乙镇"));
        assert!(Config::parse("[[unit]]\nname = \"a\"\ninputs = \"x\"\nfolder = \"y\"\n").is_err());
    }

    #[test]
    fn a_unit_name_or_display_name_past_the_bound_is_refused() {
        let display = "镇".repeat(UNIT_NAME_CHARS);
        let ok = format!("[[unit]]\nname = \"a\"\ninputs = \"x\"\ndisplay = \"{display}\"\n");
        assert!(Config::parse(&ok).is_ok());
        let long = format!("[[unit]]\nname = \"a\"\ninputs = \"x\"\ndisplay = \"{display}镇\"\n");
        assert_eq!(
            Config::parse(&long).unwrap_err().to_string(),
            "[[unit]] \"a\": display is 201 characters, more than the 200 a unit's name may have"
        );
        let name = "n".repeat(1000);
        let long = format!("[[unit]]\nname = \"{name}\"\ninputs = \"x\"\n");
        let err = Config::parse(&long).unwrap_err().to_string();
        assert!(
            err.ends_with("…\": name is 1000 characters, more than the 200 a unit's name may have"),
            "{err}"
        );
    }

    #[test]
    fn templates_is_kept_as_written() {
        let c = Config::parse("templates = \"模板\"\n").unwrap();
        assert_eq!(c.templates, Some(PathBuf::from("模板")));
        assert_eq!(Config::parse("").unwrap().templates, None);
        assert!(Config::parse("templates = 1\n").is_err());
    }

    #[test]
    fn unknown_class_is_refused() {
        let err = Config::parse("[statuses]\nfinished = [\"x\"]\n").unwrap_err();
        assert!(err.to_string().contains("\"finished\""));
    }
}
