//! The OP fee fields of an executed receipt, as op-reth serves them on
//! `eth_getTransactionReceipt`.
//!
//! The values come from the L1 block info op-revm reads from the `L1Block` predeploy
//! (what the block's L1-info deposit wrote) and the transaction's EIP-2718 encoding; the
//! names, presence rules and number formats are those of op-alloy's RPC
//! [`L1BlockInfo`](op_alloy_rpc_types::L1BlockInfo), filled as op-reth's receipt builder
//! fills it:
//!
//! | field | present | value |
//! | --- | --- | --- |
//! | `l1GasPrice` | always | the L1 base fee |
//! | `l1GasUsed` | always | the data gas (before Fjord the calldata's, from Fjord 16 × the estimated compressed size), plus the Bedrock overhead before Ecotone |
//! | `l1Fee` | always | the L1 data fee charged (zero for a deposit) |
//! | `l1FeeScalar` | before Ecotone | the scalar / 10^6, as a decimal string |
//! | `l1BaseFeeScalar` | always | the base fee scalar |
//! | `l1BlobBaseFee`, `l1BlobBaseFeeScalar` | from Ecotone | as the L1 attributes set them |
//! | `operatorFeeScalar`, `operatorFeeConstant` | from Isthmus, when one is not zero | as the L1 attributes set them |
//! | `daFootprintGasScalar` | from Jovian | as the L1 attributes set it |
//! | `blobGasUsed` | from Jovian | the estimated compressed size / 10^6 × `daFootprintGasScalar` |
//!
//! Deposits get the L1 fields too (op-reth fills them for every receipt of a block),
//! with a zero `l1Fee`.

use alloy_primitives::U256;
use op_alloy_rpc_types::L1BlockInfo as RpcL1BlockInfo;
use op_revm::{constants::NON_ZERO_BYTE_COST, estimate_tx_compressed_size, L1BlockInfo, OpSpecId};

/// A receipt's OP fee fields: those of op-alloy's RPC `L1BlockInfo` and, from Jovian,
/// the `blobGasUsed` that holds the transaction's DA footprint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FeeFields {
    pub(crate) l1_block_info: RpcL1BlockInfo,
    pub(crate) blob_gas_used: Option<u64>,
}

