//! The schema's limits on the SSZ wire, as `#[ssz(with = ...)]` modules.
//!
//! The `decode` halves serve the owned derive decoder, the reference the validated view
//! is tested against: they exist with the `test-utils` feature only.
//!
//! `ethereum_ssz` encodes `Vec<T>`, `Bytes` and `Option<T>` as SSZ lists, byte lists and
//! unions, but knows no limits. Every field with a limit in `schema.py` goes through one
//! of these modules, so decoding rejects a longer list ([spec page](crate::spec), decision 4) with an
//! error naming the field, before anything is allocated for its items.

#[cfg(feature = "test-utils")]
use ssz::DecodeError;

/// The error for a list or byte list over its schema limit.
#[cfg(feature = "test-utils")]
fn over_limit(field: &str, len: usize, max: usize) -> DecodeError {
    DecodeError::BytesInvalid(format!("{field}: length {len} exceeds the limit {max}"))
}

/// Checks that `bytes` holds at most `max` items of `item_len` bytes each, exactly.
#[cfg(feature = "test-utils")]
fn check_fixed_items(
    field: &str,
    bytes: &[u8],
    item_len: usize,
    max: usize,
) -> Result<(), DecodeError> {
    if !bytes.len().is_multiple_of(item_len) {
        return Err(DecodeError::InvalidByteLength {
            len: bytes.len(),
            expected: bytes.len() / item_len * item_len + item_len,
        });
    }
    let count = bytes.len() / item_len;
    if count > max {
        return Err(over_limit(field, count, max));
    }
    Ok(())
}

