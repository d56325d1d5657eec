use std::sync::Mutex;

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand_core::Rng;

use super::lock;
use crate::error::PortError;
use crate::ports::Randomness;

/// Deterministic randomness from a seed (ChaCha20): the same seed gives the same codes and
/// secrets. For tests and reproducible examples only; a deployment uses [`OsRandomness`].
#[derive(Debug)]
pub struct TestRandomness(Mutex<ChaCha20Rng>);

impl TestRandomness {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(ChaCha20Rng::seed_from_u64(seed)))
    }
}

impl Randomness for TestRandomness {
    fn bytes(&self, len: u32) -> Result<Vec<u8>, PortError> {
        let mut buf = vec![0u8; len as usize];
        lock(&self.0).fill_bytes(&mut buf);
        Ok(buf)
    }
}

/// The operating system's CSPRNG (`getrandom`).
#[cfg(feature = "os")]
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandomness;

#[cfg(feature = "os")]
impl Randomness for OsRandomness {
    fn bytes(&self, len: u32) -> Result<Vec<u8>, PortError> {
        let mut buf = vec![0u8; len as usize];
        getrandom::fill(&mut buf).map_err(|_| {
            PortError::unavailable(crate::PortName::Randomness, "the OS random source failed")
        })?;
        Ok(buf)
    }
}
