//! The `post_exec` fuzz target's body over the checked-in corpus
//! (`tests/corpus/post_exec/`) and over a few thousand inputs from a seeded generator,
//! so that stable CI runs what cargo-fuzz runs; crash inputs are kept in the corpus.

use flashblocks_types::post_exec_raw;
use flashblocks_validate::fuzz_post_exec::{post_exec, PostExecStats};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/post_exec")
}

fn add(total: &mut PostExecStats, s: PostExecStats) {
    total.decoded += s.decoded;
    total.accepted_with += s.accepted_with;
    total.rejected += s.rejected;
}

#[test]
fn post_exec_corpus() {
    let mut files: Vec<_> =
        std::fs::read_dir(dir()).expect("corpus").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(files.len() >= 8, "corpus too small: {}", files.len());
    let mut total = PostExecStats::default();
    for file in &files {
        add(&mut total, post_exec(&std::fs::read(file).expect("read")));
    }
    assert!(total.decoded > 0 && total.accepted_with > 0 && total.rejected > 0, "{total:?}");
}

#[test]
fn post_exec_seeded_inputs() {
    // xorshift64*: a fixed stream of inputs, biased to small bytes (short lists, small
    // indices) by masking, so that every answer is reached.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut total = PostExecStats::default();
    for i in 0..3_000u32 {
        let len = (next() % 96) as usize;
        let mut input: Vec<u8> = (0..len).map(|_| (next() >> 56) as u8).collect();
        if let Some(mode) = input.first_mut() {
            *mode = if i % 4 == 0 { *mode & !1 } else { *mode | 1 };
        }
        add(&mut total, post_exec(&input));
    }
    println!("post_exec seeded: {total:?}");
    assert!(total.accepted_with > 50 && total.rejected > 100, "{total:?}");
}

/// Writes the seed corpus. Run with `cargo test -p flashblocks-validate -- --ignored`.
#[test]
#[ignore = "writes the checked-in corpus"]
fn write_post_exec_corpus() {
    std::fs::create_dir_all(dir()).expect("dir");
    let raw = |version: u8, number: u64, entries: &[(u64, u64)]| {
        let mut raw = vec![0x00];
        raw.extend_from_slice(&post_exec_raw(version, number, entries));
        raw
    };
    let mut inputs: Vec<(&str, Vec<u8>)> = vec![
        ("decode-valid", raw(1, 42, &[(1, 2_100), (3, 7)])),
        ("decode-version-2", raw(2, 42, &[(1, 2_100)])),
        ("decode-empty-list", raw(1, u64::MAX, &[])),
        ("decode-garbage", vec![0x00, 0x7d, 0xc3, 0x01, 0xc1]),
    ];
    // Rules mode (odd first byte; its top bits pick the Lagoon time): per subblock a
    // choice byte (0: none, 1: raw bytes, 2/3: a new list, 4: the latest plus entries),
    // then the list's bytes.
    inputs.push(("rules-none", vec![0x41, 0, 0, 0, 0, 0, 0]));
    // Subblock 0: a list of one entry of its own (kind 0, offset 1), refund 5; then
    // each later subblock appends one of its own.
    let mut appending = vec![0x41, 2, 1, 0, 1, 5];
    for _ in 1..6 {
        appending.extend([4, 1, 0, 0, 3]);
    }
    inputs.push(("rules-appending", appending));
    inputs.push(("rules-inactive", vec![0xc1, 2, 1, 0, 1, 5, 0, 0, 0, 0, 0]));
    inputs.push((
        "rules-zero-and-restated",
        vec![0x01, 2, 1, 0, 1, 0, 2, 1, 0, 1, 5, 2, 1, 1, 1, 5, 4, 1, 0, 0, 2],
    ));
    inputs.push(("rules-raw", vec![0x01, 1, 3, 0x7d, 0xc1, 0x01, 0, 0, 0]));
    inputs.push(("rules-version-and-anchor", vec![0x01, 0x82, 1, 0, 1, 5, 9, 0x42, 1, 0, 1, 5, 0]));
    for (name, bytes) in inputs {
        std::fs::write(dir().join(name), bytes).expect("write");
    }
}
