//! Integration tests of the examples crate.
