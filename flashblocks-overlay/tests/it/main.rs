//! Integration tests of the overlay: one binary (see the crate's `Cargo.toml`).

mod common;
mod differential;
mod hostile;
mod json;
mod lagoon;
mod lifecycle;
mod threaded;
mod unichain;
mod v1;
