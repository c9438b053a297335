//! Integration tests of the receiver: one binary.

mod execution;
mod receiver;
mod rule4;
