//! The main job's executed part: an executing builder's blocks, sent as JSON with the
//! metadata stripped (Base's Azul shape: no balances, no receipts), decoded from their
//! frames and executed by a receiver that proves each flashblock against its claims;
//! one row per flashblock (execution time, proof result, changed accounts, logs), then
//! executed `pending` answers the stream never carried. And the same builder's blocks as
//! an OP Subblocks sequencer sends them ([`subblock_replay`]).

use crate::{
    output::LineSink,
    replay::{replay_frames, ReplayOptions, ReplaySummary},
};
use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{Address, Bytes, B256, U256};
use flashblocks::{
    overlay::{CanonicalBlock, CanonicalHead, OverlayEvent},
    Receiver, ReceiverConfig,
};
use flashblocks_execute::{
    builder::{subblocks, ExecutingBuilder, TxPlan},
    CallRequest, ExecuteError, ExecutionCheck, Executor,
};
use flashblocks_node::pipeline::{now_ms, Pipeline};
use flashblocks_types::{Dialect, DialectChoice, JsonFrameReader};
use revm::DatabaseRef;
use std::time::Instant;

/// What the executed replay saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutedSummary {
    /// Flashblocks executed.
    pub executed: usize,
    /// Flashblocks whose execution proved every claim.
    pub proved: usize,
    /// Flashblocks whose execution differed from a claim (the rule id's fact).
    pub mismatched: usize,
    /// Flashblocks whose executed facts were exactly the builder's.
    pub builder_facts: usize,
}

/// Runs the executed replay: three blocks of an Isthmus executing builder (transfers, a
/// deployment, storage-writing and log-emitting calls, a reverting call, an EIP-7702
/// delegation, deposits), written out as brotli JSON frames without metadata, read back
/// and executed.
///
/// # Errors
///
/// [`ExecuteError`] when a flashblock cannot be executed (it can: the receiver holds
/// the builder's genesis).
pub fn executed_replay(out: &mut impl LineSink) -> Result<ExecutedSummary, ExecuteError> {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let reader = JsonFrameReader::default();
    let plans = [
        vec![vec![TxPlan::Transfer, TxPlan::Deploy], vec![TxPlan::Call, TxPlan::Transfer]],
        vec![vec![TxPlan::RevertingCall, TxPlan::Delegate], vec![TxPlan::Call; 3]],
        vec![vec![TxPlan::LegacyTransfer, TxPlan::Transfer], vec![TxPlan::Call]],
    ];
    let mut summary = ExecutedSummary::default();
    let mut contract = None;
    out.line(format!(
        "{:>8} {:>3} {:>4} {:>10} {:>9} {:<8} {:>8} {:>5}",
        "block", "idx", "txs", "gas_used", "execute", "proof", "accounts", "logs"
    ));
    for plan in &plans {
        for built in builder.next_block(plan) {
            // The wire: JSON without balances and receipts, brotli-compressed.
            let text = built.json_stripped().to_json().map(|j| j.to_vec()).unwrap_or_default();
            let frame = JsonFrameReader::encode_brotli(&text);
            let Ok(fb) = reader.decode(&frame) else { continue };
            let started = Instant::now();
            let execution = receiver.execute(&fb, fb.index() == 0)?;
            let elapsed = started.elapsed();
            let metadata = execution.metadata().clone();
            let proof = match execution.proof() {
                Ok(()) => {
                    summary.proved += 1;
                    "ok".to_string()
                }
                Err(m) => {
                    summary.mismatched += 1;
                    format!("{:?}", m.fact)
                }
            };
            summary.executed += 1;
            summary.builder_facts += usize::from(metadata == built.executed);
            contract =
                contract.or_else(|| metadata.receipts.iter().find_map(|r| r.contract_address));
            let logs: usize =
                metadata.receipts.iter().map(|r| r.receipt.as_receipt().logs.len()).sum();
            out.line(format!(
                "{:>8} {:>3} {:>4} {:>#10x} {:>7.1}µs {:<8} {:>8} {:>5}",
                fb.base().map_or_else(|| metadata.block_number, |b| b.block_number),
                fb.index(),
                fb.transactions().len(),
                execution.gas_used(),
                elapsed.as_secs_f64() * 1e6,
                proof,
                metadata.accounts.len(),
                logs,
            ));
            receiver.commit(execution);
        }
    }
    out.line(format!(
        "{} flashblocks executed from stripped JSON: {} proved, {} mismatched, {} with exactly the builder's facts",
        summary.executed, summary.proved, summary.mismatched, summary.builder_facts
    ));
    out.line("executed pending state (the stream carried none of it):".to_string());
    if let Some(state) = receiver.pending_state() {
        for address in builder.dev_accounts() {
            if let Ok(Some(info)) = state.basic_ref(address) {
                let genesis = builder.genesis_balance(address);
                out.line(format!(
                    "  {address}: balance {} wei ({:+} over genesis), nonce {}",
                    info.balance,
                    i128::try_from(info.balance).unwrap_or(i128::MAX)
                        - i128::try_from(genesis).unwrap_or(i128::MAX),
                    info.nonce
                ));
            }
        }
    }
    if let Some(contract) = contract {
        let call = CallRequest {
            to: Some(contract),
            input: Bytes::from(U256::from(42).to_be_bytes::<32>().to_vec()),
            from: Some(Address::ZERO),
            ..Default::default()
        };
        let outcome = receiver.call(&call, None)?;
        let estimate = receiver.estimate_gas(&call, None)?;
        out.line(format!(
            "  eth_call(pending) to contract {contract}: success {}, {} log(s), gas used {}; eth_estimateGas {estimate}",
            outcome.success,
            outcome.logs.len(),
            outcome.gas_used
        ));
    }
    Ok(summary)
}

