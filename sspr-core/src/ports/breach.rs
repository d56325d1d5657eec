use crate::error::PortError;

/// One entry of a breached-password range answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachedSuffix {
    /// The remaining 35 upper-case hex digits of the SHA-1 hash.
    pub suffix: String,
    /// How often the password was seen in breaches.
    pub count: u64,
}

/// Looks up breached passwords by k-anonymity: only the first five hex digits of the password's
/// SHA-1 hash leave the process (the "range" API of Have I Been Pwned and compatible services).
pub trait BreachChecker: Send + Sync {
    /// Every breached hash that starts with `sha1_prefix` (five upper-case hex digits), as
    /// suffixes with counts. Read-only. An error means "unknown": the password policy decides
    /// whether to fail open or closed.
    fn range(&self, sha1_prefix: String) -> Result<Vec<BreachedSuffix>, PortError>;
}
