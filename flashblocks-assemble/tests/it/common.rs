//! Helpers shared by the tests.

use flashblocks_assemble::with_block_hashes;
use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};

/// A generated block whose block hashes verify, as input models.
pub(crate) fn verified_block(seed: u64, config: GeneratorConfig) -> Vec<Flashblock> {
    let block = SequenceGenerator::new(seed, config).next_block();
    with_block_hashes(block)
        .expect("generated bases fit")
        .into_iter()
        .map(Flashblock::from)
        .collect()
}
