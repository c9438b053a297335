//! Known answers from real OP receipts: a block's real L1-info deposit and a real
//! transaction of it, executed by the [`Executor`], give the OP fee fields of the real
//! receipt (`l1GasPrice`, `l1GasUsed`, `l1Fee`, the scalars, the blob base fee), with
//! op-reth's names, number formats and presence rules (no `l1FeeScalar` from Ecotone, no
//! operator fee fields while both are zero, `daFootprintGasScalar` from Jovian).
//!
//! Sources (public chain data; the raw bytes are checked against the cited hashes):
//!
//! - OP Mainnet block 118024092 (Ecotone): its L1-info deposit
//!   <https://optimistic.etherscan.io/tx/0x88501da5d5ca990347c2193be90a07037af1e3820bb40774c8154871c7669150>
//!   (raw bytes as in op-reth's `crates/evm/src/l1.rs` test `sanity_l1_block_ecotone`) and
//!   its second transaction
//!   <https://optimistic.etherscan.io/tx/0xa75ef696bf67439b4d5b61da85de9f3ceaa2e145abe982212101b244b63749c2>
//!   (raw bytes and the receipt's `l1GasUsed` and `l1Fee` as in op-revm's `l1block.rs`
//!   test `calculate_tx_l1_cost_ecotone`, taken from the block explorer).
//! - OP Mainnet block 124665056 (Fjord): its L1-info deposit
//!   <https://optimistic.etherscan.io/tx/0x312e290cf36df704a2217b015d6455396830b0ce678b860ebfcc30f41403d7b1>
//!   and transaction 1
//!   <https://optimistic.etherscan.io/tx/0x1059e8004daff32caa1f1b1ef97fe3a07a8cf40508f5b835b66d9420d87c4a4a>
//!   with its receipt's fee fields, as in op-reth's `crates/rpc/src/eth/receipt.rs` test
//!   `op_receipt_fields_from_block_and_tx` (ethereum-optimism/optimism, `rust/op-reth`).
//! - Base Mainnet block 21713817 (Granite): its L1-info deposit
//!   <https://basescan.org/tx/0x510fd4c47d78ba9f97c91b0f2ace954d5384c169c9545a77a373cf3ef8254e6e>
//!   and <https://basescan.org/tx/0xf9420cbaf66a2dda75a015488d37262cbfd4abd0aad7bb2be8a63e14b1fa7a94>
//!   with its receipt's fee fields, as in the same op-reth file's test
//!   `base_receipt_gas_fields` (paradigmxyz/reth#12177).
//! - Base Mainnet, Jovian: the receipt of
//!   <https://basescan.org/tx/0x88251ecee66b4a0685ebafda5475bb6cb2f78dc47515f99af89f6613d9e8b9c5>
//!   (an ERC-20 transfer, 2026-08-27, as `mainnet.base.org` served it: `l1Fee`
//!   0x16f7e4a7, `l1GasUsed` 0x640, `l1GasPrice` 0x28c5f1f, `l1BaseFeeScalar` 0x8dd,
//!   `l1BlobBaseFee` 0x2142b4, `l1BlobBaseFeeScalar` 0x101c12, no operator fee fields)
//!   and Base's Jovian L1 attributes of that day (operator fee 0, `daFootprintGasScalar`
//!   0x94, in the L1-info deposit
//!   `0xf2ce0df573e29032b7a0ec2fd3c487af876453a61efa04c2fc2baf3e10b95c86`). Neither that
//!   block's L1-info deposit nor the transaction's raw bytes were recorded: the L1
//!   attributes are rebuilt from the receipt's own fields, and the transaction is the
//!   real Base transaction above, whose compressed size is, like the ERC-20 transfer's
//!   (`l1GasUsed` 0x640 = 16 × the 100-byte floor), at the Fjord floor, so the L1 gas
//!   and fee do not depend on the bytes.
//!
//! No predeploy bytecode is available offline: the `L1Block` predeploy is a stand-in
//! whose storage holds what the real deposit's `setL1BlockValues*` call writes there
//! (the slots op-revm reads), laid out here from the deposit's calldata; the executor
//! then runs the real deposit and the real transaction on it.

