//! The registration wizard, "keep your account secure": re-authenticate, prove a method already
//! registered (once the user has one, as Entra's combined registration asks), then register
//! and verify methods (alternate email, mobile phone by text or call, office phone,
//! authenticator app, security questions), remove them, choose a default, and finish once
//! enough are registered.
//!
//! Every change of security info raises the user's revocation epoch (ending every other open
//! flow of the user) and is told to the account's own mailbox and to every contact registered
//! before the change, with a "this wasn't me" token.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use crate::answers;
use crate::approval::{ApprovalCheck, PendingApproval};
use crate::audit::{AuditEvent, AuditKind};
use crate::challenge;
use crate::code::{self, CodeCheck, IssuedCode};
use crate::contact::{EmailAddress, PhoneNumber};
use crate::effect::{
    Admission, AttemptSpec, Guard, Notice, Outbox, Provisioning, Refusal, SendCount, Transition,
    Verdict,
};
use crate::error::PortError;
use crate::flow::{self, Flow};
use crate::hashing::HashParams;
use crate::keyring::{Binding, IdentityKey, KeyRing, Purpose};
use crate::method::{Factor, Method, ResetOption};
use crate::otp::OtpAlgorithm;
use crate::policy::{ADMIN_METHODS, Policy};
use crate::ports::{Channel, Message, MessageKind};
use crate::question_draw;
use crate::questions;
use crate::random::Entropy;
use crate::reason::Reason;
use crate::reset::{self, OfferedOption};
use crate::secret::SecretString;
use crate::security_info::{
    AppCredential, MAX_APPS, MAX_DEVICE_ID_BYTES, MAX_QUESTION_CHARS, RegisteredAnswer,
    SecretBytes, SecurityInfo,
};
use crate::totp::{self, OtpParams};
use crate::user::UserId;

/// Format version of a persisted registration flow.
pub(crate) const REGISTRATION_FORMAT: u16 = 2;

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
        /// A test notification sent to the device (seed 003, steps 8 and 9): approving it
        /// with the number shown confirms the app instead of its first code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approval: Option<PendingApproval>,
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

    /// Where the code went, masked; none for the app.
    pub fn masked_destination(&self) -> Option<String> {
        match self {
            Self::Email { address, .. } => Some(address.masked()),
            Self::Mobile { number, .. } | Self::Office { number, .. } => Some(number.masked()),
            Self::App { .. } => None,
        }
    }
}

/// How the user proves a registered method before changing security info.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "challenge", rename_all = "snake_case")]
pub enum ProofChallenge {
    /// A code was sent to a registered email or phone.
    Sent {
        /// The sealed code.
        issued: IssuedCode,
        /// The destination's reference (for the cooldown).
        destination: String,
    },
    /// A code from the registered authenticator app.
    App,
    /// A push request to the registered app, with number matching.
    Push {
        /// The pending request.
        pending: PendingApproval,
    },
    /// The registered security questions (for a user with nothing else registered).
    Questions {
        /// The questions asked.
        asked: Vec<String>,
        /// How many draws were made (each answered at most once).
        draw: u32,
    },
}

crate::screen_ids::screens! {
    /// What the registration wizard shows: its state without the data behind it (the `state` of a view).
    RegistrationScreen {
        ProveIdentity => "prove_identity",
        Proving => "proving",
        Registering => "registering",
        Reconfirm => "reconfirm",
        Verifying => "verifying",
        Done => "done",
        Expired => "expired",
        Cancelled => "cancelled",
    }
}

/// Where a registration stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// The user has methods registered: one must be proved before anything changes.
    ProveIdentity,
    /// Waiting for the proof (a code or an approval).
    Proving {
        /// The option being proved.
        option: ResetOption,
        /// The challenge.
        challenge: ProofChallenge,
    },
    /// Choosing what to register.
    Registering,
    /// Reconfirmation is due: the registered methods are shown (masked) after the proof;
    /// `Finish` says they are still correct, `Back` or any change edits them (`registering`).
    Reconfirm,
    /// Waiting for the code that proves a new method.
    Verifying {
        /// The method being verified.
        pending: Pending,
    },
    /// Finished.
    Done,
    /// Timed out, or ended by a reset or another change of security info.
    Expired,
    /// Cancelled.
    Cancelled,
}

impl RegistrationState {
    /// The screen this state shows.
    pub fn screen(&self) -> RegistrationScreen {
        match self {
            Self::ProveIdentity => RegistrationScreen::ProveIdentity,
            Self::Proving { .. } => RegistrationScreen::Proving,
            Self::Registering => RegistrationScreen::Registering,
            Self::Reconfirm => RegistrationScreen::Reconfirm,
            Self::Verifying { .. } => RegistrationScreen::Verifying,
            Self::Done => RegistrationScreen::Done,
            Self::Expired => RegistrationScreen::Expired,
            Self::Cancelled => RegistrationScreen::Cancelled,
        }
    }

    /// The state's stable name.
    pub fn name(&self) -> &'static str {
        self.screen().id()
    }

    /// Whether no further step can change the flow.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Done | Self::Expired | Self::Cancelled)
    }
}

/// A persisted registration flow (keyed by its id's reference; it holds no bearer token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RegistrationFlow {
    /// Format version ([`REGISTRATION_FORMAT`]).
    pub v: u16,
    /// The flow's reference (a keyed hash of its id).
    pub flow_ref: String,
    /// The user registering.
    pub user: UserId,
    /// Whether the user is an administrator.
    pub admin: bool,
    /// The user's counter reference.
    pub counter_id: String,
    /// The user's revocation epoch when the flow opened.
    pub epoch: u64,
    /// When it started.
    pub created_at: u64,
    /// When it expires.
    pub expires_at: u64,
    /// Last send per destination reference, of proofs and of new methods' codes (for the
    /// resend cooldown).
    pub last_sends: BTreeMap<String, u64>,
    /// How many times security questions were drawn for a proof in this flow: each draw has
    /// its own one-answer budget, so a draw is never asked twice.
    #[serde(default)]
    pub question_draws: u32,
    /// Where it stands.
    pub state: RegistrationState,
}

