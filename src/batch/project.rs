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
    /// A glob would read more files and folders than `limits.max_files` (pointed at
    /// `/`, it would walk the whole machine).
    #[error(
        "{config}: {what} {pattern:?} reaches more than {limit} files and folders (limits.max_files); point it at the units' own folders"
    )]
    TooMany {
        config: String,
        what: &'static str,
        pattern: String,
        limit: u64,
    },
    /// A unit's name cannot be a folder name.
    #[error(
        "{config}: unit name {name:?} cannot name an output folder (no /, \\, leading dot or control characters)"
    )]
    BadName { config: String, name: String },
    /// A unit's name that Windows cannot give a folder (a device name, a refused
    /// character, a trailing dot or space): refused on every platform, so a project
    /// that builds on Linux builds on the office's Windows PCs too.
    #[error("{config}: unit name {name:?} cannot name a folder on Windows: {rule}; rename it")]
    WindowsName {
        config: String,
        name: String,
        rule: crate::model::names::WindowsRule,
    },
    /// Two units whose names differ only in case: one folder on Windows and macOS, where
    /// the second build would replace the first.
    #[error(
        "{config}: units {first:?} and {second:?} differ only in case, so they would share one output folder on Windows; give each unit a name of its own"
    )]
    CaseTwins {
        config: String,
        first: String,
        second: String,
    },
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

/// A glob's matches, sorted by path (the file system's order is not deterministic). The
/// folders glob would read are counted first, so a pattern reaching past `max_files`
/// files and folders is refused before glob walks it.
fn expand(
    base: &Path,
    pattern: &str,
    config: &str,
    what: &'static str,
    max_files: u64,
) -> Result<Vec<PathBuf>, ProjectError> {
    let full = base.join(pattern);
    let text = full.to_string_lossy();
    let bad = |e: glob::PatternError| ProjectError::Pattern {
        config: config.to_string(),
        what,
        pattern: pattern.to_string(),
        error: e.msg.to_string(),
    };
    glob::Pattern::new(&text).map_err(bad)?;
    if !within_reach(&full, max_files) {
        return Err(ProjectError::TooMany {
            config: config.to_string(),
            what,
            pattern: pattern.to_string(),
            limit: max_files,
        });
    }
    let paths = glob::glob(&text).map_err(bad)?;
    let mut found: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    found.sort();
    Ok(found)
}

/// Whether a pattern component holds wildcards (what makes glob read a folder).
fn is_wild(component: &str) -> bool {
    component.contains(['*', '?', '[', ']'])
}

/// Whether the folders glob reads for `pattern` hold at most `max_files` entries
/// together, found by reading them (glob reads them all before it yields a match, so it
/// cannot be stopped part way). Up to the first wildcard the path is followed as written.
/// After it, each component's matches are read in turn, as glob does; a `**` (or a `..`
/// after a wildcard) reads every folder below, links followed as glob follows them, so
/// `/**` is counted until it passes the bound, never walked to its end.
fn within_reach(pattern: &Path, max_files: u64) -> bool {
    let mut start = PathBuf::new();
    let mut rest: Vec<String> = Vec::new();
    for c in pattern.components() {
        let text = c.as_os_str().to_string_lossy();
        if rest.is_empty() && !is_wild(&text) {
            start.push(c.as_os_str());
        } else {
            rest.push(text.into_owned());
        }
    }
    if start.as_os_str().is_empty() {
        start = PathBuf::from(".");
    }
    let mut seen = 0u64;
    // A folder's entries, each counted; `None` once the bound is passed.
    let mut read = |dir: &Path| -> Option<Vec<PathBuf>> {
        let mut entries = Vec::new();
        let Ok(listing) = std::fs::read_dir(dir) else {
            return Some(entries);
        };
        for entry in listing {
            seen += 1;
            if seen > max_files {
                return None;
            }
            if let Ok(entry) = entry {
                entries.push(entry.path());
            }
        }
        Some(entries)
    };
    if rest.iter().any(|c| c == "**" || c == "..") {
        // Everything below the start, or below the folder the `..`s climb to.
        let mut top = start;
        for _ in rest.iter().filter(|c| *c == "..") {
            top.push("..");
        }
        let mut todo = vec![top];
        while let Some(dir) = todo.pop() {
            let Some(entries) = read(&dir) else {
                return false;
            };
            todo.extend(entries.into_iter().filter(|p| p.is_dir()));
        }
        return true;
    }
    let mut todo = vec![(start, 0usize)];
    while let Some((dir, i)) = todo.pop() {
        let Some(component) = rest.get(i) else {
            continue;
        };
        let last = i + 1 == rest.len();
        if !is_wild(component) {
            let next = dir.join(component);
            if !last && next.is_dir() {
                todo.push((next, i + 1));
            }
            continue;
        }
        let Some(entries) = read(&dir) else {
            return false;
        };
        if last {
            continue;
        }
        let Ok(matcher) = glob::Pattern::new(component) else {
            continue;
        };
        for entry in entries {
            let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if matcher.matches(name) && entry.is_dir() {
                todo.push((entry, i + 1));
            }
        }
    }
    true
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
/// name. `config` names the file in messages; a glob reaching past `max_files` files and
/// folders (`limits.max_files`) is refused.
pub fn resolve(
    units: &UnitsConfig,
    base: &Path,
    config: &str,
    max_files: u64,
) -> Result<Vec<UnitDef>, ProjectError> {
    let mut out: Vec<UnitDef> = Vec::new();
    if let Some(pattern) = &units.pattern {
        for dir in expand(base, pattern, config, "units", max_files)? {
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
            for p in expand(base, pattern, config, "inputs", max_files)? {
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
        if let Some(rule) = crate::model::names::windows_rule(&u.name) {
            return Err(ProjectError::WindowsName {
                config: config.to_string(),
                name: u.name.clone(),
                rule,
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
    refuse_case_twins(&out, config)?;
    Ok(out)
}

/// Refuses two units (sorted by name, no two the same) whose names differ only in case,
/// naming the first such pair in name order.
fn refuse_case_twins(units: &[UnitDef], config: &str) -> Result<(), ProjectError> {
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for u in units {
        if let Some(first) = seen.insert(crate::model::names::case_key(&u.name), &u.name) {
            return Err(ProjectError::CaseTwins {
                config: config.to_string(),
                first: first.to_string(),
                second: u.name.clone(),
            });
        }
    }
    Ok(())
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
