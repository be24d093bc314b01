//! The documents: gap report, evidence checklist and owner task sheets. Each is one
//! Markdown template rendered with Tera over one context; the Markdown is the `.md`
//! output, and the HTML backend renders that same Markdown, so formats never disagree.

pub mod charts;
pub mod context;
pub mod escape;
pub mod evidence_view;
pub mod html;
pub mod pdf;
pub mod pieces;
pub mod templates;

use crate::analysis::Analysis;
use crate::limits::Limits;
use context::{Head, Labels, Names, Sources, label};
use std::sync::Arc;
use templates::{Origin, Templates};

/// Text cut to at most `max` characters, the cut marked with "…" (chart labels, running
/// headers).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        text.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    } else {
        text.to_string()
    }
}

/// The documents dossier writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    GapReport,
    EvidenceChecklist,
    OwnerTasks,
    /// The inspection pack's index (卷内目录); only `dossier pack` writes it.
    PackIndex,
}

impl DocKind {
    /// Every document, in the order they are written.
    pub const ALL: [DocKind; 3] = [
        DocKind::GapReport,
        DocKind::EvidenceChecklist,
        DocKind::OwnerTasks,
    ];

    /// The file stem of the document and its template.
    pub fn stem(self) -> &'static str {
        match self {
            DocKind::GapReport => "gap-report",
            DocKind::EvidenceChecklist => "evidence-checklist",
            DocKind::OwnerTasks => "owner-tasks",
            DocKind::PackIndex => "pack-index",
        }
    }

    /// The label key of the document's title.
    fn title_key(self) -> &'static str {
        match self {
            DocKind::GapReport => "gap_report",
            DocKind::EvidenceChecklist => "evidence_checklist",
            DocKind::OwnerTasks => "owner_tasks",
            DocKind::PackIndex => "pack_index",
        }
    }
}

/// The language of the documents' labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    ZhTw,
    En,
}

impl Lang {
    /// The BCP 47 tag, also the label file's name.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }
}

/// A document rendered to Markdown.
#[derive(Debug, Clone)]
pub struct Document {
    pub kind: DocKind,
    pub title: String,
    pub markdown: String,
}

/// A template problem, naming the template file and line.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {origin}: {message}")]
    Template { origin: String, message: String },
    #[error("{0}: the label file is not valid TOML: {1}")]
    Labels(String, String),
    /// A template produced more than `output_bytes`: stopped while writing, so memory
    /// stays bounded whatever the template loops over.
    #[error(
        "{document}: larger than the output_bytes limit of {limit} bytes (rendering template {origin} stopped; the limit is set under [limits] in dossier.toml)"
    )]
    TemplateTooLarge {
        document: String,
        limit: u64,
        origin: String,
    },
    /// A template ran past `template_seconds`.
    #[error(
        "{document}: rendering template {origin} took longer than the template_seconds limit of {limit} s (set under [limits] in dossier.toml)"
    )]
    TemplateTooSlow {
        document: String,
        limit: u64,
        origin: String,
    },
    /// A finished document (a PDF, say) is larger than `output_bytes`.
    #[error(
        "{document}: larger than the output_bytes limit of {limit} bytes (writing it stopped there; the limit is set under [limits] in dossier.toml)"
    )]
    TooLarge { document: String, limit: u64 },
}

/// Refuses a finished document larger than `output_bytes` (one made whole in memory;
/// a build's files are capped while they are written).
pub fn check_size(document: &str, bytes: &[u8], limits: &Limits) -> Result<(), RenderError> {
    if bytes.len() as u64 > limits.output_bytes {
        return Err(RenderError::TooLarge {
            document: document.to_string(),
            limit: limits.output_bytes,
        });
    }
    Ok(())
}

/// Where a bounded render stopped, told back by the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Size,
    Time,
}

/// The writer a template renders into: it holds the output, and fails the render (Tera
/// stops at the first failed write) once the output passes `limit` bytes, the deadline
/// passes, or the caller gave up waiting.
struct Bounded {
    buf: Vec<u8>,
    limit: u64,
    deadline: std::time::Instant,
    gave_up: Arc<std::sync::atomic::AtomicBool>,
    stop: Option<Stop>,
}

