//! The ports as foreign traits: Kotlin and Swift implement them (or take the built-in ones from
//! [`MemoryPorts`](crate::memory::MemoryPorts)), and [`Ports`] bundles them for an engine.
//!
//! Each method has the atomicity contract of its core counterpart in `sspr_core::ports`
//! (compare-and-set saves, atomic increments, consume-once); read those docs when writing one.
//! A port signals failure by throwing [`PortException`]; any other exception it throws arrives
//! as `PortException.Unavailable`, and the engine keeps the flow as it was before the step.

use std::sync::Arc;

use sspr_core::audit::AuditEvent;
use sspr_core::engine::Ports as CorePorts;
use sspr_core::ports as core;
use sspr_core::{PortError, PortName, SecretString, UserId};

use crate::error::PortException;
use crate::types::{BreachedSuffix, DirectoryUser, Message, PasswordChange, StoredRecord};

/// The host's user directory.
#[uniffi::export(with_foreign)]
pub trait Directory: Send + Sync {
    /// The user whose sign-in name matches `identifier` (already trimmed), ignoring case.
    fn find_user(&self, identifier: String) -> Result<Option<DirectoryUser>, PortException>;
    /// The user with this id, or none.
    fn user(&self, id: String) -> Result<Option<DirectoryUser>, PortException>;
    /// Every administrator (told when another administrator resets).
    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortException>;
    /// Whether `password` is the user's current password (re-authentication).
    fn check_password(&self, id: String, password: String) -> Result<bool, PortException>;
    /// Sets the password and appends `change.history_hash` to the history, atomically;
    /// idempotent per `change.change_id`. When `change.must_change`, make the user change it at
    /// the next sign-in. Throw `PortException.Rejected` when the directory refuses the password
    /// for good (its own policy): the user is told `password.refused` and may choose another.
    fn set_password(&self, id: String, change: PasswordChange) -> Result<(), PortException>;
    /// Up to `limit` argon2 PHC hashes of earlier passwords, newest first.
    fn password_history(&self, id: String, limit: u32) -> Result<Vec<String>, PortException>;
    /// Clears a sign-in lockout. Idempotent.
    fn unlock(&self, id: String) -> Result<(), PortException>;
    /// Signs the user out everywhere. Idempotent.
    fn revoke_sessions(&self, id: String) -> Result<(), PortException>;
}

/// Each user's security info record, with compare-and-set.
#[uniffi::export(with_foreign)]
pub trait SecurityInfoStore: Send + Sync {
    /// The user's record, or none.
    fn load(&self, user: String) -> Result<Option<StoredRecord>, PortException>;
    /// **Compare-and-set**: stores `data` as version `expected_version + 1` if and only if the
    /// current version is `expected_version` (0: no record yet); otherwise throws
    /// `PortException.Conflict` and changes nothing.
    fn save(&self, user: String, data: String, expected_version: u64) -> Result<(), PortException>;
}

/// Persisted flows, with compare-and-set.
#[uniffi::export(with_foreign)]
pub trait FlowStore: Send + Sync {
    /// The flow's record, or none.
    fn load(&self, flow_id: String) -> Result<Option<StoredRecord>, PortException>;
    /// **Compare-and-set** as [`SecurityInfoStore::save`]; the record may be dropped after
    /// `expires_at` (Unix seconds).
    fn save(
        &self,
        flow_id: String,
        data: String,
        expected_version: u64,
        expires_at: u64,
    ) -> Result<(), PortException>;
    /// Removes the flow. Idempotent.
    fn delete(&self, flow_id: String) -> Result<(), PortException>;
}

