use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::PortError;
use crate::ports::Clock;

/// A clock for tests: it moves only when told to. A deployment uses [`SystemClock`].
#[derive(Debug, Default)]
pub struct TestClock(AtomicU64);

impl TestClock {
    /// A clock showing `now` (Unix seconds).
    pub fn new(now: u64) -> Self {
        Self(AtomicU64::new(now))
    }

    /// Sets the time.
    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// Moves the time forward by `secs`.
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Result<u64, PortError> {
        Ok(self.0.load(Ordering::SeqCst))
    }
}

/// The operating system's clock.
#[cfg(feature = "os")]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(feature = "os")]
impl Clock for SystemClock {
    fn now(&self) -> Result<u64, PortError> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|_| {
                PortError::unavailable(crate::PortName::Clock, "system clock is before 1970")
            })
    }
}
