//! V1 streams: receipts, balances, nonces, code and storage (later flashblocks override
//! earlier ones), the RPC shapes over real signed transactions, the state override, the
//! change sets and pending logs, and the canonical fallback.

use crate::common::{account, fake_deposit, fake_tx, real_transactions, BlockBuilder, Fed};
use alloy_consensus::TxReceipt;
use alloy_primitives::{Address, Bytes, TxHash, B256, U256};
use alloy_rpc_types_eth::Filter;
use flashblocks_overlay::{
    transaction_hash, CanonicalState, Lookup, NotHere, Overlay, Pending, PendingBlock, Source,
};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};

const A: Address = Address::with_last_byte(0xa);
const B: Address = Address::with_last_byte(0xb);
const C: Address = Address::with_last_byte(0xc);

fn slot(k: u8) -> B256 {
    B256::with_last_byte(k)
}

/// Block 10 in three flashblocks touching A, B and C.
fn block_10() -> (Fed, BlockBuilder) {
    let mut overlay = Fed::default();
    let mut b = BlockBuilder::new(10, B256::ZERO, 1);
    let fb0 = b.push(
        vec![(fake_deposit(0), 1, 50_000, None), (fake_tx(1), 1, 21_000, None)],
        vec![
            account(A, Some(100), 1, None, &[(1, 11), (2, 12)]),
            account(B, Some(5), 0, Some(&[0x60]), &[]),
        ],
    );
    let fb1 = b.push(
        vec![(fake_tx(2), 0, 30_000, Some(C))],
        vec![
            account(A, None, 2, None, &[(2, 22)]),
            account(C, Some(1), 1, Some(&[0xfe]), &[(9, 99)]),
        ],
    );
    let fb2 =
        b.push(vec![(fake_tx(3), 1, 40_000, None)], vec![account(B, Some(6), 3, None, &[(3, 33)])]);
    for (i, fb) in [fb0, fb1, fb2].into_iter().enumerate() {
        overlay.apply(fb, i as u64).expect("accepted");
    }
    (overlay, b)
}

#[test]
fn account_state_takes_the_latest_post_state() {
    let (overlay, _) = block_10();
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);
    // A: balance set at 0 and unchanged (None) at 1; nonce bumped at 1; slot 2 overridden.
    assert_eq!(view.balance(A).into_value(), Some(U256::from(100)));
    assert_eq!(view.transaction_count(A).into_value(), Some(2));
    assert_eq!(view.storage_at(A, slot(1)).into_value(), Some(B256::with_last_byte(11)));
    assert_eq!(view.storage_at(A, slot(2)).into_value(), Some(B256::with_last_byte(22)));
    assert_eq!(view.storage_at(A, slot(3)).not_here(), Some(NotHere::Untouched));
    assert_eq!(view.code(A).not_here(), Some(NotHere::Untouched));
    // B: code from flashblock 0 survives flashblock 2, which sets no code.
    assert_eq!(view.balance(B).into_value(), Some(U256::from(6)));
    assert_eq!(view.transaction_count(B).into_value(), Some(3));
    assert_eq!(view.code(B).into_value(), Some(Bytes::from_static(&[0x60])));
    assert_eq!(view.code(C).into_value(), Some(Bytes::from_static(&[0xfe])));
    assert_eq!(view.storage_at(C, slot(9)).into_value(), Some(B256::with_last_byte(99)));
    // Untouched.
    let d = Address::with_last_byte(0xd);
    assert_eq!(view.balance(d).not_here(), Some(NotHere::Untouched));
    assert_eq!(view.transaction_count(d).not_here(), Some(NotHere::Untouched));
    // Every answer names the same snapshot.
    let Lookup::Found(found) = view.balance(A) else { panic!() };
    assert_eq!((found.snapshot.block_number, found.snapshot.flashblock_index), (10, 2));
}

