//! The fuzz target's body over the checked-in corpus (`tests/corpus/assemble/`); with
//! `REGENERATE_CORPUS=1`, rewrites the seed corpus first.

use flashblocks_assemble::{fuzz, with_block_hashes};
use flashblocks_types::{GeneratorConfig, SequenceGenerator};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/assemble")
}

/// The seed corpus: generated streams in raw mode (with and without the check, the
/// hashes made to verify or left random), and generator-mode inputs of several shapes.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for seed in 0..4u64 {
        let config = GeneratorConfig {
            flashblocks_per_block: 3 + seed as usize,
            transactions_per_flashblock: 5 * seed as usize,
            transaction_size: 12,
            accounts_per_flashblock: 1,
            slots_per_account: 1,
            gas_limit: 30_000_000,
        };
        let mut generator = SequenceGenerator::new(seed, config);
        let blocks: Vec<_> = (0..2).map(|_| generator.next_block()).collect();
        let random: Vec<Vec<u8>> = blocks.iter().flatten().map(|fb| fb.encode_ssz()).collect();
        let verified: Vec<Vec<u8>> = blocks
            .into_iter()
            .flat_map(|b| with_block_hashes(b).expect("base fee fits"))
            .map(|fb| fb.encode_ssz())
            .collect();
        let mut raw = fuzz::encode_raw_input(20, &random);
        out.push((format!("raw-random-hashes-{seed}"), raw.clone()));
        raw = fuzz::encode_raw_input(20, &verified);
        out.push((format!("raw-verified-{seed}"), raw.clone()));
        raw[0] = 2; // with the block-hash check
        out.push((format!("raw-verified-checked-{seed}"), raw));
    }
    for (i, mode) in [1u8, 3, 7, 15, 33, 63, 255].into_iter().enumerate() {
        let mut input = vec![mode, 20];
        input.extend_from_slice(&(i as u64).to_le_bytes());
        // Feed everything in order, then a wrong hash, a flip, a reset, and again.
        for k in 0..24u8 {
            input.extend_from_slice(&[k << 2, 0]);
        }
        input.extend_from_slice(&[(3 << 2) | 3, 9, (4 << 2) | 2, 5, 3, 0]);
        for k in 0..24u8 {
            input.extend_from_slice(&[k << 2, 0]);
        }
        out.push((format!("gen-mode-{mode}"), input));
    }
    out
}

#[test]
fn assemble_corpus() {
    if std::env::var_os("REGENERATE_CORPUS").is_some() {
        std::fs::create_dir_all(dir()).expect("corpus dir");
        for (name, bytes) in seeds() {
            std::fs::write(dir().join(name), bytes).expect("write seed");
        }
    }
    let mut files: Vec<_> =
        std::fs::read_dir(dir()).expect("corpus dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(files.len() >= 19, "corpus too small: {}", files.len());
    let mut accepted = 0;
    for file in files {
        let data = std::fs::read(&file).expect("read input");
        accepted += fuzz::assemble(&data);
    }
    assert!(accepted >= 200, "the corpus reaches the assembler: {accepted}");
}

#[test]
fn seeds_are_the_checked_in_corpus() {
    for (name, bytes) in seeds() {
        let stored = std::fs::read(dir().join(&name)).expect("seed present");
        assert_eq!(stored, bytes, "{name}: run with REGENERATE_CORPUS=1");
        // Verified streams are accepted whole, with the check on or off; random block
        // hashes only without it.
        let frames = if name.starts_with("raw-") { count_frames(&bytes) } else { continue };
        assert_eq!(fuzz::assemble(&bytes), frames, "{name}");
        if name.starts_with("raw-random") {
            let mut checked = bytes.clone();
            checked[0] = 2;
            assert_eq!(fuzz::assemble(&checked), 0, "{name} with the check");
        }
    }
}

/// The number of frames in a raw-mode input.
fn count_frames(input: &[u8]) -> u64 {
    let mut rest = &input[2..];
    let mut n = 0;
    while let [a, b, tail @ ..] = rest {
        rest = &tail[usize::from(u16::from_le_bytes([*a, *b]))..];
        n += 1;
    }
    n
}
