//! The one error type every command returns: each library error it may meet, plus
//! usage mistakes, so `cli` has a single thing to print as `dossier: …` and exit 2 on.

use crate::config;
use crate::ingest;
use crate::pipeline::PipelineError;
use crate::render::{self, RenderError, templates::TemplateError};

/// A failure that stops a command: printed as `dossier: …`, exit 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An input workbook that cannot be read.
    #[error(transparent)]
    Input(#[from] ingest::FileError),
    /// A project config that cannot be used; `path` names it.
    #[error("{path}: {error}")]
    Config {
        /// The config file, as given or found.
        path: String,
        /// What is wrong with it.
        error: config::ConfigError,
    },
    /// A file or folder the command itself reads or writes.
    #[error("{path}: {error}")]
    Io {
        /// The file or folder, as shown to the user.
        path: String,
        /// What the system said; its source, so the hint after it can find it.
        #[source]
        error: std::io::Error,
    },
    /// A template folder or template that cannot be used.
    #[error(transparent)]
    Templates(#[from] TemplateError),
    /// A document that cannot be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A PDF font that cannot be loaded.
    #[error(transparent)]
    Font(#[from] render::pdf::font::FontError),
    /// The one-unit pipeline failed.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The evidence folder cannot be used.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    /// The pack cannot be made.
    #[error(transparent)]
    Pack(#[from] crate::pack::PackError),
    /// The pack to verify cannot be read.
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    /// An output cannot be written where it was asked for.
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    /// Flags that do not go together, or a missing input.
    #[error("{0}")]
    Usage(String),
    /// The units of a project cannot be resolved.
    #[error(transparent)]
    Project(#[from] crate::batch::project::ProjectError),
    /// A project build failed as a whole.
    #[error(transparent)]
    Batch(#[from] crate::batch::BatchError),
    /// The output folders `summary` joins cannot be read.
    #[error(transparent)]
    Collect(#[from] crate::batch::summary::CollectError),
    /// The two snapshots of `diff` cannot be compared.
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    /// The department sheets cannot be written.
    #[error(transparent)]
    Split(#[from] crate::split::SplitError),
    /// The CI gate's reports cannot be written.
    #[error(transparent)]
    Gate(#[from] crate::gate::run::GateError),
    /// The returned sheets cannot be merged.
    #[error(transparent)]
    Merge(#[from] crate::merge::run::MergeError),
    /// A signing key cannot be made, read or used.
    #[error(transparent)]
    Signature(#[from] crate::signature::SignatureError),
}

impl CliError {
    /// This error as the user reads it: in `lang` (the library's English matched back to
    /// its template, see [`crate::messages::errors`]), and for a file that is not there,
    /// the name in its folder it was probably meant to be.
    pub fn localized(&self, lang: crate::render::Lang) -> String {
        let mut text = crate::messages::errors::translate(&self.to_string(), lang);
        if let Some(hint) = crate::io_hint::hint_of(self) {
            text.push_str(&crate::messages::text(lang, "hint.separator", &[]));
            text.push_str(&crate::messages::errors::translate(hint, lang));
        }
        let nearest = self
            .missing_path()
            .and_then(crate::messages::io::nearest_name);
        if let Some(name) = nearest {
            text.push_str(&crate::messages::text(
                lang,
                "hint.did_you_mean",
                &[("name", &crate::model::visible(&name))],
            ));
        }
        text
    }

    /// The path of a file or folder that was not found.
    fn missing_path(&self) -> Option<&std::path::Path> {
        let (path, error) = match self {
            CliError::Input(ingest::FileError {
                file,
                error: ingest::InputError::Io(error),
            })
            | CliError::Pipeline(PipelineError::Input(ingest::FileError {
                file,
                error: ingest::InputError::Io(error),
            })) => (file, error),
            CliError::Io { path, error } => (path, error),
            _ => return None,
        };
        (error.kind() == std::io::ErrorKind::NotFound).then(|| std::path::Path::new(path.as_str()))
    }
}