use alloy_consensus::{transaction::SignerRecoverable, Transaction as _};
use alloy_eips::Decodable2718;
use alloy_primitives::{b256, hex, keccak256, map::HashMap, Address, Bytes, B256, U256};
use flashblocks_execute::{ChainConfig, Executor, InMemoryAccount, InMemoryState, InMemoryStates};
use flashblocks_types::{
    devnet::L1_BLOCK, ExecutionPayloadStaticV1, Flashblock, FlashblockJson, JsonDiff, PayloadId,
};
use op_alloy_consensus::OpTxEnvelope;
use serde_json::{json, Value};

/// OP Mainnet block 118024092's L1-info deposit (Ecotone calldata).
const OP_118024092_L1_INFO: &[u8] = &hex!("7ef8f8a0a539eb753df3b13b7e386e147d45822b67cb908c9ddc5618e3dbaa22ed00850b94deaddeaddeaddeaddeaddeaddeaddeaddead00019442000000000000000000000000000000000000158080830f424080b8a4440a5e2000000558000c5fc50000000000000000000000006605a89f00000000012a10d90000000000000000000000000000000000000000000000000000000af39ac3270000000000000000000000000000000000000000000000000000000d5ea528d24e582fa68786f080069bdbfe06a43f8e67bfd31b8e4d8a8837ba41da9a82a54a0000000000000000000000006887246668a3b87f54deb3b94ba47a6f63f32985");
/// Its second transaction.
const OP_118024092_TX: &[u8] = &hex!("02f8b30a832253fc8402d11f39842c8a46398301388094dc6ff44d5d932cbd77b52e5612ba0529dc6226f180b844a9059cbb000000000000000000000000d43e02db81f4d46cdf8521f623d21ea0ec7562a50000000000000000000000000000000000000000000000008ac7230489e80000c001a02947e24750723b48f886931562c55d9e07f856d8e06468e719755e18bbc3a570a0784da9ce59fd7754ea5be6e17a86b348e441348cd48ace59d174772465eadbd1");

/// OP Mainnet block 124665056's L1-info deposit (Ecotone calldata, Fjord active).
const OP_124665056_L1_INFO: &[u8] = &hex!("7ef8f8a0683079df94aa5b9cf86687d739a60a9b4f0835e520ec4d664e2e415dca17a6df94deaddeaddeaddeaddeaddeaddeaddeaddead00019442000000000000000000000000000000000000158080830f424080b8a4440a5e200000146b000f79c500000000000000040000000066d052e700000000013ad8a3000000000000000000000000000000000000000000000000000000003ef1278700000000000000000000000000000000000000000000000000000000000000012fdf87b89884a61e74b322bbcf60386f543bfae7827725efaaf0ab1de2294a590000000000000000000000006887246668a3b87f54deb3b94ba47a6f63f32985");
/// Its transaction 1.
const OP_124665056_TX: &[u8] = &hex!("02f904940a8303fba78401d6d2798401db2b6d830493e0943e6f4f7866654c18f536170780344aa8772950b680b904246a761202000000000000000000000000087000a300de7200382b55d40045000000e5d60e0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000014000000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003a0000000000000000000000000000000000000000000000000000000000000022482ad56cb0000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000400000000000000000000000000000000000000000000000000000000000000120000000000000000000000000dc6ff44d5d932cbd77b52e5612ba0529dc6226f1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000600000000000000000000000000000000000000000000000000000000000000044095ea7b300000000000000000000000021c4928109acb0659a88ae5329b5374a3024694c0000000000000000000000000000000000000000000000049b9ca9a6943400000000000000000000000000000000000000000000000000000000000000000000000000000000000021c4928109acb0659a88ae5329b5374a3024694c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000600000000000000000000000000000000000000000000000000000000000000024b6b55f250000000000000000000000000000000000000000000000049b9ca9a694340000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000415ec214a3950bea839a7e6fbb0ba1540ac2076acd50820e2d5ef83d0902cdffb24a47aff7de5190290769c4f0a9c6fabf63012986a0d590b1b571547a8c7050ea1b00000000000000000000000000000000000000000000000000000000000000c080a06db770e6e25a617fe9652f0958bd9bd6e49281a53036906386ed39ec48eadf63a07f47cf51a4a40b4494cf26efc686709a9b03939e20ee27e59682f5faa536667e");

