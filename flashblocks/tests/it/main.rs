//! Integration tests of the receiver: one binary.

mod dialects;
mod execution;
mod receiver;
mod rule4;
mod subblocks;
