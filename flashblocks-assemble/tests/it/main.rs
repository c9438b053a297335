//! Integration tests of flashblocks-assemble: the real Unichain block, reassembly, the
//! block-hash check, the builder-side chain maker, and the fuzz corpus.

mod assemble;
mod check;
mod common;
mod corpus;
mod lagoon;
mod props;
mod real;
