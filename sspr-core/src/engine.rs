//! The engine: runs the flows through the ports.
//!
//! Every step is: load the flow → run the pure transition → carry out its guard effects
//! (consume-once, authenticator step, security-info saves, counters, which may turn the step
//! into a refusal or a block) → deliver messages and change the directory → save the flow by
//! compare-and-set → carry out the after-commit effects (notifications, session and flow
//! revocation, counter reset, audit).
//!
//! * A lost compare-and-set re-runs the whole step on fresh data (a bounded number of times),
//!   so nothing is half-applied.
//! * A failing notifier, directory or store before the commit returns the error and leaves the
//!   flow as it was: the user can retry the step.
//! * A failure after the commit (a notification about a completed reset, the audit sink) does not
//!   undo the step; it is returned in the outcome's `warnings`.

mod import;

pub use import::{AppImport, MAX_IMPORTED_ANSWERS, MIN_APP_SECRET_BYTES, SecurityInfoImport};

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{AuditEvent, AuditKind};
use crate::contact::{EmailAddress, PhoneNumber};
use crate::effect::{Effect, Provisioning, Transition};
use crate::error::{Error, InputError, PortError, PortErrorKind, PortName};
use crate::hashing::{self, HashParams};
use crate::keyring::KeyRing;
use crate::method::Method;
use crate::password::{self, BreachMode, PasswordRules, PasswordVerdict, UserFacts};
use crate::policy::{Limit, Policy};
use crate::ports::{
    AuditSink, BreachChecker, CaptchaVerifier, Channel, Clock, ConsumeOnceSet, CounterStore,
    Directory, FlowStore, Message, MessageKind, Notifier, PasswordChange, Randomness,
    SecurityInfoStore,
};
use crate::random::Entropy;
use crate::reason::Reason;
use crate::registration::{
    self, RegistrationContext, RegistrationFlow, RegistrationInput, RegistrationState,
};
use crate::reset::{self, OfferedOption, ResetContext, ResetFlow, ResetInput, ResetState, Subject};
use crate::secret::SecretString;
use crate::security_info::SecurityInfo;
use crate::user::{DirectoryUser, UserId};

/// How many times a step is re-run after a lost compare-and-set.
const MAX_RETRIES: usize = 8;
/// The longest identifier or username accepted.
const MAX_IDENTIFIER_CHARS: usize = 256;

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

/// A global budget of texts and calls per country calling code, against toll fraud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryBudget {
    /// Messages per country code in a window.
    pub max: u32,
    /// The window, in seconds.
    pub window_s: u64,
}

/// Host settings that are not tenant policy.
pub struct EngineOptions {
    /// Keys for code seals.
    pub keys: KeyRing,
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
}

impl EngineOptions {
    /// Options with OWASP hashing, failing open on breach-service errors and no client or
    /// country limits.
    pub fn new(keys: KeyRing, issuer: impl Into<String>) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
            hash_params: HashParams::default(),
            breach_mode: BreachMode::FailOpen,
            client_limit: None,
            country_budget: None,
        }
    }
}

/// The persisted form of any flow: `{"reset": {...}}` or `{"registration": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredFlow {
    Reset(ResetFlow),
    Registration(RegistrationFlow),
}

/// What the reset screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetView {
    /// The flow's id, to pass back with the next step.
    pub flow_id: String,
    /// The state's name (`choose_method`, `enter_code`, …).
    pub state: String,
    /// The gate being passed (1-based).
    pub gate: u8,
    /// Gates in all.
    pub gates: u8,
    /// The options offered at this gate, with masked destinations.
    pub options: Vec<OfferedOption>,
    /// The option being answered (in `enter_code`, `answer_questions`, `await_approval`).
    pub option: Option<crate::method::ResetOption>,
    /// The security questions asked, when answering them.
    pub questions: Vec<String>,
    /// The number to show for push number matching.
    pub approval_number: Option<u8>,
    /// Seconds until a block ends.
    pub retry_after: Option<u64>,
    /// When the flow expires.
    pub expires_at: u64,
}

/// The result of a reset step.
#[derive(Debug, Clone)]
pub struct ResetOutcome {
    /// The screen after the step (`None` when no flow was started: wrong CAPTCHA, disclosed
    /// account state).
    pub view: Option<ResetView>,
    /// Why the step was refused.
    pub rejection: Option<Reason>,
    /// Seconds until the refused action may be retried.
    pub retry_after: Option<u64>,
    /// The verdict on a proposed new password.
    pub password: Option<PasswordVerdict>,
    /// Failures after the step was committed (it stands regardless).
    pub warnings: Vec<PortError>,
}

/// What the registration wizard shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationView {
    /// The flow's id.
    pub flow_id: String,
    /// `registering`, `verifying`, `done`, `expired` or `cancelled`.
    pub state: String,
    /// Registered methods (policy names) the user may use.
    pub registered: Vec<Method>,
    /// Distinct factors still needed before finishing.
    pub still_needed: usize,
    /// The method waiting for its verification code.
    pub pending: Option<Method>,
    /// The default method.
    pub default_method: Option<Method>,
    /// When the flow expires.
    pub expires_at: u64,
}

