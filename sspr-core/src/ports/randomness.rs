use crate::error::PortError;

/// A cryptographically secure random source. sspr never uses a thread or OS generator itself.
pub trait Randomness: Send + Sync {
    /// Returns exactly `len` bytes from a CSPRNG. A short or predictable answer breaks codes and
    /// secrets; return an error instead if the source cannot deliver.
    fn bytes(&self, len: u32) -> Result<Vec<u8>, PortError>;
}
