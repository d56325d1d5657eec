//! In-memory, thread-safe reference implementations of every port, plus the controllable clock,
//! deterministic randomness and recording notifier that tests and examples use.
//!
//! They honour every atomicity contract of [`ports`](crate::ports) (checked by
//! [`testing::store_conformance`](crate::testing::store_conformance)) and are fine for a
//! single-process deployment that may lose its state on restart.

mod audit;
mod breach;
mod captcha;
mod clock;
mod consume_once;
mod counter;
mod directory;
mod randomness;
mod records;

pub use audit::MemoryAuditSink;
pub use breach::MemoryBreachChecker;
pub use captcha::StaticCaptcha;
pub use clock::ManualClock;
#[cfg(feature = "os")]
pub use clock::SystemClock;
pub use consume_once::MemoryConsumeOnceSet;
pub use counter::MemoryCounterStore;
pub use directory::MemoryDirectory;
#[cfg(feature = "os")]
pub use randomness::OsRandomness;
pub use randomness::SeededRandomness;
pub use records::{MemoryFlowStore, MemorySecurityInfoStore, RecordingNotifier};

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, recovering the data if another thread panicked while holding it (every
/// critical section here leaves the data consistent at each step).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
