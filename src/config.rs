//! The project config (`dossier.toml`): settings an office fixes once for all runs,
//! such as its own status words. Parsing is pure; the CLI finds and reads the file.

use crate::ingest::status::{Vocabulary, default_credit};
use crate::model::StatusClass;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The file name looked for in the current folder when `--config` is not given.
pub const FILE_NAME: &str = "dossier.toml";

/// The project config, checked.
#[derive(Debug, Default)]
pub struct Config {
    /// The as-of date when `--as-of` is not given.
    pub as_of: Option<NaiveDate>,
    /// Extra status terms per class: `[statuses] done = ["已验收"]`.
    pub statuses: BTreeMap<StatusClass, Vec<String>>,
}

/// What `dossier.toml` may say, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// `as_of = 2026-12-15` (a TOML date) or `as_of = "2026-12-15"`.
    as_of: Option<toml::Value>,
    #[serde(default)]
    statuses: BTreeMap<String, Vec<String>>,
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
        Ok(Config { as_of, statuses })
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
    fn unknown_class_is_refused() {
        let err = Config::parse("[statuses]\nfinished = [\"x\"]\n").unwrap_err();
        assert!(err.to_string().contains("\"finished\""));
    }
}
