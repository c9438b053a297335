//! A seeded generator of valid flashblock sequences, for tests, fuzzing and benches.

use crate::{
    AccountMetadata, ChainMaker, CumulativeResults, ExecutionPayloadStaticV1, FlashblockMetadata,
    FlashblockStep, SealedFlashblock, StorageSlot, TransactionMetadata, DEPOSIT_TX_TYPE,
};
use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use alloy_rpc_types_engine::PayloadId;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The shape of the blocks a [`SequenceGenerator`] makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Flashblocks per block.
    pub flashblocks_per_block: usize,
    /// Transactions per flashblock (index 0 has one more: the L1-info deposit).
    pub transactions_per_flashblock: usize,
    /// Length of each generated transaction, in bytes.
    pub transaction_size: usize,
    /// Accounts touched per flashblock.
    pub accounts_per_flashblock: usize,
    /// Storage slots changed per touched account.
    pub slots_per_account: usize,
    /// The block gas limit.
    pub gas_limit: u64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            flashblocks_per_block: 5,
            transactions_per_flashblock: 3,
            transaction_size: 120,
            accounts_per_flashblock: 3,
            slots_per_account: 2,
            gas_limit: 30_000_000,
        }
    }
}

impl GeneratorConfig {
    /// The project's bench fixture (the speed issue's): one flashblock of 1000
    /// transactions of 200 bytes (the L1-info deposit and 999 others), 500 touched
    /// accounts with 4 storage slots each, and 1000 transaction metadata entries. Every
    /// crate's benches measure on it, so their figures compare.
    pub fn bench_fixture() -> Self {
        Self {
            flashblocks_per_block: 1,
            transactions_per_flashblock: 999,
            transaction_size: 200,
            accounts_per_flashblock: 500,
            slots_per_account: 4,
            ..Self::default()
        }
    }
}

/// Makes valid flashblock sequences from a seed: the same seed gives the same blocks.
///
/// Every block it makes passes every validity rule of the [spec page](crate::spec) with OP rules on:
/// index 0 starts with a deposit (first byte `0x7E`) and only index 0 has deposits, no
/// transaction is empty, there is one [`TransactionMetadata`] per transaction with
/// status 0 or 1 whose gas adds up to the cumulative `gas_used`, within the gas limit,
/// accounts are unique and storage keys strictly ascending, no withdrawals, and the
/// `parent_flash_hash` chain links. Consecutive blocks have consecutive numbers and
/// timestamps, fresh payload ids, and each block's `parent_hash` is the previous block's
/// last `block_hash`. The roots and block hashes are random: they do not commit to
/// anything (the assembler's block-hash check will not pass on them).
///
/// ```
/// use flashblocks_types::{GeneratorConfig, SequenceGenerator};
///
/// let mut generator = SequenceGenerator::new(42, GeneratorConfig::default());
/// let block = generator.next_block();
/// assert_eq!(block.len(), 5);
/// assert_eq!(block[1].parent_flash_hash, Some(block[0].seal()));
/// ```
#[derive(Debug)]
pub struct SequenceGenerator {
    rng: ChaCha8Rng,
    config: GeneratorConfig,
    block_number: u64,
    timestamp: u64,
    parent_hash: B256,
}

