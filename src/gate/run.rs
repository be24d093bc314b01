//! The gate during a run: [`Gate::look`] takes each unit's report as it is judged (from
//! any job of a batch, in any order) and keeps only its small results (violations,
//! JUnit suite, annotations); [`Gate::finish`] then, once every output is written,
//! orders them by unit name, writes the JUnit file whole, prints the annotations, the
//! violation lines and the count line, and appends the step summary. Reading the
//! environment and writing files happens here and nowhere else in the gate.

use super::junit::{self, Suite};
use super::{Settings, Verdict, github};
use crate::batch::summary::League;
use crate::report::Report;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What stops the gate from finishing: the JUnit file cannot be written, or sits where a
/// build would replace it.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The JUnit file (or its folder) could not be written.
    #[error("{path}: {error}")]
    Io {
        path: String,
        #[source]
        error: std::io::Error,
    },
    /// The JUnit file would be inside a folder a build replaces whole.
    #[error(
        "--junit {junit} is inside the output folder {dir}, which is replaced whole on every build; write it elsewhere"
    )]
    InsideOutput { junit: String, dir: String },
}

/// GitHub Actions as the environment says it: present when `GITHUB_ACTIONS=true`.
#[derive(Debug, Clone, Default)]
pub struct Github {
    /// `$GITHUB_STEP_SUMMARY`: the Markdown file a step appends its summary to.
    pub step_summary: Option<PathBuf>,
    /// `$GITHUB_WORKSPACE`: annotations name files relative to it.
    pub workspace: Option<PathBuf>,
}

impl Github {
    /// Reads the environment: `None` unless `GITHUB_ACTIONS` is `true`, so a run
    /// elsewhere prints no workflow commands and touches no summary file.
    pub fn from_env() -> Option<Github> {
        if std::env::var("GITHUB_ACTIONS").ok().as_deref() != Some("true") {
            return None;
        }
        let path = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Some(Github {
            step_summary: path("GITHUB_STEP_SUMMARY"),
            workspace: path("GITHUB_WORKSPACE"),
        })
    }

    /// An input's path as GitHub annotates it: relative to the workspace when it lies
    /// in it, else as given.
    fn shown(&self, path: &Path) -> String {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        match self
            .workspace
            .as_ref()
            .and_then(|w| absolute.strip_prefix(w).ok())
        {
            Some(rel) => rel.display().to_string(),
            None => path.display().to_string(),
        }
    }
}

/// What is kept of one unit until the end of the run.
struct Kept {
    verdict: Verdict,
    suite: Option<Suite>,
    annotations: Vec<String>,
}

/// What the step summary shows: one unit's summary line, or a batch's league table.
pub enum StepSummary<'a> {
    /// A single build or `check`: the unit's name and its one-line summary.
    Unit { name: &'a str, line: &'a str },
    /// A project build: its league table.
    League(&'a League),
}

/// The gate of one run, shared by the jobs of a batch.
pub struct Gate {
    settings: Settings,
    junit: Option<PathBuf>,
    github: Option<Github>,
    kept: Mutex<Vec<Kept>>,
    failed: Mutex<Vec<Suite>>,
}

impl Gate {
    /// A gate with these settings, writing JUnit to `junit` when given, and doing what a
    /// GitHub Actions run adds when `github` is given ([`Github::from_env`]).
    pub fn new(settings: Settings, junit: Option<PathBuf>, github: Option<Github>) -> Gate {
        Gate {
            settings,
            junit,
            github,
            kept: Mutex::new(Vec::new()),
            failed: Mutex::new(Vec::new()),
        }
    }

    /// True when the gate has anything to do; a run without gate flags outside GitHub
    /// Actions skips it entirely.
    pub fn is_active(&self) -> bool {
        self.settings.is_set() || self.junit.is_some() || self.github.is_some()
    }

    /// Refuses a JUnit file inside a folder a build replaces whole (it would be deleted,
    /// or make the next build refuse the folder).
    pub fn refuse_inside(&self, dir: &Path) -> Result<(), GateError> {
        let Some(junit) = &self.junit else {
            return Ok(());
        };
        let resolve = |p: &Path| {
            std::fs::canonicalize(p)
                .or_else(|_| std::path::absolute(p))
                .unwrap_or_else(|_| p.to_path_buf())
        };
        let file = match (junit.parent(), junit.file_name()) {
            (Some(parent), Some(name)) => {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                resolve(parent).join(name)
            }
            _ => resolve(junit),
        };
        if file.starts_with(resolve(dir)) {
            return Err(GateError::InsideOutput {
                junit: junit.display().to_string(),
                dir: dir.display().to_string(),
            });
        }
        Ok(())
    }

