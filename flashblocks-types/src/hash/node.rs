//! One 64-byte node hash (two raw SHA-256 compressions), the zero hashes, and the
//! streaming merkleizer every root is built with.

#[cfg(feature = "test-utils")]
use alloy_primitives::B256;
use sha2::digest::generic_array::{typenum::U64, GenericArray};
use std::{hint::black_box, sync::LazyLock};

/// A 32-byte chunk or node.
pub(crate) type Node = [u8; 32];

type Block = GenericArray<u8, U64>;

/// SHA-256's initial state.
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The second block of SHA-256 over any 64-byte message: the `0x80` terminator, zeros,
/// and the message length (512 bits) big-endian. The same for every node.
const PAD: [u8; 64] = {
    let mut block = [0u8; 64];
    block[0] = 0x80;
    block[62] = 0x02;
    block
};

/// The deepest tree any value of the schema needs: a transaction's `ByteList[2^30]` is
/// 2^25 chunks deep 25; in-memory values over their limits (never decoded) grow it, up
/// to 2^64 leaves.
pub(crate) const MAX_DEPTH: usize = 64;

/// The two SHA-256 blocks of a 64-byte message, the padding block in place, so that a
/// node hash writes only its 64 bytes of input and runs one compression call.
#[derive(Clone, Debug)]
pub(crate) struct Blocks([Block; 2]);

impl Blocks {
    pub(crate) fn new() -> Self {
        Self([Block::default(), Block::from(PAD)])
    }

    /// `sha256` of the message block as it stands: the block and the constant padding
    /// block through `sha2`'s raw compression function (SHA-NI when the CPU has it,
    /// detected at run time by `sha2`).
    #[inline]
    fn digest(&self) -> Node {
        let mut state = IV;
        sha2::compress256(&mut state, &self.0);
        let mut out = [0u8; 32];
        for (dst, word) in out.chunks_exact_mut(4).zip(state) {
            dst.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// `sha256(block)`.
    #[inline]
    pub(crate) fn block(&mut self, block: &[u8; 64]) -> Node {
        let block = black_box(block);
        let [message, _] = &mut self.0;
        message.copy_from_slice(block);
        self.digest()
    }

    /// `sha256(left ++ right)`.
    #[inline]
    pub(crate) fn pair(&mut self, left: &Node, right: &Node) -> Node {
        // Opaque inputs: without this, LLVM's code for the copy makes consecutive hashes
        // wait on each other, and two independent chains (see `lanes`) run no faster than
        // one (measured: 75 ns a node either way; with it, 50 ns a node for two chains).
        let (left, right) = (black_box(left), black_box(right));
        let [message, _] = &mut self.0;
        let (l, r) = message.split_at_mut(32);
        l.copy_from_slice(left);
        r.copy_from_slice(right);
        self.digest()
    }

    /// `sha256(bytes ++ zero padding)` of up to 64 bytes.
    #[inline]
    pub(crate) fn padded(&mut self, bytes: &[u8]) -> Node {
        let [message, _] = &mut self.0;
        message.fill(0);
        message.iter_mut().zip(bytes).for_each(|(d, s)| *d = *s);
        self.digest()
    }
}

/// `sha256(left ++ right)` with a fresh block pair.
fn hash_pair(left: &Node, right: &Node) -> Node {
    Blocks::new().pair(left, right)
}

/// `ZERO[d]`: the root of a tree of depth `d` whose leaves are all zero chunks.
static ZERO: LazyLock<[Node; MAX_DEPTH + 1]> = LazyLock::new(|| {
    let mut zero = [[0u8; 32]; MAX_DEPTH + 1];
    let mut node = [0u8; 32];
    for slot in zero.iter_mut().skip(1) {
        node = hash_pair(&node, &node);
        *slot = node;
    }
    zero
});

/// The zero hashes, `ZERO[0]` (a zero chunk) up to `ZERO[64]`.
pub(crate) fn zero_hashes() -> &'static [Node; MAX_DEPTH + 1] {
    &ZERO
}

/// The depth of a tree with room for `leaves` leaves: `ceil(log2(leaves))`, 0 for 0 or 1.
pub(crate) const fn depth_for(leaves: usize) -> usize {
    if leaves <= 1 {
        0
    } else {
        (usize::BITS - (leaves - 1).leading_zeros()) as usize
    }
}

/// A node hasher that counts the 64-byte node hashes it does, with the zero hashes at
/// hand.
#[derive(Debug)]
pub(crate) struct Hasher {
    zero: &'static [Node; MAX_DEPTH + 1],
    /// Two block buffers, used in turn: consecutive independent hashes then touch
    /// different memory, and the CPU overlaps them (see [`lanes`](super::lanes)).
    blocks: [Blocks; 2],
    turn: bool,
    /// The node hashes done so far.
    pub(crate) nodes: u64,
}

impl Hasher {
    pub(crate) fn new() -> Self {
        Self { zero: zero_hashes(), blocks: [Blocks::new(), Blocks::new()], turn: false, nodes: 0 }
    }

