//! The template context: the data of `report.json` plus views shaped for the documents
//! (gaps grouped by severity, tasks per owner, evidence per set and category) and the
//! labels of the chosen language. Documented for template authors in docs/templates.md.

use super::evidence_view::{self, EvidenceTask, FileLine};
use crate::analysis::{Analysis, GapKind, Grade, Judged, Severity};
use crate::model::{EvidenceReady, StatusClass, Workbook};
use crate::report::{MeasureJson, Report};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tera::Value;

/// Labels of one language: `labels.status.done`, `labels.gap_report`, …
pub type Labels = toml::Table;

/// One label by dotted key, or the key itself when a label file lacks it.
pub fn label(labels: &Labels, key: &str) -> String {
    let mut parts = key.split('.');
    let mut value: Option<&toml::Value> = parts.next().and_then(|k| labels.get(k));
    for p in parts {
        value = value.and_then(|v| v.get(p));
    }
    value
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| key.to_string())
}

/// Replaces `{name}` placeholders in a label, in one pass: text put in is never scanned
/// again, so a cell that says `{score}` stays as written.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let known = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (v, close))
        });
        match known {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A diagnostic said in the labels' language, if the label file has words for its code.
fn localized(
    labels: &Labels,
    table: &str,
    code: &str,
    args: &[(&'static str, String)],
) -> Option<String> {
    let text = labels.get(table)?.get(code)?.as_str()?;
    let values: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, v.clone())).collect();
    Some(fill(text, &values))
}

/// A diagnostic's message and hint in the labels' language, where the labels have words
/// for its code (the English otherwise): what `check` prints in the user's language.
pub fn diagnostic_words(d: &crate::model::Diagnostic, labels: &Labels) -> (String, Option<String>) {
    let hint_code = if d.hint_code.is_empty() {
        d.code
    } else {
        d.hint_code
    };
    let message = localized(labels, "diag", d.code, &d.args).unwrap_or_else(|| d.message.clone());
    let hint = d
        .hint
        .as_ref()
        .map(|h| localized(labels, "diag_hint", hint_code, &d.args).unwrap_or(h.clone()));
    (message, hint)
}

/// A score as documents show it: one decimal, or "—" when nothing applies.
pub fn score_text(score: Option<f64>) -> String {
    score.map_or("—".to_string(), |s| format!("{s:.1}"))
}

/// What a document template names: the words inside its `{{ … }}` and `{% … %}` tags,
/// string literals included (comments and text outside tags do not count). A document's
/// context holds only what its template names (see [`document_context`]); reading a word
/// too many is the safe mistake: it costs memory, never output.
#[derive(Debug, Clone, Default)]
pub struct Names {
    words: HashSet<String>,
    /// The template dumps the whole context (`__tera_context`): every key goes in, whole.
    all: bool,
    /// The template reads maps whole (the `keys`, `values`, `pairs`, `get` or `str`
    /// filter, or a loop over keys and values): every key inside sets, owners and gap
    /// rows goes in, named or not.
    whole_maps: bool,
}

impl Names {
    /// The names of one template's text.
    pub fn of(text: &str) -> Names {
        let mut names = Names::default();
        for (_, code) in tags(text) {
            names.read_tag(code);
        }
        names
    }

    /// Adds what another template names (one that this one includes, say).
    pub fn add(&mut self, other: &Names) {
        self.words.extend(other.words.iter().cloned());
        self.all |= other.all;
        self.whole_maps |= other.whole_maps;
    }

    /// Whether a top-level key of the context goes in.
    pub fn has(&self, key: &str) -> bool {
        self.all || self.words.contains(key)
    }

    /// Whether a key inside each set, owner or gap row that is put in only when named
    /// (`categories`, `tasks`, `missing`, `evidence_tasks`, `veto`, `open`) goes in.
    pub fn has_inner(&self, key: &str) -> bool {
        self.all || self.whole_maps || self.words.contains(key)
    }

    /// Whether the template may render another template's text (an include, a parent
    /// template, a component defined elsewhere): then it needs what that one names too.
    pub fn reaches_others(&self) -> bool {
        ["include", "extends", "component", "import"]
            .iter()
            .any(|w| self.words.contains(*w))
    }

    fn read_tag(&mut self, code: &str) {
        // `for key, value in map` reads a map whole.
        let mut head = code.trim_start_matches(['-', '+']).split_whitespace();
        if head.next() == Some("for") && head.take_while(|t| *t != "in").any(|t| t.contains(',')) {
            self.whole_maps = true;
        }
        for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if word.is_empty() {
                continue;
            }
            match word {
                "__tera_context" => self.all = true,
                "keys" | "values" | "pairs" | "get" | "str" => self.whole_maps = true,
                _ => {}
            }
            if !self.words.contains(word) {
                self.words.insert(word.to_string());
            }
        }
    }
}

