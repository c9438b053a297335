//! The node's pipeline on an X Layer stream: its `PayloadEnd` is a message of its own,
//! not a malformed flashblock; it completes the block (a later index of that payload is
//! `payload_ended`), changes nothing else, and the next block is taken as usual.

use alloy_op_hardforks::OpHardfork;
use flashblocks::{types::DialectChoice, validate::PayloadEnded, Receiver, ReceiverConfig};
use flashblocks_execute::builder::{ExecutingBuilder, TxPlan};
use flashblocks_node::pipeline::{Pipeline, Verdict};

#[test]
fn an_x_layer_payload_end_completes_the_block_in_the_pipeline() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let plan = [vec![TxPlan::Transfer], vec![TxPlan::Transfer], vec![TxPlan::Transfer]];
    let blocks = [builder.next_block(&plan), builder.next_block(&plan)];
    let frame = |block: usize, index: usize| {
        let mut json = blocks[block][index].json.clone();
        json.target_index = Some(2);
        json.to_vec()
    };
    let config = ReceiverConfig::json().with_dialect(DialectChoice::Auto);
    let mut pipeline = Pipeline::from_receiver(Receiver::new(config));
    for index in 0..2 {
        assert_eq!(pipeline.process(&frame(0, index)).verdict, Verdict::Accept);
    }
    let first = &blocks[0][0].json;
    let end = format!(r#"{{"payload_id":"{}"}}"#, first.payload_id.0);
    let before = (pipeline.payloads(), pipeline.reader().snapshot().id());
    let report = pipeline.process(end.as_bytes());
    let number = first.base.as_ref().expect("base").block_number;
    assert_eq!(
        report.verdict,
        Verdict::PayloadEnd(PayloadEnded::Completed {
            payload_id: first.payload_id,
            block_number: number,
            flashblocks: 2,
        })
    );
    assert!(report.flashblock.is_none() && report.accepted.is_none());
    assert_eq!(report.verdict.label(), "payload_end");
    assert_eq!((pipeline.payloads(), pipeline.reader().snapshot().id()), before);
    // The ended payload takes no later index; the next block starts as usual.
    let late = pipeline.process(&frame(0, 2));
    assert_eq!(late.verdict.rule_id(), Some("payload_ended"));
    for index in 0..3 {
        assert_eq!(pipeline.process(&frame(1, index)).verdict, Verdict::Accept, "at {index}");
    }
    // An end naming no block held changes nothing.
    let unknown = pipeline.process(br#"{"payload_id":"0x0102030405060708"}"#);
    assert!(matches!(unknown.verdict, Verdict::PayloadEnd(PayloadEnded::Unknown { .. })));
}
