//! The league table as documents: `summary.md` (with its charts as SVG beside it),
//! `summary.html` and `summary.pdf`, through the same machinery as a unit's documents
//! (the `summary.md` template with Markdown escaping, `layout.html`, the PDF renderer),
//! so they look and print alike. Written for 2 units and for 2,000: the ranking is one
//! table (the PDF repeats its header on every page; the HTML page sorts by any column
//! once its script runs, and reads in rank order without it), the score chart is a bar
//! per unit for a few units and a histogram of score bands for many.

use super::summary::League;
use crate::pipeline::{self, DocOptions, Format};
use crate::render;
use crate::render::charts::{Bar, Chart};
use crate::render::context::{Labels, fill, label, score_text};
use serde::Serialize;
use std::collections::BTreeSet;

/// The file stem of the league table's documents.
pub const STEM: &str = "summary";

/// The chart files written beside `summary.md`.
pub const SCORE_CHART: &str = "summary-score.svg";
/// The grade distribution chart.
pub const GRADES_CHART: &str = "summary-grades.svg";

/// Up to this many units the score chart has a bar per unit; beyond, score bands.
const BARS_PER_UNIT: usize = 40;

/// How many common gaps the documents list (`summary.json` holds them all).
const COMMON_SHOWN: usize = 20;

/// Grades as `report.json` writes them, with their label keys, best first.
const GRADES: [(&str, &str); 4] = [
    ("优秀", "excellent"),
    ("良好", "good"),
    ("一般", "fair"),
    ("较差", "poor"),
];

/// A built unit's row as the documents show it.
#[derive(Serialize)]
struct RowView {
    /// Competition ranking: equal scores share a rank (1, 1, 3).
    rank: usize,
    name: String,
    score: String,
    grade: String,
    measures: usize,
    open: usize,
    overdue: usize,
    veto_open: usize,
    evidence_missing: usize,
    /// With `--previous`: "+1.2（改进3，退步1）"; "—" for a unit the previous run lacked.
    since_last: String,
}

#[derive(Serialize)]
struct FailedView {
    name: String,
    reason: String,
}

#[derive(Serialize)]
struct GradeView {
    label: String,
    count: usize,
    share: String,
}

#[derive(Serialize)]
struct GapView {
    set: String,
    id: String,
    measure: String,
    units_open: usize,
    share: String,
}

#[derive(Serialize)]
struct OwnerView {
    name: String,
    units: usize,
    score: String,
}

#[derive(Serialize)]
struct ChartNames {
    score: &'static str,
    score_title: String,
    grades: &'static str,
}

/// What `summary.md` sees (documented in docs/templates.md).
#[derive(Serialize)]
struct SummaryContext<'a> {
    lang: String,
    labels: &'a Labels,
    /// "共3个单位": the running header's "who".
    unit: String,
    as_of: String,
    generator: String,
    /// Exactly the data of summary.json.
    summary: &'a League,
    overview: String,
    /// Whether the table compares with a previous run (`--previous`): a column more.
    has_previous: bool,
    units: Vec<RowView>,
    failed: Vec<FailedView>,
    grades: Vec<GradeView>,
    common_note: String,
    common_gaps: Vec<GapView>,
    owners: Vec<OwnerView>,
    charts: ChartNames,
}

/// The label key of a grade as `report.json` writes it.
fn grade_key(grade: Option<&str>) -> &'static str {
    GRADES
        .iter()
        .find(|(zh, _)| Some(*zh) == grade)
        .map_or("none", |(_, k)| *k)
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.0}%", 100.0 * part as f64 / whole as f64)
    }
}

/// The league table's files, rendered in memory so that they are written only when all
/// could be made.
pub struct SummaryFiles {
    /// (file name, bytes), in the order written.
    pub files: Vec<(String, Vec<u8>)>,
    /// Characters the PDF font lacks (drawn as □).
    pub missing: BTreeSet<char>,
}

