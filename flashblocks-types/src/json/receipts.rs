//! Receipts in both tag styles the deployed streams use.
//!
//! Older senders (reth's own `OpReceipt` before op-alloy had one) write receipts
//! externally tagged, `{"Eip1559": {"status": "0x1", ...}}`; op-alloy's
//! [`OpReceipt`] writes them internally tagged, `{"type": "0x2", "status": "0x1", ...}`.
//! Both are read into op-alloy's [`OpReceipt`] by serde, with alloy's receipt types
//! doing the field parsing; this module only picks the style.

use alloy_consensus::Receipt;
use alloy_primitives::B256;
use op_alloy_consensus::{OpDepositReceipt, OpReceipt};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The externally tagged style: the variant name is the only key.
#[derive(Deserialize)]
enum ExternallyTagged {
    Legacy(Receipt),
    Eip2930(Receipt),
    Eip1559(Receipt),
    Eip7702(Receipt),
    PostExec(Receipt),
    Deposit(OpDepositReceipt),
}

/// The externally tagged style, for writing.
#[derive(Serialize)]
pub(super) enum ExternallyTaggedRef<'a> {
    Legacy(&'a Receipt),
    Eip2930(&'a Receipt),
    Eip1559(&'a Receipt),
    Eip7702(&'a Receipt),
    PostExec(&'a Receipt),
    Deposit(&'a OpDepositReceipt),
}

impl<'a> From<&'a OpReceipt> for ExternallyTaggedRef<'a> {
    fn from(r: &'a OpReceipt) -> Self {
        match r {
            OpReceipt::Legacy(r) => Self::Legacy(r),
            OpReceipt::Eip2930(r) => Self::Eip2930(r),
            OpReceipt::Eip1559(r) => Self::Eip1559(r),
            OpReceipt::Eip7702(r) => Self::Eip7702(r),
            OpReceipt::PostExec(r) => Self::PostExec(r),
            OpReceipt::Deposit(r) => Self::Deposit(r),
        }
    }
}

/// Either style. A one-key object whose key is a variant name is externally tagged;
/// anything else is read as op-alloy's internally tagged receipt.
#[derive(Deserialize)]
#[serde(untagged)]
enum EitherStyle {
    External(ExternallyTagged),
    Internal(OpReceipt),
}

impl From<EitherStyle> for OpReceipt {
    fn from(value: EitherStyle) -> Self {
        match value {
            EitherStyle::External(ExternallyTagged::Legacy(r)) => Self::Legacy(r),
            EitherStyle::External(ExternallyTagged::Eip2930(r)) => Self::Eip2930(r),
            EitherStyle::External(ExternallyTagged::Eip1559(r)) => Self::Eip1559(r),
            EitherStyle::External(ExternallyTagged::Eip7702(r)) => Self::Eip7702(r),
            EitherStyle::External(ExternallyTagged::PostExec(r)) => Self::PostExec(r),
            EitherStyle::External(ExternallyTagged::Deposit(r)) => Self::Deposit(r),
            EitherStyle::Internal(r) => r,
        }
    }
}

/// One receipt in either style.
struct AnyStyle(OpReceipt);

impl<'de> Deserialize<'de> for AnyStyle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EitherStyle::deserialize(d).map(|r| Self(r.into()))
    }
}

/// `serde(with)` for `Option<BTreeMap<B256, OpReceipt>>`: reads either style, writes
/// op-alloy's internally tagged one.
pub(super) mod opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<BTreeMap<B256, OpReceipt>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<BTreeMap<B256, OpReceipt>>, D::Error> {
        let map = Option::<BTreeMap<B256, AnyStyle>>::deserialize(d)?;
        Ok(map.map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect()))
    }
}
