//! The main job's executed part: an executing builder's blocks, sent as JSON with the
//! metadata stripped (Base's Azul shape: no balances, no receipts), decoded from their
//! frames and executed by a receiver that proves each flashblock against its claims;
//! one row per flashblock (execution time, proof result, changed accounts, logs), then
//! executed `pending` answers the stream never carried.

use crate::output::LineSink;
use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{Address, Bytes, U256};
use flashblocks_execute::{
    builder::{ExecutingBuilder, TxPlan},
    CallRequest, ExecuteError, Executor,
};
use flashblocks_types::JsonFrameReader;
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
