//! Helpers shared by the tests.

use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
use std::sync::Arc;

/// The blocks of a seeded generator, as input-model flashblocks.
pub(crate) fn blocks(
    seed: u64,
    config: GeneratorConfig,
    count: usize,
) -> Vec<Vec<Arc<Flashblock>>> {
    let mut generator = SequenceGenerator::new(seed, config);
    (0..count)
        .map(|_| {
            generator
                .next_block()
                .into_iter()
                .map(|fb| Arc::new(Flashblock::from_sealed_v1(fb)))
                .collect()
        })
        .collect()
}
