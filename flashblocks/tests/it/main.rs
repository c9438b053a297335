//! Integration tests of the receiver: one binary.

mod dialect_streams;
mod dialects;
mod execution;
mod receiver;
mod rule4;
mod subblocks;