/// The fee fields of the receipt of the transaction with EIP-2718 encoding `raw`, under
/// `info` (the L1 block info of its block) and `spec`.
///
/// From Fjord the L1 fee, the data gas and Jovian's DA footprint all scale one `FastLZ`
/// estimate of the compressed size, taken once here (op-revm's `calculate_tx_l1_cost`,
/// `data_gas` and `estimate_tx_compressed_size` would each compress the transaction; the
/// test `fjord_fields_are_op_revms` holds the two to the same values). Before Fjord,
/// op-revm's own functions.
pub(crate) fn receipt_fee_fields(
    info: &L1BlockInfo,
    raw: &[u8],
    is_deposit: bool,
    spec: OpSpecId,
) -> FeeFields {
    let to_u128 = |v: U256| v.saturating_to::<u128>();
    let ecotone = spec.is_enabled_in(OpSpecId::ECOTONE);
    let (l1_fee, data_gas, estimated_size) = if spec.is_enabled_in(OpSpecId::FJORD) {
        let estimated = estimate_tx_compressed_size(raw);
        let size = U256::from(estimated);
        let l1_fee = if is_deposit || raw.is_empty() {
            U256::ZERO
        } else {
            // `estimatedSize * (baseFeeScalar * l1BaseFee * 16 + blobFeeScalar *
            // l1BlobBaseFee) / 1e12`, as op-revm's Fjord cost function.
            let scaled = info
                .l1_base_fee
                .saturating_mul(U256::from(NON_ZERO_BYTE_COST))
                .saturating_mul(info.l1_base_fee_scalar)
                .saturating_add(
                    info.l1_blob_base_fee
                        .unwrap_or_default()
                        .saturating_mul(info.l1_blob_base_fee_scalar.unwrap_or_default()),
                );
            size.saturating_mul(scaled).wrapping_div(U256::from(1_000_000_000_000u64))
        };
        let data_gas =
            size.saturating_mul(U256::from(NON_ZERO_BYTE_COST)).wrapping_div(U256::from(1_000_000));
        (l1_fee, data_gas, Some(estimated))
    } else {
        // op-revm caches the last transaction's L1 cost: each transaction computes its own.
        let mut info = info.clone();
        info.clear_tx_l1_cost();
        let l1_fee = if is_deposit { U256::ZERO } else { info.calculate_tx_l1_cost(raw, spec) };
        (l1_fee, info.data_gas(raw, spec), None)
    };
    let overhead = if ecotone { U256::ZERO } else { info.l1_fee_overhead.unwrap_or_default() };
    let l1_gas_used = data_gas.saturating_add(overhead);
    let operator_fee = info.operator_fee_scalar.is_some_and(|s| !s.is_zero())
        || info.operator_fee_constant.is_some_and(|c| !c.is_zero());
    let l1_block_info = RpcL1BlockInfo {
        l1_gas_price: Some(to_u128(info.l1_base_fee)),
        l1_gas_used: Some(to_u128(l1_gas_used)),
        l1_fee: Some(to_u128(l1_fee)),
        l1_fee_scalar: (!ecotone).then(|| f64::from(info.l1_base_fee_scalar) / 1_000_000.0),
        l1_base_fee_scalar: Some(to_u128(info.l1_base_fee_scalar)),
        l1_blob_base_fee: info.l1_blob_base_fee.map(to_u128),
        l1_blob_base_fee_scalar: info.l1_blob_base_fee_scalar.map(to_u128),
        operator_fee_scalar: info.operator_fee_scalar.filter(|_| operator_fee).map(to_u128),
        operator_fee_constant: info.operator_fee_constant.filter(|_| operator_fee).map(to_u128),
        da_footprint_gas_scalar: info.da_footprint_gas_scalar,
    };
    let blob_gas_used = spec.is_enabled_in(OpSpecId::JOVIAN).then(|| {
        (estimated_size.unwrap_or_default() / 1_000_000)
            .saturating_mul(u64::from(info.da_footprint_gas_scalar.unwrap_or_default()))
    });
    FeeFields { l1_block_info, blob_gas_used }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn isthmus_info(scalar: u64, constant: u64) -> L1BlockInfo {
        L1BlockInfo {
            l1_base_fee: U256::from(1_000_000_000u64),
            l1_base_fee_scalar: U256::from(1368),
            l1_blob_base_fee: Some(U256::from(1)),
            l1_blob_base_fee_scalar: Some(U256::from(810_949)),
            operator_fee_scalar: Some(U256::from(scalar)),
            operator_fee_constant: Some(U256::from(constant)),
            ..Default::default()
        }
    }

    const TRANSFER: [u8; 3] = [0x02, 0xc0, 0x80];

    /// `len` bytes that do not compress (a linear congruential sequence).
    fn incompressible(len: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_u32;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn operator_fee_fields_are_present_only_when_one_is_not_zero() {
        for (scalar, constant, present) in [(0, 0, false), (0, 2, true), (3, 0, true)] {
            let fields = receipt_fee_fields(
                &isthmus_info(scalar, constant),
                &TRANSFER,
                false,
                OpSpecId::ISTHMUS,
            );
            let info = fields.l1_block_info;
            assert_eq!(info.operator_fee_scalar, present.then_some(u128::from(scalar)));
            assert_eq!(info.operator_fee_constant, present.then_some(u128::from(constant)));
            assert_eq!(fields.blob_gas_used, None, "no DA footprint before Jovian");
        }
    }

    #[test]
    fn a_deposit_has_the_l1_fields_with_a_zero_l1_fee() {
        let deposit = [0x7e, 0xc0];
        let fields = receipt_fee_fields(&isthmus_info(1, 1), &deposit, true, OpSpecId::ISTHMUS);
        let info = fields.l1_block_info;
        assert_eq!(info.l1_fee, Some(0));
        assert_eq!(info.l1_gas_price, Some(1_000_000_000));
        assert!(info.l1_gas_used.is_some_and(|g| g > 0));
        assert_eq!(info.l1_blob_base_fee_scalar, Some(810_949));
    }

    #[test]
    fn each_transaction_computes_its_own_l1_fee() {
        // op-revm caches the last L1 cost: a longer second transaction costs more.
        let info = isthmus_info(0, 0);
        let short = receipt_fee_fields(&info, &TRANSFER, false, OpSpecId::ISTHMUS);
        let long = receipt_fee_fields(&info, &incompressible(4096), false, OpSpecId::ISTHMUS);
        assert!(long.l1_block_info.l1_fee > short.l1_block_info.l1_fee);
    }

    #[test]
    fn jovian_adds_the_da_footprint_and_its_scalar() {
        let info = L1BlockInfo { da_footprint_gas_scalar: Some(400), ..isthmus_info(0, 0) };
        let raw = incompressible(4096);
        let fields = receipt_fee_fields(&info, &raw, false, OpSpecId::JOVIAN);
        assert_eq!(fields.l1_block_info.da_footprint_gas_scalar, Some(400));
        let size = estimate_tx_compressed_size(&raw) / 1_000_000;
        assert!(size > 0);
        assert_eq!(fields.blob_gas_used, Some(size * 400));
    }

    #[test]
    fn before_ecotone_the_scalar_is_a_decimal_and_the_overhead_is_charged_gas() {
        let info = L1BlockInfo {
            l1_base_fee: U256::from(652_114),
            l1_fee_overhead: Some(U256::from(2100)),
            l1_base_fee_scalar: U256::from(1_000_000),
            ..Default::default()
        };
        let fields = receipt_fee_fields(&info, &TRANSFER, false, OpSpecId::REGOLITH);
        let json = serde_json::to_value(fields.l1_block_info).unwrap();
        assert_eq!(json["l1FeeScalar"], "1");
        let data_gas = info.data_gas(&TRANSFER, OpSpecId::REGOLITH).to::<u128>();
        assert_eq!(fields.l1_block_info.l1_gas_used, Some(data_gas + 2100));
        assert_eq!(json.get("l1BlobBaseFee"), None);
    }

    /// From Fjord the fields come from one compression: the same values as op-revm's
    /// `calculate_tx_l1_cost` and `data_gas`, each computing its own, over transactions
    /// of every size and compressibility and L1 parameters small, large and saturating.
    #[test]
    fn fjord_fields_are_op_revms() {
        let params = [
            (1_000_000_000u64, 1368u64, 1u64, 810_949u64),
            (7, 0, 0, 0),
            (0, 0, 3, 5),
            (u64::MAX, u64::MAX, u64::MAX, u64::MAX),
        ];
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), TRANSFER.to_vec(), vec![0x7e, 0xc0]];
        for len in [1, 31, 100, 200, 1_000, 70_000] {
            inputs.push(incompressible(len));
            inputs.push(vec![0u8; len]);
            inputs.push((0..len).map(|i| (i % 7) as u8).collect());
        }
        for (base_fee, scalar, blob_fee, blob_scalar) in params {
            let info = L1BlockInfo {
                l1_base_fee: U256::from(base_fee),
                l1_base_fee_scalar: U256::from(scalar),
                l1_blob_base_fee: Some(U256::from(blob_fee)),
                l1_blob_base_fee_scalar: Some(U256::from(blob_scalar)),
                da_footprint_gas_scalar: Some(400),
                ..Default::default()
            };
            for spec in [OpSpecId::FJORD, OpSpecId::ISTHMUS, OpSpecId::JOVIAN] {
                for raw in &inputs {
                    let is_deposit = raw.first() == Some(&0x7e);
                    let fields = receipt_fee_fields(&info, raw, is_deposit, spec).l1_block_info;
                    let mut theirs = info.clone();
                    let fee = if is_deposit {
                        U256::ZERO
                    } else {
                        theirs.calculate_tx_l1_cost(raw, spec)
                    };
                    let gas = theirs.data_gas(raw, spec);
                    let at = format!("{spec:?} len {} params {base_fee}", raw.len());
                    assert_eq!(fields.l1_fee, Some(fee.saturating_to::<u128>()), "{at}");
                    assert_eq!(fields.l1_gas_used, Some(gas.saturating_to::<u128>()), "{at}");
                }
            }
        }
    }
}
