//! Property tests: hostile captures and frames never panic the reader or the pipeline,
//! and a rejected frame changes nothing downstream.

use flashblocks_examples::{
    capture::read_capture,
    simulate::{simulate, SimulationConfig},
};
use flashblocks_node::pipeline::{Pipeline, Verdict};
use flashblocks_types::JsonFrameReader;
use flashblocks_validate::RuleSet;
use proptest::prelude::*;
use std::sync::OnceLock;

/// The simulated blocks as SSZ frames and as JSON frames.
type Streams = (Vec<Vec<u8>>, Vec<Vec<u8>>);

fn frames() -> &'static Streams {
    static FRAMES: OnceLock<Streams> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let sim = simulate(&SimulationConfig { blocks: 2, ..Default::default() }).unwrap();
        (sim.ssz_frames(), sim.json_frames())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_bytes_read_as_a_capture_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(capture) = read_capture(&bytes) {
            let total: usize = capture.frames.iter().map(Vec::len).sum();
            prop_assert!(total <= bytes.len());
            let mut pipeline = Pipeline::new(capture.rule_set());
            for frame in &capture.frames {
                let _ = pipeline.process(frame);
            }
        }
    }

    #[test]
    fn a_rejected_frame_changes_nothing(
        json in any::<bool>(),
        brotli in any::<bool>(),
        at in 1usize..10,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let (ssz, jsons) = frames();
        let (rule_set, stream): (_, Vec<Vec<u8>>) = if json {
            let stream = jsons
                .iter()
                .map(|f| if brotli { JsonFrameReader::encode_brotli(f) } else { f.clone() })
                .collect();
            (RuleSet::Json, stream)
        } else {
            (RuleSet::V1, ssz.clone())
        };
        let mut pipeline = Pipeline::new(rule_set);
        for frame in &stream[..at] {
            prop_assert_eq!(pipeline.process(frame).verdict, Verdict::Accept);
        }
        let mut bad = stream[at].clone();
        for (i, x) in &flips {
            let i = i.index(bad.len());
            bad[i] ^= x;
        }
        let before = (pipeline.payloads(), pipeline.reader().snapshot().id());
        let report = pipeline.process(&bad);
        if !matches!(report.verdict, Verdict::Accept) {
            prop_assert_eq!((pipeline.payloads(), pipeline.reader().snapshot().id()), before);
            // The right next frame is still accepted.
            prop_assert_eq!(pipeline.process(&stream[at]).verdict, Verdict::Accept);
        }
    }
}
