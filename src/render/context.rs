//! The template context: the data of `report.json` plus views shaped for the documents
//! (gaps grouped by severity, tasks per owner, evidence per set and category) and the
//! labels of the chosen language. Documented for template authors in docs/templates.md.

use super::evidence_view::{self, EvidenceTask, EvidenceView, FileLine};
use crate::analysis::{Analysis, GapKind, Grade, Judged, Severity};
use crate::model::{EvidenceReady, StatusClass, Workbook};
use crate::report::{MeasureJson, Report};
use serde::Serialize;
use std::collections::BTreeMap;

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

/// A score as documents show it: one decimal, or "—" when nothing applies.
pub fn score_text(score: Option<f64>) -> String {
    score.map_or("—".to_string(), |s| format!("{s:.1}"))
}

/// A measure in a gap list or task sheet.
#[derive(Debug, Serialize)]
pub struct GapRow {
    /// The measure's place in the analysis: one measure's row is the same wherever it is
    /// listed, so the template context holds it once (see [`Context::into_tera`]).
    #[serde(skip)]
    pub index: usize,
    pub set: String,
    pub id: String,
    pub measure: String,
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
    pub missing: Vec<String>,
    /// An open veto item (一票否决).
    pub veto: bool,
    /// Partial, not started or unknown.
    pub open: bool,
}

/// An evidence item and its mark: ☑ in hand, ☐ missing, ？ not known.
#[derive(Debug, Serialize)]
pub struct EvidenceItem {
    pub name: String,
    pub mark: &'static str,
    pub state: &'static str,
    /// The files that back it, when an evidence folder was read.
    pub files: Vec<FileLine>,
}

/// A measure in the evidence checklist.
#[derive(Debug, Serialize)]
pub struct EvidenceRow {
    pub id: String,
    pub measure: String,
    pub owners: String,
    pub status: String,
    pub check: String,
    pub site: String,
    #[serde(rename = "box")]
    pub box_no: String,
    pub items: Vec<EvidenceItem>,
    /// Files of the measure that back no required item (其他材料).
    pub other: Vec<FileLine>,
}

/// A category of a set in the evidence checklist.
#[derive(Debug, Serialize)]
pub struct CategoryView {
    pub name: String,
    pub measures: Vec<EvidenceRow>,
}

/// A measure set's figures and its measures by category.
#[derive(Debug, Serialize)]
pub struct SetView {
    pub name: String,
    pub anchor: String,
    pub measures: usize,
    pub applicable: usize,
    pub score: String,
    pub open: usize,
    pub overdue: usize,
    pub counts: BTreeMap<&'static str, usize>,
    /// True when any measure of the set names a site or a box (else the column is left out).
    pub has_place: bool,
    pub categories: Vec<CategoryView>,
}

/// An owner's figures, tasks and missing evidence.
#[derive(Debug, Serialize)]
pub struct OwnerView {
    pub name: String,
    pub measures: usize,
    pub open: usize,
    pub overdue: usize,
    pub score: String,
    pub tasks: Vec<GapRow>,
    pub missing: Vec<GapRow>,
    /// Evidence to supply or fix, when an evidence folder was read.
    pub evidence_tasks: Vec<EvidenceTask>,
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

/// Everything a document template sees.
#[derive(Debug, Serialize)]
pub struct Context<'a> {
    pub lang: String,
    pub labels: &'a Labels,
    pub unit: String,
    pub as_of: String,
    pub generator: String,
    /// Exactly the data of report.json (put in the template context only when a template
    /// names it: for 50,000 measures it is the largest part; see [`Context::into_tera`]).
    #[serde(skip)]
    pub report: &'a Report<'a>,
    pub overview: String,
    pub score: String,
    pub grade: String,
    pub veto_reason: Option<String>,
    /// The first open veto measures (at most ten), as gap rows.
    pub veto_measures: Vec<GapRow>,
    /// Set when there are more than ten: "等共{n}项，详见…".
    pub veto_more: Option<String>,
    /// Applicable measures that name no lead owner, worst first.
    pub unassigned: Vec<GapRow>,
    /// Owners with nothing open and no evidence missing (no task sheet of their own).
    pub idle_owners: Vec<String>,
    pub status_counts: Vec<CountRow>,
    pub severity_counts: Vec<CountRow>,
    pub sets: Vec<SetView>,
    pub owners: Vec<OwnerView>,
    pub critical: Vec<GapRow>,
    pub major: Vec<GapRow>,
    pub minor: Vec<GapRow>,
    pub charts: Charts,
    /// The workbook's diagnostics (the evidence folder's are in `evidence`).
    pub diagnostics: Vec<DiagnosticRow>,
    /// The evidence folder's section; null without `--evidence`.
    pub evidence: Option<EvidenceView>,
}

