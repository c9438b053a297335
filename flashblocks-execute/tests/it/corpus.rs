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
