pub mod archive;
pub mod names;
