use crate::error::PortError;

/// Throttle counters and blocks, keyed by strings sspr builds (`verify:<identifier hash>`,
/// `send:email:<destination hash>`, …; keys never contain an address or number in clear).
pub trait CounterStore: Send + Sync {
    /// **Atomic increment**: adds one to the counter and returns the new count. A counter lives
    /// in a fixed window that opens at the first increment and lasts `window_s` seconds; an
    /// increment at or after the window's end starts a new window at 1. Concurrent increments
    /// are never lost: n calls raise the count by exactly n.
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<u32, PortError>;

    /// The counter's value in its current window (0 if none is open at `now`). Read-only.
    fn count(&self, key: String, now: u64) -> Result<u32, PortError>;

    /// Blocks `key` until `until` (Unix seconds). An existing later block is kept: the result
    /// is the block's end after the call. Atomic.
    fn block(&self, key: String, until: u64) -> Result<u64, PortError>;

    /// The end of the block on `key` if one is in force at `now`.
    fn blocked_until(&self, key: String, now: u64) -> Result<Option<u64>, PortError>;

    /// Removes the counter and any block on `key`. Idempotent.
    fn clear(&self, key: String) -> Result<(), PortError>;
}
