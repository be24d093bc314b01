//! The baseline of the reading benchmark (bench/run.sh): a bare calamine read of every
//! sheet of a workbook, touching every cell, with nothing of dossier's own. `dossier
//! check` on the same file is measured against it (issue 8: at most 2×).
//!
//!     cargo run --release --example calamine_read -- WORKBOOK

use calamine::{Data, Reader, open_workbook_auto};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: calamine_read WORKBOOK");
        std::process::exit(2);
    };
    let mut book = match open_workbook_auto(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("calamine_read: {path}: {e}");
            std::process::exit(2);
        }
    };
    let (mut cells, mut chars) = (0usize, 0usize);
    for name in book.sheet_names() {
        let range = match book.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("calamine_read: {path}: {name}: {e}");
                std::process::exit(2);
            }
        };
        for cell in range.used_cells() {
            cells += 1;
            if let (_, _, Data::String(s)) = cell {
                chars += s.chars().count();
            }
        }
    }
    println!("{cells} cells, {chars} characters");
}
