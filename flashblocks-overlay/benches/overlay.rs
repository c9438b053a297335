//! The overlay's costs, each against baselines measured in the same run, on the types
//! speed fixture (the seeded generator's flashblock at index 0 with 1000 transactions
//! of 200 bytes, 500 touched accounts with 4 storage slots each):
//!
//! - `overlay_apply`: applying the flashblock (into an empty overlay, and on top of a
//!   block of the same size) against inserting the same accounts, slots and transaction
//!   positions into plain `HashMap`s, and the 1000 transaction hashes (keccak) that
//!   every design pays, reported beside it;
//! - `overlay_path`: the whole path, decode (SSZ, with `hash_tree_root`) + the
//!   validator's rules + assembling + apply, against the hashing it cannot avoid
//!   (`hash_tree_root` plus the transaction hashes); the block-hash check beside it;
//! - `overlay_apply_at_k`: applying flashblocks `#k` of one long block (10 transactions
//!   of 100 bytes, one account and one slot each, the bounds raised) at `k` from 10,001
//!   to 10,100 (`from_10000`), against the same block's `#1` to `#100` in an empty
//!   overlay (`from_1`, the goal's baseline), and beside, `#1` to `#100` of a new block
//!   above a pending block of 10,000 flashblocks (`from_1_over_10000`: the same fill in
//!   another block). The tokens are validated once and the filled overlays built once,
//!   untimed; every run of at most 100 timed applies starts from a copy of its filled
//!   overlay that shares all it can (as a published snapshot shares with the next);
//! - `overlay_recover`: applying a JSON flashblock of 1000 signed transfers (their
//!   senders indexed for the pending nonce, as the validator prepared them: the
//!   recovery itself is not in the apply), against decoding them alone;
//! - `overlay_read`: a point read (`eth_getBalance` of a touched account through a
//!   reader handle) against a `HashMap` lookup of the same key, alone and while a
//!   writer thread applies flashblocks.
//!
//! After criterion's output the run prints the medians and the ratios of the goals:
//!
//! ```text
//! cargo bench -p flashblocks-overlay --bench overlay -- --warm-up-time 1 --measurement-time 3
//! ```

use alloy_primitives::Sealable;
use alloy_primitives::{keccak256, Address, TxHash, B256, U256};
use criterion::{BatchSize, Criterion};
use flashblocks_assemble::{with_block_hashes, Assembler};
use flashblocks_overlay::{Overlay, OverlayConfig};
use flashblocks_types::benchmark::criterion_median_ns as median_ns;
use flashblocks_types::{
    Flashblock, FlashblocksPayloadV1, GeneratorConfig, PayloadId, SequenceGenerator,
};
use flashblocks_validate::{Validator, ValidatorConfig};
use std::{
    collections::HashMap,
    hint::black_box,
    sync::atomic::{AtomicBool, Ordering},
};

fn config() -> GeneratorConfig {
    GeneratorConfig::bench_fixture()
}

/// The bench fixture and the block before it (same shape), as payloads.
fn fixture() -> (FlashblocksPayloadV1, FlashblocksPayloadV1) {
    let mut generator = SequenceGenerator::new(2026, config());
    let first = generator.next_block().into_iter().next().expect("one").into_inner();
    let second = generator.next_block().into_iter().next().expect("one").into_inner();
    (first, second)
}

/// The baseline: the same accounts, slots and transaction positions into plain maps.
#[derive(Default)]
struct PlainMaps {
    accounts: HashMap<Address, (Option<U256>, u64, Option<alloy_primitives::Bytes>)>,
    storage: HashMap<(Address, B256), B256>,
    transactions: HashMap<TxHash, u64>,
}

fn insert_plain(maps: &mut PlainMaps, p: &FlashblocksPayloadV1, hashes: &[TxHash]) {
    for a in &p.metadata.accounts {
        maps.accounts.insert(a.address, (a.balance, a.nonce, a.code.clone()));
        for s in &a.storage_slots {
            maps.storage.insert((a.address, s.key), s.value);
        }
    }
    for (i, h) in hashes.iter().enumerate() {
        maps.transactions.insert(*h, i as u64);
    }
}

