//! Two hash chains in lockstep.
//!
//! Most node hashes of a flashblock are a chain: a 200-byte transaction's root climbs 22
//! levels beside zero subtrees (its `ByteList[2^30]` limit), an account's four storage
//! slots climb 18. Each hash there waits for the one before, so one chain runs at the
//! latency of a SHA-256 compression. Two independent chains, hashed in turn into two
//! block buffers, let the CPU overlap them (measured here on SHA-NI: about 1.5× the
//! hashes per second of one chain). The hashes and the roots are the same.

use super::node::{depth_for, Hasher, Merkleizer, Node};

impl Hasher {
    /// Climbs two independent subtree roots, `a` from its depth to `to_a` and `b` to
    /// `to_b`, beside zero subtrees, in lockstep.
    pub(crate) fn climb2(
        &mut self,
        (mut a, mut level_a): (Node, usize),
        to_a: usize,
        (mut b, mut level_b): (Node, usize),
        to_b: usize,
    ) -> (Node, Node) {
        while level_a < to_a && level_b < to_b {
            let zero_a = self.zero(level_a);
            a = self.pair(&a, &zero_a);
            level_a += 1;
            let zero_b = self.zero(level_b);
            b = self.pair(&b, &zero_b);
            level_b += 1;
        }
        (self.climb((a, level_a), to_a), self.climb((b, level_b), to_b))
    }

    /// The roots of two `ByteList`s with room for `limit_chunks` chunks each.
    pub(crate) fn byte_lists2(&mut self, a: &[u8], b: &[u8], limit_chunks: usize) -> (Node, Node) {
        let to_a = depth_for(limit_chunks.max(a.len().div_ceil(32)));
        let to_b = depth_for(limit_chunks.max(b.len().div_ceil(32)));
        let (sub_a, sub_b) = self.bytes_subtrees2(a, to_a, b, to_b);
        let (root_a, root_b) = self.climb2(sub_a, to_a, sub_b, to_b);
        let a = self.mix_in_length(&root_a, a.len());
        let b = self.mix_in_length(&root_b, b.len());
        (a, b)
    }

    /// The roots of two `List[T, limit]`s of composite items, of `len_a` and `len_b`
    /// items whose roots `roots_a` and `roots_b` give.
    pub(crate) fn lists2<A, B>(
        &mut self,
        limit: usize,
        (len_a, roots_a): (usize, A),
        (len_b, roots_b): (usize, B),
    ) -> (Node, Node)
    where
        A: FnOnce(&mut Self, &mut Merkleizer),
        B: FnOnce(&mut Self, &mut Merkleizer),
    {
        let to_a = depth_for(limit.max(len_a));
        let to_b = depth_for(limit.max(len_b));
        let sub_a = self.roots_subtree(len_a, to_a, roots_a);
        let sub_b = self.roots_subtree(len_b, to_b, roots_b);
        let (root_a, root_b) = self.climb2(sub_a, to_a, sub_b, to_b);
        let a = self.mix_in_length(&root_a, len_a);
        let b = self.mix_in_length(&root_b, len_b);
        (a, b)
    }

    /// [`bytes_subtree`](Hasher::bytes_subtree) of two byte strings, their chunk pairs
    /// hashed in turn.
    fn bytes_subtrees2(
        &mut self,
        a: &[u8],
        depth_a: usize,
        b: &[u8],
        depth_b: usize,
    ) -> ((Node, usize), (Node, usize)) {
        let (own_a, own_b) = (depth_for(a.len().div_ceil(32)), depth_for(b.len().div_ceil(32)));
        if own_a == 0 || own_b == 0 {
            return (self.bytes_subtree(a, depth_a), self.bytes_subtree(b, depth_b));
        }
        let (mut upper_a, mut upper_b) = (Merkleizer::new(own_a - 1), Merkleizer::new(own_b - 1));
        let blocks = a.len().max(b.len()).div_ceil(64);
        for i in 0..blocks {
            if let Some(node) = self.leaf_block(a, i) {
                upper_a.push(self, node);
            }
            if let Some(node) = self.leaf_block(b, i) {
                upper_b.push(self, node);
            }
        }
        let root_a = upper_a.finish(self, 1);
        let root_b = upper_b.finish(self, 1);
        ((root_a, own_a), (root_b, own_b))
    }

    /// The hash of the `i`-th 64-byte block of `bytes` (zero padded), if it has one.
    #[inline]
    fn leaf_block(&mut self, bytes: &[u8], i: usize) -> Option<Node> {
        let rest = bytes.get(i * 64..).filter(|rest| !rest.is_empty())?;
        Some(match rest.first_chunk::<64>() {
            Some(block) => self.block(block),
            None => self.padded(rest),
        })
    }
}
