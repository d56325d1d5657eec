//! What a purge deleted.

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
