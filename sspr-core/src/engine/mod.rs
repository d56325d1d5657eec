//! The engine: runs both wizards through the ports.
//!
//! A step, top to bottom: load the flow (by its id's keyed reference) and the user's security
//! info → find blocks in force → if the step is a verification attempt, **reserve** its place
//! in every limit (`throttle.rs`) → run the pure transition (it compares only when the
//! reservation admits it) → settle the reservation (a right answer gives it back, a wrong one
//! may block) → carry out the transition (`step.rs`): guards, the compare-and-set save, the
//! outbox (deliveries and directory changes, only after the save), after-commit effects.
//!
//! * A lost compare-and-set re-runs the whole step on fresh data (a bounded number of times),
//!   so nothing is half-applied.
//! * A failing notifier, directory or store before the commit returns the error and leaves the
//!   flow as it was: the user can retry the step.
//! * A failure after the commit (a notice about a completed reset, the audit sink) does not
//!   undo the step; it is returned in the outcome's `warnings`.
//!
//! Public methods, in the order a host meets them: [`Engine::new`], [`Engine::start_reset`],
//! [`Engine::reset_step`], [`Engine::reset_view_of`], [`Engine::sign_in_check`],
//! [`Engine::start_registration`], [`Engine::registration_step`],
//! [`Engine::report_not_me`], [`Engine::unblock`], [`Engine::import_security_info`].

mod campaign;
mod change_password;
mod help_desk;
mod import;
mod info;
mod notices;
mod options;
mod settings;
mod step;
mod stored;
mod throttle;
mod trace;
mod views;

pub use crate::effect::Provisioning;
pub use crate::security_info::{MAX_APPS, MAX_SERIAL_BYTES, MAX_TOKENS};
pub use help_desk::{ACCESS_PASS_LIFETIME_S, IssuedAccessPass, MAX_ACTOR_CHARS, TemporaryPassword};
pub use import::{
    AppImport, HardwareTokenImport, MAX_IMPORTED_ANSWERS, MIN_APP_SECRET_BYTES, SecurityInfoImport,
};
pub use notices::NOTICE_TOKEN_TTL_S;
pub use options::{CountryBudget, EngineOptions, MAX_CLIENT_LIMIT, Ports};
pub use settings::EngineSettings;
pub use views::{
    PasswordChangeOutcome, RegisteredMethod, RegistrationOutcome, RegistrationView, ReportOutcome,
    ResetOutcome, ResetView, SignInCheck, SnoozeOutcome,
};

use std::collections::BTreeMap;

use crate::audit::{AuditEvent, AuditKind};
use crate::decoy;
use crate::effect::{Admission, AttemptSpec, Refusal, Verdict};
use crate::error::{Error, InputError, MisuseError, PortError, PortErrorKind, PortName};
use crate::hashing;
use crate::method::{Method, ResetOption};
use crate::password::{PasswordRules, PasswordVerdict, UserFacts};
use crate::policy::Policy;
use crate::random::Entropy;
use crate::reason::Reason;
use crate::registration::{
    self, RegistrationContext, RegistrationFlow, RegistrationInput, RegistrationState,
};
use crate::reset::{self, ResetContext, ResetFlow, ResetInput, ResetState, Subject};
use crate::sealing::{NONCE_LEN, SealingKeys};
use crate::secret::SecretString;
use crate::security_info::SecurityInfo;
use crate::user::{DirectoryUser, UserId};

use step::{Carried, MAX_RETRIES, Memo, Start, StepError};
use stored::{StoredFlow, encode};
use throttle::{Scope, Settled, name_subject, password_checks, user_subject};

/// The longest identifier or username accepted, in characters.
pub const MAX_IDENTIFIER_CHARS: usize = 256;
/// The longest client string accepted, in bytes.
pub const MAX_CLIENT_BYTES: usize = 256;
/// The longest password accepted as input, in bytes (the policy's `max_chars` is checked
/// after NFKC; this bound keeps hostile input from costing anything).
pub const MAX_PASSWORD_BYTES: usize = 4096;
/// The longest code, answer, request id or address accepted as input, in bytes.
pub const MAX_FIELD_BYTES: usize = 256;

/// The self-service password reset engine.
pub struct Engine {
    policy: Policy,
    rules: PasswordRules,
    ports: Ports,
    options: EngineOptions,
    /// An answer hash at the engine's cost, which decoys verify against.
    decoy_answer_hash: String,
    /// Representative security-info records by screen shape, which decoys read where a real
    /// user's is read.
    decoy_records: Vec<String>,
    /// The key the representative records are sealed with (theirs alone).
    decoy_sealing: SealingKeys,
}

fn too_long(what: &'static str, max: usize) -> Error {
    InputError::TooLong { what, max }.into()
}

