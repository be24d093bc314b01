//! Property tests of the judgement: whatever the measures, the counts add up, every score
//! lies in 0–100, and the report says what the analysis says.

use chrono::NaiveDate;
use dossier::analysis::{Grade, analyse};
use dossier::model::{EvidenceReady, Measure, Source, Status, StatusClass};
use proptest::prelude::*;

fn class(i: u8) -> StatusClass {
    StatusClass::ALL[usize::from(i) % StatusClass::ALL.len()]
}

/// What a generated measure is made of: set, id, status class, partial credit, weight,
/// days to the deadline, veto, owners, evidence items, what the workbook says is in hand.
type Seed = (
    u8,
    u16,
    u8,
    f64,
    f64,
    Option<i64>,
    bool,
    Vec<u8>,
    Vec<u8>,
    u8,
);

fn measure((set, id, cls, credit, weight, days, veto, owners, evidence, ready): Seed) -> Measure {
    let class = class(cls);
    let credit = match class {
        StatusClass::Done | StatusClass::Ongoing => Some(1.0),
        StatusClass::Partial => Some(credit),
        StatusClass::NotApplicable => None,
        _ => Some(0.0),
    };
    let as_of = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
    let items = ["通报文件", "现场照片", "会议纪要", "工作方案"];
    let evidence: Vec<String> = evidence
        .iter()
        .map(|i| items[usize::from(*i) % 4].to_string())
        .collect();
    Measure {
        set: format!("清单{}", set % 3),
        id: id.to_string(),
        category: None,
        text: format!("措施{id}"),
        owners: owners.iter().map(|o| format!("单位{}", o % 5)).collect(),
        supporting: Vec::new(),
        contact: None,
        status: Status {
            class,
            credit,
            text: String::new(),
        },
        progress: None,
        deadline: days.map(|d| as_of + chrono::Duration::days(d)),
        continuous: false,
        evidence,
        evidence_ready: match ready % 3 {
            0 => EvidenceReady::Unknown,
            1 => EvidenceReady::All,
            _ => EvidenceReady::Nothing,
        },
        check: None,
        site: None,
        box_no: None,
        weight,
        veto,
        notes: None,
        extras: Vec::new(),
        source: Source {
            file: "t.xlsx".into(),
            sheet: None,
            row: 1,
            columns: Default::default(),
        },
    }
}

fn measures() -> impl Strategy<Value = Vec<Measure>> {
    prop::collection::vec(
        (
            any::<u8>(),
            1u16..200,
            any::<u8>(),
            0.0f64..=1.0,
            0.0f64..10.0,
            prop::option::of(-400i64..400),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..3),
            prop::collection::vec(any::<u8>(), 0..4),
            any::<u8>(),
        )
            .prop_map(measure),
        0..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn counts_add_up_and_scores_stay_within_0_to_100(ms in measures()) {
        let as_of = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let a = analyse(&ms, as_of);
        let s = &a.summary;
        prop_assert_eq!(s.measures, ms.len());
        prop_assert_eq!(s.by_status.iter().sum::<usize>(), ms.len());
        prop_assert_eq!(s.applicable, ms.len() - s.status_count(StatusClass::NotApplicable));
        prop_assert_eq!(
            s.open,
            s.status_count(StatusClass::Partial)
                + s.status_count(StatusClass::NotStarted)
                + s.status_count(StatusClass::Unknown)
        );
        prop_assert!(s.overdue <= s.open && s.veto_open <= s.open);
        prop_assert_eq!(s.worst.iter().sum::<usize>(), a.measures.iter().filter(|j| !j.gaps.is_empty()).count());
        for score in std::iter::once(s.score())
            .chain(a.sets.iter().map(|g| g.tally.score()))
            .chain(a.owners.iter().map(|g| g.tally.score()))
            .flatten()
        {
            prop_assert!((0.0..=100.0 + 1e-9).contains(&score), "score {}", score);
        }
        prop_assert_eq!(a.sets.iter().map(|g| g.tally.measures).sum::<usize>(), ms.len());
        prop_assert_eq!(a.grade.is_some(), s.score().is_some());
        if a.veto.is_some() {
            prop_assert_eq!(a.grade, Some(Grade::Poor));
        }
        for j in &a.measures {
            prop_assert!(j.evidence_missing.iter().all(|e| j.measure.evidence.contains(e)));
        }
    }
}

mod layout {
    use dossier::render::pdf::blocks::parse;
    use dossier::render::pdf::font::Font;
    use dossier::render::pdf::layout::{Draw, PageSetup, Tag, layout};
    use dossier::render::pdf::text::Metrics;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::sync::OnceLock;

    static FONT: OnceLock<Font> = OnceLock::new();

