//! Many reader threads and one writer: a reader only ever sees whole flashblocks, and
//! its snapshots only move forward.

use crate::common::{account, fake_deposit, BlockBuilder, Fed};
use alloy_primitives::{Address, Bytes, B256, U256};
use flashblocks_overlay::{CanonicalHead, Lookup};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const MARKER: Address = Address::with_last_byte(0x77);
const BLOCKS: u64 = 60;
const PER_BLOCK: u64 = 10;

fn tx(k: u64) -> Bytes {
    let mut raw = vec![0x02];
    raw.extend_from_slice(&k.to_be_bytes());
    Bytes::from(raw)
}

#[test]
fn readers_see_whole_flashblocks_only() {
    let mut overlay = Fed::default();
    let reader = overlay.reader();
    let done = AtomicBool::new(false);
    let reads = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let mut last_sequence = 0;
                while !done.load(Ordering::Acquire) {
                    let snapshot = reader.snapshot();
                    assert!(snapshot.sequence() >= last_sequence, "snapshots only move forward");
                    last_sequence = snapshot.sequence();
                    let Some(id) = snapshot.id() else { continue };
                    let view = snapshot.at(0);
                    // Each flashblock k sets the marker's nonce, balance and slot 0 to k
                    // and adds one transaction (index 0 also the deposit): all four must
                    // agree within one snapshot.
                    let Lookup::Found(nonce) = view.transaction_count(MARKER) else {
                        panic!("marker")
                    };
                    assert_eq!(nonce.snapshot, id);
                    let k = nonce.value;
                    assert_eq!(view.balance(MARKER).into_value(), Some(U256::from(k)));
                    assert_eq!(
                        view.storage_at(MARKER, B256::ZERO).into_value(),
                        Some(B256::from(U256::from(k)))
                    );
                    assert_eq!(k % PER_BLOCK, id.flashblock_index);
                    let txs = view.pending_transaction_hashes().into_value().expect("pending");
                    assert_eq!(txs.len() as u64, id.flashblock_index + 2);
                    let receipt = view.receipt(flashblocks_overlay::transaction_hash(&tx(k)));
                    assert_eq!(
                        receipt.into_value().map(|r| r.facts.cumulative_gas_used),
                        Some(50_000 + 21_000 * (id.flashblock_index + 1))
                    );
                    // The zero-refcount path reads the same kind of whole state.
                    reader.with(|s| {
                        let v = s.at(0);
                        let n = v.transaction_count(MARKER).into_value().unwrap_or_default();
                        assert_eq!(v.balance(MARKER).into_value(), Some(U256::from(n)));
                    });
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let mut parent = B256::ZERO;
        let mut previous: Option<CanonicalHead> = None;
        for n in 0..BLOCKS {
            let mut b = BlockBuilder::new(100 + n, parent, (n % 200) as u8 + 1);
            for i in 0..PER_BLOCK {
                let k = n * PER_BLOCK + i;
                let mut txs = vec![(tx(k), 1, 21_000, None)];
                if i == 0 {
                    txs.insert(0, (fake_deposit(n as u8), 1, 50_000, None));
                }
                let marker = account(MARKER, None, k, None, &[]);
                let marker = flashblocks_types::AccountMetadata {
                    balance: Some(U256::from(k)),
                    storage_slots: vec![flashblocks_types::StorageSlot {
                        key: B256::ZERO,
                        value: B256::from(U256::from(k)),
                    }],
                    ..marker
                };
                overlay.apply(b.push(txs, vec![marker]), 0).expect("accepted");
            }
            if let Some(head) = previous {
                overlay.advance_canonical(head, None);
            }
            parent = b.hash_at(PER_BLOCK - 1);
            previous = Some(CanonicalHead { number: 100 + n, hash: parent });
        }
        done.store(true, Ordering::Release);
    });
    assert!(reads.load(Ordering::Relaxed) > 0, "readers made progress while the writer ran");
    assert_eq!(
        overlay.snapshot().pending_block_numbers().collect::<Vec<_>>(),
        vec![100 + BLOCKS - 1]
    );
}