/// The result of a registration step.
#[derive(Debug, Clone)]
pub struct RegistrationOutcome {
    /// The wizard after the step (`None` when re-authentication failed).
    pub view: Option<RegistrationView>,
    /// Why the step was refused.
    pub rejection: Option<Reason>,
    /// Seconds until the refused action may be retried.
    pub retry_after: Option<u64>,
    /// What to show once when registering an authenticator app.
    pub provisioning: Option<Provisioning>,
    /// Failures after the step was committed.
    pub warnings: Vec<PortError>,
}

/// The check made at every sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInCheck {
    /// The user must register security info before going on.
    pub registration_required: bool,
    /// The user should re-confirm their security info.
    pub reconfirm_due: bool,
    /// `reauth.failed` when the password is wrong (then both flags are false).
    pub rejection: Option<Reason>,
}

/// The self-service password reset engine.
pub struct Engine {
    policy: Policy,
    rules: PasswordRules,
    ports: Ports,
    options: EngineOptions,
}

/// The counter-store key sspr uses for `kind` and `value`: the kind and a hash of the value,
/// never the value itself. Kinds keyed by a raw value: `send-phone-to`, `send-email-to`
/// (destination), `verify-client` (client), `send-country` (calling code), `flows-revoked`
/// (user id). Identifier counters use [`identifier_key`].
pub fn counter_key(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    format!("{kind}:{}", &data_encoding::HEXLOWER.encode(&digest)[..32])
}

/// The hash of an identifier (trimmed, lower-cased) that keys its failure and send counters.
pub fn identifier_hash(identifier: &str) -> String {
    counter_key("id", &identifier.trim().to_lowercase())
}

/// The counter key of an identifier's counter of `kind` (`verify`, `send-phone`, `send-email`):
/// the identifier is already hashed, so this only prefixes the kind.
pub fn identifier_key(kind: &str, identifier_hash: &str) -> String {
    format!("{kind}:{identifier_hash}")
}

enum StepError {
    Retry,
    Fail(Error),
}

impl<E: Into<Error>> From<E> for StepError {
    fn from(e: E) -> Self {
        Self::Fail(e.into())
    }
}

/// What the engine needs to know about a flow to carry out effects.
trait FlowRecord: Clone {
    fn id(&self) -> &str;
    fn expires_at(&self) -> u64;
    fn counter_id(&self) -> &str;
    fn client(&self) -> Option<&str>;
    fn user(&self) -> Option<&UserId>;
    fn blocked(self, until: u64) -> Self;
    fn stored(&self) -> StoredFlow;
}

impl FlowRecord for ResetFlow {
    fn id(&self) -> &str {
        &self.id
    }
    fn expires_at(&self) -> u64 {
        self.expires_at
    }
    fn counter_id(&self) -> &str {
        &self.counter_id
    }
    fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }
    fn user(&self) -> Option<&UserId> {
        Self::user(self)
    }
    fn blocked(self, until: u64) -> Self {
        self.block(until)
    }
    fn stored(&self) -> StoredFlow {
        StoredFlow::Reset(self.clone())
    }
}

impl FlowRecord for RegistrationFlow {
    fn id(&self) -> &str {
        &self.id
    }
    fn expires_at(&self) -> u64 {
        self.expires_at
    }
    fn counter_id(&self) -> &str {
        &self.counter_id
    }
    fn client(&self) -> Option<&str> {
        None
    }
    fn user(&self) -> Option<&UserId> {
        Some(&self.user)
    }
    fn blocked(mut self, _until: u64) -> Self {
        self.state = RegistrationState::Registering;
        self
    }
    fn stored(&self) -> StoredFlow {
        StoredFlow::Registration(self.clone())
    }
}

/// A committed step.
struct Applied<F> {
    flow: F,
    rejection: Option<Reason>,
    retry_after: Option<u64>,
    provisioning: Option<Provisioning>,
    warnings: Vec<PortError>,
}