#[test]
fn receipts_come_from_the_metadata_with_cumulative_gas() {
    let (overlay, _) = block_10();
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);
    let expected = [
        (fake_deposit(0), true, 50_000, 50_000, None),
        (fake_tx(1), true, 21_000, 71_000, None),
        (fake_tx(2), false, 30_000, 101_000, Some(C)),
        (fake_tx(3), true, 40_000, 141_000, None),
    ];
    for (i, (raw, success, gas, cumulative, contract)) in expected.into_iter().enumerate() {
        let Lookup::Found(r) = view.receipt(transaction_hash(&raw)) else { panic!("receipt {i}") };
        assert_eq!(r.value.transaction.index, i as u64);
        assert_eq!(r.value.transaction.block_hash, Some(snapshot_block_hash(&overlay)));
        assert_eq!(
            (r.value.facts.success, r.value.facts.gas_used, r.value.facts.cumulative_gas_used),
            (success, gas, cumulative)
        );
        assert_eq!(r.value.facts.contract_address, contract);
        assert_eq!(r.value.facts.logs, None, "V1 carries no logs");
        // These made-up bytes do not decode: the RPC shape is not available.
        assert_eq!(view.rpc_receipt(transaction_hash(&raw)).not_here(), Some(NotHere::Undecodable));
    }
}

fn snapshot_block_hash(overlay: &Overlay) -> B256 {
    overlay
        .snapshot()
        .at(0)
        .pending_block(false)
        .into_value()
        .expect("pending")
        .header
        .hash
        .expect("known")
}

#[test]
fn rpc_shapes_over_real_signed_transactions() {
    let real = real_transactions();
    let mut overlay = Fed::default();
    let mut b = BlockBuilder::new(20, B256::ZERO, 2);
    let sender = flashblocks_types::PreparedTransaction::prepare(&real[1])
        .decoded()
        .ok()
        .cloned()
        .expect("decodes")
        .signer();
    overlay
        .apply(
            b.push(
                vec![(real[0].clone(), 1, 40_000, None), (real[1].clone(), 1, 60_000, None)],
                vec![account(sender, Some(1_000), 77, None, &[])],
            ),
            0,
        )
        .expect("accepted");
    overlay.apply(b.push(vec![(real[2].clone(), 0, 25_000, None)], vec![]), 0).expect("accepted");
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);

    let receipt = view.rpc_receipt(transaction_hash(&real[1])).into_value().expect("receipt");
    assert_eq!(receipt.inner.from, sender);
    assert_eq!(receipt.inner.gas_used, 60_000);
    assert_eq!(receipt.inner.transaction_index, Some(1));
    assert_eq!(receipt.inner.block_number, Some(20));
    assert_eq!(receipt.inner.block_hash, Some(b.hash_at(1)));
    assert!(receipt.inner.inner.receipt.status());
    assert_eq!(receipt.inner.inner.receipt.cumulative_gas_used(), 100_000);
    assert!(receipt.inner.effective_gas_price > 0);

    let deposit = view.rpc_receipt(transaction_hash(&real[0])).into_value().expect("receipt");
    assert_eq!(deposit.inner.effective_gas_price, 0);
    assert!(matches!(deposit.inner.inner.receipt, op_alloy_consensus::OpReceipt::Deposit(_)));

    let failed = view.rpc_receipt(transaction_hash(&real[2])).into_value().expect("receipt");
    assert!(!failed.inner.inner.receipt.status());
    assert_eq!(failed.inner.inner.receipt.cumulative_gas_used(), 125_000);

    let tx = view.rpc_transaction(transaction_hash(&real[2])).into_value().expect("tx");
    assert_eq!(tx.inner.transaction_index, Some(2));
    assert_eq!(tx.inner.block_number, Some(20));
    assert_eq!(view.transaction_count(sender).into_value(), Some(77));
}

#[test]
fn state_override_exports_the_pending_state() {
    let (overlay, _) = block_10();
    let snapshot = overlay.snapshot();
    let overrides = snapshot.at(0).state_override().into_value().expect("override");
    assert_eq!(overrides.len(), 3);
    let a = &overrides[&A];
    assert_eq!((a.balance, a.nonce, a.code.clone()), (Some(U256::from(100)), Some(2), None));
    let diff = a.state_diff.as_ref().expect("slots");
    assert_eq!(diff.len(), 2);
    assert_eq!(diff[&slot(2)], B256::with_last_byte(22));
    assert!(a.state.is_none(), "a diff, not a full replacement of storage");
    let b = &overrides[&B];
    assert_eq!(b.code, Some(Bytes::from_static(&[0x60])));
    assert_eq!(b.state_diff.as_ref().map(|d| d.len()), Some(1));
}

