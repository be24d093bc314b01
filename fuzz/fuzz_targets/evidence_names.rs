//! Any path in an evidence folder: assigning it to a measure and an item, reading id
//! forms and dates from its names never panics.
#![no_main]

use dossier::evidence::{assign::Matcher, dates, names};
use dossier::model::{EvidenceReady, Measure, Source, Status, StatusClass};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::sync::OnceLock;

static MEASURES: OnceLock<Vec<Measure>> = OnceLock::new();

fn measures() -> Vec<Measure> {
    let mut out = Vec::new();
    for (set, n) in [
        ("国务院15条", 15),
        ("省65条", 65),
        ("市78条", 78),
        ("Plan B", 3),
    ] {
        for id in 1..=n {
            out.push(Measure {
                set: set.into(),
                id: if id == 3 {
                    "3.2".into()
                } else {
                    id.to_string()
                },
                category: None,
                text: format!("措施{id}"),
                owners: vec![],
                supporting: vec![],
                contact: None,
                status: Status {
                    class: StatusClass::Done,
                    credit: Some(1.0),
                    text: String::new(),
                },
                progress: None,
                deadline: None,
                continuous: false,
                evidence: vec!["现场照片".into(), "会议纪要".into(), "工作方案".into()],
                evidence_ready: EvidenceReady::Unknown,
                check: None,
                site: None,
                box_no: None,
                weight: 1.0,
                veto: false,
                notes: None,
                extras: vec![],
                source: Source {
                    file: "f.xlsx".into(),
                    sheet: None,
                    row: 1,
                    columns: Default::default(),
                },
            });
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<String> = text.split('/').map(str::to_string).collect();
    let ms = MEASURES.get_or_init(measures);
    let matcher = Matcher::new(ms, &BTreeMap::new());
    let _ = matcher.assign(&parts);
    for p in &parts {
        let _ = names::leading_ids(&names::norm(p));
        let _ = names::drop_ordinal(p);
        let _ = names::chinese_number(p);
        let _ = dates::date_in_name(p);
        let _ = dates::pdf_date(p);
        let _ = dates::iso_date(p);
    }
});
