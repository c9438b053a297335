//! Validating a block of 10 flashblocks of 100 transactions each, against the baseline
//! of decoding the same frames and computing their `hash_tree_root` (which validation
//! needs anyway): the rules should add at most 10 % on top.
//!
//! `cargo bench -p flashblocks-validate --bench validate -- --warm-up-time 1 --measurement-time 3`
//!
//! After criterion's output the run prints the medians and the ratios against the
//! baseline, read back from criterion's estimates of this same run.

use criterion::{BatchSize, Criterion, Throughput};
use flashblocks_types::benchmark::criterion_median_ns as median_ns;
use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
use flashblocks_validate::{Validator, ValidatorConfig};
use std::{hint::black_box, sync::Arc};

fn frames() -> Vec<Vec<u8>> {
    let config = GeneratorConfig {
        flashblocks_per_block: 10,
        transactions_per_flashblock: 100,
        ..GeneratorConfig::default()
    };
    SequenceGenerator::new(1, config).next_block().iter().map(|fb| fb.encode_ssz()).collect()
}

fn block_of_10x100(c: &mut Criterion) {
    let frames = frames();
    let bytes: usize = frames.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("block_10x100");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("baseline_decode_and_root", |b| {
        b.iter(|| {
            for frame in &frames {
                black_box(Flashblock::decode_v1(black_box(frame)).expect("valid frame"));
            }
        })
    });
    group.bench_function("validate_frames", |b| {
        b.iter(|| {
            let mut validator = Validator::new(ValidatorConfig::default());
            for frame in &frames {
                black_box(validator.validate_frame(black_box(frame)).expect("valid block"));
            }
        })
    });
    // The rules alone, on flashblocks already decoded and hashed.
    let decoded: Vec<Arc<Flashblock>> =
        frames.iter().map(|f| Arc::new(Flashblock::decode_v1(f).expect("valid frame"))).collect();
    group.bench_function("rules_only", |b| {
        b.iter_batched_ref(
            || Validator::new(ValidatorConfig::default()),
            |validator| {
                for fb in &decoded {
                    black_box(validator.validate(black_box(Arc::clone(fb))).expect("valid block"));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

#[allow(missing_docs)] // the macro's generated function has no doc
mod group {
    criterion::criterion_group!(benches, super::block_of_10x100);
}

fn report() {
    let m = |id: &str| median_ns(&format!("block_10x100/{id}")).unwrap_or(f64::NAN);
    let (base, full, rules) =
        (m("baseline_decode_and_root"), m("validate_frames"), m("rules_only"));
    println!(
        "\nmedians of this run (ns): baseline {base:.0}, validate {full:.0}, rules {rules:.0}"
    );
    println!("ratios (goal in brackets):");
    println!("  validate_frames / baseline  {:>8.3}x  [<= 1.10]", full / base);
    println!("  rules_only / baseline       {:>8.4}x", rules / base);
}

fn main() {
    group::benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