/// What the user did in the wizard.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RegistrationInput {
    /// Prove a registered method (sends a code, or a push for the app's notification).
    Prove(ResetOption),
    /// The authenticator app answered the proof's push request.
    Approve {
        /// The request the device answers.
        request_id: String,
        /// The number the user picked.
        number: u8,
        /// Approve or deny.
        approve: bool,
    },
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
    /// Make a batch of ten recovery codes, shown once in the outcome; it replaces any earlier
    /// batch (whose codes stop working).
    RecoveryCodes,
    /// Verify the pending method (or the proof) with a code.
    Verify(SecretString),
    /// Prove identity with a temporary access pass a help desk issued (instead of a
    /// registered method: for a user who lost them).
    AccessPass(SecretString),
    /// Answer the security questions of a proof (question → answer).
    Answer(BTreeMap<String, SecretString>),
    /// Remove a method.
    Remove(Method),
    /// Make a method the default.
    SetDefault(Method),
    /// Send a test notification to the authenticator app being set up (in `verifying`, after
    /// `App`): approving it on the device with the number the view shows (`Approve`)
    /// confirms the app, as its first code would. Sending it again (or `Resend`) replaces the
    /// request; the resend cooldown and send limits apply.
    TestPush,
    /// Activate a hardware OATH token an administrator assigned (by its serial) with a code
    /// it shows now: it then proves the `app_code` factor. Needs the proof, like any change.
    ActivateToken {
        /// The serial number printed on the token.
        serial: String,
        /// The code the token shows.
        code: SecretString,
    },
    /// Send the pending code again: the new method's (in `verifying`, for an email or phone)
    /// or the proof's (in `proving`, for a code or a push). The earlier code stops working;
    /// the policy's resend cooldown and send limits apply as for a reset's resend
    /// (`send.cooldown` with `retry_after`).
    Resend,
    /// Go back one screen: from `verifying` to `registering` (the pending method is dropped),
    /// from `proving` to `prove_identity`. "I want to set up a different method" is `Back`
    /// followed by registering another method.
    Back,
    /// Finish (or confirm that the registered info is still correct).
    Finish,
    /// Cancel.
    Cancel,
}

/// What a registration transition may read.
pub(crate) struct RegistrationContext<'a> {
    /// Now.
    pub now: u64,
    /// The policy.
    pub policy: &'a Policy,
    /// Code keys.
    pub keys: &'a KeyRing,
    /// The identity key (references).
    pub ids: &'a IdentityKey,
    /// Secure randomness.
    pub entropy: Entropy<'a>,
    /// The user's security info and its record version (0: none yet).
    pub info: (&'a SecurityInfo, u64),
    /// Argon2 parameters for answers.
    pub hash_params: HashParams,
    /// Issuer shown in authenticator apps.
    pub issuer: &'a str,
    /// The username: account name in authenticator apps, and the mailbox told of changes.
    pub account: &'a str,
    /// What the engine reserved for this step.
    pub admission: Admission,
    /// Whether this attempt's reservation used the challenge's last comparison.
    pub challenge_spent: bool,
    /// A block or lock in force on the user.
    pub block: Option<Refusal>,
}

