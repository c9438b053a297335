//! [`ExecutionCheck`]: the executor as the validator's optional check
//! `execution_invalid`.

use crate::{CanonicalStates, Dropped, ExecuteError, Execution, Executor, PendingSnapshot};
use alloy_primitives::B256;
use arc_swap::ArcSwapOption;
use flashblocks_overlay::OverlayEvent;
use flashblocks_types::{Dialect, ExecutedMetadata, Flashblock, PayloadId};
use flashblocks_validate::{
    CheckFailure, CheckOutput, ExecutedFact, ExecutionMismatch, FactSubject, FactValue,
    FlashblockCheck,
};
use std::{collections::VecDeque, fmt, sync::Arc};

/// How many reports the check keeps until the caller drains them (the oldest go first).
pub const MAX_REPORTS: usize = 1024;

/// What the check does with a flashblock whose execution differs from its claims.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Enforcement {
    /// Accept it, report the mismatch, and produce no executed facts for the rest of
    /// its block (they answer "not known"; what the stream carries still serves).
    #[default]
    Report,
    /// Reject it as `execution_invalid`.
    Enforce,
}

/// Something the check tells the caller without rejecting.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExecutionReport {
    /// An accepted flashblock's execution differs from its claims (in
    /// [`Enforcement::Report`]); its block's executed facts are not known from it on.
    Mismatch {
        /// The block's number.
        block_number: u64,
        /// The flashblock's index.
        index: u64,
        /// The first fact that differs.
        mismatch: ExecutionMismatch,
    },
    /// An accepted flashblock was not executed: its parent state is held nowhere, or
    /// its block was not started, or the state failed.
    NotExecuted {
        /// The flashblock's index.
        index: u64,
        /// Why.
        error: ExecuteError,
    },
}

/// The pending state after the newest accepted flashblock, published: the check stores
/// an owned [`PendingSnapshot`] after each commit and each chain event (one atomic
/// pointer swap, no lock), and query threads run `eth_call` / `eth_estimateGas` on the
/// one they load without waiting for the executor (see
/// [`ExecutionCheck::pending_snapshots`]).
pub struct PendingSnapshots<S>(Arc<ArcSwapOption<PendingSnapshot<S>>>);

impl<S> Clone for PendingSnapshots<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S> fmt::Debug for PendingSnapshots<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PendingSnapshots").field(&self.latest()).finish()
    }
}

impl<S> PendingSnapshots<S> {
    /// The newest pending state (`None` when no block is in progress).
    pub fn latest(&self) -> Option<Arc<PendingSnapshot<S>>> {
        self.0.load_full()
    }

    fn set(&self, snapshot: Option<PendingSnapshot<S>>) {
        self.0.store(snapshot.map(Arc::new));
    }
}

/// A hook that checks `diff.state_root` with the caller's state trie: given the
/// flashblock and its executed post-state, it returns the state root it computes. It is
/// not called where the stream's `diff.state_root` is unavailable (OP Subblocks, whose
/// zero root is no claim: see [`Executor::set_diff_block_hash`]).
pub type StateRootHook = Box<dyn FnMut(&Flashblock, &ExecutedMetadata) -> Option<B256> + Send>;

/// What `check` prepared for the `commit` that may follow (one at a time: its size does
/// not matter).
#[allow(clippy::large_enum_variant)]
enum Pending<S> {
    Executed(Execution<S>),
    Report { key: (PayloadId, u64), report: ExecutionReport, breaks_block: bool },
}

/// The executor as a [`FlashblockCheck`] (rule `execution_invalid`): every candidate
/// is executed on the state its predecessor left and proved against its claims
/// ([`Executor::execute`]); the accepted ones' executions are committed, so nothing
/// executes twice. The executed facts of the last passing candidate are its output
/// ([`last_executed`](Self::last_executed)).
///
/// A flashblock that cannot be executed for want of state
/// ([`ExecuteError::ParentStateUnavailable`]) is not invalid: it passes, with no
/// executed facts, and is reported ([`take_reports`](Self::take_reports)).
///
/// Wiring: the caller owns the check and passes it to each validation
/// (`Validator::validate_with`); after each accepted flashblock it applies the token to
/// the overlay, drains [`take_reports`](Self::take_reports), and on an
/// [`ExecutionReport::Mismatch`] calls the overlay's `void_executed(payload_id)` so that
/// none of that block's executed facts serve from then on (in [`Enforcement::Report`];
/// in [`Enforcement::Enforce`] the flashblock is rejected as `execution_invalid`
/// instead). It feeds the overlay's events to [`on_overlay_event`](Self::on_overlay_event)
/// and resets the check with the validator. For `eth_call` on `pending` from other
/// threads, keep a [`pending_snapshots`](Self::pending_snapshots) handle: the only
/// thing the check shares.
pub struct ExecutionCheck<C: CanonicalStates> {
    executor: Executor<C>,
    enforcement: Enforcement,
    state_root: Option<StateRootHook>,
    pending: Option<Pending<C::State>>,
    last_executed: Option<Arc<ExecutedMetadata>>,
    broken: Option<PayloadId>,
    reports: VecDeque<ExecutionReport>,
    snapshots: Option<PendingSnapshots<C::State>>,
}

