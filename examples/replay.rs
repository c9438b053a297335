//! `replay`: encodes a chain-maker stream to SSZ frames and decodes it back, or replays a
//! file of length-prefixed frames (each preceded by its length as 4 bytes little-endian).
//!
//! ```text
//! cargo run --release --example replay            # a simulated stream
//! cargo run --release --example replay -- FILE    # a capture of length-prefixed frames
//! ```

use flashblocks_examples::frames::{read_length_prefixed, write_length_prefixed};
use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames: Vec<Vec<u8>> = match std::env::args().nth(1) {
        Some(path) => {
            let bytes = std::fs::read(&path)?;
            read_length_prefixed(&bytes)?
        }
        None => {
            let mut generator = SequenceGenerator::new(2026, GeneratorConfig::default());
            let frames: Vec<Vec<u8>> =
                (0..3).flat_map(|_| generator.next_block()).map(|fb| fb.encode_ssz()).collect();
            // Round-trip through the capture format, as a file would be read.
            read_length_prefixed(&write_length_prefixed(&frames))?
        }
    };
    println!("{:>5} {:>5} {:>4} {:>12} {:>14}", "frame", "index", "txs", "gas_used", "root");
    for (i, frame) in frames.iter().enumerate() {
        match Flashblock::decode_v1(frame) {
            Ok(fb) => println!(
                "{i:>5} {:>5} {:>4} {:>12} {:>14}",
                fb.index(),
                fb.transactions().len(),
                fb.diff().gas_used,
                fb.identity().to_string().chars().take(12).collect::<String>(),
            ),
            Err(e) => println!("{i:>5} rejected: {e}"),
        }
    }
    Ok(())
}
