//! The units of a project: `units = "towns/*"` (every folder a unit) and `[[unit]]`
//! tables in `dossier.toml`, resolved against the config file's folder into a list of
//! units with their inputs; `--only` picks among them and `--shard K/N` takes a
//! deterministic, balanced share. A unit whose inputs cannot be found is still a unit
//! (it fails when built, without stopping the others); only a project that cannot be
//! read at all is an error here.

use crate::config::UnitsConfig;
use std::path::{Path, PathBuf};

/// File extensions read as workbooks in a unit folder (`units = "…/*"`).
pub const WORKBOOK_EXTENSIONS: [&str; 7] = ["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "tsv"];

/// The folder inside a unit folder that is its evidence folder, when present.
pub const EVIDENCE_FOLDER: &str = "evidence";

/// One unit of a project, resolved: what `dossier build INPUTS --evidence DIR --unit
/// DISPLAY -o out/NAME` would be given for it alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDef {
    /// The unit's name: its output folder under the batch's root and its row in the
    /// league table.
    pub name: String,
    /// Its workbooks, in order (empty when nothing matched: the unit then fails).
    pub inputs: Vec<PathBuf>,
    /// Why no inputs were found, said when the unit is built.
    pub missing: Option<String>,
    /// Its evidence folder.
    pub evidence: Option<PathBuf>,
    /// The name its documents say, as `--unit` would.
    pub display: Option<String>,
}

impl UnitDef {
    /// The inputs' total size in bytes (0 for what cannot be read): the weight a shard
    /// balances, as reading and rendering grow with the workbooks.
    pub fn weight(&self) -> u64 {
        self.inputs
            .iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
            .sum()
    }
}

/// A project's units that cannot be resolved: said once, before anything is built.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// A pattern glob cannot parse.
    #[error("{config}: {what} {pattern:?} is not a valid glob: {error}")]
    Pattern {
        config: String,
        what: &'static str,
        pattern: String,
        error: String,
    },
    /// A unit's name cannot be a folder name.
    #[error(
        "{config}: unit name {name:?} cannot name an output folder (no /, \\, leading dot or control characters)"
    )]
    BadName { config: String, name: String },
    /// Two units share a name, so would share an output folder.
    #[error("{config}: two units are named {name:?}; each unit needs a name of its own")]
    Duplicate { config: String, name: String },
    /// `--only` names a unit the project does not have.
    #[error("--only: no unit named {name:?} in {config}; its units are {known}")]
    Unknown {
        config: String,
        name: String,
        known: String,
    },
    /// `--shard` is not `K/N` with 1 ≤ K ≤ N.
    #[error("--shard {0:?}: give K/N with 1 ≤ K ≤ N, e.g. --shard 2/3")]
    Shard(String),
}

/// The config file's folder as a prefix for its relative paths: `""` for the current
/// folder, so paths stay as written (`towns/a/x.xlsx`, not `./towns/a/x.xlsx`) and a
/// unit's documents equal those of building it alone with the same relative paths.
pub fn base_of(config_path: &Path) -> PathBuf {
    config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Whether `name` can be an output folder's name on every system (and so names no
/// folder outside the one it is joined to).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.trim().is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// A glob's matches, sorted by path (the file system's order is not deterministic).
fn expand(
    base: &Path,
    pattern: &str,
    config: &str,
    what: &'static str,
) -> Result<Vec<PathBuf>, ProjectError> {
    let full = base.join(pattern);
    let text = full.to_string_lossy();
    let paths = glob::glob(&text).map_err(|e| ProjectError::Pattern {
        config: config.to_string(),
        what,
        pattern: pattern.to_string(),
        error: e.msg.to_string(),
    })?;
    let mut found: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    found.sort();
    Ok(found)
}

/// The workbooks directly inside a unit folder, by name; lock files Office leaves
/// (`~$…`) and hidden files are not workbooks.
fn workbooks_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            !name.starts_with('.')
                && !name.starts_with("~$")
                && WORKBOOK_EXTENSIONS.contains(&ext.as_str())
        })
        .collect();
    found.sort();
    found
}