/// Throttle counters and blocks.
#[uniffi::export(with_foreign)]
pub trait CounterStore: Send + Sync {
    /// **Atomic increment** in a fixed window opened by the first increment and lasting
    /// `window_s`; returns the new count and any block in force at `now`. An increment at or
    /// after the window's end starts a new window at 1. sspr counts every attempt with this
    /// *before* comparing it, so it is what holds a limit across processes.
    fn increment(
        &self,
        key: String,
        now: u64,
        window_s: u64,
    ) -> Result<CounterState, PortException>;
    /// The count in the window open at `now` (0 if none) and any block in force. Read-only.
    fn get(&self, key: String, now: u64) -> Result<CounterState, PortException>;
    /// **Atomic decrement** of the window open at `now`, never below 0 (an attempt that was
    /// right gives its place back).
    fn release(&self, key: String, now: u64) -> Result<(), PortException>;
    /// Blocks `key` until `until` (`u64::MAX`: until cleared), keeping a later block; returns
    /// the block's end.
    fn block(&self, key: String, until: u64) -> Result<u64, PortException>;
    /// Removes the counter and any block. Idempotent.
    fn clear(&self, key: String) -> Result<(), PortException>;
}

/// A counter's count in the open window and the end of any block in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct CounterState {
    /// Events counted in the window open at the time asked about.
    pub count: u32,
    /// The end (Unix seconds) of a block in force then, if any.
    pub blocked_until: Option<u64>,
}

impl From<CounterState> for core::CounterState {
    fn from(s: CounterState) -> Self {
        Self {
            count: s.count,
            blocked_until: s.blocked_until,
        }
    }
}

impl From<core::CounterState> for CounterState {
    fn from(s: core::CounterState) -> Self {
        Self {
            count: s.count,
            blocked_until: s.blocked_until,
        }
    }
}

/// Consume-once markers (redeemed "this wasn't me" tokens; values not bound to one flow).
#[uniffi::export(with_foreign)]
pub trait ConsumeOnceSet: Send + Sync {
    /// **Consume-once**: true for exactly one caller per `(namespace, key)`, even under races.
    fn consume(
        &self,
        namespace: String,
        key: String,
        expires_at: u64,
    ) -> Result<bool, PortException>;
}

/// Delivers messages by email, text, voice and push.
#[uniffi::export(with_foreign)]
pub trait Notifier: Send + Sync {
    /// Delivers (or queues) one message; a repeated message carries the same id.
    fn deliver(&self, message: Message) -> Result<(), PortException>;
}

/// Checks CAPTCHA responses.
#[uniffi::export(with_foreign)]
pub trait CaptchaVerifier: Send + Sync {
    /// Whether the response passes.
    fn verify(&self, response: String, client: Option<String>) -> Result<bool, PortException>;
}

/// A breached-password service answering k-anonymity range queries.
#[uniffi::export(with_foreign)]
pub trait BreachChecker: Send + Sync {
    /// Every known SHA-1 (upper-case hex) starting with the five-character `prefix`.
    fn range(&self, prefix: String) -> Result<Vec<BreachedSuffix>, PortException>;
}

/// Receives audit events as JSON objects.
#[uniffi::export(with_foreign)]
pub trait AuditSink: Send + Sync {
    /// Records one event (`{"at":..,"kind":..,...}`; never a secret or a clear destination).
    fn record(&self, event_json: String) -> Result<(), PortException>;
}

/// The time.
#[uniffi::export(with_foreign)]
pub trait Clock: Send + Sync {
    /// Now, in Unix seconds.
    fn now(&self) -> Result<u64, PortException>;
}

/// A CSPRNG.
#[uniffi::export(with_foreign)]
pub trait Randomness: Send + Sync {
    /// `len` random bytes.
    fn bytes(&self, len: u32) -> Result<Vec<u8>, PortException>;
}

/// A foreign port seen as a core port.
struct Foreign<T: ?Sized>(Arc<T>);

