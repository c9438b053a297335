//! The receiver's dialect: what `auto` decided, reported in what `receive` returns; X
//! Layer's `PayloadEnd` completing a block; a `PayloadEnd` on another dialect's stream is
//! not a message it knows.

use flashblocks::{
    types::{
        Dialect, DialectChoice, FlashblockId, FlashblockJson, GeneratorConfig, SequenceGenerator,
    },
    validate::{Outcome, PayloadEnded},
    Receiver, ReceiverConfig,
};

/// One generated block as JSON texts, with `edit` applied to each flashblock.
fn frames(seed: u64, edit: impl Fn(&mut FlashblockJson)) -> (Vec<Vec<u8>>, FlashblockJson) {
    let block = SequenceGenerator::new(seed, GeneratorConfig::default()).next_block();
    let number = block[0].base.as_ref().expect("base").block_number;
    let jsons: Vec<FlashblockJson> = block
        .iter()
        .map(|fb| {
            let mut json = FlashblockJson::from_v1_lossy(fb, number);
            edit(&mut json);
            json
        })
        .collect();
    (jsons.iter().map(FlashblockJson::to_vec).collect(), jsons[0].clone())
}

#[test]
fn auto_reports_what_it_decided_once() {
    let (base, _) = frames(1, |json| {
        let number = json.metadata.block_number.expect("number");
        json.metadata.prev_flashblock_id = Some(if json.index == 0 {
            FlashblockId::NONE
        } else {
            FlashblockId { block_number: number, index: json.index - 1 }
        });
    });
    let mut receiver = Receiver::new(ReceiverConfig::json().with_dialect(DialectChoice::Auto));
    assert_eq!(receiver.dialect(), None);
    let first = receiver.receive(&base[0], 0).expect("accepted");
    assert_eq!(first.dialect_decided, Some(Dialect::Base));
    assert_eq!(receiver.dialect(), Some(Dialect::Base));
    let second = receiver.receive(&base[1], 0).expect("accepted");
    assert_eq!(second.dialect_decided, None);
    receiver.reset();
    assert_eq!(receiver.dialect(), None);
    assert_eq!(
        receiver.receive(&base[0], 0).expect("accepted").dialect_decided,
        Some(Dialect::Base)
    );
}

#[test]
fn an_x_layer_payload_end_completes_the_block() {
    let (xlayer, first) = frames(2, |json| json.target_index = Some(json.index.min(1) * 9));
    let end = format!(r#"{{"payload_id":"{}"}}"#, first.payload_id.0);
    let mut receiver = Receiver::new(ReceiverConfig::json().with_dialect(DialectChoice::Auto));
    for frame in &xlayer[..2] {
        receiver.receive(frame, 0).expect("accepted");
    }
    assert_eq!(receiver.dialect(), Some(Dialect::XLayer));
    let ended = receiver.receive(end.as_bytes(), 0).expect("an end");
    assert!(ended.flashblock.is_none() && ended.applied.is_none());
    let number = first.metadata.block_number.expect("number");
    assert_eq!(
        ended.outcome,
        Outcome::PayloadEnd(PayloadEnded::Completed {
            payload_id: first.payload_id,
            block_number: number,
            flashblocks: 2,
        })
    );
    let err = receiver.receive(&xlayer[2], 0).expect_err("ended");
    assert_eq!(err.rule_id(), "payload_ended");
    // On a rollup-boost stream the same text is not a flashblock: malformed.
    let (plain, _) = frames(2, |_| {});
    let mut receiver = Receiver::new(ReceiverConfig::json());
    receiver.receive(&plain[0], 0).expect("accepted");
    assert_eq!(
        receiver.receive(end.as_bytes(), 0).expect_err("not a flashblock").rule_id(),
        "malformed"
    );
    receiver.receive(&plain[1], 0).expect("the stream goes on");
}