/// Resolves the project's units against `base` (the config file's folder), sorted by
/// name. `config` names the file in messages.
pub fn resolve(
    units: &UnitsConfig,
    base: &Path,
    config: &str,
) -> Result<Vec<UnitDef>, ProjectError> {
    let mut out: Vec<UnitDef> = Vec::new();
    if let Some(pattern) = &units.pattern {
        for dir in expand(base, pattern, config, "units")? {
            if !dir.is_dir() {
                continue;
            }
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let inputs = workbooks_in(&dir);
            let evidence = Some(dir.join(EVIDENCE_FOLDER)).filter(|e| e.is_dir());
            out.push(UnitDef {
                missing: inputs
                    .is_empty()
                    .then(|| format!("{}: no workbook in this unit folder", dir.display())),
                name,
                inputs,
                evidence,
                display: None,
            });
        }
    }
    for t in &units.tables {
        let mut inputs: Vec<PathBuf> = Vec::new();
        for pattern in t.inputs.as_slice() {
            for p in expand(base, pattern, config, "inputs")? {
                if p.is_file() && !inputs.contains(&p) {
                    inputs.push(p);
                }
            }
        }
        out.push(UnitDef {
            missing: inputs.is_empty().then(|| {
                format!(
                    "no file matches its inputs {}",
                    t.inputs
                        .as_slice()
                        .iter()
                        .map(|p| format!("{p:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
            name: t.name.clone(),
            inputs,
            evidence: t.evidence.as_ref().map(|e| base.join(e)),
            display: t.display.clone(),
        });
    }
    for u in &out {
        if !valid_name(&u.name) {
            return Err(ProjectError::BadName {
                config: config.to_string(),
                name: u.name.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = out.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(ProjectError::Duplicate {
            config: config.to_string(),
            name: w[0].name.clone(),
        });
    }
    Ok(out)
}

/// The units `--only` names (all when `only` is empty), in name order.
pub fn pick(
    units: Vec<UnitDef>,
    only: &[String],
    config: &str,
) -> Result<Vec<UnitDef>, ProjectError> {
    if only.is_empty() {
        return Ok(units);
    }
    for name in only {
        if !units.iter().any(|u| &u.name == name) {
            const SHOWN: usize = 20;
            let mut known: Vec<&str> = units.iter().take(SHOWN).map(|u| u.name.as_str()).collect();
            if units.len() > SHOWN {
                known.push("…");
            }
            return Err(ProjectError::Unknown {
                config: config.to_string(),
                name: name.clone(),
                known: known.join(", "),
            });
        }
    }
    Ok(units
        .into_iter()
        .filter(|u| only.contains(&u.name))
        .collect())
}

/// `--shard K/N`, checked: (K, N) with 1 ≤ K ≤ N.
pub fn parse_shard(text: &str) -> Result<(usize, usize), ProjectError> {
    let bad = || ProjectError::Shard(text.to_string());
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let k: usize = k.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// Shard `k` of `n` (1-based): the units are dealt heaviest first (by input bytes, ties
/// by name) each to the shard with the least weight so far (ties to the lowest shard).
/// Every shard job computes the same deal from the same files, so the shards never
/// overlap and together hold every unit; the weights balance the time, not just the
/// count. Returned in name order.
pub fn shard(units: Vec<UnitDef>, k: usize, n: usize) -> Vec<UnitDef> {
    let mut weighed: Vec<(u64, UnitDef)> = units.into_iter().map(|u| (u.weight(), u)).collect();
    weighed.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    let mut load = vec![(0u64, 0usize); n];
    let mut mine = Vec::new();
    for (w, u) in weighed {
        let (slot, _) = load
            .iter()
            .enumerate()
            .min_by_key(|(i, (total, count))| (*total, *count, *i))
            .expect("n ≥ 1");
        load[slot].0 += w;
        load[slot].1 += 1;
        if slot + 1 == k {
            mine.push(u);
        }
    }
    mine.sort_by(|a, b| a.name.cmp(&b.name));
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str) -> UnitDef {
        UnitDef {
            name: name.into(),
            inputs: vec![],
            missing: None,
            evidence: None,
            display: None,
        }
    }

    #[test]
    fn shards_partition_the_units_evenly() {
        let units: Vec<UnitDef> = (0..10).map(|i| unit(&format!("u{i}"))).collect();
        let mut all = Vec::new();
        for k in 1..=3 {
            let s = shard(units.clone(), k, 3);
            assert!((3..=4).contains(&s.len()), "{k}: {}", s.len());
            all.extend(s.into_iter().map(|u| u.name));
        }
        all.sort();
        let mut names: Vec<String> = units.into_iter().map(|u| u.name).collect();
        names.sort();
        assert_eq!(all, names);
    }

    #[test]
    fn shard_and_names_are_checked() {
        assert_eq!(parse_shard("2/3").unwrap(), (2, 3));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
        for bad in ["", ".x", "a/b", "a\\b", " "] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert!(valid_name("清溪镇"));
    }
}
