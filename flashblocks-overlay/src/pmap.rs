//! [`PMap`]: a persistent hash map whose memory is known.
//!
//! A hash array mapped trie (32 children a node, 5 bits of a 64-bit hash a level) with
//! structural sharing: cloning a map is O(1), and an insert or remove copies only the
//! nodes on its path that another version still shares, once per version (a node this
//! version owns alone is changed in place). Unlike a general-purpose persistent map it
//! keeps count of its memory:
//!
//! - every node's slot vector has exactly the capacity it uses (a node of `p` children
//!   takes `p` slots of 16 bytes), every entry is one allocation of its own, and
//!   [`bytes`](PMap::bytes) is the sum over every allocation this version reaches,
//!   allocator overhead included ([`alloc_bytes`]), kept up to date by each change;
//! - [`retired`](PMap::retired) counts the bytes of the nodes and entries this version
//!   stopped using while an older version still shared them: an upper bound of what the
//!   older versions hold beyond this one, so that a caller can bound what its retired
//!   snapshots keep alive.
//!
//! Copy cost: a node holds pointers, never entries, so a shared node costs at most
//! 32 × 16 bytes to copy, and an apply of `k` changes copies at most `k` paths of about
//! `log₃₂ n` nodes.

use std::{
    hash::{BuildHasher, Hash},
    mem::size_of,
    sync::Arc,
};

/// The hasher: `foldhash`, seeded per map (keys come from the stream, so a fixed hash
/// would let a builder aim collisions at one trie node).
pub(crate) type Hasher = foldhash::fast::RandomState;

const BITS: u32 = 5;
const MASK: u64 = (1 << BITS) - 1;

/// What an allocation of `size` bytes costs: the size rounded up to 16 bytes plus 16
/// bytes of allocator header (glibc's `malloc` uses 8 and rounds to 16; jemalloc and
/// mimalloc round small sizes to size classes at most 25 % apart, which the 16-byte
/// header and rounding cover for the sizes here, all at least 32).
pub(crate) const fn alloc_bytes(size: usize) -> usize {
    if size == 0 {
        return 0;
    }
    size.div_ceil(16).saturating_mul(16).saturating_add(16)
}

/// The size of `Arc<T>`'s allocation: two counters and the value.
const fn arc_bytes<T>() -> usize {
    alloc_bytes(2 * size_of::<usize>() + size_of::<T>())
}

/// One entry: the key's full hash, the key and the value.
#[derive(Debug)]
struct Leaf<K, V> {
    hash: u64,
    key: K,
    value: V,
}

#[derive(Debug)]
enum Slot<K, V> {
    Leaf(Arc<Leaf<K, V>>),
    Node(Arc<Node<K, V>>),
    /// Entries whose 64-bit hashes are all equal (`hash`).
    Collision(u64, Arc<Vec<Leaf<K, V>>>),
}

impl<K, V> Clone for Slot<K, V> {
    fn clone(&self) -> Self {
        match self {
            Self::Leaf(l) => Self::Leaf(l.clone()),
            Self::Node(n) => Self::Node(n.clone()),
            Self::Collision(h, c) => Self::Collision(*h, c.clone()),
        }
    }
}

#[derive(Debug)]
struct Node<K, V> {
    bitmap: u32,
    /// Exactly as many slots as bits set in `bitmap`, with that capacity.
    slots: Vec<Slot<K, V>>,
}

impl<K, V> Node<K, V> {
    const fn empty() -> Self {
        Self { bitmap: 0, slots: Vec::new() }
    }

    /// The node's allocations: the `Arc` and its slot vector.
    fn bytes(&self) -> usize {
        arc_bytes::<Self>() + alloc_bytes(self.slots.capacity() * size_of::<Slot<K, V>>())
    }

    fn position(&self, bit: u32) -> usize {
        (self.bitmap & (bit - 1)).count_ones() as usize
    }

    fn shared_copy(&self) -> Self {
        let mut slots = Vec::with_capacity(self.slots.len());
        slots.extend(self.slots.iter().cloned());
        Self { bitmap: self.bitmap, slots }
    }
}