fn bounded(what: &'static str, value: &str, max: usize) -> Result<(), Error> {
    if value.len() > max {
        Err(too_long(what, max))
    } else {
        Ok(())
    }
}

fn check_answers(answers: &BTreeMap<String, SecretString>) -> Result<(), Error> {
    if answers.len() > reset::MAX_ANSWERS {
        return Err(too_long("security answers", reset::MAX_ANSWERS));
    }
    for (q, a) in answers {
        bounded(
            "security question",
            q,
            4 * crate::security_info::MAX_QUESTION_CHARS,
        )?;
        bounded("security answer", a.expose(), MAX_FIELD_BYTES)?;
    }
    Ok(())
}

fn not_a(kind: &'static str) -> Error {
    InputError::Malformed {
        what: "flow id",
        problem: kind,
    }
    .into()
}

fn conflict() -> Error {
    PortError::new(
        PortName::FlowStore,
        PortErrorKind::Conflict,
        "the flow kept changing; try again",
    )
    .into()
}

/// How a step's reserved attempt ended, from the admission and the transition's verdict.
fn settled(admission: Admission, verdict: Option<Verdict>) -> Option<Settled> {
    match admission {
        Admission::NotAnAttempt => None,
        Admission::Refused(_) => Some(Settled::Refused),
        Admission::Admitted => Some(match verdict {
            Some(Verdict::Verified) => Settled::Verified,
            Some(Verdict::Failed) => Settled::Failed,
            None => Settled::NotCompared,
        }),
    }
}

/// The user id an unknown name's password is checked against: no directory has it (ids are
/// the directory's own; this one is sspr's).
const UNKNOWN_USER_ID: &str = "sspr/unknown-user";

/// What an engine derives from its policy and options when it is built or its policy replaced.
struct Derived {
    rules: PasswordRules,
    decoy_answer_hash: String,
    decoy_records: Vec<String>,
    decoy_sealing: SealingKeys,
}

impl Derived {
    fn of(policy: &Policy, options: &EngineOptions) -> Result<Self, MisuseError> {
        let rules = PasswordRules::new(policy.password());
        let salt = options.identity.digest("decoy-answer-salt", "");
        let decoy_answer_hash =
            hashing::hash_with_salt(b"decoy answer", &options.hash_params, &salt[..16])?;
        // Sealed as real records are, so that a decoy opens one as a real user's step does, but
        // under a key of their own that opens nothing else: they never leave the process, and
        // their nonces (drawn from the key, deterministic) must not be shared with real records.
        let decoy_sealing = SealingKeys::new(vec![(
            "decoy".to_owned(),
            options.identity.digest("decoy-sealing-key", "").to_vec(),
        )])?;
        let decoy_records = decoy::representative_records(
            &options.identity,
            &decoy_answer_hash,
            policy.security_questions().to_register,
        )
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut nonce = [0; NONCE_LEN];
            let d = options
                .identity
                .digest("decoy-sealing-nonce", &i.to_string());
            nonce.copy_from_slice(&d[..NONCE_LEN]);
            decoy_sealing.seal(info::DECOY_RECORD_OWNER, &r, nonce)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| MisuseError::InvalidArgument {
            name: "policy",
            problem: format!("a representative record does not seal: {e}"),
        })?;
        Ok(Self {
            rules,
            decoy_answer_hash,
            decoy_records,
            decoy_sealing,
        })
    }
}

/// The outcome of re-authenticating with the current password.
enum Reauth {
    Passed(DirectoryUser),
    Failed,
    Refused(Refusal),
}