impl Engine {
    /// An engine applying `policy` through `ports`.
    pub fn new(policy: Policy, ports: Ports, options: EngineOptions) -> Self {
        let rules = PasswordRules::new(policy.password());
        Self {
            policy,
            rules,
            ports,
            options,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The password rules in force.
    pub fn password_rules(&self) -> &PasswordRules {
        &self.rules
    }

    fn now(&self) -> Result<u64, PortError> {
        self.ports.clock.now()
    }

    fn load_info(&self, user: &UserId) -> Result<(SecurityInfo, u64), Error> {
        match self.ports.security_info.load(user.clone())? {
            Some(r) => Ok((SecurityInfo::from_record(&r.data)?, r.version)),
            None => Ok((SecurityInfo::default(), 0)),
        }
    }

    fn load_flow(&self, flow_id: &str) -> Result<(StoredFlow, u64), Error> {
        if flow_id.len() > 128 {
            return Err(InputError::TooLong {
                what: "flow id",
                max: 128,
            }
            .into());
        }
        let record = self
            .ports
            .flows
            .load(flow_id.to_owned())?
            .ok_or(InputError::Malformed {
                what: "flow id",
                problem: "no such flow (it may have expired)",
            })?;
        let stored: StoredFlow =
            serde_json::from_str(&record.data).map_err(|e| InputError::CorruptRecord {
                what: "flow",
                problem: format!(
                    "{:?} at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            })?;
        let v = match &stored {
            StoredFlow::Reset(f) => (f.v, reset::RESET_FORMAT),
            StoredFlow::Registration(f) => (f.v, registration::REGISTRATION_FORMAT),
        };
        if v.0 != v.1 {
            return Err(InputError::CorruptRecord {
                what: "flow",
                problem: format!(
                    "format {} is not supported (this version reads {})",
                    v.0, v.1
                ),
            }
            .into());
        }
        Ok((stored, record.version))
    }

    fn audit(&self, event: AuditEvent, warnings: &mut Vec<PortError>) {
        if let Some(sink) = &self.ports.audit
            && let Err(e) = sink.record(event)
        {
            warnings.push(e);
        }
    }

    /// The end of any block on the identifier, if one is in force.
    fn block_of(
        &self,
        counter_id: &str,
        client: Option<&str>,
        now: u64,
    ) -> Result<Option<u64>, PortError> {
        let mut keys = vec![
            identifier_key("verify", counter_id),
            identifier_key("send-phone", counter_id),
            identifier_key("send-email", counter_id),
        ];
        if let Some(c) = client {
            keys.push(counter_key("verify-client", c));
        }
        let mut until = None;
        for k in keys {
            if let Some(u) = self.ports.counters.blocked_until(k, now)? {
                until = Some(until.map_or(u, |x: u64| x.max(u)));
            }
        }
        Ok(until)
    }

    fn count_failure(
        &self,
        counter_id: &str,
        client: Option<&str>,
        now: u64,
    ) -> Result<Option<u64>, PortError> {
        let mut until = None;
        let mut limits = vec![(
            identifier_key("verify", counter_id),
            self.policy.limits().verify_failures,
        )];
        if let (Some(c), Some(l)) = (client, self.options.client_limit) {
            limits.push((counter_key("verify-client", c), l));
        }
        for (key, l) in limits {
            let n = self
                .ports
                .counters
                .increment(key.clone(), now, l.window_s)?;
            if n >= l.max {
                let u = self.ports.counters.block(key, now + l.block_s)?;
                until = Some(until.map_or(u, |x: u64| x.max(u)));
            }
        }
        Ok(until)
    }

    fn count_send(
        &self,
        counter_id: &str,
        channel: Channel,
        destination: &str,
        now: u64,
    ) -> Result<Option<u64>, PortError> {
        let (kind, l) = match channel {
            Channel::Email => ("send-email", self.policy.limits().email_sends),
            Channel::Sms | Channel::Voice | Channel::Push => {
                ("send-phone", self.policy.limits().phone_sends)
            }
        };
        let id_key = identifier_key(kind, counter_id);
        let dest_key = counter_key(&format!("{kind}-to"), destination);
        let by_id = self
            .ports
            .counters
            .increment(id_key.clone(), now, l.window_s)?;
        let by_dest = self
            .ports
            .counters
            .increment(dest_key.clone(), now, l.window_s)?;
        let mut until = None;
        if by_id > l.max || by_dest > l.max {
            let a = self.ports.counters.block(id_key, now + l.block_s)?;
            let b = if by_dest > l.max {
                self.ports.counters.block(dest_key, now + l.block_s)?
            } else {
                a
            };
            until = Some(a.max(b));
        }
        if let (Some(budget), Channel::Sms | Channel::Voice) =
            (self.options.country_budget, channel)
            && let Ok(phone) = PhoneNumber::parse(destination)
        {
            let n = self.ports.counters.increment(
                counter_key("send-country", phone.country_code()),
                now,
                budget.window_s,
            )?;
            if n > budget.max {
                until = Some(until.unwrap_or(0).max(now + budget.window_s));
            }
        }
        Ok(until)
    }

    /// Runs the consume-once guards of a transition; `false` if a value was already consumed.
    fn consume(&self, effects: &[Effect]) -> Result<bool, PortError> {
        for e in effects {
            if let Effect::Consume {
                namespace,
                key,
                expires_at,
            } = e
                && !self
                    .ports
                    .consume_once
                    .consume(namespace.clone(), key.clone(), *expires_at)?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Carries out a transition's effects and saves the flow (see the module docs for the order).
    fn apply<F: FlowRecord>(
        &self,
        t: Transition<F>,
        version: u64,
        now: u64,
    ) -> Result<Applied<F>, StepError> {
        let Transition {
            mut flow,
            effects,
            mut rejection,
            mut retry_after,
            provisioning,
        } = t;
        let mut warnings = Vec::new();
        let mut blocked: Option<u64> = None;
        for e in &effects {
            match e {
                Effect::AdvanceTotp { step, info_version } => {
                    let user = flow.user().ok_or(StepError::Retry)?.clone();
                    let (mut info, v) = self.load_info(&user)?;
                    if v != *info_version {
                        return Err(StepError::Retry);
                    }
                    if let Some(app) = info.app.as_mut() {
                        app.last_step = Some(app.last_step.map_or(*step, |l| l.max(*step)));
                    }
                    self.save_info(&user, &info, v)?;
                }
                Effect::SaveSecurityInfo {
                    info,
                    expected_version,
                } => {
                    let user = flow.user().ok_or(StepError::Retry)?.clone();
                    self.save_info(&user, info, *expected_version)?;
                }
                Effect::CountFailure => {
                    if let Some(u) = self.count_failure(flow.counter_id(), flow.client(), now)? {
                        blocked = Some(blocked.map_or(u, |b| b.max(u)));
                    }
                }
                Effect::CountSend {
                    channel,
                    destination,
                } => {
                    if let Some(u) =
                        self.count_send(flow.counter_id(), *channel, destination, now)?
                    {
                        blocked = Some(blocked.map_or(u, |b| b.max(u)));
                    }
                }
                _ => {}
            }
        }
        if let Some(until) = blocked {
            flow = flow.blocked(until);
            rejection = Some(Reason::UserBlocked);
            retry_after = Some(until.saturating_sub(now));
            let mut ev = AuditEvent::new(now, AuditKind::UserBlocked);
            ev.flow_id = Some(flow.id().to_owned());
            ev.user = flow.user().cloned();
            self.audit(ev, &mut warnings);
        } else {
            for e in &effects {
                match e {
                    Effect::Deliver(m) => self.ports.notifier.deliver(m.clone())?,
                    Effect::SetPassword(pw) => self.set_password(flow.user(), flow.id(), pw)?,
                    Effect::Unlock => {
                        if let Some(u) = flow.user() {
                            self.ports.directory.unlock(u.clone())?;
                        }
                    }
                    _ => {}
                }
            }
        }
        let data =
            serde_json::to_string(&flow.stored()).map_err(|e| InputError::CorruptRecord {
                what: "flow",
                problem: e.to_string(),
            })?;
        match self
            .ports
            .flows
            .save(flow.id().to_owned(), data, version, flow.expires_at())
        {
            Ok(()) => {}
            Err(e) if e.is_conflict() => return Err(StepError::Retry),
            Err(e) => return Err(e.into()),
        }
        if let Some(reason) = rejection
            && reason != Reason::UserBlocked
            && !effects
                .iter()
                .any(|e| matches!(e, Effect::Audit(ev) if ev.reason.is_some()))
        {
            let mut ev = AuditEvent::new(now, AuditKind::StepRejected);
            ev.flow_id = Some(flow.id().to_owned());
            ev.user = flow.user().cloned();
            ev.reason = Some(reason);
            self.audit(ev, &mut warnings);
        }
        if blocked.is_none() {
            for e in effects {
                match e {
                    Effect::ResetCompleted => self.after_reset(&flow, now, &mut warnings),
                    Effect::NotifySecurityInfoChanged(to) => {
                        if let Some(user) = flow.user() {
                            for address in to {
                                let m = self.message(
                                    Channel::Email,
                                    address,
                                    MessageKind::SecurityInfoChanged,
                                    user.clone(),
                                    None,
                                    now,
                                );
                                if let Err(e) = m.and_then(|m| self.ports.notifier.deliver(m)) {
                                    warnings.push(e);
                                }
                            }
                        }
                    }
                    Effect::Audit(ev) => self.audit(ev, &mut warnings),
                    _ => {}
                }
            }
        }
        if warnings.iter().any(|w| w.port != PortName::Audit) {
            let mut ev = AuditEvent::new(now, AuditKind::PortFailed);
            ev.flow_id = Some(flow.id().to_owned());
            ev.user = flow.user().cloned();
            self.audit(ev, &mut Vec::new());
        }
        Ok(Applied {
            flow,
            rejection,
            retry_after,
            provisioning,
            warnings,
        })
    }

    fn save_info(
        &self,
        user: &UserId,
        info: &SecurityInfo,
        expected: u64,
    ) -> Result<(), StepError> {
        match self
            .ports
            .security_info
            .save(user.clone(), info.to_record(), expected)
        {
            Ok(()) => Ok(()),
            Err(e) if e.is_conflict() => Err(StepError::Retry),
            Err(e) => Err(e.into()),
        }
    }

    fn set_password(
        &self,
        user: Option<&UserId>,
        flow_id: &str,
        password: &SecretString,
    ) -> Result<(), Error> {
        let Some(user) = user else {
            return Ok(());
        };
        let history_hash = hashing::hash(
            password.expose().as_bytes(),
            &self.options.hash_params,
            self.ports.randomness.as_ref(),
        )?;
        self.ports.directory.set_password(
            user.clone(),
            PasswordChange {
                change_id: flow_id.to_owned(),
                password: password.clone(),
                history_hash,
            },
        )?;
        Ok(())
    }

    fn message(
        &self,
        channel: Channel,
        to: String,
        kind: MessageKind,
        user: UserId,
        subject: Option<String>,
        now: u64,
    ) -> Result<Message, PortError> {
        let mut m = Message::new(
            Entropy::new(self.ports.randomness.as_ref()).token()?,
            channel,
            to,
            kind,
            user,
            now,
        );
        m.subject = subject;
        Ok(m)
    }

    /// After a completed reset: notify, revoke sessions and the user's other flows, clear counters.
    fn after_reset<F: FlowRecord>(&self, flow: &F, now: u64, warnings: &mut Vec<PortError>) {
        let Some(user_id) = flow.user().cloned() else {
            return;
        };
        let mut run = |r: Result<(), PortError>| {
            if let Err(e) = r {
                warnings.push(e);
            }
        };
        run(self.ports.directory.revoke_sessions(user_id.clone()));
        for kind in ["verify", "send-phone", "send-email"] {
            run(self
                .ports
                .counters
                .clear(identifier_key(kind, flow.counter_id())));
        }
        let ttl = self.policy.reset().session_ttl_s;
        run(self
            .ports
            .counters
            .block(counter_key("flows-revoked", user_id.as_str()), now + ttl)
            .map(|_| ()));
        let user = match self.ports.directory.user(user_id.clone()) {
            Ok(Some(u)) => u,
            Ok(None) => return,
            Err(e) => {
                warnings.push(e);
                return;
            }
        };
        let n = self.policy.notifications();
        if n.user_on_reset {
            let mut to: Vec<String> = Vec::new();
            if let Ok(e) = EmailAddress::parse(&user.username) {
                to.push(e.as_str().to_owned());
            }
            if let Ok((info, _)) = self.load_info(&user_id)
                && let Some(e) = info.email
                && !to.contains(&e.as_str().to_owned())
            {
                to.push(e.as_str().to_owned());
            }
            for address in to {
                run(self
                    .message(
                        Channel::Email,
                        address,
                        MessageKind::PasswordChanged,
                        user_id.clone(),
                        None,
                        now,
                    )
                    .and_then(|m| self.ports.notifier.deliver(m)));
            }
        }
        if user.admin && n.admins_on_admin_reset {
            match self.ports.directory.administrators() {
                Ok(admins) => {
                    for admin in admins.into_iter().filter(|a| a.id != user.id) {
                        if let Ok(address) = EmailAddress::parse(&admin.username) {
                            run(self
                                .message(
                                    Channel::Email,
                                    address.as_str().to_owned(),
                                    MessageKind::AdminPasswordChanged,
                                    admin.id.clone(),
                                    Some(user.username.clone()),
                                    now,
                                )
                                .and_then(|m| self.ports.notifier.deliver(m)));
                        }
                    }
                }
                Err(e) => warnings.push(e),
            }
        }
    }

    fn revoked(&self, flow: &ResetFlow, now: u64) -> Result<bool, PortError> {
        let Some(user) = flow.user() else {
            return Ok(false);
        };
        let ttl = self.policy.reset().session_ttl_s;
        Ok(self
            .ports
            .counters
            .blocked_until(counter_key("flows-revoked", user.as_str()), now)?
            .is_some_and(|until| flow.created_at < until.saturating_sub(ttl)))
    }

    // ----- reset -----

    fn reset_view(&self, flow: &ResetFlow, now: u64) -> ResetView {
        ResetView {
            flow_id: flow.id.clone(),
            state: flow.state.name().to_owned(),
            gate: flow.gate(),
            gates: flow.gates,
            options: flow.current_options().into_iter().cloned().collect(),
            option: match &flow.state {
                ResetState::EnterCode { option, .. } => Some(*option),
                ResetState::AnswerQuestions { .. } => {
                    Some(crate::method::ResetOption::SecurityQuestions)
                }
                ResetState::AwaitApproval { .. } => {
                    Some(crate::method::ResetOption::AppNotification)
                }
                _ => None,
            },
            questions: match &flow.state {
                ResetState::AnswerQuestions { asked } => asked.clone(),
                _ => Vec::new(),
            },
            approval_number: match &flow.state {
                ResetState::AwaitApproval { pending, .. } => Some(pending.number),
                _ => None,
            },
            retry_after: match flow.state {
                ResetState::Blocked { until } if until > now => Some(until - now),
                _ => None,
            },
            expires_at: flow.expires_at,
        }
    }

    /// "Who are you?": starts a reset for `identifier` once the CAPTCHA answer checks out.
    /// `client` is the caller's address or fingerprint, for per-client limits and audit.
    ///
    /// Unknown, out-of-scope and unregistered users get a decoy flow that looks like a real one
    /// (unless the policy discloses account state).
    pub fn start_reset(
        &self,
        identifier: &str,
        captcha_response: &str,
        client: Option<&str>,
    ) -> Result<ResetOutcome, Error> {
        if identifier.chars().count() > MAX_IDENTIFIER_CHARS {
            return Err(InputError::TooLong {
                what: "identifier",
                max: MAX_IDENTIFIER_CHARS,
            }
            .into());
        }
        let now = self.now()?;
        let mut warnings = Vec::new();
        if !self
            .ports
            .captcha
            .verify(captcha_response.to_owned(), client.map(str::to_owned))?
        {
            return Ok(ResetOutcome {
                view: None,
                rejection: Some(Reason::CaptchaFailed),
                retry_after: None,
                password: None,
                warnings,
            });
        }
        let normalized = identifier.trim().to_lowercase();
        let counter_id = identifier_hash(identifier);
        let found = self
            .ports
            .directory
            .find_user(identifier.trim().to_owned())?;
        let disclose = self.policy.reset().disclose_account_state;
        let mut known: Option<(DirectoryUser, Vec<OfferedOption>, u8)> = None;
        let mut why_decoy = Reason::UserUnknown;
        if let Some(user) = found {
            if self.policy.applies_to(&user) {
                let (info, _) = self.load_info(&user.id)?;
                let req = self.policy.requirement_for(user.admin);
                let options = reset::options_for(
                    &info,
                    &req.methods,
                    self.policy.security_questions().to_reset,
                );
                if reset::factor_count(&options) >= usize::from(req.gates) {
                    known = Some((user, options, req.gates));
                } else {
                    why_decoy = Reason::UserNotRegistered;
                }
            } else {
                why_decoy = Reason::UserNotEnabled;
            }
        }
        if known.is_none() && disclose {
            return Ok(ResetOutcome {
                view: None,
                rejection: Some(why_decoy),
                retry_after: None,
                password: None,
                warnings,
            });
        }
        let mut entropy = Entropy::new(self.ports.randomness.as_ref());
        let id = entropy.token()?;
        let (subject, options, gates) = match known {
            Some((user, options, gates)) => (
                Subject::Known {
                    user: user.id.clone(),
                    admin: user.admin,
                },
                options,
                gates,
            ),
            None => {
                let seed = self.options.keys.seal(
                    &crate::keyring::Binding {
                        purpose: crate::keyring::Purpose::LinkToken,
                        flow_id: "decoy",
                        destination: &normalized,
                    },
                    "decoy",
                );
                (
                    Subject::Decoy,
                    reset::decoy_options(&self.policy, seed.tag.as_bytes()),
                    self.policy.reset().methods_required,
                )
            }
        };
        let blocked = self.block_of(&counter_id, client, now)?;
        let flow = ResetFlow {
            v: reset::RESET_FORMAT,
            id: id.clone(),
            created_at: now,
            expires_at: now + self.policy.reset().session_ttl_s,
            subject,
            counter_id,
            client: client.map(str::to_owned),
            gates,
            options,
            passed: Vec::new(),
            last_sends: BTreeMap::new(),
            state: match blocked {
                Some(until) => ResetState::Blocked { until },
                None => ResetState::ChooseMethod,
            },
        };
        let data = serde_json::to_string(&StoredFlow::Reset(flow.clone())).map_err(|e| {
            InputError::CorruptRecord {
                what: "flow",
                problem: e.to_string(),
            }
        })?;
        self.ports.flows.save(id, data, 0, flow.expires_at)?;
        let mut ev = AuditEvent::new(now, AuditKind::ResetStarted);
        ev.flow_id = Some(flow.id.clone());
        ev.user = flow.user().cloned();
        ev.client = flow.client.clone();
        self.audit(ev, &mut warnings);
        Ok(ResetOutcome {
            view: Some(self.reset_view(&flow, now)),
            rejection: blocked.map(|_| Reason::UserBlocked),
            retry_after: blocked.map(|u| u - now),
            password: None,
            warnings,
        })
    }

    fn evaluate_password(
        &self,
        user: &DirectoryUser,
        password: &SecretString,
        confirm: &SecretString,
    ) -> Result<PasswordVerdict, Error> {
        let mut verdict =
            self.rules
                .evaluate(password.expose(), confirm.expose(), &UserFacts::from(user));
        let p = self.rules.policy();
        if p.history > 0
            && verdict
                .reasons
                .iter()
                .all(|r| *r != Reason::PasswordTooLong)
        {
            let history = self
                .ports
                .directory
                .password_history(user.id.clone(), u32::from(p.history))?;
            password::check_history(&mut verdict, p, password.expose(), &history)?;
        }
        if p.breached {
            let checker =
                self.ports
                    .breach
                    .as_ref()
                    .ok_or(crate::error::MisuseError::InvalidArgument {
                        name: "ports.breach",
                        problem:
                            "the policy checks breached passwords but no breach checker was given"
                                .into(),
                    })?;
            password::check_breach(
                &mut verdict,
                password.expose(),
                checker.as_ref(),
                self.options.breach_mode,
            )?;
        }
        Ok(verdict)
    }

    /// Applies one step to a reset flow.
    pub fn reset_step(&self, flow_id: &str, input: ResetInput) -> Result<ResetOutcome, Error> {
        for _ in 0..MAX_RETRIES {
            let now = self.now()?;
            let (stored, version) = self.load_flow(flow_id)?;
            let StoredFlow::Reset(mut flow) = stored else {
                return Err(InputError::Malformed {
                    what: "flow id",
                    problem: "not a reset flow",
                }
                .into());
            };
            let mut forced: Option<(Reason, Option<u64>)> = None;
            if !flow.state.is_terminal() {
                if let Some(until) = self.block_of(&flow.counter_id, flow.client.as_deref(), now)? {
                    flow = flow.block(until);
                    forced = Some((Reason::UserBlocked, Some(until - now)));
                } else if self.revoked(&flow, now)? {
                    flow.state = ResetState::Expired;
                    forced = Some((Reason::FlowExpired, None));
                }
            }
            let info = flow.user().map(|u| self.load_info(u)).transpose()?;
            // Only the new-password step needs the directory's view of the user.
            let verdict = match (&input, flow.user()) {
                (ResetInput::NewPassword { password, confirm }, Some(u))
                    if flow.state == ResetState::NewPassword && forced.is_none() =>
                {
                    let user =
                        self.ports
                            .directory
                            .user(u.clone())?
                            .ok_or(InputError::Malformed {
                                what: "flow id",
                                problem: "the flow's user no longer exists",
                            })?;
                    Some(self.evaluate_password(&user, password, confirm)?)
                }
                _ => None,
            };
            let transition = if let Some((reason, retry)) = forced {
                let mut t = Transition::refuse(flow, reason, vec![]);
                t.retry_after = retry;
                t
            } else {
                let mut code_reused = false;
                loop {
                    let mut ctx = ResetContext {
                        now,
                        policy: &self.policy,
                        keys: &self.options.keys,
                        entropy: Entropy::new(self.ports.randomness.as_ref()),
                        info: info.as_ref().map(|(i, v)| (i, *v)),
                        verdict: verdict.clone(),
                        code_reused,
                    };
                    let t = flow.clone().handle(input.clone(), &mut ctx)?;
                    if self.consume(&t.effects)? || code_reused {
                        break t;
                    }
                    code_reused = true;
                }
            };
            match self.apply(transition, version, now) {
                Ok(a) => {
                    return Ok(ResetOutcome {
                        view: Some(self.reset_view(&a.flow, now)),
                        rejection: a.rejection,
                        retry_after: a.retry_after,
                        password: verdict,
                        warnings: a.warnings,
                    });
                }
                Err(StepError::Retry) => continue,
                Err(StepError::Fail(e)) => return Err(e),
            }
        }
        Err(PortError::new(
            PortName::FlowStore,
            PortErrorKind::Conflict,
            "the flow kept changing; try again",
        )
        .into())
    }

    /// The current screen of a reset flow, without changing it.
    pub fn reset_view_of(&self, flow_id: &str) -> Result<ResetView, Error> {
        let now = self.now()?;
        match self.load_flow(flow_id)?.0 {
            StoredFlow::Reset(f) => Ok(self.reset_view(&f, now)),
            StoredFlow::Registration(_) => Err(InputError::Malformed {
                what: "flow id",
                problem: "not a reset flow",
            }
            .into()),
        }
    }

    /// Lifts every failure and send block on `identifier` (a help-desk action), and says so in
    /// the audit log.
    pub fn unblock(&self, identifier: &str) -> Result<(), Error> {
        let id = identifier_hash(identifier);
        for kind in ["verify", "send-phone", "send-email"] {
            self.ports.counters.clear(identifier_key(kind, &id))?;
        }
        let mut warnings = Vec::new();
        self.audit(
            AuditEvent::new(self.now()?, AuditKind::AccountUnlocked),
            &mut warnings,
        );
        Ok(())
    }

    // ----- registration -----

    /// The check made at every sign-in: must the user register, or re-confirm?
    pub fn sign_in_check(&self, username: &str, password: &str) -> Result<SignInCheck, Error> {
        let refused = SignInCheck {
            registration_required: false,
            reconfirm_due: false,
            rejection: Some(Reason::ReauthFailed),
        };
        let now = self.now()?;
        let Some(user) = self.reauthenticate(username, password)? else {
            self.audit_reauth_failure(now);
            return Ok(refused);
        };
        let mut ev = AuditEvent::new(now, AuditKind::SignInChecked);
        ev.user = Some(user.id.clone());
        self.audit(ev, &mut Vec::new());
        if !self.policy.applies_to(&user) {
            return Ok(SignInCheck {
                registration_required: false,
                reconfirm_due: false,
                rejection: None,
            });
        }
        let (info, _) = self.load_info(&user.id)?;
        let enough = registration::registered_factors(&info, &self.policy, user.admin)
            >= registration::factors_required(&self.policy, user.admin);
        let days = u64::from(self.policy.registration().reconfirm_days);
        Ok(SignInCheck {
            registration_required: self.policy.registration().require_on_sign_in && !enough,
            reconfirm_due: enough
                && days > 0
                && info.confirmed_at.is_some_and(|c| now >= c + days * 86_400),
            rejection: None,
        })
    }

    /// Records a failed re-authentication (without naming anyone: the username may not exist).
    fn audit_reauth_failure(&self, now: u64) {
        let mut ev = AuditEvent::new(now, AuditKind::StepRejected);
        ev.reason = Some(Reason::ReauthFailed);
        self.audit(ev, &mut Vec::new());
    }

    fn reauthenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<DirectoryUser>, Error> {
        if username.chars().count() > MAX_IDENTIFIER_CHARS {
            return Err(InputError::TooLong {
                what: "username",
                max: MAX_IDENTIFIER_CHARS,
            }
            .into());
        }
        let Some(user) = self.ports.directory.find_user(username.trim().to_owned())? else {
            return Ok(None);
        };
        Ok(self
            .ports
            .directory
            .check_password(user.id.clone(), SecretString::new(password))?
            .then_some(user))
    }

    fn registration_view(&self, flow: &RegistrationFlow, info: &SecurityInfo) -> RegistrationView {
        let have = registration::registered_factors(info, &self.policy, flow.admin);
        RegistrationView {
            flow_id: flow.id.clone(),
            state: flow.state.name().to_owned(),
            registered: registration::registered_methods(info, &self.policy, flow.admin),
            still_needed: registration::factors_required(&self.policy, flow.admin)
                .saturating_sub(have),
            pending: match &flow.state {
                RegistrationState::Verifying { pending } => Some(pending.method()),
                _ => None,
            },
            default_method: info.default_method,
            expires_at: flow.expires_at,
        }
    }

    /// Opens the "keep your account secure" wizard after re-authentication with the current
    /// password.
    pub fn start_registration(
        &self,
        username: &str,
        password: &str,
    ) -> Result<RegistrationOutcome, Error> {
        let Some(user) = self.reauthenticate(username, password)? else {
            self.audit_reauth_failure(self.now()?);
            return Ok(RegistrationOutcome {
                view: None,
                rejection: Some(Reason::ReauthFailed),
                retry_after: None,
                provisioning: None,
                warnings: Vec::new(),
            });
        };
        let now = self.now()?;
        let id = Entropy::new(self.ports.randomness.as_ref()).token()?;
        let flow = RegistrationFlow {
            v: registration::REGISTRATION_FORMAT,
            id: id.clone(),
            user: user.id.clone(),
            admin: user.admin,
            counter_id: identifier_hash(&user.username),
            created_at: now,
            expires_at: now + self.policy.reset().session_ttl_s,
            state: RegistrationState::Registering,
        };
        let data = serde_json::to_string(&StoredFlow::Registration(flow.clone())).map_err(|e| {
            InputError::CorruptRecord {
                what: "flow",
                problem: e.to_string(),
            }
        })?;
        self.ports.flows.save(id, data, 0, flow.expires_at)?;
        let mut warnings = Vec::new();
        let mut ev = AuditEvent::new(now, AuditKind::RegistrationStarted);
        ev.flow_id = Some(flow.id.clone());
        ev.user = Some(user.id.clone());
        self.audit(ev, &mut warnings);
        let (info, _) = self.load_info(&user.id)?;
        Ok(RegistrationOutcome {
            view: Some(self.registration_view(&flow, &info)),
            rejection: None,
            retry_after: None,
            provisioning: None,
            warnings,
        })
    }

    /// Applies one step to a registration flow.
    pub fn registration_step(
        &self,
        flow_id: &str,
        input: RegistrationInput,
    ) -> Result<RegistrationOutcome, Error> {
        for _ in 0..MAX_RETRIES {
            let now = self.now()?;
            let (stored, version) = self.load_flow(flow_id)?;
            let StoredFlow::Registration(flow) = stored else {
                return Err(InputError::Malformed {
                    what: "flow id",
                    problem: "not a registration flow",
                }
                .into());
            };
            let user =
                self.ports
                    .directory
                    .user(flow.user.clone())?
                    .ok_or(InputError::Malformed {
                        what: "flow id",
                        problem: "the flow's user no longer exists",
                    })?;
            let (info, info_version) = self.load_info(&flow.user)?;
            if let Some(until) = self.block_of(&flow.counter_id, None, now)?
                && matches!(
                    input,
                    RegistrationInput::Verify(_)
                        | RegistrationInput::Email(_)
                        | RegistrationInput::Mobile { .. }
                        | RegistrationInput::Office(_)
                )
            {
                return Ok(RegistrationOutcome {
                    view: Some(self.registration_view(&flow, &info)),
                    rejection: Some(Reason::UserBlocked),
                    retry_after: Some(until - now),
                    provisioning: None,
                    warnings: Vec::new(),
                });
            }
            let mut code_reused = false;
            let t = loop {
                let mut ctx = RegistrationContext {
                    now,
                    policy: &self.policy,
                    keys: &self.options.keys,
                    entropy: Entropy::new(self.ports.randomness.as_ref()),
                    info: (&info, info_version),
                    hash_params: self.options.hash_params,
                    issuer: &self.options.issuer,
                    account: &user.username,
                    code_reused,
                };
                let t = flow.clone().handle(input.clone(), &mut ctx)?;
                if self.consume(&t.effects)? || code_reused {
                    break t;
                }
                code_reused = true;
            };
            match self.apply(t, version, now) {
                Ok(a) => {
                    let (info, _) = self.load_info(&a.flow.user)?;
                    return Ok(RegistrationOutcome {
                        view: Some(self.registration_view(&a.flow, &info)),
                        rejection: a.rejection,
                        retry_after: a.retry_after,
                        provisioning: a.provisioning,
                        warnings: a.warnings,
                    });
                }
                Err(StepError::Retry) => continue,
                Err(StepError::Fail(e)) => return Err(e),
            }
        }
        Err(PortError::new(
            PortName::FlowStore,
            PortErrorKind::Conflict,
            "the flow kept changing; try again",
        )
        .into())
    }
}
