use crate::error::PortError;

/// A set of used one-time values that no single flow holds ("this wasn't me" tokens, and any
/// value a host redeems outside a flow), namespaced by purpose so a value consumed for one
/// purpose never collides with another. (Codes and approvals bound to a flow are single-use
/// through that flow's compare-and-set.)
pub trait ConsumeOnceSet: Send + Sync {
    /// **Consume-once**: inserts `(namespace, key)` if absent and returns `true`; returns
    /// `false` if it was already present. Of several concurrent calls with the same pair exactly
    /// one returns `true`. The entry may be forgotten after `expires_at` (Unix seconds), when the
    /// value it guards is no longer valid anyway.
    fn consume(&self, namespace: String, key: String, expires_at: u64) -> Result<bool, PortError>;
}
