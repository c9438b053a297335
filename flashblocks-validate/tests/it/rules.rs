//! One test per rule of the spec page: the error variant, its facts, and a rejection
//! that leaves the state as it was.

use crate::{accept, after, blocks, reject};
use alloy_primitives::{Address, Bytes, FixedBytes, B256};
use flashblocks_types::{Flashblock, PayloadId, Withdrawal};
use flashblocks_validate::{
    BlockStart, Outcome, StaleBy, ValidationError, Validator, ValidatorConfig,
};

#[test]
fn malformed_and_unknown_version() {
    let block = &blocks(1, 1)[0];
    let mut v = after(block, 1);
    let err = v.validate_frame(&[0, 0, 0]).unwrap_err();
    assert_eq!(err.rule_id(), "malformed");
    assert!(err.is_frame_error());
    let mut frame = block[1].encode_ssz();
    frame.pop();
    assert_eq!(v.validate_frame(&frame).unwrap_err().rule_id(), "malformed");
    frame = block[1].encode_ssz();
    frame[3] = 2;
    let err = v.validate_frame(&frame).unwrap_err();
    assert_eq!(err, ValidationError::UnknownVersion { version: FixedBytes([0, 0, 0, 2]) });
    assert_eq!(v.current_block().unwrap().next_index(), 1);
    assert!(v.validate_frame(&block[1].encode_ssz()).unwrap().outcome.is_accepted());
}

#[test]
fn duplicate_and_equivocation() {
    let block = &blocks(2, 1)[0];
    let mut v = after(block, 3);
    let roots: Vec<B256> = v.current_block().unwrap().identities().collect();
    let outcome = v.validate(Flashblock::from_v1(block[1].clone())).unwrap();
    assert_eq!(outcome, Outcome::Duplicate { payload_id: block[1].payload_id, index: 1 });
    let mut other = block[1].clone();
    other.diff.state_root = B256::repeat_byte(9);
    let received = other.hash_tree_root_slow();
    assert_eq!(
        reject(&mut v, &other),
        ValidationError::Equivocation { index: 1, accepted: roots[1], received }
    );
    // Equivocation comes before every later rule: an index-0 resend without a base.
    let mut zero = block[0].clone();
    zero.base = None;
    assert!(reject(&mut v, &zero).is_equivocation());
}

#[test]
fn missing_base_and_parent_hash_ends() {
    let block = &blocks(3, 1)[0];
    let mut v = Validator::default();
    let mut zero = block[0].clone();
    zero.base = None;
    zero.parent_flash_hash = Some(B256::ZERO);
    // Both broken: missing_base is first.
    assert_eq!(reject(&mut v, &zero), ValidationError::MissingBase { payload_id: zero.payload_id });
    zero.base = block[0].base.clone();
    assert_eq!(
        reject(&mut v, &zero),
        ValidationError::UnexpectedParentHash { parent_flash_hash: B256::ZERO }
    );
    accept(&mut v, &block[0]);
    let mut one = block[1].clone();
    one.parent_flash_hash = None;
    assert_eq!(reject(&mut v, &one), ValidationError::MissingParentHash { index: 1 });
}

#[test]
fn metadata_rules_in_order() {
    let block = &blocks(4, 1)[0];
    let mut v = after(block, 1);
    let mut fb = block[1].clone();
    fb.metadata.transactions.pop();
    fb.metadata.accounts[1].address = fb.metadata.accounts[0].address;
    assert_eq!(
        reject(&mut v, &fb),
        ValidationError::MetadataCountMismatch { transactions: 2, metadata: 1 }
    );
    fb = block[1].clone();
    let address = fb.metadata.accounts[0].address;
    fb.metadata.accounts[1].address = address;
    fb.metadata.accounts.reverse();
    assert_eq!(reject(&mut v, &fb), ValidationError::DuplicateAccount { address });

    fb = block[1].clone();
    let slots = &mut fb.metadata.accounts[1].storage_slots;
    slots.swap(0, 1);
    let (previous, key) = (slots[0].key, slots[1].key);
    let address = fb.metadata.accounts[1].address;
    fb.metadata.transactions[1].status = 7;
    assert_eq!(
        reject(&mut v, &fb),
        ValidationError::StorageKeysUnsorted { address, previous, key }
    );
    // A repeated key is unsorted too.
    fb = block[1].clone();
    let slots = &mut fb.metadata.accounts[0].storage_slots;
    slots[1].key = slots[0].key;
    assert_eq!(reject(&mut v, &fb).rule_id(), "storage_keys_unsorted");

    fb = block[1].clone();
    fb.metadata.transactions[1].status = 2;
    fb.diff.transactions[0] = Bytes::new();
    assert_eq!(reject(&mut v, &fb), ValidationError::InvalidStatus { position: 1, status: 2 });
    fb.metadata.transactions[1].status = 1;
    assert_eq!(reject(&mut v, &fb), ValidationError::EmptyTransaction { position: 0 });
}

