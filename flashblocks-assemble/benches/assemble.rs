//! Benchmarks of the assembler, each group with its baseline measured in the same run:
//!
//! - `append`: appending flashblock #1 vs #100 of equal size (10 transactions each); the
//!   goal is #100 within 1.2× of #1 (appending costs what the flashblock carries);
//! - `append_checked`: the same with the block-hash check first (check, then push with
//!   the check's trie work), for information: the check's cost grows with `n / 16`
//!   cached group hashes, on top of the new transactions' leaves;
//! - `payload`: producing the payload of a 1000-transaction block, against cloning its
//!   transaction list (the floor);
//! - `block_hash`: the block-hash check of a 1000-transaction block against the bare
//!   `ordered_trie_root_encoded` over the same transactions (the floor of a check with
//!   nothing cached): the check from scratch (one flashblock of 1000), and the check of
//!   the 10th flashblock of 100 transactions each, with the first 900 cached.
//!
//! Ratios: divide each line's time by its group's `baseline` line.

use alloy_primitives::{Bytes, B256};
use alloy_trie::root::ordered_trie_root_encoded;
use criterion::{criterion_main, BatchSize, Criterion};
use flashblocks_assemble::{Assembler, BlockHashChainMaker};
use flashblocks_types::{
    CumulativeResults, ExecutionPayloadStaticV1, Flashblock, FlashblockStep, PayloadId,
};
use std::hint::black_box;

/// A plausible EIP-1559 transaction's size.
const TX_SIZE: usize = 180;

fn tx(i: usize) -> Bytes {
    let mut bytes = vec![0u8; TX_SIZE];
    for (j, b) in bytes.iter_mut().enumerate() {
        *b = (i.wrapping_mul(31).wrapping_add(j.wrapping_mul(7)) % 251) as u8;
    }
    bytes[0] = if i == 0 { 0x7e } else { 0x02 };
    Bytes::from(bytes)
}

/// A block of `flashblocks` flashblocks of `per_flashblock` transactions each, with
/// block hashes that verify.
fn block(flashblocks: usize, per_flashblock: usize) -> Vec<Flashblock> {
    let base = ExecutionPayloadStaticV1 { gas_limit: 30_000_000, ..Default::default() };
    let mut maker = BlockHashChainMaker::new(PayloadId::new([3; 8]), base).expect("base fee");
    (0..flashblocks)
        .map(|f| {
            let transactions = (0..per_flashblock).map(|i| tx(f * per_flashblock + i)).collect();
            let results = CumulativeResults { gas_used: f as u64, ..Default::default() };
            Flashblock::from(maker.push(FlashblockStep {
                transactions,
                results,
                ..Default::default()
            }))
        })
        .collect()
}

fn assembled(flashblocks: &[Flashblock]) -> Assembler {
    let mut assembler = Assembler::new(&flashblocks[0]).expect("index 0");
    for fb in &flashblocks[1..] {
        assembler.push(fb).expect("next");
    }
    assembler
}

fn append(c: &mut Criterion) {
    let fbs = block(101, 10);
    let mut group = c.benchmark_group("append");
    // Built by pushing (not cloned), so the lists have the capacity a real stream gives.
    group.bench_function("baseline/flashblock_1", |b| {
        b.iter_batched(
            || assembled(&fbs[..1]),
            |mut a| {
                a.push(black_box(&fbs[1])).expect("next");
                a
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("flashblock_100", |b| {
        b.iter_batched(
            || assembled(&fbs[..100]),
            |mut a| {
                a.push(black_box(&fbs[100])).expect("next");
                a
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn append_checked(c: &mut Criterion) {
    let fbs = block(101, 10);
    let mut group = c.benchmark_group("append_checked");
    for (name, at) in [("baseline/flashblock_1", 1), ("flashblock_100", 100)] {
        // The state a checked stream leaves: every complete group's hash cached.
        let mut before = assembled(&fbs[..at]);
        before.verify_block_hash().expect("verifies");
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut a = before.clone();
                    a.reserve(10);
                    a
                },
                |mut a| {
                    let (_, groups) =
                        a.check_next_block_hash(black_box(&fbs[at])).expect("verifies");
                    a.push_checked(&fbs[at], groups).expect("next");
                    a
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn payload(c: &mut Criterion) {
    let fbs = block(10, 100);
    let assembler = assembled(&fbs);
    let mut group = c.benchmark_group("payload");
    group.bench_function("baseline/clone_transactions_1000", |b| {
        b.iter(|| black_box(assembler.transactions().to_vec()))
    });
    group.bench_function("payload_1000", |b| b.iter(|| black_box(assembler.payload())));
    group.finish();
}

fn block_hash(c: &mut Criterion) {
    let one = block(1, 1000);
    let ten = block(10, 100);
    let transactions: Vec<Bytes> = one[0].transactions().to_vec();
    let mut group = c.benchmark_group("block_hash");
    group.bench_function("baseline/ordered_trie_root_1000", |b| {
        b.iter(|| black_box(ordered_trie_root_encoded(black_box(&transactions))))
    });
    // The check with nothing cached: an index 0 of 1000 transactions.
    let cold = Assembler::new(&one[0]).expect("index 0");
    group.bench_function("check_cold_1000", |b| {
        b.iter_batched(
            || cold.clone(),
            |mut a| {
                let hash: B256 = a.verify_block_hash().expect("verifies");
                (a, hash)
            },
            BatchSize::SmallInput,
        )
    });
    // The check at the 10th flashblock (100 new transactions on 900 already checked).
    let mut warm = assembled(&ten[..9]);
    warm.verify_block_hash().expect("verifies");
    group.bench_function("check_incremental_1000", |b| {
        b.iter(|| black_box(warm.check_next_block_hash(black_box(&ten[9])).expect("verifies")))
    });
    group.finish();
}

#[allow(missing_docs)] // the macro's generated function has no doc
mod group {
    criterion::criterion_group!(
        benches,
        super::append,
        super::append_checked,
        super::payload,
        super::block_hash
    );
}
criterion_main!(group::benches);