    /// Pieces documents are made of: CJK runs, Latin words, numbers, dates, paths, long
    /// unbroken words, punctuation.
    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            "[一-龥]{1,12}",
            "[a-zA-Z]{1,12}",
            "[0-9]{1,8}",
            Just("2026-12-15".to_string()),
            Just("市78条/第4条/现场照片.jpg".to_string()),
            "[a-z]{40,120}",
            "[一-龥]{30,80}",
            Just("，。、：".to_string()),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(word(), 1..8).prop_map(|w| w.join(" "))
    }

    fn markdown() -> impl Strategy<Value = String> {
        let table = (
            1usize..9,
            prop::collection::vec(prop::collection::vec(text(), 8), 1..6),
        )
            .prop_map(|(cols, rows)| {
                let mut t = String::from("|");
                for c in 0..cols {
                    t.push_str(&format!(" h{c} |"));
                }
                t.push_str("\n|");
                t.push_str(&":--|".repeat(cols));
                t.push('\n');
                for r in rows {
                    t.push('|');
                    for cell in r.iter().take(cols) {
                        t.push_str(&format!(" {cell} |"));
                    }
                    t.push('\n');
                }
                t
            });
        let block = prop_oneof![
            text().prop_map(|t| format!("# {t}\n")),
            text().prop_map(|t| format!("## {t}\n")),
            text().prop_map(|t| format!("{t}\n")),
            prop::collection::vec(text(), 1..5)
                .prop_map(|items| items.iter().map(|i| format!("- {i}\n")).collect()),
            text().prop_map(|t| format!("> {t}\n")),
            table,
            Just("<!-- pagebreak -->\n".to_string()),
        ];
        prop::collection::vec(block, 1..12).prop_map(|b| b.join("\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn no_text_is_drawn_outside_the_page(md in markdown(), landscape in any::<bool>()) {
            let font = FONT.get_or_init(|| Font::built_in().unwrap());
            let setup = PageSetup::from_mm(210.0, 297.0, landscape);
            let blocks = parse(&md, &[]);
            let laid = layout(&blocks, &[], setup, font, &HashMap::new());
            for (p, page) in laid.pages.iter().enumerate() {
                for d in page {
                    if let Draw::Text { x, y, size, bold, text } = d {
                        let w: f32 = text.chars().map(|c| font.advance(c, *bold)).sum::<f32>() * size;
                        prop_assert!(*x >= -0.01, "page {}: {:?} starts left of the page", p + 1, text);
                        prop_assert!(x + w <= setup.width + 0.5, "page {}: {:?} ends at {} of {}", p + 1, text, x + w, setup.width);
                        prop_assert!(*y >= 0.0 && *y <= setup.height, "page {}: {:?} at y {}", p + 1, text, y);
                    }
                }
            }
        }

        /// The structure marks the tagged PDF is built from: each element opened once,
        /// under an element still open, closed after; text belongs to an open element or
        /// is an artifact; nothing stays open; every page says what it starts in.
        #[test]
        fn structure_marks_nest_and_every_text_belongs_to_an_open_element(md in markdown()) {
            let font = FONT.get_or_init(|| Font::built_in().unwrap());
            let setup = PageSetup::from_mm(210.0, 297.0, false);
            let laid = layout(&parse(&md, &[]), &[], setup, font, &HashMap::new());
            let mut open: Vec<u32> = vec![0];
            let mut seen = std::collections::HashSet::new();
            let (mut elements, mut texts) = (0, 0);
            for (p, page) in laid.pages.iter().enumerate() {
                prop_assert!(matches!(page.first(), Some(Draw::Tag(_))), "page {} starts untagged", p + 1);
                let mut tag = None;
                for d in page {
                    match d {
                        Draw::Open { id, parent, .. } => {
                            prop_assert!(seen.insert(*id), "element {} opened twice", id);
                            prop_assert!(open.contains(parent), "{} opened under {}, not open", id, parent);
                            open.push(*id);
                            elements += 1;
                        }
                        Draw::Close(id) => {
                            prop_assert!(open.contains(id), "{} closed while not open", id);
                            open.retain(|o| o != id);
                        }
                        Draw::Tag(t) => tag = Some(*t),
                        Draw::Text { text, .. } => {
                            texts += 1;
                            match tag {
                                Some(Tag::Elem(e)) => prop_assert!(open.contains(&e), "{:?} in closed element {}", text, e),
                                Some(_) => {}
                                None => prop_assert!(false, "{:?} drawn before any tag", text),
                            }
                        }
                        _ => {}
                    }
                }
            }
            prop_assert_eq!(open, vec![0]);
            // Text (a page break alone draws none) makes elements.
            prop_assert!(elements > 0 || texts == 0);
        }
    }
}
