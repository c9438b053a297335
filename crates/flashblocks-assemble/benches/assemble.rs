//! Benchmarks of the assembler (placeholder).
fn main() {}