impl core::Directory for Foreign<dyn Directory> {
    fn find_user(&self, identifier: String) -> Result<Option<sspr_core::DirectoryUser>, PortError> {
        let d = PortName::Directory;
        Ok(self
            .0
            .find_user(identifier)
            .map_err(|e| e.into_core(d))?
            .map(Into::into))
    }
    fn user(&self, id: UserId) -> Result<Option<sspr_core::DirectoryUser>, PortError> {
        let d = PortName::Directory;
        Ok(self
            .0
            .user(id.as_str().to_owned())
            .map_err(|e| e.into_core(d))?
            .map(Into::into))
    }
    fn administrators(&self) -> Result<Vec<sspr_core::DirectoryUser>, PortError> {
        let d = PortName::Directory;
        Ok(self
            .0
            .administrators()
            .map_err(|e| e.into_core(d))?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    fn check_password(&self, id: UserId, password: SecretString) -> Result<bool, PortError> {
        self.0
            .check_password(id.as_str().to_owned(), password.expose().to_owned())
            .map_err(|e| e.into_core(PortName::Directory))
    }
    fn set_password(&self, id: UserId, change: core::PasswordChange) -> Result<(), PortError> {
        let change = PasswordChange {
            change_id: change.change_id,
            password: change.password.expose().to_owned(),
            history_hash: change.history_hash,
            requested_at: change.requested_at,
            must_change: change.must_change,
        };
        self.0
            .set_password(id.as_str().to_owned(), change)
            .map_err(|e| e.into_core(PortName::Directory))
    }
    fn password_history(&self, id: UserId, limit: u32) -> Result<Vec<String>, PortError> {
        self.0
            .password_history(id.as_str().to_owned(), limit)
            .map_err(|e| e.into_core(PortName::Directory))
    }
    fn unlock(&self, id: UserId) -> Result<(), PortError> {
        self.0
            .unlock(id.as_str().to_owned())
            .map_err(|e| e.into_core(PortName::Directory))
    }
    fn revoke_sessions(&self, id: UserId) -> Result<(), PortError> {
        self.0
            .revoke_sessions(id.as_str().to_owned())
            .map_err(|e| e.into_core(PortName::Directory))
    }
}

impl core::SecurityInfoStore for Foreign<dyn SecurityInfoStore> {
    fn load(&self, user: UserId) -> Result<Option<core::Record>, PortError> {
        Ok(self
            .0
            .load(user.as_str().to_owned())
            .map_err(|e| e.into_core(PortName::SecurityInfoStore))?
            .map(Into::into))
    }
    fn save(&self, user: UserId, data: String, expected_version: u64) -> Result<(), PortError> {
        self.0
            .save(user.as_str().to_owned(), data, expected_version)
            .map_err(|e| e.into_core(PortName::SecurityInfoStore))
    }
}

impl core::FlowStore for Foreign<dyn FlowStore> {
    fn load(&self, flow_id: String) -> Result<Option<core::Record>, PortError> {
        Ok(self
            .0
            .load(flow_id)
            .map_err(|e| e.into_core(PortName::FlowStore))?
            .map(Into::into))
    }
    fn save(
        &self,
        flow_id: String,
        data: String,
        expected_version: u64,
        expires_at: u64,
    ) -> Result<(), PortError> {
        self.0
            .save(flow_id, data, expected_version, expires_at)
            .map_err(|e| e.into_core(PortName::FlowStore))
    }
    fn delete(&self, flow_id: String) -> Result<(), PortError> {
        self.0
            .delete(flow_id)
            .map_err(|e| e.into_core(PortName::FlowStore))
    }
}

impl core::CounterStore for Foreign<dyn CounterStore> {
    fn increment(
        &self,
        key: String,
        now: u64,
        window_s: u64,
    ) -> Result<core::CounterState, PortError> {
        self.0
            .increment(key, now, window_s)
            .map(Into::into)
            .map_err(|e| e.into_core(PortName::CounterStore))
    }
    fn get(&self, key: String, now: u64) -> Result<core::CounterState, PortError> {
        self.0
            .get(key, now)
            .map(Into::into)
            .map_err(|e| e.into_core(PortName::CounterStore))
    }
    fn release(&self, key: String, now: u64) -> Result<(), PortError> {
        self.0
            .release(key, now)
            .map_err(|e| e.into_core(PortName::CounterStore))
    }
    fn block(&self, key: String, until: u64) -> Result<u64, PortError> {
        self.0
            .block(key, until)
            .map_err(|e| e.into_core(PortName::CounterStore))
    }
    fn clear(&self, key: String) -> Result<(), PortError> {
        self.0
            .clear(key)
            .map_err(|e| e.into_core(PortName::CounterStore))
    }
}

impl core::ConsumeOnceSet for Foreign<dyn ConsumeOnceSet> {
    fn consume(&self, namespace: String, key: String, expires_at: u64) -> Result<bool, PortError> {
        self.0
            .consume(namespace, key, expires_at)
            .map_err(|e| e.into_core(PortName::ConsumeOnce))
    }
}

impl core::Notifier for Foreign<dyn Notifier> {
    fn deliver(&self, message: core::Message) -> Result<(), PortError> {
        self.0
            .deliver(Message::from(&message))
            .map_err(|e| e.into_core(PortName::Notifier))
    }
}

impl core::CaptchaVerifier for Foreign<dyn CaptchaVerifier> {
    fn verify(&self, response: String, client: Option<String>) -> Result<bool, PortError> {
        self.0
            .verify(response, client)
            .map_err(|e| e.into_core(PortName::Captcha))
    }
}

impl core::BreachChecker for Foreign<dyn BreachChecker> {
    fn range(&self, sha1_prefix: String) -> Result<Vec<core::BreachedSuffix>, PortError> {
        Ok(self
            .0
            .range(sha1_prefix)
            .map_err(|e| e.into_core(PortName::BreachChecker))?
            .into_iter()
            .map(|s| core::BreachedSuffix {
                suffix: s.suffix,
                count: s.count,
            })
            .collect())
    }
}

impl core::AuditSink for Foreign<dyn AuditSink> {
    fn record(&self, event: AuditEvent) -> Result<(), PortError> {
        self.0
            .record(event.to_json())
            .map_err(|e| e.into_core(PortName::Audit))
    }
}

impl core::Clock for Foreign<dyn Clock> {
    fn now(&self) -> Result<u64, PortError> {
        self.0.now().map_err(|e| e.into_core(PortName::Clock))
    }
}

impl core::Randomness for Foreign<dyn Randomness> {
    fn bytes(&self, len: u32) -> Result<Vec<u8>, PortError> {
        let bytes = self
            .0
            .bytes(len)
            .map_err(|e| e.into_core(PortName::Randomness))?;
        if bytes.len() != len as usize {
            return Err(PortError::new(
                PortName::Randomness,
                sspr_core::PortErrorKind::Contract,
                format!("asked for {len} bytes, got {}", bytes.len()),
            ));
        }
        Ok(bytes)
    }
}

/// The ports an engine runs on: any mix of foreign and built-in ones.
#[derive(uniffi::Object)]
pub struct Ports(pub(crate) CorePorts);

#[uniffi::export]
impl Ports {
    /// Ports from foreign implementations; `breach` and `audit` are optional.
    #[uniffi::constructor]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        directory: Arc<dyn Directory>,
        security_info: Arc<dyn SecurityInfoStore>,
        flows: Arc<dyn FlowStore>,
        counters: Arc<dyn CounterStore>,
        consume_once: Arc<dyn ConsumeOnceSet>,
        notifier: Arc<dyn Notifier>,
        captcha: Arc<dyn CaptchaVerifier>,
        clock: Arc<dyn Clock>,
        randomness: Arc<dyn Randomness>,
        breach: Option<Arc<dyn BreachChecker>>,
        audit: Option<Arc<dyn AuditSink>>,
    ) -> Arc<Self> {
        Arc::new(Self(CorePorts {
            directory: Arc::new(Foreign(directory)),
            security_info: Arc::new(Foreign(security_info)),
            flows: Arc::new(Foreign(flows)),
            counters: Arc::new(Foreign(counters)),
            consume_once: Arc::new(Foreign(consume_once)),
            notifier: Arc::new(Foreign(notifier)),
            captcha: Arc::new(Foreign(captcha)),
            breach: breach.map(|b| Arc::new(Foreign(b)) as Arc<dyn core::BreachChecker>),
            audit: audit.map(|a| Arc::new(Foreign(a)) as Arc<dyn core::AuditSink>),
            clock: Arc::new(Foreign(clock)),
            randomness: Arc::new(Foreign(randomness)),
        }))
    }

    /// The ports of a deployment: the host's directory, message delivery and CAPTCHA, the
    /// operating system's clock and CSPRNG, and in-memory stores (one process). Put a
    /// database's stores in with `Stores.ports(base)`, other ports with `with_*`. Nothing here
    /// is for tests (`MemoryPorts.for_tests` is).
    #[uniffi::constructor]
    pub fn production(
        directory: Arc<dyn Directory>,
        notifier: Arc<dyn Notifier>,
        captcha: Arc<dyn CaptchaVerifier>,
    ) -> Arc<Self> {
        Arc::new(Self(CorePorts::new(
            Arc::new(Foreign(directory)),
            Arc::new(Foreign(notifier)),
            Arc::new(Foreign(captcha)),
        )))
    }

    /// These ports with the directory replaced.
    pub fn with_directory(&self, directory: Arc<dyn Directory>) -> Arc<Self> {
        self.replaced(|p| p.directory = Arc::new(Foreign(directory)))
    }

    /// These ports with the security-info store replaced.
    pub fn with_security_info(&self, store: Arc<dyn SecurityInfoStore>) -> Arc<Self> {
        self.replaced(|p| p.security_info = Arc::new(Foreign(store)))
    }

    /// These ports with the flow store replaced.
    pub fn with_flows(&self, store: Arc<dyn FlowStore>) -> Arc<Self> {
        self.replaced(|p| p.flows = Arc::new(Foreign(store)))
    }

    /// These ports with the counter store replaced.
    pub fn with_counters(&self, store: Arc<dyn CounterStore>) -> Arc<Self> {
        self.replaced(|p| p.counters = Arc::new(Foreign(store)))
    }

    /// These ports with the consume-once set replaced.
    pub fn with_consume_once(&self, set: Arc<dyn ConsumeOnceSet>) -> Arc<Self> {
        self.replaced(|p| p.consume_once = Arc::new(Foreign(set)))
    }

    /// These ports with the notifier replaced.
    pub fn with_notifier(&self, notifier: Arc<dyn Notifier>) -> Arc<Self> {
        self.replaced(|p| p.notifier = Arc::new(Foreign(notifier)))
    }

    /// These ports with the CAPTCHA verifier replaced.
    pub fn with_captcha(&self, captcha: Arc<dyn CaptchaVerifier>) -> Arc<Self> {
        self.replaced(|p| p.captcha = Arc::new(Foreign(captcha)))
    }

    /// These ports with the clock replaced.
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Arc<Self> {
        self.replaced(|p| p.clock = Arc::new(Foreign(clock)))
    }

    /// These ports with the randomness replaced.
    pub fn with_randomness(&self, randomness: Arc<dyn Randomness>) -> Arc<Self> {
        self.replaced(|p| p.randomness = Arc::new(Foreign(randomness)))
    }

    /// These ports with the breach checker replaced (none: no breach check).
    pub fn with_breach(&self, breach: Option<Arc<dyn BreachChecker>>) -> Arc<Self> {
        self.replaced(|p| {
            p.breach = breach.map(|b| Arc::new(Foreign(b)) as Arc<dyn core::BreachChecker>)
        })
    }

    /// These ports with the audit sink replaced (none: no audit).
    pub fn with_audit(&self, audit: Option<Arc<dyn AuditSink>>) -> Arc<Self> {
        self.replaced(|p| p.audit = audit.map(|a| Arc::new(Foreign(a)) as Arc<dyn core::AuditSink>))
    }
}

impl Ports {
    /// A copy of these ports with one changed by `change`.
    fn replaced(&self, change: impl FnOnce(&mut CorePorts)) -> Arc<Self> {
        let mut p = self.0.clone();
        change(&mut p);
        Arc::new(Self(p))
    }
}

/// Wraps a foreign breach checker as a core one (for password evaluation outside an engine).
pub(crate) fn breach_checker(b: Arc<dyn BreachChecker>) -> impl core::BreachChecker {
    Foreign(b)
}

/// Wraps foreign stores as core ones (for the store conformance suite).
pub(crate) fn stores(
    flows: Arc<dyn FlowStore>,
    security_info: Arc<dyn SecurityInfoStore>,
    counters: Arc<dyn CounterStore>,
    consume_once: Arc<dyn ConsumeOnceSet>,
) -> (
    impl core::FlowStore,
    impl core::SecurityInfoStore,
    impl core::CounterStore,
    impl core::ConsumeOnceSet,
) {
    (
        Foreign(flows),
        Foreign(security_info),
        Foreign(counters),
        Foreign(consume_once),
    )
}