/// The `{{ … }}` and `{% … %}` tags of a template's text, each as its opening
/// character (`{` or `%`) and the code inside (whitespace control marks included).
pub fn tags(text: &str) -> impl Iterator<Item = (char, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let (kind, close) = match after.as_bytes().first() {
                Some(b'{') => ('{', "}}"),
                Some(b'%') => ('%', "%}"),
                _ => {
                    rest = after;
                    continue;
                }
            };
            let code = &after[1..];
            let end = tag_end(code, close);
            rest = code.get(end + close.len()..).unwrap_or("");
            return Some((kind, &code[..end]));
        }
        None
    })
}

/// Where a tag's code ends: at `close` outside a string literal (so `{{ "}}" }}` is one
/// tag), or at the end of the text.
fn tag_end(code: &str, close: &str) -> usize {
    let mut quote = None;
    for (i, c) in code.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if code[i..].starts_with(close) => return i,
            None => {}
        }
    }
    code.len()
}

/// A measure in a gap list or task sheet.
#[derive(Debug, Serialize)]
pub struct GapRow<'a> {
    pub set: &'a str,
    pub id: &'a str,
    pub measure: &'a str,
    pub owners: String,
    pub status: String,
    pub deadline: String,
    /// "超期12天" / "剩余3天" / "长期坚持" / "—".
    pub due: String,
    pub days_left: Option<i64>,
    pub days_overdue: Option<i64>,
    pub severity: String,
    pub severity_key: Option<Severity>,
    pub gaps: String,
    pub missing: &'a [String],
    /// An open veto item (一票否决); left out unless the template names `veto`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub veto: Option<bool>,
    /// Partial, not started or unknown; left out unless the template names `open`.
    /// (Fifteen keys take a Tera map twice the memory of fourteen.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
}

/// An evidence item and its mark: ☑ in hand, ☐ missing, ？ not known.
#[derive(Debug, Serialize)]
pub struct EvidenceItem<'a> {
    pub name: &'a str,
    pub mark: &'static str,
    pub state: &'static str,
    /// The files that back it, when an evidence folder was read.
    pub files: Vec<FileLine>,
}

/// A measure in the evidence checklist.
#[derive(Debug, Serialize)]
pub struct EvidenceRow<'a> {
    pub id: &'a str,
    pub measure: &'a str,
    pub owners: String,
    pub status: String,
    pub check: &'a str,
    pub site: &'a str,
    #[serde(rename = "box")]
    pub box_no: &'a str,
    /// [`EvidenceItem`]s, each converted once (equal items are one shared value).
    pub items: Vec<Value>,
    /// Files of the measure that back no required item (其他材料).
    pub other: Vec<FileLine>,
}

/// A category of a set in the evidence checklist.
#[derive(Debug, Serialize)]
pub struct CategoryView {
    pub name: String,
    /// [`EvidenceRow`]s, converted as they are made.
    pub measures: Vec<Value>,
}

/// A measure set's figures and its measures by category.
#[derive(Debug, Serialize)]
pub struct SetView<'a> {
    pub name: &'a str,
    pub anchor: String,
    pub measures: usize,
    pub applicable: usize,
    pub score: String,
    pub open: usize,
    pub overdue: usize,
    pub counts: BTreeMap<&'static str, usize>,
    /// True when any measure of the set names a site or a box (else the column is left out).
    pub has_place: bool,
    /// [`CategoryView`]s; left out unless the template names `categories`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<CategoryView>>,
}

/// An owner's figures, tasks and missing evidence. Each list is left out unless the
/// template names it.
#[derive(Debug, Serialize)]
pub struct OwnerView<'a> {
    pub name: &'a str,
    pub measures: usize,
    pub open: usize,
    pub overdue: usize,
    pub score: String,
    /// Gap rows, shared with every other list that shows the measure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<Value>>,
    /// Evidence to supply or fix, when an evidence folder was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_tasks: Option<Vec<EvidenceTask>>,
}

