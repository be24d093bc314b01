//! One module per command of the `dossier` binary: each holds its flags (a clap `Args`
//! struct whose doc comments are its `--help`) and a `run` that calls into the library
//! and returns an exit code. [`crate::cli`] parses the command line and dispatches here;
//! the library modules below never look up at either.
//!
//! Flag groups and value types several commands share are in [`args`], helpers they
//! share in [`common`] and [`fonts`], the error they all return in [`error`].

pub mod args;
pub mod build;
pub mod check;
pub mod common;
pub mod completions;
pub mod diff;
pub mod error;
pub mod fonts;
pub mod init;
pub mod keygen;
pub mod man;
pub mod merge;
pub mod pack;
pub mod split;
pub mod summary;
pub mod verify;