fn apply(c: &mut Criterion) {
    let (first, second) = fixture();
    // The validator's tokens for the fixture and the block after it.
    let mut validator = Validator::new(ValidatorConfig::v1());
    let mut token = |p: &FlashblocksPayloadV1| {
        let outcome = validator.validate(Flashblock::from_v1(p.clone())).expect("valid");
        outcome.into_accepted().expect("accepted")
    };
    let fb = token(&first);
    let next = token(&second);
    let hashes: Vec<TxHash> = first.diff.transactions.iter().map(keccak256).collect();

    let mut g = c.benchmark_group("overlay_apply");
    g.bench_function("plain_hashmaps", |b| {
        b.iter_batched(
            PlainMaps::default,
            |mut maps| {
                insert_plain(&mut maps, black_box(&first), &hashes);
                maps
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("keccak_transactions", |b| {
        b.iter(|| {
            for tx in black_box(&first).diff.transactions.iter() {
                black_box(keccak256(tx));
            }
        })
    });
    g.bench_function("apply_empty", |b| {
        b.iter_batched(
            Overlay::default,
            |mut overlay| {
                overlay.apply(&fb, 0).expect("accepted");
                overlay
            },
            BatchSize::LargeInput,
        )
    });
    // On top of a whole block of the same size: the cost must not grow with it.
    let mut holding = Overlay::default();
    holding.apply(&fb, 0).expect("accepted");
    g.bench_function("apply_on_a_block", |b| {
        b.iter_batched(
            || {
                let mut o = Overlay::default();
                o.apply(&fb, 0).expect("accepted");
                o
            },
            |mut overlay| {
                overlay.apply(&next, 0).expect("accepted");
                overlay
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn whole_path(c: &mut Criterion) {
    let (first, _) = fixture();
    let frame = first.encode_ssz();
    let mut g = c.benchmark_group("overlay_path");
    g.bench_function("baseline_hashing", |b| {
        b.iter(|| {
            let p = black_box(&first);
            black_box(p.hash_tree_root_slow());
            for tx in p.diff.transactions.iter() {
                black_box(keccak256(tx));
            }
        })
    });
    g.bench_function("decode_rules_assemble_apply", |b| {
        b.iter_batched(
            || (Validator::new(ValidatorConfig::v1()), Overlay::default()),
            |(mut validator, mut overlay)| {
                let validated = validator.validate_frame(black_box(&frame)).expect("valid");
                let token = validated.outcome.into_accepted().expect("accepted");
                let assembler = Assembler::new(&token).expect("assembles");
                overlay.apply(&token, 0).expect("applies");
                (validator, overlay, assembler)
            },
            BatchSize::LargeInput,
        )
    });
    let token = Validator::new(ValidatorConfig::v1())
        .validate(Flashblock::from_v1(first.clone()))
        .expect("valid")
        .into_accepted()
        .expect("accepted");
    g.bench_function("block_hash_check", |b| {
        b.iter_batched(
            || Assembler::new(&token).expect("assembles"),
            |mut assembler| {
                // The fixture's hashes are random: the check fails, after the work.
                let _ = black_box(assembler.verify_block_hash());
                assembler
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn reads(c: &mut Criterion) {
    let (first, _) = fixture();
    let keys: Vec<Address> = first.metadata.accounts.iter().map(|a| a.address).collect();
    let mut plain: HashMap<Address, U256> = HashMap::new();
    for a in &first.metadata.accounts {
        plain.insert(a.address, a.balance.unwrap_or_default());
    }
    let mut validator =
        Validator::new(ValidatorConfig::v1().with_max_flashblocks_per_block(u64::MAX));
    let mut overlay = Overlay::new(OverlayConfig::default());
    let token = validator.validate(Flashblock::from_v1(first.clone())).expect("valid");
    overlay.apply(&token.into_accepted().expect("accepted"), 0).expect("accepted");
    let reader = overlay.reader();

    let mut g = c.benchmark_group("overlay_read");
    let mut i = 0usize;
    g.bench_function("hashmap", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(plain.get(black_box(&keys[i])))
        })
    });
    g.bench_function("overlay", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            reader.with(|s| black_box(s.at(0).balance(black_box(keys[i]))))
        })
    });
    let mut cached = reader.cached();
    g.bench_function("overlay_cached", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(cached.load().at(0).balance(black_box(keys[i])))
        })
    });

    // A writer applies flashblocks of the next block all along (10 transactions and 5
    // accounts each; a failover every 200 restarts the block), never touching block N.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let small = GeneratorConfig {
                flashblocks_per_block: 200,
                transactions_per_flashblock: 10,
                accounts_per_flashblock: 5,
                ..Default::default()
            };
            let mut generator = SequenceGenerator::new(7, small);
            // Eight payloads of block N + 1, each a valid chain of its own.
            let rounds: Vec<Vec<Flashblock>> = (1..=8u8)
                .map(|round| {
                    let block = generator.next_block().into_iter().map(|sealed| {
                        let mut p = sealed.into_inner();
                        p.payload_id = PayloadId::new([round; 8]);
                        if let Some(base) = p.base.as_mut() {
                            base.block_number =
                                first.base.as_ref().map_or(0, |b| b.block_number) + 1;
                        }
                        p.seal_slow()
                    });
                    let chained = with_block_hashes(block).expect("base fee fits");
                    chained.into_iter().map(Flashblock::from).collect()
                })
                .collect();
            let mut applied = 0u64;
            'writing: for round in rounds.iter().cycle() {
                // Same height as block N + 1 each round: a failover replaces it.
                for fb in round {
                    let outcome = validator.validate(fb.clone()).expect("valid");
                    let token = outcome.into_accepted().expect("accepted");
                    if overlay.apply(&token, 0).is_ok() {
                        applied += 1;
                    }
                    if stop.load(Ordering::Relaxed) {
                        break 'writing;
                    }
                }
            }
            applied
        });
        g.bench_function("hashmap_while_writing", |b| {
            b.iter(|| {
                i = (i + 1) % keys.len();
                black_box(plain.get(black_box(&keys[i])))
            })
        });
        g.bench_function("overlay_while_writing", |b| {
            b.iter(|| {
                i = (i + 1) % keys.len();
                reader.with(|s| black_box(s.at(0).balance(black_box(keys[i]))))
            })
        });
        g.bench_function("overlay_cached_while_writing", |b| {
            b.iter(|| {
                i = (i + 1) % keys.len();
                black_box(cached.load().at(0).balance(black_box(keys[i])))
            })
        });
        stop.store(true, Ordering::Relaxed);
        let applied = writer.join().expect("writer");
        println!("the writer applied {applied} flashblocks during the reads");
    });
    g.finish();
}