impl std::io::Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() as u64 + data.len() as u64 > self.limit {
            self.stop = Some(Stop::Size);
        } else if self.gave_up.load(std::sync::atomic::Ordering::Relaxed)
            || std::time::Instant::now() >= self.deadline
        {
            self.stop = Some(Stop::Time);
        }
        if self.stop.is_some() {
            return Err(std::io::Error::other("rendering stopped at a limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders template `name` of `tera` into a string bounded by `output_bytes` and
/// `template_seconds`. The render runs on its own thread so that a template looping
/// without writing anything still ends the wait on time: the caller gets
/// [`RenderError::TemplateTooSlow`] and the thread is abandoned (told to stop at its next
/// write; a loop that never writes runs on until the process exits, which the command
/// line does at once).
fn render_bounded(
    tera: Arc<tera::Tera>,
    name: &str,
    ctx: Arc<tera::Context>,
    templates: &Templates,
    document: &str,
    limits: &Limits,
) -> Result<String, RenderError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let seconds = std::time::Duration::from_secs(limits.template_seconds);
    let start = std::time::Instant::now();
    let deadline = start
        .checked_add(seconds)
        .unwrap_or(start + std::time::Duration::from_secs(u32::MAX.into()));
    let gave_up = Arc::new(AtomicBool::new(false));
    let mut writer = Bounded {
        buf: Vec::new(),
        limit: limits.output_bytes,
        deadline,
        gave_up: gave_up.clone(),
        stop: None,
    };
    let (send, receive) = std::sync::mpsc::channel();
    let thread_name = name.to_string();
    let spawned = std::thread::Builder::new()
        .name(format!("template {name}"))
        .spawn(move || {
            let result = tera.render_to(&thread_name, &ctx, &mut writer);
            // Let go of the context before answering: the caller frees it next, before
            // building the next document's.
            drop(ctx);
            let _ = send.send((result, writer.buf, writer.stop));
        });
    let too_slow = || RenderError::TemplateTooSlow {
        document: document.to_string(),
        limit: limits.template_seconds,
        origin: origin_text(templates, name),
    };
    if let Err(e) = spawned {
        return Err(RenderError::Template {
            origin: origin_text(templates, name),
            message: format!("cannot start rendering: {e}"),
        });
    }
    let (result, buf, stop) = match receive.recv_timeout(seconds) {
        Ok(done) => done,
        Err(_) => {
            gave_up.store(true, Ordering::Relaxed);
            return Err(too_slow());
        }
    };
    match (stop, result) {
        (Some(Stop::Size), _) => Err(RenderError::TemplateTooLarge {
            document: document.to_string(),
            limit: limits.output_bytes,
            origin: origin_text(templates, name),
        }),
        (Some(Stop::Time), _) => Err(too_slow()),
        (None, Err(e)) => Err(template_error(templates, name, e)),
        (None, Ok(())) => String::from_utf8(buf).map_err(|e| RenderError::Template {
            origin: origin_text(templates, name),
            message: e.to_string(),
        }),
    }
}

fn origin_text(templates: &Templates, name: &str) -> String {
    match templates.origin(name) {
        Some(Origin::User(path)) => path.clone(),
        _ => format!("{name} (built-in)"),
    }
}

fn template_error(templates: &Templates, name: &str, e: tera::Error) -> RenderError {
    // Tera's message carries the line and a caret under the problem.
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    RenderError::Template {
        origin: origin_text(templates, name),
        message,
    }
}

/// Loads the labels of a language from the (possibly layered) templates.
pub fn labels(templates: &Templates, lang: Lang) -> Result<Labels, RenderError> {
    let name = format!("i18n/{}.toml", lang.tag());
    let text = templates.get(&name).unwrap_or_default();
    text.parse::<Labels>()
        .map_err(|e| RenderError::Labels(origin_text(templates, &name), e.message().to_string()))
}

/// Renders one more template (the pack's index) to Markdown, with the same escaping as
/// the documents: every value is data, never markup.
pub fn markdown_from(
    templates: &Templates,
    name: &str,
    context: &impl serde::Serialize,
    limits: &Limits,
) -> Result<String, RenderError> {
    let mut tera = tera::Tera::default();
    tera.set_escape_fn(escape::markdown_escape_fn);
    tera.autoescape_on(vec![".md"]);
    let text = templates.get(name).unwrap_or_default();
    tera.add_raw_template(name, text)
        .map_err(|e| template_error(templates, name, e))?;
    let ctx = tera::Context::from_serialize(context)
        .map_err(|e| template_error(templates, "context", e))?;
    render_bounded(Arc::new(tera), name, Arc::new(ctx), templates, name, limits)
}

/// The charts every document may link, by file name.
pub fn charts(analysis: &Analysis<'_>, labels: &Labels) -> Vec<(&'static str, charts::Chart)> {
    use charts::{Bar, Chart};
    let sets: Vec<Bar> = analysis
        .sets
        .iter()
        .map(|g| Bar {
            label: g.name.clone(),
            value: g.tally.score(),
            text: context::score_text(g.tally.score()),
        })
        .collect();
    let mut owners: Vec<&crate::analysis::Group> = analysis.owners.iter().collect();
    owners.sort_by(|a, b| b.tally.open.cmp(&a.tally.open).then(a.name.cmp(&b.name)));
    let max_open = owners.first().map_or(0, |g| g.tally.open).max(1) as f64;
    let owners: Vec<Bar> = owners
        .iter()
        .map(|g| Bar {
            label: g.name.clone(),
            value: Some(g.tally.open as f64),
            text: g.tally.open.to_string(),
        })
        .collect();
    vec![
        (
            "score-by-set.svg",
            Chart {
                title: label(labels, "chart_score_by_set"),
                bars: sets,
                max: 100.0,
            },
        ),
        (
            "open-by-owner.svg",
            Chart {
                title: label(labels, "chart_open_by_owner"),
                bars: owners,
                max: max_open,
            },
        ),
    ]
}

/// Wraps a document's Markdown into the HTML layout: one self-contained page.
pub fn html_document(
    templates: &Templates,
    doc: &Document,
    head: &Head<'_>,
    svgs: &[(&str, String)],
    limits: &Limits,
) -> Result<HtmlPage, RenderError> {
    let page = Page {
        title: &doc.title,
        doc: doc.kind.stem(),
        lang: &head.lang,
        unit: &head.unit,
        as_of: &head.as_of,
        labels: head.labels,
        generator: &head.generator,
    };
    html_page(templates, &page, &doc.markdown, svgs, limits)
}

/// What `layout.html` is told about a page besides its body: the unit's documents and
/// the documents about a unit (the progress report of `dossier diff`) share one layout.
pub struct Page<'a> {
    /// The document's title label.
    pub title: &'a str,
    /// The document's file stem; the body gets class `doc-<doc>`.
    pub doc: &'a str,
    pub lang: &'a str,
    pub unit: &'a str,
    pub as_of: &'a str,
    pub labels: &'a Labels,
    pub generator: &'a str,
}

/// An HTML page as the layout made it. The body (tens of megabytes for a unit of
/// 50,000 measures) is kept apart from the layout's text around it when the layout
/// prints it once as it is (`{{ body | safe }}`), instead of being copied into the
/// layout's context and again into its output.
#[derive(Debug)]
pub struct HtmlPage {
    before: String,
    body: String,
    after: String,
}

impl HtmlPage {
    /// Writes the page.
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        w.write_all(self.before.as_bytes())?;
        w.write_all(self.body.as_bytes())?;
        w.write_all(self.after.as_bytes())
    }

    /// The page as one text.
    pub fn into_string(self) -> String {
        let mut page = self.before;
        page.reserve(self.body.len() + self.after.len());
        page.push_str(&self.body);
        page.push_str(&self.after);
        page
    }

    /// The page's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.into_string().into_bytes()
    }
}