/// A (label, count) line of a summary table.
#[derive(Debug, Serialize)]
pub struct CountRow {
    pub key: &'static str,
    pub label: String,
    pub count: usize,
}

/// A diagnostic as documents list it.
#[derive(Debug, Serialize)]
pub struct DiagnosticRow {
    pub severity: String,
    pub location: String,
    pub message: String,
    pub hint: String,
}

/// File names of the charts (Markdown links them; HTML inlines them).
#[derive(Debug, Serialize)]
pub struct Charts {
    pub score_by_set: &'static str,
    pub open_by_owner: &'static str,
}

/// What the HTML layout sees of a document's context: the page's language, unit, date
/// and labels, without the measures.
#[derive(Debug, Clone)]
pub struct Head<'a> {
    pub lang: String,
    pub labels: &'a Labels,
    pub unit: String,
    pub as_of: String,
    pub generator: String,
}

impl<'a> Head<'a> {
    /// The head of any document of `unit` as of a date, in the labels' language.
    pub fn new(labels: &'a Labels, unit: &str, as_of: chrono::NaiveDate) -> Self {
        Head {
            lang: label(labels, "lang"),
            labels,
            unit: unit.to_string(),
            as_of: as_of.format("%Y-%m-%d").to_string(),
            generator: format!("dossier {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

fn grade_label(labels: &Labels, grade: Option<Grade>) -> String {
    let key = match grade {
        None => "none",
        Some(Grade::Excellent) => "excellent",
        Some(Grade::Good) => "good",
        Some(Grade::Fair) => "fair",
        Some(Grade::Poor) => "poor",
    };
    label(labels, &format!("grade.{key}"))
}

/// A measure's gap row; `flags` says whether `veto` and `open` go in.
fn gap_row<'a>(labels: &Labels, j: &'a Judged<'_>, flags: (bool, bool)) -> GapRow<'a> {
    let m = j.measure;
    let open = m.status.class.is_open();
    let due = match (j.days_left, m.continuous) {
        (Some(d), _) if d < 0 && open => {
            fill(&label(labels, "overdue_by"), &[("days", (-d).to_string())])
        }
        (Some(0), _) if open => label(labels, "due_today"),
        (Some(d), _) if open => fill(&label(labels, "due_in"), &[("days", d.to_string())]),
        (_, true) => label(labels, "continuous"),
        _ => label(labels, "no_deadline"),
    };
    let sep = label(labels, "sep");
    GapRow {
        set: &m.set,
        id: &m.id,
        measure: &m.text,
        owners: if m.owners.is_empty() {
            label(labels, "gap.no_owner")
        } else {
            m.owners.join(&sep)
        },
        status: label(labels, &format!("status.{}", m.status.class.key())),
        deadline: m
            .deadline
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| {
                if m.continuous {
                    label(labels, "continuous")
                } else {
                    label(labels, "no_deadline")
                }
            }),
        due,
        days_left: j.days_left,
        days_overdue: j.days_left.filter(|d| *d < 0 && open).map(|d| -d),
        severity: j
            .worst()
            .map(|s| label(labels, &format!("severity.{}", s.key())))
            .unwrap_or_default(),
        severity_key: j.worst(),
        gaps: j
            .gaps
            .iter()
            .map(|g| label(labels, &format!("gap.{}", g.kind.key())))
            .collect::<Vec<_>>()
            .join(&sep),
        missing: &j.evidence_missing,
        veto: flags.0.then(|| j.has(GapKind::VetoOpen)),
        open: flags.1.then_some(open),
    }
}

/// Worst first: severity, open veto items, then the most overdue / soonest due (open
/// measures only), then input order. Sorts measures by their place in the analysis.
fn sort_worst_first(analysis: &Analysis<'_>, rows: &mut [usize]) {
    let urgency = |j: &Judged<'_>| {
        if j.measure.status.class.is_open() {
            j.days_left.unwrap_or(i64::MAX)
        } else {
            i64::MAX
        }
    };
    rows.sort_by(|&a, &b| {
        let (a, b) = (&analysis.measures[a], &analysis.measures[b]);
        a.worst()
            .cmp(&b.worst())
            .then(b.has(GapKind::VetoOpen).cmp(&a.has(GapKind::VetoOpen)))
            .then(urgency(a).cmp(&urgency(b)))
    });
}

/// The unit name: `--unit`, else what the sheet titles name before "落实"
/// (清溪镇落实…工作台账 → 清溪镇), else the first input's file stem.
pub fn unit_name(explicit: Option<&str>, book: &Workbook, first_input_stem: &str) -> String {
    if let Some(u) = explicit {
        return u.to_string();
    }
    unit_from_titles(book.sheets.iter().filter_map(|s| s.title.as_deref()))
        .unwrap_or_else(|| first_input_stem.to_string())
}

/// The unit the sheet titles name, if any does: the text before 落实/贯彻/关于 in the
/// first title that has one. Shared by the documents and by `dossier diff`, which reads
/// the titles back from `report.json` to tell whether two snapshots are of one unit.
pub fn unit_from_titles<'t>(titles: impl IntoIterator<Item = &'t str>) -> Option<String> {
    for title in titles {
        // The earliest marker wins: 清溪镇关于落实… → 清溪镇.
        let pos = ["落实", "落實", "贯彻", "貫徹", "关于", "關於"]
            .iter()
            .filter_map(|m| title.find(m))
            .min();
        if let Some(pos) = pos {
            let name = title[..pos].trim();
            if !name.is_empty() {
                return Some(name.to_string());
            }
        }
    }
    None
}

/// What the documents' contexts are made from.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub book: &'a Workbook,
    pub analysis: &'a Analysis<'a>,
    pub report: &'a Report<'a>,
    pub labels: &'a Labels,
    pub unit: &'a str,
}