/// What the HTML layout sees of a document's context: the page's language, unit, date
/// and labels, without the measures (kept when the large context is gone).
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

impl<'a> Context<'a> {
    /// The small part the HTML layout needs.
    pub fn head(&self) -> Head<'a> {
        Head {
            lang: self.lang.clone(),
            labels: self.labels,
            unit: self.unit.clone(),
            as_of: self.as_of.clone(),
            generator: self.generator.clone(),
        }
    }

    /// The context as Tera sees it, built so that its size stays close to the data's:
    /// a measure's gap row is converted once and shared (Tera values are reference
    /// counted) by every list that shows it (severity lists, each owner's tasks), each
    /// set and owner is dropped as soon as it is converted, and `report` is put in only
    /// when `with_report` (a template names it).
    pub fn into_tera(mut self, with_report: bool) -> Result<tera::Context, tera::Error> {
        use std::collections::HashMap;
        use tera::Value;
        let mut converted: HashMap<usize, Value> = HashMap::new();
        let mut shared = |rows: Vec<GapRow>| -> Result<Value, tera::Error> {
            let mut values = Vec::with_capacity(rows.len());
            for row in rows {
                let value = match converted.get(&row.index) {
                    Some(v) => v.clone(),
                    None => {
                        let v = Value::try_from_serializable(&row)?;
                        converted.insert(row.index, v.clone());
                        v
                    }
                };
                values.push(value);
            }
            Ok(Value::from(values))
        };
        let lists = [
            ("veto_measures", std::mem::take(&mut self.veto_measures)),
            ("unassigned", std::mem::take(&mut self.unassigned)),
            ("critical", std::mem::take(&mut self.critical)),
            ("major", std::mem::take(&mut self.major)),
            ("minor", std::mem::take(&mut self.minor)),
        ];
        let sets = std::mem::take(&mut self.sets);
        let owners = std::mem::take(&mut self.owners);
        let mut context = tera::Context::from_serialize(&self)?;
        if with_report {
            context.insert_value("report", Value::try_from_serializable(self.report)?);
        }
        for (key, rows) in lists {
            context.insert_value(key, shared(rows)?);
        }
        let mut values = Vec::with_capacity(sets.len());
        for set in sets {
            values.push(Value::try_from_serializable(&set)?);
        }
        context.insert_value("sets", Value::from(values));
        let mut values = Vec::with_capacity(owners.len());
        for mut owner in owners {
            let tasks = shared(std::mem::take(&mut owner.tasks))?;
            let missing = shared(std::mem::take(&mut owner.missing))?;
            let mut map = Value::try_from_serializable(&owner)?
                .into_map()
                .unwrap_or_default();
            map.insert("tasks".into(), tasks);
            map.insert("missing".into(), missing);
            values.push(Value::from(map));
        }
        context.insert_value("owners", Value::from(values));
        Ok(context)
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

fn gap_row(labels: &Labels, index: usize, j: &Judged<'_>) -> GapRow {
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
        index,
        set: m.set.clone(),
        id: m.id.clone(),
        measure: m.text.clone(),
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
        missing: j.evidence_missing.clone(),
        veto: j.has(GapKind::VetoOpen),
        open,
    }
}

