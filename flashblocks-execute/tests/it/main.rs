//! Integration tests of flashblocks-execute (one binary).

mod reexecute;
