//! Property tests: JSON round trips over chain-maker sequences (V1 blocks made by the
//! seeded generator, carried into JSON with their transactions and balances).

use crate::chain::config_strategy;
use flashblocks_types::{
    CodecError, FlashblockJson, FlashblockSource, JsonFrameReader, SequenceGenerator,
};
use proptest::prelude::*;

/// The canonical encoding [`FlashblockJson::identity`] documents, spelled out.
pub(crate) fn canonical_identity(json: &FlashblockJson) -> alloy_primitives::B256 {
    let mut without_txs = json.clone();
    without_txs.diff.transactions.clear();
    let mut encoding = without_txs.to_vec();
    for tx in &json.diff.transactions {
        encoding.extend_from_slice(&(tx.len() as u64).to_be_bytes());
        encoding.extend_from_slice(tx);
    }
    use sha2::Digest;
    alloy_primitives::B256::from(<[u8; 32]>::from(sha2::Sha256::digest(&encoding)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// V1 → JSON (lossy) → text → JSON: the same value and identity, by every reader.
    #[test]
    fn json_round_trips(seed in any::<u64>(), config in config_strategy()) {
        let block = SequenceGenerator::new(seed, config).next_block();
        let number = block[0].base.as_ref().map_or(0, |b| b.block_number);
        for fb in &block {
            let json = FlashblockJson::from_v1_lossy(fb, number);
            let text = json.to_vec();
            let again = crate::json_from_slice(&text).expect("our JSON reads");
            prop_assert_eq!(&again, &json);
            prop_assert_eq!(again.identity(), json.identity());
            prop_assert_eq!(json.identity(), canonical_identity(&json));

            let model = crate::decode_json(&text).expect("decode_json");
            prop_assert_eq!(model.source(), FlashblockSource::Json);
            prop_assert_eq!(model.identity(), json.identity());
            prop_assert_eq!(model.base(), fb.base.as_ref());
            prop_assert_eq!(model.diff(), &fb.diff);
            prop_assert_eq!(model.parent_flash_hash(), None);
            prop_assert_eq!(model.clone().into_json(), Ok(json.clone()));

            let frame = JsonFrameReader::encode_brotli(&text);
            prop_assert_eq!(JsonFrameReader::default().decode(&frame), Ok(model));

            // Balances survive; nonces, code, storage and transaction metadata do not.
            let balances = json.metadata.new_account_balances.as_ref().expect("present");
            let with_balance = fb.metadata.accounts.iter().filter(|a| a.balance.is_some());
            prop_assert_eq!(balances.len(), with_balance.clone().count());
            for account in with_balance {
                prop_assert_eq!(balances.get(&account.address), account.balance.as_ref());
            }
        }
    }

    /// Other whitespace and key order: the same identity.
    #[test]
    fn identity_ignores_layout(seed in any::<u64>(), config in config_strategy()) {
        let block = SequenceGenerator::new(seed, config).next_block();
        for fb in &block {
            let json = FlashblockJson::from_v1_lossy(fb, 1);
            let value: serde_json::Value = serde_json::from_slice(&json.to_vec()).expect("JSON");
            let pretty = serde_json::to_vec_pretty(&value).expect("pretty");
            prop_assert_ne!(&pretty, &json.to_vec());
            prop_assert_eq!(crate::json_from_slice(&pretty).map(|j| j.identity()), Ok(json.identity()));
        }
    }

    /// V1 → JSON → V1 without metadata keeps everything but the metadata, and the hash
    /// chain can be rebuilt by the caller.
    #[test]
    fn v1_json_v1_keeps_base_and_diff(seed in any::<u64>(), config in config_strategy()) {
        let block = SequenceGenerator::new(seed, config).next_block();
        let mut parent = None;
        for fb in &block {
            let json = FlashblockJson::from_v1_lossy(fb, 5);
            let v1 = json.into_v1_without_metadata(parent);
            prop_assert_eq!(v1.version, fb.version);
            prop_assert_eq!(v1.payload_id, fb.payload_id);
            prop_assert_eq!(v1.index, fb.index);
            prop_assert_eq!(&v1.base, &fb.base);
            prop_assert_eq!(&v1.diff, &fb.diff);
            prop_assert!(v1.metadata.accounts.is_empty() && v1.metadata.transactions.is_empty());
            parent = Some(v1.hash_tree_root_slow());
        }
    }

    /// The strict conversion succeeds exactly when nothing would be lost.
    #[test]
    fn strict_v1_to_json_names_the_loss(seed in any::<u64>(), config in config_strategy()) {
        let block = SequenceGenerator::new(seed, config).next_block();
        for fb in &block {
            let result = FlashblockJson::try_from_v1(fb, 3);
            match (&fb.parent_flash_hash, fb.metadata.accounts.first(), fb.metadata.transactions.len()) {
                (Some(h), _, _) => prop_assert_eq!(result, Err(CodecError::ParentFlashHashNotInJson { parent_flash_hash: *h })),
                (None, Some(a), _) => prop_assert_eq!(result, Err(CodecError::AccountStateNotInJson { address: a.address })),
                (None, None, n) if n > 0 => prop_assert_eq!(result, Err(CodecError::TransactionMetadataNotInJson { count: n })),
                (None, None, _) => prop_assert_eq!(result, Ok(FlashblockJson::from_v1_lossy(fb, 3))),
            }
        }
    }
}
