//! The shared SSZ vectors: valid ones decode to their value, re-encode to their bytes and
//! have their roots; invalid ones are rejected.

use crate::{hex_field, json_files, read_json, vectors_dir};
use alloy_primitives::B256;
use flashblocks_types::reference::{decode_frame, VersionedFlashblock};
use flashblocks_types::{
    merkle, vectors::payload_from_value, vectors::payload_to_value, Flashblock,
    FlashblocksPayloadV1,
};
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

fn b256(v: &serde_json::Value) -> B256 {
    v.as_str().expect("hex").parse().expect("32 bytes")
}

#[test]
fn valid_vectors_decode_encode_and_hash() {
    let files = json_files(&vectors_dir().join("ssz/valid"));
    assert!(!files.is_empty(), "expected the shared valid vectors, found {}", files.len());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let v = read_json(path);
        let serialized = hex_field(&v, "serialized");
        let expected = payload_from_value(&v["value"]).expect("vector value parses");

        let VersionedFlashblock::V1(decoded) =
            decode_frame(&serialized).unwrap_or_else(|e| panic!("{name}: {e}"))
        else {
            panic!("{name}: not V1")
        };
        assert_eq!(decoded, expected, "{name}: decoded value");
        assert_eq!(expected.as_ssz_bytes(), serialized, "{name}: encoding");
        assert_eq!(payload_to_value(&decoded), v["value"], "{name}: neutral JSON round trip");

        let root = b256(&v["root"]);
        assert_eq!(decoded.hash_tree_root_slow(), root, "{name}: root");
        assert_eq!(decoded.tree_hash_root(), root, "{name}: root via TreeHash");
        assert_eq!(Flashblock::from_v1(decoded.clone()).identity(), root, "{name}: identity");
        let sub = merkle::sub_roots(&decoded);
        let want = &v["sub_roots"];
        assert_eq!(sub.parent_flash_hash, b256(&want["parent_flash_hash"]), "{name}: parent");
        assert_eq!(sub.base, b256(&want["base"]), "{name}: base");
        assert_eq!(sub.diff, b256(&want["diff"]), "{name}: diff");
        assert_eq!(sub.metadata, b256(&want["metadata"]), "{name}: metadata");
    }
    println!("ssz valid vectors checked: {}", files.len());
}

#[test]
fn invalid_vectors_are_rejected() {
    let files = json_files(&vectors_dir().join("ssz/invalid"));
    assert!(!files.is_empty(), "expected the shared invalid vectors, found {}", files.len());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let v = read_json(path);
        let serialized = hex_field(&v, "serialized");
        let err = decode_frame(&serialized).expect_err(&format!("{name} must be rejected"));
        assert!(err.is_malformed() || err.is_unknown_version(), "{name}: {err:?}");
        // The derive-level decoder agrees.
        assert!(FlashblocksPayloadV1::from_ssz_bytes(&serialized).is_err(), "{name}");
        // And the fuzz body does not panic on it.
        flashblocks_types::fuzz::frame_decode(&serialized);
    }
    println!("ssz invalid vectors checked: {}", files.len());
}

#[test]
fn frame_errors_are_typed() {
    use flashblocks_types::CodecError;
    assert_eq!(decode_frame(&[]), Err(CodecError::FrameTooShort { len: 0 }));
    assert_eq!(decode_frame(&[0, 0, 1]), Err(CodecError::FrameTooShort { len: 3 }));
    let err = decode_frame(&[0, 0, 0, 2]).unwrap_err();
    assert_eq!(err, CodecError::UnknownVersion { version: [0, 0, 0, 2].into() });
    // The version is read before anything else: garbage after an unknown version is
    // still `unknown_version`.
    assert!(decode_frame(&[9, 9, 9, 9, 1, 2, 3]).unwrap_err().is_unknown_version());
    // V1 with nothing after it is malformed.
    let err = decode_frame(&[0, 0, 0, 1]).unwrap_err();
    assert!(err.is_malformed(), "{err:?}");
    assert!(!err.to_string().is_empty());
}

#[test]
fn limits_are_enforced_on_decode() {
    use flashblocks_types::{ExecutionPayloadStaticV1, Withdrawal, MAX_WITHDRAWALS_PER_PAYLOAD};
    // extra_data of 33 bytes encodes (the encoder writes what it is given) but never decodes.
    let mut p = FlashblocksPayloadV1 {
        base: Some(ExecutionPayloadStaticV1 {
            extra_data: vec![1u8; 33].into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = decode_frame(&p.encode_ssz()).unwrap_err();
    assert!(err.to_string().contains("extra_data"), "{err}");
    p.base =
        Some(ExecutionPayloadStaticV1 { extra_data: vec![1u8; 32].into(), ..Default::default() });
    assert!(decode_frame(&p.encode_ssz()).is_ok());

    p.diff.withdrawals = vec![Withdrawal::default(); MAX_WITHDRAWALS_PER_PAYLOAD + 1];
    let err = decode_frame(&p.encode_ssz()).unwrap_err();
    assert!(err.to_string().contains("withdrawals"), "{err}");
    p.diff.withdrawals.pop();
    assert!(decode_frame(&p.encode_ssz()).is_ok());
}
