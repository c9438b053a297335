//! `replay`: the main job. With no argument, a simulated builder's blocks (real signed
//! EIP-1559 transfers from development keys after an OP L1-info deposit, consistent
//! metadata and gas, block hashes that verify, one injected bad frame) go through the
//! whole pipeline: encode → SSZ frames → decode → validate → assemble with the
//! block-hash check → overlay; one table row per flashblock, then the final payloads and
//! a few `pending` answers from the overlay; then an executing builder's blocks, sent as
//! JSON without balances or receipts, are re-executed and proved per flashblock
//! (execution time, proof result) and the executed `pending` state is shown; then the
//! same builder's blocks as an OP Subblocks sequencer sends them (zero roots, a
//! heartbeat subblock) are executed block after block, their block-hash outcome
//! `unavailable`, each block's hash learned from the next. With a path, it replays a capture whose
//! format is read from its content (a JSON array of flashblocks, one object, JSON lines,
//! or length-prefixed frames, each SSZ, JSON or brotli-compressed JSON).
//!
//! ```text
//! cargo run --release --example replay            # the simulated builder
//! cargo run --release --example replay -- FILE    # a capture
//! cargo run --release --example replay -- --payload-json [FILE]
//! ```
//!
//! `--payload-json` also prints the last payload as `engine_getPayloadV4` returns it.

use flashblocks_assemble::AssembledPayload;
use flashblocks_examples::{
    executed::{executed_replay, subblock_replay},
    output::Stdout,
    replay::{self, replay_bytes, replay_frames, simulated_stream, ReplayOptions},
    simulate::{dev_signers, simulate, SimulationConfig, L1_BLOCK},
};
use flashblocks_node::pipeline::{now_ms, Pipeline};
use flashblocks_overlay::{Lookup, OverlayEvent};
use flashblocks_validate::RuleSet;
use std::process::ExitCode;

fn main() -> ExitCode {
    let options = ReplayOptions::default();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let payload_json = args.iter().any(|a| a == "--payload-json");
    args.retain(|a| a != "--payload-json");
    let print_json = |payloads: &[AssembledPayload]| {
        if let Some(payload) = payloads.last().filter(|_| payload_json) {
            match replay::payload_json(payload) {
                Ok(json) => {
                    println!("\nengine_getPayloadV4 of block {}:\n{json}", payload.block_number())
                }
                Err(err) => eprintln!("payload JSON: {err}"),
            }
        }
    };
    if let Some(path) = args.first() {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) => {
                eprintln!("{path}: {err}");
                return ExitCode::FAILURE;
            }
        };
        return match replay_bytes(&bytes, options, &mut Stdout) {
            Ok((_, summary, _)) => {
                print_json(&summary.payloads);
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("{path}: {err}");
                ExitCode::FAILURE
            }
        };
    }

    let config = SimulationConfig::default();
    let sim = match simulate(&config) {
        Ok(sim) => sim,
        Err(err) => {
            eprintln!("simulation: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (frames, injected) = simulated_stream(&sim);
    println!(
        "simulated builder: {} blocks of {} flashblocks, {} transactions, {} SSZ frames \
         (frame {} injected with a wrong parent_flash_hash, frame {} a resend)\n",
        sim.blocks.len(),
        config.flashblocks_per_block,
        sim.transactions.len(),
        frames.len(),
        injected.bad_frame,
        injected.resend,
    );
    let mut pipeline = Pipeline::new(RuleSet::V1);
    let summary =
        replay_frames(&mut pipeline, frames.iter().map(Vec::as_slice), options, &mut Stdout);

    print_json(&summary.payloads);

    println!("\npending state (the overlay, as eth_* \"pending\" answers it):");
    let snapshot = pipeline.reader().snapshot();
    let view = snapshot.at(now_ms());
    if let Some(id) = snapshot.id() {
        println!("  newest: block {} flashblock {}", id.block_number, id.flashblock_index);
    }
    for signer in dev_signers() {
        let address = signer.address();
        let (balance, nonce) = (view.balance(address), view.transaction_count(address));
        if let (Lookup::Found(balance), Lookup::Found(nonce)) = (balance, nonce) {
            println!("  {address}: balance {} wei, nonce {}", balance.value, nonce.value);
        }
    }
    if let Some((slot, _)) = sim.l1_block_storage.first_key_value() {
        if let Lookup::Found(value) = view.storage_at(L1_BLOCK, *slot) {
            println!("  L1Block slot {slot}: {}", value.value);
        }
    }

    println!(
        "\nexecuted (the same kind of stream as JSON without balances or receipts, re-executed):"
    );
    let executed = match executed_replay(&mut Stdout) {
        Ok(executed) => executed,
        Err(err) => {
            eprintln!("execution: {err}");
            return ExitCode::FAILURE;
        }
    };
    if executed.proved != executed.executed || executed.builder_facts != executed.executed {
        eprintln!("unexpected execution: {executed:?}");
        return ExitCode::FAILURE;
    }

    println!(
        "\nOP Subblocks (the same builder's blocks with zero state_root, block_hash and \
         withdrawals_root and a heartbeat subblock, executed; the block hash learned):"
    );
    let subblocks = match subblock_replay(&mut Stdout) {
        Ok(subblocks) => subblocks,
        Err(err) => {
            eprintln!("subblocks: {err}");
            return ExitCode::FAILURE;
        }
    };
    let replayed = &subblocks.replay;
    let subblocks_ok = replayed.rejected.is_empty()
        && replayed.accepted == replayed.frames
        && replayed.block_hash_unavailable == replayed.accepted
        && subblocks.executed_cleanly
        && subblocks.pending_hash_null
        && subblocks.blockhash_of_parent == Some(subblocks.parent_hash)
        && matches!(subblocks.canonical_events.as_slice(), [OverlayEvent::Confirmed { .. }])
        && subblocks
            .refunded_receipt
            .is_some_and(|r| (r.gas_used, r.op_gas_refund) == (r.builder.0, Some(r.builder.1)));
    if !subblocks_ok {
        eprintln!("unexpected subblock replay: {subblocks:?}");
        return ExitCode::FAILURE;
    }

    let expected_rejection = summary.rejected == [(injected.bad_frame, "parent_hash_mismatch")];
    let all_hashes = summary.block_hash_ok == summary.accepted && summary.block_hash_mismatch == 0;
    if expected_rejection && all_hashes {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "unexpected: rejected {:?}, block hash ok at {} of {}",
            summary.rejected, summary.block_hash_ok, summary.accepted
        );
        ExitCode::FAILURE
    }
}