/// Base Mainnet block 21713817's L1-info deposit (Ecotone calldata, Granite active).
const BASE_21713817_L1_INFO: &[u8] = &hex!("7ef8f8a0389e292420bcbf9330741f72074e39562a09ff5a00fd22e4e9eee7e34b81bca494deaddeaddeaddeaddeaddeaddeaddeaddead00019442000000000000000000000000000000000000158080830f424080b8a4440a5e20000008dd00101c120000000000000004000000006721035b00000000014189960000000000000000000000000000000000000000000000000000000349b4dcdc000000000000000000000000000000000000000000000000000000004ef9325cc5991ce750960f636ca2ffbb6e209bb3ba91412f21dd78c14ff154d1930f1f9a0000000000000000000000005050f69a9786f081509234f1a7f4684b5e5b76c9");
/// A Base Mainnet transaction of that block.
const BASE_21713817_TX: &[u8] = &hex!("02f86c8221058034839a4ae283021528942f16386bb37709016023232523ff6d9daf444be380841249c58bc080a001b927eda2af9b00b52a57be0885e0303c39dd2831732e14051c2336470fd468a0681bf120baf562915841a48601c2b54a6742511e535cf8f71c95115af7ff63bd");

/// One known answer: a block's L1-info deposit and one of its transactions, and the
/// OP fee fields of that transaction's real receipt.
struct Case {
    chain: ChainConfig,
    number: u64,
    timestamp: u64,
    l1_info: Bytes,
    l1_info_hash: Option<B256>,
    tx: &'static [u8],
    tx_hash: B256,
    /// The real receipt's fee fields, as JSON.
    receipt: Value,
    /// Fields the real receipt does not have.
    absent: &'static [&'static str],
}

/// The `L1Block` slots op-revm reads, as `setL1BlockValuesEcotone` / `Isthmus` /
/// `Jovian` write them from the packed calldata (after the selector: base fee scalar
/// 0..4, blob base fee scalar 4..8, sequence number 8..16, L1 base fee 32..64, blob base
/// fee 64..96; Isthmus: operator fee scalar 160..164, constant 164..172; Jovian: DA
/// footprint gas scalar 172..174).
fn l1_block_storage(input: &[u8]) -> HashMap<U256, U256> {
    let data = &input[4..];
    let word = |range: std::ops::Range<usize>| U256::from_be_slice(&data[range]);
    let mut storage = HashMap::default();
    storage.insert(U256::from(1), word(32..64));
    let mut scalars = [0u8; 32];
    scalars[16..20].copy_from_slice(&data[0..4]);
    scalars[20..24].copy_from_slice(&data[4..8]);
    scalars[24..32].copy_from_slice(&data[8..16]);
    storage.insert(U256::from(3), U256::from_be_bytes(scalars));
    storage.insert(U256::from(7), word(64..96));
    if data.len() >= 172 {
        let mut operator = [0u8; 32];
        if data.len() >= 174 {
            operator[18..20].copy_from_slice(&data[172..174]);
        }
        operator[20..24].copy_from_slice(&data[160..164]);
        operator[24..32].copy_from_slice(&data[164..172]);
        storage.insert(U256::from(8), U256::from_be_bytes(operator));
    }
    storage
}

