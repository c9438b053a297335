//! JSON streams: the real capture validates under the JSON rule set, plain and brotli;
//! identity is the decoded value; the rules JSON cannot carry are off.

use crate::{blocks, vectors_dir};
use flashblocks_types::{Flashblock, FlashblockJson, FlashblocksPayloadV1, JsonFrameReader};
use flashblocks_validate::{BlockStart, RuleSet, ValidationError, Validator, ValidatorConfig};

/// The capture's five flashblocks as they were on the wire (one JSON object each).
fn capture_frames() -> Vec<Vec<u8>> {
    let path = vectors_dir().join("real/unichain-sepolia-35535698-full-sequence.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let values: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a JSON array");
    values.iter().map(|v| serde_json::to_vec(v).expect("JSON")).collect()
}

#[test]
fn real_capture_validates_as_a_json_stream() {
    let frames = capture_frames();
    assert_eq!(frames.len(), 5);
    for brotli in [false, true] {
        let mut v = Validator::new(ValidatorConfig::json());
        assert_eq!(v.rule_set(), RuleSet::Json);
        for (i, frame) in frames.iter().enumerate() {
            let frame = if brotli { JsonFrameReader::encode_brotli(frame) } else { frame.clone() };
            let validated = v.validate_frame(&frame).unwrap_or_else(|e| panic!("{i}: {e}"));
            let accepted = validated.outcome.accepted().expect("accepted");
            assert_eq!(accepted.index(), i as u64);
            assert_eq!(accepted.block_start(), (i == 0).then_some(BlockStart::First));
        }
        let block = v.current_block().expect("a block");
        assert_eq!(block.next_index(), 5);
        assert_eq!(block.block_number(), 0x21e3b52);
        assert_eq!(block.gas_used(), 0x32138);
        // A resend, even re-serialized with other whitespace, is a duplicate.
        let value: serde_json::Value = serde_json::from_slice(&frames[3]).unwrap();
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        assert!(v.validate_frame(&pretty).unwrap().outcome.is_duplicate());
    }
}

#[test]
fn real_capture_is_not_a_v1_stream() {
    // Configured, never guessed: on a V1 stream the JSON text is not a V1 frame.
    let mut v = Validator::default();
    let err = v.validate_frame(&capture_frames()[0]).unwrap_err();
    assert!(err.is_frame_error(), "{err}");
    // And a decoded JSON flashblock on a V1 stream is a source mismatch.
    let fb = JsonFrameReader::default().decode(&capture_frames()[0]).unwrap();
    assert_eq!(v.validate(fb).unwrap_err().rule_id(), "source_mismatch");
}

fn json_block(seed: u64) -> Vec<FlashblockJson> {
    let block: Vec<FlashblocksPayloadV1> = blocks(seed, 1).remove(0);
    let number = block[0].base.as_ref().unwrap().block_number;
    block.iter().map(|p| FlashblockJson::from_v1_lossy(p, number)).collect()
}

#[track_caller]
fn reject_json(v: &mut Validator, json: &FlashblockJson) -> ValidationError {
    let before = v.current_block().cloned();
    let err = v.validate(Flashblock::from_json(json.clone())).expect_err("rejected");
    assert_eq!(v.current_block(), before.as_ref());
    err
}

#[test]
fn json_rule_set() {
    let block = json_block(30);
    let mut v = Validator::new(ValidatorConfig::json());
    // Shared rules still apply.
    let mut bad = block[0].clone();
    bad.diff.transactions.swap(0, 1);
    assert_eq!(reject_json(&mut v, &bad).rule_id(), "missing_l1_info_deposit");
    v.validate(Flashblock::from_json(block[0].clone())).unwrap();
    assert_eq!(reject_json(&mut v, &block[2]).rule_id(), "index_gap");
    let mut bad = block[1].clone();
    bad.diff.gas_used = block[0].diff.gas_used - 1;
    assert_eq!(reject_json(&mut v, &bad).rule_id(), "gas_decreased");
    // Gas accounting is off (no per-transaction metadata): any increase within the limit.
    let mut more = block[1].clone();
    more.diff.gas_used += 12_345;
    let outcome = v.validate(Flashblock::from_json(more.clone())).unwrap();
    assert!(outcome.is_accepted());
    // Equivocation by the decoded value.
    let mut other = more;
    other.diff.state_root = alloy_primitives::B256::repeat_byte(4);
    assert!(reject_json(&mut v, &other).is_equivocation());
}