/// A document's context as Tera sees it, holding only the keys `names` says its template
/// names (docs/templates.md lists them all), each built straight into Tera's values:
///
/// - a measure's gap row is converted once and shared (Tera values are reference counted)
///   by every list that shows it (severity lists, unassigned, each owner's tasks);
/// - the lists inside each set and owner (`categories`, `tasks`, `missing`,
///   `evidence_tasks`) go in only when the template names them;
/// - an evidence item is one value however many measures require it, while no folder
///   lists files under it;
/// - `report`, the largest of all, goes in only when named.
///
/// Built per document and dropped after it, so a build holds one document's context at
/// a time.
pub fn document_context(src: &Sources<'_>, names: &Names) -> Result<tera::Context, tera::Error> {
    let mut ctx = tera::Context::new();
    let mut put = |key: &'static str, value: Value| ctx.insert_value(key, value);
    let Sources {
        book,
        analysis,
        report,
        labels,
        unit,
    } = *src;
    let s = &analysis.summary;
    let as_of = analysis.as_of.format("%Y-%m-%d").to_string();
    let score = score_text(s.score());
    let grade = grade_label(labels, analysis.grade);
    let mut rows = GapRows::new(labels, analysis, names);

    if names.has("lang") {
        put("lang", label(labels, "lang").into());
    }
    if names.has("labels") {
        put("labels", Value::try_from_serializable(labels)?);
    }
    if names.has("unit") {
        put("unit", unit.into());
    }
    if names.has("generator") {
        put(
            "generator",
            format!("dossier {}", env!("CARGO_PKG_VERSION")).into(),
        );
    }
    if names.has("report") {
        put("report", Value::try_from_serializable(report)?);
    }
    if names.has("overview") {
        let count = |c: StatusClass| s.status_count(c).to_string();
        let overview = fill(
            &label(labels, "overview_text"),
            &[
                ("as_of", as_of.clone()),
                ("unit", unit.to_string()),
                ("measures", s.measures.to_string()),
                ("applicable", s.applicable.to_string()),
                ("done", count(StatusClass::Done)),
                ("ongoing", count(StatusClass::Ongoing)),
                ("partial", count(StatusClass::Partial)),
                ("not_started", count(StatusClass::NotStarted)),
                ("unknown", count(StatusClass::Unknown)),
                ("not_applicable", count(StatusClass::NotApplicable)),
                ("score", score.clone()),
                ("grade", grade.clone()),
            ],
        );
        put("overview", overview.into());
    }
    if names.has("as_of") {
        put("as_of", as_of.into());
    }
    if names.has("score") {
        put("score", score.into());
    }
    if names.has("grade") {
        put("grade", grade.into());
    }

    let vetoes: Vec<usize> = matching(analysis, |j| j.has(GapKind::VetoOpen));
    if names.has("veto_reason") {
        let reason = (!vetoes.is_empty()).then(|| label(labels, "veto_reason"));
        put("veto_reason", reason.into());
    }
    const VETO_SHOWN: usize = 10;
    if names.has("veto_more") {
        let more = (vetoes.len() > VETO_SHOWN).then(|| {
            fill(
                &label(labels, "veto_more"),
                &[("n", vetoes.len().to_string())],
            )
        });
        put("veto_more", more.into());
    }
    if names.has("veto_measures") {
        put(
            "veto_measures",
            rows.list(&vetoes[..vetoes.len().min(VETO_SHOWN)])?,
        );
    }
    if names.has("unassigned") {
        let mut unassigned = matching(analysis, |j| j.has(GapKind::NoOwner));
        sort_worst_first(analysis, &mut unassigned);
        put("unassigned", rows.list(&unassigned)?);
    }

    if names.has("status_counts") {
        let counts: Vec<CountRow> = StatusClass::ALL
            .iter()
            .map(|c| CountRow {
                key: c.key(),
                label: label(labels, &format!("status.{}", c.key())),
                count: s.status_count(*c),
            })
            .collect();
        put("status_counts", Value::try_from_serializable(&counts)?);
    }
    if names.has("severity_counts") {
        let counts: Vec<CountRow> = [Severity::Critical, Severity::Major, Severity::Minor]
            .iter()
            .enumerate()
            .map(|(i, sev)| CountRow {
                key: sev.key(),
                label: label(labels, &format!("severity.{}", sev.key())),
                count: s.worst[i],
            })
            .collect();
        put("severity_counts", Value::try_from_serializable(&counts)?);
    }

    for (key, severity) in [
        ("critical", Severity::Critical),
        ("major", Severity::Major),
        ("minor", Severity::Minor),
    ] {
        if names.has(key) {
            let mut list = matching(analysis, |j| j.worst() == Some(severity));
            sort_worst_first(analysis, &mut list);
            put(key, rows.list(&list)?);
        }
    }

    if names.has("sets") {
        put("sets", sets(src, names)?);
    }
    if names.has("owners") || names.has("idle_owners") {
        let (owners, idle) = owners(src, names, &mut rows)?;
        if names.has("owners") {
            put("owners", owners);
        }
        if names.has("idle_owners") {
            put("idle_owners", idle.into());
        }
    }

    if names.has("charts") {
        let charts = Charts {
            score_by_set: "score-by-set.svg",
            open_by_owner: "open-by-owner.svg",
        };
        put("charts", Value::try_from_serializable(&charts)?);
    }
    if names.has("diagnostics") {
        put("diagnostics", diagnostics(book, labels)?);
    }
    if names.has("evidence") {
        put(
            "evidence",
            Value::try_from_serializable(&evidence_view::view(labels, report))?,
        );
    }
    Ok(ctx)
}

