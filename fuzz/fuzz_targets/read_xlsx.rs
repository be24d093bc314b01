//! Any bytes given as a .xlsx input: the reader returns a workbook or an error, never
//! panics, aborts or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = vec![("fuzz.xlsx".to_string(), data.to_vec())];
    let _ = dossier::ingest::parse_files(
        &files,
        &dossier::ingest::ReadOptions::new(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 15).unwrap_or_default(),
        ),
    );
});
