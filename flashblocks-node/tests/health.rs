//! `flashblocks_health` between a block's confirmation and the next block's first
//! flashblock: nothing is pending, but the stream is as fresh as its newest flashblock,
//! so the node is healthy (it answered -32000 "no flashblock received yet" then).

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::keccak256;
use flashblocks_execute::builder::{ExecutingBuilder, TxPlan};
use flashblocks_node::{
    pipeline::{Pipeline, Verdict},
    rpc::{module, Backend, ServerConfig},
};
use flashblocks_overlay::{CanonicalBlock, CanonicalHead, OverlayEvent};
use flashblocks_validate::RuleSet;
use serde_json::Value;

#[tokio::test]
async fn health_holds_between_a_confirmed_block_and_the_next() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let block = builder.next_block(&[vec![TxPlan::Transfer]]);
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let rpc = module(Backend::new(pipeline.reader()), &ServerConfig::default()).expect("module");
    let health = || async { rpc.call::<_, Value>("flashblocks_health", [(); 0]).await };
    assert!(health().await.is_err(), "nothing received yet");
    for built in &block {
        assert_eq!(pipeline.process(&built.json.to_vec()).verdict, Verdict::Accept);
    }
    let number = block[0].flashblock.base().expect("base").block_number;
    let fresh = health().await.expect("healthy while pending");
    assert_eq!(
        (fresh["blockNumber"].as_u64(), fresh["flashblockIndex"].as_u64()),
        (Some(number), Some(1))
    );
    // The canonical chain confirms the block: nothing is pending any more.
    let transactions =
        block.iter().flat_map(|b| b.flashblock.transactions().iter().map(keccak256)).collect();
    let head = CanonicalHead { number, hash: block[1].flashblock.diff().block_hash };
    let events = pipeline.advance_canonical(head, Some(&CanonicalBlock::new(transactions)));
    assert!(matches!(events.as_slice(), [OverlayEvent::Confirmed { .. }]), "{events:?}");
    assert_eq!(pipeline.reader().snapshot().id(), None);
    let between = health().await.expect("healthy between blocks");
    assert_eq!(between["blockNumber"].as_u64(), Some(number));
    assert_eq!(between["flashblockIndex"].as_u64(), Some(1));
}
