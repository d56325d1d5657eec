//! The registration wizard, "keep your account secure": re-authenticate, then register and
//! verify methods (alternate email, mobile phone by text or call, office phone, authenticator
//! app, security questions), remove them, choose a default, and finish once enough are
//! registered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::answers;
use crate::audit::{AuditEvent, AuditKind};
use crate::code::{self, CodeCheck, IssuedCode};
use crate::contact::{EmailAddress, PhoneNumber};
use crate::effect::{Effect, Provisioning, Transition};
use crate::error::PortError;
use crate::hashing::HashParams;
use crate::keyring::{Binding, KeyRing, Purpose};
use crate::method::{Factor, Method};
use crate::otp::OtpAlgorithm;
use crate::policy::{ADMIN_METHODS, Policy};
use crate::ports::{Channel, Message, MessageKind};
use crate::questions;
use crate::random::Entropy;
use crate::reason::Reason;
use crate::secret::SecretString;
use crate::security_info::{AppCredential, RegisteredAnswer, SecretBytes, SecurityInfo};
use crate::totp::{self, OtpParams, TotpCheck};
use crate::user::UserId;

/// Format version of a persisted registration flow.
pub const REGISTRATION_FORMAT: u16 = 1;

/// How a mobile phone receives its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Text message.
    Text,
    /// Voice call.
    Call,
}

/// A method registered but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Pending {
    /// An alternate email address.
    Email {
        /// The address.
        address: EmailAddress,
        /// The code sent to it.
        issued: IssuedCode,
    },
    /// A mobile phone.
    Mobile {
        /// The number.
        number: PhoneNumber,
        /// Text or call.
        via: Via,
        /// The code sent to it.
        issued: IssuedCode,
    },
    /// An office phone.
    Office {
        /// The number.
        number: PhoneNumber,
        /// The code read to it.
        issued: IssuedCode,
    },
    /// An authenticator app, confirmed by its first code.
    App {
        /// The new secret.
        secret: SecretBytes,
        /// Its parameters.
        params: OtpParams,
        /// The device that will receive pushes.
        device_id: String,
        /// Wrong codes so far.
        attempts: u8,
    },
}

impl Pending {
    /// The policy method being registered.
    pub fn method(&self) -> Method {
        match self {
            Self::Email { .. } => Method::Email,
            Self::Mobile { .. } => Method::MobilePhone,
            Self::Office { .. } => Method::OfficePhone,
            Self::App { .. } => Method::AppCode,
        }
    }
}

/// Where a registration stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// Choosing what to register.
    Registering,
    /// Waiting for the code that proves a new method.
    Verifying {
        /// The method being verified.
        pending: Pending,
    },
    /// Finished.
    Done,
    /// Timed out.
    Expired,
    /// Cancelled.
    Cancelled,
}

impl RegistrationState {
    /// The state's stable name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Registering => "registering",
            Self::Verifying { .. } => "verifying",
            Self::Done => "done",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A persisted registration flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationFlow {
    /// Format version ([`REGISTRATION_FORMAT`]).
    pub v: u16,
    /// The flow's id.
    pub id: String,
    /// The user registering.
    pub user: UserId,
    /// Whether the user is an administrator.
    pub admin: bool,
    /// Hash of the user's normalised sign-in name (counter key).
    pub counter_id: String,
    /// When it started.
    pub created_at: u64,
    /// When it expires.
    pub expires_at: u64,
    /// Where it stands.
    pub state: RegistrationState,
}

/// What the user did in the wizard.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RegistrationInput {
    /// Register an alternate email address.
    Email(String),
    /// Register a mobile phone.
    Mobile {
        /// The number, in international form.
        number: String,
        /// Text or call.
        via: Via,
    },
    /// Register an office phone.
    Office(String),
    /// Register an authenticator app (the device id for pushes, if the host has one).
    App {
        /// Device id; a random one is made if absent.
        device_id: Option<String>,
    },
    /// Register security questions (question → answer).
    Questions(BTreeMap<String, SecretString>),
    /// Verify the pending method with a code.
    Verify(SecretString),
    /// Remove a method.
    Remove(Method),
    /// Make a method the default.
    SetDefault(Method),
    /// Finish.
    Finish,
    /// Cancel.
    Cancel,
}

