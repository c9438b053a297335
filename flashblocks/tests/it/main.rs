//! Integration tests of the receiver: one binary.

mod receiver;
