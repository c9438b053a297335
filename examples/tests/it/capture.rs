//! Every capture format `replay` detects, over the simulated blocks.

use flashblocks_examples::{
    capture::{read_capture, CaptureFormat},
    frames::write_length_prefixed,
    replay::{replay_bytes, ReplayOptions},
    simulate::{simulate, SimulationConfig},
};
use flashblocks_node::{
    pipeline::FrameEncoding,
    pipeline::{Pipeline, Verdict},
};
use flashblocks_types::JsonFrameReader;
use flashblocks_validate::RuleSet;

fn json_frames() -> Vec<Vec<u8>> {
    simulate(&SimulationConfig { blocks: 2, ..Default::default() }).unwrap().json_frames()
}

/// Replays `bytes` and returns (format, rule set, accepted, rejected rule ids).
fn replay(bytes: &[u8]) -> (CaptureFormat, RuleSet, usize, Vec<&'static str>) {
    let mut lines = Vec::new();
    let (format, summary, pipeline) =
        replay_bytes(bytes, ReplayOptions::default(), &mut lines).unwrap();
    assert_eq!(summary.block_hash_ok, summary.accepted, "every accepted hash verifies");
    let rules = summary.rejected.iter().map(|(_, rule)| *rule).collect();
    (format, pipeline.rule_set(), summary.accepted, rules)
}

#[test]
fn json_array_object_and_lines() {
    let frames = json_frames();
    assert_eq!(frames.len(), 10);
    let array = format!(
        "[\n{}\n]",
        frames
            .iter()
            .map(|f| String::from_utf8(f.clone()).unwrap())
            .collect::<Vec<_>>()
            .join(",\n")
    );
    assert_eq!(replay(array.as_bytes()), (CaptureFormat::JsonArray, RuleSet::Json, 10, vec![]));

    let object = &frames[0];
    assert_eq!(replay(object), (CaptureFormat::JsonObject, RuleSet::Json, 1, vec![]));

    // JSON lines with a bad line in the middle: rejected as malformed, the replay goes on.
    let mut lines: Vec<Vec<u8>> = frames.clone();
    lines.insert(3, b"{\"payload_id\": 1}".to_vec());
    let text = lines.join(&b'\n');
    assert_eq!(replay(&text), (CaptureFormat::JsonLines, RuleSet::Json, 10, vec!["malformed"]));
}

#[test]
fn length_prefixed_ssz_json_and_brotli_frames() {
    let sim = simulate(&SimulationConfig { blocks: 2, ..Default::default() }).unwrap();
    let ssz = write_length_prefixed(&sim.ssz_frames());
    assert_eq!(replay(&ssz), (CaptureFormat::LengthPrefixed, RuleSet::V1, 10, vec![]));

    // JSON frames, every other one brotli-compressed.
    let frames: Vec<Vec<u8>> = sim
        .json_frames()
        .into_iter()
        .enumerate()
        .map(|(i, f)| if i % 2 == 1 { JsonFrameReader::encode_brotli(&f) } else { f })
        .collect();
    assert_eq!(FrameEncoding::detect(&frames[1]), FrameEncoding::Brotli);
    let file = write_length_prefixed(&frames);
    let capture = read_capture(&file).unwrap();
    assert_eq!(capture.format, CaptureFormat::LengthPrefixed);
    assert_eq!(capture.rule_set(), RuleSet::Json);
    assert_eq!(replay(&file), (CaptureFormat::LengthPrefixed, RuleSet::Json, 10, vec![]));

    // An SSZ frame on a JSON stream is malformed there (a stream is one format).
    let mut mixed = frames.clone();
    mixed.insert(2, sim.ssz_frames()[2].clone());
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let verdicts: Vec<_> = mixed.iter().map(|f| pipeline.process(f).verdict.label()).collect();
    assert_eq!(verdicts[2], "reject:malformed");
    assert_eq!(verdicts.iter().filter(|v| *v == "accept").count(), 10);

    // A truncated file replays what it holds and says where it stopped.
    let mut lines = Vec::new();
    let (_, summary, _) =
        replay_bytes(&ssz[..ssz.len() - 10], ReplayOptions::default(), &mut lines).unwrap();
    assert_eq!(summary.accepted, 9);
    assert!(lines.last().unwrap().starts_with("capture ends early: truncated"), "{lines:?}");
    assert!(matches!(Pipeline::new(RuleSet::V1).process(&[0, 0]).verdict, Verdict::Reject(_)));
}
