//! Any bytes as the one file of a binder (the first byte picks PDF, PNG, JPEG, TIFF or
//! BMP): binding imports the pages or sets the image on a page, or lists the file as not
//! bound with the reason; never a panic, an abort, a hang or gigabytes of memory.
#![no_main]

use dossier::pack::binder::{
    Binder, BinderFile, BinderItem, BinderLabels, BinderMeasure, BinderOptions, BinderSource, bind,
};
use dossier::render::pdf::Paper;
use dossier::render::pdf::font::Font;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const EXTENSIONS: &[&str] = &["pdf", "png", "jpg", "tif", "bmp"];

static FONT: OnceLock<Font> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let font = FONT.get_or_init(|| Font::built_in().expect("the built-in font loads"));
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ext = EXTENSIONS[usize::from(pick) % EXTENSIONS.len()];
    let Ok(dir) = tempfile::tempdir() else { return };
    let name = format!("2026-03-01 现场照片.{ext}");
    let path = dir.path().join(&name);
    if std::fs::write(&path, body).is_err() {
        return;
    }
    let source = if ext == "pdf" {
        BinderSource::Pdf { path, pages: 1 }
    } else {
        BinderSource::Image(path)
    };
    let binder = Binder {
        title: "安全生产标准化 市78条".into(),
        cover: vec![("单位".into(), "清溪镇".into())],
        labels: BinderLabels::default(),
        measures: vec![BinderMeasure {
            title: "第33条 现场检查".into(),
            items: vec![BinderItem {
                title: "现场照片".into(),
                files: vec![BinderFile {
                    title: name.clone(),
                    path: format!("材料/{name}"),
                    caption: format!("{name} · 2026-03-01"),
                    source,
                }],
            }],
        }],
    };
    let opts = BinderOptions {
        font,
        paper: Paper::A4,
        title: "binder",
        author: "fuzz",
        created: 0,
    };
    let _ = bind(&binder, &opts, &mut std::io::sink());
});