fn evidence_row(labels: &Labels, j: &Judged<'_>, mj: Option<&MeasureJson>) -> EvidenceRow {
    let m = j.measure;
    let folder = mj.is_some_and(|mj| mj.evidence_found.is_some());
    let known = folder
        || (m.evidence_ready != EvidenceReady::Unknown
            && m.status.class != StatusClass::NotApplicable);
    let items = m
        .evidence
        .iter()
        .map(|name| {
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
            EvidenceItem {
                name: name.clone(),
                mark,
                state,
                files,
            }
        })
        .collect();
    EvidenceRow {
        id: m.id.clone(),
        measure: m.text.clone(),
        owners: m.owners.join(&label(labels, "sep")),
        status: label(labels, &format!("status.{}", m.status.class.key())),
        check: m.check.clone().unwrap_or_default(),
        site: m.site.clone().unwrap_or_default(),
        box_no: m.box_no.clone().unwrap_or_default(),
        items,
        other: mj
            .map(|mj| evidence_view::files_for(labels, mj, None))
            .unwrap_or_default(),
    }
}

/// Worst first: severity, open veto items, then the most overdue / soonest due (open
/// measures only), then input order.
fn sort_worst_first(rows: &mut [GapRow]) {
    rows.sort_by(|a, b| {
        a.severity_key
            .cmp(&b.severity_key)
            .then(b.veto.cmp(&a.veto))
            .then(urgency(a).cmp(&urgency(b)))
    });
}

