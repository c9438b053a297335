//! The sequencer's chain under load, in process: the incremental state root equals the
//! full one (bucketed and not), the kept history stays bounded, transactions arriving
//! out of nonce order all land, and one that cannot execute does not hold up the rest.

use crate::sequencer::{sign, signer};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use flashblocks_examples::sequencer::{trie::StateTrie, Chain, ChainSettings};
use flashblocks_execute::{builder::state_root, InMemoryAccount};
use std::collections::BTreeMap;

/// A deterministic account `i` (some with code and storage).
fn account(i: u64) -> (Address, InMemoryAccount) {
    let address = Address::from_word(keccak256(i.to_be_bytes()));
    let mut account =
        InMemoryAccount { balance: U256::from(i + 1), nonce: i % 3, ..Default::default() };
    if i.is_multiple_of(97) {
        account.code = Bytes::from(vec![0x60, 0x00, (i % 256) as u8]);
        account.storage.insert(U256::from(i), U256::from(i * 7 + 1));
    }
    (address, account)
}

#[test]
fn the_incremental_state_root_equals_the_full_one_at_every_size_and_after_changes() {
    for size in [0u64, 1, 2, 3, 17, 300, 6_000] {
        let mut trie = StateTrie::default();
        let mut world = BTreeMap::new();
        for i in 0..size {
            let (address, account) = account(i);
            trie.update(address, &account);
            world.insert(address, account);
        }
        assert_eq!(trie.root(), state_root(&world), "{size} accounts");
        assert_eq!(trie.len(), world.len());
        if size >= 6_000 {
            assert!(trie.uses_buckets(), "a large state uses the cached buckets");
        }
        // Change some, empty some (EIP-161: gone from the trie), add some, twice.
        for round in 0..2u64 {
            for i in (round..size).step_by(7) {
                let (address, mut account) = account(i);
                if i % 5 == 0 {
                    account = InMemoryAccount::default();
                } else {
                    account.balance += U256::from(round + 1);
                }
                trie.update(address, &account);
                world.insert(address, account);
            }
            let (address, account) = account(size + round);
            trie.update(address, &account);
            world.insert(address, account);
            assert_eq!(trie.root(), state_root(&world), "{size} accounts, round {round}");
            assert_eq!(trie.root(), trie.root_slow());
        }
    }
}

#[test]
fn many_fresh_accounts_keep_true_roots_and_a_bounded_history() {
    let settings = ChainSettings {
        flashblocks_min: 2,
        flashblocks_max: 3,
        kept_blocks: 4,
        ..ChainSettings::default()
    };
    let mut chain = Chain::new(settings, 1_800_000_000);
    let senders: Vec<_> = (0..4).map(signer).collect();
    let mut nonces = [0u64; 4];
    let mut fresh = 0u64;
    let mut checked = 0;
    for tick in 0..20u64 {
        // 60 transfers to fresh accounts a flashblock, the senders' nonces interleaved
        // and each sender's arriving in reverse order.
        for (s, signer) in senders.iter().enumerate() {
            let batch: Vec<Bytes> = (0..15)
                .map(|k| {
                    fresh += 1;
                    let to = Address::from_word(keccak256(fresh.to_be_bytes()));
                    sign(
                        signer,
                        nonces[s] + k,
                        TxKind::Call(to),
                        U256::from(1),
                        Bytes::new(),
                        21_000,
                    )
                })
                .collect();
            for raw in batch.into_iter().rev() {
                chain.submit(raw).unwrap();
            }
            nonces[s] += 15;
        }
        let emitted = chain.tick(1_800_000_000 + tick).unwrap();
        if tick % 5 == 4 {
            assert_eq!(
                emitted.v1.inner().diff.state_root,
                chain.state_root_slow(),
                "the flashblock's state root is the whole state's at tick {tick}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 4);
    // Every transfer landed or waits (index 0 takes none): none was lost.
    let landed: u64 = senders.iter().map(|s| chain.pending_account(&s.address()).nonce).sum();
    assert_eq!(landed + chain.mempool_len() as u64, nonces.iter().sum::<u64>());
    assert!(landed >= 900, "landed {landed}");
    assert!(chain.accounts() > 900);
    // Four blocks kept: older ones are gone, and with them their versions.
    let head = chain.head().number();
    assert!(chain.block_by_number(head - 3).is_some());
    assert!(chain.block_by_number(head - 4).is_none());
    let history = chain.history().read();
    // Each account holds the version the oldest kept block reads, plus at most one per
    // kept block after it.
    assert!(
        history.versions_held() <= chain.accounts() + 4 * 4 * 2 + 16,
        "{} versions for {} accounts",
        history.versions_held(),
        chain.accounts()
    );
}

#[test]
fn a_transaction_that_cannot_execute_does_not_hold_up_the_others() {
    let mut chain = Chain::new(ChainSettings::default(), 1_800_000_000);
    let (alice, bob) = (signer(0), signer(1));
    // Bob's first transfer cannot be paid; his second waits on it; Alice's land.
    let broke = sign(&bob, 0, TxKind::Call(Address::ZERO), U256::MAX >> 1, Bytes::new(), 21_000);
    let waits = sign(&bob, 1, TxKind::Call(Address::ZERO), U256::from(1), Bytes::new(), 21_000);
    chain.submit(broke).unwrap();
    chain.submit(waits).unwrap();
    let mut hashes = Vec::new();
    for n in 0..10 {
        let raw = sign(&alice, n, TxKind::Call(Address::ZERO), U256::from(1), Bytes::new(), 21_000);
        hashes.push(chain.submit(raw).unwrap());
    }
    for tick in 0..12 {
        chain.tick(1_800_000_000 + tick).unwrap();
    }
    assert!(hashes.iter().all(|h| chain.transaction(h).is_some()), "Alice's all sealed");
    assert_eq!(chain.pending_account(&bob.address()).nonce, 0);
    assert_eq!(chain.mempool_len(), 1, "Bob's second waits for a nonce 0 that never came");
}