const fn leaf_bytes<K, V>() -> usize {
    arc_bytes::<Leaf<K, V>>()
}

fn collision_bytes<K, V>(entries: &Vec<Leaf<K, V>>) -> usize {
    arc_bytes::<Vec<Leaf<K, V>>>() + alloc_bytes(entries.capacity() * size_of::<Leaf<K, V>>())
}

const fn bit_of(hash: u64, shift: u32) -> u32 {
    1 << ((hash >> shift) & MASK)
}

/// A persistent hash map (see the module docs).
#[derive(Debug)]
pub(crate) struct PMap<K, V> {
    root: Arc<Node<K, V>>,
    len: usize,
    bytes: usize,
    retired: usize,
    hasher: Hasher,
}

impl<K, V> Clone for PMap<K, V> {
    /// An O(1) copy sharing every node; its [`retired`](Self::retired) count starts at 0.
    fn clone(&self) -> Self {
        Self {
            root: self.root.clone(),
            len: self.len,
            bytes: self.bytes,
            retired: 0,
            hasher: self.hasher.clone(),
        }
    }
}

impl<K, V> Default for PMap<K, V> {
    fn default() -> Self {
        let root = Arc::new(Node::empty());
        let bytes = root.bytes();
        Self { root, len: 0, bytes, retired: 0, hasher: Hasher::default() }
    }
}

/// The change counters of one operation.
#[derive(Default)]
struct Tally {
    /// Bytes this version now holds more (or less).
    grown: usize,
    shrunk: usize,
    /// Bytes still shared with an older version that this version stopped using.
    retired: usize,
}

impl Tally {
    /// A mutable node, copying it first if another version shares it.
    fn own<'n, K, V>(&mut self, node: &'n mut Arc<Node<K, V>>) -> &'n mut Node<K, V> {
        if Arc::get_mut(node).is_none() {
            // The copy has the same size as the original, which the older versions keep.
            self.retired += node.bytes();
            *node = Arc::new(node.shared_copy());
        }
        match Arc::get_mut(node) {
            Some(node) => node,
            None => unreachable!("a fresh Arc is unique"),
        }
    }

    /// Drops a reference to an entry or node of `bytes` bytes from this version.
    fn release<T>(&mut self, item: &Arc<T>, bytes: usize) {
        self.shrunk += bytes;
        if Arc::strong_count(item) > 1 {
            self.retired += bytes;
        }
    }

    /// Inserts `slot` at `position` of `node`, keeping the capacity exact.
    fn insert_slot<K, V>(&mut self, node: &mut Node<K, V>, bit: u32, slot: Slot<K, V>) {
        let before = node.bytes();
        let position = node.position(bit);
        node.slots.reserve_exact(1);
        node.slots.insert(position, slot);
        node.bitmap |= bit;
        self.grown += node.bytes();
        self.shrunk += before;
    }

    /// Removes the slot for `bit` of `node`, keeping the capacity exact.
    fn remove_slot<K, V>(&mut self, node: &mut Node<K, V>, bit: u32) -> Slot<K, V> {
        let before = node.bytes();
        let position = node.position(bit);
        let slot = node.slots.remove(position);
        node.slots.shrink_to_fit();
        node.bitmap &= !bit;
        self.grown += node.bytes();
        self.shrunk += before;
        slot
    }
}

impl<K: Hash + Eq + Clone, V: Clone> PMap<K, V> {
    fn hash(&self, key: &K) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The number of entries.
    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    /// The bytes of every allocation this version reaches (nodes and entries; the heap
    /// memory the keys and values own themselves is not included).
    pub(crate) const fn bytes(&self) -> usize {
        self.bytes
    }

    /// The bytes this version stopped using while an older version shared them, since it
    /// was cloned (see the module docs).
    pub(crate) const fn retired(&self) -> usize {
        self.retired
    }

