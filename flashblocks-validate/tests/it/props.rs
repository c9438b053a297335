//! Property tests over chain-maker streams: random mutations of valid streams, fed with
//! resends and resets; every rejection leaves the state unchanged, and what is accepted
//! keeps the sequence invariants (contiguous indices, one payload per index, the parent
//! hash chain, monotone gas).

use crate::blocks;
use alloy_primitives::{Address, Bytes, B256};
use flashblocks_types::{Flashblock, FlashblocksPayloadV1, PayloadId, Withdrawal};
use flashblocks_validate::{fuzz::SequenceInvariants, Validator, ValidatorConfig};
use proptest::prelude::*;

/// One step of a test stream. A frame is picked near the one expected next (`pick`).
#[derive(Clone, Debug)]
enum Op {
    /// Feed a frame as made.
    Feed(usize),
    /// Feed a frame after mutation `m` with parameter `x`.
    Mutate(usize, u8, u64),
    /// Reset the validator.
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<usize>().prop_map(Op::Feed),
        4 => (any::<usize>(), 0u8..16, any::<u64>()).prop_map(|(i, m, x)| Op::Mutate(i, m, x)),
        1 => Just(Op::Reset),
    ]
}

/// Breaks (or, sometimes, keeps valid) a payload in one of many ways.
fn mutate(p: &mut FlashblocksPayloadV1, m: u8, x: u64, others: &[FlashblocksPayloadV1]) {
    let other = &others[x as usize % others.len()];
    let b = B256::from(alloy_primitives::U256::from(x));
    match m {
        0 => p.index = x % 6,
        1 => {
            p.payload_id =
                if x.is_multiple_of(2) { other.payload_id } else { PayloadId::new(x.to_le_bytes()) }
        }
        2 => {
            p.parent_flash_hash = (!x.is_multiple_of(3)).then(|| {
                if x % 3 == 1 {
                    b
                } else {
                    other.hash_tree_root_slow()
                }
            })
        }
        3 => {
            p.base = if x.is_multiple_of(2) {
                None
            } else {
                other.base.clone().or_else(|| p.base.clone())
            }
        }
        4 => p.diff.gas_used = p.diff.gas_used.wrapping_add(x % 50_000).wrapping_sub(25_000),
        5 => {
            p.metadata.transactions.pop();
        }
        6 => {
            if let Some(t) = p.metadata.transactions.first_mut() {
                t.status = (x % 4) as u8;
            }
        }
        7 => p.diff.withdrawals.push(Withdrawal { index: x, ..Withdrawal::default() }),
        8 => {
            if let Some(tx) = p.diff.transactions.last_mut() {
                *tx = if x.is_multiple_of(2) { Bytes::new() } else { Bytes::from(vec![0x7e, 1]) };
            }
        }
        9 => {
            let accounts = &mut p.metadata.accounts;
            if accounts.len() >= 2 {
                accounts[1].address = accounts[0].address;
            }
        }
        10 => {
            if let Some(a) = p.metadata.accounts.first_mut() {
                a.storage_slots.reverse();
            }
        }
        11 => {
            if let Some(base) = p.base.as_mut() {
                base.block_number = base.block_number.wrapping_add(x % 3).wrapping_sub(1);
            }
        }
        12 => {
            if let Some(base) = p.base.as_mut() {
                base.gas_limit = x % 2_000_000;
            }
        }
        13 => p.diff.state_root = b,
        14 => {
            if let Some(t) = p.metadata.transactions.first_mut() {
                t.gas_used = t.gas_used.wrapping_add(x % 3).wrapping_sub(1);
            }
        }
        _ => {
            if let Some(a) = p.metadata.accounts.first_mut() {
                a.address = Address::from_word(b);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_streams_keep_the_invariants(
        seed in any::<u64>(),
        bound in 2u64..8,
        ops in proptest::collection::vec(op(), 1..32),
    ) {
        let frames: Vec<FlashblocksPayloadV1> = blocks(seed, 3).into_iter().flatten().collect();
        let mut validator =
            Validator::new(ValidatorConfig::default().with_max_flashblocks_per_block(bound));
        let mut invariants = SequenceInvariants::new();
        let roots: Vec<B256> = frames.iter().map(FlashblocksPayloadV1::hash_tree_root_slow).collect();
        let mut rejected = 0usize;
        // The position in `frames` of the frame expected next; picks land near it.
        let mut next = 0usize;
        let pick = |i: usize, next: usize| {
            if i.is_multiple_of(4) { i / 4 % frames.len() } else { (next + i % 4 - 1) % frames.len() }
        };
        for op in ops {
            let payload = match op {
                Op::Reset => {
                    validator.reset();
                    next -= next % 4;
                    invariants.reset();
                    prop_assert!(validator.current_block().is_none());
                    continue;
                }
                Op::Feed(i) => frames[pick(i, next)].clone(),
                Op::Mutate(i, m, x) => {
                    let mut p = frames[pick(i, next)].clone();
                    mutate(&mut p, m, x, &frames);
                    p
                }
            };
            let fb = Flashblock::from_v1(payload);
            let before = validator.current_block().cloned();
            match validator.validate(fb.clone()) {
                Ok(outcome) => {
                    invariants.observe(&fb, &outcome);
                    if let Some(pos) = roots.iter().position(|r| *r == fb.identity()) {
                        next = pos + usize::from(outcome.is_accepted());
                    }
                    if outcome.is_duplicate() {
                        prop_assert_eq!(validator.current_block(), before.as_ref());
                    }
                }
                Err(e) => {
                    rejected += 1;
                    prop_assert_eq!(validator.current_block(), before.as_ref(), "{}", e);
                }
            }
        }
        prop_assert!(rejected <= 60);
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Unmutated blocks in order, each flashblock possibly resent, are all accepted.
    #[test]
    fn valid_streams_are_accepted(seed in any::<u64>(), resend in any::<u64>()) {
        let mut validator = Validator::default();
        let mut invariants = SequenceInvariants::new();
        for (b, block) in blocks(seed, 3).iter().enumerate() {
            for (i, p) in block.iter().enumerate() {
                let fb = Flashblock::from_v1(p.clone());
                let outcome = validator.validate(fb.clone()).expect("valid");
                prop_assert!(outcome.is_accepted());
                invariants.observe(&fb, &outcome);
                if resend >> (b * 4 + i) & 1 == 1 {
                    prop_assert!(validator.validate(fb.clone()).expect("resend").is_duplicate());
                }
            }
        }
        prop_assert_eq!(invariants.accepted(), 12);
    }
}

#[test]
fn mutated_streams_reach_both_answers() {
    // Each frame of three blocks, first mutated, then as made.
    let frames: Vec<FlashblocksPayloadV1> = blocks(99, 3).into_iter().flatten().collect();
    let mut validator = Validator::default();
    let (mut accepted, mut rejected) = (0, 0);
    for (i, p) in frames.iter().enumerate() {
        let mut bad = p.clone();
        mutate(&mut bad, (i % 16) as u8, i as u64 * 7919, &frames);
        for candidate in [bad, p.clone()] {
            match validator.validate(Flashblock::from_v1(candidate)) {
                Ok(o) => accepted += usize::from(o.is_accepted()),
                Err(_) => rejected += 1,
            }
        }
    }
    // Every valid frame is accepted after its mutated twin was rejected (or, for the
    // mutations that keep it valid, it is a duplicate or an equivocation).
    assert!(accepted >= 10 && rejected >= 6, "accepted {accepted}, rejected {rejected}");
}
