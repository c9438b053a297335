//! What the executing benches share (`test-utils`): their block and the floor they
//! measure the executor against (`flashblocks-execute`'s `execute` bench and
//! `flashblocks-rs`'s `receive` bench run the same).

use crate::{
    builder::{BuiltFlashblock, ExecutingBuilder, TxPlan},
    evm_env, InMemoryState,
};
use alloy_consensus::transaction::SignerRecoverable;
use alloy_eips::Decodable2718;
use alloy_evm::{EvmEnv, FromTxWithEncoded};
use alloy_op_evm::OpTx;
use alloy_op_hardforks::OpHardfork;
use alloy_primitives::Bytes;
use op_alloy_consensus::OpTxEnvelope;
use op_revm::{DefaultOp, OpBuilder, OpSpecId};
use rayon::prelude::*;
use revm::{context::Context, database::CacheDB, ExecuteCommitEvm};
use std::hint::black_box;

/// An executing builder's block of index 0 (deposits) and ten flashblocks of 1000
/// signed EIP-1559 transfers each, at Isthmus, and the builder (its genesis, keys and
/// chain configuration).
#[allow(clippy::missing_panics_doc)] // the builder's own block executes
pub fn transfer_block() -> (ExecutingBuilder, Vec<BuiltFlashblock>) {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_gas_limit(300_000_000);
    let block = builder.next_block(&vec![vec![TxPlan::Transfer; 1000]; 10]);
    (builder, block)
}

/// The floor any executing receiver pays for a flashblock: its senders recovered on
/// every core (rayon over alloy's recovery), then its transactions run with bare op-revm
/// (`transact_commit` on a `CacheDB`, no receipts, no block executor).
#[derive(Clone, Debug)]
pub struct Floor {
    state: CacheDB<InMemoryState>,
    env: EvmEnv<OpSpecId>,
}

impl Floor {
    /// The state after `index_0` (the block's first flashblock) over `builder`'s
    /// genesis, as bare op-revm sees it, in that block's environment.
    ///
    /// # Panics
    ///
    /// When `index_0` has no base or one of its transactions does not run.
    pub fn after(builder: &ExecutingBuilder, index_0: &BuiltFlashblock) -> Self {
        let env = evm_env(builder.config(), index_0.flashblock.base().expect("index 0's base"));
        let mut state = CacheDB::new(builder.genesis());
        run(&mut state, &env, index_0.flashblock.transactions());
        Self { state, env }
    }

    /// A copy of the state the floor starts from (the benches copy it outside the
    /// timed part).
    pub fn state(&self) -> CacheDB<InMemoryState> {
        self.state.clone()
    }

    /// Recovers `transactions`' senders on every core and runs them on `state`.
    ///
    /// # Panics
    ///
    /// When a transaction does not decode, recover or run.
    pub fn run(&self, state: &mut CacheDB<InMemoryState>, transactions: &[Bytes]) {
        run(state, &self.env, transactions);
    }
}

fn run(state: &mut CacheDB<InMemoryState>, env: &EvmEnv<OpSpecId>, transactions: &[Bytes]) {
    let recovered: Vec<_> = transactions
        .par_iter()
        .map(|raw| {
            let tx = OpTxEnvelope::decode_2718_exact(raw).expect("decodes");
            let sender = tx.recover_signer().expect("recovers");
            (tx, sender)
        })
        .collect();
    let mut evm = Context::op()
        .with_db(state)
        .with_block(env.block_env.clone())
        .with_cfg(env.cfg_env.clone())
        .build_op();
    for ((tx, sender), raw) in recovered.iter().zip(transactions) {
        let tx = OpTx::from_encoded_tx(tx, *sender, raw.clone());
        black_box(evm.transact_commit(tx.0).expect("runs"));
    }
}
