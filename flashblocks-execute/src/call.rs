//! `eth_call` and `eth_estimateGas` on `pending`: run on the executed pending layers over
//! the caller's canonical state, with alloy-evm's call helpers.

use crate::{state::BlockView, CanonicalStates, ExecuteError, Executor};
use alloy_evm::{call::caller_gas_allowance, overrides::apply_state_overrides, Evm, EvmFactory};
use alloy_op_evm::{OpEvmFactory, OpTx};
use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use alloy_rpc_types_eth::state::StateOverride;
use op_revm::OpTransaction;
use revm::{
    context::TxEnv,
    context_interface::result::{ExecutionResult, Output},
    database::CacheDB,
};

/// The least gas any transaction needs (the search's lower bound).
const INTRINSIC_GAS: u64 = 21_000;

/// A scratch database over the pending state, and the pending block's base.
type CallDb<'a, C> = (
    CacheDB<BlockView<'a, <C as CanonicalStates>::State>>,
    &'a flashblocks_types::ExecutionPayloadStaticV1,
);

/// A call on the pending state (the fields of `eth_call`'s transaction object that the
/// EVM reads).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// The caller (zero address when absent).
    pub from: Option<Address>,
    /// The callee; `None` runs `input` as initcode.
    pub to: Option<Address>,
    /// The gas limit; the block's gas limit (capped by what the caller can pay) when
    /// absent.
    pub gas: Option<u64>,
    /// The gas price; 0 (no fee, no base fee check) when absent.
    pub gas_price: Option<u128>,
    /// The value sent.
    pub value: U256,
    /// The calldata (or initcode).
    pub input: Bytes,
}

/// What a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// Whether it succeeded (neither reverted nor halted).
    pub success: bool,
    /// The gas it used.
    pub gas_used: u64,
    /// The returned (or revert) data; for a creation, the deployed code's address is in
    /// [`created`](Self::created).
    pub output: Bytes,
    /// The address a creation deployed to.
    pub created: Option<Address>,
    /// The logs it emitted.
    pub logs: Vec<Log>,
}

