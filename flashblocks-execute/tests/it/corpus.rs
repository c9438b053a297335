//! The `executed_stream` fuzz target's body over the checked-in corpus.

use std::path::Path;

#[test]
fn executed_stream_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/executed_stream");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 16, "corpus too small: {}", files.len());
    for file in files {
        flashblocks_execute::fuzz::executed_stream(&std::fs::read(&file).unwrap());
    }
}

/// The body over random inputs (not coverage-guided; `cargo fuzz run executed_stream`
/// is): `EXECUTED_STREAM_EXECS` of them (200 by default), seeded for reproduction.
#[test]
#[ignore = "minutes; run on demand"]
fn executed_stream_random() {
    let execs: u64 =
        std::env::var("EXECUTED_STREAM_EXECS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..execs {
        let mut input = Vec::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = 4 + (state % 48) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            input.push((state >> 24) as u8);
        }
        flashblocks_execute::fuzz::executed_stream(&input);
    }
}