/// Applying flashblock `#k` at small and large `k` (see the module docs).
fn apply_at_k(c: &mut Criterion) {
    use flashblocks_overlay::fuzz::hostile::{fork, Feed, LongBlock};
    use flashblocks_validate::AcceptedFlashblock;
    const TXS: usize = 10;
    const K: usize = 10_000;
    // Flashblocks timed a sample: a sample of more iterations repeats its runs, each
    // from its own start, so that `k` stays within [start, start + RUN).
    const RUN: u64 = 100;
    let config =
        OverlayConfig { max_pending_blocks: 1 << 20, max_bytes: 16 << 30, ..Default::default() };
    let feed = || Feed::new(false, 1 << 20, config);
    // The validator's tokens of one long block (#0 to #K + RUN) and of the next block
    // (#0 to #RUN), validated once: each run applies them to a fresh overlay.
    let tokens = |number: u64, count: usize| -> Vec<AcceptedFlashblock> {
        let mut validator = feed().validator;
        let mut block = LongBlock::new(number);
        (0..count)
            .map(|_| {
                let fb = block.next_flashblock(TXS);
                validator.validate(fb).expect("valid").into_accepted().expect("new")
            })
            .collect()
    };
    let long = tokens(1, K + RUN as usize + 1);
    let next = tokens(2, RUN as usize + 1);
    // The filled states, built once: each run starts from a copy (`fork`, sharing what
    // is persistent, as the snapshot before an apply does).
    let filled = |tokens: &[&AcceptedFlashblock]| {
        let mut overlay = feed().overlay;
        for token in tokens {
            overlay.apply(token, 0).expect("applies");
        }
        overlay
    };
    let empty = filled(&[&long[0]]);
    let over = filled(&long[..=K].iter().chain(&next[..1]).collect::<Vec<_>>());
    let at_k = filled(&long[..=K].iter().collect::<Vec<_>>());
    // Times `iters` applies in runs of at most RUN, each from a copy of `start` (which
    // holds `timed[0]`), applying `timed[1..]`; copying and dropping are untimed.
    let run = |start: &Overlay, timed: &[AcceptedFlashblock], iters: u64| {
        let mut total = std::time::Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(RUN);
            let mut overlay = fork(start);
            let t = std::time::Instant::now();
            for token in &timed[1..=n as usize] {
                black_box(overlay.apply(token, 0).expect("applies"));
            }
            total += t.elapsed();
            left -= n;
            drop(overlay);
        }
        total
    };
    let mut g = c.benchmark_group("overlay_apply_at_k");
    g.sample_size(10);
    // #1 to #100 of a block in an empty overlay.
    g.bench_function("from_1", |b| b.iter_custom(|iters| run(&empty, &long[..], iters)));
    // #1 to #100 of a block above a pending block of K flashblocks (the same index fill
    // as below, in another block).
    g.bench_function("from_1_over_10000", |b| b.iter_custom(|iters| run(&over, &next[..], iters)));
    // #K + 1 to #K + 100 of the same block as from_1, continued to K first.
    g.bench_function("from_10000", |b| b.iter_custom(|iters| run(&at_k, &long[K..], iters)));
    g.finish();
    // The same two, interleaved run by run (a machine shared with other work drifts
    // between criterion's groups): the median of 200 ratios of one run each.
    let mut ratios: Vec<f64> = (0..200)
        .map(|_| {
            let one = run(&empty, &long[..], RUN).as_secs_f64();
            run(&at_k, &long[K..], RUN).as_secs_f64() / one
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    if let Some(median) = ratios.get(ratios.len() / 2) {
        println!("apply #k, k > 10,000 / k from 1, interleaved: median of 200 runs {median:.2}x");
    }
}

/// Applying a JSON flashblock of 1000 signed transfers (the overlay indexes each
/// sender's pending nonce from the preparation the validator made), against decoding
/// them alone.
fn recover(c: &mut Criterion) {
    use flashblocks_overlay::fuzz::hostile::{nonce_flood, Feed};
    const TXS: usize = 1000;
    let fb = nonce_flood(1, TXS);
    let raw: Vec<alloy_primitives::Bytes> = fb.transactions().to_vec();
    let mut feed = Feed::new(true, 20, OverlayConfig::default());
    let token = feed.validator.validate(fb).expect("valid").into_accepted().expect("new");
    let mut g = c.benchmark_group("overlay_recover");
    g.sample_size(20);
    g.bench_function("decode_1000", |b| {
        b.iter(|| {
            for tx in &raw {
                black_box(
                    <op_alloy_consensus::OpTxEnvelope as alloy_eips::Decodable2718>::decode_2718_exact(
                        black_box(tx),
                    )
                    .is_ok(),
                );
            }
        })
    });
    g.bench_function("apply_json_1000_signed", |b| {
        b.iter_batched(
            Overlay::default,
            |mut overlay| {
                overlay.apply(&token, 0).expect("applies");
                overlay
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn report() {
    let ids = [
        "overlay_apply/plain_hashmaps",
        "overlay_apply/keccak_transactions",
        "overlay_apply/apply_empty",
        "overlay_apply/apply_on_a_block",
        "overlay_path/baseline_hashing",
        "overlay_path/decode_rules_assemble_apply",
        "overlay_path/block_hash_check",
        "overlay_apply_at_k/from_1",
        "overlay_apply_at_k/from_1_over_10000",
        "overlay_apply_at_k/from_10000",
        "overlay_recover/decode_1000",
        "overlay_recover/apply_json_1000_signed",
        "overlay_read/hashmap",
        "overlay_read/overlay",
        "overlay_read/hashmap_while_writing",
        "overlay_read/overlay_while_writing",
        "overlay_read/overlay_cached",
        "overlay_read/overlay_cached_while_writing",
    ];
    println!("\nmedians of this run (ns):");
    for id in ids {
        match median_ns(id) {
            Some(ns) => println!("  {id:44} {ns:>14.1}"),
            None => println!("  {id:44} {:>14}", "not run"),
        }
    }
    let m = |id| median_ns(id).unwrap_or(f64::NAN);
    let keccak = m("overlay_apply/keccak_transactions");
    println!("ratios (goal in brackets):");
    println!(
        "  (apply_empty - keccak) / plain_hashmaps        {:>6.2}x  [<= 2]",
        (m("overlay_apply/apply_empty") - keccak) / m("overlay_apply/plain_hashmaps")
    );
    println!(
        "  (apply_on_a_block - keccak) / plain_hashmaps   {:>6.2}x  [<= 2]",
        (m("overlay_apply/apply_on_a_block") - keccak) / m("overlay_apply/plain_hashmaps")
    );
    println!(
        "  apply_empty / (plain_hashmaps + keccak)        {:>6.2}x",
        m("overlay_apply/apply_empty") / (m("overlay_apply/plain_hashmaps") + keccak)
    );
    println!(
        "  whole path / baseline_hashing                  {:>6.2}x  [<= 1.2]",
        m("overlay_path/decode_rules_assemble_apply") / m("overlay_path/baseline_hashing")
    );
    println!(
        "  block_hash_check / baseline_hashing            {:>6.2}x  (beside)",
        m("overlay_path/block_hash_check") / m("overlay_path/baseline_hashing")
    );
    println!(
        "  apply #k, k > 10,000 / k from 1                {:>6.2}x  [<= 1.2]",
        m("overlay_apply_at_k/from_10000") / m("overlay_apply_at_k/from_1")
    );
    println!(
        "  apply #k, k from 1 above 10,000 / k from 1     {:>6.2}x  (beside: the fill)",
        m("overlay_apply_at_k/from_1_over_10000") / m("overlay_apply_at_k/from_1")
    );
    println!(
        "  apply of a JSON flashblock, per signed tx      {:>9.1} ns  (decode alone {:.1} ns)",
        m("overlay_recover/apply_json_1000_signed") / 1000.0,
        m("overlay_recover/decode_1000") / 1000.0
    );
    println!(
        "  read: overlay / hashmap                        {:>6.2}x  [<= 2]",
        m("overlay_read/overlay") / m("overlay_read/hashmap")
    );
    println!(
        "  read while writing: overlay / hashmap          {:>6.2}x  [<= 2]",
        m("overlay_read/overlay_while_writing") / m("overlay_read/hashmap_while_writing")
    );
    println!(
        "  read, cached reader: overlay / hashmap         {:>6.2}x  [<= 2]",
        m("overlay_read/overlay_cached") / m("overlay_read/hashmap")
    );
    println!(
        "  read, cached, while writing: overlay / hashmap {:>6.2}x  [<= 2]",
        m("overlay_read/overlay_cached_while_writing") / m("overlay_read/hashmap_while_writing")
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    apply(&mut c);
    apply_at_k(&mut c);
    whole_path(&mut c);
    recover(&mut c);
    reads(&mut c);
    c.final_summary();
    report();
}