/// What the layout is given for `body` when it prints it once as it is: the page is
/// then the layout's output with the body in place of this.
const BODY_MARK: &str = "\u{1}dossier:body\u{1}";

/// Whether a layout prints `body` exactly once, as it is (`{{ body | safe }}`, with or
/// without whitespace control), and names it nowhere else.
fn prints_body_once(layout: &str) -> bool {
    let mut uses = 0;
    let mut as_is = false;
    for (kind, code) in context::tags(layout) {
        let words = code.split(|c: char| !(c.is_alphanumeric() || c == '_'));
        let mut body = false;
        for word in words {
            match word {
                "body" => body = true,
                "__tera_context" => return false,
                _ => {}
            }
        }
        if body {
            uses += 1;
            let plain: String = code
                .trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace())
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            as_is = kind == '{' && plain == "body|safe";
        }
    }
    uses == 1 && as_is
}

/// Renders Markdown into the HTML layout as one self-contained page, bounded by the
/// limits like every template.
pub fn html_page(
    templates: &Templates,
    page: &Page<'_>,
    markdown: &str,
    svgs: &[(&str, String)],
    limits: &Limits,
) -> Result<HtmlPage, RenderError> {
    let mut tera = tera::Tera::default();
    let name = "layout.html";
    let layout = templates.get(name).unwrap_or_default();
    tera.add_raw_template(name, layout)
        .map_err(|e| template_error(templates, name, e))?;
    let tera = Arc::new(tera);
    let mut ctx = tera::Context::new();
    ctx.insert("title", page.title);
    ctx.insert("doc", page.doc);
    ctx.insert("lang", page.lang);
    ctx.insert("unit", page.unit);
    ctx.insert("as_of", page.as_of);
    ctx.insert("labels", page.labels);
    ctx.insert("generator", page.generator);
    let body = html::body(markdown, svgs);
    let document = format!("{}.html", page.doc);
    if prints_body_once(layout) {
        let mut marked = ctx.clone();
        marked.insert("body", BODY_MARK);
        let out = render_bounded(
            tera.clone(),
            name,
            Arc::new(marked),
            templates,
            &document,
            limits,
        )?;
        if let Some((before, after)) = out.split_once(BODY_MARK)
            && !after.contains(BODY_MARK)
        {
            if (before.len() + body.len() + after.len()) as u64 > limits.output_bytes {
                return Err(RenderError::TemplateTooLarge {
                    document,
                    limit: limits.output_bytes,
                    origin: origin_text(templates, name),
                });
            }
            return Ok(HtmlPage {
                before: before.to_string(),
                body,
                after: after.to_string(),
            });
        }
    }
    ctx.insert("body", &body);
    drop(body);
    let page = render_bounded(tera, name, Arc::new(ctx), templates, &document, limits)?;
    Ok(HtmlPage {
        before: page,
        body: String::new(),
        after: String::new(),
    })
}