    /// `ZERO[depth]` (a zero node for a depth past the table, never reached by the schema).
    #[inline]
    pub(crate) fn zero(&self, depth: usize) -> Node {
        self.zero.get(depth).copied().unwrap_or_default()
    }

    /// The block buffer for the next hash (the other one than last time).
    #[inline]
    fn next_blocks(&mut self) -> &mut Blocks {
        self.nodes += 1;
        self.turn = !self.turn;
        let [a, b] = &mut self.blocks;
        if self.turn {
            a
        } else {
            b
        }
    }

    #[inline]
    pub(crate) fn pair(&mut self, left: &Node, right: &Node) -> Node {
        self.next_blocks().pair(left, right)
    }

    #[inline]
    pub(crate) fn block(&mut self, block: &[u8; 64]) -> Node {
        self.next_blocks().block(block)
    }

    /// `sha256(bytes ++ zero padding)` of up to 64 bytes.
    #[inline]
    pub(crate) fn padded(&mut self, bytes: &[u8]) -> Node {
        self.next_blocks().padded(bytes)
    }

    /// `mix_in_length(root, len)`.
    #[inline]
    pub(crate) fn mix_in_length(&mut self, root: &Node, len: usize) -> Node {
        self.pair(root, &u64_chunk(len as u64))
    }

    /// `mix_in_selector(root, selector)` of a `Union[None, T]`: `None` is `ZERO[1]`.
    #[inline]
    pub(crate) fn union(&mut self, value: Option<Node>) -> Node {
        match value {
            None => self.zero(1),
            Some(root) => {
                let mut one = [0u8; 32];
                one[0] = 1;
                self.pair(&root, &one)
            }
        }
    }

    /// `hash_tree_root` of a `ByteList` of `bytes` with room for `limit_chunks` chunks.
    pub(crate) fn byte_list(&mut self, bytes: &[u8], limit_chunks: usize) -> Node {
        let root = self.byte_vector(bytes, limit_chunks);
        self.mix_in_length(&root, bytes.len())
    }

    /// `merkleize(pack(bytes), limit_chunks)`: the bytes' own subtree, then up to the
    /// limit's depth beside zero subtrees.
    pub(crate) fn byte_vector(&mut self, bytes: &[u8], limit_chunks: usize) -> Node {
        let depth = depth_for(limit_chunks.max(bytes.len().div_ceil(32)));
        let subtree = self.bytes_subtree(bytes, depth);
        self.climb(subtree, depth)
    }

    /// The root of the smallest leftmost subtree that holds the chunks of `bytes`, and its
    /// depth (`ZERO[depth]` at `depth` for no bytes). Pairs of chunks are hashed straight
    /// from the input, the last partial pair from a zero-padded copy.
    pub(crate) fn bytes_subtree(&mut self, bytes: &[u8], depth: usize) -> (Node, usize) {
        let chunks = bytes.len().div_ceil(32);
        if chunks == 0 {
            return (self.zero(depth), depth);
        }
        let own = depth_for(chunks);
        if own == 0 {
            return (chunk(bytes), 0);
        }
        let mut upper = Merkleizer::new(own - 1);
        let mut blocks = bytes.chunks_exact(64);
        for block in blocks.by_ref() {
            let node = match block.first_chunk::<64>() {
                Some(block) => self.block(block),
                None => self.padded(block),
            };
            upper.push(self, node);
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            let node = self.padded(rest);
            upper.push(self, node);
        }
        (upper.finish(self, 1), own)
    }

    /// Climbs from a subtree root at `from` to depth `to`, beside zero subtrees.
    pub(crate) fn climb(&mut self, (mut node, from): (Node, usize), to: usize) -> Node {
        for level in from..to {
            let zero = self.zero(level);
            node = self.pair(&node, &zero);
        }
        node
    }
}

/// The chunk of a `uint64`.
#[inline]
pub(crate) fn u64_chunk(v: u64) -> Node {
    let mut chunk = [0u8; 32];
    chunk.iter_mut().zip(v.to_le_bytes()).for_each(|(d, s)| *d = s);
    chunk
}

/// The chunk of up to 32 bytes, zero padded (a `Bytes4`, `Bytes8`, `Bytes20`).
#[inline]
pub(crate) fn chunk(bytes: &[u8]) -> Node {
    let mut chunk = [0u8; 32];
    chunk.iter_mut().zip(bytes).for_each(|(d, s)| *d = *s);
    chunk
}

/// Merkleizes leaves pushed one at a time into a tree of a fixed depth, keeping one
/// pending node per level (no allocation): each node that is not a zero subtree is
/// hashed exactly once.
#[derive(Debug)]
pub(crate) struct Merkleizer {
    depth: usize,
    leaves: u64,
    pending: [Node; MERKLEIZER_LEVELS],
}

/// Levels a [`Merkleizer`] holds: it merkleizes a subtree just deep enough for its
/// leaves (the climb to the limit's depth is [`Hasher::climb`]), and 2^47 leaves of 32
/// bytes are far beyond any memory. Kept small: it is set up for every transaction.
const MERKLEIZER_LEVELS: usize = 48;

impl Merkleizer {
    pub(crate) const fn new(depth: usize) -> Self {
        Self { depth, leaves: 0, pending: [[0u8; 32]; MERKLEIZER_LEVELS] }
    }

