use super::Record;
use crate::error::PortError;

/// Persisted flows (reset and registration sessions), with compare-and-set.
pub trait FlowStore: Send + Sync {
    /// The flow's record, or `None` if it does not exist (or was purged after its expiry).
    fn load(&self, flow_id: String) -> Result<Option<Record>, PortError>;

    /// **Compare-and-set**: stores `data` as version `expected_version + 1` if and only if the
    /// flow's current version is `expected_version` (0: the flow must not exist yet). Otherwise
    /// fails with [`PortErrorKind::Conflict`](crate::PortErrorKind::Conflict) and changes
    /// nothing. Of several concurrent saves with the same expected version exactly one succeeds.
    /// The store may drop the record after `expires_at` (Unix seconds).
    fn save(
        &self,
        flow_id: String,
        data: String,
        expected_version: u64,
        expires_at: u64,
    ) -> Result<(), PortError>;

    /// Removes the flow. Idempotent.
    fn delete(&self, flow_id: String) -> Result<(), PortError>;
}