/// What the subblock replay saw.
#[derive(Clone, Debug)]
pub struct SubblockSummary {
    /// The replay's counts (every accepted frame's block-hash outcome `unavailable`).
    pub replay: ReplaySummary,
    /// Whether every flashblock executed and proved its claims (the executed pending
    /// balances are the builder's).
    pub executed_cleanly: bool,
    /// Whether the pending block's `hash` answered null.
    pub pending_hash_null: bool,
    /// The hash of the pending block's parent as the builder sealed it.
    pub parent_hash: B256,
    /// What `BLOCKHASH(number - 1)` read in the pending block.
    pub blockhash_of_parent: Option<B256>,
    /// What the canonical block 1 (the builder's, read as a node reads it) did.
    pub canonical_events: Vec<OverlayEvent>,
    /// A refunded receipt of the pending block as the node answers it (Lagoon): its
    /// hash, `gasUsed` and `opGasRefund`, and the refund the builder settled.
    pub refunded_receipt: Option<RefundedReceipt>,
}

/// A receipt the post-exec transaction refunded (see [`SubblockSummary`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundedReceipt {
    /// The transaction's hash.
    pub hash: B256,
    /// Its `gasUsed` as the node answers it: the canonical gas.
    pub gas_used: u64,
    /// Its `opGasRefund` as the node answers it.
    pub op_gas_refund: Option<u64>,
    /// The `gasUsed` and refund the builder's execution gave it.
    pub builder: (u64, u64),
}

/// Initcode that reverts with `BLOCKHASH(NUMBER - 1)`.
const PARENT_BLOCKHASH: [u8; 13] =
    [0x60, 0x01, 0x43, 0x03, 0x40, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xfd];

