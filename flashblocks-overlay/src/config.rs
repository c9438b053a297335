//! Bounds and the staleness setting.

/// How much the overlay holds, and how old an answer may be.
///
/// The defaults fit a chain with 2 s blocks and 200 ms flashblocks whose canonical head
/// lags the stream by a few blocks, with plenty of margin:
///
/// ```
/// use flashblocks_overlay::OverlayConfig;
///
/// let config = OverlayConfig::default();
/// assert_eq!(config.max_pending_blocks, 64);
/// assert_eq!(config.max_bytes, 256 * 1024 * 1024);
/// assert_eq!(config.max_age_ms, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverlayConfig {
    /// Pending blocks kept above the canonical head (default 64, two minutes of 2 s
    /// blocks). When a new block would exceed it, the oldest is evicted and the state
    /// queries answer "not here" until the canonical chain reaches the evicted block.
    pub max_pending_blocks: usize,
    /// An upper bound of the heap memory the overlay holds, as
    /// [`Snapshot::bytes_held`](crate::Snapshot::bytes_held) counts it: the decoded
    /// flashblocks with everything they carry, their layers, room for their
    /// transactions' decoded forms, and the index node by node (default 256 MiB). Over
    /// it, the oldest blocks are evicted as above; a single block over it is refused.
    /// Dropped data is freed once no snapshot holds it: the writer keeps none beyond the
    /// current one, and a reader keeps the one it holds (at most that snapshot's own
    /// count, see [`Snapshot::bytes_held`](crate::Snapshot::bytes_held)). During an apply
    /// the replaced snapshot and the new flashblock are alive together until it
    /// publishes.
    pub max_bytes: usize,
    /// The staleness bound: a view taken more than this many milliseconds after the
    /// newest flashblock was applied answers "not here" (default `None`: no bound). The
    /// caller passes its clock to [`Overlay::apply`](crate::Overlay::apply) and
    /// [`Snapshot::at`](crate::Snapshot::at), in the same unit.
    pub max_age_ms: Option<u64>,
}

impl Default for OverlayConfig {
    fn default() -> Self {
        Self { max_pending_blocks: 64, max_bytes: 256 * 1024 * 1024, max_age_ms: None }
    }
}
