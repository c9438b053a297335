//! Integration tests of flashblocks-execute (one binary).

mod call;
mod check;
mod corpus;
mod layers;
mod op_receipts;
mod overlay;
mod overlay_void;
mod proof;
mod reexecute;
mod sdm;
mod state_cache;
mod state_root;
