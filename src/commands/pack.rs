//! `dossier pack`: the pack handed to inspectors, a zip or a folder with the index,
//! the documents, every evidence file, the bound binders and the manifests (optionally
//! signed) that `dossier verify` checks.

use super::args::{DocArgs, InputArgs};
use super::common::{
    doc_options, input_paths, load_config, read_with, require_inputs, summary_line, templates_of,
    warn_missing_glyphs,
};
use super::error::CliError;
use super::fonts::{OfficialFonts, load_font};
use crate::pack::{PackError, Target};
use crate::pipeline;
use std::io::Write;
use std::path::PathBuf;

/// The flags of `pack`.
#[derive(Debug, clap::Args)]
pub struct PackArgs {
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
    pub(crate) docs: DocArgs,
}

/// Packs one unit with its evidence folder.
pub fn run(args: &PackArgs) -> Result<i32, CliError> {
    let PackArgs {
        input,
        output,
        folder,
        sign,
        allow_changing,
        docs,
    } = args;
    require_inputs(input)?;
    // The key first: a wrong password should not cost a whole pack's work.
    let key = match sign.as_deref() {
        Some(path) => Some(crate::signature::SecretKey::from_file(
            path,
            &crate::signature::Password::FromEnvOrTerminal,
        )?),
        None => None,
    };
    // Read first for its `templates`; a config that cannot be used still fails below,
    // where it always has.
    let config = load_config(input.config.as_deref());
    let templates = templates_of(docs.templates.as_deref(), config.as_ref().ok())?;
    pipeline::labels(&templates, docs.lang.into())?;
    let first_stem = pipeline::first_stem(&input.inputs);
    let zip_path = output
        .clone()
        .unwrap_or_else(|| pipeline::default_output_named(&first_stem, ".zip"));
    let target = match folder {
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
    let config = config?;
    let unit = read_with(input, &config)?;
    if unit.evidence.is_none() {
        return Err(PackError::NoEvidence.into());
    }
    let opts = pipeline::DocOptions {
        official: official.as_ref().map(|o| o.faces(docs, &font)),
        ..doc_options(docs, &templates, &font, config.limits)
    };
    let pack_opts = crate::pack::PackOptions {
        sign: key.as_ref(),
        allow_changing: *allow_changing,
    };
    let packed = crate::pack::pack(&unit, &opts, target, &pack_opts)?;
    warn_missing_glyphs(&packed.missing_glyphs, &font.name);
    let analysis = unit.analyse();
    let mut err = std::io::stderr().lock();
    for c in &packed.changed {
        let _ = writeln!(
            err,
            "{}",
            crate::msg!("dossier: warning: {c}; packed as it is now")
        );
    }
    for (binder, path, reason) in &packed.unbound {
        let _ = writeln!(
            err,
            "{}",
            crate::msg!(
                "dossier: warning: {binder}: {} is packed but not bound: {}",
                crate::model::visible(path),
                crate::model::visible(reason)
            )
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
        Some(id) => crate::msg!(", signed with key {id}"),
        None => String::new(),
    };
    let _ = writeln!(
        err,
        "{}",
        crate::msg!(
            "packed {} files ({} binders) into {shown}{signed}",
            packed.files,
            packed.binders
        )
    );
    Ok(0)
}
