//! The integration tests: one binary, one module per concern, fixtures in `tests/fixtures`.

mod bad_input;
mod batch;
mod clobber;
mod common;
mod contract;
mod convert;
mod diff;
mod documents;
mod evidence;
mod evidence_rules;
mod formats;
mod gate;
mod limits;
mod manual;
mod merge;
mod merge_returns;
mod official;
mod outputs;
mod pack;
mod pdf;
mod properties;
mod rules;
mod split;
mod tagged;
mod typeset;
mod xls_writer;