/// The places of the measures `keep` holds for, in input order.
fn matching(analysis: &Analysis<'_>, keep: impl Fn(&Judged<'_>) -> bool) -> Vec<usize> {
    (0..analysis.measures.len())
        .filter(|&i| keep(&analysis.measures[i]))
        .collect()
}

/// Gap rows converted to Tera values at most once each (by the measure's place in the
/// analysis), so every list that shows a measure shares one value.
struct GapRows<'s> {
    labels: &'s Labels,
    analysis: &'s Analysis<'s>,
    /// Whether the rows hold `veto` and `open`.
    flags: (bool, bool),
    done: Vec<Option<Value>>,
}

impl<'s> GapRows<'s> {
    fn new(labels: &'s Labels, analysis: &'s Analysis<'s>, names: &Names) -> Self {
        GapRows {
            labels,
            analysis,
            flags: (names.has_inner("veto"), names.has_inner("open")),
            done: Vec::new(),
        }
    }

    fn row(&mut self, index: usize) -> Result<Value, tera::Error> {
        if self.done.is_empty() {
            self.done.resize(self.analysis.measures.len(), None);
        }
        if let Some(value) = &self.done[index] {
            return Ok(value.clone());
        }
        let value = Value::try_from_serializable(&gap_row(
            self.labels,
            &self.analysis.measures[index],
            self.flags,
        ))?;
        self.done[index] = Some(value.clone());
        Ok(value)
    }

    fn rows(&mut self, indices: &[usize]) -> Result<Vec<Value>, tera::Error> {
        indices.iter().map(|&i| self.row(i)).collect()
    }

