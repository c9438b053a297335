//! `eth_call` and `eth_estimateGas` on `pending` (run on the executed pending layers over
//! the caller's canonical state) and at a canonical block ([`CanonicalCall`]), with
//! alloy-evm's call helpers.

use crate::{
    state::{BlockView, StateChain},
    CanonicalStates, ChainConfig, ExecuteError, Executor, PendingSnapshot,
};
use alloy_evm::{call::caller_gas_allowance, overrides::apply_state_overrides, Evm, EvmFactory};
use alloy_op_evm::{OpEvmFactory, OpTx};
use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use alloy_rpc_types_eth::state::StateOverride;
use flashblocks_types::ExecutionPayloadStaticV1;
use op_revm::{OpHaltReason, OpTransaction};
use revm::{
    context::TxEnv,
    context_interface::result::{ExecutionResult, HaltReason, Output},
    database::CacheDB,
    DatabaseRef,
};

/// The least gas any transaction needs (the search's lower bound).
const INTRINSIC_GAS: u64 = 21_000;

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
    /// Why it halted (neither succeeded nor reverted), worded as geth words the common
    /// cases (`out of gas`, `invalid opcode`, `stack underflow`, ...); `None` when it
    /// succeeded or reverted (then `output` is the revert data).
    pub halt: Option<String>,
}

impl<C: CanonicalStates> Executor<C> {
    /// `eth_call` on `pending`: runs `request` on the state after the last accepted
    /// flashblock of the block in progress (its executed layer over the preconfirmed
    /// layers over the caller's canonical state), in that block's environment, with
    /// `overrides` applied first (alloy-evm's `apply_state_overrides`). Nothing is
    /// kept. [`PendingSnapshot::call`] does the same on an owned copy of that state.
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
        self.calls()?.call(request, overrides)
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
        self.calls()?.estimate_gas(request, overrides)
    }

    fn calls(&self) -> Result<Calls<'_, C::State>, ExecuteError> {
        let (view, base) = self.pending_view().ok_or(ExecuteError::NoPendingBlock)?;
        Ok(Calls { config: self.config(), view, base })
    }
}

impl<S> PendingSnapshot<S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    /// `eth_call` on the pending state this snapshot holds, as [`Executor::call`].
    ///
    /// # Errors
    ///
    /// As [`Executor::call`] ([`ExecuteError::NoPendingBlock`] excepted).
    pub fn call(
        &self,
        request: &CallRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<CallOutcome, ExecuteError> {
        self.calls().call(request, overrides)
    }

    /// `eth_estimateGas` on the pending state this snapshot holds, as
    /// [`Executor::estimate_gas`].
    ///
    /// # Errors
    ///
    /// As [`Executor::estimate_gas`] ([`ExecuteError::NoPendingBlock`] excepted).
    pub fn estimate_gas(
        &self,
        request: &CallRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<u64, ExecuteError> {
        self.calls().estimate_gas(request, overrides)
    }

    fn calls(&self) -> Calls<'_, S> {
        Calls { config: &self.config, view: self.view(), base: &self.base }
    }
}

/// `eth_call` and `eth_estimateGas` at a canonical block: the caller's state after the
/// block, in that block's own environment (its number, timestamp, base fee, ...), as a
/// full node answers a call with a block tag. [`Executor::call`] answers `pending`.
///
/// ```
/// use flashblocks_execute::{builder::ExecutingBuilder, CallRequest, CanonicalCall};
/// use flashblocks_types::ExecutionPayloadStaticV1;
/// use alloy_op_hardforks::OpHardfork;
///
/// let builder = ExecutingBuilder::new(OpHardfork::Isthmus);
/// let base = ExecutionPayloadStaticV1 { gas_limit: 30_000_000, ..Default::default() };
/// let at = CanonicalCall::new(builder.config().clone(), base, builder.genesis());
/// let to = Some(builder.dev_accounts()[1]);
/// // A plain transfer costs the intrinsic gas.
/// assert_eq!(at.estimate_gas(&CallRequest { to, ..Default::default() }, None)?, 21_000);
/// # Ok::<(), flashblocks_execute::ExecuteError>(())
/// ```
pub struct CanonicalCall<S> {
    config: ChainConfig,
    base: ExecutionPayloadStaticV1,
    chain: StateChain<S>,
}

