//! The zero-copy view: it agrees with the owned decoder on the shared vectors, on
//! arbitrary payloads, on mutated frames and on the `view_decode` corpus.

use crate::{hex_field, json_files, read_json, vectors_dir};
use alloy_primitives::{Address, Bytes, B256, U256};
use flashblocks_types::reference::decode_frame;
use flashblocks_types::{
    fuzz::view_decode, vectors::payload_from_value, AccountMetadata,
    ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1, Flashblock, FlashblockMetadata,
    FlashblocksPayloadV1, GeneratorConfig, PayloadId, PayloadViewV1, SequenceGenerator,
    StorageSlot, TransactionMetadata, Withdrawal,
};
use proptest::{collection::vec, option, prelude::*};
use std::path::Path;

fn bytes_strategy(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

fn b256() -> impl Strategy<Value = B256> {
    any::<[u8; 32]>().prop_map(B256::from)
}

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

fn u256() -> impl Strategy<Value = U256> {
    any::<[u8; 32]>().prop_map(U256::from_le_bytes)
}

fn base() -> impl Strategy<Value = ExecutionPayloadStaticV1> {
    (b256(), b256(), address(), b256(), any::<[u64; 3]>(), bytes_strategy(32), u256()).prop_map(
        |(pbbr, parent_hash, fee_recipient, prev_randao, [n, g, t], extra_data, fee)| {
            ExecutionPayloadStaticV1 {
                parent_beacon_block_root: pbbr,
                parent_hash,
                fee_recipient,
                prev_randao,
                block_number: n,
                gas_limit: g,
                timestamp: t,
                extra_data,
                base_fee_per_gas: fee,
            }
        },
    )
}

fn account() -> impl Strategy<Value = AccountMetadata> {
    (
        address(),
        option::of(u256()),
        any::<u64>(),
        option::of(bytes_strategy(100)),
        vec((b256(), b256()).prop_map(|(key, value)| StorageSlot { key, value }), 0..5),
    )
        .prop_map(|(address, balance, nonce, code, storage_slots)| AccountMetadata {
            address,
            balance,
            nonce,
            code,
            storage_slots,
        })
}

/// Any payload within the schema's limits (not necessarily a valid flashblock): every
/// optional present or not, lists empty or not, byte strings of every small length
/// (0, one chunk, across chunk and pair boundaries).
pub(crate) fn payload_strategy() -> impl Strategy<Value = FlashblocksPayloadV1> {
    let diff = (
        (b256(), b256(), any::<[u8; 32]>(), any::<u64>(), b256(), b256()),
        vec(bytes_strategy(150), 0..6),
        vec(
            (any::<u64>(), any::<u64>(), address(), any::<u64>()).prop_map(|(i, v, a, m)| {
                Withdrawal { index: i, validator_index: v, address: a, amount: m }
            }),
            0..4,
        ),
    )
        .prop_map(|((state, receipts, bloom_seed, gas, block_hash, wr), txs, withdrawals)| {
            let mut bloom = [0u8; 256];
            for (i, b) in bloom.iter_mut().enumerate() {
                *b = bloom_seed[i % 32].wrapping_mul(i as u8);
            }
            ExecutionPayloadFlashblockDeltaV1 {
                state_root: state,
                receipts_root: receipts,
                logs_bloom: bloom.into(),
                gas_used: gas,
                block_hash,
                transactions: txs,
                withdrawals,
                withdrawals_root: wr,
            }
        });
    let metadata = (
        vec(account(), 0..4),
        vec(
            (any::<u8>(), any::<u64>(), option::of(address())).prop_map(|(s, g, c)| {
                TransactionMetadata { status: s, gas_used: g, contract_address: c }
            }),
            0..5,
        ),
    )
        .prop_map(|(accounts, transactions)| FlashblockMetadata { accounts, transactions });
    (any::<[u8; 8]>(), option::of(b256()), any::<u64>(), option::of(base()), diff, metadata)
        .prop_map(|(id, parent, index, base, diff, metadata)| FlashblocksPayloadV1 {
            payload_id: PayloadId::new(id),
            parent_flash_hash: parent,
            index,
            base,
            diff,
            metadata,
            ..Default::default()
        })
}

#[test]
fn valid_vectors_through_the_view() {
    let files = json_files(&vectors_dir().join("ssz/valid"));
    assert!(!files.is_empty(), "found {}", files.len());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let v = read_json(path);
        let serialized = hex_field(&v, "serialized");
        let expected = payload_from_value(&v["value"]).unwrap();
        let root: B256 = v["root"].as_str().unwrap().parse().unwrap();
        let view = PayloadViewV1::decode(bytes::Bytes::copy_from_slice(&serialized))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(view.to_payload(), expected, "{name}: value");
        assert_eq!(view.hash_tree_root_slow(), root, "{name}: view root");
        assert_eq!(view.index(), expected.index, "{name}");
        assert_eq!(view.parent_flash_hash(), expected.parent_flash_hash, "{name}");
        assert_eq!(view.base().map(|b| b.to_owned()), expected.base, "{name}");
        assert_eq!(view.transactions().len(), expected.diff.transactions.len(), "{name}");
        assert_eq!(view.accounts().len(), expected.metadata.accounts.len(), "{name}");
        let owned = Flashblock::decode_v1(serialized.clone()).unwrap();
        assert_eq!(
            owned.into_sealed_v1().map(|s| s.into_inner()),
            Ok(expected),
            "{name}: decode_v1"
        );
        view_decode(&serialized);
    }
}

