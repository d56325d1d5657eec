use crate::error::PortError;

/// A counter's state at one moment: its count in the current window and the end of any block in
/// force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterState {
    /// Events counted in the window open at the time asked about (0 if none is open).
    pub count: u32,
    /// The end (Unix seconds) of a block in force at the time asked about, if any.
    pub blocked_until: Option<u64>,
}

/// Throttle counters and blocks, keyed by strings sspr builds (`sspr/v2/fail/<reference>`,
/// `sspr/v2/to-email/<reference>`, …). A key never contains an identifier, address or number:
/// every part that names someone is a keyed hash ([`IdentityKey`](crate::keyring::IdentityKey)).
///
/// Every method is atomic on its key. sspr counts an attempt *before* it compares anything,
/// so these calls are what holds a limit when several processes share the store.
pub trait CounterStore: Send + Sync {
    /// **Atomic increment**: adds one to the counter and returns its new state. A counter lives
    /// in a fixed window that opens at the first increment and lasts `window_s` seconds; an
    /// increment at or after the window's end starts a new window at 1. Concurrent increments
    /// are never lost: n calls raise the count by exactly n. The block (see [`block`]) is
    /// reported as it stands at `now` and is not changed.
    ///
    /// [`block`]: CounterStore::block
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<CounterState, PortError>;

    /// The counter's state at `now`, read-only: the count of the window open at `now` (0 if
    /// none) and any block in force at `now`.
    fn get(&self, key: String, now: u64) -> Result<CounterState, PortError>;

    /// The states of several counters at `now`, read-only, in the order of `keys`: what
    /// [`get`](CounterStore::get) returns for each. Not atomic across keys (no caller needs
    /// that); a store answers in one round trip where it can (the shipped database stores
    /// do). The default asks [`get`](CounterStore::get) once per key.
    fn get_many(&self, keys: Vec<String>, now: u64) -> Result<Vec<CounterState>, PortError> {
        keys.into_iter().map(|k| self.get(k, now)).collect()
    }

    /// **Atomic decrement**: takes back one earlier increment made at `now` (an attempt that
    /// turned out right, a send that was not made), if the window that increment went into is
    /// still the open one: the window must contain `now` (opened at or before it, ending after
    /// it). A window opened later by another caller is left alone. Never goes below 0. Blocks
    /// are not changed.
    fn release(&self, key: String, now: u64) -> Result<(), PortError>;

    /// Blocks `key` until `until` (Unix seconds; `u64::MAX` locks it until cleared). An existing
    /// later block is kept: the result is the block's end after the call. Atomic.
    fn block(&self, key: String, until: u64) -> Result<u64, PortError>;

    /// Removes the counter and any block on `key`. Idempotent.
    fn clear(&self, key: String) -> Result<(), PortError>;
}