impl<C: CanonicalStates> fmt::Debug for ExecutionCheck<C>
where
    C: fmt::Debug,
    C::State: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutionCheck")
            .field("executor", &self.executor)
            .field("enforcement", &self.enforcement)
            .field("broken", &self.broken)
            .field("reports", &self.reports.len())
            .finish_non_exhaustive()
    }
}

impl<C: CanonicalStates> ExecutionCheck<C> {
    /// A check running `executor`, reporting mismatches ([`Enforcement::Report`]).
    pub fn new(executor: Executor<C>) -> Self {
        Self {
            executor,
            enforcement: Enforcement::Report,
            state_root: None,
            pending: None,
            last_executed: None,
            broken: None,
            reports: VecDeque::new(),
            snapshots: None,
        }
    }

    /// The same check with `enforcement`.
    pub fn with_enforcement(mut self, enforcement: Enforcement) -> Self {
        self.enforcement = enforcement;
        self
    }

    /// The same check, also comparing `diff.state_root` with what `hook` computes from
    /// the caller's state trie (`None` from the hook: not checked).
    pub fn with_state_root(mut self, hook: StateRootHook) -> Self {
        self.state_root = Some(hook);
        self
    }

    /// The executor (its layers, the block in progress).
    pub const fn executor(&self) -> &Executor<C> {
        &self.executor
    }

    /// The executor, for chain events ([`Executor::canonical`], [`Executor::reset`]).
    pub fn executor_mut(&mut self) -> &mut Executor<C> {
        &mut self.executor
    }

    /// The executed facts of the last candidate that passed with them (what the
    /// accepted flashblock carries once committed).
    pub const fn last_executed(&self) -> Option<&Arc<ExecutedMetadata>> {
        self.last_executed.as_ref()
    }

    /// Whether the block with `payload_id` had a reported mismatch: its executed facts
    /// are not known from that flashblock on.
    pub fn is_broken(&self, payload_id: PayloadId) -> bool {
        self.broken == Some(payload_id)
    }

    /// The reports since the last call (at most [`MAX_REPORTS`], the oldest dropped
    /// first), oldest first.
    pub fn take_reports(&mut self) -> Vec<ExecutionReport> {
        self.reports.drain(..).collect()
    }

    /// A handle on the pending state after the newest accepted flashblock, for the
    /// threads that answer `eth_call` while the check moves on. From the first
    /// call on, the check publishes a snapshot after each commit, reset and
    /// [`on_overlay_event`](Self::on_overlay_event) (one pointer per flashblock of the
    /// block in progress: every layer is shared, none copied).
    pub fn pending_snapshots(&mut self) -> PendingSnapshots<C::State> {
        let snapshots = self
            .snapshots
            .get_or_insert_with(|| PendingSnapshots(Arc::new(ArcSwapOption::empty())))
            .clone();
        self.publish();
        snapshots
    }

    /// Passes an overlay event to the executor ([`Executor::on_overlay_event`]) and
    /// publishes the pending state it leaves.
    pub fn on_overlay_event(&mut self, event: &OverlayEvent) -> Dropped {
        let dropped = self.executor.on_overlay_event(event);
        self.publish();
        dropped
    }

    fn publish(&self) {
        if let Some(snapshots) = &self.snapshots {
            snapshots.set(self.executor.pending_snapshot());
        }
    }

    fn report(&mut self, report: ExecutionReport) {
        if self.reports.len() >= MAX_REPORTS {
            self.reports.pop_front();
        }
        self.reports.push_back(report);
    }

