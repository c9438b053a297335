//! Sequencer-Defined Metering (ethereum-optimism/specs `specs/protocol/lagoon/sdm.md`):
//! settling one transaction's gas refund.

use alloy_primitives::{Address, U256};
use op_revm::{
    constants::{BASE_FEE_RECIPIENT, OPERATOR_FEE_RECIPIENT},
    L1BlockInfo, OpSpecId,
};

/// One transaction's SDM settlement (ethereum-optimism/specs `specs/protocol/lagoon/sdm.md`):
/// its canonical gas and the four balance moves.
///
/// From Lagoon a block's post-execution transaction (type `0x7D`, op-alloy's
/// [`TxPostExec`](op_alloy_consensus::TxPostExec)) names transactions of the block with
/// a gas refund ([`SDMGasEntry`](op_alloy_consensus::SDMGasEntry)). The EVM has already
/// charged the sender and paid the fee recipient and the vaults for the EVM gas; the
/// refund rolls that back for the refunded gas, as part of the transaction's own state
/// change:
///
/// | | amount |
/// | --- | --- |
/// | canonical gas (the receipt's `gasUsed`, the block's cumulative gas) | EVM gas − refund |
/// | sender, credited | refund × effective gas price + operator fee delta |
/// | fee recipient (`base.fee_recipient`), debited | refund × (effective gas price − base fee), at least 0 |
/// | base fee vault (`0x4200…0019`), debited | refund × base fee |
/// | operator fee vault (`0x4200…001b`), debited | operator fee delta |
///
/// where the operator fee delta is the operator fee op-revm charges for the EVM gas minus
/// the one it would charge for the canonical gas (each rounded as op-revm rounds it:
/// Isthmus `gas × scalar / 10^6 + constant`, Jovian `gas × scalar × 100 + constant`;
/// zero before Isthmus). The L1 data fee does not depend on gas and does not move. A
/// refund above the EVM gas, or a debit above the debited account's balance, settles
/// nothing: the flashblock's execution does not match its claims.
///
/// Checked against: the optimism monorepo's `rust/alloy-op-evm/src/block/mod.rs`
/// (`post_exec_settlement_deltas`, `apply_post_exec_refund_to_state`: the same five
/// amounts, the sender credited first, then the three debits, each checked), op-revm 20's
/// `operator_fee_charge` and fee payout (`reward_beneficiary`), and op-alloy-consensus 2's
/// `post_exec.rs`. No released `alloy-op-evm` (0.32.0 is the newest on crates.io) or
/// `op-revm` (20.0.0) settles SDM; both run a `0x7D` transaction as an ordinary one.
///
/// ```
/// use alloy_primitives::U256;
/// use flashblocks_execute::Settlement;
///
/// // 46 000 EVM gas, 5 000 refunded, a 1 000 wei tip over a 1 000 000 wei base fee,
/// // no operator fee.
/// let s = Settlement::compute(5_000, 46_000, 1_001_000, 1_000_000, |_| U256::ZERO).unwrap();
/// assert_eq!(s.canonical_gas_used, 41_000);
/// assert_eq!(s.base_fee_vault_debit, U256::from(5_000_000_000u64));
/// assert_eq!(s.fee_recipient_debit, U256::from(5_000_000u64));
/// assert_eq!(s.sender_credit, U256::from(5_005_000_000u64));
/// // A refund above the EVM gas settles nothing.
/// assert!(Settlement::compute(46_001, 46_000, 1_001_000, 1_000_000, |_| U256::ZERO).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// The refund (`SDMGasEntry::gas_refund`).
    pub refund: u64,
    /// The gas the EVM used.
    pub evm_gas_used: u64,
    /// EVM gas − refund: the receipt's `gasUsed`.
    pub canonical_gas_used: u64,
    /// Credited to the sender.
    pub sender_credit: U256,
    /// Debited from the block's fee recipient.
    pub fee_recipient_debit: U256,
    /// Debited from the base fee vault.
    pub base_fee_vault_debit: U256,
    /// Debited from the operator fee vault.
    pub operator_fee_vault_debit: U256,
}

