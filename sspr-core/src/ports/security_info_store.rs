use super::Record;
use crate::error::PortError;
use crate::user::UserId;

/// Each user's registered security info, with compare-and-set. The record holds secrets
/// (authenticator keys, answer hashes): store it like a password hash.
pub trait SecurityInfoStore: Send + Sync {
    /// The user's record, or `None` if nothing is registered.
    fn load(&self, user: UserId) -> Result<Option<Record>, PortError>;

    /// **Compare-and-set**: stores `data` as version `expected_version + 1` if and only if the
    /// current version is `expected_version` (0: no record yet). Otherwise fails with
    /// [`PortErrorKind::Conflict`](crate::PortErrorKind::Conflict) and changes nothing. sspr
    /// relies on this to accept each authenticator code step once: of two concurrent
    /// verifications of the same code exactly one save succeeds.
    fn save(&self, user: UserId, data: String, expected_version: u64) -> Result<(), PortError>;
}