    fn list(&mut self, indices: &[usize]) -> Result<Value, tera::Error> {
        Ok(Value::from(self.rows(indices)?))
    }
}

/// The places of the measures of each group name (set or owner), in input order.
fn places_by<'a>(
    analysis: &Analysis<'a>,
    names: impl Fn(&'a crate::model::Measure) -> Vec<&'a str>,
) -> HashMap<&'a str, Vec<usize>> {
    let mut by: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, j) in analysis.measures.iter().enumerate() {
        for name in names(j.measure) {
            let places = by.entry(name).or_default();
            // A measure that names one owner twice is listed once.
            if places.last() != Some(&i) {
                places.push(i);
            }
        }
    }
    by
}

/// `sets`: each set's figures, with its measures by category when the template names
/// `categories`.
fn sets(src: &Sources<'_>, names: &Names) -> Result<Value, tera::Error> {
    let Sources {
        analysis,
        report,
        labels,
        ..
    } = *src;
    let by_set = places_by(analysis, |m| vec![m.set.as_str()]);
    let with_categories = names.has_inner("categories");
    let mut items = Items::default();
    let mut values = Vec::with_capacity(analysis.sets.len());
    for (i, g) in analysis.sets.iter().enumerate() {
        let places = by_set.get(g.name.as_str()).map_or(&[][..], Vec::as_slice);
        let has_place = places.iter().any(|&k| {
            let m = analysis.measures[k].measure;
            [&m.site, &m.box_no]
                .iter()
                .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()))
        });
        let categories = if with_categories {
            let mut categories: Vec<CategoryView> = Vec::new();
            for &k in places {
                let j = &analysis.measures[k];
                let name = j
                    .measure
                    .category
                    .clone()
                    .unwrap_or_else(|| label(labels, "uncategorised"));
                let row = evidence_row(labels, j, report.measures.get(k), &mut items)?;
                match categories.iter_mut().find(|c| c.name == name) {
                    Some(c) => c.measures.push(row),
                    None => categories.push(CategoryView {
                        name,
                        measures: vec![row],
                    }),
                }
            }
            Some(categories)
        } else {
            None
        };
        let set = SetView {
            name: &g.name,
            anchor: format!("set-{}", i + 1),
            measures: g.tally.measures,
            applicable: g.tally.applicable,
            score: score_text(g.tally.score()),
            open: g.tally.open,
            overdue: g.tally.overdue,
            counts: StatusClass::ALL
                .iter()
                .map(|c| (c.key(), g.tally.status_count(*c)))
                .collect(),
            has_place,
            categories,
        };
        values.push(Value::try_from_serializable(&set)?);
    }
    Ok(Value::from(values))
}

/// Evidence items as Tera values; an item no folder lists files under is one value
/// however many measures require it (its name, mark and state are all it holds).
#[derive(Default)]
struct Items<'a> {
    shared: HashMap<(&'a str, &'static str, &'static str), Value>,
}

impl<'a> Items<'a> {
    fn value(&mut self, item: EvidenceItem<'a>) -> Result<Value, tera::Error> {
        if !item.files.is_empty() {
            return Value::try_from_serializable(&item);
        }
        let key = (item.name, item.mark, item.state);
        if let Some(v) = self.shared.get(&key) {
            return Ok(v.clone());
        }
        let v = Value::try_from_serializable(&item)?;
        self.shared.insert(key, v.clone());
        Ok(v)
    }
}

