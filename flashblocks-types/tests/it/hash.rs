//! The fast hasher against the reference (`merkle`) and the shared vectors, and its node
//! hash count against the hashes it does.

use crate::{hex_field, json_files, read_json, vectors_dir};
use alloy_primitives::{Bytes, B256};
use flashblocks_types::{
    hash, merkle, vectors::payload_from_value, FlashblocksPayloadV1, GeneratorConfig,
    SequenceGenerator,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn b256(v: &serde_json::Value) -> B256 {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn valid_vectors_hash_with_the_fast_hasher() {
    let files = json_files(&vectors_dir().join("ssz/valid"));
    assert!(!files.is_empty(), "found {}", files.len());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let v = read_json(path);
        let p = payload_from_value(&v["value"]).unwrap();
        let root = b256(&v["root"]);
        let (fast, nodes) = hash::payload_root_counted(&p);
        assert_eq!(fast, root, "{name}: fast root");
        assert_eq!(p.hash_tree_root_slow(), root, "{name}: hash_tree_root");
        assert_eq!(merkle::payload_root(&p), root, "{name}: reference root");
        assert_eq!(nodes, hash::node_hash_count(&p), "{name}: node count");
        let sub = hash::sub_roots(&p);
        let want = &v["sub_roots"];
        assert_eq!(sub.parent_flash_hash, b256(&want["parent_flash_hash"]), "{name}");
        assert_eq!(sub.base, b256(&want["base"]), "{name}");
        assert_eq!(sub.diff, b256(&want["diff"]), "{name}");
        assert_eq!(sub.metadata, b256(&want["metadata"]), "{name}");
        assert_eq!(sub, merkle::sub_roots(&p), "{name}");
        let _ = hex_field(&v, "serialized");
    }
}

#[test]
fn node_hash_is_sha256_of_the_block() {
    for seed in [0u8, 1, 0x80, 0xff] {
        let block: [u8; 64] = core::array::from_fn(|i| seed.wrapping_add(i as u8));
        let want = B256::from_slice(&Sha256::digest(block));
        assert_eq!(hash::node_hash(&block), want);
    }
}

#[test]
fn node_hash_counts_are_exact() {
    let empty = FlashblocksPayloadV1::default();
    // Payload container 7 fields: 4 + 2 + 1; diff 8 fields: 7, its 256-byte bloom: 7,
    // two empty lists: 1 each (the length); metadata 2 fields: 1, two empty lists: 2. The
    // None unions are zero hashes.
    assert_eq!(hash::node_hash_count(&empty), 26);
    assert_eq!(hash::payload_root_counted(&empty).1, 26);

    // One 200-byte transaction: 30 for its ByteList[2^30] (4 + 2 + 1 + 22 + 1), and the
    // transactions list of one takes 20 levels + the length instead of the length alone.
    let mut one = empty.clone();
    one.diff.transactions.push(Bytes::from(vec![7u8; 200]));
    assert_eq!(hash::node_hash_count(&one), 26 + 30 + 20);
    assert_eq!(hash::payload_root_counted(&one).1, 26 + 30 + 20);
}

#[test]
fn bench_fixture_shape_and_count() {
    let block = SequenceGenerator::new(1, GeneratorConfig::bench_fixture()).next_block();
    let p = block[0].inner();
    assert_eq!(p.diff.transactions.len(), 1000);
    assert!(p.diff.transactions.iter().all(|tx| tx.len() == 200));
    assert_eq!(p.metadata.transactions.len(), 1000);
    // Generated addresses are random: 500 distinct ones but for a 2^-150 chance.
    assert_eq!(p.metadata.accounts.len(), 500);
    assert!(p.metadata.accounts.iter().all(|a| a.storage_slots.len() == 4));
    let (root, nodes) = hash::payload_root_counted(p);
    assert_eq!(root, merkle::payload_root(p));
    assert_eq!(nodes, hash::node_hash_count(p));
    // About 54,000 as the issue estimates.
    assert!((50_000..56_000).contains(&nodes), "{nodes}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any payload within the limits: fast == reference, and the count is exact.
    #[test]
    fn fast_hasher_agrees_with_reference(p in crate::view::payload_strategy()) {
        let (fast, nodes) = hash::payload_root_counted(&p);
        prop_assert_eq!(fast, merkle::payload_root(&p));
        prop_assert_eq!(nodes, hash::node_hash_count(&p));
        prop_assert_eq!(hash::sub_roots(&p), merkle::sub_roots(&p));
    }

    /// Generated valid sequences: the chain maker's roots are the fast roots.
    #[test]
    fn generated_blocks_agree(seed in any::<u64>()) {
        let block = SequenceGenerator::new(seed, GeneratorConfig::default()).next_block();
        for sealed in &block {
            prop_assert_eq!((sealed.inner()).hash_tree_root_slow(), merkle::payload_root(sealed.inner()));
        }
    }
}

/// The parallel hasher (feature `parallel`) gives the same roots.
#[cfg(feature = "parallel")]
#[test]
fn parallel_hasher_agrees() {
    let config = GeneratorConfig {
        flashblocks_per_block: 1,
        transactions_per_flashblock: 301,
        accounts_per_flashblock: 131,
        ..Default::default()
    };
    let block = SequenceGenerator::new(9, config).next_block();
    let p = block[0].inner();
    assert_eq!((p).hash_tree_root_parallel_slow(), merkle::payload_root(p));
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&crate::view::payload_strategy(), |p| {
            prop_assert_eq!(p.hash_tree_root_parallel_slow(), merkle::payload_root(&p));
            Ok(())
        })
        .unwrap();
}
