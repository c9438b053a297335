//! The replay code path: the simulated stream and the real Unichain capture end to end.

use crate::unichain;
use alloy_primitives::b256;
use flashblocks_examples::{
    capture::CaptureFormat,
    replay::{payload_json, replay_bytes, replay_frames, simulated_stream, ReplayOptions},
    simulate::{simulate, SimulationConfig},
};
use flashblocks_node::pipeline::Pipeline;
use flashblocks_overlay::Lookup;
use flashblocks_validate::RuleSet;

#[test]
fn simulated_stream_rejects_the_injected_frame_and_verifies_every_hash() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let (frames, injected) = simulated_stream(&sim);
    assert_eq!(frames.len(), 15 + 2);
    let mut pipeline = Pipeline::new(RuleSet::V1);
    let mut lines = Vec::new();
    let summary = replay_frames(
        &mut pipeline,
        frames.iter().map(Vec::as_slice),
        ReplayOptions::default(),
        &mut lines,
    );
    assert_eq!(summary.rejected, [(injected.bad_frame, "parent_hash_mismatch")]);
    assert_eq!((summary.accepted, summary.duplicates), (15, 1));
    assert_eq!((summary.block_hash_ok, summary.block_hash_mismatch), (15, 0));
    // The table: a header, one row per frame (the rejection with a second line naming
    // the frame), the totals, and the final payloads.
    assert!(lines[0].contains("verdict"));
    let rejected_row = &lines[1 + injected.bad_frame];
    assert!(rejected_row.contains("reject:parent_hash_mismatch"), "{rejected_row}");
    assert!(rejected_row.contains(&format!("rejected frame {}", injected.bad_frame)));
    assert!(lines.iter().any(|l| l == "final payloads (3):"));
    // The final payloads are the builder's blocks.
    assert_eq!(summary.payloads.len(), 3);
    for (payload, block) in summary.payloads.iter().zip(&sim.blocks) {
        let last = block.last().unwrap();
        assert_eq!(payload.block_hash(), Some(last.diff.block_hash));
        let count: usize = block.iter().map(|fb| fb.diff.transactions.len()).sum();
        assert_eq!(payload.transactions().len(), count);
    }
    // And the overlay holds the last block.
    let snapshot = pipeline.reader().snapshot();
    let id = snapshot.id().unwrap();
    assert_eq!((id.block_number, id.flashblock_index), (24_000_002, 4));
    let (&address, &(balance, nonce)) = sim.final_state.iter().next().unwrap();
    let view = snapshot.at(0);
    if let Lookup::Found(found) = view.balance(address) {
        assert_eq!(found.value, balance);
    }
    if let Lookup::Found(found) = view.transaction_count(address) {
        assert_eq!(found.value, nonce);
    }
}

#[test]
fn many_frames_print_progress_lines_not_rows() {
    let sim = simulate(&SimulationConfig { blocks: 4, ..Default::default() }).unwrap();
    let frames = sim.ssz_frames();
    let mut lines = Vec::new();
    let options = ReplayOptions { max_rows: 5, progress_every: 5 };
    let summary = replay_frames(
        &mut Pipeline::new(RuleSet::V1),
        frames.iter().map(Vec::as_slice),
        options,
        &mut lines,
    );
    assert_eq!(summary.accepted, 20);
    let progress: Vec<_> = lines.iter().filter(|l| l.starts_with("progress:")).collect();
    assert_eq!(progress.len(), 3, "at frames 10, 15 and 20");
    assert!(progress[2].starts_with("progress: 20 frames, 20 accepted, 0 rejected"));
}

/// The end-to-end test over the real Unichain Sepolia block, through the replay code
/// path (format detection, the JSON rule set, the assembler's block-hash check, the
/// overlay).
#[test]
fn unichain_capture_replays_end_to_end() {
    let mut lines = Vec::new();
    let (format, summary, pipeline) =
        replay_bytes(&unichain(), ReplayOptions::default(), &mut lines).unwrap();
    assert_eq!(format, CaptureFormat::JsonArray);
    assert_eq!(pipeline.rule_set(), RuleSet::Json);
    assert_eq!(lines[0], "5 frames, JSON array (Json rules)");
    assert_eq!((summary.frames, summary.accepted), (5, 5));
    assert!(summary.rejected.is_empty());
    assert_eq!((summary.block_hash_ok, summary.block_hash_mismatch), (5, 0));
    let [payload] = summary.payloads.as_slice() else { panic!("one block") };
    assert_eq!(payload.transactions().len(), 6);
    let inner = &payload.execution_payload.payload_inner.payload_inner;
    assert_eq!(inner.gas_used, 0x32138);
    assert_eq!(inner.block_number, 0x21e3b52);
    assert_eq!(inner.timestamp, 0x690be89e);
    assert_eq!(
        payload.block_hash(),
        Some(b256!("c463a3120c35268f610d969f5608b479332ef10953af77c7a6be806195831196"))
    );
    let id = pipeline.reader().snapshot().id().unwrap();
    assert_eq!((id.block_number, id.flashblock_index), (0x21e3b52, 4));
    // What engine_getPayloadV4 would return for it.
    let json: serde_json::Value = serde_json::from_str(&payload_json(payload).unwrap()).unwrap();
    let execution = &json["executionPayload"];
    assert_eq!(
        execution["blockHash"],
        "0xc463a3120c35268f610d969f5608b479332ef10953af77c7a6be806195831196"
    );
    assert_eq!(execution["gasUsed"], "0x32138");
    assert_eq!(execution["transactions"].as_array().unwrap().len(), 6);
    assert_eq!(
        execution["withdrawalsRoot"],
        serde_json::Value::from(payload.commitments.withdrawals_root.unwrap().to_string())
    );
}
