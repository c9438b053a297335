//! The real Unichain Sepolia sequence (deployed JSON): the pending block, its six
//! transactions by hash, and "not here" for what its JSON does not carry.

use crate::common::{unichain, Fed};
use alloy_consensus::Transaction as _;
use alloy_primitives::{b256, TxHash, B64};
use alloy_rpc_types_eth::BlockTransactions;
use flashblocks_overlay::{
    transaction_hash, CanonicalState, Lookup, NotHere, Pending, PendingBlock, PendingError,
    SnapshotId, Source,
};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};

const LAST_BLOCK_HASH: alloy_primitives::B256 =
    b256!("0xc463a3120c35268f610d969f5608b479332ef10953af77c7a6be806195831196");

fn applied() -> Fed {
    let mut overlay = Fed::json(Default::default());
    for (i, fb) in unichain().into_iter().enumerate() {
        let applied = overlay.apply(fb, 1_000 + i as u64 * 200).expect("accepted");
        assert_eq!(applied.changes.snapshot.flashblock_index, i as u64);
        assert_eq!(applied.changes.transactions.len(), if i == 0 { 2 } else { 1 });
        assert!(applied.events.is_empty());
    }
    overlay
}

#[test]
fn serves_the_pending_block() {
    let overlay = applied();
    let snapshot = overlay.snapshot();
    let view = snapshot.at(2_000);
    let Lookup::Found(block) = view.pending_block(false) else { panic!("a pending block") };
    assert_eq!(block.snapshot, SnapshotId { block_number: 0x21e3b52, flashblock_index: 4 });
    let header = &block.value.header;
    assert_eq!(header.hash, Some(LAST_BLOCK_HASH));
    assert_eq!(header.inner.number, 0x21e3b52);
    assert_eq!(header.inner.gas_used, 0x32138);
    assert_eq!(header.inner.timestamp, 0x690be89e);
    assert_eq!(header.inner.nonce, B64::from(4u64));
    // The header rebuilt from base and the latest diff hashes to the block hash, once
    // its `nonce` (the flashblock index, as the spec page decides) is the sealed 0.
    let mut sealed = header.inner.clone();
    sealed.nonce = B64::ZERO;
    assert_eq!(sealed.hash_slow(), LAST_BLOCK_HASH);
    let BlockTransactions::Hashes(hashes) = &block.value.transactions else { panic!("hashes") };
    assert_eq!(hashes.len(), 6);
    let expected: Vec<TxHash> = unichain()
        .iter()
        .flat_map(|fb| fb.transactions().iter().map(|t| transaction_hash(t)).collect::<Vec<_>>())
        .collect();
    assert_eq!(hashes, &expected);

    let Lookup::Found(full) = view.pending_block(true) else { panic!("a full pending block") };
    let BlockTransactions::Full(txs) = &full.value.transactions else { panic!("full") };
    assert_eq!(txs.len(), 6);
    assert!(txs[0].inner.inner.is_deposit());
    for (i, tx) in txs.iter().enumerate() {
        assert_eq!(*tx.inner.inner.tx_hash(), expected[i]);
        assert_eq!(tx.inner.transaction_index, Some(i as u64));
        assert_eq!(tx.inner.block_hash, Some(LAST_BLOCK_HASH));
        assert!(!tx.inner.inner.signer().is_zero());
    }
}