impl SequenceGenerator {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64, config: GeneratorConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let parent_hash = B256::from(rng.random::<[u8; 32]>());
        Self { rng, config, block_number: 1_000_000, timestamp: 1_700_000_000, parent_hash }
    }

    /// The generator's configuration.
    pub const fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The number the next block gets.
    pub const fn next_block_number(&self) -> u64 {
        self.block_number
    }

    fn b256(&mut self) -> B256 {
        B256::from(self.rng.random::<[u8; 32]>())
    }

    fn address(&mut self) -> Address {
        Address::from(self.rng.random::<[u8; 20]>())
    }

    /// A random base for the next block.
    pub fn next_base(&mut self) -> ExecutionPayloadStaticV1 {
        let extra_len = self.rng.random_range(0..=crate::MAX_EXTRA_DATA_BYTES);
        let mut extra = vec![0u8; extra_len];
        self.rng.fill_bytes(&mut extra);
        ExecutionPayloadStaticV1 {
            parent_beacon_block_root: self.b256(),
            parent_hash: self.parent_hash,
            fee_recipient: self.address(),
            prev_randao: self.b256(),
            block_number: self.block_number,
            gas_limit: self.config.gas_limit,
            timestamp: self.timestamp,
            extra_data: Bytes::from(extra),
            base_fee_per_gas: U256::from(self.rng.random_range(1u64..1_000_000_000)),
        }
    }

    fn transaction(&mut self, deposit: bool) -> Bytes {
        let len = self.config.transaction_size.max(1);
        let mut tx = vec![0u8; len];
        self.rng.fill_bytes(&mut tx);
        if let Some(first) = tx.first_mut() {
            *first = if deposit {
                DEPOSIT_TX_TYPE
            } else {
                // EIP-2718 types 0x01..=0x04, or a legacy RLP list (0xf8).
                match self.rng.random_range(0..5u8) {
                    4 => 0xf8,
                    ty => ty + 1,
                }
            };
        }
        Bytes::from(tx)
    }

    fn account(&mut self) -> AccountMetadata {
        let mut storage_slots: Vec<StorageSlot> = (0..self.config.slots_per_account)
            .map(|_| StorageSlot { key: self.b256(), value: self.b256() })
            .collect();
        storage_slots.sort_unstable_by_key(|s| s.key);
        storage_slots.dedup_by_key(|s| s.key);
        let code = self.rng.random_bool(0.1).then(|| {
            let mut code = vec![0u8; self.rng.random_range(1..64usize)];
            self.rng.fill_bytes(&mut code);
            Bytes::from(code)
        });
        AccountMetadata {
            address: self.address(),
            balance: self.rng.random_bool(0.8).then(|| U256::from(self.rng.random::<u128>())),
            nonce: self.rng.random_range(0..1_000_000),
            code,
            storage_slots,
        }
    }

    /// Makes the flashblocks of the next block.
    pub fn next_block(&mut self) -> Vec<SealedFlashblock> {
        let base = self.next_base();
        let payload_id = PayloadId::new(self.rng.random());
        let mut maker = ChainMaker::new(payload_id, base);
        let count = self.config.flashblocks_per_block;
        // Keep the block inside its gas limit: share it out between the flashblocks.
        let txs_in_block = (count * (self.config.transactions_per_flashblock + 1)).max(1) as u64;
        let max_tx_gas = (self.config.gas_limit / txs_in_block).clamp(1, 1_000_000);
        let mut gas_used = 0u64;
        let mut out = Vec::with_capacity(count);
        let mut block_hash = B256::ZERO;
        for index in 0..count {
            let mut transactions = Vec::new();
            if index == 0 {
                transactions.push(self.transaction(true));
            }
            for _ in 0..self.config.transactions_per_flashblock {
                transactions.push(self.transaction(false));
            }
            let tx_meta: Vec<TransactionMetadata> = transactions
                .iter()
                .map(|_| TransactionMetadata {
                    status: u8::from(self.rng.random_bool(0.9)),
                    gas_used: self.rng.random_range(21_000.min(max_tx_gas)..=max_tx_gas),
                    contract_address: self.rng.random_bool(0.05).then(|| self.address()),
                })
                .collect();
            gas_used += tx_meta.iter().map(|m| m.gas_used).sum::<u64>();
            let mut accounts: Vec<AccountMetadata> =
                (0..self.config.accounts_per_flashblock).map(|_| self.account()).collect();
            accounts.sort_unstable_by_key(|a| a.address);
            accounts.dedup_by_key(|a| a.address);
            let mut bloom = [0u8; 256];
            self.rng.fill_bytes(&mut bloom);
            block_hash = self.b256();
            let step = FlashblockStep {
                transactions,
                withdrawals: Vec::new(),
                results: CumulativeResults {
                    state_root: self.b256(),
                    receipts_root: self.b256(),
                    logs_bloom: Bloom::from(bloom),
                    gas_used,
                    block_hash,
                    withdrawals_root: self.b256(),
                },
                metadata: FlashblockMetadata { accounts, transactions: tx_meta },
            };
            out.push(maker.push(step));
        }
        self.parent_hash = block_hash;
        self.block_number += 1;
        self.timestamp += 2;
        out
    }
}