    /// Starts counting [`retired`](Self::retired) bytes anew.
    pub(crate) fn reset_retired(&mut self) {
        self.retired = 0;
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let hash = self.hash(key);
        let mut node = &self.root;
        let mut shift = 0;
        loop {
            let bit = bit_of(hash, shift);
            if node.bitmap & bit == 0 {
                return None;
            }
            match node.slots.get(node.position(bit))? {
                Slot::Leaf(leaf) => {
                    return (leaf.hash == hash && leaf.key == *key).then_some(&leaf.value)
                }
                Slot::Node(child) => node = child,
                Slot::Collision(h, entries) => {
                    return (*h == hash)
                        .then(|| entries.iter().find(|l| l.key == *key).map(|l| &l.value))
                        .flatten()
                }
            }
            shift += BITS;
        }
    }

    /// Sets `key` to `value`; returns the previous value.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = self.hash(&key);
        let mut tally = Tally::default();
        let previous = insert(&mut self.root, 0, Leaf { hash, key, value }, &mut tally);
        if previous.is_none() {
            self.len += 1;
        }
        self.account(tally);
        previous
    }

    /// Removes `key`; returns its value.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.get(key)?;
        let hash = self.hash(key);
        let mut tally = Tally::default();
        let removed = remove(&mut self.root, 0, hash, key, &mut tally);
        if removed.is_some() {
            self.len -= 1;
        }
        self.account(tally);
        removed
    }

    fn account(&mut self, tally: Tally) {
        self.bytes = (self.bytes + tally.grown).saturating_sub(tally.shrunk);
        self.retired = self.retired.saturating_add(tally.retired);
    }

    /// The entries, in no particular order.
    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        Iter { stack: vec![self.root.slots.iter()], collision: None }
    }
}

fn insert<K: Eq + Clone, V: Clone>(
    node: &mut Arc<Node<K, V>>,
    shift: u32,
    leaf: Leaf<K, V>,
    tally: &mut Tally,
) -> Option<V> {
    let bit = bit_of(leaf.hash, shift);
    let node = tally.own(node);
    if node.bitmap & bit == 0 {
        tally.grown += leaf_bytes::<K, V>();
        tally.insert_slot(node, bit, Slot::Leaf(Arc::new(leaf)));
        return None;
    }
    let position = node.position(bit);
    let slot = node.slots.get_mut(position)?;
    match slot {
        Slot::Node(child) => insert(child, shift + BITS, leaf, tally),
        Slot::Leaf(existing) if existing.hash == leaf.hash && existing.key == leaf.key => {
            let previous = existing.value.clone();
            tally.release(existing, leaf_bytes::<K, V>());
            tally.grown += leaf_bytes::<K, V>();
            *existing = Arc::new(leaf);
            Some(previous)
        }
        Slot::Leaf(existing) if existing.hash == leaf.hash => {
            // Two keys, one 64-bit hash: a collision list.
            let hash = leaf.hash;
            let first = Leaf { hash, key: existing.key.clone(), value: existing.value.clone() };
            tally.release(existing, leaf_bytes::<K, V>());
            let entries = vec![first, leaf];
            tally.grown += collision_bytes(&entries);
            *slot = Slot::Collision(hash, Arc::new(entries));
            None
        }
        Slot::Collision(hash, entries) if *hash == leaf.hash => {
            let before = collision_bytes(entries);
            if Arc::get_mut(entries).is_none() {
                tally.retired += before;
                let mut copy = Vec::with_capacity(entries.len() + 1);
                copy.extend(entries.iter().map(|l| Leaf {
                    hash: l.hash,
                    key: l.key.clone(),
                    value: l.value.clone(),
                }));
                *entries = Arc::new(copy);
            }
            let Some(list) = Arc::get_mut(entries) else { unreachable!("a fresh Arc is unique") };
            let previous = match list.iter_mut().find(|l| l.key == leaf.key) {
                Some(existing) => Some(std::mem::replace(&mut existing.value, leaf.value)),
                None => {
                    list.reserve_exact(1);
                    list.push(leaf);
                    None
                }
            };
            tally.grown += collision_bytes(list);
            tally.shrunk += before;
            previous
        }
        _ => {
            // A leaf or collision list of another hash: both go one level down. Two
            // different 64-bit hashes part at the latest at the last level.
            let moved = std::mem::replace(slot, Slot::Node(Arc::new(Node::empty())));
            let moved_hash = match &moved {
                Slot::Leaf(l) => l.hash,
                Slot::Collision(h, _) => *h,
                Slot::Node(_) => unreachable!("matched above"),
            };
            let Slot::Node(child) = slot else { unreachable!("just set") };
            let Some(fresh) = Arc::get_mut(child) else { unreachable!("a fresh Arc is unique") };
            tally.grown += fresh.bytes();
            tally.insert_slot(fresh, bit_of(moved_hash, shift + BITS), moved);
            insert(child, shift + BITS, leaf, tally)
        }
    }
}