impl Engine {
    /// An engine applying `policy` through `ports`. Options out of range are API misuse.
    pub fn new(
        policy: Policy,
        ports: Ports,
        mut options: EngineOptions,
    ) -> Result<Self, MisuseError> {
        options.validate()?;
        if let Some(t) = &options.tenant {
            options.identity = options.identity.for_tenant(t);
            // The default sealing key comes from the tenant's key too: a record of one tenant,
            // or of an engine without one, never opens under another's.
            if options.sealing.is_derived_only() {
                options.sealing = SealingKeys::derived(&options.identity);
            }
        }
        crate::PhoneNumber::load_metadata();
        let d = Derived::of(&policy, &options)?;
        Ok(Self {
            policy,
            rules: d.rules,
            ports,
            options,
            decoy_answer_hash: d.decoy_answer_hash,
            decoy_records: d.decoy_records,
            decoy_sealing: d.decoy_sealing,
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The password rules in force.
    pub fn password_rules(&self) -> &PasswordRules {
        &self.rules
    }

    /// The keyed reference of a flow id for a trace span (computed only with `tracing`).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables, clippy::unused_self))]
    fn traced_ref(&self, flow_id: &str) -> Option<String> {
        #[cfg(feature = "tracing")]
        return Some(self.flow_ref(flow_id));
        #[cfg(not(feature = "tracing"))]
        None
    }

    fn now(&self) -> Result<u64, PortError> {
        self.ports.clock.now()
    }

    // ----- reset -----

    /// "Who are you?": starts a reset for `identifier` once the CAPTCHA answer checks out.
    /// `client` is the caller's address or fingerprint, for per-client limits and audit.
    ///
    /// Unknown, out-of-scope and unregistered users get a decoy flow that looks like a real one
    /// (unless the policy discloses account state): the same port calls, the same screens.
    pub fn start_reset(
        &self,
        identifier: &str,
        captcha_response: &str,
        client: Option<&str>,
    ) -> Result<ResetOutcome, Error> {
        trace::call("start_reset", "identifier", None).run(|| {
            if identifier.chars().count() > MAX_IDENTIFIER_CHARS {
                return Err(too_long("identifier", MAX_IDENTIFIER_CHARS));
            }
            bounded("CAPTCHA response", captcha_response, 8 * 1024)?;
            if let Some(c) = client {
                bounded("client", c, MAX_CLIENT_BYTES)?;
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
            let ids = &self.options.identity;
            let found = self
                .ports
                .directory
                .find_user(identifier.trim().to_owned())?;
            let (subject_ref, lookup) = match &found {
                Some(u) => (user_subject(ids, &u.id), u.id.clone()),
                None => {
                    let s = name_subject(ids, identifier);
                    let lookup = UserId::new(format!("sspr-decoy:{s}"));
                    (s, lookup)
                }
            };
            // A decoy's screen is drawn whoever it is for (it costs what a real user's options do).
            let screen = decoy::screen(ids, &subject_ref, &self.policy, &self.options.decoys);
            // Real or not, one security-info load.
            let shape = found.is_none().then(|| decoy::shape(&screen.options));
            let (info, _) = self.load_info_for(&lookup, shape)?;
            let disclose = self.policy.reset().disclose_account_state;
            let mut known = None;
            let mut why_decoy = Reason::UserUnknown;
            // The options are worked out for everyone (a decoy on its representative record), so
            // that a decoy costs what a real user does.
            let admin = found.as_ref().is_some_and(|u| u.admin);
            let req = self.policy.requirement_for(admin);
            let options = reset::options_for(
                &info,
                &req.methods,
                self.policy.security_questions().to_reset,
            );
            let enough = reset::factor_count(&options) >= usize::from(req.gates);
            if let Some(user) = &found {
                if !self.policy.applies_to(user) {
                    why_decoy = Reason::UserNotEnabled;
                } else if enough {
                    known = Some((
                        user.clone(),
                        options,
                        req.gates,
                        reset::listed_options(&req.methods),
                    ));
                } else {
                    why_decoy = Reason::UserNotRegistered;
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
            let (subject, options, gates, listed, epoch) = match known {
                Some((user, options, gates, listed)) => (
                    Subject::Known {
                        user: user.id.clone(),
                        admin: user.admin,
                    },
                    options,
                    gates,
                    listed,
                    info.epoch,
                ),
                None => (
                    Subject::Decoy {
                        lookup,
                        questions: screen.questions,
                    },
                    screen.options,
                    screen.gates,
                    screen.listed,
                    0,
                ),
            };
            let block = self.block_in_force(&subject_ref, client, Scope::SelfService, now)?;
            let id = Entropy::new(self.ports.randomness.as_ref()).token()?;
            let flow = ResetFlow {
                v: reset::RESET_FORMAT,
                flow_ref: self.flow_ref(&id),
                created_at: now,
                expires_at: now.saturating_add(self.policy.reset().session_ttl_s),
                subject,
                counter_id: subject_ref,
                epoch,
                client: client.map(str::to_owned),
                gates,
                options,
                listed,
                passed: Vec::new(),
                last_sends: BTreeMap::new(),
                question_draws: 0,
                password_refusals: 0,
                state: match block {
                    Some(Refusal::Locked) => ResetState::Blocked { until: u64::MAX },
                    Some(Refusal::Blocked(until)) => ResetState::Blocked { until },
                    _ => ResetState::ChooseMethod,
                },
            };
            self.save_record(
                &flow.flow_ref,
                encode(&StoredFlow::Reset(flow.clone()))?,
                0,
                flow.expires_at,
            )?;
            let mut ev = AuditEvent::new(now, AuditKind::ResetStarted);
            ev.flow_ref = Some(flow.flow_ref.clone());
            ev.user = flow.user().cloned();
            ev.client = flow.client.clone();
            self.audit(ev, &mut warnings);
            let (rejection, retry_after) = match block {
                Some(Refusal::Locked) => (Some(Reason::UserLocked), None),
                Some(Refusal::Blocked(until)) => {
                    (Some(Reason::UserBlocked), Some(until.saturating_sub(now)))
                }
                _ => (None, None),
            };
            Ok(ResetOutcome {
                view: Some(self.reset_view(&id, &flow, now)),
                rejection,
                retry_after,
                password: None,
                warnings,
            })
        })
    }

    fn check_reset_input(input: &ResetInput) -> Result<(), Error> {
        match input {
            ResetInput::EnterCode(c) => bounded("code", c.expose(), MAX_FIELD_BYTES),
            ResetInput::ConfirmNumber(n) => bounded("phone number", n.expose(), 64),
            ResetInput::ConfirmLink(t) => bounded("link token", t.expose(), MAX_FIELD_BYTES),
            ResetInput::Answer(a) => check_answers(a),
            ResetInput::Approve { request_id, .. } => {
                bounded("request id", request_id, MAX_FIELD_BYTES)
            }
            ResetInput::NewPassword { password, confirm } => {
                bounded("password", password.expose(), MAX_PASSWORD_BYTES)?;
                bounded("password", confirm.expose(), MAX_PASSWORD_BYTES)
            }
            ResetInput::Choose(_)
            | ResetInput::Resend
            | ResetInput::Unlock
            | ResetInput::Cancel => Ok(()),
        }
    }

    /// Applies one step to a reset flow.
    pub fn reset_step(&self, flow_id: &str, input: ResetInput) -> Result<ResetOutcome, Error> {
        trace::call(
            "reset_step",
            trace::reset_input(&input),
            self.traced_ref(flow_id).as_deref(),
        )
        .run(|| {
            Self::check_reset_input(&input)?;
            let mut memo = Memo::default();
            for _ in 0..MAX_RETRIES {
                let now = self.now()?;
                let (key, loaded) = self.load_flow(flow_id)?;
                let StoredFlow::Reset(flow) = &loaded.stored else {
                    return Err(not_a("not a reset flow"));
                };
                let flow = flow.clone();
                let shape = flow.user().is_none().then(|| decoy::shape(&flow.options));
                let (mut info, info_version) = self.load_info_for(flow.info_owner(), shape)?;
                memo.unrecord_own_step(&mut info);
                let real = flow.user().is_some();
                let client = flow.client.as_deref();
                let block = if flow.state.is_terminal() {
                    None
                } else {
                    self.block_in_force(&flow.counter_id, client, Scope::SelfService, now)?
                };
                let verdict =
                    match (&input, flow.user()) {
                        (ResetInput::NewPassword { password, confirm }, Some(u))
                            if matches!(
                                flow.state,
                                ResetState::NewPassword | ResetState::SettingPassword { .. }
                            ) && block.is_none()
                                && now < flow.expires_at =>
                        {
                            let user = self.ports.directory.user(u.clone())?.ok_or(
                                InputError::Malformed {
                                    what: "flow id",
                                    problem: "the flow's user no longer exists",
                                },
                            )?;
                            Some(self.evaluate_password(&user, password, confirm)?)
                        }
                        _ => None,
                    };
                let mut ctx = ResetContext {
                    now,
                    policy: &self.policy,
                    keys: &self.options.keys,
                    ids: &self.options.identity,
                    entropy: Entropy::new(self.ports.randomness.as_ref()),
                    info: real.then_some((&info, info_version)),
                    verdict: verdict.clone(),
                    admission: Admission::NotAnAttempt,
                    block,
                    hash_params: self.options.hash_params,
                    decoy_answer_hash: &self.decoy_answer_hash,
                    challenge_spent: false,
                };
                if block.is_none() {
                    let spec = flow.attempt(&input, &ctx);
                    let (admission, spent) = self.admit(
                        &mut memo,
                        spec,
                        &flow.counter_id,
                        client,
                        Scope::SelfService,
                        now,
                    )?;
                    ctx.admission = admission;
                    ctx.challenge_spent = spent;
                }
                let t = flow.clone().handle(input.clone(), &mut ctx)?;
                let t =
                    self.settle_step(&mut memo, t, ctx.admission, &flow.counter_id, client, now)?;
                let start = Start {
                    key: &key,
                    loaded: &loaded,
                    info: real.then_some(&info),
                    now,
                };
                match self.carry_out(t, &start, &mut memo) {
                    Ok(c) => return Ok(self.reset_outcome(flow_id, c, verdict, now)),
                    Err(StepError::Retry) => {
                        trace::lost_race();
                        continue;
                    }
                    Err(StepError::Fail(e)) => return Err(e),
                }
            }
            Err(conflict())
        })
    }

    fn reset_outcome(
        &self,
        flow_id: &str,
        c: Carried<ResetFlow>,
        verdict: Option<PasswordVerdict>,
        now: u64,
    ) -> ResetOutcome {
        let mut view = self.reset_view(flow_id, &c.flow, now);
        if c.rejection.is_some_and(Reason::needs_help) {
            view.help_desk = self.help_desk();
        }
        ResetOutcome {
            view: Some(view),
            rejection: c.rejection,
            retry_after: c.retry_after,
            password: verdict,
            warnings: c.warnings,
        }
    }

    /// The current screen of a reset flow, without changing it.
    pub fn reset_view_of(&self, flow_id: &str) -> Result<ResetView, Error> {
        trace::call("reset_view_of", "", self.traced_ref(flow_id).as_deref()).run(|| {
            let now = self.now()?;
            match self.load_flow(flow_id)?.1.stored {
                StoredFlow::Reset(f) => Ok(self.reset_view(flow_id, &f, now)),
                _ => Err(not_a("not a reset flow")),
            }
        })
    }

    fn reset_view(&self, flow_id: &str, flow: &ResetFlow, now: u64) -> ResetView {
        ResetView {
            flow_id: flow_id.to_owned(),
            flow_ref: flow.flow_ref.clone(),
            state: flow.state.screen(),
            gate: flow.gate(),
            gates: flow.gates,
            options: flow.current_options().into_iter().cloned().collect(),
            unavailable: flow.unavailable_options(),
            option: match &flow.state {
                ResetState::EnterCode { option, .. } | ResetState::ConfirmNumber { option } => {
                    Some(*option)
                }
                ResetState::AnswerQuestions { .. } => Some(ResetOption::SecurityQuestions),
                ResetState::AwaitApproval { .. } => Some(ResetOption::AppNotification),
                _ => None,
            },
            questions: match &flow.state {
                ResetState::AnswerQuestions { asked } => asked.clone(),
                _ => Vec::new(),
            },
            approval_number: match &flow.state {
                ResetState::AwaitApproval { pending } => Some(pending.number),
                _ => None,
            },
            retry_after: match flow.state {
                ResetState::Blocked { until } if until > now && until != u64::MAX => {
                    Some(until - now)
                }
                _ => None,
            },
            expires_at: flow.expires_at,
            help_desk: matches!(flow.state, ResetState::Blocked { .. } | ResetState::Expired)
                .then(|| self.help_desk())
                .flatten(),
        }
    }

    /// The policy's help-desk contact, if it names one.
    fn help_desk(&self) -> Option<String> {
        let c = &self.policy.help_desk().contact;
        (!c.is_empty()).then(|| c.clone())
    }

    fn evaluate_password(
        &self,
        user: &DirectoryUser,
        password: &SecretString,
        confirm: &SecretString,
    ) -> Result<PasswordVerdict, Error> {
        let breach = self
            .ports
            .breach
            .as_deref()
            .map(|checker| (checker, self.options.breach_mode));
        let history = |n: u8| -> Result<Vec<String>, Error> {
            Ok(self
                .ports
                .directory
                .password_history(user.id.clone(), u32::from(n))?)
        };
        let verdict = self.rules.check(
            password.expose(),
            confirm.expose(),
            &UserFacts::from(user),
            history,
            breach,
        )?;
        Ok(verdict)
    }

    // ----- registration -----

    /// Re-authenticates with the current password. The attempt is counted (per user once the
    /// username resolves, else per username) *before* the directory compares the password,
    /// and refused uncompared while the user is blocked.
    fn reauthenticate(
        &self,
        username: &str,
        password: &str,
        client: Option<&str>,
        scope: Scope,
        now: u64,
    ) -> Result<Reauth, Error> {
        if username.chars().count() > MAX_IDENTIFIER_CHARS {
            return Err(too_long("username", MAX_IDENTIFIER_CHARS));
        }
        bounded("password", password, MAX_PASSWORD_BYTES)?;
        if let Some(c) = client {
            bounded("client", c, MAX_CLIENT_BYTES)?;
        }
        let ids = &self.options.identity;
        let found = self.ports.directory.find_user(username.trim().to_owned())?;
        let subject = found
            .as_ref()
            .map_or_else(|| name_subject(ids, username), |u| user_subject(ids, &u.id));
        // Registration is self-service (every block, the lock, a report); the host's sign-in
        // check respects only the windowed failure block: a right password there is how a
        // locked user gets back.
        // Blocked when self-service or password checks are; counted on password checks only.
        if let Some(r) = self.password_block_in_force(&subject, client, scope, now)? {
            return Ok(Reauth::Refused(r));
        }
        let spec = AttemptSpec { challenge: None };
        let reserved = self.reserve(&password_checks(&subject), client, &spec, scope, now)?;
        if let Admission::Refused(r) = reserved.admission {
            self.settle(&reserved.reservation, Settled::Refused, now)?;
            return Ok(Reauth::Refused(r));
        }
        let passed = match &found {
            Some(u) => self
                .ports
                .directory
                .check_password(u.id.clone(), SecretString::new(password))?,
            // An unknown name makes the same call (for an id no directory has), so that
            // neither the port calls nor their time tell it from a wrong password.
            None => {
                self.ports
                    .directory
                    .check_password(UserId::new(UNKNOWN_USER_ID), SecretString::new(password))?;
                false
            }
        };
        let outcome = if passed {
            Settled::Verified
        } else {
            Settled::Failed
        };
        self.settle(&reserved.reservation, outcome, now)?;
        Ok(match (passed, found) {
            (true, Some(u)) => Reauth::Passed(u),
            _ => Reauth::Failed,
        })
    }

    fn reauth_refused(&self, now: u64, r: Option<Refusal>) -> (Reason, Option<u64>) {
        let mut ev = AuditEvent::new(now, AuditKind::StepRejected);
        let (reason, retry) = match r {
            Some(Refusal::Blocked(until)) => (Reason::UserBlocked, Some(until.saturating_sub(now))),
            Some(Refusal::Locked) => (Reason::UserLocked, None),
            _ => (Reason::ReauthFailed, None),
        };
        ev.reason = Some(reason);
        self.audit(ev, &mut Vec::new());
        (reason, retry)
    }

    /// The check made at every sign-in: must the user register, or re-confirm? A right
    /// password here is a success on another path: it ends a lock after too many failed
    /// verifications in a row. `client` is the caller's address or fingerprint: with
    /// [`EngineOptions::client_limit`] it counts against the client's limit too, so that one
    /// client cannot try a password against many accounts.
    pub fn sign_in_check(
        &self,
        username: &str,
        password: &SecretString,
        client: Option<&str>,
    ) -> Result<SignInCheck, Error> {
        trace::call("sign_in_check", "password", None).run(|| {
            let now = self.now()?;
            let user = match self.reauthenticate(
                username,
                password.expose(),
                client,
                Scope::SignIn,
                now,
            )? {
                Reauth::Passed(u) => u,
                Reauth::Failed => {
                    let (reason, retry) = self.reauth_refused(now, None);
                    return Ok(SignInCheck {
                        registration_required: false,
                        reconfirm_due: false,
                        rejection: Some(reason),
                        retry_after: retry,
                        may_snooze: false,
                        snoozes_left: None,
                    });
                }
                Reauth::Refused(r) => {
                    let (reason, retry) = self.reauth_refused(now, Some(r));
                    return Ok(SignInCheck {
                        registration_required: false,
                        reconfirm_due: false,
                        rejection: Some(reason),
                        retry_after: retry,
                        may_snooze: false,
                        snoozes_left: None,
                    });
                }
            };
            self.clear_row(&user_subject(&self.options.identity, &user.id))?;
            let mut ev = AuditEvent::new(now, AuditKind::SignInChecked);
            ev.user = Some(user.id.clone());
            self.audit(ev, &mut Vec::new());
            if !self.policy.applies_to(&user) {
                return Ok(SignInCheck {
                    registration_required: false,
                    reconfirm_due: false,
                    rejection: None,
                    retry_after: None,
                    may_snooze: false,
                    snoozes_left: None,
                });
            }
            let (info, _) = self.load_info(&user.id)?;
            let reconfirm_due = registration::reconfirm_due(&info, &self.policy, user.admin, now);
            let ask = campaign::ask(&info, &self.policy, user.admin, now);
            Ok(SignInCheck {
                registration_required: ask.required,
                reconfirm_due,
                rejection: None,
                retry_after: None,
                may_snooze: ask.may_snooze,
                snoozes_left: ask.snoozes_left,
            })
        })
    }

    /// The current screen of a registration flow, without changing it (a page shown again).
    pub fn registration_view_of(&self, flow_id: &str) -> Result<RegistrationView, Error> {
        trace::call(
            "registration_view_of",
            "",
            self.traced_ref(flow_id).as_deref(),
        )
        .run(|| match self.load_flow(flow_id)?.1.stored {
            StoredFlow::Registration(f) => {
                let (info, _) = self.load_info(&f.user)?;
                Ok(self.registration_view(flow_id, &f, &info))
            }
            _ => Err(not_a("not a registration flow")),
        })
    }

    fn registration_view(
        &self,
        flow_id: &str,
        flow: &RegistrationFlow,
        info: &SecurityInfo,
    ) -> RegistrationView {
        let have = registration::registered_factors(info, &self.policy, flow.admin);
        RegistrationView {
            flow_id: flow_id.to_owned(),
            flow_ref: flow.flow_ref.clone(),
            state: flow.state.screen(),
            registered: registration::registered_methods(info, &self.policy, flow.admin),
            still_needed: registration::factors_required(&self.policy, flow.admin)
                .saturating_sub(have),
            pending: match &flow.state {
                RegistrationState::Verifying { pending } => Some(pending.method()),
                _ => None,
            },
            pending_to: match &flow.state {
                RegistrationState::Verifying { pending } => pending.masked_destination(),
                _ => None,
            },
            default_method: reset::default_method(
                info,
                &registration::allowed_methods(&self.policy, flow.admin),
                self.policy.security_questions().to_register,
            ),
            methods: registration::method_list(info, &self.policy, flow.admin),
            proof_options: match flow.state {
                RegistrationState::ProveIdentity => {
                    registration::proof_options(info, &self.policy, flow.admin)
                }
                _ => Vec::new(),
            },
            proof_option: match &flow.state {
                RegistrationState::Proving { option, .. } => Some(*option),
                _ => None,
            },
            questions: match &flow.state {
                RegistrationState::Proving {
                    challenge: registration::ProofChallenge::Questions { asked, .. },
                    ..
                } => asked.clone(),
                _ => Vec::new(),
            },
            approval_number: match &flow.state {
                RegistrationState::Proving {
                    challenge: registration::ProofChallenge::Push { pending },
                    ..
                }
                | RegistrationState::Verifying {
                    pending:
                        registration::Pending::App {
                            approval: Some(pending),
                            ..
                        },
                } => Some(pending.number),
                _ => None,
            },
            expires_at: flow.expires_at,
            help_desk: matches!(flow.state, RegistrationState::Expired)
                .then(|| self.help_desk())
                .flatten(),
        }
    }

    /// Opens the "keep your account secure" wizard after re-authentication with the current
    /// password. A user who has methods registered must prove one before anything changes.
    /// `client` counts the password check against the client's limit, as at
    /// [`Engine::sign_in_check`].
    pub fn start_registration(
        &self,
        username: &str,
        password: &SecretString,
        client: Option<&str>,
    ) -> Result<RegistrationOutcome, Error> {
        trace::call("start_registration", "password", None).run(|| {
            let now = self.now()?;
            let user = match self.reauthenticate(
                username,
                password.expose(),
                client,
                Scope::SelfService,
                now,
            )? {
                Reauth::Passed(u) => u,
                other => {
                    let r = match other {
                        Reauth::Refused(r) => Some(r),
                        _ => None,
                    };
                    let (reason, retry) = self.reauth_refused(now, r);
                    return Ok(RegistrationOutcome {
                        view: None,
                        rejection: Some(reason),
                        retry_after: retry,
                        provisioning: None,
                        recovery_codes: Vec::new(),
                        warnings: Vec::new(),
                    });
                }
            };
            let (info, _) = self.load_info(&user.id)?;
            let id = Entropy::new(self.ports.randomness.as_ref()).token()?;
            let needs_proof =
                !registration::proof_options(&info, &self.policy, user.admin).is_empty();
            let flow = RegistrationFlow {
                v: registration::REGISTRATION_FORMAT,
                flow_ref: self.flow_ref(&id),
                user: user.id.clone(),
                admin: user.admin,
                counter_id: user_subject(&self.options.identity, &user.id),
                epoch: info.epoch,
                created_at: now,
                expires_at: now.saturating_add(self.policy.reset().session_ttl_s),
                last_sends: BTreeMap::new(),
                question_draws: 0,
                state: if needs_proof {
                    RegistrationState::ProveIdentity
                } else {
                    RegistrationState::Registering
                },
            };
            self.save_record(
                &flow.flow_ref,
                encode(&StoredFlow::Registration(flow.clone()))?,
                0,
                flow.expires_at,
            )?;
            let mut warnings = Vec::new();
            let mut ev = AuditEvent::new(now, AuditKind::RegistrationStarted);
            ev.flow_ref = Some(flow.flow_ref.clone());
            ev.user = Some(user.id.clone());
            self.audit(ev, &mut warnings);
            Ok(RegistrationOutcome {
                view: Some(self.registration_view(&id, &flow, &info)),
                rejection: None,
                retry_after: None,
                provisioning: None,
                recovery_codes: Vec::new(),
                warnings,
            })
        })
    }

    fn check_registration_input(input: &RegistrationInput) -> Result<(), Error> {
        match input {
            RegistrationInput::Email(a) => bounded("email address", a, 4 * MAX_FIELD_BYTES),
            RegistrationInput::Mobile { number, .. } | RegistrationInput::Office(number) => {
                bounded("phone number", number, MAX_FIELD_BYTES)
            }
            RegistrationInput::App { device_id } => device_id.as_deref().map_or(Ok(()), |d| {
                bounded("device id", d, crate::security_info::MAX_DEVICE_ID_BYTES)
            }),
            RegistrationInput::Questions(a) | RegistrationInput::Answer(a) => check_answers(a),
            RegistrationInput::Verify(c) => bounded("code", c.expose(), MAX_FIELD_BYTES),
            RegistrationInput::ActivateToken { serial, code } => {
                bounded("serial", serial, crate::security_info::MAX_SERIAL_BYTES)?;
                bounded("code", code.expose(), MAX_FIELD_BYTES)
            }
            RegistrationInput::AccessPass(p) => {
                bounded("temporary access pass", p.expose(), MAX_FIELD_BYTES)
            }
            RegistrationInput::Approve { request_id, .. } => {
                bounded("request id", request_id, MAX_FIELD_BYTES)
            }
            RegistrationInput::Prove(_)
            | RegistrationInput::RecoveryCodes
            | RegistrationInput::Remove(_)
            | RegistrationInput::SetDefault(_)
            | RegistrationInput::Resend
            | RegistrationInput::TestPush
            | RegistrationInput::Back
            | RegistrationInput::Finish
            | RegistrationInput::Cancel => Ok(()),
        }
    }

    /// Applies one step to a registration flow.
    pub fn registration_step(
        &self,
        flow_id: &str,
        input: RegistrationInput,
    ) -> Result<RegistrationOutcome, Error> {
        trace::call(
            "registration_step",
            trace::registration_input(&input),
            self.traced_ref(flow_id).as_deref(),
        )
        .run(|| {
            Self::check_registration_input(&input)?;
            let mut memo = Memo::default();
            for _ in 0..MAX_RETRIES {
                let now = self.now()?;
                let (key, loaded) = self.load_flow(flow_id)?;
                let StoredFlow::Registration(flow) = &loaded.stored else {
                    return Err(not_a("not a registration flow"));
                };
                let flow = flow.clone();
                let user =
                    self.ports
                        .directory
                        .user(flow.user.clone())?
                        .ok_or(InputError::Malformed {
                            what: "flow id",
                            problem: "the flow's user no longer exists",
                        })?;
                let (mut info, info_version) = self.load_info(&flow.user)?;
                memo.unrecord_own_step(&mut info);
                let block = if flow.state.is_terminal() {
                    None
                } else {
                    self.block_in_force(&flow.counter_id, None, Scope::SelfService, now)?
                };
                let mut ctx = RegistrationContext {
                    now,
                    policy: &self.policy,
                    keys: &self.options.keys,
                    ids: &self.options.identity,
                    entropy: Entropy::new(self.ports.randomness.as_ref()),
                    info: (&info, info_version),
                    hash_params: self.options.hash_params,
                    issuer: &self.options.issuer,
                    account: &user.username,
                    admission: Admission::NotAnAttempt,
                    challenge_spent: false,
                    block,
                };
                if block.is_none() {
                    let spec = flow.attempt(&input, &ctx);
                    let (admission, spent) = self.admit(
                        &mut memo,
                        spec,
                        &flow.counter_id,
                        None,
                        Scope::SelfService,
                        now,
                    )?;
                    ctx.admission = admission;
                    ctx.challenge_spent = spent;
                }
                let t = flow.clone().handle(input.clone(), &mut ctx)?;
                let t =
                    self.settle_step(&mut memo, t, ctx.admission, &flow.counter_id, None, now)?;
                let start = Start {
                    key: &key,
                    loaded: &loaded,
                    info: Some(&info),
                    now,
                };
                match self.carry_out(t, &start, &mut memo) {
                    Ok(c) => {
                        let (info, _) = self.load_info(&c.flow.user)?;
                        let mut view = self.registration_view(flow_id, &c.flow, &info);
                        if c.rejection.is_some_and(Reason::needs_help) {
                            view.help_desk = self.help_desk();
                        }
                        return Ok(RegistrationOutcome {
                            view: Some(view),
                            rejection: c.rejection,
                            retry_after: c.retry_after,
                            provisioning: c.provisioning,
                            recovery_codes: c.recovery_codes,
                            warnings: c.warnings,
                        });
                    }
                    Err(StepError::Retry) => {
                        trace::lost_race();
                        continue;
                    }
                    Err(StepError::Fail(e)) => return Err(e),
                }
            }
            Err(conflict())
        })
    }

    /// The methods a user may register under the policy (for the wizard's menu).
    pub fn registrable_methods(&self, admin: bool) -> Vec<Method> {
        registration::allowed_methods(&self.policy, admin)
    }
}