/// Everything the documents need, computed once for all formats: the three templates
/// compiled, what each names, the charts. The documents themselves are made one at a
/// time by [`Prepared::document`].
pub struct Prepared<'a> {
    pub head: Head<'a>,
    pub charts: Vec<(&'static str, charts::Chart)>,
    /// The charts drawn as SVG once, by file name, for Markdown and HTML.
    pub svgs: Vec<(&'static str, String)>,
    sources: Sources<'a>,
    templates: &'a Templates,
    tera: Arc<tera::Tera>,
    /// What each document's template names, in [`DocKind::ALL`] order.
    names: Vec<Names>,
}

/// Compiles the document templates and draws the charts. A template that does not
/// compile fails here, before any document is rendered.
pub fn prepare<'a>(
    sources: Sources<'a>,
    templates: &'a Templates,
) -> Result<Prepared<'a>, RenderError> {
    let mut tera = tera::Tera::default();
    tera.set_escape_fn(escape::markdown_escape_fn);
    tera.autoescape_on(vec![".md"]);
    let mut names = Vec::new();
    for kind in DocKind::ALL {
        let name = format!("{}.md", kind.stem());
        let text = templates.get(&name).unwrap_or_default();
        names.push(Names::of(text));
        tera.add_raw_template(&name, text)
            .map_err(|e| template_error(templates, &name, e))?;
    }
    // A template that renders another's text (an include, say) needs what that one names.
    if names.iter().any(Names::reaches_others) {
        let mut all = Names::default();
        for n in &names {
            all.add(n);
        }
        names = vec![all; DocKind::ALL.len()];
    }
    let charts = charts(sources.analysis, sources.labels);
    let svgs = charts.iter().map(|(n, c)| (*n, c.svg())).collect();
    Ok(Prepared {
        head: Head::new(sources.labels, sources.unit, sources.analysis.as_of),
        charts,
        svgs,
        sources,
        templates,
        tera: Arc::new(tera),
        names,
    })
}