#[test]
fn change_sets_and_pending_logs() {
    let mut overlay = Fed::default();
    let mut b = BlockBuilder::new(10, B256::ZERO, 1);
    let fb = b.push(
        vec![(fake_deposit(0), 1, 50_000, None), (fake_tx(1), 1, 21_000, None)],
        vec![account(A, Some(1), 1, None, &[]), account(B, None, 4, None, &[])],
    );
    let applied = overlay.apply(fb, 0).expect("accepted");
    assert_eq!(applied.changes.snapshot.block_number, 10);
    assert_eq!(applied.changes.block_hash, Some(b.hash_at(0)));
    assert_eq!(
        applied.changes.transactions,
        vec![transaction_hash(&fake_deposit(0)), transaction_hash(&fake_tx(1))]
    );
    assert_eq!(applied.changes.touched_accounts, vec![A, B]);
    let gas: Vec<_> = applied
        .changes
        .receipts
        .iter()
        .map(|r| r.as_ref().map(|r| r.cumulative_gas_used))
        .collect();
    assert_eq!(gas, vec![Some(50_000), Some(71_000)]);
    assert!(applied.changes.logs.is_empty(), "V1 carries no logs");
    let snapshot = overlay.snapshot();
    let logs = snapshot.at(0).logs(&Filter::new().address(A)).into_value().expect("found");
    assert!(logs.is_empty());
}

/// A canonical state with one account and one transaction.
struct Latest;

impl CanonicalState for Latest {
    type Error = std::convert::Infallible;
    fn balance(&self, _: Address, _: alloy_eips::BlockId) -> Result<U256, Self::Error> {
        Ok(U256::from(42))
    }
    fn transaction_count(&self, _: Address, _: alloy_eips::BlockId) -> Result<u64, Self::Error> {
        Ok(9)
    }
    fn code(&self, _: Address, _: alloy_eips::BlockId) -> Result<Bytes, Self::Error> {
        Ok(Bytes::from_static(b"canonical"))
    }
    fn storage_at(&self, _: Address, _: B256, _: alloy_eips::BlockId) -> Result<B256, Self::Error> {
        Ok(B256::repeat_byte(0xcc))
    }
    fn transaction_by_hash(&self, _: TxHash) -> Result<Option<Transaction>, Self::Error> {
        Ok(None)
    }
    fn receipt(&self, _: TxHash) -> Result<Option<OpTransactionReceipt>, Self::Error> {
        Ok(None)
    }
    fn block(&self, _: alloy_eips::BlockId, _: bool) -> Result<Option<PendingBlock>, Self::Error> {
        Ok(None)
    }
}

#[test]
fn pending_falls_back_to_the_canonical_state(
) -> Result<(), flashblocks_overlay::PendingError<std::convert::Infallible>> {
    let (overlay, _) = block_10();
    let snapshot = overlay.snapshot();
    let pending = Pending::new(snapshot.at(0), &Latest);
    let answer = pending.balance(A)?;
    assert_eq!(answer.value, U256::from(100));
    assert!(matches!(answer.source, Source::Preconfirmed(id) if id.flashblock_index == 2));
    let d = Address::with_last_byte(0xd);
    let answer = pending.balance(d)?;
    assert_eq!(
        (answer.value, answer.source),
        (U256::from(42), Source::Canonical(NotHere::Untouched))
    );
    assert_eq!(pending.transaction_count(d)?.value, 9);
    assert_eq!(pending.transaction_count(B)?.value, 3);
    assert_eq!(pending.code(A)?.value, Bytes::from_static(b"canonical"));
    assert_eq!(pending.storage_at(A, slot(2))?.value, B256::with_last_byte(22));
    assert_eq!(pending.storage_at(A, slot(7))?.value, B256::repeat_byte(0xcc));
    assert!(pending.receipt(TxHash::ZERO)?.is_none());
    assert!(pending.transaction_by_hash(TxHash::ZERO)?.is_none());
    let block = pending.block(false)?.expect("the pending block");
    assert_eq!(block.value.header.inner.number, 10);
    assert_eq!(pending.supported_capabilities(), ["flashblocksv1"]);
    // Nothing pending: everything from the canonical state, and says why.
    let empty = Fed::default().snapshot();
    let pending = Pending::new(empty.at(0), &Latest);
    assert_eq!(pending.balance(A)?.source, Source::Canonical(NotHere::Empty));
    assert!(pending.block(true)?.is_none());
    Ok(())
}
