//! Laid-out pages into PDF bytes through printpdf's low-level API. Everything that could
//! vary from run to run (resource ids, dates, the document /ID) is fixed, so the same
//! inputs give byte-identical PDFs.

use super::font::{Font, FontError};
use super::layout::{Draw, Laid, Mark, PageSetup, Paint};
use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PageAnnotId, PageAnnotation, PaintMode, PdfDocument,
    PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem, TextMatrix,
    TextRenderingMode,
};
use std::collections::BTreeSet;

/// Document metadata.
pub struct Meta<'a> {
    pub title: &'a str,
    /// The unit, written as the author.
    pub author: &'a str,
    /// Seconds since 1970 of the as-of date: the creation date.
    pub created: i64,
}

fn color(paint: Paint) -> Color {
    let (r, g, b) = match paint {
        Paint::Gray(v) => (v, v, v),
        Paint::Accent => (0.145, 0.388, 0.922),
        Paint::Warning => (0.725, 0.110, 0.110),
    };
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

/// Writes the pages; `marks` become the outline (bookmarks).
pub fn write(
    laid: &Laid,
    setup: PageSetup,
    font: &Font,
    meta: &Meta<'_>,
) -> Result<Vec<u8>, FontError> {
    let used: BTreeSet<char> = laid
        .pages
        .iter()
        .flatten()
        .filter_map(|d| match d {
            Draw::Text { text, .. } => Some(text.chars()),
            _ => None,
        })
        .flatten()
        .collect();
    let subset = font.subset(&used)?;
    let mut doc = PdfDocument::new(meta.title);
    let font_id = FontId("F1".to_string());
    doc.resources
        .fonts
        .map
        .insert(font_id.clone(), PdfFont::new(subset));
    let created = printpdf::OffsetDateTime::from_unix_timestamp(meta.created)
        .or_else(|_| printpdf::OffsetDateTime::from_unix_timestamp(0))
        .map_err(|e| FontError::Subset(font.name.clone(), format!("{e:?}")))?;
    let info = &mut doc.metadata.info;
    info.author = meta.author.to_string();
    info.creator = format!("dossier {}", env!("CARGO_PKG_VERSION"));
    info.producer = "dossier (printpdf)".into();
    info.subject = meta.title.to_string();
    info.creation_date = created;
    info.modification_date = created;
    info.metadata_date = created;

    let h = setup.height;
    let width_mm = Mm(setup.width * 25.4 / 72.0);
    let height_mm = Mm(setup.height * 25.4 / 72.0);
    let pages = laid
        .pages
        .iter()
        .map(|draws| {
            let mut ops = Vec::with_capacity(draws.len() * 4);
            for d in draws {
                match d {
                    Draw::Rect {
                        x,
                        y,
                        w,
                        h: rh,
                        paint,
                    } => {
                        ops.push(Op::SaveGraphicsState);
                        ops.push(Op::SetFillColor { col: color(*paint) });
                        ops.push(Op::DrawRectangle {
                            rectangle: Rect {
                                x: Pt(*x),
                                y: Pt(h - y - rh),
                                width: Pt(*w),
                                height: Pt(*rh),
                                mode: Some(PaintMode::Fill),
                                winding_order: None,
                            },
                        });
                        ops.push(Op::RestoreGraphicsState);
                    }
                    Draw::Line {
                        x1,
                        y1,
                        x2,
                        y2,
                        width,
                    } => {
                        ops.push(Op::SaveGraphicsState);
                        ops.push(Op::SetOutlineColor {
                            col: color(Paint::Gray(0.45)),
                        });
                        ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                        ops.push(Op::DrawLine {
                            line: Line {
                                points: vec![point(*x1, h - y1), point(*x2, h - y2)],
                                is_closed: false,
                            },
                        });
                        ops.push(Op::RestoreGraphicsState);
                    }
                    Draw::Text {
                        x,
                        y,
                        size,
                        bold,
                        text,
                    } => {
                        ops.push(Op::StartTextSection);
                        ops.push(Op::SetFont {
                            font: PdfFontHandle::External(font_id.clone()),
                            size: Pt(*size),
                        });
                        if *bold {
                            ops.push(Op::SetTextRenderingMode {
                                mode: TextRenderingMode::FillStroke,
                            });
                            ops.push(Op::SetOutlineThickness {
                                pt: Pt(font.bold_stroke(*size)),
                            });
                        }
                        ops.push(Op::SetTextMatrix {
                            matrix: TextMatrix::Translate(Pt(*x), Pt(h - y)),
                        });
                        ops.push(Op::ShowText {
                            items: vec![TextItem::Text(text.clone())],
                        });
                        if *bold {
                            ops.push(Op::SetTextRenderingMode {
                                mode: TextRenderingMode::Fill,
                            });
                        }
                        ops.push(Op::EndTextSection);
                    }
                }
            }
            PdfPage::new(width_mm, height_mm, ops)
        })
        .collect();
    doc.with_pages(pages);
    for (i, Mark { title, page, .. }) in laid.marks.iter().enumerate() {
        doc.bookmarks.map.insert(
            PageAnnotId(format!("B{i:05}")),
            PageAnnotation {
                name: title.clone(),
                page: *page,
            },
        );
    }

    let options = PdfSaveOptions {
        subset_fonts: false,
        ..Default::default()
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&options, &mut warnings);
    if let Ok(info_id) = lo.trailer.get(b"Info").and_then(|o| o.as_reference())
        && let Ok(info) = lo.get_object_mut(info_id).and_then(|o| o.as_dict_mut())
    {
        info.remove(b"GTS_PDFXVersion");
    }
    lo.compress();
    let id = lopdf::Object::String(document_id(laid, meta), lopdf::StringFormat::Hexadecimal);
    lo.trailer
        .set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| FontError::Subset(font.name.clone(), e.to_string()))?;
    Ok(out)
}

/// A document id from the content: the same document always gets the same id.
fn document_id(laid: &Laid, meta: &Meta<'_>) -> Vec<u8> {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    let mut feed = |bytes: &[u8]| {
        for x in bytes {
            a = (a ^ u64::from(*x)).wrapping_mul(0x0100_0000_01b3);
            b = (b ^ u64::from(*x))
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(5);
        }
    };
    feed(meta.title.as_bytes());
    feed(meta.author.as_bytes());
    feed(&meta.created.to_be_bytes());
    for d in laid.pages.iter().flatten() {
        if let Draw::Text { text, .. } = d {
            feed(text.as_bytes());
        }
    }
    [a.to_be_bytes(), b.to_be_bytes()].concat()
}
