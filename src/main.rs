//! The `dossier` binary: runs the command line and is the only place that exits.

fn main() {
    std::process::exit(dossier::cli::start(std::env::args_os().collect()));
}
