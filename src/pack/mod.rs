pub mod binder;
