//! In-memory, thread-safe reference implementations of every port, the operating system's clock
//! and randomness ([`SystemClock`], [`OsRandomness`]), and the test doubles tests and examples
//! use: [`TestClock`] (moves only when told), [`TestRandomness`] (seeded, reproducible),
//! [`TestCaptcha`] (accepts known tokens) and [`MemoryPorts::for_tests`], which puts them
//! together. The test doubles are named as such: none of them belongs in a deployment, where
//! [`Ports::new`](crate::engine::Ports::new) starts from the system clock and OS randomness.
//!
//! They honour every atomicity contract of [`ports`](crate::ports) (checked by
//! the store conformance suite, `testing::store_conformance` with the `store-conformance` feature) and are fine for a
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
pub use captcha::TestCaptcha;
#[cfg(feature = "os")]
pub use clock::SystemClock;
pub use clock::TestClock;
pub use consume_once::MemoryConsumeOnceSet;
pub use counter::MemoryCounterStore;
pub use directory::MemoryDirectory;
#[cfg(feature = "os")]
pub use randomness::OsRandomness;
pub use randomness::TestRandomness;
pub use records::{MemoryFlowStore, MemorySecurityInfoStore, RecordingNotifier};

use std::sync::{Arc, Mutex, MutexGuard};

use crate::engine::Ports;
use crate::ports::Randomness;

/// Every in-memory port together, on test doubles: the quickest way to a working
/// [`Engine`](crate::engine::Engine) in tests and examples. Keep the handles to seed the
/// directory, move the clock, read delivered messages and audit events. **For tests only**: the
/// clock is manual, the randomness seeded and the CAPTCHA accepts a known token. A deployment
/// starts from [`Ports::new`](crate::engine::Ports::new).
pub struct MemoryPorts {
    /// The directory.
    pub directory: Arc<MemoryDirectory>,
    /// Security info.
    pub security_info: Arc<MemorySecurityInfoStore>,
    /// Flows.
    pub flows: Arc<MemoryFlowStore>,
    /// Counters.
    pub counters: Arc<MemoryCounterStore>,
    /// Consume-once set.
    pub consume_once: Arc<MemoryConsumeOnceSet>,
    /// Delivered messages.
    pub notifier: Arc<RecordingNotifier>,
    /// CAPTCHA tokens accepted.
    pub captcha: Arc<TestCaptcha>,
    /// Breached passwords.
    pub breach: Arc<MemoryBreachChecker>,
    /// Audit events.
    pub audit: Arc<MemoryAuditSink>,
    /// The clock.
    pub clock: Arc<TestClock>,
    /// Randomness: seeded (reproducible codes and secrets, for tests).
    pub randomness: Arc<dyn Randomness>,
}

impl MemoryPorts {
    /// Test doubles: empty stores, a [`TestClock`] at `now`, [`TestRandomness`] seeded with
    /// `seed`, and a [`TestCaptcha`] that accepts `captcha_token` any number of times.
    pub fn for_tests(now: u64, seed: u64, captcha_token: &str) -> Self {
        Self {
            directory: Arc::new(MemoryDirectory::new()),
            security_info: Arc::new(MemorySecurityInfoStore::new()),
            flows: Arc::new(MemoryFlowStore::new()),
            counters: Arc::new(MemoryCounterStore::new()),
            consume_once: Arc::new(MemoryConsumeOnceSet::new()),
            notifier: Arc::new(RecordingNotifier::new()),
            captcha: Arc::new(TestCaptcha::reusable([captcha_token.to_owned()])),
            breach: Arc::new(MemoryBreachChecker::default()),
            audit: Arc::new(MemoryAuditSink::new()),
            clock: Arc::new(TestClock::new(now)),
            randomness: Arc::new(TestRandomness::new(seed)),
        }
    }

    /// The ports, for [`Engine::new`](crate::engine::Engine::new).
    pub fn ports(&self) -> Ports {
        Ports {
            directory: self.directory.clone(),
            security_info: self.security_info.clone(),
            flows: self.flows.clone(),
            counters: self.counters.clone(),
            consume_once: self.consume_once.clone(),
            notifier: self.notifier.clone(),
            captcha: self.captcha.clone(),
            breach: Some(self.breach.clone()),
            audit: Some(self.audit.clone()),
            clock: self.clock.clone(),
            randomness: self.randomness.clone(),
        }
    }
}

/// Locks a mutex, recovering the data if another thread panicked while holding it (every
/// critical section here leaves the data consistent at each step).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