    /// Adds the next leaf.
    #[inline]
    pub(crate) fn push(&mut self, h: &mut Hasher, leaf: Node) {
        let mut node = leaf;
        let mut level = 0;
        while level < self.depth && self.leaves >> level & 1 == 1 {
            let Some(left) = self.pending.get(level) else { break };
            node = h.pair(left, &node);
            level += 1;
        }
        if let Some(slot) = self.pending.get_mut(level) {
            *slot = node;
        }
        self.leaves += 1;
    }

    /// The root. `base_level` is the level of the pushed leaves in the zero-hash table
    /// (1 when the leaves are themselves hashes of chunk pairs).
    pub(crate) fn finish(&self, h: &mut Hasher, base_level: usize) -> Node {
        if self.leaves == 0 {
            return h.zero(self.depth + base_level);
        }
        let mut node: Option<Node> = None;
        for level in 0..self.depth {
            let has_pending = self.leaves >> level & 1 == 1;
            let pending = self.pending.get(level).copied().unwrap_or_default();
            node = match (has_pending, node) {
                (true, Some(right)) => Some(h.pair(&pending, &right)),
                (true, None) => Some(h.pair(&pending, &h.zero(level + base_level))),
                (false, Some(left)) => Some(h.pair(&left, &h.zero(level + base_level))),
                (false, None) => None,
            };
        }
        node.unwrap_or_else(|| self.pending.get(self.depth).copied().unwrap_or_default())
    }
}

/// One 64-byte node hash, `sha256(block)`, as the fast hasher does it.
#[cfg(feature = "test-utils")]
pub fn node_hash(block: &[u8; 64]) -> B256 {
    B256::from(Blocks::new().block(block))
}

/// The fast hasher's node hash, reusable: the padding block stays in place between
/// hashes, so each hash writes its 64 bytes and runs one compression call, exactly as
/// inside the fast hasher. The unit of the floor the benches
/// measure against.
///
/// ```
/// use flashblocks_types::hash::{node_hash, NodeHasher};
///
/// let mut hasher = NodeHasher::new();
/// assert_eq!(hasher.hash(&[7; 64]), node_hash(&[7; 64]));
/// ```
#[cfg(feature = "test-utils")]
#[derive(Clone, Debug)]
pub struct NodeHasher(Blocks);

#[cfg(feature = "test-utils")]
impl NodeHasher {
    /// A node hasher.
    pub fn new() -> Self {
        Self(Blocks::new())
    }

    /// `sha256(block)`.
    pub fn hash(&mut self, block: &[u8; 64]) -> B256 {
        B256::from(self.0.block(block))
    }
}

#[cfg(feature = "test-utils")]
impl Default for NodeHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Hasher {
    /// `merkleize(fields)` of a container's field roots, reduced in place (a container
    /// has at most 9 fields here).
    pub(crate) fn container<const N: usize>(&mut self, mut nodes: [Node; N]) -> Node {
        let mut len = N;
        let mut level = 0;
        while len > 1 {
            let half = len.div_ceil(2);
            for i in 0..half {
                let left = nodes.get(2 * i).copied().unwrap_or_default();
                let right = match nodes.get(2 * i + 1) {
                    Some(right) if 2 * i + 1 < len => *right,
                    _ => self.zero(level),
                };
                let node = self.pair(&left, &right);
                if let Some(slot) = nodes.get_mut(i) {
                    *slot = node;
                }
            }
            len = half;
            level += 1;
        }
        nodes.first().copied().unwrap_or_default()
    }

    /// `hash_tree_root` of a `List[T, limit]` of composite items, the items' roots given
    /// one at a time by `roots`.
    pub(crate) fn list<I>(&mut self, len: usize, limit: usize, roots: I) -> Node
    where
        I: FnOnce(&mut Self, &mut Merkleizer),
    {
        let depth = depth_for(limit.max(len));
        let subtree = self.roots_subtree(len, depth, roots);
        let root = self.climb(subtree, depth);
        self.mix_in_length(&root, len)
    }

    /// The root of the smallest leftmost subtree that holds `len` leaves given by
    /// `roots`, and its depth (`ZERO[depth]` at `depth` for none).
    pub(crate) fn roots_subtree<I>(&mut self, len: usize, depth: usize, roots: I) -> (Node, usize)
    where
        I: FnOnce(&mut Self, &mut Merkleizer),
    {
        if len == 0 {
            return (self.zero(depth), depth);
        }
        let own = depth_for(len);
        let mut m = Merkleizer::new(own);
        roots(self, &mut m);
        (m.finish(self, 0), own)
    }
}
