//! The fuzz target's body over the checked-in corpus (`tests/corpus/validate_sequence/`),
//! so that stable CI runs what cargo-fuzz runs; crash inputs are kept there.

use std::path::Path;

#[test]
fn validate_sequence_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/validate_sequence");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "corpus too small: {}", files.len());
    for file in &files {
        flashblocks_validate::fuzz::validate_sequence(&std::fs::read(file).unwrap());
    }
}

/// Rewrites the seed corpus: every sequence scenario as a raw-mode input, and a few
/// generated-mode inputs. Run with `cargo test -p flashblocks-validate -- --ignored`.
#[test]
#[ignore = "writes the checked-in corpus"]
fn write_corpus() {
    use crate::{hex_bytes, json_files, read_json, vectors_dir};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/validate_sequence");
    std::fs::create_dir_all(&dir).unwrap();
    for path in json_files(&vectors_dir().join("sequences")) {
        let scenario = read_json(&path);
        let max = scenario["config"]["max_flashblocks_per_block"].as_u64().unwrap() as u8;
        let frames: Vec<Vec<u8>> = scenario["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| hex_bytes(s["serialized"].as_str().unwrap()))
            .collect();
        let input = flashblocks_validate::fuzz::encode_raw_input(max, &frames);
        let name = format!("scenario-{}", scenario["name"].as_str().unwrap());
        std::fs::write(dir.join(name), input).unwrap();
    }
    for seed in 0u8..8 {
        // mode (odd), bound, rejected identity byte, 8 seed bytes, then operations.
        let mut input = vec![1 | (seed << 1) | (seed << 5), 16, 0xff, seed, 0, 0, 0, 0, 0, 0, 0];
        for i in 0u8..24 {
            input.extend([i.wrapping_mul(4).wrapping_add(seed % 4), i.wrapping_mul(37)]);
        }
        std::fs::write(dir.join(format!("generated-{seed}")), input).unwrap();
    }
}
