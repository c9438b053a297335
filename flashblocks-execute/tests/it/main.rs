//! Integration tests of flashblocks-execute (one binary).

mod check;
mod layers;
mod proof;
mod reexecute;
