//! Lagoon's `diff.post_exec_tx` (OP Subblocks): read as sent and written back, part of
//! the identity, refused by the strict conversions to V1 and op-alloy's model, and
//! decoded by [`PostExecTx::decode`] with op-alloy's codec.

use alloy_primitives::keccak256;
use flashblocks_types::{
    decode_json_text, post_exec_raw, CodecError, FlashblockJson, GeneratorConfig, JsonFrameReader,
    PostExecTx, PostExecTxError, SequenceGenerator, TxPostExec, V1Link,
};
use serde_json::{json, Value};

fn sample() -> Value {
    let block = SequenceGenerator::new(9, GeneratorConfig::default()).next_block();
    let number = block[0].base.as_ref().expect("base").block_number;
    serde_json::from_slice(&FlashblockJson::from_v1_lossy(&block[1], number).to_vec())
        .expect("JSON")
}

#[test]
fn post_exec_tx_reads_as_sent_writes_back_and_is_part_of_the_identity() {
    let sent = post_exec_raw(1, 42, &[(1, 2_100), (3, 7)]);
    let mut value = sample();
    value["diff"]["post_exec_tx"] = json!(sent.to_string());
    let text = serde_json::to_vec(&value).expect("encode");
    let json = decode_json_text(&text).expect("reads");
    assert_eq!(
        Ok(json.clone()),
        serde_json::from_slice::<FlashblockJson>(&text).map_err(|e| CodecError::Json(e.into())),
        "fast path and derive decode differ"
    );
    assert_eq!(json.diff.post_exec_tx.as_ref(), Some(&sent));
    let fb = JsonFrameReader::default().decode(&text).expect("frame");
    assert_eq!(fb.post_exec_tx(), Some(&sent));
    assert!(!fb.transactions().iter().any(|tx| tx.first() == Some(&0x7d)), "not a transaction");
    assert_eq!(fb.to_json(), Ok(json.clone()));
    assert_eq!(decode_json_text(&json.to_vec()), Ok(json.clone()));
    // Absent and null read alike, and are another identity.
    let mut without = value.clone();
    without["diff"].as_object_mut().expect("diff").remove("post_exec_tx");
    let absent = decode_json_text(&serde_json::to_vec(&without).expect("encode")).expect("reads");
    without["diff"]["post_exec_tx"] = Value::Null;
    let null = decode_json_text(&serde_json::to_vec(&without).expect("encode")).expect("reads");
    assert_eq!(absent, null);
    assert!(absent.diff.post_exec_tx.is_none());
    assert_ne!(absent.identity(), json.identity());
    assert!(!String::from_utf8_lossy(&absent.to_vec()).contains("post_exec_tx"));
    // Another payload, another identity.
    let mut other = json.clone();
    other.diff.post_exec_tx = Some(post_exec_raw(1, 42, &[(1, 2_100)]));
    assert_ne!(other.identity(), json.identity());
    // V1 and op-alloy 2's model have no place for it.
    assert_eq!(
        json.clone().try_into_v1(V1Link::default()),
        Err(CodecError::DialectFieldNotInV1 { field: "diff.post_exec_tx" })
    );
}

#[test]
fn decode_is_op_alloys_codec_and_names_each_defect() {
    let good = post_exec_raw(1, 42, &[(1, 2_100)]);
    let post = PostExecTx::decode(good.clone()).expect("decodes");
    let tx = TxPostExec::new(post.payload().clone());
    assert_eq!(post.hash(), tx.tx_hash());
    assert_eq!(post.hash(), keccak256(&good));
    assert_eq!(post.tx().inner(), &tx);
    let reason = |bytes: Vec<u8>| match PostExecTx::decode(bytes.into()) {
        Err(CodecError::PostExecTx(reason)) => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(reason(vec![]), PostExecTxError::Empty);
    let mut typed = good.to_vec();
    typed[0] = 0x7e;
    assert_eq!(reason(typed), PostExecTxError::NotPostExec { ty: 0x7e });
    assert_eq!(
        reason(post_exec_raw(2, 42, &[(1, 2_100)]).to_vec()),
        PostExecTxError::UnsupportedVersion { version: 2 }
    );
    assert_eq!(
        reason(post_exec_raw(0, 42, &[(1, 2_100)]).to_vec()),
        PostExecTxError::UnsupportedVersion { version: 0 }
    );
    let mut trailing = good.to_vec();
    trailing.push(0);
    assert_eq!(reason(trailing), PostExecTxError::TrailingBytes { trailing: 1 });
    assert!(matches!(reason(vec![0x7d]), PostExecTxError::Rlp(_)));
    assert!(matches!(reason(vec![0x7d, 0xc1, 0x01]), PostExecTxError::Rlp(_)));
    // Every prefix of a good one is refused, never a panic.
    for len in 0..good.len() {
        assert!(PostExecTx::decode(good.slice(..len)).is_err(), "{len}");
    }
}
