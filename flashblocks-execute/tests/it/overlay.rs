//! The overlay serves executed facts like carried ones: a JSON stream that carries no
//! state, executed by the check, answers pending balances, nonces (exact for CREATE and
//! EIP-7702), code, storage and receipts with logs.

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{B256, U256};
use flashblocks_execute::{
    builder::{ExecutingBuilder, TxPlan, LOG_TOPIC},
    ExecutionCheck, Executor,
};
use flashblocks_overlay::{Lookup, NotHere, Overlay, OverlayConfig};
use flashblocks_validate::{Validator, ValidatorConfig};

fn found<T: std::fmt::Debug>(lookup: Lookup<T>) -> T {
    match lookup {
        Lookup::Found(found) => found.value,
        Lookup::NotHere(why) => panic!("not here: {why:?}"),
    }
}

#[test]
fn executed_json_facts_are_served() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let block = builder.next_block(&[
        vec![TxPlan::Deploy, TxPlan::Transfer],
        vec![TxPlan::Call, TxPlan::Delegate],
    ]);
    let check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    // The executing validator's tokens carry the executed facts to the overlay.
    let mut executing = Validator::new(ValidatorConfig::json()).with_check(Box::new(check));
    let mut validator = Validator::new(ValidatorConfig::json());
    let mut overlay = Overlay::new(OverlayConfig::default());
    let mut plain = Overlay::new(OverlayConfig::default());
    for built in &block {
        let fb = built.json_stripped();
        let token = executing.validate(fb.clone()).unwrap().into_accepted().unwrap();
        assert!(token.executed().is_some());
        overlay.apply(&token, 1_000).unwrap();
        let token = validator.validate(fb).unwrap().into_accepted().unwrap();
        plain.apply(&token, 1_000).unwrap();
    }
    let snapshot = overlay.snapshot();
    let view = snapshot.at(1_000);
    let plain_snapshot = plain.snapshot();
    let plain_view = plain_snapshot.at(1_000);
    // Every executed account post-state is served; the plain JSON stream has none.
    for built in &block {
        for account in &built.executed.accounts {
            assert_eq!(
                found(view.transaction_count(account.address)),
                builder_nonce(&block, account.address)
            );
            assert!(matches!(
                plain_view.transaction_count(account.address),
                Lookup::NotHere(NotHere::NotCarried)
            ));
        }
    }
    let last_balance = |address| {
        block.iter().rev().find_map(|b| b.executed.account(&address).and_then(|a| a.balance))
    };
    for address in builder.dev_accounts() {
        if let Some(balance) = last_balance(address) {
            assert_eq!(found(view.balance(address)), balance);
        }
        // Without execution the stripped stream knows no balance: never "untouched".
        assert_eq!(plain_view.balance(address).not_here(), Some(NotHere::NotCarried));
    }
    // The contract's code and the slot its call wrote.
    let contract = block[1].executed.receipts[0].contract_address.unwrap();
    assert_eq!(found(view.code(contract)), flashblocks_execute::builder::contract_runtime());
    let slot = found(view.storage_at(contract, B256::with_last_byte(1)));
    assert_ne!(slot, B256::ZERO);
    // The delegated authority's code is the EIP-7702 designator.
    let delegated = block[2]
        .executed
        .accounts
        .iter()
        .find(|a| a.code.as_ref().is_some_and(|c| c.starts_with(&[0xef, 0x01, 0x00])));
    let delegated = delegated.expect("an authority").address;
    assert_eq!(&found(view.code(delegated))[3..], contract.as_slice());
    // Receipts with logs.
    let call = &block[2].executed.receipts[0];
    let receipt = found(view.receipt(call.transaction_hash));
    assert!(receipt.facts.success);
    let logs = receipt.facts.logs.expect("logs");
    assert_eq!(logs[0].topics(), &[LOG_TOPIC]);
    assert_eq!(receipt.facts.cumulative_gas_used, call.cumulative_gas_used());
    assert!(matches!(
        plain_view.receipt(call.transaction_hash),
        Lookup::NotHere(NotHere::NotCarried)
    ));
    let _ = U256::ZERO;
}

#[test]
fn executed_receipts_carry_the_op_fee_fields_as_op_reth_serves_them() {
    for hardfork in [OpHardfork::Isthmus, OpHardfork::Jovian] {
        let mut builder = ExecutingBuilder::new(hardfork);
        let block = builder.next_block(&[vec![TxPlan::Transfer, TxPlan::Deploy]]);
        let check =
            ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
        let mut executing = Validator::new(ValidatorConfig::json()).with_check(Box::new(check));
        let mut overlay = Overlay::new(OverlayConfig::default());
        for built in &block {
            let token = executing.validate(built.json_stripped()).unwrap().into_accepted().unwrap();
            overlay.apply(&token, 1_000).unwrap();
        }
        let snapshot = overlay.snapshot();
        let view = snapshot.at(1_000);
        for executed in block.iter().flat_map(|b| &b.executed.receipts) {
            let rpc = found(view.rpc_receipt(executed.transaction_hash));
            assert_eq!(rpc.l1_block_info, executed.l1_block_info);
            assert_eq!(rpc.inner.blob_gas_used, executed.blob_gas_used);
            let json = serde_json::to_value(&rpc).unwrap();
            // The dev chain's L1 attributes: base fee 1 gwei, operator fee scalar 1 and
            // constant 100, DA footprint gas scalar 400 (Jovian).
            assert_eq!(json["l1GasPrice"], "0x3b9aca00", "{json}");
            assert!(json["l1GasUsed"].as_str().is_some_and(|g| g != "0x0"), "{json}");
            assert_eq!(json["operatorFeeScalar"], "0x1", "{json}");
            assert_eq!(json["operatorFeeConstant"], "0x64", "{json}");
            assert_eq!(json.get("l1FeeScalar"), None, "{json}");
            let deposit =
                matches!(rpc.inner.inner.receipt, op_alloy_consensus::OpReceipt::Deposit(_));
            assert_eq!(json["l1Fee"] == "0x0", deposit, "only a deposit pays no L1 fee: {json}");
            if hardfork == OpHardfork::Jovian {
                assert_eq!(json["daFootprintGasScalar"], "0x190", "{json}");
                assert!(json["blobGasUsed"].as_str().is_some_and(|g| g != "0x0"), "{json}");
            } else {
                assert_eq!(json.get("daFootprintGasScalar"), None, "{json}");
                assert_eq!(json.get("blobGasUsed"), None, "{json}");
            }
        }
    }
}

/// The nonce after the block of `address`, from the builder's executed facts.
fn builder_nonce(
    block: &[flashblocks_execute::builder::BuiltFlashblock],
    address: alloy_primitives::Address,
) -> u64 {
    block.iter().rev().find_map(|b| b.executed.account(&address).map(|a| a.nonce)).unwrap()
}
