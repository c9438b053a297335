//! Helpers shared by the tests.

use alloy_primitives::{Address, Bytes, B256, U256};
use flashblocks_overlay::{
    Applied, CanonicalBlock, CanonicalHead, Overlay, OverlayConfig, OverlayError, OverlayEvent,
};
use flashblocks_types::{
    AccountMetadata, ChainMaker, CumulativeResults, ExecutionPayloadStaticV1, Flashblock,
    FlashblockMetadata, FlashblockStep, GeneratorConfig, JsonFrameReader, PayloadId,
    SequenceGenerator, StorageSlot, TransactionMetadata,
};
use flashblocks_validate::{AcceptedFlashblock, ValidationError, Validator, ValidatorConfig};
use std::sync::Arc;

/// The real Unichain Sepolia sequence (JSON, five flashblocks of block 35535698).
pub(crate) const UNICHAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/real/unichain-sepolia-35535698-full-sequence.json"
);

/// The Unichain flashblocks, decoded by the JSON reader into the input model.
pub(crate) fn unichain() -> Vec<Arc<Flashblock>> {
    let text = std::fs::read(UNICHAIN).expect("the Unichain vector");
    let frames: Vec<serde_json::Value> = serde_json::from_slice(&text).expect("a JSON array");
    frames
        .iter()
        .map(|frame| {
            let bytes = serde_json::to_vec(frame).expect("re-encode");
            Arc::new(JsonFrameReader::default().decode(&bytes).expect("a valid JSON flashblock"))
        })
        .collect()
}

/// The six real, signed transactions of the Unichain block (a deposit, then five
/// EIP-1559 transactions).
pub(crate) fn real_transactions() -> Vec<Bytes> {
    unichain().iter().flat_map(|fb| fb.transactions().to_vec()).collect()
}

/// The blocks of a seeded generator, as input-model flashblocks.
pub(crate) fn blocks(
    seed: u64,
    config: GeneratorConfig,
    count: usize,
) -> Vec<Vec<Arc<Flashblock>>> {
    let mut generator = SequenceGenerator::new(seed, config);
    (0..count)
        .map(|_| {
            generator
                .next_block()
                .into_iter()
                .map(|fb| Arc::new(Flashblock::from_sealed_v1(fb)))
                .collect()
        })
        .collect()
}

/// An account update.
pub(crate) fn account(
    address: Address,
    balance: Option<u64>,
    nonce: u64,
    code: Option<&[u8]>,
    slots: &[(u8, u8)],
) -> AccountMetadata {
    AccountMetadata {
        address,
        balance: balance.map(U256::from),
        nonce,
        code: code.map(Bytes::copy_from_slice),
        storage_slots: slots
            .iter()
            .map(|&(k, v)| StorageSlot {
                key: B256::with_last_byte(k),
                value: B256::with_last_byte(v),
            })
            .collect(),
    }
}

/// A hand-written V1 block: a chain maker with helpers.
pub(crate) struct BlockBuilder {
    maker: ChainMaker,
    gas: u64,
    hash_seed: u8,
}

impl BlockBuilder {
    /// Block `number` on `parent_hash`, payload id from `id`.
    pub(crate) fn new(number: u64, parent_hash: B256, id: u8) -> Self {
        let base = ExecutionPayloadStaticV1 {
            parent_hash,
            block_number: number,
            gas_limit: 30_000_000,
            timestamp: 1_700_000_000 + number,
            base_fee_per_gas: U256::from(1_000),
            ..Default::default()
        };
        Self { maker: ChainMaker::new(PayloadId::new([id; 8]), base), gas: 0, hash_seed: id }
    }

    /// The block hash the flashblock at `index` reports.
    pub(crate) fn hash_at(&self, index: u64) -> B256 {
        let mut hash = B256::repeat_byte(self.hash_seed);
        hash.0[31] = index as u8;
        hash.0[30] = (self.maker.base().block_number % 256) as u8;
        hash
    }

