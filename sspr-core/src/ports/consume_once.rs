use crate::error::PortError;

/// A set of used one-time values (codes, approval ids, link tokens), namespaced by purpose so a
/// value consumed for one purpose never collides with another.
pub trait ConsumeOnceSet: Send + Sync {
    /// **Consume-once**: inserts `(namespace, key)` if absent and returns `true`; returns
    /// `false` if it was already present. Of several concurrent calls with the same pair exactly
    /// one returns `true`. The entry may be forgotten after `expires_at` (Unix seconds), when the
    /// value it guards is no longer valid anyway.
    fn consume(&self, namespace: String, key: String, expires_at: u64) -> Result<bool, PortError>;
}
