//! The executor's cost per flashblock, against baselines measured in the same run, on
//! an executing builder's block of ten flashblocks of 1000 signed EIP-1559 transfers
//! each (after index 0's deposits):
//!
//! - `execute_1000/floor_recover_and_op_revm`: recovering the 1000 senders on every
//!   core (rayon over alloy's recovery) and running the same transactions with bare
//!   op-revm (a `CacheDB` over the same state, `transact_commit`, no receipts): the
//!   floor any executor pays;
//! - `execute_1000/executor_flashblock_1`: the crate's [`Executor::execute`] of a fresh
//!   flashblock #1 (its preparation: decode and recovery, as the validator does it once;
//!   then alloy-op-evm's block executor, receipts, the changed accounts, the receipts
//!   root and the proof against the claims);
//! - `execute_1000/executor_flashblock_10`: the same for flashblock #10 of equal size,
//!   on the layer the first nine left (its cost must not grow with the index).
//!
//! Wall time (the floor and the preparation use every core). The whole receive path
//! against the same floor is `flashblocks-rs`'s `receive` bench.
//!
//! After criterion's output the run prints the medians and the goal ratios
//! (`executor_flashblock_1 / floor <= 1.2`, `#10 / #1 <= 1.2`), and Base's published
//! 54.8 ms per 1000-transaction update beside ours (another machine: an anchor, not a
//! ratio):
//!
//! ```text
//! cargo bench -p flashblocks-execute --bench execute -- --warm-up-time 1 --measurement-time 5
//! ```
//!
//! Last run (pure-Rust `k256`, the crate's default; quiet 2-core machine, load average
//! 1.9, `--warm-up-time 2 --measurement-time 6`, medians): floor 160.3 ms (recovery alone,
//! on one thread: 286.7 ms), executor #1 172.3 ms (1.07×), #10 139.3 ms (#10 / #1
//! 0.81×). With `secp256k1` the `receive` bench of `flashblocks-rs` is the node's figure.

use alloy_consensus::transaction::SignerRecoverable;
use alloy_eips::Decodable2718;
use criterion::{BatchSize, Criterion};
use flashblocks_execute::{
    benchmark::{transfer_block, Floor},
    Executor, InMemoryStates,
};
use flashblocks_types::benchmark::criterion_median_ns as median_ns;
use op_alloy_consensus::OpTxEnvelope;
use std::hint::black_box;

fn execute(c: &mut Criterion) {
    let (builder, block) = transfer_block();
    let config = builder.config().clone();
    let mut first = Executor::new(config.clone(), builder.genesis_states());
    let ex = first.execute(&block[0].json_stripped(), true).expect("index 0");
    first.commit(ex);
    let mut tenth: Executor<InMemoryStates> =
        Executor::new(config.clone(), builder.genesis_states());
    for built in &block[..10] {
        let fb = built.json_stripped();
        let ex = tenth.execute(&fb, fb.index() == 0).expect("executes");
        assert!(ex.proof().is_ok());
        tenth.commit(ex);
    }
    let fb1 = block[1].json_stripped();
    let fb10 = block[10].json_stripped();
    assert!(first.execute(&fb1, false).expect("#1").proof().is_ok());
    assert!(tenth.execute(&fb10, false).expect("#10").proof().is_ok());

    let floor = Floor::after(&builder, &block[0]);

    let mut g = c.benchmark_group("execute_1000");
    g.sample_size(10);
    let txs1 = fb1.transactions().to_vec();
    g.bench_function("floor_recover_and_op_revm", |b| {
        b.iter_batched(
            || floor.state(),
            |mut state| {
                floor.run(&mut state, &txs1);
                state
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("recover_only", |b| {
        b.iter(|| {
            for raw in fb1.transactions() {
                let tx = OpTxEnvelope::decode_2718_exact(raw).expect("decodes");
                black_box(tx.recover_signer().expect("recovers"));
            }
        });
    });
    // A fresh flashblock each time: its preparation (done once per flashblock) is part
    // of what executing a new one costs.
    g.bench_function("executor_flashblock_1", |b| {
        b.iter_batched(
            || block[1].json_stripped(),
            |fb| black_box(first.execute(&fb, false).expect("executes")),
            BatchSize::PerIteration,
        );
    });
    g.bench_function("executor_flashblock_10", |b| {
        b.iter_batched(
            || block[10].json_stripped(),
            |fb| black_box(tenth.execute(&fb, false).expect("executes")),
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn report() {
    let ids = [
        "execute_1000/floor_recover_and_op_revm",
        "execute_1000/recover_only",
        "execute_1000/executor_flashblock_1",
        "execute_1000/executor_flashblock_10",
    ];
    println!("\nmedians of this run (ms):");
    for id in ids {
        match median_ns(id) {
            Some(ns) => println!("  {id:44} {:>10.2}", ns / 1e6),
            None => println!("  {id:44} {:>10}", "not run"),
        }
    }
    let m = |id| median_ns(id).unwrap_or(f64::NAN);
    let floor = m("execute_1000/floor_recover_and_op_revm");
    let one = m("execute_1000/executor_flashblock_1");
    let ten = m("execute_1000/executor_flashblock_10");
    println!("ratios (goal in brackets):");
    println!("  executor #1 / floor     {:>6.2}x  [<= 1.2]", one / floor);
    println!("  executor #10 / #1       {:>6.2}x  [<= 1.2]", ten / one);
    println!("peer anchor: Base re-executes 1000 transactions in 54.8 ms (base/base#3249, other machine); ours {:.2} ms", one / 1e6);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    execute(&mut c);
    c.final_summary();
    report();
}
