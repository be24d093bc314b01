//! `dossier` reads the measure workbooks a town safety office keeps and judges how ready
//! it is for the annual safety-production assessment: scores, a projected grade, gaps,
//! and the documents built from them.
//!
//! Stages, each its own module: [`ingest`] (files → [`model`]), [`analysis`] (pure
//! judgement), [`report`] (the JSON contract), and [`config`] (the project file).
//! [`cli`] parses the command line and hands each command to its module in
//! [`commands`]; nothing else in the library looks up at those two.

pub mod analysis;
pub mod batch;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diff;
pub mod evidence;
pub mod gate;
pub mod hash;
pub mod ingest;
pub mod io_hint;
pub mod limits;
pub mod manual;
pub mod merge;
pub mod messages;
pub mod model;
pub mod output;
pub mod pack;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod signature;
pub mod split;
pub mod verify;