/// The fee fields of the executed receipt of `case.tx` (with `blobGasUsed`), as the
/// JSON-RPC receipt serializes them.
fn executed_fee_fields(case: &Case) -> Value {
    assert_eq!(keccak256(case.tx), case.tx_hash, "the transaction's raw bytes");
    if let Some(hash) = case.l1_info_hash {
        assert_eq!(keccak256(&case.l1_info), hash, "the L1-info deposit's raw bytes");
    }
    let tx = OpTxEnvelope::decode_2718_exact(case.tx).unwrap();
    let sender = tx.recover_signer().unwrap();
    let OpTxEnvelope::Deposit(deposit) = OpTxEnvelope::decode_2718_exact(&case.l1_info).unwrap()
    else {
        panic!("the L1-info transaction is a deposit")
    };
    let accounts = [
        (
            sender,
            InMemoryAccount {
                balance: U256::from(10u128.pow(21)),
                nonce: tx.nonce(),
                ..Default::default()
            },
        ),
        (
            L1_BLOCK,
            InMemoryAccount {
                nonce: 1,
                code: Bytes::from_static(&[0x00]),
                storage: l1_block_storage(&deposit.input),
                ..Default::default()
            },
        ),
    ];
    let parent = B256::repeat_byte(0x11);
    let mut states = InMemoryStates::default();
    states.insert(parent, InMemoryState::new(accounts));
    let base = ExecutionPayloadStaticV1 {
        parent_beacon_block_root: B256::repeat_byte(0x22),
        parent_hash: parent,
        fee_recipient: Address::repeat_byte(0x33),
        prev_randao: B256::repeat_byte(0x44),
        block_number: case.number,
        gas_limit: 30_000_000,
        timestamp: case.timestamp,
        extra_data: Bytes::new(),
        base_fee_per_gas: U256::from(1_000),
    };
    let json = FlashblockJson {
        payload_id: PayloadId::new([7; 8]),
        index: 0,
        base: Some(base),
        diff: JsonDiff {
            transactions: vec![case.l1_info.clone(), Bytes::copy_from_slice(case.tx)],
            ..Default::default()
        },
        metadata: Default::default(),
        target_index: None,
    };
    let executor = Executor::new(case.chain.clone(), states);
    let execution = executor.execute(&Flashblock::from_json(json), true).unwrap();
    let receipts = &execution.metadata().receipts;
    assert_eq!(receipts.len(), 2);
    assert!(receipts[1].status(), "the transaction runs");
    // The deposit's receipt has the block's L1 fields, with a zero L1 fee (op-reth).
    assert_eq!(receipts[0].l1_block_info.l1_fee, Some(0));
    assert_eq!(receipts[0].l1_block_info.l1_gas_price, receipts[1].l1_block_info.l1_gas_price);
    let mut fields = serde_json::to_value(receipts[1].l1_block_info).unwrap();
    if let Some(blob_gas_used) = receipts[1].blob_gas_used {
        fields["blobGasUsed"] = json!(format!("{blob_gas_used:#x}"));
    }
    fields
}

fn check(case: &Case) {
    let fields = executed_fee_fields(case);
    for (name, real) in case.receipt.as_object().unwrap() {
        assert_eq!(fields.get(name), Some(real), "{name}: executed {fields}");
    }
    for name in case.absent {
        assert_eq!(fields.get(*name), None, "{name} is absent from the real receipt");
    }
}

/// Every field a receipt can have that a pre-Isthmus receipt with a zero operator fee
/// has not, and that only a pre-Ecotone receipt has.
const NOT_BEFORE_JOVIAN: &[&str] = &[
    "l1FeeScalar",
    "operatorFeeScalar",
    "operatorFeeConstant",
    "daFootprintGasScalar",
    "blobGasUsed",
];

#[test]
fn op_mainnet_ecotone_receipt() {
    check(&Case {
        chain: ChainConfig::op_mainnet(),
        number: 118_024_092,
        timestamp: 1_711_603_765,
        l1_info: Bytes::from_static(OP_118024092_L1_INFO),
        l1_info_hash: Some(b256!(
            "88501da5d5ca990347c2193be90a07037af1e3820bb40774c8154871c7669150"
        )),
        tx: OP_118024092_TX,
        tx_hash: b256!("a75ef696bf67439b4d5b61da85de9f3ceaa2e145abe982212101b244b63749c2"),
        receipt: json!({
            "l1GasPrice": "0xaf39ac327",
            "l1GasUsed": "0x998",
            "l1Fee": "0x6a510bd7431",
            "l1BaseFeeScalar": "0x558",
            "l1BlobBaseFee": "0xd5ea528d2",
            "l1BlobBaseFeeScalar": "0xc5fc5",
        }),
        absent: NOT_BEFORE_JOVIAN,
    });
}

