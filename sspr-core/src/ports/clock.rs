use crate::error::PortError;

/// The current time. sspr never reads the system clock itself.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch. Should not go backwards; if it does, deadlines are simply
    /// further away.
    fn now(&self) -> Result<u64, PortError>;
}
