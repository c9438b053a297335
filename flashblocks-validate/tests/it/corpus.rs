//! The fuzz target's body over the checked-in corpus (`tests/corpus/validate_sequence/`),
//! so that stable CI runs what cargo-fuzz runs; crash inputs are kept there.

use flashblocks_validate::fuzz::{validate_sequence, SequenceStats};
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
    let mut total = SequenceStats::default();
    for file in &files {
        let stats = validate_sequence(&std::fs::read(file).unwrap());
        let name = file.file_name().unwrap().to_str().unwrap();
        if name.starts_with("json-plain") || name.starts_with("json-brotli") {
            let all = SequenceStats { accepted: 5, duplicates: 0, rejected: 0, payload_ends: 0 };
            assert_eq!(stats, all, "{name}");
        }
        // The capture with an X Layer end after its fourth frame: on the X Layer stream
        // it ends the block (the fifth frame is payload_ended); elsewhere it is no
        // flashblock (malformed) and the fifth frame is taken.
        if name == "dialect-4-xlayer" {
            let ended = SequenceStats { accepted: 4, duplicates: 0, rejected: 1, payload_ends: 1 };
            assert_eq!(stats, ended, "{name}");
        }
        if name == "dialect-0-rollup-boost" {
            let taken = SequenceStats { accepted: 5, duplicates: 0, rejected: 1, payload_ends: 0 };
            assert_eq!(stats, taken, "{name}");
        }
        total.accepted += stats.accepted;
        total.duplicates += stats.duplicates;
        total.rejected += stats.rejected;
        total.payload_ends += stats.payload_ends;
    }
    // The corpus reaches every answer.
    assert!(total.accepted > 100 && total.duplicates > 0 && total.rejected > 30, "{total:?}");
}

/// Rewrites the seed corpus: every sequence scenario as a raw-mode input, and a few
/// generated-mode inputs. Run with `cargo test -p flashblocks-validate -- --ignored`.
#[test]
#[ignore = "writes the checked-in corpus"]
fn write_corpus() {
    use crate::{hex_bytes, json_files, read_json, vectors_dir};
    use flashblocks_types::JsonFrameReader;
    use flashblocks_validate::{fuzz::encode_raw_input, RuleSet};
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
        let input = encode_raw_input(RuleSet::V1, max, &frames);
        let name = format!("scenario-{}", scenario["name"].as_str().unwrap());
        std::fs::write(dir.join(name), input).unwrap();
    }
    // The real JSON capture, plain and brotli, and with a resend and a gap.
    let text = std::fs::read_to_string(
        vectors_dir().join("real/unichain-sepolia-35535698-full-sequence.json"),
    )
    .unwrap();
    let values: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let plain: Vec<Vec<u8>> = values.iter().map(|v| serde_json::to_vec(v).unwrap()).collect();
    let brotli: Vec<Vec<u8>> = plain.iter().map(|f| JsonFrameReader::encode_brotli(f)).collect();
    let mut shuffled = plain.clone();
    shuffled.swap(1, 3);
    shuffled.push(plain[0].clone());
    for (name, frames) in
        [("json-plain", plain.clone()), ("json-brotli", brotli), ("json-shuffled", shuffled)]
    {
        std::fs::write(dir.join(name), encode_raw_input(RuleSet::Json, 20, &frames)).unwrap();
    }
    // The capture with an X Layer end of its payload after the fourth frame, on a
    // stream of each JSON dialect the raw mode picks ((mode >> 2) % 6).
    let payload_id = values[0]["payload_id"].as_str().unwrap();
    let end = format!(r#"{{"payload_id":"{payload_id}"}}"#).into_bytes();
    let mut ended = plain[..4].to_vec();
    ended.push(end);
    ended.push(plain[4].clone());
    let names = ["rollup-boost", "subblocks", "base", "worldchain", "xlayer", "auto"];
    for (i, name) in names.iter().enumerate() {
        let mut input = encode_raw_input(RuleSet::Json, 20, &ended);
        input[0] = 2 | ((i as u8) << 2);
        std::fs::write(dir.join(format!("dialect-{i}-{name}")), input).unwrap();
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
