//! Helpers shared by the tests.

use flashblocks_assemble::{with_block_hashes, Assembler, BlockHashCheck};
use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
use flashblocks_validate::{AcceptedFlashblock, Validator, ValidatorConfig};

/// A generated block whose block hashes verify, as input models.
pub(crate) fn verified_block(seed: u64, config: GeneratorConfig) -> Vec<Flashblock> {
    let block = SequenceGenerator::new(seed, config).next_block();
    with_block_hashes(block)
        .expect("generated bases fit")
        .into_iter()
        .map(Flashblock::from)
        .collect()
}

/// A validator for the tests' blocks: OP rules off (the tests' blocks carry withdrawals
/// and made-up transactions), a bound above any test block, with the block-hash check
/// when `check`.
pub(crate) fn validator(check: bool) -> Validator {
    let config =
        ValidatorConfig::default().with_op_rules(false).with_max_flashblocks_per_block(1024);
    let validator = Validator::new(config);
    if check {
        validator.with_check(Box::new(BlockHashCheck::new()))
    } else {
        validator
    }
}

/// The tokens of `block`, fed in order to `validator` (each must be accepted).
#[track_caller]
pub(crate) fn accept_all(
    validator: &mut Validator,
    block: &[Flashblock],
) -> Vec<AcceptedFlashblock> {
    block
        .iter()
        .map(|fb| {
            let outcome = validator.validate(fb.clone()).expect("accepted");
            outcome.into_accepted().expect("not a duplicate")
        })
        .collect()
}

/// The assembler of `tokens` (the first starts the block).
pub(crate) fn assembled(tokens: &[AcceptedFlashblock]) -> Assembler {
    let mut assembler = Assembler::new(&tokens[0]).expect("a block start");
    for token in &tokens[1..] {
        assembler.append(token).expect("next");
    }
    assembler
}