    /// Takes one unit's report: `unit` is its name in lines and suites, `inputs` its
    /// workbooks (as `report.json` names them, and as given) for annotations. Safe to
    /// call from every job of a batch at once.
    pub fn look(&self, unit: &str, report: &Report<'_>, inputs: &[(String, PathBuf)]) {
        let verdict = Verdict {
            unit: unit.to_string(),
            violations: super::evaluate(report, &self.settings),
        };
        let suite = self.junit.is_some().then(|| junit::suite(unit, report));
        let annotations = match &self.github {
            None => Vec::new(),
            Some(gh) => {
                let path_of = |name: &str| {
                    inputs
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or_else(|| name.to_string(), |(_, p)| gh.shown(p))
                };
                github::annotations(unit, report, &path_of)
            }
        };
        let kept = Kept {
            verdict,
            suite,
            annotations,
        };
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(kept);
    }

    /// Notes a unit of a batch that could not be built: it gets a suite in error in the
    /// JUnit file, and whatever [`Gate::look`] kept of it is dropped (its folder was
    /// never written, so its report is not the run's word).
    pub fn unit_failed(&self, unit: &str, reason: &str, as_of: &str) {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k| k.verdict.unit != unit);
        if self.junit.is_some() {
            self.failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(junit::failed_suite(unit, reason, as_of));
        }
    }

    /// Ends the run's gate, after every other output is written: the JUnit file (whole
    /// or not at all), the annotations (to stdout, or stderr when `annotations_to_stderr`
    /// as stdout carries JSON), the violation lines and the count line on stderr, and
    /// the step summary. Returns true when the gate failed the run (exit 1).
    pub fn finish(
        self,
        summary: StepSummary<'_>,
        annotations_to_stderr: bool,
    ) -> Result<bool, GateError> {
        let mut kept = self.kept.into_inner().unwrap_or_else(|e| e.into_inner());
        kept.sort_by(|a, b| a.verdict.unit.cmp(&b.verdict.unit));
        if let Some(path) = &self.junit {
            let mut suites: Vec<Suite> = kept.iter().filter_map(|k| k.suite.clone()).collect();
            suites.extend(self.failed.into_inner().unwrap_or_else(|e| e.into_inner()));
            suites.sort_by(|a, b| a.name.cmp(&b.name));
            write_atomically(path, junit::document(&suites).as_bytes())?;
        }
        let commands: String = kept
            .iter()
            .flat_map(|k| &k.annotations)
            .map(|a| format!("{a}\n"))
            .collect();
        if !commands.is_empty() {
            if annotations_to_stderr {
                let _ = std::io::stderr().lock().write_all(commands.as_bytes());
            } else {
                let _ = std::io::stdout().lock().write_all(commands.as_bytes());
            }
        }
        let verdicts: Vec<Verdict> = kept.into_iter().map(|k| k.verdict).collect();
        let mut total = None;
        if self.settings.is_set() {
            let mut text = String::new();
            for v in &verdicts {
                for violation in &v.violations {
                    text.push_str(&super::line(&v.unit, violation));
                    text.push('\n');
                }
            }
            let last = super::total_line(&verdicts);
            text.push_str(&last);
            text.push('\n');
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            total = Some(last);
        }
        if let Some(file) = self.github.as_ref().and_then(|g| g.step_summary.as_ref()) {
            let gate = total.as_deref();
            let markdown = match summary {
                StepSummary::Unit { name, line } => github::unit_summary(name, line, gate),
                StepSummary::League(league) => github::league_summary(league, gate),
            };
            let appended = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(file)
                .and_then(|mut f| f.write_all(markdown.as_bytes()));
            if let Err(e) = appended {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "{}",
                    crate::msg!(
                        "dossier: warning: {}: cannot append the step summary: {e}",
                        file.display()
                    )
                );
            }
        }
        Ok(verdicts.iter().any(|v| !v.violations.is_empty()))
    }
}

/// Writes a file whole or not at all: a temporary file beside it, synced, renamed over
/// it. Its folder is made when missing.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), GateError> {
    let io = |error| GateError::Io {
        path: path.display().to_string(),
        error,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    if path.is_dir() {
        return Err(io(std::io::Error::other(
            "a folder is in the way of this output file",
        )));
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