/// Generates a `with` module for a `Vec<$item>` list field with a limit.
macro_rules! bounded_list {
    ($(#[$doc:meta])* $name:ident, $item:ty, $max:expr, fixed = $fixed:tt) => {
        $(#[$doc])*
        pub(crate) mod $name {
            pub(crate) mod encode {
                use ssz::Encode;

                pub(crate) fn is_ssz_fixed_len() -> bool {
                    false
                }

                pub(crate) fn ssz_fixed_len() -> usize {
                    ssz::BYTES_PER_LENGTH_OFFSET
                }

                #[allow(clippy::ptr_arg)] // the derive passes `&Vec<T>`; slices are not `Encode`
                pub(crate) fn ssz_bytes_len(list: &Vec<$item>) -> usize {
                    list.ssz_bytes_len()
                }

                #[allow(clippy::ptr_arg)] // the derive passes `&Vec<T>`; slices are not `Encode`
                pub(crate) fn ssz_append(list: &Vec<$item>, buf: &mut Vec<u8>) {
                    list.ssz_append(buf)
                }
            }

            #[cfg(feature = "test-utils")]
            pub(crate) mod decode {
                use ssz::DecodeError;

                pub(crate) fn is_ssz_fixed_len() -> bool {
                    false
                }

                pub(crate) fn ssz_fixed_len() -> usize {
                    ssz::BYTES_PER_LENGTH_OFFSET
                }

                pub(crate) fn from_ssz_bytes(bytes: &[u8]) -> Result<Vec<$item>, DecodeError> {
                    bounded_list!(@decode stringify!($name), bytes, $item, $max, $fixed)
                }
            }
        }
    };
    (@decode $field:expr, $bytes:ident, $item:ty, $max:expr, true) => {{
        use ssz::Decode;
        super::super::check_fixed_items(
            $field,
            $bytes,
            <$item as Decode>::ssz_fixed_len(),
            $max,
        )?;
        Vec::<$item>::from_ssz_bytes($bytes)
    }};
    (@decode $field:expr, $bytes:ident, $item:ty, $max:expr, false) => {{
        ssz::decode_list_of_variable_length_items::<$item, Vec<$item>>($bytes, Some($max))
    }};
}

bounded_list!(
    /// `List[Withdrawal, MAX_WITHDRAWALS_PER_PAYLOAD]`.
    withdrawals, crate::Withdrawal, crate::MAX_WITHDRAWALS_PER_PAYLOAD, fixed = true
);
bounded_list!(
    /// `List[StorageSlot, MAX_STORAGE_SLOTS_PER_ACCOUNT]`.
    storage_slots, crate::StorageSlot, crate::MAX_STORAGE_SLOTS_PER_ACCOUNT, fixed = true
);
bounded_list!(
    /// `List[AccountMetadata, MAX_ACCOUNTS_PER_FLASHBLOCK]`.
    accounts, crate::AccountMetadata, crate::MAX_ACCOUNTS_PER_FLASHBLOCK, fixed = false
);
bounded_list!(
    /// `List[TransactionMetadata, MAX_TRANSACTIONS_PER_PAYLOAD]`.
    transaction_metadata, crate::TransactionMetadata, crate::MAX_TRANSACTIONS_PER_PAYLOAD,
    fixed = false
);

/// `List[ByteList[MAX_BYTES_PER_TRANSACTION], MAX_TRANSACTIONS_PER_PAYLOAD]`.
pub(crate) mod transactions {
    pub(crate) mod encode {
        use alloy_primitives::Bytes;
        use ssz::Encode;

        pub(crate) fn is_ssz_fixed_len() -> bool {
            false
        }

        pub(crate) fn ssz_fixed_len() -> usize {
            ssz::BYTES_PER_LENGTH_OFFSET
        }

        #[allow(clippy::ptr_arg)] // the derive passes `&Vec<T>`; slices are not `Encode`
        pub(crate) fn ssz_bytes_len(list: &Vec<Bytes>) -> usize {
            list.ssz_bytes_len()
        }

        #[allow(clippy::ptr_arg)] // the derive passes `&Vec<T>`; slices are not `Encode`
        pub(crate) fn ssz_append(list: &Vec<Bytes>, buf: &mut Vec<u8>) {
            list.ssz_append(buf)
        }
    }

    #[cfg(feature = "test-utils")]
    pub(crate) mod decode {
        use alloy_primitives::Bytes;
        use ssz::DecodeError;

        pub(crate) fn is_ssz_fixed_len() -> bool {
            false
        }

        pub(crate) fn ssz_fixed_len() -> usize {
            ssz::BYTES_PER_LENGTH_OFFSET
        }

        pub(crate) fn from_ssz_bytes(bytes: &[u8]) -> Result<Vec<Bytes>, DecodeError> {
            let list: Vec<Bytes> = ssz::decode_list_of_variable_length_items(
                bytes,
                Some(crate::MAX_TRANSACTIONS_PER_PAYLOAD),
            )?;
            if let Some(tx) = list.iter().find(|tx| tx.len() > crate::MAX_BYTES_PER_TRANSACTION) {
                return Err(super::super::over_limit(
                    "transaction",
                    tx.len(),
                    crate::MAX_BYTES_PER_TRANSACTION,
                ));
            }
            Ok(list)
        }
    }
}

/// Generates a `with` module for a byte list (`Bytes`, or `Option<Bytes>` as a union)
/// with a limit.
macro_rules! bounded_bytes {
    ($(#[$doc:meta])* $name:ident, $max:expr, optional = false) => {
        $(#[$doc])*
        pub(crate) mod $name {
            pub(crate) mod encode {
                use alloy_primitives::Bytes;
                use ssz::Encode;

                pub(crate) fn is_ssz_fixed_len() -> bool {
                    false
                }

                pub(crate) fn ssz_fixed_len() -> usize {
                    ssz::BYTES_PER_LENGTH_OFFSET
                }

                pub(crate) fn ssz_bytes_len(value: &Bytes) -> usize {
                    value.ssz_bytes_len()
                }

                pub(crate) fn ssz_append(value: &Bytes, buf: &mut Vec<u8>) {
                    value.ssz_append(buf)
                }
            }

            #[cfg(feature = "test-utils")]
            pub(crate) mod decode {
                use alloy_primitives::Bytes;
                use ssz::DecodeError;

                pub(crate) fn is_ssz_fixed_len() -> bool {
                    false
                }

                pub(crate) fn ssz_fixed_len() -> usize {
                    ssz::BYTES_PER_LENGTH_OFFSET
                }

                pub(crate) fn from_ssz_bytes(bytes: &[u8]) -> Result<Bytes, DecodeError> {
                    if bytes.len() > $max {
                        return Err(super::super::over_limit(stringify!($name), bytes.len(), $max));
                    }
                    Ok(Bytes::copy_from_slice(bytes))
                }
            }
        }
    };
    ($(#[$doc:meta])* $name:ident, $max:expr, optional = true) => {
        $(#[$doc])*
        pub(crate) mod $name {
            pub(crate) mod encode {
                use alloy_primitives::Bytes;
                use ssz::Encode;

                pub(crate) fn is_ssz_fixed_len() -> bool {
                    false
                }

                pub(crate) fn ssz_fixed_len() -> usize {
                    ssz::BYTES_PER_LENGTH_OFFSET
                }

                pub(crate) fn ssz_bytes_len(value: &Option<Bytes>) -> usize {
                    value.ssz_bytes_len()
                }

                pub(crate) fn ssz_append(value: &Option<Bytes>, buf: &mut Vec<u8>) {
                    value.ssz_append(buf)
                }
            }

            #[cfg(feature = "test-utils")]
            pub(crate) mod decode {
                use alloy_primitives::Bytes;
                use ssz::{Decode, DecodeError};

                pub(crate) fn is_ssz_fixed_len() -> bool {
                    false
                }

                pub(crate) fn ssz_fixed_len() -> usize {
                    ssz::BYTES_PER_LENGTH_OFFSET
                }

                pub(crate) fn from_ssz_bytes(bytes: &[u8]) -> Result<Option<Bytes>, DecodeError> {
                    // A union's body is everything after its selector byte.
                    if bytes.len().saturating_sub(1) > $max {
                        return Err(super::super::over_limit(
                            stringify!($name),
                            bytes.len().saturating_sub(1),
                            $max,
                        ));
                    }
                    Option::<Bytes>::from_ssz_bytes(bytes)
                }
            }
        }
    };
}

bounded_bytes!(
    /// `ByteList[MAX_EXTRA_DATA_BYTES]`.
    extra_data, crate::MAX_EXTRA_DATA_BYTES, optional = false
);
bounded_bytes!(
    /// `Union[None, ByteList[MAX_BYTES_PER_CODE]]`.
    code, crate::MAX_BYTES_PER_CODE, optional = true
);

/// `Bytes8` as alloy's [`PayloadId`](alloy_rpc_types_engine::PayloadId).
pub(crate) mod payload_id {
    pub(crate) mod encode {
        use alloy_rpc_types_engine::PayloadId;

        pub(crate) fn is_ssz_fixed_len() -> bool {
            true
        }

        pub(crate) fn ssz_fixed_len() -> usize {
            8
        }

        pub(crate) fn ssz_bytes_len(_: &PayloadId) -> usize {
            8
        }

        pub(crate) fn ssz_append(value: &PayloadId, buf: &mut Vec<u8>) {
            buf.extend_from_slice(value.0.as_slice())
        }
    }

    #[cfg(feature = "test-utils")]
    pub(crate) mod decode {
        use alloy_primitives::B64;
        use alloy_rpc_types_engine::PayloadId;
        use ssz::{Decode, DecodeError};

        pub(crate) fn is_ssz_fixed_len() -> bool {
            true
        }

        pub(crate) fn ssz_fixed_len() -> usize {
            8
        }

        pub(crate) fn from_ssz_bytes(bytes: &[u8]) -> Result<PayloadId, DecodeError> {
            B64::from_ssz_bytes(bytes).map(PayloadId)
        }
    }
}