/// What a registration transition may read.
pub struct RegistrationContext<'a> {
    /// Now.
    pub now: u64,
    /// The policy.
    pub policy: &'a Policy,
    /// Code keys.
    pub keys: &'a KeyRing,
    /// Secure randomness.
    pub entropy: Entropy<'a>,
    /// The user's security info and its record version (0: none yet).
    pub info: (&'a SecurityInfo, u64),
    /// Argon2 parameters for answers.
    pub hash_params: HashParams,
    /// Issuer shown in authenticator apps.
    pub issuer: &'a str,
    /// Account name shown in authenticator apps (the username).
    pub account: &'a str,
    /// Set by the engine when a matching code turned out to be consumed already.
    pub code_reused: bool,
}

/// The methods a user may register.
pub fn allowed_methods(policy: &Policy, admin: bool) -> Vec<Method> {
    let mut out: Vec<Method> = policy
        .reset()
        .methods
        .iter()
        .copied()
        .filter(|m| !(admin && *m == Method::SecurityQuestions))
        .collect();
    if admin {
        for m in ADMIN_METHODS {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// Distinct factors a user needs registered: the policy's count, two for administrators.
pub fn factors_required(policy: &Policy, admin: bool) -> usize {
    usize::from(policy.requirement_for(admin).gates)
}

/// The registered methods (policy names) among those the user may use.
pub fn registered_methods(info: &SecurityInfo, policy: &Policy, admin: bool) -> Vec<Method> {
    info.registered(
        &allowed_methods(policy, admin),
        policy.security_questions().to_register,
    )
}

/// Distinct factors among the registered methods.
pub fn registered_factors(info: &SecurityInfo, policy: &Policy, admin: bool) -> usize {
    let mut f: Vec<Factor> = registered_methods(info, policy, admin)
        .into_iter()
        .map(Method::factor)
        .collect();
    f.sort_unstable();
    f.dedup();
    f.len()
}

impl RegistrationFlow {
    fn audit(
        &self,
        ctx: &RegistrationContext<'_>,
        kind: AuditKind,
        method: Option<Method>,
    ) -> AuditEvent {
        let mut e = AuditEvent::new(ctx.now, kind);
        e.flow_id = Some(self.id.clone());
        e.user = Some(self.user.clone());
        e.method = method;
        e
    }

    /// The earliest time something happens by itself (expiry).
    pub fn next_deadline(&self) -> Option<u64> {
        matches!(
            self.state,
            RegistrationState::Registering | RegistrationState::Verifying { .. }
        )
        .then_some(self.expires_at)
    }

    /// Applies one input.
    pub fn handle(
        mut self,
        input: RegistrationInput,
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        if !matches!(
            self.state,
            RegistrationState::Registering | RegistrationState::Verifying { .. }
        ) {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]));
        }
        if ctx.now >= self.expires_at {
            self.state = RegistrationState::Expired;
            let ev = self.audit(ctx, AuditKind::FlowExpired, None);
            return Ok(Transition::refuse(
                self,
                Reason::FlowExpired,
                vec![Effect::Audit(ev)],
            ));
        }
        let allowed = allowed_methods(ctx.policy, self.admin);
        let refuse_unavailable =
            |flow: Self| Ok(Transition::refuse(flow, Reason::OptionUnavailable, vec![]));
        match input {
            RegistrationInput::Cancel => {
                self.state = RegistrationState::Cancelled;
                let ev = self.audit(ctx, AuditKind::FlowCancelled, None);
                Ok(Transition::ok(self, vec![Effect::Audit(ev)]))
            }
            RegistrationInput::Email(address) => {
                if !allowed.contains(&Method::Email) {
                    return refuse_unavailable(self);
                }
                let Ok(address) = EmailAddress::parse(&address) else {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid, vec![]));
                };
                let to = address.as_str().to_owned();
                self.send_code(
                    ctx,
                    Channel::Email,
                    to,
                    move |issued| Pending::Email { address, issued },
                    Method::Email,
                )
            }
            RegistrationInput::Mobile { number, via } => {
                if !allowed.contains(&Method::MobilePhone) {
                    return refuse_unavailable(self);
                }
                let Ok(number) = PhoneNumber::parse(&number) else {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid, vec![]));
                };
                let channel = if via == Via::Text {
                    Channel::Sms
                } else {
                    Channel::Voice
                };
                let to = number.e164();
                self.send_code(
                    ctx,
                    channel,
                    to,
                    move |issued| Pending::Mobile {
                        number,
                        via,
                        issued,
                    },
                    Method::MobilePhone,
                )
            }
            RegistrationInput::Office(number) => {
                if !allowed.contains(&Method::OfficePhone) {
                    return refuse_unavailable(self);
                }
                let Ok(number) = PhoneNumber::parse(&number) else {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid, vec![]));
                };
                let to = number.e164();
                self.send_code(
                    ctx,
                    Channel::Voice,
                    to,
                    move |issued| Pending::Office { number, issued },
                    Method::OfficePhone,
                )
            }
            RegistrationInput::App { device_id } => {
                if !allowed.iter().any(|m| m.is_app()) {
                    return refuse_unavailable(self);
                }
                let secret = totp::new_secret(ctx.entropy.port())?;
                let params = OtpParams {
                    algorithm: OtpAlgorithm::Sha1,
                    digits: 6,
                    period: 30,
                };
                let Ok(uri) = totp::otpauth_uri(ctx.issuer, ctx.account, &secret, &params) else {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid, vec![]));
                };
                #[cfg(feature = "qr")]
                let qr_svg = totp::qr_svg(&uri).ok();
                #[cfg(not(feature = "qr"))]
                let qr_svg = None;
                let provisioning = Provisioning {
                    secret_b32: SecretString::new(secret.to_base32()),
                    uri: SecretString::new(uri),
                    qr_svg,
                };
                let device_id = match device_id {
                    Some(d) if !d.trim().is_empty() => d,
                    _ => format!("device-{}", &ctx.entropy.token()?[..16]),
                };
                self.state = RegistrationState::Verifying {
                    pending: Pending::App {
                        secret,
                        params,
                        device_id,
                        attempts: 0,
                    },
                };
                let mut t = Transition::ok(self, vec![]);
                t.provisioning = Some(provisioning);
                Ok(t)
            }
            RegistrationInput::Questions(given) => self.questions(given, &allowed, ctx),
            RegistrationInput::Verify(code) => self.verify(&code, ctx),
            RegistrationInput::Remove(method) => {
                let (info, version) = ctx.info;
                if !info.has(method, 1) {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid, vec![]));
                }
                let mut new = info.clone();
                match method {
                    Method::Email => new.email = None,
                    Method::MobilePhone => new.mobile = None,
                    Method::OfficePhone => new.office = None,
                    Method::AppCode | Method::AppNotification => new.app = None,
                    Method::SecurityQuestions => new.questions.clear(),
                }
                if new.default_method.is_some_and(|d| !new.has(d, 1)) {
                    new.default_method = None;
                }
                self.state = RegistrationState::Registering;
                Ok(self.changed(new, version, method, AuditKind::MethodRemoved, ctx))
            }
            RegistrationInput::SetDefault(method) => {
                let (info, version) = ctx.info;
                if !allowed.contains(&method)
                    || !info.has(method, ctx.policy.security_questions().to_register)
                {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid, vec![]));
                }
                let mut new = info.clone();
                new.default_method = Some(method);
                Ok(Transition::ok(
                    self,
                    vec![Effect::SaveSecurityInfo {
                        info: Box::new(new),
                        expected_version: version,
                    }],
                ))
            }
            RegistrationInput::Finish => {
                let (info, version) = ctx.info;
                if registered_factors(info, ctx.policy, self.admin)
                    < factors_required(ctx.policy, self.admin)
                {
                    return Ok(Transition::refuse(
                        self,
                        Reason::RegistrationIncomplete,
                        vec![],
                    ));
                }
                let mut new = info.clone();
                new.confirmed_at = Some(ctx.now);
                self.state = RegistrationState::Done;
                let ev = self.audit(ctx, AuditKind::RegistrationFinished, None);
                Ok(Transition::ok(
                    self,
                    vec![
                        Effect::SaveSecurityInfo {
                            info: Box::new(new),
                            expected_version: version,
                        },
                        Effect::Audit(ev),
                    ],
                ))
            }
        }
    }

    fn send_code(
        mut self,
        ctx: &mut RegistrationContext<'_>,
        channel: Channel,
        to: String,
        pending: impl FnOnce(IssuedCode) -> Pending,
        method: Method,
    ) -> Result<Transition<Self>, PortError> {
        let binding = Binding {
            purpose: Purpose::RegistrationCode,
            flow_id: &self.id,
            destination: &to,
        };
        let (code, issued) = code::issue(
            ctx.entropy.port(),
            ctx.keys,
            &binding,
            ctx.policy.codes().digits,
            ctx.now,
            ctx.policy.codes().ttl_s,
        )?;
        let mut message = Message::new(
            ctx.entropy.token()?,
            channel,
            to.clone(),
            MessageKind::Code,
            self.user.clone(),
            ctx.now,
        );
        message.code = Some(code);
        self.state = RegistrationState::Verifying {
            pending: pending(issued),
        };
        let ev = self.audit(ctx, AuditKind::ChallengeSent, Some(method));
        let [count, deliver] = Effect::send(message);
        Ok(Transition::ok(
            self,
            vec![count, deliver, Effect::Audit(ev)],
        ))
    }

    fn questions(
        mut self,
        given: BTreeMap<String, SecretString>,
        allowed: &[Method],
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let policy = ctx.policy.security_questions();
        if !allowed.contains(&Method::SecurityQuestions) {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable, vec![]));
        }
        let mut normalized: Vec<String> = Vec::new();
        let mut valid = given.len() == usize::from(policy.to_register);
        for (q, a) in &given {
            valid &= questions::is_offered(q, &policy.custom);
            match answers::validate(a.expose()) {
                Ok(n) if !normalized.contains(&n) => normalized.push(n),
                _ => valid = false,
            }
        }
        if !valid {
            return Ok(Transition::refuse(self, Reason::MethodInvalid, vec![]));
        }
        let mut registered = Vec::with_capacity(given.len());
        for (q, a) in &given {
            let answer_hash = match answers::hash(a.expose(), &ctx.hash_params, ctx.entropy.port())
            {
                Ok(h) => h,
                Err(crate::Error::Port(e)) => return Err(e),
                Err(_) => return Ok(Transition::refuse(self, Reason::MethodInvalid, vec![])),
            };
            registered.push(RegisteredAnswer {
                question: q.clone(),
                answer_hash,
            });
        }
        let (info, version) = ctx.info;
        let mut new = info.clone();
        new.questions = registered;
        self.state = RegistrationState::Registering;
        Ok(self.changed(
            new,
            version,
            Method::SecurityQuestions,
            AuditKind::MethodRegistered,
            ctx,
        ))
    }

    /// Saves changed security info and tells the user at the alternate address (the one
    /// registered before the change, or the new one if there was none).
    fn changed(
        self,
        new: SecurityInfo,
        version: u64,
        method: Method,
        kind: AuditKind,
        ctx: &RegistrationContext<'_>,
    ) -> Transition<Self> {
        let (old, _) = ctx.info;
        let notify: Vec<String> = old
            .email
            .as_ref()
            .or(new.email.as_ref())
            .map(|e| vec![e.as_str().to_owned()])
            .unwrap_or_default();
        let ev = self.audit(ctx, kind, Some(method));
        Transition::ok(
            self,
            vec![
                Effect::SaveSecurityInfo {
                    info: Box::new(new),
                    expected_version: version,
                },
                Effect::NotifySecurityInfoChanged(notify),
                Effect::Audit(ev),
            ],
        )
    }

    fn verify(
        mut self,
        submitted: &SecretString,
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let RegistrationState::Verifying { pending } = self.state.clone() else {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]));
        };
        let max = ctx.policy.codes().max_attempts;
        let (info, version) = ctx.info;
        let mut new = info.clone();
        let (method, mut issued, destination) = match pending {
            Pending::App {
                secret,
                params,
                device_id,
                attempts,
            } => {
                if let TotpCheck::Valid { step } = totp::verify(
                    secret.expose(),
                    &params,
                    submitted.expose(),
                    ctx.now,
                    ctx.policy.totp().skew_steps,
                    None,
                ) {
                    new.app = Some(AppCredential {
                        secret,
                        algorithm: params.algorithm,
                        digits: params.digits,
                        period: params.period,
                        last_step: Some(step),
                        device_id,
                    });
                    self.state = RegistrationState::Registering;
                    return Ok(self.changed(
                        new,
                        version,
                        Method::AppCode,
                        AuditKind::MethodRegistered,
                        ctx,
                    ));
                }
                let attempts = attempts + 1;
                let exhausted = attempts >= max;
                self.state = if exhausted {
                    RegistrationState::Registering
                } else {
                    RegistrationState::Verifying {
                        pending: Pending::App {
                            secret,
                            params,
                            device_id,
                            attempts,
                        },
                    }
                };
                let reason = if exhausted {
                    Reason::CodeExhausted
                } else {
                    Reason::CodeMismatch
                };
                return Ok(Transition::refuse(self, reason, vec![Effect::CountFailure]));
            }
            Pending::Email { address, issued } => {
                let to = address.as_str().to_owned();
                new.email = Some(address);
                (Method::Email, issued, to)
            }
            Pending::Mobile { number, issued, .. } => {
                let to = number.e164();
                new.mobile = Some(number);
                (Method::MobilePhone, issued, to)
            }
            Pending::Office { number, issued } => {
                let to = number.e164();
                new.office = Some(number);
                (Method::OfficePhone, issued, to)
            }
        };
        let binding = Binding {
            purpose: Purpose::RegistrationCode,
            flow_id: &self.id,
            destination: &destination,
        };
        let check = code::compare_unless_consumed(
            &mut issued,
            ctx.keys,
            &binding,
            submitted.expose(),
            ctx.now,
            max,
            ctx.code_reused,
        );
        match check {
            CodeCheck::Accepted => {
                let consume = Effect::consume_code(Purpose::RegistrationCode, &issued);
                self.state = RegistrationState::Registering;
                let mut t = self.changed(new, version, method, AuditKind::MethodRegistered, ctx);
                t.effects.insert(0, consume);
                Ok(t)
            }
            CodeCheck::Expired | CodeCheck::Exhausted => {
                self.state = RegistrationState::Registering;
                let reason = if check == CodeCheck::Expired {
                    Reason::CodeExpired
                } else {
                    Reason::CodeExhausted
                };
                Ok(Transition::refuse(self, reason, vec![]))
            }
            CodeCheck::Mismatch { .. } | CodeCheck::AlreadyUsed => {
                let exhausted = issued.attempts >= max;
                if exhausted {
                    self.state = RegistrationState::Registering;
                } else if let RegistrationState::Verifying { pending } = &mut self.state {
                    match pending {
                        Pending::Email { issued: i, .. }
                        | Pending::Mobile { issued: i, .. }
                        | Pending::Office { issued: i, .. } => *i = issued,
                        Pending::App { .. } => {}
                    }
                }
                let reason = if exhausted {
                    Reason::CodeExhausted
                } else {
                    Reason::CodeMismatch
                };
                Ok(Transition::refuse(self, reason, vec![Effect::CountFailure]))
            }
        }
    }
}