#[test]
fn op_rules() {
    let block = &blocks(5, 1)[0];
    let mut v = Validator::default();
    let mut zero = block[0].clone();
    let deposit = zero.diff.transactions[0].clone();
    zero.diff.transactions.swap(0, 1);
    let first_type = zero.diff.transactions[0].first().copied();
    assert_eq!(reject(&mut v, &zero), ValidationError::MissingL1InfoDeposit { first_type });
    zero = block[0].clone();
    zero.diff.transactions.clear();
    zero.metadata.transactions.clear();
    assert_eq!(reject(&mut v, &zero), ValidationError::MissingL1InfoDeposit { first_type: None });
    zero = block[0].clone();
    zero.diff.transactions[2] = deposit.clone();
    assert_eq!(reject(&mut v, &zero), ValidationError::DepositMisplaced { index: 0, position: 2 });
    // Two leading deposits are fine.
    zero.diff.transactions.swap(1, 2);
    let two_deposits = zero.clone();
    zero = block[0].clone();
    zero.diff.withdrawals.push(Withdrawal::default());
    assert_eq!(reject(&mut v, &zero), ValidationError::WithdrawalsNotEmpty { count: 1 });
    accept(&mut v, &two_deposits);

    let mut v = after(block, 1);
    let mut one = block[1].clone();
    one.diff.transactions[1] = deposit;
    assert_eq!(reject(&mut v, &one), ValidationError::DepositMisplaced { index: 1, position: 1 });
    // With the OP rules off, none of them applies.
    let mut v = Validator::new(ValidatorConfig::default().with_op_rules(false));
    accept(&mut v, &block[0]);
    accept(&mut v, &one);
}

#[test]
fn block_start_stale_next_and_failover() {
    let chain = blocks(6, 2);
    let (a, b) = (&chain[0], &chain[1]);
    let mut v = after(b, 2);
    // An older index 0 replayed: stale, not a reset.
    let err = reject(&mut v, &a[0]);
    let (newest, received) =
        (b[0].base.as_ref().unwrap().block_number, a[0].base.as_ref().unwrap().block_number);
    assert_eq!(err, ValidationError::StaleBlock { received, by: StaleBy::Replay { newest } });
    // A new payload id at the same height is a failover.
    let mut failover = b[0].clone();
    failover.payload_id = PayloadId::new([0xfa; 8]);
    let outcome = accept(&mut v, &failover);
    let replaced = b[0].payload_id;
    assert_eq!(outcome.accepted().unwrap().block_start(), Some(BlockStart::Failover { replaced }));
    assert_eq!(v.current_block().unwrap().next_index(), 1);
    // The old payload's next flashblock is now another payload's.
    let err = reject(&mut v, &b[2]);
    assert_eq!(
        err,
        ValidationError::PayloadIdMismatch { expected: failover.payload_id, received: replaced }
    );
    // The next block starts with a higher number.
    let mut v = after(a, 4);
    let outcome = accept(&mut v, &b[0]);
    let previous = a[0].payload_id;
    assert_eq!(outcome.accepted().unwrap().block_start(), Some(BlockStart::Next { previous }));
    // An index 0 rejected by a later rule leaves the current block in place.
    let mut v = after(a, 2);
    let mut bad = b[0].clone();
    bad.diff.gas_used += 1;
    assert_eq!(reject(&mut v, &bad).rule_id(), "gas_accounting_mismatch");
    accept(&mut v, &a[2]);
}