#[test]
fn invalid_vectors_fail_as_the_owned_decoder_fails() {
    let files = json_files(&vectors_dir().join("ssz/invalid"));
    assert!(!files.is_empty(), "found {}", files.len());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let serialized = hex_field(&read_json(path), "serialized");
        let owned = decode_frame(&serialized).expect_err(&name);
        let view =
            PayloadViewV1::decode(bytes::Bytes::copy_from_slice(&serialized)).expect_err(&name);
        assert_eq!(view, owned, "{name}");
        assert_eq!(Flashblock::decode_v1(serialized).unwrap_err(), owned, "{name}: decode_v1");
    }
}

#[test]
fn accessors_read_the_generated_block() {
    let config = GeneratorConfig {
        flashblocks_per_block: 2,
        transactions_per_flashblock: 7,
        accounts_per_flashblock: 5,
        slots_per_account: 3,
        ..Default::default()
    };
    for sealed in SequenceGenerator::new(11, config).next_block() {
        let p = sealed.inner();
        let frame = bytes::Bytes::from(p.encode_ssz());
        let view = PayloadViewV1::decode(frame.clone()).unwrap();
        assert_eq!(view.payload_id(), p.payload_id);
        assert_eq!(view.gas_used(), p.diff.gas_used);
        assert_eq!(view.block_hash(), p.diff.block_hash);
        assert_eq!(view.state_root(), p.diff.state_root);
        assert_eq!(view.logs_bloom(), p.diff.logs_bloom);
        let txs = view.transactions();
        for (i, tx) in p.diff.transactions.iter().enumerate() {
            assert_eq!(txs.get(i), Some(&tx[..]));
            let shared = txs.get_bytes(i).unwrap();
            assert_eq!(&shared, tx);
            // Zero copy: the slice points into the frame's buffer.
            let frame_range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
            assert!(frame_range.contains(&(shared.as_ptr() as usize)));
        }
        assert_eq!(txs.get(txs.len()), None);
        let accounts: Vec<AccountMetadata> = view.accounts().iter().map(|a| a.to_owned()).collect();
        assert_eq!(accounts, p.metadata.accounts);
        for (a, want) in view.accounts().iter().zip(&p.metadata.accounts) {
            assert_eq!(a.balance(), want.balance);
            assert_eq!(a.code(), want.code.as_ref().map(|c| &c[..]));
            assert_eq!(a.storage_slot_count(), want.storage_slots.len());
        }
        let meta: Vec<_> = view.transaction_metadata().iter().collect();
        assert_eq!(meta, p.metadata.transactions);
        assert_eq!(view.hash_tree_root_slow(), sealed.seal());
    }
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn view_decode_corpus() {
    let inputs = corpus("view_decode");
    assert!(inputs.len() >= 20, "corpus too small: {}", inputs.len());
    let accepted = inputs
        .iter()
        .filter(|i| PayloadViewV1::decode(bytes::Bytes::copy_from_slice(i)).is_ok())
        .count();
    for input in &inputs {
        view_decode(input);
    }
    assert!(accepted > 0 && accepted < inputs.len(), "{accepted} of {}", inputs.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any payload within the limits: the view reads it back exactly and hashes it as the
    /// reference does.
    #[test]
    fn view_round_trips_any_payload(p in payload_strategy()) {
        let frame = p.encode_ssz();
        let view = PayloadViewV1::decode(bytes::Bytes::copy_from_slice(&frame)).unwrap();
        prop_assert_eq!(view.to_payload(), p.clone());
        prop_assert_eq!(view.hash_tree_root_slow(), flashblocks_types::merkle::payload_root(&p));
        view_decode(&frame);
    }

    /// Mutated frames (byte flips, then a cut, then an inserted byte): view and owned
    /// decoder accept the same frames and fail with the same error.
    #[test]
    fn view_and_owned_agree_on_mutated_frames(
        p in payload_strategy(),
        flips in vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
        insert in option::of((any::<usize>(), any::<u8>())),
    ) {
        let mut bytes = p.encode_ssz();
        view_decode(&bytes);
        for (at, value) in flips {
            let i = at % bytes.len();
            bytes[i] = value;
            view_decode(&bytes);
        }
        if let Some((at, value)) = insert {
            bytes.insert(at % (bytes.len() + 1), value);
            view_decode(&bytes);
        }
        bytes.truncate(cut % (bytes.len() + 1));
        view_decode(&bytes);
    }

    /// Offsets are where hostile bytes bite: overwrite one 4-byte word of the frame with
    /// an offset-like value near a real one.
    #[test]
    fn view_and_owned_agree_on_bent_offsets(
        p in payload_strategy(),
        at in any::<usize>(),
        delta in -9i64..9,
    ) {
        let mut bytes = p.encode_ssz();
        let i = at % (bytes.len() - 3);
        let word = u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        let bent = (word as i64 + delta).clamp(0, u32::MAX as i64) as u32;
        bytes[i..i + 4].copy_from_slice(&bent.to_le_bytes());
        view_decode(&bytes);
    }

    /// Arbitrary bytes behind the V1 version.
    #[test]
    fn view_and_owned_agree_on_random_bytes(tail in vec(any::<u8>(), 0..400)) {
        let mut bytes = vec![0, 0, 0, 1];
        bytes.extend(tail);
        view_decode(&bytes);
    }
}
