//! The `dossier` binary: parses the command line, runs it, and is the only place that exits.

use clap::Parser;
use dossier::cli::{Cli, run};

fn main() {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("dossier: {}", dossier::io_hint::line(&e));
            std::process::exit(2);
        }
    }
}