#[test]
fn op_mainnet_fjord_receipt() {
    check(&Case {
        chain: ChainConfig::op_mainnet(),
        number: 124_665_056,
        timestamp: 1_724_928_889,
        l1_info: Bytes::from_static(OP_124665056_L1_INFO),
        l1_info_hash: Some(b256!(
            "312e290cf36df704a2217b015d6455396830b0ce678b860ebfcc30f41403d7b1"
        )),
        tx: OP_124665056_TX,
        tx_hash: b256!("1059e8004daff32caa1f1b1ef97fe3a07a8cf40508f5b835b66d9420d87c4a4a"),
        receipt: json!({
            "l1GasPrice": format!("{:#x}", 1_055_991_687u64),
            "l1GasUsed": format!("{:#x}", 4471),
            "l1Fee": format!("{:#x}", 24_681_034_813u64),
            "l1BaseFeeScalar": format!("{:#x}", 5227),
            "l1BlobBaseFee": "0x1",
            "l1BlobBaseFeeScalar": format!("{:#x}", 1_014_213),
        }),
        absent: NOT_BEFORE_JOVIAN,
    });
}

#[test]
fn base_mainnet_granite_receipt() {
    check(&Case {
        chain: ChainConfig::base_mainnet(),
        number: 21_713_817,
        timestamp: 1_730_216_981,
        l1_info: Bytes::from_static(BASE_21713817_L1_INFO),
        l1_info_hash: Some(b256!(
            "510fd4c47d78ba9f97c91b0f2ace954d5384c169c9545a77a373cf3ef8254e6e"
        )),
        tx: BASE_21713817_TX,
        tx_hash: b256!("f9420cbaf66a2dda75a015488d37262cbfd4abd0aad7bb2be8a63e14b1fa7a94"),
        receipt: json!({
            "l1GasPrice": format!("{:#x}", 14_121_491_676u64),
            "l1GasUsed": format!("{:#x}", 1600),
            "l1Fee": format!("{:#x}", 191_150_293_412u64),
            "l1BaseFeeScalar": format!("{:#x}", 2269),
            "l1BlobBaseFee": format!("{:#x}", 1_324_954_204u64),
            "l1BlobBaseFeeScalar": format!("{:#x}", 1_055_762),
        }),
        absent: NOT_BEFORE_JOVIAN,
    });
}

/// Jovian L1-info calldata (`setL1BlockValuesJovian`, sequence number, L1 block and
/// hashes zero) with these values.
fn jovian_calldata(
    scalars: (u32, u32),
    l1_base_fee: u64,
    blob_base_fee: u64,
    operator: (u32, u64),
    da_footprint_gas_scalar: u16,
) -> Vec<u8> {
    let mut input = hex!("3db6be2b").to_vec();
    input.extend_from_slice(&scalars.0.to_be_bytes());
    input.extend_from_slice(&scalars.1.to_be_bytes());
    input.extend_from_slice(&[0; 24]); // sequence number, L1 timestamp, L1 number
    input.extend_from_slice(&U256::from(l1_base_fee).to_be_bytes::<32>());
    input.extend_from_slice(&U256::from(blob_base_fee).to_be_bytes::<32>());
    input.extend_from_slice(&[0; 64]); // L1 hash, batcher hash
    input.extend_from_slice(&operator.0.to_be_bytes());
    input.extend_from_slice(&operator.1.to_be_bytes());
    input.extend_from_slice(&da_footprint_gas_scalar.to_be_bytes());
    assert_eq!(input.len(), 4 + 174);
    input
}