impl<S> std::fmt::Debug for CanonicalCall<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CanonicalCall")
            .field("block_number", &self.base.block_number)
            .finish_non_exhaustive()
    }
}

impl<S> CanonicalCall<S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    /// Calls on `state` (the state after a block) in the environment of that block's
    /// `base` (its header's fields), with `config`'s rules.
    pub fn new(config: ChainConfig, base: ExecutionPayloadStaticV1, state: S) -> Self {
        Self { config, base, chain: StateChain::over(state) }
    }

    /// `eth_call` at the block, as [`Executor::call`] on `pending`.
    ///
    /// # Errors
    ///
    /// As [`Executor::call`] ([`ExecuteError::NoPendingBlock`] excepted).
    pub fn call(
        &self,
        request: &CallRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<CallOutcome, ExecuteError> {
        self.calls().call(request, overrides)
    }

    /// `eth_estimateGas` at the block, as [`Executor::estimate_gas`] on `pending`.
    ///
    /// # Errors
    ///
    /// As [`Executor::estimate_gas`] ([`ExecuteError::NoPendingBlock`] excepted).
    pub fn estimate_gas(
        &self,
        request: &CallRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<u64, ExecuteError> {
        self.calls().estimate_gas(request, overrides)
    }

    fn calls(&self) -> Calls<'_, S> {
        Calls {
            config: &self.config,
            view: BlockView { block: &[], chain: &self.chain, hash: None },
            base: &self.base,
        }
    }
}

/// Calls on one pending state: the chain's rules, the state, the block's base.
struct Calls<'a, S> {
    config: &'a ChainConfig,
    view: BlockView<'a, S>,
    base: &'a ExecutionPayloadStaticV1,
}

impl<S> Calls<'_, S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    fn call(
        &self,
        request: &CallRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<CallOutcome, ExecuteError> {
        let mut db = self.db(overrides)?;
        let gas_limit = match request.gas {
            Some(gas) => gas,
            None => self.gas_cap(&mut db, request)?,
        };
        run_call(self.config, &mut db, self.base, request, gas_limit)
    }

    fn estimate_gas(
        &self,
        request: &CallRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<u64, ExecuteError> {
        let (config, base) = (self.config, self.base);
        let mut db = self.db(overrides)?;
        let cap = match request.gas {
            Some(gas) => gas,
            None => self.gas_cap(&mut db, request)?,
        };
        let outcome = run_call(config, &mut db.clone(), base, request, cap)?;
        if !outcome.success {
            return Err(ExecuteError::CallFailed(Box::new(outcome)));
        }
        // With less gas the EVM may refuse the call outright (below the intrinsic cost
        // or EIP-7623's calldata floor): that limit fails, as in geth's search.
        let succeeds = |gas: u64| match run_call(config, &mut db.clone(), base, request, gas) {
            Ok(outcome) => Ok(outcome.success),
            Err(ExecuteError::CallRejected(_)) => Ok(false),
            Err(err) => Err(err),
        };
        // The search: `hi` succeeds, `lo` fails (or is below the intrinsic cost).
        let (mut lo, mut hi) = (INTRINSIC_GAS.saturating_sub(1), cap);
        if outcome.gas_used < hi {
            // Most calls succeed with what they used; try that first.
            if succeeds(outcome.gas_used)? {
                hi = outcome.gas_used;
            } else {
                lo = outcome.gas_used;
            }
        }
        while lo.saturating_add(1) < hi {
            let mid = lo + (hi - lo) / 2;
            if succeeds(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }

    /// A scratch database over the pending state, with `overrides` applied.
    fn db<'b>(
        &'b self,
        overrides: Option<&StateOverride>,
    ) -> Result<CacheDB<BlockView<'b, S>>, ExecuteError> {
        let mut db = CacheDB::new(self.view);
        if let Some(overrides) = overrides {
            apply_state_overrides(overrides.clone(), &mut db)
                .map_err(|e| ExecuteError::CallRejected(Box::new(e)))?;
        }
        Ok(db)
    }

    /// The most gas a request without a gas limit may use: the block's gas limit,
    /// capped by what the caller can pay at its gas price.
    fn gas_cap(
        &self,
        db: &mut CacheDB<BlockView<'_, S>>,
        request: &CallRequest,
    ) -> Result<u64, ExecuteError> {
        let block_gas_limit = self.base.gas_limit;
        if request.gas_price.unwrap_or_default() == 0 {
            return Ok(block_gas_limit);
        }
        let tx = tx_env(self.config, request, block_gas_limit);
        let allowance = caller_gas_allowance(db, &tx.base)
            .map_err(|e| ExecuteError::CallRejected(Box::new(e)))?;
        Ok(allowance.min(block_gas_limit))
    }
}

