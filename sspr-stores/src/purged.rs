//! What a purge deleted.

/// How long past their end consumed values and counter windows are kept by a purge: a step
/// that read the clock just before their end may still be using them (an hour).
pub const PURGE_GRACE_S: u64 = 3_600;

/// What a backend's `purge` deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Expired flows.
    pub flows: u64,
    /// Expired consumed values.
    pub consumed: u64,
    /// Counters whose window and block have both ended.
    pub counters: u64,
}
