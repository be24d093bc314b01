pub mod archive;
pub mod names;
pub mod binder;
