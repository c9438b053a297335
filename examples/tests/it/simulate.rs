//! The simulated builder makes valid, deterministic blocks whose hashes verify.

use alloy_consensus::proofs::calculate_receipt_root;
use alloy_consensus::Transaction as _;
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::U256;
use flashblocks_assemble::BlockHashCheck;
use flashblocks_examples::simulate::{
    dev_signers, simulate, SimulationConfig, DEV_KEYS, INITIAL_BALANCE, L1_BLOCK, TRANSFER_GAS,
};
use flashblocks_types::{Flashblock, DEPOSIT_TX_TYPE};
use flashblocks_validate::{Validator, ValidatorConfig};
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope};

#[test]
fn dev_keys_are_the_devnet_accounts() {
    let signers = dev_signers();
    assert_eq!(signers.len(), DEV_KEYS.len());
    assert_eq!(signers[0].address().to_string(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert_eq!(INITIAL_BALANCE, U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18)));
}

#[test]
fn blocks_pass_every_rule_and_the_block_hash_check() {
    let config = SimulationConfig::default();
    let sim = simulate(&config).unwrap();
    assert_eq!(sim.ssz_frames(), simulate(&config).unwrap().ssz_frames(), "deterministic");
    let mut validator =
        Validator::new(ValidatorConfig::v1()).with_check(Box::new(BlockHashCheck::default()));
    for frame in sim.ssz_frames() {
        let validated = validator.validate_frame(&frame).unwrap();
        assert!(validated.outcome.is_accepted());
    }
    // Each block's first transaction is the L1-info deposit; the others are signed
    // EIP-1559 transfers whose senders recover to the development accounts.
    let senders: Vec<_> = dev_signers().iter().map(|s| s.address()).collect();
    for block in &sim.blocks {
        let first = Flashblock::from(block[0].clone());
        assert_eq!(first.transactions()[0][0], DEPOSIT_TX_TYPE);
        for fb in block {
            let skip = usize::from(fb.index == 0);
            for raw in fb.diff.transactions.iter().skip(skip) {
                let tx = OpTxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
                let OpTxEnvelope::Eip1559(signed) = &tx else { panic!("not EIP-1559") };
                assert_eq!(signed.tx().gas_limit(), TRANSFER_GAS);
                assert!(senders.contains(&signed.recover_signer().unwrap()));
            }
        }
    }
    // The metadata's post-state adds up to the builder's final state.
    let last_nonce = sim
        .flashblocks()
        .flat_map(|fb| fb.metadata.accounts.iter())
        .filter(|a| a.address == senders[0])
        .map(|a| a.nonce)
        .last();
    assert_eq!(last_nonce, Some(sim.final_state[&senders[0]].1));
    let sent = sim.transactions.iter().filter(|t| t.from == senders[0]).count() as u64;
    assert_eq!(sim.final_state[&senders[0]].1, sent);
    assert_eq!(sim.l1_block_storage.len(), 3);

    // Each block's receipts root is the trie root of its receipts rebuilt from the
    // metadata (status, cumulative gas) and the deposit nonces.
    for block in &sim.blocks {
        let mut cumulative = 0;
        let mut receipts = Vec::new();
        for fb in block {
            for (raw, meta) in fb.diff.transactions.iter().zip(&fb.metadata.transactions) {
                cumulative += meta.gas_used;
                let tx = OpTxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
                let nonce = tx.as_deposit().map(|_| {
                    sim.transactions.iter().find(|t| t.hash == tx.tx_hash()).unwrap().nonce
                });
                receipts.push(OpReceiptEnvelope::from_parts(
                    meta.status == 1,
                    cumulative,
                    [],
                    tx.tx_type(),
                    nonce,
                    nonce.map(|_| 1),
                ));
            }
            assert_eq!(fb.diff.gas_used, cumulative);
            assert_eq!(fb.diff.receipts_root, calculate_receipt_root(&receipts));
        }
    }
    assert!(sim.final_state.contains_key(&L1_BLOCK));
}
