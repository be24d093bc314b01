//! The `dossier` binary: parses the command line, runs it, and is the only place that exits.

use clap::Parser;
use dossier::cli::{Cli, exit_code};

fn main() {
    std::process::exit(exit_code(Cli::parse()));
}