#[test]
fn along_the_block() {
    let block = &blocks(7, 1)[0];
    let mut v = Validator::default();
    assert_eq!(
        reject(&mut v, &block[1]),
        ValidationError::NotStarted { payload_id: block[1].payload_id, index: 1 }
    );
    accept(&mut v, &block[0]);
    let mut fb = block[2].clone();
    fb.payload_id = PayloadId::new([1; 8]);
    assert_eq!(
        reject(&mut v, &fb),
        ValidationError::PayloadIdMismatch {
            expected: block[0].payload_id,
            received: fb.payload_id
        }
    );
    // A gap with a wrong parent too: the gap is reported.
    assert_eq!(reject(&mut v, &block[2]), ValidationError::IndexGap { expected: 1, received: 2 });
    let mut fb = block[1].clone();
    fb.parent_flash_hash = Some(B256::repeat_byte(3));
    fb.diff.gas_used = 0;
    let expected = block[0].hash_tree_root_slow();
    assert_eq!(
        reject(&mut v, &fb),
        ValidationError::ParentHashMismatch { expected, received: B256::repeat_byte(3) }
    );
    // A copy of the block's base is allowed; another base is not.
    let mut fb = block[1].clone();
    fb.base = block[0].base.clone();
    let copy = fb.clone();
    fb.base.as_mut().unwrap().fee_recipient = Address::repeat_byte(1);
    let err = reject(&mut v, &fb);
    assert!(
        matches!(&err, ValidationError::UnexpectedBase { index: 1, expected, received }
            if **expected == *block[0].base.as_ref().unwrap() && received.fee_recipient == Address::repeat_byte(1)),
        "{err:?}"
    );
    accept(&mut v, &copy);
}

#[test]
fn bound_on_flashblocks() {
    let block = &blocks(8, 1)[0];
    let mut v = Validator::new(ValidatorConfig::default().with_max_flashblocks_per_block(2));
    accept(&mut v, &block[0]);
    accept(&mut v, &block[1]);
    assert_eq!(reject(&mut v, &block[2]), ValidationError::TooManyFlashblocks { index: 2, max: 2 });
    let mut v = Validator::new(ValidatorConfig::default().with_max_flashblocks_per_block(0));
    assert_eq!(reject(&mut v, &block[0]), ValidationError::TooManyFlashblocks { index: 0, max: 0 });
}

#[test]
fn gas_rules_in_order() {
    let block = &blocks(9, 1)[0];
    let mut v = after(block, 2);
    let previous = block[1].diff.gas_used;
    let mut fb = block[2].clone();
    fb.diff.gas_used = previous - 1;
    assert_eq!(
        reject(&mut v, &fb),
        ValidationError::GasDecreased { previous, received: previous - 1 }
    );
    fb.diff.gas_used = 30_000_001;
    assert_eq!(
        reject(&mut v, &fb),
        ValidationError::GasOverLimit { gas_used: 30_000_001, gas_limit: 30_000_000 }
    );
    fb = block[2].clone();
    fb.diff.gas_used += 5;
    let increase = fb.diff.gas_used - previous;
    assert_eq!(
        reject(&mut v, &fb),
        ValidationError::GasAccountingMismatch { increase, metadata_sum: Some(increase - 5) }
    );
    fb = block[2].clone();
    fb.metadata.transactions[0].gas_used = u64::MAX;
    assert!(matches!(
        reject(&mut v, &fb),
        ValidationError::GasAccountingMismatch { metadata_sum: None, .. }
    ));
    // Index 0 starts from 0 gas, against its own base's limit.
    let mut v = Validator::default();
    let mut zero = block[0].clone();
    zero.base.as_mut().unwrap().gas_limit = zero.diff.gas_used - 1;
    assert_eq!(reject(&mut v, &zero).rule_id(), "gas_over_limit");
    accept(&mut v, &block[0]);
    accept(&mut v, &block[1]);
    accept(&mut v, &block[2]);
}

#[test]
fn reset_forgets_the_block() {
    let block = &blocks(10, 1)[0];
    let mut v = after(block, 2);
    v.reset();
    assert!(v.current_block().is_none());
    assert_eq!(reject(&mut v, &block[2]).rule_id(), "not_started");
    let outcome = accept(&mut v, &block[0]);
    assert_eq!(outcome.accepted().unwrap().block_start(), Some(BlockStart::First));
}