fn remove<K: Eq + Clone, V: Clone>(
    node: &mut Arc<Node<K, V>>,
    shift: u32,
    hash: u64,
    key: &K,
    tally: &mut Tally,
) -> Option<V> {
    let bit = bit_of(hash, shift);
    let node = tally.own(node);
    if node.bitmap & bit == 0 {
        return None;
    }
    let position = node.position(bit);
    let slot = node.slots.get_mut(position)?;
    let removed = match slot {
        Slot::Leaf(leaf) if leaf.hash == hash && leaf.key == *key => {
            let value = leaf.value.clone();
            tally.release(leaf, leaf_bytes::<K, V>());
            tally.remove_slot(node, bit);
            return Some(value);
        }
        Slot::Leaf(_) => return None,
        Slot::Collision(h, entries) => {
            if *h != hash {
                return None;
            }
            let at = entries.iter().position(|l| l.key == *key)?;
            let value = entries.get(at)?.value.clone();
            tally.release(entries, collision_bytes(entries));
            let rest: Vec<Leaf<K, V>> = entries
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != at)
                .map(|(_, l)| Leaf { hash: l.hash, key: l.key.clone(), value: l.value.clone() })
                .collect();
            *slot = match <[Leaf<K, V>; 1]>::try_from(rest) {
                Ok([single]) => {
                    tally.grown += leaf_bytes::<K, V>();
                    Slot::Leaf(Arc::new(single))
                }
                Err(mut rest) => {
                    rest.shrink_to_fit();
                    tally.grown += collision_bytes(&rest);
                    Slot::Collision(hash, Arc::new(rest))
                }
            };
            return Some(value);
        }
        Slot::Node(child) => remove(child, shift + BITS, hash, key, tally)?,
    };
    // The child lost an entry: fold it into this node if a single leaf or collision
    // list is left in it, or drop it if it is empty.
    let Some(Slot::Node(child)) = node.slots.get(position) else { return Some(removed) };
    match child.slots.as_slice() {
        [] => {
            let bytes = child.bytes();
            if let Slot::Node(child) = tally.remove_slot(node, bit) {
                tally.release(&child, bytes);
            }
        }
        [single @ (Slot::Leaf(_) | Slot::Collision(..))] => {
            let single = single.clone();
            let bytes = child.bytes();
            if let Some(Slot::Node(child)) =
                node.slots.get_mut(position).map(|s| std::mem::replace(s, single))
            {
                tally.release(&child, bytes);
            }
        }
        _ => {}
    }
    Some(removed)
}

/// An iterator over a [`PMap`]'s entries.
#[derive(Debug)]
pub(crate) struct Iter<'a, K, V> {
    stack: Vec<std::slice::Iter<'a, Slot<K, V>>>,
    collision: Option<std::slice::Iter<'a, Leaf<K, V>>>,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(leaf) = self.collision.as_mut().and_then(Iterator::next) {
                return Some((&leaf.key, &leaf.value));
            }
            self.collision = None;
            let top = self.stack.last_mut()?;
            match top.next() {
                None => {
                    self.stack.pop();
                }
                Some(Slot::Leaf(leaf)) => return Some((&leaf.key, &leaf.value)),
                Some(Slot::Node(node)) => self.stack.push(node.slots.iter()),
                Some(Slot::Collision(_, entries)) => self.collision = Some(entries.iter()),
            }
        }
    }
}

