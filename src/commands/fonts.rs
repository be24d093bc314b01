//! The PDF fonts the flags ask for: `--font`/`--font-bold` for every document, and the
//! faces of `--style official`, loaded once per run and handed to the renderers.

use super::args::{DocArgs, StyleArg};
use super::error::CliError;
use crate::render;
use std::path::Path;

/// The fonts the official style loads besides the documents' font: the built-in serif
/// and sans where no office font stands in, and the office's own title, heading and
/// subheading fonts. Nothing is loaded without `--style official`.
pub struct OfficialFonts {
    serif: Option<render::pdf::font::Font>,
    sans: Option<render::pdf::font::Font>,
    title: Option<render::pdf::font::Font>,
    heading: Option<render::pdf::font::Font>,
    subheading: Option<render::pdf::font::Font>,
}

impl OfficialFonts {
    /// The fonts `docs` asks for, or `None` when the gap report keeps dossier's style.
    pub fn load(docs: &DocArgs) -> Result<Option<OfficialFonts>, CliError> {
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
    pub fn faces<'a>(
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
pub fn no_official(docs: &DocArgs, command: &str) -> Result<(), CliError> {
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
pub fn load_font(
    spec: Option<&str>,
    bold: Option<&str>,
) -> Result<render::pdf::font::Font, CliError> {
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