#[test]
fn looks_up_transactions_and_says_not_here_for_what_json_lacks() {
    let overlay = applied();
    let snapshot = overlay.snapshot();
    let view = snapshot.at(2_000);
    let txs: Vec<_> = unichain().iter().flat_map(|fb| fb.transactions().to_vec()).collect();
    for (i, raw) in txs.iter().enumerate() {
        let hash = transaction_hash(raw);
        let Lookup::Found(found) = view.transaction(hash) else { panic!("transaction {i}") };
        assert_eq!(found.value.index, i as u64);
        assert_eq!(&found.value.raw, raw);
        assert_eq!(found.value.block_number, 0x21e3b52);
        assert_eq!(found.value.flashblock_index, i.saturating_sub(1) as u64);
        let Lookup::Found(rpc) = view.rpc_transaction(hash) else { panic!("rpc {i}") };
        assert_eq!(rpc.value.inner.transaction_index, Some(i as u64));
        // The JSON carries an empty receipts map: no receipt here.
        assert_eq!(view.receipt(hash).not_here(), Some(NotHere::NotCarried));
        assert_eq!(view.rpc_receipt(hash).not_here(), Some(NotHere::NotCarried));
    }
    assert_eq!(view.transaction(TxHash::ZERO).not_here(), Some(NotHere::Untouched));

    // No balances, nonces, code or storage in this JSON.
    let sender = view.rpc_transaction(transaction_hash(&txs[1])).into_value().expect("decoded");
    let from = sender.inner.inner.signer();
    // Its `new_account_balances` is empty: no balance is known, not even "untouched".
    assert_eq!(view.balance(from).not_here(), Some(NotHere::NotCarried));
    assert_eq!(view.balance(alloy_primitives::Address::ZERO).not_here(), Some(NotHere::NotCarried));
    assert_eq!(view.transaction_count(from).not_here(), Some(NotHere::NotCarried));
    assert_eq!(view.code(from).not_here(), Some(NotHere::NotCarried));
    // The nonce fallback: one more than the sender's highest pending nonce.
    let highest = txs
        .iter()
        .filter_map(|raw| {
            flashblocks_types::PreparedTransaction::prepare(raw).decoded().ok().cloned()
        })
        .filter(|tx| tx.signer() == from && !tx.inner().is_deposit())
        .map(|tx| tx.inner().nonce())
        .max()
        .expect("the sender sent");
    assert_eq!(view.nonce_from_transactions(from).into_value(), Some(highest + 1));
}

/// A canonical state whose every balance is a value no pending answer may show.
struct Latest;

const LATEST_BALANCE: u64 = 0xdead;

impl CanonicalState for Latest {
    type Error = std::convert::Infallible;
    fn balance(
        &self,
        _: alloy_primitives::Address,
        _: alloy_eips::BlockId,
    ) -> Result<alloy_primitives::U256, Self::Error> {
        Ok(alloy_primitives::U256::from(LATEST_BALANCE))
    }
    fn transaction_count(
        &self,
        _: alloy_primitives::Address,
        _: alloy_eips::BlockId,
    ) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn code(
        &self,
        _: alloy_primitives::Address,
        _: alloy_eips::BlockId,
    ) -> Result<alloy_primitives::Bytes, Self::Error> {
        Ok(Default::default())
    }
    fn storage_at(
        &self,
        _: alloy_primitives::Address,
        _: alloy_primitives::B256,
        _: alloy_eips::BlockId,
    ) -> Result<alloy_primitives::B256, Self::Error> {
        Ok(Default::default())
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
fn a_pending_senders_balance_is_not_known_never_the_latest() {
    let overlay = applied();
    let snapshot = overlay.snapshot();
    let view = snapshot.at(2_000);
    let txs: Vec<_> = unichain().iter().flat_map(|fb| fb.transactions().to_vec()).collect();
    let sender = view.rpc_transaction(transaction_hash(&txs[1])).into_value().expect("decoded");
    let from = sender.inner.inner.signer();
    let pending = Pending::new(view, &Latest);
    assert_eq!(pending.balance(from), Err(PendingError::NotKnown(NotHere::NotCarried)));
    assert!(matches!(pending.code(from), Err(PendingError::NotKnown(NotHere::NotCarried))));
    // The nonce keeps its fallback from the pending transactions, above the canonical 0.
    let nonce = pending.transaction_count(from).expect("the nonce fallback");
    assert!(matches!(nonce.source, Source::Preconfirmed(_)) && nonce.value > 0);
}