impl Settlement {
    /// The settlement of `refund` for a transaction that used `evm_gas_used` gas at
    /// `effective_gas_price` in a block with `base_fee`, where `operator_fee(gas)` is
    /// the operator fee op-revm charges for `gas` (zero before Isthmus; see
    /// [`operator_fee_charge`]). `None` when the refund is above the EVM gas.
    pub fn compute(
        refund: u64,
        evm_gas_used: u64,
        effective_gas_price: u128,
        base_fee: u64,
        operator_fee: impl Fn(u64) -> U256,
    ) -> Option<Self> {
        let canonical_gas_used = evm_gas_used.checked_sub(refund)?;
        let gas = U256::from(refund);
        let price = U256::from(effective_gas_price);
        let base_fee = U256::from(base_fee);
        let operator_fee_vault_debit =
            operator_fee(evm_gas_used).saturating_sub(operator_fee(canonical_gas_used));
        Some(Self {
            refund,
            evm_gas_used,
            canonical_gas_used,
            sender_credit: gas.saturating_mul(price).saturating_add(operator_fee_vault_debit),
            fee_recipient_debit: gas.saturating_mul(price.saturating_sub(base_fee)),
            base_fee_vault_debit: gas.saturating_mul(base_fee),
            operator_fee_vault_debit,
        })
    }

    /// The balance moves in the order they apply: the sender's credit, then the fee
    /// recipient's, the base fee vault's and the operator fee vault's debits.
    pub fn moves(&self, sender: Address, fee_recipient: Address) -> [(Address, Move); 4] {
        [
            (sender, Move::Credit(self.sender_credit)),
            (fee_recipient, Move::Debit(self.fee_recipient_debit)),
            (BASE_FEE_RECIPIENT, Move::Debit(self.base_fee_vault_debit)),
            (OPERATOR_FEE_RECIPIENT, Move::Debit(self.operator_fee_vault_debit)),
        ]
    }
}

/// One balance move of a [`Settlement`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Added to the balance.
    Credit(U256),
    /// Taken from the balance (never below zero: that settles nothing).
    Debit(U256),
}

impl Move {
    /// `balance` after the move; `None` when a debit is above it.
    pub fn apply(self, balance: U256) -> Option<U256> {
        match self {
            Self::Credit(amount) => Some(balance.saturating_add(amount)),
            Self::Debit(amount) => balance.checked_sub(amount),
        }
    }
}

