//! Interop with op-alloy's `OpFlashblockPayload`: today's consumers parse what we write,
//! we parse what they write, and (feature `op-alloy`) the typed conversions.

use crate::vectors_dir;
use flashblocks_types::{FlashblockJson, GeneratorConfig, SequenceGenerator};
use op_alloy_rpc_types_engine::flashblock::OpFlashblockPayload;

fn capture() -> Vec<FlashblockJson> {
    let path = vectors_dir().join("real/unichain-sepolia-35535698-full-sequence.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("capture")).expect("reads")
}

/// Flashblocks with balances and receipts, from generated blocks and the capture.
fn samples() -> Vec<FlashblockJson> {
    let block = SequenceGenerator::new(5, GeneratorConfig::default()).next_block();
    let mut out: Vec<FlashblockJson> =
        block.iter().map(|fb| FlashblockJson::from_v1_lossy(fb, 9)).collect();
    out.extend(capture());
    out
}

#[test]
fn op_alloy_parses_what_we_write_and_we_parse_what_it_writes() {
    for json in samples() {
        let ours = json.to_vec();
        let op: OpFlashblockPayload = serde_json::from_slice(&ours).expect("op-alloy reads ours");
        assert_eq!(op.index, json.index);
        assert_eq!(op.payload_id, json.payload_id);
        assert_eq!(op.diff.transactions, json.diff.transactions);
        assert_eq!(op.diff.gas_used, json.diff.gas_used);
        assert_eq!(
            op.base.as_ref().map(|b| b.block_number),
            json.base.as_ref().map(|b| b.block_number)
        );
        assert_eq!(
            Some(&op.metadata.new_account_balances),
            json.metadata.new_account_balances.as_ref()
        );
        assert_eq!(Some(&op.metadata.receipts), json.metadata.receipts.as_ref());

        let theirs = serde_json::to_vec(&op).expect("op-alloy writes");
        assert_eq!(crate::json_from_slice(&theirs).as_ref(), Ok(&json));
    }
}

#[cfg(feature = "op-alloy")]
mod feature {
    use super::*;
    use flashblocks_types::{CodecError, Flashblock};

    #[test]
    fn conversions_round_trip() {
        for json in samples() {
            let op = json.clone().try_into_op_alloy().expect("maps present");
            assert_eq!(op, json.clone().into_op_alloy_lossy());
            assert_eq!(FlashblockJson::from(op.clone()), json);
            let model = Flashblock::from(op.clone());
            assert_eq!(model, Flashblock::from_json(json.clone()));
            assert_eq!(model.to_op_alloy(), Ok(op));
        }
    }

    #[test]
    fn the_azul_shape_needs_the_lossy_conversion() {
        let mut json = capture().remove(1);
        json.metadata.receipts = None;
        assert_eq!(
            json.clone().try_into_op_alloy(),
            Err(CodecError::MetadataMapAbsent { field: "receipts" })
        );
        json.metadata.new_account_balances = None;
        assert_eq!(
            json.clone().try_into_op_alloy(),
            Err(CodecError::MetadataMapAbsent { field: "new_account_balances" })
        );
        let op = json.clone().into_op_alloy_lossy();
        assert!(op.metadata.receipts.is_empty() && op.metadata.new_account_balances.is_empty());
        let back = FlashblockJson::from(op);
        assert_eq!(back.metadata.receipts.as_ref().map(|r| r.len()), Some(0));
        assert_ne!(back, json, "absent became empty: a different decoded value");
    }
}
