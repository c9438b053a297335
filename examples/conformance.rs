//! `conformance`: runs the workspace's decoder and validator over conformance vectors and
//! captures, as Ethereum clients run the consensus-spec tests.
//!
//! ```text
//! cargo run --release --example conformance -- PATH...
//! cargo run --release --example conformance -- testdata/vectors
//! cargo run --release --example conformance -- --dialect base --chain base-mainnet capture.jsonl
//! ```
//!
//! Each PATH is an SSZ vector directory (`valid/`, `invalid/`), a directory of sequence
//! scenarios, or a capture (a JSON array of flashblocks, one object, JSON lines, or
//! length-prefixed frames), told apart by content. It prints one `FAIL <file>[ step
//! <i>]: <why>` line per failed vector or step, one line per capture flashblock, the
//! dialect each JSON capture was read in (`--dialect`, default `auto`, whose decision is
//! printed; `--ssz` is `--dialect ssz`), and last `N passed, M failed`; it exits
//! non-zero if M > 0. `--chain NAME` sets the bound on flashblocks per block from the
//! chain's block time and its Lagoon time gates `post_exec_inactive`; `--lagoon-time SECONDS` overrides it. See
//! [`flashblocks_examples::conformance`] for the exact format.

use flashblocks_examples::{conformance::Runner, output::Stdout};
use flashblocks_types::{ChainConfig, Dialect, DialectChoice};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dialect = DialectChoice::Auto;
    let mut chain = None;
    let mut lagoon = None;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let parsed: Result<(), String> = match arg.as_str() {
            "--ssz" => {
                dialect = DialectChoice::Fixed(Dialect::SszV1);
                Ok(())
            }
            "--dialect" => args
                .next()
                .ok_or_else(|| "--dialect needs a name".to_owned())
                .and_then(|name| name.parse().map_err(|e| format!("{e}")))
                .map(|d| dialect = d),
            "--chain" => args
                .next()
                .and_then(|name| ChainConfig::by_name(&name))
                .ok_or_else(|| format!("--chain needs one of {}", ChainConfig::NAMES.join(", ")))
                .map(|c| chain = Some(c)),
            "--lagoon-time" => args
                .next()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| "--lagoon-time needs seconds".to_owned())
                .map(|t| lagoon = Some(t)),
            _ => {
                paths.push(arg);
                Ok(())
            }
        };
        if let Err(why) = parsed {
            eprintln!("conformance: {why}");
            return ExitCode::from(2);
        }
    }
    if paths.is_empty() {
        eprintln!(
            "usage: conformance [--dialect D|--ssz] [--chain NAME] [--lagoon-time S] PATH...   \
             (vector directories, scenario directories, captures)"
        );
        return ExitCode::from(2);
    }
    let chain = chain.map(|c: ChainConfig| match lagoon {
        Some(time) => c.with_lagoon_time(Some(time)),
        None => c,
    });
    let mut runner = Runner::new(Stdout).with_dialect(dialect).with_chain(chain);
    for path in &paths {
        runner.run_path(path.as_ref());
    }
    let (counts, _) = runner.finish();
    if counts.tally.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
