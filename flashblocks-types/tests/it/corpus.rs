//! The fuzz targets' bodies over the checked-in corpus (`tests/corpus/<target>/`), so that
//! stable CI runs what cargo-fuzz runs. Crash inputs found by fuzzing are kept there as
//! regression cases.

use std::path::Path;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn frame_decode_corpus() {
    let inputs = corpus("frame_decode");
    assert!(inputs.len() >= 10, "corpus too small: {}", inputs.len());
    let mut decoded = 0;
    for input in &inputs {
        flashblocks_types::fuzz::frame_decode(input);
        decoded += usize::from(flashblocks_types::reference::decode_frame(input).is_ok());
    }
    // The corpus holds valid frames as well as broken ones.
    assert!(decoded > 0 && decoded < inputs.len(), "{decoded} of {}", inputs.len());
}