/// How soon an open measure is due (most overdue first); a closed one is not urgent.
fn urgency(row: &GapRow) -> i64 {
    if row.open {
        row.days_left.unwrap_or(i64::MAX)
    } else {
        i64::MAX
    }
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

/// Builds the context shared by the three documents.
pub fn build<'a>(
    book: &Workbook,
    analysis: &Analysis<'_>,
    report: &'a Report<'a>,
    labels: &'a Labels,
    unit: &str,
) -> Context<'a> {
    let s = &analysis.summary;
    let as_of = analysis.as_of.format("%Y-%m-%d").to_string();
    let score = score_text(s.score());
    let grade = grade_label(labels, analysis.grade);
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
    let mut veto_measures: Vec<GapRow> = analysis
        .measures
        .iter()
        .enumerate()
        .filter(|(_, j)| j.has(GapKind::VetoOpen))
        .map(|(i, j)| gap_row(labels, i, j))
        .collect();
    let veto_reason = (!veto_measures.is_empty()).then(|| label(labels, "veto_reason"));
    const VETO_SHOWN: usize = 10;
    let veto_more = (veto_measures.len() > VETO_SHOWN).then(|| {
        fill(
            &label(labels, "veto_more"),
            &[("n", veto_measures.len().to_string())],
        )
    });
    veto_measures.truncate(VETO_SHOWN);
    let mut unassigned: Vec<GapRow> = analysis
        .measures
        .iter()
        .enumerate()
        .filter(|(_, j)| j.has(GapKind::NoOwner))
        .map(|(i, j)| gap_row(labels, i, j))
        .collect();
    sort_worst_first(&mut unassigned);

    let status_counts = StatusClass::ALL
        .iter()
        .map(|c| CountRow {
            key: c.key(),
            label: label(labels, &format!("status.{}", c.key())),
            count: s.status_count(*c),
        })
        .collect();
    let severity_counts = [Severity::Critical, Severity::Major, Severity::Minor]
        .iter()
        .enumerate()
        .map(|(i, sev)| CountRow {
            key: sev.key(),
            label: label(labels, &format!("severity.{}", sev.key())),
            count: s.worst[i],
        })
        .collect();

    let mut by_severity: [Vec<GapRow>; 3] = Default::default();
    for (i, j) in analysis.measures.iter().enumerate() {
        if let Some(w) = j.worst() {
            by_severity[w as usize].push(gap_row(labels, i, j));
        }
    }
    for rows in &mut by_severity {
        sort_worst_first(rows);
    }
    let [critical, major, minor] = by_severity;

    let sets = analysis
        .sets
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut categories: Vec<CategoryView> = Vec::new();
            for (k, j) in analysis
                .measures
                .iter()
                .enumerate()
                .filter(|(_, j)| j.measure.set == g.name)
            {
                let name = j
                    .measure
                    .category
                    .clone()
                    .unwrap_or_else(|| label(labels, "uncategorised"));
                let row = evidence_row(labels, j, report.measures.get(k));
                match categories.iter_mut().find(|c| c.name == name) {
                    Some(c) => c.measures.push(row),
                    None => categories.push(CategoryView {
                        name,
                        measures: vec![row],
                    }),
                }
            }
            SetView {
                name: g.name.clone(),
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
                has_place: categories
                    .iter()
                    .flat_map(|c| &c.measures)
                    .any(|m| !m.site.is_empty() || !m.box_no.is_empty()),
                categories,
            }
        })
        .collect();

    let owners: Vec<OwnerView> = analysis
        .owners
        .iter()
        .map(|g| {
            let mine = || {
                analysis
                    .measures
                    .iter()
                    .enumerate()
                    .filter(|(_, j)| j.measure.owners.contains(&g.name))
            };
            let mut tasks: Vec<GapRow> = mine()
                .filter(|(_, j)| j.measure.status.class.is_open() || !j.evidence_missing.is_empty())
                .map(|(i, j)| gap_row(labels, i, j))
                .collect();
            sort_worst_first(&mut tasks);
            let missing = mine()
                .filter(|(_, j)| !j.evidence_missing.is_empty())
                .map(|(i, j)| gap_row(labels, i, j))
                .collect();
            OwnerView {
                name: g.name.clone(),
                measures: g.tally.measures,
                open: g.tally.open,
                overdue: g.tally.overdue,
                score: score_text(g.tally.score()),
                tasks,
                missing,
                evidence_tasks: evidence_view::tasks_for(labels, report, &g.name),
            }
        })
        .collect();

    let idle_owners = owners
        .iter()
        .filter(|o| o.tasks.is_empty() && o.evidence_tasks.is_empty())
        .map(|o| o.name.clone())
        .collect();

    let diagnostics = book
        .diagnostics
        .iter()
        .filter(|d| !d.code.starts_with("evidence_"))
        .map(|d| {
            let hint_code = if d.hint_code.is_empty() {
                d.code
            } else {
                d.hint_code
            };
            DiagnosticRow {
                severity: label(labels, &format!("severity.{}", d.severity)),
                location: d.location.to_string(),
                message: localized(labels, "diag", d.code, &d.args)
                    .unwrap_or_else(|| d.message.clone()),
                hint: match &d.hint {
                    None => String::new(),
                    Some(h) => {
                        localized(labels, "diag_hint", hint_code, &d.args).unwrap_or(h.clone())
                    }
                },
            }
        })
        .collect();

    Context {
        lang: label(labels, "lang"),
        labels,
        unit: unit.to_string(),
        as_of,
        generator: format!("dossier {}", env!("CARGO_PKG_VERSION")),
        report,
        overview,
        score,
        grade,
        veto_reason,
        veto_measures,
        veto_more,
        unassigned,
        idle_owners,
        status_counts,
        severity_counts,
        sets,
        owners,
        critical,
        major,
        minor,
        charts: Charts {
            score_by_set: "score-by-set.svg",
            open_by_owner: "open-by-owner.svg",
        },
        diagnostics,
        evidence: evidence_view::view(labels, report),
    }
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
