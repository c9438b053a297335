//! [`Mempool`]: submitted transactions by sender and nonce. A flashblock takes, from each
//! sender in turn, the run of nonces that starts at the sender's pending nonce, so a
//! batch executes in one go; a transaction behind a nonce gap waits for the gap.

use super::chain::{SubmitError, Submitted};
use alloy_primitives::{map::HashSet, Address, B256};
use std::collections::BTreeMap;

/// Submitted transactions waiting for a flashblock.
#[derive(Debug, Default)]
pub(super) struct Mempool {
    by_sender: BTreeMap<Address, BTreeMap<u64, Submitted>>,
    hashes: HashSet<B256>,
}

impl Mempool {
    /// How many transactions wait.
    pub(super) fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Adds a transaction, unless its hash waits already, another transaction of its
    /// sender holds its nonce, or `max` transactions wait.
    pub(super) fn insert(&mut self, tx: Submitted, max: usize) -> Result<(), SubmitError> {
        if self.hashes.contains(&tx.hash) {
            return Err(SubmitError::AlreadyKnown);
        }
        let queue = self.by_sender.entry(tx.from).or_default();
        if queue.contains_key(&tx.nonce) {
            return Err(SubmitError::NonceTaken);
        }
        if self.hashes.len() >= max {
            if queue.is_empty() {
                self.by_sender.remove(&tx.from);
            }
            return Err(SubmitError::MempoolFull);
        }
        self.hashes.insert(tx.hash);
        queue.insert(tx.nonce, tx);
        Ok(())
    }

    /// Takes, sender by sender in turn, the transactions whose nonces continue the
    /// sender's pending nonce (`nonce_of`), at most `max` of them and `gas` in gas
    /// limits. Transactions below the pending nonce are dropped.
    pub(super) fn take(
        &mut self,
        nonce_of: impl Fn(&Address) -> u64,
        max: usize,
        mut gas: u64,
    ) -> Vec<Submitted> {
        let mut next: BTreeMap<Address, u64> = BTreeMap::new();
        for (from, queue) in &mut self.by_sender {
            let pending = nonce_of(from);
            let stale: Vec<u64> = queue.range(..pending).map(|(n, _)| *n).collect();
            for n in stale {
                if let Some(tx) = queue.remove(&n) {
                    self.hashes.remove(&tx.hash);
                }
            }
            next.insert(*from, pending);
        }
        let mut taken = Vec::new();
        // Rounds of one transaction per sender, until nothing more fits.
        loop {
            let mut progressed = false;
            for (from, nonce) in &mut next {
                if taken.len() >= max {
                    break;
                }
                let Some(queue) = self.by_sender.get_mut(from) else { continue };
                let fits = queue.get(nonce).is_some_and(|tx| tx.gas_limit <= gas);
                if !fits {
                    continue;
                }
                if let Some(tx) = queue.remove(nonce) {
                    gas -= tx.gas_limit;
                    self.hashes.remove(&tx.hash);
                    *nonce += 1;
                    taken.push(tx);
                    progressed = true;
                }
            }
            if !progressed || taken.len() >= max {
                break;
            }
        }
        self.by_sender.retain(|_, queue| !queue.is_empty());
        taken
    }

    /// Puts back transactions taken but not included (they keep their place by nonce).
    pub(super) fn put_back(&mut self, txs: impl IntoIterator<Item = Submitted>) {
        for tx in txs {
            let queue = self.by_sender.entry(tx.from).or_default();
            if !queue.contains_key(&tx.nonce) && self.hashes.insert(tx.hash) {
                queue.insert(tx.nonce, tx);
            }
        }
        self.by_sender.retain(|_, queue| !queue.is_empty());
    }

    /// Empties the pool, returning what waited.
    pub(super) fn drain(&mut self) -> Vec<Submitted> {
        self.hashes.clear();
        std::mem::take(&mut self.by_sender).into_values().flat_map(BTreeMap::into_values).collect()
    }
}