/// The subblock replay: three blocks of an Isthmus executing builder, Lagoon active
/// (each block's post-exec transaction refunds gas to its odd-indexed user
/// transactions), sent as an OP Subblocks sequencer sends them (zero `state_root`,
/// `block_hash` and `withdrawals_root`, a heartbeat subblock with no transactions, no
/// metadata, `diff.post_exec_tx` restated by the subblocks that add a refund), as
/// brotli JSON frames, through a receiver of the Subblocks dialect that executes them:
/// the table (block-hash column `unavailable`), then the hashes learned from the next
/// blocks, the pending block's null hash, `BLOCKHASH` of its parent, and the canonical
/// block 1 confirming the preconfirmed one by its transactions (the post-exec
/// transaction last), `gasUsed` and `receiptsRoot`, and a refunded receipt of the
/// pending block (`gasUsed`, `opGasRefund`).
///
/// # Errors
///
/// [`ExecuteError`] from the `BLOCKHASH` call on the pending state.
pub fn subblock_replay(out: &mut impl LineSink) -> Result<SubblockSummary, ExecuteError> {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_lagoon();
    let plan = [vec![TxPlan::Deploy, TxPlan::Transfer], vec![TxPlan::Call, TxPlan::Transfer]];
    let blocks: [_; 3] = std::array::from_fn(|_| builder.next_block(&plan));
    // The hash the builder sealed a block with: the next block's `base.parent_hash`.
    let sealed = |next: &[flashblocks_execute::builder::BuiltFlashblock]| {
        next.first().and_then(|b| b.json.base.as_ref()).map(|b| b.parent_hash).unwrap_or_default()
    };
    let mut check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    let snapshots = check.pending_snapshots();
    let config = ReceiverConfig::json().with_dialect(DialectChoice::Fixed(Dialect::Subblocks));
    let mut pipeline = Pipeline::from_receiver(Receiver::with_execution(config, check));
    let frames: Vec<Vec<u8>> = blocks
        .iter()
        .flat_map(|block| subblocks(block))
        .filter_map(|json| serde_json::to_vec(&json).ok())
        .map(|text| JsonFrameReader::encode_brotli(&text))
        .collect();
    let replay = replay_frames(
        &mut pipeline,
        frames.iter().map(Vec::as_slice),
        ReplayOptions::default(),
        out,
    );
    let snapshot = pipeline.reader().snapshot();
    let view = snapshot.at(now_ms());
    // Executed facts serve only where every flashblock executed and proved its claims:
    // the pending balances are then the builder's.
    let executed_cleanly = builder
        .dev_accounts()
        .iter()
        .all(|address| view.balance(*address).into_value() == Some(builder.balance(address)));
    out.line(format!(
        "  executed pending balances equal the builder's: {}",
        if executed_cleanly { "yes" } else { "NO" }
    ));
    for number in 1..=3 {
        if let Some(block) = view.block_by_number(number, false).into_value() {
            let hash = block.header.hash.map_or_else(|| "null".to_owned(), |h| h.to_string());
            out.line(format!(
                "  block {number}: hash {hash}{}",
                if block.header.hash.is_some() { " (learned from the next block)" } else { "" }
            ));
        }
    }
    let pending = view.pending_block(false).into_value();
    let pending_hash_null = pending.as_ref().is_some_and(|b| b.header.hash.is_none());
    let [first, second, third] = &blocks;
    let parent_hash = sealed(third);
    let request =
        CallRequest { input: Bytes::from_static(&PARENT_BLOCKHASH), ..Default::default() };
    let blockhash_of_parent = match snapshots.latest() {
        Some(pending) => {
            let outcome = pending.call(&request, None)?;
            (outcome.output.len() == 32).then(|| B256::from_slice(&outcome.output))
        }
        None => None,
    };
    out.line(format!(
        "  BLOCKHASH(parent) in the pending block: {} ({})",
        blockhash_of_parent.map_or_else(|| "none".to_owned(), |h| h.to_string()),
        if blockhash_of_parent == Some(parent_hash) { "the learned hash" } else { "WRONG" }
    ));
    let last = first.last().map(|b| &b.json.diff);
    // The sealed block ends with its latest post-exec transaction.
    let post_exec = first
        .iter()
        .rev()
        .find_map(|b| b.json.diff.post_exec_tx.as_ref())
        .map(alloy_primitives::keccak256);
    let canonical = CanonicalBlock::new(
        first
            .iter()
            .flat_map(|b| b.executed.receipts.iter().map(|r| r.transaction_hash))
            .chain(post_exec)
            .collect(),
    )
    .with_gas_used(last.map_or(0, |d| d.gas_used))
    .with_receipts_root(last.map_or(B256::ZERO, |d| d.receipts_root));
    let hash1 = sealed(second);
    let canonical_events =
        pipeline.advance_canonical(CanonicalHead { number: 1, hash: hash1 }, Some(&canonical));
    out.line(format!(
        "  canonical block 1 (transactions, gasUsed, receiptsRoot): {canonical_events:?}"
    ));
    // A refunded receipt of the pending block, as the node answers it.
    let refunded_receipt = third
        .iter()
        .flat_map(|b| b.executed.receipts.iter())
        .find_map(|r| Some((r.transaction_hash, r.gas_used, r.op_gas_refund?)))
        .and_then(|(hash, gas_used, refund)| {
            let answered = view.receipt(hash).into_value()?;
            Some(RefundedReceipt {
                hash,
                gas_used: answered.facts.gas_used,
                op_gas_refund: answered.op_gas_refund,
                builder: (gas_used, refund),
            })
        });
    match &refunded_receipt {
        Some(r) => out.line(format!(
            "  refunded receipt {}: gasUsed {}, opGasRefund {} (EVM gas {}; the builder's {} and {})",
            r.hash,
            r.gas_used,
            r.op_gas_refund.map_or_else(|| "none".to_owned(), |g| g.to_string()),
            r.gas_used + r.op_gas_refund.unwrap_or_default(),
            r.builder.0,
            r.builder.1,
        )),
        None => out.line("  refunded receipt: NONE in the pending block".to_owned()),
    }
    Ok(SubblockSummary {
        replay,
        executed_cleanly,
        pending_hash_null,
        parent_hash,
        blockhash_of_parent,
        canonical_events,
        refunded_receipt,
    })
}