/// The league table's files in the formats asked for.
pub fn render(
    league: &League,
    formats: &[Format],
    docs: &DocOptions<'_>,
) -> Result<SummaryFiles, pipeline::PipelineError> {
    let mut files = Vec::new();
    let mut missing = BTreeSet::new();
    if formats.contains(&Format::Json) {
        files.push((format!("{STEM}.json"), league.to_json().into_bytes()));
    }
    if formats.iter().any(|f| *f != Format::Json) {
        let labels = pipeline::labels(docs.templates, docs.lang)?;
        let (ctx, charts) = context(league, &labels);
        let markdown = render::markdown_from(docs.templates, "summary.md", &ctx, &docs.limits)?;
        let svgs: Vec<(&str, String)> = charts.iter().map(|(n, c)| (*n, c.svg())).collect();
        let title = label(&labels, "summary");
        if formats.contains(&Format::Md) {
            files.push((format!("{STEM}.md"), markdown.clone().into_bytes()));
        }
        if formats.contains(&Format::Html) {
            let page = render::Page {
                title: &title,
                doc: STEM,
                lang: &ctx.lang,
                unit: &ctx.unit,
                as_of: &ctx.as_of,
                labels: &labels,
                generator: &ctx.generator,
            };
            let html = render::html_page(docs.templates, &page, &markdown, &svgs, &docs.limits)?;
            files.push((format!("{STEM}.html"), html.into_bytes()));
        }
        if formats.contains(&Format::Pdf) {
            let heads =
                pipeline::PdfHeads::new(&labels, &ctx.unit, &title, &ctx.as_of).titled(&title);
            let created = chrono::NaiveDate::parse_from_str(&league.as_of, "%Y-%m-%d")
                .map_or(0, pipeline::created);
            let opts = heads.options(docs, &ctx.generator, created);
            let pdf = render::pdf::render(&markdown, &charts, docs.font, &opts)?;
            missing = pdf.missing;
            files.push((format!("{STEM}.pdf"), pdf.bytes));
        }
        if formats.contains(&Format::Md) {
            for (name, svg) in svgs {
                files.push((name.to_string(), svg.into_bytes()));
            }
        }
    }
    for (name, bytes) in &files {
        render::check_size(name, bytes, &docs.limits)?;
    }
    Ok(SummaryFiles { files, missing })
}

/// A unit's change since the previous run, as the table shows it.
fn since_last_text(
    labels: &Labels,
    score: Option<f64>,
    since: Option<&super::summary::SinceLast>,
) -> String {
    let Some(since) = since else {
        return "—".into();
    };
    let delta = match (score, since.score_before) {
        (Some(now), Some(before)) => {
            // Rounded as the scores are shown, so the column agrees with them.
            let d = (now * 10.0).round() / 10.0 - (before * 10.0).round() / 10.0;
            if d.abs() < 0.05 {
                "±0.0".to_string()
            } else {
                format!("{d:+.1}")
            }
        }
        _ => "—".to_string(),
    };
    fill(
        &label(labels, "since_last_text"),
        &[
            ("delta", delta),
            ("improved", since.improved.to_string()),
            ("regressed", since.regressed.to_string()),
            ("done", since.done.to_string()),
            ("newly_overdue", since.newly_overdue.to_string()),
        ],
    )
}

