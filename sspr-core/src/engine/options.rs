//! What the host hands the engine: the ports, and the settings that are not tenant policy.

use std::sync::Arc;

use crate::decoy::DecoyProfile;
use crate::error::MisuseError;
use crate::hashing::HashParams;
use crate::keyring::{IdentityKey, KeyRing};
use crate::password::BreachMode;
use crate::policy::Limit;
use crate::ports::{
    AuditSink, BreachChecker, CaptchaVerifier, Clock, ConsumeOnceSet, CounterStore, Directory,
    FlowStore, Notifier, Randomness, SecurityInfoStore,
};
use crate::sealing::SealingKeys;

/// The ports the engine drives.
#[derive(Clone)]
pub struct Ports {
    /// The user directory.
    pub directory: Arc<dyn Directory>,
    /// Registered security info.
    pub security_info: Arc<dyn SecurityInfoStore>,
    /// Flows.
    pub flows: Arc<dyn FlowStore>,
    /// Throttle counters.
    pub counters: Arc<dyn CounterStore>,
    /// Used one-time values.
    pub consume_once: Arc<dyn ConsumeOnceSet>,
    /// Message delivery.
    pub notifier: Arc<dyn Notifier>,
    /// CAPTCHA checks.
    pub captcha: Arc<dyn CaptchaVerifier>,
    /// Breached-password look-ups (needed when the policy turns `password.breached` on).
    pub breach: Option<Arc<dyn BreachChecker>>,
    /// Audit events.
    pub audit: Option<Arc<dyn AuditSink>>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub randomness: Arc<dyn Randomness>,
}

#[cfg(feature = "os")]
impl Ports {
    /// The ports of a deployment: the host's directory, message delivery and CAPTCHA, the
    /// operating system's clock and CSPRNG, and in-memory stores (one process; they lose their
    /// state with it). Put a database's stores in with `sspr_stores::Backend::ports`, and a
    /// breached-password checker or an audit sink in their fields.
    ///
    /// Nothing here is for tests: [`MemoryPorts::for_tests`](crate::memory::MemoryPorts::for_tests)
    /// gives a manual clock, seeded randomness and a CAPTCHA that accepts a known token.
    pub fn new(
        directory: Arc<dyn Directory>,
        notifier: Arc<dyn Notifier>,
        captcha: Arc<dyn CaptchaVerifier>,
    ) -> Self {
        use crate::memory::{
            MemoryConsumeOnceSet, MemoryCounterStore, MemoryFlowStore, MemorySecurityInfoStore,
            OsRandomness, SystemClock,
        };
        Self {
            directory,
            security_info: Arc::new(MemorySecurityInfoStore::new()),
            flows: Arc::new(MemoryFlowStore::new()),
            counters: Arc::new(MemoryCounterStore::new()),
            consume_once: Arc::new(MemoryConsumeOnceSet::new()),
            notifier,
            captcha,
            breach: None,
            audit: None,
            clock: Arc::new(SystemClock),
            randomness: Arc::new(OsRandomness),
        }
    }
}

/// A global budget of texts and calls per country calling code, against toll fraud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryBudget {
    /// Messages per country code in a window (1 to 10,000,000).
    pub max: u32,
    /// The window, in seconds (1 to 2,592,000).
    pub window_s: u64,
}

/// The largest per-client limit accepted (`max` failures per window).
pub const MAX_CLIENT_LIMIT: u32 = 100_000;

/// Host settings that are not tenant policy.
pub struct EngineOptions {
    /// Keys for code seals (rotated: newest first).
    pub keys: KeyRing,
    /// The key for stored references (counter keys, flow-store keys, decoy screens). Never
    /// rotated.
    pub identity: IdentityKey,
    /// Issuer name shown in authenticator apps.
    pub issuer: String,
    /// Argon2 parameters for answers and password history.
    pub hash_params: HashParams,
    /// What to do when the breach service fails.
    pub breach_mode: BreachMode,
    /// Failures allowed per client address (the host's `client` argument), if any.
    pub client_limit: Option<Limit>,
    /// Texts and calls allowed per country calling code, if any.
    pub country_budget: Option<CountryBudget>,
    /// What the host's users look like, for decoy screens.
    pub decoys: DecoyProfile,
    /// The keys that seal security info at rest (default: one derived from the identity key).
    pub sealing: SealingKeys,
    /// The tenant this engine serves, when several engines (one per tenant) share one set of
    /// stores: its name keys every stored reference and prefixes every security-info record,
    /// so that no flow, counter, record or used value of one tenant is visible to another.
    /// 1 to 64 characters of `a-z`, `0-9`, `.`, `_` and `-`. `None`: one tenant.
    pub tenant: Option<String>,
}

impl EngineOptions {
    /// Options with OWASP hashing, failing open on breach-service errors, no client or
    /// country limits, the default decoy profile, and security info sealed with a key derived
    /// from the identity key.
    pub fn new(keys: KeyRing, identity: IdentityKey, issuer: impl Into<String>) -> Self {
        let sealing = SealingKeys::derived(&identity);
        Self {
            sealing,
            keys,
            identity,
            issuer: issuer.into(),
            hash_params: HashParams::default(),
            breach_mode: BreachMode::FailOpen,
            client_limit: None,
            country_budget: None,
            decoys: DecoyProfile::default(),
            tenant: None,
        }
    }

    /// Checks every setting: hash costs argon2 accepts, limits with non-zero windows under
    /// their ceilings, a valid decoy profile and issuer.
    pub fn validate(&self) -> Result<(), MisuseError> {
        self.hash_params.validate()?;
        let bad = |name: &'static str, problem: &str| MisuseError::InvalidArgument {
            name,
            problem: problem.to_owned(),
        };
        if let Some(l) = self.client_limit
            && (l.max == 0
                || l.max > MAX_CLIENT_LIMIT
                || l.window_s == 0
                || l.block_s == 0
                || l.window_s > 30 * 86_400
                || l.block_s > 30 * 86_400)
        {
            return Err(bad(
                "client_limit",
                "needs max from 1 to 100000 and a window and block from 1 s to 30 days",
            ));
        }
        if let Some(b) = self.country_budget
            && (b.max == 0 || b.max > 10_000_000 || b.window_s == 0 || b.window_s > 30 * 86_400)
        {
            return Err(bad(
                "country_budget",
                "needs max from 1 to 10000000 and a window from 1 s to 30 days",
            ));
        }
        if self.issuer.trim().is_empty() || self.issuer.contains(':') || self.issuer.len() > 128 {
            return Err(bad(
                "issuer",
                "must be 1 to 128 bytes, not blank, without a colon",
            ));
        }
        if let Some(t) = &self.tenant
            && (t.is_empty()
                || t.len() > 64
                || !t.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                }))
        {
            return Err(bad(
                "tenant",
                "must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'",
            ));
        }
        self.decoys.validate()
    }
}