    /// Runs the check; `Ok(Some(_))` carries the executed facts.
    fn run(
        &mut self,
        candidate: &Flashblock,
        starts_block: bool,
    ) -> Result<Option<Arc<ExecutedMetadata>>, CheckFailure> {
        self.pending = None;
        self.last_executed = None;
        let key = (candidate.payload_id(), candidate.index());
        if !starts_block && self.broken == Some(candidate.payload_id()) {
            return Ok(None);
        }
        let execution = match self.executor.execute(candidate, starts_block) {
            Ok(execution) => execution,
            Err(ExecuteError::TransactionRejected { index, hash, rejection }) => {
                let mismatch = ExecutionMismatch {
                    fact: ExecutedFact::Executable,
                    subject: FactSubject::Transaction { index, hash },
                    executed: FactValue::Rejected(rejection),
                    claimed: FactValue::Absent,
                };
                return self.mismatch(candidate, mismatch);
            }
            Err(error) => {
                let report = ExecutionReport::NotExecuted { index: candidate.index(), error };
                self.pending = Some(Pending::Report { key, report, breaks_block: false });
                return Ok(None);
            }
        };
        let mut mismatch = execution.proof().err().cloned();
        // OP Subblocks' zero `diff.state_root` is unavailable, not a claim: never
        // compared with what the hook computes.
        let state_root_claimed =
            self.executor.diff_block_hash() != flashblocks_types::DiffBlockHash::Unavailable;
        if mismatch.is_none() && state_root_claimed {
            if let Some(hook) = self.state_root.as_mut() {
                if let Some(root) = hook(candidate, execution.metadata()) {
                    if root != candidate.diff().state_root {
                        mismatch = Some(ExecutionMismatch {
                            fact: ExecutedFact::StateRoot,
                            subject: FactSubject::Block,
                            executed: FactValue::Hash(root),
                            claimed: FactValue::Hash(candidate.diff().state_root),
                        });
                    }
                }
            }
        }
        if let Some(mismatch) = mismatch {
            return self.mismatch(candidate, mismatch);
        }
        let executed = Arc::clone(execution.metadata());
        self.pending = Some(Pending::Executed(execution));
        self.last_executed = Some(Arc::clone(&executed));
        Ok(Some(executed))
    }

    fn mismatch(
        &mut self,
        candidate: &Flashblock,
        mismatch: ExecutionMismatch,
    ) -> Result<Option<Arc<ExecutedMetadata>>, CheckFailure> {
        match self.enforcement {
            Enforcement::Enforce => Err(CheckFailure::ExecutionInvalid(Box::new(mismatch))),
            Enforcement::Report => {
                let block_number = candidate.base().map_or_else(
                    || self.executor.current().map_or(0, |(number, _)| number),
                    |b| b.block_number,
                );
                let report =
                    ExecutionReport::Mismatch { block_number, index: candidate.index(), mismatch };
                let key = (candidate.payload_id(), candidate.index());
                self.pending = Some(Pending::Report { key, report, breaks_block: true });
                Ok(None)
            }
        }
    }
}

impl<C: CanonicalStates> FlashblockCheck for ExecutionCheck<C> {
    fn check(
        &mut self,
        candidate: &Flashblock,
        starts_block: bool,
        dialect: Dialect,
    ) -> Result<CheckOutput, CheckFailure> {
        // What the candidate's `diff.block_hash` is follows the stream's dialect, `auto`'s
        // decision included (the same for every candidate once decided).
        self.executor.set_diff_block_hash(dialect.block_hash());
        Ok(self.run(candidate, starts_block)?.map_or(CheckOutput::None, CheckOutput::Executed))
    }

    fn commit(&mut self, accepted: &Flashblock, starts_block: bool) {
        if starts_block {
            self.broken = None;
        }
        let next_number = accepted.base().map_or(u64::MAX, |b| b.block_number);
        // What `check` prepared is for the candidate with this payload id and index: the
        // validator commits only the candidate it has just checked, and accepts an index
        // of a payload once (the identity, for JSON a hash over the whole flashblock, is
        // not needed to tell them apart).
        let accepted_key = (accepted.payload_id(), accepted.index());
        match self.pending.take() {
            Some(Pending::Executed(execution))
                if (execution.payload_id(), execution.index()) == accepted_key =>
            {
                self.executor.commit(execution);
            }
            Some(Pending::Report { key, report, breaks_block }) if key == accepted_key => {
                if breaks_block {
                    self.broken = Some(accepted.payload_id());
                    // The block's executed state is not trusted: nothing builds on it.
                    if starts_block {
                        self.executor.abandon(next_number);
                    }
                    self.executor.drop_current();
                } else if starts_block {
                    self.executor.abandon(next_number);
                }
                self.report(report);
            }
            _ => {
                // Not checked (or checked as another candidate): execute it now.
                if self.broken != Some(accepted.payload_id()) {
                    match self.executor.execute(accepted, starts_block) {
                        Ok(execution) => self.executor.commit(execution),
                        Err(error) => {
                            if starts_block {
                                self.executor.abandon(next_number);
                            }
                            let index = accepted.index();
                            self.report(ExecutionReport::NotExecuted { index, error });
                        }
                    }
                }
            }
        }
        self.publish();
    }

    fn reset(&mut self) {
        self.executor.reset();
        self.pending = None;
        self.last_executed = None;
        self.broken = None;
        self.publish();
    }

    /// Rule 4's restart: the executor's layers and the block in progress go; the
    /// candidate's execution (checked on the state its `parent_hash` named) is kept for
    /// the commit that follows, so the new block builds on that state and is not
    /// executed twice.
    fn restart(&mut self) {
        self.executor.reset();
        self.broken = None;
    }
}