impl<'a, K: Hash + Eq + Clone, V: Clone> IntoIterator for &'a PMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// The bytes a version reaches, recounted by walking it.
    fn walk<K, V>(node: &Arc<Node<K, V>>) -> usize {
        node.bytes()
            + node
                .slots
                .iter()
                .map(|s| match s {
                    Slot::Leaf(_) => leaf_bytes::<K, V>(),
                    Slot::Node(n) => walk(n),
                    Slot::Collision(_, e) => collision_bytes(e),
                })
                .sum::<usize>()
    }

    /// Every node but the root has two or more entries below it, and capacities are exact.
    fn check_shape<K, V>(node: &Node<K, V>, root: bool) {
        assert_eq!(node.slots.len(), node.bitmap.count_ones() as usize);
        assert_eq!(node.slots.capacity(), node.slots.len());
        if !root {
            assert!(
                node.slots.len() > 1 || matches!(node.slots.as_slice(), [Slot::Node(_)]),
                "a node with a single entry is folded into its parent"
            );
        }
        for slot in &node.slots {
            if let Slot::Node(child) = slot {
                check_shape(child, false);
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
        Snapshot,
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![
                4 => (0u16..600, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
                2 => (0u16..600).prop_map(Op::Remove),
                1 => Just(Op::Snapshot),
            ],
            0..400,
        )
    }

    proptest! {
        #[test]
        fn agrees_with_a_hash_map_and_counts_its_bytes(ops in ops()) {
            let mut map = PMap::<u16, u32>::default();
            let mut model = HashMap::new();
            let mut snapshots = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(map.insert(k, v), model.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(map.remove(&k), model.remove(&k)),
                    Op::Snapshot => snapshots.push((map.clone(), model.clone())),
                }
                prop_assert_eq!(map.len(), model.len());
                prop_assert_eq!(map.bytes(), walk(&map.root));
            }
            check_shape(&map.root, true);
            let mut seen: HashMap<u16, u32> = HashMap::new();
            for (k, v) in &map {
                prop_assert!(seen.insert(*k, *v).is_none());
            }
            prop_assert_eq!(&seen, &model);
            for (k, v) in &model {
                prop_assert_eq!(map.get(k), Some(v));
            }
            // Older versions are untouched by later changes.
            for (snapshot, model) in &snapshots {
                prop_assert_eq!(snapshot.len(), model.len());
                for (k, v) in model {
                    prop_assert_eq!(snapshot.get(k), Some(v));
                }
                prop_assert_eq!(snapshot.bytes(), walk(&snapshot.root));
            }
        }
    }

    /// Keys whose hashes collide in full: the collision lists.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Colliding(u8);

    impl Hash for Colliding {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            (self.0 % 3).hash(state);
        }
    }

    #[test]
    fn full_hash_collisions_are_kept_apart() {
        let mut map = PMap::<Colliding, u8>::default();
        for i in 0..12 {
            assert_eq!(map.insert(Colliding(i), i), None);
        }
        let before = map.clone();
        assert_eq!(map.insert(Colliding(4), 40), Some(4));
        for i in 0..12 {
            assert_eq!(map.get(&Colliding(i)), Some(&if i == 4 { 40 } else { i }));
            assert_eq!(before.get(&Colliding(i)), Some(&i));
        }
        for i in 0..12 {
            assert_eq!(map.remove(&Colliding(i)), Some(if i == 4 { 40 } else { i }));
            assert_eq!(map.bytes(), walk(&map.root));
        }
        assert_eq!(map.len(), 0);
        assert_eq!(map.bytes(), PMap::<Colliding, u8>::default().bytes());
        assert!(map.retired() > 0, "the shared nodes were retired, not changed");
        assert_eq!(before.len(), 12);
    }

    #[test]
    fn a_change_copies_only_its_path() {
        let mut map = PMap::<u32, u32>::default();
        for i in 0..100_000 {
            map.insert(i, i);
        }
        let before = map.clone();
        map.insert(7, 8);
        // The root, four inner nodes and the replaced entry: far below the whole map.
        assert!(map.retired() < 5 * (32 * 16 + 80) + 80, "retired {}", map.retired());
        assert!(map.bytes() > 100_000 * 32);
        assert_eq!(before.get(&7), Some(&7));
    }
}