/// The methods a user may register.
pub(crate) fn allowed_methods(policy: &Policy, admin: bool) -> Vec<Method> {
    let mut out: Vec<Method> = policy
        .reset()
        .methods
        .iter()
        .copied()
        // Administrators use Entra's administrator methods: never security questions, and
        // never recovery codes (a code written down is no second possession factor).
        .filter(|m| !(admin && matches!(m, Method::SecurityQuestions | Method::RecoveryCodes)))
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
pub(crate) fn factors_required(policy: &Policy, admin: bool) -> usize {
    usize::from(policy.requirement_for(admin).gates)
}

/// The registered methods (policy names) among those the user may use.
pub(crate) fn registered_methods(info: &SecurityInfo, policy: &Policy, admin: bool) -> Vec<Method> {
    info.registered(
        &allowed_methods(policy, admin),
        policy.security_questions().to_register,
    )
}

/// Whether the user should re-confirm their security info: enough is registered, the policy
/// asks every `reconfirm_days` (not 0), and that long has passed since `confirmed_at` (never
/// when it is unset).
pub(crate) fn reconfirm_due(info: &SecurityInfo, policy: &Policy, admin: bool, now: u64) -> bool {
    let enough = registered_factors(info, policy, admin) >= factors_required(policy, admin);
    let days = u64::from(policy.registration().reconfirm_days);
    enough
        && days > 0
        && info
            .confirmed_at
            .is_some_and(|c| now >= c.saturating_add(days.saturating_mul(86_400)))
}

/// The registered methods with masked destinations, the default first, then the policy's
/// order (the success screen's and the reconfirmation step's list).
pub(crate) fn method_list(
    info: &SecurityInfo,
    policy: &Policy,
    admin: bool,
) -> Vec<crate::engine::RegisteredMethod> {
    let allowed = allowed_methods(policy, admin);
    let needed = policy.security_questions().to_register;
    let default = reset::default_method(info, &allowed, needed);
    let mut out: Vec<crate::engine::RegisteredMethod> = info
        .registered(&allowed, needed)
        .into_iter()
        .map(|method| crate::engine::RegisteredMethod {
            method,
            masked: match method {
                Method::Email => info.email.as_ref().map(EmailAddress::masked),
                Method::MobilePhone => info.mobile.as_ref().map(PhoneNumber::masked),
                Method::OfficePhone => info.office.as_ref().map(PhoneNumber::masked),
                _ => None,
            },
            default: Some(method) == default,
        })
        .collect();
    out.sort_by_key(|m| !m.default);
    out
}

/// Distinct factors among the registered methods (one number registered as both mobile and
/// office phone counts once).
pub(crate) fn registered_factors(info: &SecurityInfo, policy: &Policy, admin: bool) -> usize {
    let options = reset::options_for(
        info,
        &allowed_methods(policy, admin),
        policy.security_questions().to_register,
    );
    let mut f: Vec<Factor> = options.iter().map(|o| o.factor).collect();
    f.sort_unstable();
    f.dedup();
    f.len()
}

/// The registered methods a user may prove before changing security info: every registered
/// option but security questions (they prove no possession). Empty when the user has none,
/// so re-authentication alone opens the wizard.
pub(crate) fn proof_options(
    info: &SecurityInfo,
    policy: &Policy,
    admin: bool,
) -> Vec<OfferedOption> {
    // Every registered method proves the user, whether the policy still offers it or not;
    // security questions only when nothing else is registered (they prove no possession).
    let possession: Vec<Method> = Method::ALL
        .into_iter()
        .filter(|m| !matches!(m, Method::SecurityQuestions | Method::RecoveryCodes))
        .collect();
    let options = reset::options_for(info, &possession, 1);
    if options.is_empty() && !admin && !info.questions.is_empty() {
        let needed = policy
            .security_questions()
            .to_reset
            .min(u8::try_from(info.questions.len()).unwrap_or(u8::MAX));
        return reset::options_for(info, &[Method::SecurityQuestions], needed);
    }
    options
}

/// The default method a record without one gets when `method` is registered: the method the
/// user's screens already showed first when they had methods (a record from before defaults
/// were stored keeps its order), else the method just registered. A new authenticator app
/// becomes the default as its notification when the policy allows that (Entra's "Microsoft
/// Authenticator – notification"), else as its code.
pub(crate) fn first_default(
    old: &SecurityInfo,
    method: Method,
    policy: &Policy,
    admin: bool,
) -> Method {
    let allowed = allowed_methods(policy, admin);
    if let Some(shown) =
        reset::default_method(old, &allowed, policy.security_questions().to_register)
    {
        return shown;
    }
    app_default(method, &allowed)
}

/// `method`, or for the authenticator app the notification when `allowed` has it, else the
/// code: the rule by which a first registered method becomes the default (decoys draw theirs
/// with it too).
pub(crate) fn app_default(method: Method, allowed: &[Method]) -> Method {
    if method.is_app() {
        if allowed.contains(&Method::AppNotification) {
            Method::AppNotification
        } else {
            Method::AppCode
        }
    } else {
        method
    }
}

/// Who is told of a change from `old` to `new` (`None`: not known yet): the account's own
/// mailbox (when the username is an address) and every contact registered before the change
/// (the alternate email, the mobile phone by text, the office phone by call, the app by push).
/// When that is nobody, the new alternate address, so that someone hears of it.
pub(crate) fn notices_for(
    old: &SecurityInfo,
    new: Option<&SecurityInfo>,
    account: &str,
) -> Vec<Notice> {
    let mut notices: Vec<Notice> = Vec::new();
    let add = |notices: &mut Vec<Notice>, channel: Channel, to: String| {
        if !notices.iter().any(|n| n.to.eq_ignore_ascii_case(&to)) {
            notices.push(Notice { channel, to });
        }
    };
    if let Ok(own) = EmailAddress::parse(account) {
        add(&mut notices, Channel::Email, own.as_str().to_owned());
    }
    if let Some(e) = &old.email {
        add(&mut notices, Channel::Email, e.as_str().to_owned());
    }
    if let Some(p) = &old.mobile {
        add(&mut notices, Channel::Sms, p.e164());
    }
    if let Some(p) = &old.office {
        add(&mut notices, Channel::Voice, p.e164());
    }
    for a in &old.apps {
        add(&mut notices, Channel::Push, a.device_id.clone());
    }
    if notices.is_empty()
        && let Some(e) = new.and_then(|n| n.email.as_ref())
    {
        add(&mut notices, Channel::Email, e.as_str().to_owned());
    }
    notices
}

impl RegistrationFlow {
    fn event(
        &self,
        ctx: &RegistrationContext<'_>,
        kind: AuditKind,
        method: Option<Method>,
    ) -> AuditEvent {
        let mut e = Flow::event(self, ctx.now, kind);
        e.method = method;
        e
    }

    fn proving(&self) -> bool {
        matches!(
            self.state,
            RegistrationState::ProveIdentity | RegistrationState::Proving { .. }
        )
    }

    /// The verification attempt `input` makes in this state, if any.
    pub(crate) fn attempt(
        &self,
        input: &RegistrationInput,
        ctx: &RegistrationContext<'_>,
    ) -> Option<AttemptSpec> {
        if self.state.is_terminal() || ctx.now >= self.expires_at {
            return None;
        }
        let limits = challenge::Limits::new(ctx.ids, ctx.policy, ctx.now);
        match (&self.state, input) {
            (RegistrationState::Proving { challenge, .. }, RegistrationInput::Verify(_)) => {
                match challenge {
                    ProofChallenge::Sent { issued, .. } => Some(limits.sent_code(issued)),
                    ProofChallenge::App => Some(
                        limits.app_code(
                            &self.counter_id,
                            ctx.info
                                .0
                                .code_credentials()
                                .iter()
                                .map(|c| c.2.period)
                                .max()
                                .unwrap_or(30),
                            ctx.policy.totp().skew_steps,
                        ),
                    ),
                    ProofChallenge::Push { .. } | ProofChallenge::Questions { .. } => None,
                }
            }
            (
                RegistrationState::Proving {
                    challenge: ProofChallenge::Questions { draw, .. },
                    ..
                },
                RegistrationInput::Answer(_),
            ) => Some(limits.questions(
                &format!("proof-questions:{}:{draw}", self.flow_ref),
                self.expires_at,
            )),
            (
                RegistrationState::Proving {
                    challenge: ProofChallenge::Push { pending },
                    ..
                },
                RegistrationInput::Approve { approve: true, .. },
            ) => Some(limits.push(pending)),
            (
                RegistrationState::ProveIdentity | RegistrationState::Proving { .. },
                RegistrationInput::AccessPass(_),
            ) => Some(AttemptSpec { challenge: None }),
            // Drawing the proof's questions again counts as a failed verification.
            (
                RegistrationState::ProveIdentity | RegistrationState::Proving { .. },
                RegistrationInput::Prove(ResetOption::SecurityQuestions),
            ) if self.question_draws > 0 => Some(AttemptSpec { challenge: None }),
            (
                RegistrationState::Verifying {
                    pending:
                        Pending::App {
                            approval: Some(pending),
                            ..
                        },
                },
                RegistrationInput::Approve { approve: true, .. },
            ) => Some(limits.push(pending)),
            // Counted only for a token there is to activate (a mistyped serial compares
            // nothing), from every state that compares it: the reconfirmation step turns into
            // `registering` before it does.
            (
                RegistrationState::Registering | RegistrationState::Reconfirm,
                RegistrationInput::ActivateToken { serial, .. },
            ) if ctx
                .info
                .0
                .tokens
                .iter()
                .any(|t| t.serial == serial.trim() && !t.activated) =>
            {
                Some(limits.new_app(&format!("token:{}", self.flow_ref), self.expires_at))
            }
            (RegistrationState::Verifying { pending }, RegistrationInput::Verify(_)) => {
                match pending {
                    Pending::Email { issued, .. }
                    | Pending::Mobile { issued, .. }
                    | Pending::Office { issued, .. } => Some(limits.sent_code(issued)),
                    Pending::App { .. } => Some(
                        limits.new_app(&format!("app-pending:{}", self.flow_ref), self.expires_at),
                    ),
                }
            }
            _ => None,
        }
    }

    /// Applies one input.
    pub(crate) fn handle(
        self,
        input: RegistrationInput,
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let this = match flow::open_step(self, ctx.now, Some(ctx.info.0)) {
            ControlFlow::Continue(flow) => flow,
            ControlFlow::Break(done) => return Ok(done),
        };
        this.apply(input, ctx)
    }

    /// Applies one input to an open flow.
    fn apply(
        mut self,
        input: RegistrationInput,
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let sends_or_verifies = matches!(
            input,
            RegistrationInput::Verify(_)
                | RegistrationInput::AccessPass(_)
                | RegistrationInput::Answer(_)
                | RegistrationInput::Prove(_)
                | RegistrationInput::Approve { .. }
                | RegistrationInput::Email(_)
                | RegistrationInput::Mobile { .. }
                | RegistrationInput::Office(_)
                | RegistrationInput::Resend
                | RegistrationInput::TestPush
                | RegistrationInput::ActivateToken { .. }
        );
        if let Some(block) = ctx.block
            && sends_or_verifies
        {
            return Ok(flow::refuse_blocked(self, block, ctx.now));
        }
        if let Admission::Refused(r) = ctx.admission {
            let ev = {
                let mut e = self.event(ctx, AuditKind::AttemptRefused, None);
                e.reason = Some(r.reason());
                e
            };
            return Ok(match r {
                // Concurrent attempts spent the challenge; the compared ones decide.
                Refusal::ChallengeSpent => {
                    Transition::refuse(self, Reason::CodeExhausted).audit(ev)
                }
                Refusal::Blocked(_) | Refusal::Locked => {
                    flow::refuse_blocked(self, r, ctx.now).audit(ev)
                }
            });
        }
        let allowed = allowed_methods(ctx.policy, self.admin);
        let unavailable = match &input {
            RegistrationInput::Email(_) => !allowed.contains(&Method::Email),
            RegistrationInput::Mobile { .. } => !allowed.contains(&Method::MobilePhone),
            RegistrationInput::Office(_) => !allowed.contains(&Method::OfficePhone),
            RegistrationInput::App { .. } => !allowed.iter().any(|m| m.is_app()),
            RegistrationInput::ActivateToken { .. } => !allowed.contains(&Method::AppCode),
            RegistrationInput::Questions(_) => !allowed.contains(&Method::SecurityQuestions),
            RegistrationInput::RecoveryCodes => !allowed.contains(&Method::RecoveryCodes),
            _ => false,
        };
        if unavailable {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable));
        }
        // Everything that writes security info needs the proof first; confirming it
        // ("still correct") too.
        let changes_info = matches!(
            input,
            RegistrationInput::Email(_)
                | RegistrationInput::Mobile { .. }
                | RegistrationInput::Office(_)
                | RegistrationInput::App { .. }
                | RegistrationInput::Questions(_)
                | RegistrationInput::RecoveryCodes
                | RegistrationInput::Remove(_)
                | RegistrationInput::SetDefault(_)
                | RegistrationInput::ActivateToken { .. }
                | RegistrationInput::Finish
        );
        if changes_info && self.proving() {
            // Finishing with too few methods says so first: it saves nothing either way.
            let (info, _) = ctx.info;
            if matches!(input, RegistrationInput::Finish)
                && registered_factors(info, ctx.policy, self.admin)
                    < factors_required(ctx.policy, self.admin)
            {
                return Ok(Transition::refuse(self, Reason::RegistrationIncomplete));
            }
            return Ok(Transition::refuse(self, Reason::ProofRequired));
        }
        // Any change on the reconfirmation step edits the info: the wizard goes on from
        // `registering` (finishing there says it is still correct).
        if changes_info
            && !matches!(input, RegistrationInput::Finish)
            && self.state == RegistrationState::Reconfirm
        {
            self.state = RegistrationState::Registering;
        }
        let refuse_unavailable =
            |flow: Self| Ok(Transition::refuse(flow, Reason::OptionUnavailable));
        match input {
            RegistrationInput::Cancel => {
                self.state = RegistrationState::Cancelled;
                let ev = self.event(ctx, AuditKind::FlowCancelled, None);
                Ok(Transition::ok(self).audit(ev))
            }
            RegistrationInput::Prove(option) => self.prove(option, ctx),
            RegistrationInput::Resend => self.resend(ctx),
            RegistrationInput::Back => Ok(self.back()),
            RegistrationInput::AccessPass(pass) => Ok(self.access_pass(&pass, ctx)),
            RegistrationInput::Approve {
                request_id,
                number,
                approve,
            } => Ok(
                if matches!(self.state, RegistrationState::Verifying { .. }) {
                    self.approve_app(&request_id, number, approve, ctx)
                } else {
                    self.approve_proof(&request_id, number, approve, ctx)
                },
            ),
            RegistrationInput::TestPush => self.test_push(ctx),
            RegistrationInput::ActivateToken { serial, code } => {
                Ok(self.activate_token(&serial, &code, ctx))
            }
            RegistrationInput::Email(address) => {
                if !allowed.contains(&Method::Email) {
                    return refuse_unavailable(self);
                }
                let Ok(address) = EmailAddress::parse(&address) else {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid));
                };
                // The alternate address must be another mailbox than the account's own.
                if address.as_str().eq_ignore_ascii_case(ctx.account.trim()) {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid));
                }
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
                    return Ok(Transition::refuse(self, Reason::MethodInvalid));
                };
                // One number is one factor: it may not be both the mobile and the office phone.
                if ctx.info.0.office.as_ref() == Some(&number) {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid));
                }
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
                    return Ok(Transition::refuse(self, Reason::MethodInvalid));
                };
                if ctx.info.0.mobile.as_ref() == Some(&number) {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid));
                }
                let to = number.e164();
                self.send_code(
                    ctx,
                    Channel::Voice,
                    to,
                    move |issued| Pending::Office { number, issued },
                    Method::OfficePhone,
                )
            }
            RegistrationInput::App { device_id } => self.start_app(device_id, &allowed, ctx),
            RegistrationInput::Questions(given) => self.questions(given, &allowed, ctx),
            RegistrationInput::RecoveryCodes => {
                let (info, version) = ctx.info;
                let batch =
                    crate::recovery::generate(&mut ctx.entropy, ctx.ids, self.user.as_str())?;
                let mut new = info.clone();
                new.recovery_codes = batch.digests;
                self.state = RegistrationState::Registering;
                let mut t = self.changed(
                    new,
                    version,
                    Method::RecoveryCodes,
                    AuditKind::MethodRegistered,
                    ctx,
                );
                t.recovery_codes = batch.codes;
                Ok(t)
            }
            RegistrationInput::Verify(code) => self.verify(&code, ctx),
            RegistrationInput::Answer(given) => self.answer_proof(&given, ctx),
            RegistrationInput::Remove(method) => {
                let (info, version) = ctx.info;
                if !info.has(method, 1) {
                    return Ok(Transition::refuse(self, Reason::MethodInvalid));
                }
                let mut new = info.clone();
                match method {
                    Method::Email => new.email = None,
                    Method::MobilePhone => new.mobile = None,
                    Method::OfficePhone => new.office = None,
                    Method::AppCode | Method::AppNotification => {
                        new.apps.clear();
                        new.tokens.clear();
                    }
                    Method::SecurityQuestions => new.questions.clear(),
                    Method::RecoveryCodes => new.recovery_codes.clear(),
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
                    return Ok(Transition::refuse(self, Reason::MethodInvalid));
                }
                let mut new = info.clone();
                new.default_method = Some(method);
                Ok(self.changed(new, version, method, AuditKind::MethodRegistered, ctx))
            }
            RegistrationInput::Finish => {
                let (info, version) = ctx.info;
                if registered_factors(info, ctx.policy, self.admin)
                    < factors_required(ctx.policy, self.admin)
                {
                    return Ok(Transition::refuse(self, Reason::RegistrationIncomplete));
                }
                let mut new = info.clone();
                new.confirmed_at = Some(ctx.now);
                // Registered: the campaign starts over.
                new.snooze = None;
                self.state = RegistrationState::Done;
                let ev = self.event(ctx, AuditKind::RegistrationFinished, None);
                Ok(Transition::ok(self)
                    .guard(Guard::SaveSecurityInfo {
                        info: Box::new(new),
                        expected_version: version,
                        notices: Vec::new(),
                    })
                    .audit(ev))
            }
        }
    }

    fn prove(
        mut self,
        option: ResetOption,
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        if !self.proving() {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep));
        }
        let (info, _) = ctx.info;
        let offered = proof_options(info, ctx.policy, self.admin);
        if !offered.iter().any(|o| o.option == option) {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable));
        }
        if option == ResetOption::AppCode {
            self.state = RegistrationState::Proving {
                option,
                challenge: ProofChallenge::App,
            };
            return Ok(Transition::ok(self));
        }
        if option == ResetOption::SecurityQuestions {
            let draw = self.question_draws;
            self.question_draws = draw.saturating_add(1);
            let asked = draw_questions(info, &self.counter_id, draw, ctx);
            self.state = RegistrationState::Proving {
                option,
                challenge: ProofChallenge::Questions { asked, draw },
            };
            // Asking for other questions is a failed attempt at the ones shown, as at reset:
            // redrawing never fishes for questions the caller knows for free.
            let t = Transition::ok(self);
            return Ok(if draw > 0 {
                t.verdict(Verdict::Failed)
            } else {
                t
            });
        }
        let Some((channel, to)) = info.destination(option) else {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable));
        };
        let dest_ref = ctx.ids.reference("destination", &to);
        if let Some(left) = self.cooldown_left(&dest_ref, ctx) {
            return Ok(self.cooling(left));
        }
        self.last_sends.insert(dest_ref.clone(), ctx.now);
        let country = matches!(channel, Channel::Sms | Channel::Voice)
            .then(|| {
                PhoneNumber::parse_form(&to)
                    .ok()
                    .map(|p| p.country_code().to_owned())
            })
            .flatten();
        let count = Guard::CountSend(SendCount {
            channel,
            destination: dest_ref.clone(),
            country,
        });
        let mut m = Message::new(
            ctx.entropy.token()?,
            channel,
            to.clone(),
            MessageKind::Code,
            self.user.clone(),
            ctx.now,
        );
        if option == ResetOption::AppNotification {
            let pending =
                PendingApproval::new(ctx.entropy.port(), ctx.now, ctx.policy.codes().ttl_s)?;
            m.kind = MessageKind::ApprovalRequest;
            m.approval = Some(pending.message_payload());
            self.state = RegistrationState::Proving {
                option,
                challenge: ProofChallenge::Push { pending },
            };
        } else {
            let binding = Binding {
                purpose: Purpose::ProofCode,
                flow_id: &self.flow_ref,
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
            m.code = Some(code);
            self.state = RegistrationState::Proving {
                option,
                challenge: ProofChallenge::Sent {
                    issued,
                    destination: dest_ref,
                },
            };
        }
        let mut ev = self.event(ctx, AuditKind::ChallengeSent, None);
        ev.option = Some(option);
        let mut t = Transition::ok(self).guard(count).audit(ev);
        t.outbox.push(Outbox::Deliver(m));
        Ok(t)
    }

    /// Seconds left of the policy's resend cooldown for `dest_ref`; `None` when it may be
    /// sent to.
    fn cooldown_left(&self, dest_ref: &str, ctx: &RegistrationContext<'_>) -> Option<u64> {
        let cooldown = ctx.policy.limits().resend_cooldown_s;
        let until = self.last_sends.get(dest_ref)?.saturating_add(cooldown);
        (ctx.now < until).then(|| until.saturating_sub(ctx.now))
    }

    /// `send.cooldown` with the seconds left.
    fn cooling(self, left: u64) -> Transition<Self> {
        let mut t = Transition::refuse(self, Reason::SendCooldown);
        t.retry_after = Some(left);
        t
    }

    /// Sends the pending code again: the new method's, or the proof's.
    fn resend(self, ctx: &mut RegistrationContext<'_>) -> Result<Transition<Self>, PortError> {
        match self.state.clone() {
            RegistrationState::Verifying { pending } => match pending {
                Pending::Email { address, .. } => {
                    let to = address.as_str().to_owned();
                    self.send_code(
                        ctx,
                        Channel::Email,
                        to,
                        move |issued| Pending::Email { address, issued },
                        Method::Email,
                    )
                }
                Pending::Mobile { number, via, .. } => {
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
                Pending::Office { number, .. } => {
                    let to = number.e164();
                    self.send_code(
                        ctx,
                        Channel::Voice,
                        to,
                        move |issued| Pending::Office { number, issued },
                        Method::OfficePhone,
                    )
                }
                Pending::App {
                    approval: Some(_), ..
                } => self.test_push(ctx),
                Pending::App { .. } => Ok(Transition::refuse(self, Reason::FlowInvalidStep)),
            },
            RegistrationState::Proving {
                option,
                challenge: ProofChallenge::Sent { .. } | ProofChallenge::Push { .. },
            } => self.prove(option, ctx),
            _ => Ok(Transition::refuse(self, Reason::FlowInvalidStep)),
        }
    }

    /// One screen back: `verifying` → `registering` (the pending method is dropped),
    /// `proving` → `prove_identity` (the challenge is dropped; question draws stay counted).
    fn back(mut self) -> Transition<Self> {
        match self.state {
            RegistrationState::Verifying { .. } => {
                self.state = RegistrationState::Registering;
                Transition::ok(self)
            }
            RegistrationState::Proving { .. } => {
                self.state = RegistrationState::ProveIdentity;
                Transition::ok(self)
            }
            // "Edit" on the reconfirmation step: the security info to change.
            RegistrationState::Reconfirm => {
                self.state = RegistrationState::Registering;
                Transition::ok(self)
            }
            _ => Transition::refuse(self, Reason::FlowInvalidStep),
        }
    }

    /// A temporary access pass proves identity: compared with the one on record (keyed hash,
    /// constant time), in force and unused; a one-time pass is removed as it is used.
    fn access_pass(self, pass: &SecretString, ctx: &RegistrationContext<'_>) -> Transition<Self> {
        if !self.proving() {
            return Transition::refuse(self, Reason::FlowInvalidStep);
        }
        let (info, version) = ctx.info;
        let given = ctx
            .ids
            .reference("access-pass", &normalize_access_pass(pass.expose()));
        let matches = info.access_pass.as_ref().is_some_and(|p| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                p.digest.as_bytes(),
                given.as_bytes(),
            )) && ctx.now < p.expires_at
        });
        if !matches {
            let back = self.state.clone();
            return self.failed(Reason::AccessPassInvalid, back, ctx);
        }
        let one_time = info.access_pass.as_ref().is_some_and(|p| p.one_time);
        let used = {
            let mut e = self.event(ctx, AuditKind::AccessPassUsed, None);
            e.user = Some(self.user.clone());
            e
        };
        let mut t = self.proven(ctx).audit(used);
        if one_time {
            let mut spent = info.clone();
            spent.access_pass = None;
            t = t.guard(Guard::SaveSecurityInfo {
                info: Box::new(spent),
                expected_version: version,
                notices: Vec::new(),
            });
        }
        t
    }

    fn proven(mut self, ctx: &RegistrationContext<'_>) -> Transition<Self> {
        let (info, _) = ctx.info;
        self.state = if reconfirm_due(info, ctx.policy, self.admin, ctx.now) {
            RegistrationState::Reconfirm
        } else {
            RegistrationState::Registering
        };
        let ev = self.event(ctx, AuditKind::IdentityProven, None);
        Transition::ok(self).verdict(Verdict::Verified).audit(ev)
    }

    fn failed(
        mut self,
        reason: Reason,
        back: RegistrationState,
        ctx: &RegistrationContext<'_>,
    ) -> Transition<Self> {
        let reason = if ctx.challenge_spent && reason != Reason::CodeExpired {
            self.state = back;
            Reason::CodeExhausted
        } else {
            reason
        };
        let mut ev = self.event(ctx, AuditKind::StepRejected, None);
        ev.reason = Some(reason);
        Transition::refuse(self, reason)
            .verdict(Verdict::Failed)
            .audit(ev)
    }

    /// Activates an assigned hardware token with a current code.
    fn activate_token(
        self,
        serial: &str,
        code: &SecretString,
        ctx: &RegistrationContext<'_>,
    ) -> Transition<Self> {
        if !matches!(self.state, RegistrationState::Registering) {
            return Transition::refuse(self, Reason::FlowInvalidStep);
        }
        let (info, version) = ctx.info;
        let Some(i) = info
            .tokens
            .iter()
            .position(|t| t.serial == serial.trim() && !t.activated)
        else {
            return Transition::refuse(self, Reason::MethodInvalid);
        };
        let mut new = info.clone();
        let Some(token) = new.tokens.get_mut(i) else {
            return Transition::refuse(self, Reason::MethodInvalid);
        };
        let params = OtpParams {
            algorithm: token.algorithm,
            digits: token.digits,
            period: token.period,
        };
        let step = challenge::app_code(
            token.secret.expose(),
            &params,
            code,
            ctx.now,
            ctx.policy.totp().skew_steps,
            None,
        );
        let Some(step) = step else {
            return self.failed(Reason::CodeMismatch, RegistrationState::Registering, ctx);
        };
        token.activated = true;
        token.last_step = Some(step);
        if new.default_method.is_none() {
            // A token proves the app's code, never its notifications.
            let allowed = allowed_methods(ctx.policy, self.admin);
            let needed = ctx.policy.security_questions().to_register;
            new.default_method =
                Some(reset::default_method(info, &allowed, needed).unwrap_or(Method::AppCode));
        }
        self.changed(
            new,
            version,
            Method::AppCode,
            AuditKind::MethodRegistered,
            ctx,
        )
        .verdict(Verdict::Verified)
    }

    /// Sends a test notification to the authenticator app being set up.
    fn test_push(
        mut self,
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let RegistrationState::Verifying {
            pending:
                Pending::App {
                    secret,
                    params,
                    device_id,
                    ..
                },
        } = self.state.clone()
        else {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep));
        };
        // A notification only where the policy lets the user's app receive them.
        if !allowed_methods(ctx.policy, self.admin).contains(&Method::AppNotification) {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable));
        }
        let dest_ref = ctx.ids.reference("destination", &device_id);
        if let Some(left) = self.cooldown_left(&dest_ref, ctx) {
            return Ok(self.cooling(left));
        }
        self.last_sends.insert(dest_ref.clone(), ctx.now);
        let pending = PendingApproval::new(ctx.entropy.port(), ctx.now, ctx.policy.codes().ttl_s)?;
        let mut m = Message::new(
            ctx.entropy.token()?,
            Channel::Push,
            device_id.clone(),
            MessageKind::ApprovalRequest,
            self.user.clone(),
            ctx.now,
        );
        m.approval = Some(pending.message_payload());
        self.state = RegistrationState::Verifying {
            pending: Pending::App {
                secret,
                params,
                device_id,
                approval: Some(pending),
            },
        };
        let ev = self.event(ctx, AuditKind::ChallengeSent, Some(Method::AppNotification));
        let mut t = Transition::ok(self)
            .guard(Guard::CountSend(SendCount {
                channel: Channel::Push,
                destination: dest_ref,
                country: None,
            }))
            .audit(ev);
        t.outbox.push(Outbox::Deliver(m));
        Ok(t)
    }

    /// The device answered the test notification of the app being set up: the right number
    /// registers the app (both its code and its notification).
    fn approve_app(
        mut self,
        request_id: &str,
        number: u8,
        approve: bool,
        ctx: &mut RegistrationContext<'_>,
    ) -> Transition<Self> {
        let RegistrationState::Verifying {
            pending:
                Pending::App {
                    secret,
                    params,
                    device_id,
                    approval: Some(pending),
                },
        } = self.state.clone()
        else {
            return Transition::refuse(self, Reason::FlowInvalidStep);
        };
        match challenge::push(&pending, request_id, approve, number, ctx.now) {
            ApprovalCheck::Approved => {
                let (info, version) = ctx.info;
                let mut new = info.clone();
                new.apps.push(AppCredential {
                    secret,
                    algorithm: params.algorithm,
                    digits: params.digits,
                    period: params.period,
                    last_step: None,
                    device_id,
                });
                self.state = RegistrationState::Registering;
                self.changed(
                    new,
                    version,
                    Method::AppNotification,
                    AuditKind::MethodRegistered,
                    ctx,
                )
                .verdict(Verdict::Verified)
            }
            ApprovalCheck::NumberMismatch => self.failed(
                Reason::PushNumberMismatch,
                RegistrationState::Registering,
                ctx,
            ),
            ApprovalCheck::Denied => {
                self.state = RegistrationState::Registering;
                Transition::refuse(self, Reason::PushDenied)
            }
            ApprovalCheck::Expired => {
                self.state = RegistrationState::Registering;
                Transition::refuse(self, Reason::CodeExpired)
            }
            ApprovalCheck::UnknownRequest => Transition::refuse(self, Reason::FlowInvalidStep),
        }
    }

    fn approve_proof(
        mut self,
        request_id: &str,
        number: u8,
        approve: bool,
        ctx: &mut RegistrationContext<'_>,
    ) -> Transition<Self> {
        let RegistrationState::Proving {
            challenge: ProofChallenge::Push { pending },
            ..
        } = &self.state
        else {
            return Transition::refuse(self, Reason::FlowInvalidStep);
        };
        let pending = pending.clone();
        match challenge::push(&pending, request_id, approve, number, ctx.now) {
            ApprovalCheck::Approved => self.proven(ctx),
            ApprovalCheck::NumberMismatch => self.failed(
                Reason::PushNumberMismatch,
                RegistrationState::ProveIdentity,
                ctx,
            ),
            ApprovalCheck::Denied => {
                self.state = RegistrationState::ProveIdentity;
                Transition::refuse(self, Reason::PushDenied)
            }
            ApprovalCheck::Expired => {
                self.state = RegistrationState::ProveIdentity;
                Transition::refuse(self, Reason::CodeExpired)
            }
            ApprovalCheck::UnknownRequest => Transition::refuse(self, Reason::FlowInvalidStep),
        }
    }

    fn start_app(
        mut self,
        device_id: Option<String>,
        allowed: &[Method],
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        if !allowed.iter().any(|m| m.is_app()) {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable));
        }
        if device_id
            .as_ref()
            .is_some_and(|d| d.len() > MAX_DEVICE_ID_BYTES || d.chars().any(char::is_control))
        {
            return Ok(Transition::refuse(self, Reason::MethodInvalid));
        }
        // Up to five apps, as Entra allows; a sixth is refused before anything is made.
        if ctx.info.0.apps.len() >= MAX_APPS {
            return Ok(Transition::refuse(self, Reason::MethodInvalid));
        }
        let secret = totp::new_secret(ctx.entropy.port())?;
        let params = OtpParams {
            algorithm: OtpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        };
        let Ok(uri) = totp::otpauth_uri(ctx.issuer, ctx.account, &secret, &params) else {
            return Ok(Transition::refuse(self, Reason::MethodInvalid));
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
            Some(d) if !d.trim().is_empty() => d.trim().to_owned(),
            _ => format!("device-{}", &ctx.entropy.token()?[..16]),
        };
        self.state = RegistrationState::Verifying {
            pending: Pending::App {
                secret,
                params,
                device_id,
                approval: None,
            },
        };
        let mut t = Transition::ok(self);
        t.provisioning = Some(provisioning);
        Ok(t)
    }

    fn send_code(
        mut self,
        ctx: &mut RegistrationContext<'_>,
        channel: Channel,
        to: String,
        pending: impl FnOnce(IssuedCode) -> Pending,
        method: Method,
    ) -> Result<Transition<Self>, PortError> {
        // One cooldown per destination, as for a reset's resend: registering the same address
        // again is a resend too.
        let dest_ref = ctx.ids.reference("destination", &to);
        if let Some(left) = self.cooldown_left(&dest_ref, ctx) {
            return Ok(self.cooling(left));
        }
        self.last_sends.insert(dest_ref.clone(), ctx.now);
        let binding = Binding {
            purpose: Purpose::RegistrationCode,
            flow_id: &self.flow_ref,
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
        let country = matches!(channel, Channel::Sms | Channel::Voice)
            .then(|| {
                PhoneNumber::parse_form(&to)
                    .ok()
                    .map(|p| p.country_code().to_owned())
            })
            .flatten();
        let ev = self.event(ctx, AuditKind::ChallengeSent, Some(method));
        let mut t = Transition::ok(self)
            .guard(Guard::CountSend(SendCount {
                channel,
                destination: dest_ref,
                country,
            }))
            .audit(ev);
        t.outbox.push(Outbox::Deliver(message));
        Ok(t)
    }

    fn questions(
        mut self,
        given: BTreeMap<String, SecretString>,
        allowed: &[Method],
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let policy = ctx.policy.security_questions();
        if !allowed.contains(&Method::SecurityQuestions) {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable));
        }
        // Predefined questions are stored by their stable id, whether named by id or text.
        let named = given.len();
        let given: BTreeMap<String, SecretString> = given
            .into_iter()
            .map(|(q, a)| (questions::canonical(&q), a))
            .collect();
        let mut normalized: Vec<String> = Vec::new();
        let mut valid = named == given.len() && given.len() == usize::from(policy.to_register);
        for (q, a) in &given {
            valid &=
                q.chars().count() <= MAX_QUESTION_CHARS && questions::is_offered(q, &policy.custom);
            if a.expose().len() > 4 * answers::MAX_ANSWER_CHARS {
                valid = false;
                continue;
            }
            match answers::validate(a.expose()) {
                Ok(n) if !normalized.contains(&n) => normalized.push(n),
                _ => valid = false,
            }
        }
        if !valid {
            return Ok(Transition::refuse(self, Reason::MethodInvalid));
        }
        let mut registered = Vec::with_capacity(given.len());
        for (q, a) in &given {
            let answer_hash = match answers::hash(a.expose(), &ctx.hash_params, ctx.entropy.port())
            {
                Ok(h) => h,
                Err(crate::Error::Port(e)) => return Err(e),
                Err(_) => return Ok(Transition::refuse(self, Reason::MethodInvalid)),
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

    /// Saves changed security info (raising the revocation epoch, with this flow as its owner)
    /// and tells the account's own mailbox and every contact registered before the change.
    fn changed(
        self,
        mut new: SecurityInfo,
        version: u64,
        method: Method,
        kind: AuditKind,
        ctx: &RegistrationContext<'_>,
    ) -> Transition<Self> {
        let (old, _) = ctx.info;
        if kind == AuditKind::MethodRegistered && new.default_method.is_none() {
            new.default_method = Some(first_default(old, method, ctx.policy, self.admin));
        }
        new.epoch = old.epoch.saturating_add(1);
        new.epoch_owner = Some(self.flow_ref.clone());
        let notices = notices_for(old, Some(&new), ctx.account);
        let ev = self.event(ctx, kind, Some(method));
        Transition::ok(self)
            .guard(Guard::SaveSecurityInfo {
                info: Box::new(new),
                expected_version: version,
                notices,
            })
            .audit(ev)
    }

    fn verify(
        mut self,
        submitted: &SecretString,
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        match self.state.clone() {
            RegistrationState::Proving { option, challenge } => {
                Ok(self.verify_proof(option, challenge, submitted, ctx))
            }
            RegistrationState::Verifying { pending } => {
                let (info, version) = ctx.info;
                let mut new = info.clone();
                let (method, issued, destination) = match pending {
                    Pending::App {
                        secret,
                        params,
                        device_id,
                        ..
                    } => {
                        let step = challenge::app_code(
                            secret.expose(),
                            &params,
                            submitted,
                            ctx.now,
                            ctx.policy.totp().skew_steps,
                            None,
                        );
                        if let Some(step) = step {
                            new.apps.push(AppCredential {
                                secret,
                                algorithm: params.algorithm,
                                digits: params.digits,
                                period: params.period,
                                last_step: Some(step),
                                device_id,
                            });
                            self.state = RegistrationState::Registering;
                            let t = self.changed(
                                new,
                                version,
                                Method::AppCode,
                                AuditKind::MethodRegistered,
                                ctx,
                            );
                            return Ok(t.verdict(Verdict::Verified));
                        }
                        return Ok(self.failed(
                            Reason::CodeMismatch,
                            RegistrationState::Registering,
                            ctx,
                        ));
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
                match challenge::sent_code(
                    &issued,
                    ctx.keys,
                    Purpose::RegistrationCode,
                    &self.flow_ref,
                    &destination,
                    submitted,
                    ctx.now,
                ) {
                    CodeCheck::Accepted => {
                        self.state = RegistrationState::Registering;
                        let t =
                            self.changed(new, version, method, AuditKind::MethodRegistered, ctx);
                        Ok(t.verdict(Verdict::Verified))
                    }
                    CodeCheck::Expired => {
                        self.state = RegistrationState::Registering;
                        Ok(Transition::refuse(self, Reason::CodeExpired))
                    }
                    CodeCheck::Mismatch => {
                        Ok(self.failed(Reason::CodeMismatch, RegistrationState::Registering, ctx))
                    }
                }
            }
            _ => Ok(Transition::refuse(self, Reason::FlowInvalidStep)),
        }
    }

    fn answer_proof(
        mut self,
        given: &BTreeMap<String, SecretString>,
        ctx: &mut RegistrationContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let RegistrationState::Proving {
            challenge: ProofChallenge::Questions { asked, draw },
            option,
        } = self.state.clone()
        else {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep));
        };
        let (info, _) = ctx.info;
        let stored = |q: &str| {
            info.questions
                .iter()
                .find(|r| r.question == q)
                .map(|r| r.answer_hash.as_str())
        };
        let all_right = challenge::answers(&asked, stored, None, given);
        if all_right {
            return Ok(self.proven(ctx));
        }
        // A wrong answer draws again, never a draw already asked.
        let next = self.question_draws.max(draw.saturating_add(1));
        self.question_draws = next.saturating_add(1);
        self.state = RegistrationState::Proving {
            option,
            challenge: ProofChallenge::Questions {
                asked: draw_questions(info, &self.counter_id, next, ctx),
                draw: next,
            },
        };
        let mut ev = self.event(ctx, AuditKind::StepRejected, None);
        ev.reason = Some(Reason::AnswersWrong);
        Ok(Transition::refuse(self, Reason::AnswersWrong)
            .verdict(Verdict::Failed)
            .audit(ev))
    }

    fn verify_proof(
        mut self,
        option: ResetOption,
        challenge: ProofChallenge,
        submitted: &SecretString,
        ctx: &mut RegistrationContext<'_>,
    ) -> Transition<Self> {
        let (info, version) = ctx.info;
        match challenge {
            ProofChallenge::App => {
                if !info.has(Method::AppCode, 1) {
                    return Transition::refuse(self, Reason::OptionUnavailable);
                }
                let slots = challenge::code_slots(info);
                let found = challenge::any_app_code(
                    &slots,
                    submitted,
                    ctx.now,
                    ctx.policy.totp().skew_steps,
                );
                match found {
                    Some((app, step)) => self.proven(ctx).guard(Guard::AdvanceTotp {
                        app,
                        step,
                        info_version: version,
                    }),
                    None => {
                        self.failed(Reason::CodeMismatch, RegistrationState::ProveIdentity, ctx)
                    }
                }
            }
            ProofChallenge::Sent { issued, .. } => {
                let destination = info.destination(option).map(|(_, d)| d).unwrap_or_default();
                match challenge::sent_code(
                    &issued,
                    ctx.keys,
                    Purpose::ProofCode,
                    &self.flow_ref,
                    &destination,
                    submitted,
                    ctx.now,
                ) {
                    CodeCheck::Accepted => self.proven(ctx),
                    CodeCheck::Expired => {
                        self.state = RegistrationState::ProveIdentity;
                        Transition::refuse(self, Reason::CodeExpired)
                    }
                    CodeCheck::Mismatch => {
                        self.failed(Reason::CodeMismatch, RegistrationState::ProveIdentity, ctx)
                    }
                }
            }
            ProofChallenge::Push { .. } | ProofChallenge::Questions { .. } => {
                Transition::refuse(self, Reason::FlowInvalidStep)
            }
        }
    }
}

/// Draws the questions a proof asks: `to_reset` of the registered ones (all, when fewer are
/// registered), the same draw the reset wizard would show that day.
fn draw_questions(
    info: &SecurityInfo,
    counter_id: &str,
    draw: u32,
    ctx: &RegistrationContext<'_>,
) -> Vec<String> {
    let n = usize::from(ctx.policy.security_questions().to_reset);
    let pool: Vec<String> = info.questions.iter().map(|q| q.question.clone()).collect();
    question_draw::draw(ctx.ids, counter_id, ctx.now, draw, pool, n)
}

impl Flow for RegistrationFlow {
    fn flow_ref(&self) -> &str {
        &self.flow_ref
    }
    fn expires_at(&self) -> u64 {
        self.expires_at
    }
    fn counter_id(&self) -> &str {
        &self.counter_id
    }
    fn user(&self) -> Option<&UserId> {
        Some(&self.user)
    }
    fn client(&self) -> Option<&str> {
        None
    }
    fn epoch(&self) -> u64 {
        self.epoch
    }
    fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }
    fn expire(&mut self) {
        self.state = RegistrationState::Expired;
    }
    fn blocked(self, _until: u64) -> Self {
        // A registration has no blocked state: it stays where it is and refuses sends and
        // verifications while the block lasts.
        self
    }
}

/// A temporary access pass as typed: upper case, without spaces or hyphens.
pub(crate) fn normalize_access_pass(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}
