//! Charts as self-drawn SVG (no script, no network): horizontal bars with their values,
//! so they print and scale like text. Labels are XML-escaped cell text.

use super::escape::xml;
use std::fmt::Write;

/// One bar: a label and a value (a `None` value draws no bar and shows "—").
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub text: String,
}

/// A horizontal bar chart: drawn as SVG for Markdown and HTML, as vectors in PDF.
pub struct Chart {
    pub title: String,
    pub bars: Vec<Bar>,
    /// The value of a full-width bar.
    pub max: f64,
}

impl Chart {
    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        bar_chart(&self.title, &self.bars, self.max)
    }
}

fn bar_chart(title: &str, bars: &[Bar], max: f64) -> String {
    let label_w = 180.0;
    let bar_w = 380.0;
    let row_h = 26.0;
    let top = 36.0;
    let width = label_w + bar_w + 70.0;
    let height = top + row_h * bars.len().max(1) as f64 + 10.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" font-family="'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif" font-size="13">"#,
        t = xml(title)
    );
    let _ = write!(
        svg,
        r##"<text x="0" y="20" font-size="15" font-weight="bold" fill="#1f2937">{}</text>"##,
        xml(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let label = super::shorten(&bar.label, 13);
        let _ = write!(
            svg,
            r##"<text x="{x}" y="{ty}" text-anchor="end" fill="#374151">{l}</text>"##,
            x = label_w - 8.0,
            ty = y + 17.0,
            l = xml(&label)
        );
        let _ = write!(
            svg,
            r##"<rect x="{label_w}" y="{ry}" width="{bar_w}" height="18" fill="#f3f4f6"/>"##,
            ry = y + 4.0
        );
        if let Some(v) = bar.value {
            let w = if max > 0.0 {
                (v / max).clamp(0.0, 1.0) * bar_w
            } else {
                0.0
            };
            let _ = write!(
                svg,
                r##"<rect x="{label_w}" y="{ry}" width="{w:.1}" height="18" fill="#2563eb"/>"##,
                ry = y + 4.0
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{x}" y="{ty}" fill="#111827">{v}</text>"##,
            x = label_w + bar_w + 8.0,
            ty = y + 17.0,
            v = xml(&bar.text)
        );
    }
    svg.push_str("</svg>\n");
    svg
}
