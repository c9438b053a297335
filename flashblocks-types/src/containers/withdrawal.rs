//! `Withdrawal` (Capella).

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};
#[cfg(feature = "test-utils")]
use ssz_derive::Decode;
use ssz_derive::Encode;
#[cfg(feature = "test-utils")]
use tree_hash_derive::TreeHash;

/// A validator withdrawal, as in Capella:
/// `Withdrawal(index, validator_index, address, amount)`.
///
/// OP Stack blocks carry none (the OP rule `withdrawals_not_empty`), but the SSZ
/// container has room for [`MAX_WITHDRAWALS_PER_PAYLOAD`](crate::MAX_WITHDRAWALS_PER_PAYLOAD).
///
/// Its SSZ encoding is 44 fixed bytes:
///
/// ```
/// use flashblocks_types::Withdrawal;
/// use alloy_primitives::Address;
/// use ssz::Encode;
///
/// let w = Withdrawal { index: 1, validator_index: 2, address: Address::repeat_byte(0xaa), amount: 3 };
/// let bytes = w.as_ssz_bytes();
/// assert_eq!(bytes.len(), 44);
/// assert_eq!(&bytes[..8], &1u64.to_le_bytes());
/// assert_eq!(&bytes[16..36], &[0xaa; 20]);
/// ```
///
/// Its serde form is the [spec page](crate::spec)'s JSON: `{index, validator_index, address, amount}`
/// with `0x`-hex quantities. alloy's camelCase `validatorIndex` is accepted when reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Encode, Serialize, Deserialize)]
#[cfg_attr(feature = "test-utils", derive(Decode, TreeHash))]
pub struct Withdrawal {
    /// Monotonically increasing identifier issued by the consensus layer.
    #[serde(with = "alloy_serde::quantity")]
    pub index: u64,
    /// Index of the validator the withdrawal belongs to.
    #[serde(with = "alloy_serde::quantity", alias = "validatorIndex")]
    pub validator_index: u64,
    /// Target address of the withdrawn ether.
    pub address: Address,
    /// Value of the withdrawal, in gwei.
    #[serde(with = "alloy_serde::quantity")]
    pub amount: u64,
}

impl From<alloy_eips::eip4895::Withdrawal> for Withdrawal {
    fn from(w: alloy_eips::eip4895::Withdrawal) -> Self {
        Self {
            index: w.index,
            validator_index: w.validator_index,
            address: w.address,
            amount: w.amount,
        }
    }
}

impl From<Withdrawal> for alloy_eips::eip4895::Withdrawal {
    fn from(w: Withdrawal) -> Self {
        Self {
            index: w.index,
            validator_index: w.validator_index,
            address: w.address,
            amount: w.amount,
        }
    }
}
