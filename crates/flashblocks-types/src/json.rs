//! The deployed JSON format (placeholder: the JSON issue fills this module).

use alloy_primitives::{Address, U256};
use std::collections::BTreeMap;

/// The deployed JSON metadata of a flashblock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonMetadata {
    /// The block number (a JSON number on the wire).
    pub block_number: u64,
    /// Balances after the flashblock, when the stream carries them (absent after Base's
    /// Azul upgrade).
    pub new_account_balances: Option<BTreeMap<Address, U256>>,
}