fn evidence_row<'a>(
    labels: &Labels,
    j: &Judged<'a>,
    mj: Option<&MeasureJson>,
    items: &mut Items<'a>,
) -> Result<Value, tera::Error> {
    let m = j.measure;
    let folder = mj.is_some_and(|mj| mj.evidence_found.is_some());
    let known = folder
        || (m.evidence_ready != EvidenceReady::Unknown
            && m.status.class != StatusClass::NotApplicable);
    let mut values = Vec::with_capacity(m.evidence.len());
    for name in &m.evidence {
        let files = mj
            .map(|mj| evidence_view::files_for(labels, mj, Some(name)))
            .unwrap_or_default();
        let in_hand = match mj.and_then(|mj| mj.evidence_found.as_ref()) {
            Some(found) => found.contains(name),
            None => !j.evidence_missing.contains(name),
        };
        let (mark, state) = if !known {
            ("？", "unknown")
        } else if in_hand {
            ("☑", "in_hand")
        } else if !files.is_empty() {
            ("☐", "problem")
        } else {
            ("☐", "missing")
        };
        values.push(items.value(EvidenceItem {
            name,
            mark,
            state,
            files,
        })?);
    }
    let row = EvidenceRow {
        id: &m.id,
        measure: &m.text,
        owners: m.owners.join(&label(labels, "sep")),
        status: label(labels, &format!("status.{}", m.status.class.key())),
        check: m.check.as_deref().unwrap_or_default(),
        site: m.site.as_deref().unwrap_or_default(),
        box_no: m.box_no.as_deref().unwrap_or_default(),
        items: values,
        other: mj
            .map(|mj| evidence_view::files_for(labels, mj, None))
            .unwrap_or_default(),
    };
    Value::try_from_serializable(&row)
}

/// `owners` (each list inside only when the template names it) and `idle_owners`: the
/// owners with nothing open and no evidence missing.
fn owners(
    src: &Sources<'_>,
    names: &Names,
    rows: &mut GapRows<'_>,
) -> Result<(Value, Vec<String>), tera::Error> {
    let Sources {
        analysis,
        report,
        labels,
        ..
    } = *src;
    let by_owner = places_by(analysis, |m| m.owners.iter().map(String::as_str).collect());
    let (with_tasks, with_missing, with_evidence) = (
        names.has_inner("tasks"),
        names.has_inner("missing"),
        names.has_inner("evidence_tasks"),
    );
    let mut values = Vec::new();
    let mut idle = Vec::new();
    for g in &analysis.owners {
        let mine = by_owner.get(g.name.as_str()).map_or(&[][..], Vec::as_slice);
        let owes = |k: &usize| {
            let j = &analysis.measures[*k];
            j.measure.status.class.is_open() || !j.evidence_missing.is_empty()
        };
        let evidence_tasks = evidence_view::tasks_for(labels, report, &g.name);
        if !mine.iter().any(owes) && evidence_tasks.is_empty() {
            idle.push(g.name.clone());
        }
        if !names.has("owners") {
            continue;
        }
        let tasks = if with_tasks {
            let mut tasks: Vec<usize> = mine.iter().copied().filter(owes).collect();
            sort_worst_first(analysis, &mut tasks);
            Some(rows.rows(&tasks)?)
        } else {
            None
        };
        let missing = if with_missing {
            let missing: Vec<usize> = mine
                .iter()
                .copied()
                .filter(|&k| !analysis.measures[k].evidence_missing.is_empty())
                .collect();
            Some(rows.rows(&missing)?)
        } else {
            None
        };
        let owner = OwnerView {
            name: &g.name,
            measures: g.tally.measures,
            open: g.tally.open,
            overdue: g.tally.overdue,
            score: score_text(g.tally.score()),
            tasks,
            missing,
            evidence_tasks: with_evidence.then_some(evidence_tasks),
        };
        values.push(Value::try_from_serializable(&owner)?);
    }
    Ok((Value::from(values), idle))
}

/// `diagnostics`: the workbook's, in the labels' language where they have words for it.
fn diagnostics(book: &Workbook, labels: &Labels) -> Result<Value, tera::Error> {
    let mut values = Vec::new();
    for d in book
        .diagnostics
        .iter()
        .filter(|d| !d.code.starts_with("evidence_"))
    {
        let hint_code = if d.hint_code.is_empty() {
            d.code
        } else {
            d.hint_code
        };
        let row = DiagnosticRow {
            severity: label(labels, &format!("severity.{}", d.severity)),
            location: d.location.to_string(),
            message: localized(labels, "diag", d.code, &d.args)
                .unwrap_or_else(|| d.message.clone()),
            hint: match &d.hint {
                None => String::new(),
                Some(h) => localized(labels, "diag_hint", hint_code, &d.args).unwrap_or(h.clone()),
            },
        };
        values.push(Value::try_from_serializable(&row)?);
    }
    Ok(Value::from(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_never_expands_what_it_put_in() {
        let out = fill(
            "{status}：{terms}",
            &[("status", "待定{terms}".into()), ("terms", "已完成".into())],
        );
        assert_eq!(out, "待定{terms}：已完成");
        assert_eq!(fill("{unknown} {x", &[]), "{unknown} {x");
    }
}
