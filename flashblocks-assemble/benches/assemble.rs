//! Benchmarks of the assembler, each group with its baseline measured in the same run:
//!
//! - `append`: appending flashblock #1 vs #100 of equal size (10 transactions each); the
//!   goal is #100 within 1.2× of #1 (appending costs what the flashblock carries);
//! - `append_checked`: the block-hash check of the same flashblocks (check, then commit
//!   with the check's trie work), for information: on top of the new transactions'
//!   leaves, the check takes at most 15 cached subtree hashes a level of the trie;
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
use flashblocks_assemble::{Assembler, BlockHashChainMaker, BlockHashCheck};
use flashblocks_types::{
    Dialect, ExecutionPayloadStaticV1, Flashblock, FlashblockMetadata, FlashblockStep, PayloadId,
    TransactionMetadata,
};
use flashblocks_validate::{AcceptedFlashblock, FlashblockCheck, Validator, ValidatorConfig};
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
            let transactions: Vec<Bytes> =
                (0..per_flashblock).map(|i| tx(f * per_flashblock + i)).collect();
            let metadata = FlashblockMetadata {
                transactions: vec![
                    TransactionMetadata { status: 1, ..Default::default() };
                    per_flashblock
                ],
                accounts: Vec::new(),
            };
            Flashblock::from(maker.push(FlashblockStep {
                transactions,
                metadata,
                ..Default::default()
            }))
        })
        .collect()
}

/// The validator's tokens for `block`, with the block-hash check's headers when `check`.
fn tokens(block: &[Flashblock], check: bool) -> Vec<AcceptedFlashblock> {
    let config = ValidatorConfig::default().with_max_flashblocks_per_block(1024);
    let mut validator = Validator::new(config);
    if check {
        validator.add_check(Box::new(BlockHashCheck::new()));
    }
    block
        .iter()
        .map(|fb| validator.validate(fb.clone()).expect("valid").into_accepted().expect("new"))
        .collect()
}

fn assembled(tokens: &[AcceptedFlashblock]) -> Assembler {
    let mut assembler = Assembler::new(&tokens[0]).expect("index 0");
    for token in &tokens[1..] {
        assembler.append(token).expect("next");
    }
    assembler
}

/// The block-hash check holding the first `n` flashblocks of `block`.
fn check_after(block: &[Flashblock], n: usize) -> BlockHashCheck {
    let mut check = BlockHashCheck::new();
    for (i, fb) in block[..n].iter().enumerate() {
        check.check(fb, i == 0, Dialect::SszV1).expect("verifies");
        check.commit(fb, i == 0);
    }
    check
}

fn append(c: &mut Criterion) {
    let fbs = tokens(&block(101, 10), false);
    let mut group = c.benchmark_group("append");
    // Built by appending (not cloned), so the lists have the capacity a real stream gives.
    group.bench_function("baseline/flashblock_1", |b| {
        b.iter_batched(
            || assembled(&fbs[..1]),
            |mut a| {
                a.append(black_box(&fbs[1])).expect("next");
                a
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("flashblock_100", |b| {
        b.iter_batched(
            || assembled(&fbs[..100]),
            |mut a| {
                a.append(black_box(&fbs[100])).expect("next");
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
        let before = check_after(&fbs, at);
        group.bench_function(name, |b| {
            b.iter_batched(
                || before.clone(),
                |mut check| {
                    check.check(black_box(&fbs[at]), false, Dialect::SszV1).expect("verifies");
                    check.commit(&fbs[at], false);
                    check
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn payload(c: &mut Criterion) {
    let assembler = assembled(&tokens(&block(10, 100), false));
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
    // The check with nothing cached: an index 0 of 1000 transactions, assembled without
    // the check (so the assembler rebuilds the header itself).
    let cold = assembled(&tokens(&one, false));
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
    let mut warm = check_after(&ten, 9);
    group.bench_function("check_incremental_1000", |b| {
        b.iter(|| {
            black_box(warm.check(black_box(&ten[9]), false, Dialect::SszV1).expect("verifies"))
        })
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
