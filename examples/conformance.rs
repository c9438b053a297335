//! `conformance`: runs the workspace's decoder and validator over conformance vectors and
//! captures, as Ethereum clients run the consensus-spec tests.
//!
//! ```text
//! cargo run --release --example conformance -- PATH...
//! cargo run --release --example conformance -- testdata/vectors
//! ```
//!
//! Each PATH is an SSZ vector directory (`valid/`, `invalid/`), a directory of sequence
//! scenarios, or a capture (a JSON array of flashblocks, one object, JSON lines, or
//! length-prefixed frames), told apart by content. It prints one `FAIL <file>[ step
//! <i>]: <why>` line per failed vector or step, one line per capture flashblock, and
//! last `N passed, M failed`; it exits non-zero if M > 0. See
//! [`flashblocks_examples::conformance`] for the exact format.

use flashblocks_examples::{conformance::run, output::Stdout};
use std::process::ExitCode;

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!(
            "usage: conformance PATH...   (vector directories, scenario directories, captures)"
        );
        return ExitCode::from(2);
    }
    let (counts, _) = run(&paths, Stdout);
    if counts.tally.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