/// An L1-info deposit with `input`.
fn l1_info_deposit(input: Vec<u8>) -> Bytes {
    use alloy_eips::Encodable2718;
    let deposit = op_alloy_consensus::TxDeposit {
        source_hash: B256::repeat_byte(0x55),
        from: flashblocks_types::devnet::L1_INFO_DEPOSITOR,
        to: alloy_primitives::TxKind::Call(L1_BLOCK),
        mint: 0,
        value: U256::ZERO,
        gas_limit: 1_000_000,
        is_system_transaction: false,
        input: input.into(),
    };
    OpTxEnvelope::Deposit(deposit.seal()).encoded_2718().into()
}

#[test]
fn base_mainnet_jovian_receipt() {
    // Base Mainnet on 2026-08-27 (block 0x3033cf2's time): the L1 attributes of the
    // receipt of 0x88251ece…, Base's zero operator fee and DA footprint gas scalar 0x94.
    let l1_info =
        l1_info_deposit(jovian_calldata((0x8dd, 0x10_1c12), 0x28c_5f1f, 0x21_42b4, (0, 0), 0x94));
    let case = Case {
        chain: ChainConfig::base_mainnet(),
        number: 0x303_3cf2,
        timestamp: 0x6a90_d6c7,
        l1_info,
        l1_info_hash: None,
        tx: BASE_21713817_TX,
        tx_hash: b256!("f9420cbaf66a2dda75a015488d37262cbfd4abd0aad7bb2be8a63e14b1fa7a94"),
        receipt: json!({
            "l1GasPrice": "0x28c5f1f",
            "l1GasUsed": "0x640",
            "l1Fee": "0x16f7e4a7",
            "l1BaseFeeScalar": "0x8dd",
            "l1BlobBaseFee": "0x2142b4",
            "l1BlobBaseFeeScalar": "0x101c12",
            "daFootprintGasScalar": "0x94",
            // op-reth: the estimated size (the 100-byte floor) times the scalar.
            "blobGasUsed": format!("{:#x}", 100 * 0x94),
        }),
        absent: &["l1FeeScalar", "operatorFeeScalar", "operatorFeeConstant"],
    };
    assert_eq!(case.chain.hardfork_at(case.timestamp), alloy_op_hardforks::OpHardfork::Jovian);
    check(&case);
}

#[test]
fn jovian_operator_fee_fields_are_served_when_one_is_not_zero() {
    // BOB Mainnet block 38,821,851's real Jovian L1 attributes (operator fee scalar 0,
    // constant 1.5e13, DA footprint gas scalar 400; the block's OperatorFeeVault rose by
    // 1.5e13 a transaction) on the same transaction: both operator fields appear, the
    // zero scalar too (op-reth's rule; the source recorded no receipt JSON).
    let calldata = hex!("3db6be2b001e8480000955060000000000000004000000006ab8f29700000000018dc5200000000000000000000000000000000000000000000000000000000003ea758700000000000000000000000000000000000000000000000000000000003b927cc8d0ea7508cfe24b335f09e985abf1e80cc7bc6996339304fe6698e418be29aa00000000000000000000000008f9f14ff43e112b18c96f0986f28cb1878f1d110000000000000da475abf0000190");
    let case = Case {
        chain: ChainConfig::base_mainnet(),
        number: 0x303_3cf2,
        timestamp: 0x6a90_d6c7,
        l1_info: l1_info_deposit(calldata.to_vec()),
        l1_info_hash: None,
        tx: BASE_21713817_TX,
        tx_hash: b256!("f9420cbaf66a2dda75a015488d37262cbfd4abd0aad7bb2be8a63e14b1fa7a94"),
        receipt: json!({
            "l1GasPrice": "0x3ea7587",
            "l1BaseFeeScalar": "0x1e8480",
            "l1BlobBaseFee": "0x3b927c",
            "l1BlobBaseFeeScalar": "0x95506",
            "operatorFeeScalar": "0x0",
            "operatorFeeConstant": format!("{:#x}", 15_000_000_000_000u64),
            "daFootprintGasScalar": "0x190",
        }),
        absent: &["l1FeeScalar"],
    };
    check(&case);
}