/// The template context and the two charts.
fn context<'a>(
    league: &'a League,
    labels: &'a Labels,
) -> (SummaryContext<'a>, Vec<(&'static str, Chart)>) {
    let built: Vec<_> = league.units.iter().filter(|u| u.failed.is_none()).collect();
    let failed: Vec<FailedView> = league
        .units
        .iter()
        .filter_map(|u| {
            u.failed.as_ref().map(|r| FailedView {
                name: u.name.clone(),
                reason: r.clone(),
            })
        })
        .collect();
    let grade_label = |g: Option<&str>| label(labels, &format!("grade.{}", grade_key(g)));
    let mut units = Vec::with_capacity(built.len());
    for (i, u) in built.iter().enumerate() {
        let rank = match (i, units.last()) {
            (0, _) | (_, None) => 1,
            (_, Some(prev)) => {
                let prev: &RowView = prev;
                if built[i - 1].score == u.score {
                    prev.rank
                } else {
                    i + 1
                }
            }
        };
        units.push(RowView {
            rank,
            name: u.name.clone(),
            score: score_text(u.score),
            grade: grade_label(u.grade.as_deref()),
            measures: u.measures.unwrap_or(0),
            open: u.open.unwrap_or(0),
            overdue: u.overdue.unwrap_or(0),
            veto_open: u.veto_open.unwrap_or(0),
            evidence_missing: u.evidence_missing.unwrap_or(0),
            since_last: since_last_text(labels, u.score, u.since_last.as_ref()),
        });
    }
    let total = league.units.len();
    let count_of = |key: &str| {
        built
            .iter()
            .filter(|u| grade_key(u.grade.as_deref()) == key)
            .count()
    };
    let mut grades: Vec<GradeView> = GRADES
        .iter()
        .map(|(_, key)| {
            let count = count_of(key);
            GradeView {
                label: label(labels, &format!("grade.{key}")),
                count,
                share: percent(count, total),
            }
        })
        .collect();
    let ungraded = count_of("none");
    if ungraded > 0 {
        grades.push(GradeView {
            label: label(labels, "grade.none"),
            count: ungraded,
            share: percent(ungraded, total),
        });
    }
    if !failed.is_empty() {
        grades.push(GradeView {
            label: label(labels, "not_read"),
            count: failed.len(),
            share: percent(failed.len(), total),
        });
    }
    // The mean is summed in name order, so it does not depend on the ranking's ties.
    let mut scored: Vec<(&str, f64)> = built
        .iter()
        .filter_map(|u| u.score.map(|s| (u.name.as_str(), s)))
        .collect();
    scored.sort_by(|a, b| a.0.cmp(b.0));
    let mean = (!scored.is_empty())
        .then(|| scored.iter().map(|(_, s)| s).sum::<f64>() / scored.len() as f64);
    let as_of = league.as_of.clone();
    let overview = fill(
        &label(labels, "summary_overview"),
        &[
            ("as_of", as_of.clone()),
            ("units", total.to_string()),
            ("built", built.len().to_string()),
            ("failed", failed.len().to_string()),
            ("mean", score_text(mean)),
            ("excellent", count_of("excellent").to_string()),
            ("good", count_of("good").to_string()),
            ("fair", count_of("fair").to_string()),
            ("poor", count_of("poor").to_string()),
        ],
    );
    let common_note = fill(
        &label(labels, "common_gaps_note"),
        &[
            (
                "shown",
                league.common_gaps.len().min(COMMON_SHOWN).to_string(),
            ),
            ("n", league.common_gaps.len().to_string()),
        ],
    );
    let common_gaps = league
        .common_gaps
        .iter()
        .take(COMMON_SHOWN)
        .map(|g| GapView {
            set: g.set.clone(),
            id: g.id.clone(),
            measure: g.measure.clone(),
            units_open: g.units_open,
            share: percent(g.units_open, built.len()),
        })
        .collect();
    let owners = league
        .owners
        .iter()
        .map(|o| OwnerView {
            name: o.name.clone(),
            units: o.units,
            score: score_text(o.score),
        })
        .collect();

    let per_unit = built.len() <= BARS_PER_UNIT;
    let score_chart = if per_unit {
        Chart {
            title: label(labels, "chart_score_by_unit"),
            bars: built
                .iter()
                .map(|u| Bar {
                    label: u.name.clone(),
                    value: u.score,
                    text: score_text(u.score),
                })
                .collect(),
            max: 100.0,
        }
    } else {
        // Bands of ten points, best first; 100 belongs to the top band.
        let mut bands = [0usize; 10];
        for s in built.iter().filter_map(|u| u.score) {
            bands[((s / 10.0).floor() as usize).min(9)] += 1;
        }
        let max = bands.iter().copied().max().unwrap_or(0).max(1) as f64;
        Chart {
            title: label(labels, "chart_score_bands"),
            bars: (0..10)
                .rev()
                .map(|b| Bar {
                    label: format!("{}–{}", b * 10, b * 10 + 10),
                    value: Some(bands[b] as f64),
                    text: bands[b].to_string(),
                })
                .collect(),
            max,
        }
    };
    let max_grade = grades.iter().map(|g| g.count).max().unwrap_or(0).max(1) as f64;
    let grades_chart = Chart {
        title: label(labels, "chart_grades"),
        bars: grades
            .iter()
            .map(|g| Bar {
                label: g.label.clone(),
                value: Some(g.count as f64),
                text: g.count.to_string(),
            })
            .collect(),
        max: max_grade,
    };
    let ctx = SummaryContext {
        lang: label(labels, "lang"),
        labels,
        unit: fill(&label(labels, "summary_units"), &[("n", total.to_string())]),
        as_of,
        generator: format!("dossier {}", env!("CARGO_PKG_VERSION")),
        summary: league,
        overview,
        has_previous: league.units.iter().any(|u| u.since_last.is_some()),
        units,
        failed,
        grades,
        common_note,
        common_gaps,
        owners,
        charts: ChartNames {
            score: SCORE_CHART,
            score_title: score_chart.title.clone(),
            grades: GRADES_CHART,
        },
    };
    (
        ctx,
        vec![(SCORE_CHART, score_chart), (GRADES_CHART, grades_chart)],
    )
}
