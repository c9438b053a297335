//! The `replay` fuzz target's body over its checked-in corpus (`tests/corpus/replay/`),
//! so stable CI runs it; `write_seed_corpus` (ignored) regenerates the seeds.

use crate::unichain;
use flashblocks_examples::{
    frames::write_length_prefixed,
    fuzz::replay,
    replay::simulated_stream,
    simulate::{simulate, SimulationConfig},
};
use flashblocks_types::JsonFrameReader;
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/replay")
}

/// The seeds, by name, with the number of frames the pipeline accepts from each.
fn seeds() -> Vec<(&'static str, Vec<u8>, usize)> {
    let config = SimulationConfig { blocks: 2, flashblocks_per_block: 4, ..Default::default() };
    let sim = simulate(&config).unwrap();
    let (ssz, injected) = simulated_stream(&sim);
    assert!(injected.bad_frame < ssz.len() && injected.resend < ssz.len());
    let json = sim.json_frames();
    let brotli: Vec<Vec<u8>> = json.iter().map(|f| JsonFrameReader::encode_brotli(f)).collect();
    let lines = json.join(&b'\n');
    vec![
        ("unichain.json", unichain(), 5),
        ("simulated-ssz-with-bad-frame.bin", write_length_prefixed(&ssz), 8),
        ("simulated-brotli.bin", write_length_prefixed(&brotli), 8),
        ("simulated.jsonl", lines, 8),
        ("one-object.json", json[0].clone(), 1),
        ("garbage.bin", b"\x00\x00\x00\x01\xff{[".to_vec(), 0),
    ]
}

#[test]
fn the_body_runs_over_the_corpus() {
    let mut files: Vec<_> =
        std::fs::read_dir(corpus_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 6, "the seeds are checked in");
    let expected = seeds();
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let accepted = replay(&data);
        let name = path.file_name().unwrap().to_str().unwrap();
        if let Some((_, _, want)) = expected.iter().find(|(seed, _, _)| *seed == name) {
            assert_eq!(accepted, *want, "{name}");
        }
    }
}

#[test]
#[ignore = "writes the seed corpus; run by hand after changing the simulation"]
fn write_seed_corpus() {
    std::fs::create_dir_all(corpus_dir()).unwrap();
    for (name, data, _) in seeds() {
        std::fs::write(corpus_dir().join(name), data).unwrap();
    }
}