    /// The next flashblock: `transactions` with (status, gas, contract) each, and
    /// `accounts`.
    pub(crate) fn push(
        &mut self,
        transactions: Vec<(Bytes, u8, u64, Option<Address>)>,
        accounts: Vec<AccountMetadata>,
    ) -> Arc<Flashblock> {
        let index = self.maker.next_index();
        let gas: u64 = transactions.iter().map(|t| t.2).sum();
        self.gas += gas;
        let step = FlashblockStep {
            metadata: FlashblockMetadata {
                transactions: transactions
                    .iter()
                    .map(|t| TransactionMetadata {
                        status: t.1,
                        gas_used: t.2,
                        contract_address: t.3,
                    })
                    .collect(),
                accounts,
            },
            transactions: transactions.into_iter().map(|t| t.0).collect(),
            withdrawals: Vec::new(),
            results: CumulativeResults {
                gas_used: self.gas,
                block_hash: self.hash_at(index),
                ..Default::default()
            },
        };
        Arc::new(Flashblock::from_sealed_v1(self.maker.push(step)))
    }
}

/// A made-up transaction (type byte 0x02, not decodable), distinct per `n`.
pub(crate) fn fake_tx(n: u8) -> Bytes {
    Bytes::from(vec![0x02, n, n, n])
}

/// A made-up deposit, distinct per `n`.
pub(crate) fn fake_deposit(n: u8) -> Bytes {
    Bytes::from(vec![0x7e, n])
}

/// An overlay fed as a receiver feeds it: through a validator, whose tokens it applies.
/// The validator runs the V1 rules without the OP rules (the tests' blocks carry
/// made-up transactions), with the default bound, or the JSON rules for JSON tests.
pub(crate) struct Fed {
    pub(crate) validator: Validator,
    pub(crate) overlay: Overlay,
}

impl Default for Fed {
    fn default() -> Self {
        Self::new(OverlayConfig::default())
    }
}

impl std::ops::Deref for Fed {
    type Target = Overlay;
    fn deref(&self) -> &Overlay {
        &self.overlay
    }
}

impl Fed {
    /// A V1 validator and an overlay with `config`.
    pub(crate) fn new(config: OverlayConfig) -> Self {
        let validator = Validator::new(ValidatorConfig::v1().with_op_rules(false));
        Self { validator, overlay: Overlay::new(config) }
    }

    /// A JSON validator and an overlay with `config`.
    pub(crate) fn json(config: OverlayConfig) -> Self {
        Self { validator: Validator::new(ValidatorConfig::json()), overlay: Overlay::new(config) }
    }

    /// As [`new`](Self::new), above a known canonical head.
    pub(crate) fn with_canonical_head(config: OverlayConfig, head: CanonicalHead) -> Self {
        let validator = Validator::new(ValidatorConfig::v1().with_op_rules(false));
        Self { validator, overlay: Overlay::with_canonical_head(config, head) }
    }

    /// The validator's token for `fb`, or its rejection.
    pub(crate) fn validate(
        &mut self,
        fb: Arc<Flashblock>,
    ) -> Result<AcceptedFlashblock, ValidationError> {
        Ok(self.validator.validate(fb)?.into_accepted().expect("not a duplicate"))
    }

    /// Validates `fb` (it must be accepted) and applies its token.
    #[track_caller]
    pub(crate) fn apply(
        &mut self,
        fb: Arc<Flashblock>,
        now_ms: u64,
    ) -> Result<Applied, OverlayError> {
        let token = self.validate(fb).expect("the validator accepts it");
        self.overlay.apply(&token, now_ms)
    }

    /// The canonical head moved; a dropped pending chain resets the validator too.
    pub(crate) fn advance_canonical(
        &mut self,
        head: CanonicalHead,
        block: Option<&CanonicalBlock>,
    ) -> Vec<OverlayEvent> {
        let events = self.overlay.advance_canonical(head, block);
        if events.iter().any(|e| {
            matches!(e, OverlayEvent::Reorg { .. } | OverlayEvent::BrokenPreconfirmation { .. })
        }) {
            self.validator.reset();
        }
        events
    }
}