/// The transaction environment of `request` with `gas_limit`.
fn tx_env(config: &ChainConfig, request: &CallRequest, gas_limit: u64) -> OpTransaction<TxEnv> {
    let base = TxEnv {
        caller: request.from.unwrap_or_default(),
        gas_limit,
        gas_price: request.gas_price.unwrap_or_default(),
        kind: request.to.map_or(TxKind::Create, TxKind::Call),
        value: request.value,
        data: request.input.clone(),
        chain_id: Some(config.chain_id()),
        ..Default::default()
    };
    // An empty envelope: a call pays no L1 data fee.
    OpTransaction { base, enveloped_tx: Some(Bytes::new()), deposit: Default::default() }
}

/// Runs `request` with `gas_limit` on `db`, keeping nothing.
fn run_call<D>(
    config: &ChainConfig,
    db: &mut D,
    base: &ExecutionPayloadStaticV1,
    request: &CallRequest,
    gas_limit: u64,
) -> Result<CallOutcome, ExecuteError>
where
    D: revm::Database<Error: std::error::Error + Send + Sync + 'static> + std::fmt::Debug,
{
    let mut env = crate::evm_env(config, base);
    env.cfg_env.disable_nonce_check = true;
    env.cfg_env.disable_base_fee = request.gas_price.unwrap_or_default() == 0;
    let mut evm = OpEvmFactory::<OpTx>::default().create_evm(db, env);
    let tx = OpTx(tx_env(config, request, gas_limit));
    let result = evm.transact(tx).map_err(|e| ExecuteError::CallRejected(Box::new(e)))?;
    Ok(match result.result {
        ExecutionResult::Success { gas, logs, output, .. } => {
            let (output, created) = match output {
                Output::Call(out) => (out, None),
                Output::Create(out, address) => (out, address),
            };
            let gas_used = gas.tx_gas_used();
            CallOutcome { success: true, gas_used, output, created, logs, halt: None }
        }
        ExecutionResult::Revert { gas, output, logs } => {
            let gas_used = gas.tx_gas_used();
            CallOutcome { success: false, gas_used, output, created: None, logs, halt: None }
        }
        ExecutionResult::Halt { gas, logs, reason } => CallOutcome {
            success: false,
            gas_used: gas.tx_gas_used(),
            output: Bytes::new(),
            created: None,
            logs,
            halt: Some(halt_message(&reason)),
        },
    })
}

/// A halt reason as geth words it (its `vm` errors), revm's name otherwise.
fn halt_message(reason: &OpHaltReason) -> String {
    let OpHaltReason::Base(reason) = reason else { return "failed deposit".to_owned() };
    match reason {
        HaltReason::OutOfGas(_) => "out of gas".to_owned(),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".to_owned(),
        HaltReason::InvalidJump => "invalid jump destination".to_owned(),
        HaltReason::StackUnderflow => "stack underflow".to_owned(),
        HaltReason::StackOverflow => "stack limit reached 1024".to_owned(),
        HaltReason::OutOfOffset => "return data out of bounds".to_owned(),
        HaltReason::CreateCollision => "contract address collision".to_owned(),
        HaltReason::NonceOverflow => "nonce uint64 overflow".to_owned(),
        HaltReason::CreateContractSizeLimit => "max code size exceeded".to_owned(),
        HaltReason::CreateInitCodeSizeLimit => "max initcode size exceeded".to_owned(),
        HaltReason::CreateContractStartingWithEF => {
            "invalid code: must not begin with 0xef".to_owned()
        }
        HaltReason::StateChangeDuringStaticCall | HaltReason::CallNotAllowedInsideStatic => {
            "write protection".to_owned()
        }
        HaltReason::OutOfFunds => "insufficient balance for transfer".to_owned(),
        other => format!("{other:?}"),
    }
}
