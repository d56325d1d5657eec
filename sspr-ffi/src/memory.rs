//! The built-in in-memory ports, with the handles tests and demos use to seed the directory,
//! move the clock and read delivered messages.

use std::sync::Arc;

use sspr_core::UserId;
use sspr_core::audit::AuditEvent;
use sspr_core::memory::{MemoryPorts as CoreMemoryPorts, OsRandomness, SystemClock};
use sspr_core::ports::Clock as _;

use crate::ports::Ports;
use crate::types::{DirectoryUser, Message};

/// Every in-memory port on test doubles: thread-safe, honouring every atomicity contract, losing
/// its state with the process, with a manual clock and a CAPTCHA that accepts a known token.
/// For tests and demos only; a deployment starts from `Ports.production`.
#[derive(uniffi::Object)]
pub struct MemoryPorts {
    inner: CoreMemoryPorts,
}

#[uniffi::export]
impl MemoryPorts {
    /// Test doubles: empty stores, a manual clock at `now`, a CAPTCHA accepting
    /// `captcha_token`, and randomness seeded with `seed` (reproducible) or, without a seed,
    /// the operating system's CSPRNG.
    #[uniffi::constructor]
    pub fn for_tests(now: u64, seed: Option<u64>, captcha_token: String) -> Arc<Self> {
        let mut inner = CoreMemoryPorts::for_tests(now, seed.unwrap_or_default(), &captcha_token);
        if seed.is_none() {
            inner.randomness = Arc::new(OsRandomness);
        }
        Arc::new(Self { inner })
    }

    /// The ports for an engine (replace any with `Ports.with_*`).
    pub fn ports(&self) -> Arc<Ports> {
        Arc::new(Ports(self.inner.ports()))
    }

    /// The same ports on the system clock instead of the manual one.
    pub fn ports_on_system_clock(&self) -> Arc<Ports> {
        let mut p = self.inner.ports();
        p.clock = Arc::new(SystemClock);
        Arc::new(Ports(p))
    }

    /// Adds (or replaces) a user with a password.
    pub fn add_user(&self, user: DirectoryUser, password: String) {
        self.inner.directory.add_user(user.into(), &password);
    }

    /// Sets a user's password history: argon2 PHC hashes, newest first.
    pub fn set_history(&self, user_id: String, hashes: Vec<String>) {
        self.inner
            .directory
            .set_history(&UserId::new(user_id), hashes);
    }

    /// Whether `password` is the user's current password (constant-time comparison).
    pub fn password_matches(&self, user_id: String, password: String) -> bool {
        self.inner
            .directory
            .password_of(&UserId::new(user_id))
            .is_some_and(|p| p.ct_eq(&password))
    }

    /// Makes the directory refuse `password` for every user from now on, as a directory's own
    /// policy would (`set_password` fails as rejected: the user sees `password.refused`).
    pub fn refuse_password(&self, password: String) {
        self.inner.directory.refuse_password(&password);
    }

    /// Whether the user's current password is a temporary one to be changed at the next
    /// sign-in (set by `Engine.reset_password_by_help_desk`).
    pub fn must_change_password(&self, user_id: String) -> bool {
        self.inner
            .directory
            .must_change_password(&UserId::new(user_id))
    }

    /// The manual clock's time.
    pub fn now(&self) -> u64 {
        self.inner.clock.now().unwrap_or_default()
    }

    /// Sets the manual clock.
    pub fn set_time(&self, now: u64) {
        self.inner.clock.set(now);
    }

    /// Moves the manual clock forward.
    pub fn advance(&self, seconds: u64) {
        self.inner.clock.advance(seconds);
    }

    /// Removes and returns every message delivered so far, oldest first.
    pub fn take_messages(&self) -> Vec<Message> {
        self.inner
            .notifier
            .take()
            .iter()
            .map(Message::from)
            .collect()
    }

    /// Makes the next `n` deliveries fail.
    pub fn fail_next_deliveries(&self, n: u32) {
        self.inner.notifier.fail_next(n);
    }

    /// Records `password` as seen `count` times by the breach service.
    pub fn add_breached(&self, password: String, count: u64) {
        self.inner.breach.add(&password, count);
    }

    /// Records every password of the shipped common-password list as breached.
    pub fn add_common_passwords(&self) {
        for p in sspr_core::password::common_passwords() {
            self.inner.breach.add(p, 1);
        }
    }

    /// Makes the breach service fail (`true`) or answer again.
    pub fn set_breach_down(&self, down: bool) {
        self.inner.breach.set_down(down);
    }

    /// Every audit event so far, as JSON objects.
    pub fn audit_events(&self) -> Vec<String> {
        self.inner
            .audit
            .events()
            .iter()
            .map(AuditEvent::to_json)
            .collect()
    }
}