impl<C: CanonicalStates> Executor<C> {
    /// `eth_call` on `pending`: runs `request` on the state after the last accepted
    /// flashblock of the block in progress (its executed layer over the preconfirmed
    /// layers over the caller's canonical state), in that block's environment, with
    /// `overrides` applied first (alloy-evm's `apply_state_overrides`). Nothing is
    /// kept.
    ///
    /// # Errors
    ///
    /// [`ExecuteError::NoPendingBlock`] without a block in progress;
    /// [`ExecuteError::CallRejected`] when the EVM rejects the call (e.g. the caller
    /// cannot pay) or an override cannot be applied; [`ExecuteError::State`].
    pub fn call(
        &self,
        request: &CallRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<CallOutcome, ExecuteError> {
        let (mut db, base) = self.call_db(overrides)?;
        let gas_limit = match request.gas {
            Some(gas) => gas,
            None => self.gas_cap(&mut db, request, base.gas_limit)?,
        };
        run_call(self, &mut db, base, request, gas_limit)
    }

    /// `eth_estimateGas` on `pending`: the least gas limit with which `request`
    /// succeeds on the pending state (binary search between 21 000 and the request's
    /// gas, or the block's gas limit capped by what the caller can pay, alloy-evm's
    /// `caller_gas_allowance`).
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), and [`ExecuteError::CallFailed`] when the call fails
    /// even with the most gas allowed.
    pub fn estimate_gas(
        &self,
        request: &CallRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<u64, ExecuteError> {
        let (mut db, base) = self.call_db(overrides)?;
        let cap = match request.gas {
            Some(gas) => gas,
            None => self.gas_cap(&mut db, request, base.gas_limit)?,
        };
        let outcome = run_call(self, &mut db.clone(), base, request, cap)?;
        if !outcome.success {
            return Err(ExecuteError::CallFailed(Box::new(outcome)));
        }
        // The search: `hi` succeeds, `lo` fails (or is below the intrinsic cost).
        let (mut lo, mut hi) = (INTRINSIC_GAS.saturating_sub(1), cap);
        if outcome.gas_used < hi {
            // Most calls succeed with what they used; try that first.
            let tight = run_call(self, &mut db.clone(), base, request, outcome.gas_used)?;
            if tight.success {
                hi = outcome.gas_used;
            } else {
                lo = outcome.gas_used;
            }
        }
        while lo.saturating_add(1) < hi {
            let mid = lo + (hi - lo) / 2;
            if run_call(self, &mut db.clone(), base, request, mid)?.success {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }

    /// A scratch database over the pending state, with `overrides` applied.
    fn call_db(&self, overrides: Option<&StateOverride>) -> Result<CallDb<'_, C>, ExecuteError> {
        let (view, base) = self.pending_view().ok_or(ExecuteError::NoPendingBlock)?;
        let mut db = CacheDB::new(view);
        if let Some(overrides) = overrides {
            apply_state_overrides(overrides.clone(), &mut db)
                .map_err(|e| ExecuteError::CallRejected(Box::new(e)))?;
        }
        Ok((db, base))
    }

    /// The most gas a request without a gas limit may use: the block's gas limit,
    /// capped by what the caller can pay at its gas price.
    fn gas_cap(
        &self,
        db: &mut CacheDB<BlockView<'_, C::State>>,
        request: &CallRequest,
        block_gas_limit: u64,
    ) -> Result<u64, ExecuteError> {
        if request.gas_price.unwrap_or_default() == 0 {
            return Ok(block_gas_limit);
        }
        let tx = tx_env(self, request, block_gas_limit);
        let allowance = caller_gas_allowance(db, &tx.base)
            .map_err(|e| ExecuteError::CallRejected(Box::new(e)))?;
        Ok(allowance.min(block_gas_limit))
    }
}

/// The transaction environment of `request` with `gas_limit`.
fn tx_env<C: CanonicalStates>(
    executor: &Executor<C>,
    request: &CallRequest,
    gas_limit: u64,
) -> OpTransaction<TxEnv> {
    let base = TxEnv {
        caller: request.from.unwrap_or_default(),
        gas_limit,
        gas_price: request.gas_price.unwrap_or_default(),
        kind: request.to.map_or(TxKind::Create, TxKind::Call),
        value: request.value,
        data: request.input.clone(),
        chain_id: Some(executor.config().chain_id()),
        ..Default::default()
    };
    // An empty envelope: a call pays no L1 data fee.
    OpTransaction { base, enveloped_tx: Some(Bytes::new()), deposit: Default::default() }
}

/// Runs `request` with `gas_limit` on `db`, keeping nothing.
fn run_call<C: CanonicalStates, D>(
    executor: &Executor<C>,
    db: &mut D,
    base: &flashblocks_types::ExecutionPayloadStaticV1,
    request: &CallRequest,
    gas_limit: u64,
) -> Result<CallOutcome, ExecuteError>
where
    D: revm::Database<Error: std::error::Error + Send + Sync + 'static> + std::fmt::Debug,
{
    let mut env = executor.config().evm_env(base);
    env.cfg_env.disable_nonce_check = true;
    env.cfg_env.disable_base_fee = request.gas_price.unwrap_or_default() == 0;
    let mut evm = OpEvmFactory::<OpTx>::default().create_evm(db, env);
    let tx = OpTx(tx_env(executor, request, gas_limit));
    let result = evm.transact(tx).map_err(|e| ExecuteError::CallRejected(Box::new(e)))?;
    Ok(match result.result {
        ExecutionResult::Success { gas, logs, output, .. } => {
            let (output, created) = match output {
                Output::Call(out) => (out, None),
                Output::Create(out, address) => (out, address),
            };
            CallOutcome { success: true, gas_used: gas.tx_gas_used(), output, created, logs }
        }
        ExecutionResult::Revert { gas, output, logs } => {
            CallOutcome { success: false, gas_used: gas.tx_gas_used(), output, created: None, logs }
        }
        ExecutionResult::Halt { gas, logs, .. } => CallOutcome {
            success: false,
            gas_used: gas.tx_gas_used(),
            output: Bytes::new(),
            created: None,
            logs,
        },
    })
}