impl Prepared<'_> {
    /// Renders one document to Markdown, bounded by the limits. Its context is built for
    /// it alone (the keys its template names) and dropped before this returns, so a build
    /// holds one document's context at a time.
    pub fn document(&self, kind: DocKind, limits: &Limits) -> Result<Document, RenderError> {
        let place = DocKind::ALL
            .iter()
            .position(|k| *k == kind)
            .expect("a unit document");
        let name = format!("{}.md", kind.stem());
        let ctx = context::document_context(&self.sources, &self.names[place])
            .map_err(|e| template_error(self.templates, "context", e))?;
        let markdown = render_bounded(
            self.tera.clone(),
            &name,
            Arc::new(ctx),
            self.templates,
            &name,
            limits,
        )?;
        Ok(Document {
            kind,
            title: label(self.sources.labels, kind.title_key()),
            markdown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_report(text: &str) -> bool {
        Names::of(text).has("report")
    }

    #[test]
    fn the_report_goes_into_the_context_only_when_a_tag_names_it() {
        assert!(names_report("{{ report.summary.score }}"));
        assert!(names_report("{% for m in report.measures %}{% endfor %}"));
        assert!(names_report("{%- if report -%}x{% endif %}"));
        assert!(names_report("{{-report.summary.score-}}"));
        assert!(names_report("{{ \"}}\" ~ report.as_of }}"));
        assert!(names_report("{{ x | get(key=\"report\") }}"));
        assert!(names_report("{{ __tera_context }}"));
        assert!(!names_report(
            "{# the gap report #} report {{ gap_report }}"
        ));
        assert!(!names_report(
            "[链接](gap-report.html) {{ labels.gap_report }}"
        ));
        assert!(!names_report("{{ my_report }} {{ report_title }} {"));
    }

    #[test]
    fn lists_inside_sets_and_owners_go_in_when_named_or_when_maps_are_read_whole() {
        let names =
            Names::of("{% for o in owners %}{{ o.name }}{{ o.tasks | length }}{% endfor %}");
        assert!(names.has("owners") && names.has_inner("tasks"));
        assert!(!names.has("sets") && !names.has_inner("missing"));
        assert!(!names.has_inner("categories"));
        for whole in [
            "{% for o in owners %}{% for k, v in o %}{{ k }}{% endfor %}{% endfor %}",
            "{{ owners | first | values | length }}",
            "{{ __tera_context }}",
        ] {
            assert!(Names::of(whole).has_inner("missing"), "{whole}");
        }
        assert!(!Names::of("{% for o in owners %}{{ o.name }}, {% endfor %}").has_inner("tasks"));
        assert!(Names::of("{% include \"owner-tasks.md\" %}").reaches_others());
    }

    #[test]
    fn every_language_file_has_every_label_and_chinese_diagnostics() {
        let t = Templates::default();
        let en = labels(&t, Lang::En).unwrap();
        for lang in [Lang::ZhCn, Lang::ZhTw] {
            let l = labels(&t, lang).unwrap();
            for (key, value) in &en {
                if value.is_str() {
                    assert!(l.get(key).is_some(), "{}: no label {key}", lang.tag());
                }
            }
            for code in crate::ingest::sheet::DIAGNOSTIC_CODES {
                assert!(
                    l["diag"].get(*code).is_some(),
                    "{}: no words for diagnostic {code}",
                    lang.tag()
                );
            }
        }
    }
}
