//! Library code behind the examples, so that tests can reach it.

pub mod frames;
