//! Any text as a document's Markdown (CJK, huge words, deep lists, wide tables): the PDF
//! renderer lays it out and writes it, never panicking.
#![no_main]

use dossier::render::pdf::font::Font;
use dossier::render::pdf::{Paper, PdfOptions, render};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static FONT: OnceLock<Font> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let font = FONT.get_or_init(|| Font::built_in().expect("the built-in font loads"));
    let markdown = String::from_utf8_lossy(data);
    let opts = PdfOptions {
        paper: Paper::A4,
        landscape: data.first().is_some_and(|b| b & 1 == 1),
        header_left: "清溪镇 · 差距分析报告",
        header_right: "统计截至 2026-12-15",
        page_of: "第 {n} 页 共 {m} 页",
        title: "fuzz",
        author: "fuzz",
        created: 0,
        lang: "zh-CN",
    };
    let _ = render(&markdown, &[], font, &opts);
});
