//! Integration tests of the examples: the simulated builder, the replay code path over
//! simulated and real captures, the conformance runner over every vector, and the
//! loopback JSON-RPC server and websocket consumer.

mod capture;
mod conformance;
mod e2e;
mod e2e_web3;
mod executed;
mod fuzz_corpus;
mod node;
mod props;
mod replay;
mod rpc;
mod rpc_surface;
mod sequencer;
mod sequencer_calls;
mod sequencer_state;
mod simulate;
mod upstream;
mod upstream_state;
mod ws;
mod ws_hostile;

use std::path::PathBuf;

/// The workspace's copy of the shared vectors.
pub(crate) fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors")
}

/// The real Unichain Sepolia capture.
pub(crate) fn unichain() -> Vec<u8> {
    std::fs::read(vectors_dir().join("real/unichain-sepolia-35535698-full-sequence.json"))
        .expect("the real capture is in testdata")
}
