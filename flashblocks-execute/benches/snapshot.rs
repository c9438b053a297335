//! The cost of executing and publishing flashblock `#k` against `#1` of the same size,
//! when the flashblocks before `#k` changed many accounts: a block of index 0 (deposits)
//! and ten flashblocks of 2000 transfers, each to a new account (20,000 accounts changed
//! by the block before `#10`).
//!
//! - `publish_2000/snapshot_after_1` and `snapshot_after_10`:
//!   [`Executor::pending_snapshot`] (what `ExecutionCheck` publishes after every commit)
//!   with flashblocks up to `#1`, resp. `#10`, committed;
//! - `publish_2000/execute_and_snapshot_1` and `execute_and_snapshot_10`:
//!   [`Executor::execute`] of flashblock `#1`, resp. `#10` (on the flashblocks before
//!   it), then a snapshot of the block up to and including it.
//!
//! After criterion's output the run prints the medians and the ratios `#10 / #1`:
//!
//! ```text
//! cargo bench -p flashblocks-execute --bench snapshot -- --warm-up-time 1 --measurement-time 5
//! ```

use alloy_op_hardforks::OpHardfork;
use criterion::Criterion;
use flashblocks_execute::{
    builder::{BuiltFlashblock, ExecutingBuilder, TxPlan},
    Executor, InMemoryStates,
};
use flashblocks_types::benchmark::criterion_median_ns as median_ns;
use std::hint::black_box;

/// Transfers to new accounts in each flashblock after index 0.
const PER_FLASHBLOCK: usize = 2000;

/// The block: index 0 (deposits) and ten flashblocks of transfers to new accounts.
fn fixture() -> (ExecutingBuilder, Vec<BuiltFlashblock>) {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_gas_limit(500_000_000);
    let block = builder.next_block(&vec![vec![TxPlan::TransferToNew; PER_FLASHBLOCK]; 10]);
    (builder, block)
}

/// An executor with the block's flashblocks up to `#last` committed.
fn executor_up_to(
    builder: &ExecutingBuilder,
    block: &[BuiltFlashblock],
    last: usize,
) -> Executor<InMemoryStates> {
    let mut executor = Executor::new(builder.config().clone(), builder.genesis_states());
    for built in &block[..=last] {
        let fb = built.json_stripped();
        let ex = executor.execute(&fb, fb.index() == 0).expect("executes");
        assert!(ex.proof().is_ok(), "#{} proves", fb.index());
        executor.commit(ex);
    }
    executor
}

fn publish(c: &mut Criterion) {
    let (builder, block) = fixture();
    let before_1 = executor_up_to(&builder, &block, 0);
    let before_10 = executor_up_to(&builder, &block, 9);
    let after_1 = executor_up_to(&builder, &block, 1);
    let after_10 = executor_up_to(&builder, &block, 10);
    let fb1 = block[1].json_stripped();
    let fb10 = block[10].json_stripped();

    let mut g = c.benchmark_group("publish_2000");
    g.sample_size(10);
    g.bench_function("snapshot_after_1", |b| {
        b.iter(|| black_box(after_1.pending_snapshot().expect("a block in progress")));
    });
    g.bench_function("snapshot_after_10", |b| {
        b.iter(|| black_box(after_10.pending_snapshot().expect("a block in progress")));
    });
    g.bench_function("execute_and_snapshot_1", |b| {
        b.iter(|| {
            black_box(before_1.execute(&fb1, false).expect("executes"));
            black_box(after_1.pending_snapshot().expect("a block in progress"))
        });
    });
    g.bench_function("execute_and_snapshot_10", |b| {
        b.iter(|| {
            black_box(before_10.execute(&fb10, false).expect("executes"));
            black_box(after_10.pending_snapshot().expect("a block in progress"))
        });
    });
    g.finish();
}

fn report() {
    let m = |id: &str| median_ns(&format!("publish_2000/{id}")).unwrap_or(f64::NAN);
    println!("\nmedians of this run (ms):");
    for id in [
        "snapshot_after_1",
        "snapshot_after_10",
        "execute_and_snapshot_1",
        "execute_and_snapshot_10",
    ] {
        println!("  publish_2000/{id:28} {:>10.4}", m(id) / 1e6);
    }
    println!("ratios #10 / #1:");
    println!("  snapshot               {:>8.2}x", m("snapshot_after_10") / m("snapshot_after_1"));
    println!(
        "  execute and snapshot   {:>8.2}x",
        m("execute_and_snapshot_10") / m("execute_and_snapshot_1")
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    publish(&mut c);
    c.final_summary();
    report();
}