/// The operator fee op-revm charges a transaction with EIP-2718 encoding `raw` for `gas`
/// under `info` (the block's L1 block info) and `spec`: zero before Isthmus, for a
/// deposit, or without the operator fee parameters.
pub fn operator_fee_charge(info: &L1BlockInfo, raw: &[u8], spec: OpSpecId, gas: u64) -> U256 {
    let has_parameters = info.operator_fee_scalar.is_some() && info.operator_fee_constant.is_some();
    if !spec.is_enabled_in(OpSpecId::ISTHMUS) || !has_parameters {
        return U256::ZERO;
    }
    info.operator_fee_charge(raw, U256::from(gas), spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EIP1559: [u8; 3] = [0x02, 0xc0, 0x80];

    fn info(scalar: u64, constant: u64) -> L1BlockInfo {
        L1BlockInfo {
            operator_fee_scalar: Some(U256::from(scalar)),
            operator_fee_constant: Some(U256::from(constant)),
            ..Default::default()
        }
    }

    /// Known answers, computed by hand from the formulas of sdm.md as the optimism
    /// monorepo's `post_exec_settlement_deltas` applies them (not by the code under
    /// test):
    ///
    /// EVM gas 46 000, refund 5 000, base fee 1 000 000 wei, effective gas price
    /// 1 001 000 wei (a 1 000 wei tip), Isthmus operator fee scalar 1 234 567,
    /// constant 100:
    /// - canonical gas = 46 000 − 5 000 = 41 000
    /// - base fee vault: 5 000 × 1 000 000 = 5 000 000 000
    /// - fee recipient: 5 000 × (1 001 000 − 1 000 000) = 5 000 000
    /// - operator fee for 46 000 gas: ⌊46 000 × 1 234 567 / 10^6⌋ + 100
    ///   = ⌊56 790.082⌋ + 100 = 56 890; for 41 000 gas: ⌊50 617.247⌋ + 100 = 50 717;
    ///   operator fee vault: 56 890 − 50 717 = 6 173 (not ⌊5 000 × 1.234567⌋ = 6 172:
    ///   the difference of the two charges, each rounded)
    /// - sender: 5 000 × 1 001 000 + 6 173 = 5 005 006 173
    ///   (= 5 000 000 000 + 5 000 000 + 6 173, the three debits)
    #[test]
    fn isthmus_known_answer() {
        let fee = info(1_234_567, 100);
        let s = Settlement::compute(5_000, 46_000, 1_001_000, 1_000_000, |g| {
            operator_fee_charge(&fee, &EIP1559, OpSpecId::ISTHMUS, g)
        })
        .unwrap();
        assert_eq!(s.canonical_gas_used, 41_000);
        assert_eq!(s.base_fee_vault_debit, U256::from(5_000_000_000u64));
        assert_eq!(s.fee_recipient_debit, U256::from(5_000_000u64));
        assert_eq!(s.operator_fee_vault_debit, U256::from(6_173u64));
        assert_eq!(s.sender_credit, U256::from(5_005_006_173u64));
    }

    /// Jovian: operator fee = gas × scalar × 100 + constant. Scalar 7, constant 100,
    /// the same transaction:
    /// - operator fee vault: (46 000 − 41 000) × 7 × 100 = 3 500 000
    /// - sender: 5 000 × 1 001 000 + 3 500 000 = 5 008 500 000
    #[test]
    fn jovian_known_answer() {
        let fee = info(7, 100);
        let s = Settlement::compute(5_000, 46_000, 1_001_000, 1_000_000, |g| {
            operator_fee_charge(&fee, &EIP1559, OpSpecId::JOVIAN, g)
        })
        .unwrap();
        assert_eq!(s.operator_fee_vault_debit, U256::from(3_500_000u64));
        assert_eq!(s.sender_credit, U256::from(5_008_500_000u64));
        assert_eq!(s.base_fee_vault_debit, U256::from(5_000_000_000u64));
    }

    /// A legacy transaction priced at the base fee pays no tip: refund 21 000 of 21 000
    /// gas at 1 000 000 wei, before Isthmus (no operator fee):
    /// - canonical gas 0; fee recipient 0; base fee vault 21 000 × 10^6 = 21 000 000 000
    /// - sender 21 000 × 10^6 = 21 000 000 000
    #[test]
    fn no_tip_no_operator_fee_whole_gas_refunded() {
        let fee = info(1_234_567, 100);
        let s = Settlement::compute(21_000, 21_000, 1_000_000, 1_000_000, |g| {
            operator_fee_charge(&fee, &EIP1559, OpSpecId::HOLOCENE, g)
        })
        .unwrap();
        assert_eq!(s.canonical_gas_used, 0);
        assert_eq!(s.fee_recipient_debit, U256::ZERO);
        assert_eq!(s.operator_fee_vault_debit, U256::ZERO);
        assert_eq!(s.base_fee_vault_debit, U256::from(21_000_000_000u64));
        assert_eq!(s.sender_credit, U256::from(21_000_000_000u64));
    }

    #[test]
    fn a_refund_above_the_evm_gas_settles_nothing() {
        assert_eq!(Settlement::compute(21_001, 21_000, 1, 1, |_| U256::ZERO), None);
    }

    #[test]
    fn a_debit_above_the_balance_is_refused_and_a_credit_saturates() {
        assert_eq!(Move::Debit(U256::from(5)).apply(U256::from(4)), None);
        assert_eq!(Move::Debit(U256::from(5)).apply(U256::from(5)), Some(U256::ZERO));
        assert_eq!(Move::Credit(U256::from(5)).apply(U256::MAX), Some(U256::MAX));
    }

    #[test]
    fn the_moves_name_the_vaults_and_balance() {
        let s = Settlement::compute(3, 10, 7, 5, |g| U256::from(g * 2)).unwrap();
        let sender = Address::repeat_byte(1);
        let recipient = Address::repeat_byte(2);
        let moves = s.moves(sender, recipient);
        assert_eq!(moves[0], (sender, Move::Credit(U256::from(3 * 7 + 6))));
        assert_eq!(moves[1], (recipient, Move::Debit(U256::from(3 * 2))));
        assert_eq!(moves[2], (BASE_FEE_RECIPIENT, Move::Debit(U256::from(3 * 5))));
        assert_eq!(moves[3], (OPERATOR_FEE_RECIPIENT, Move::Debit(U256::from(6))));
    }
}
