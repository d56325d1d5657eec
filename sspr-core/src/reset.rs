//! The reset flow, "get back into your account": who are you (and a CAPTCHA), one or two
//! verification gates with distinct factors, then a new password.
//!
//! `ResetFlow` is plain serde data; its transition is pure. Decoy flows (unknown,
//! out-of-scope or unregistered users) follow the same states, make the same comparisons at the
//! same cost and give the same answers, deliver nothing, and never verify.
//!
//! A verification attempt (a code, an authenticator code, a push number, security answers) is
//! reserved in every limit by the engine *before* the transition compares it; the transition
//! is told whether it may compare (`Admission`) and reports how the comparison went
//! (`Verdict`).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use crate::approval::{ApprovalCheck, PendingApproval};
use crate::audit::{AuditEvent, AuditKind};
use crate::challenge;
use crate::code::{self, CodeCheck, IssuedCode};
use crate::decoy;
use crate::effect::{
    Admission, After, AttemptSpec, Guard, Outbox, Refusal, SendCount, Transition, Verdict,
};
use crate::error::PortError;
use crate::flow::{self, Flow};
use crate::hashing::{self, HashParams};
use crate::keyring::{Binding, IdentityKey, KeyRing, Purpose};
use crate::method::{Factor, Method, ResetOption};
use crate::password::PasswordVerdict;
use crate::policy::Policy;
use crate::ports::{Channel, Message, MessageKind, PasswordChange};
use crate::question_draw;
use crate::random::Entropy;
use crate::reason::Reason;
use crate::secret::SecretString;
use crate::security_info::SecurityInfo;
use crate::totp::OtpParams;
use crate::user::UserId;

/// Format version of a persisted reset flow.
pub(crate) const RESET_FORMAT: u16 = 2;

/// The most answers one submission may carry.
pub const MAX_ANSWERS: usize = 5;

/// Who the flow is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Subject {
    /// A real user in scope with enough registered methods.
    Known {
        /// The user.
        user: UserId,
        /// Whether the user is an administrator.
        admin: bool,
    },
    /// Anyone else: the flow looks real but can never succeed. `lookup` is the id whose
    /// security info the decoy loads on every step, as a real flow loads its user's (the real
    /// user's id when the identifier resolved, else an id no user has).
    Decoy {
        /// The id loaded on every step.
        lookup: UserId,
        /// The questions a decoy "has registered", as indices into the predefined questions
        /// followed by the policy's custom ones.
        questions: Vec<u16>,
    },
}

/// An option offered on the "choose a contact method" screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedOption {
    /// The option.
    pub option: ResetOption,
    /// The masked destination shown beside it (`al*********@fabrikam.example`).
    pub masked: Option<String>,
    /// The factor it proves. Two options of one factor (the app's code and notification, or
    /// one number registered as both mobile and office phone) count once.
    pub factor: Factor,
}

/// What the user must answer to pass the current gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "challenge", rename_all = "snake_case")]
pub enum Challenge {
    /// A code was sent (email, text or call).
    Sent {
        /// The sealed code.
        issued: IssuedCode,
        /// Where it went, as a keyed hash (for the resend cooldown).
        destination: String,
        /// Nothing was delivered: the phone number typed before it did not match the one on
        /// file. The flow goes on as if it had been sent (as a decoy's does), and no code
        /// verifies.
        #[serde(default, skip_serializing_if = "is_false")]
        silent: bool,
        /// The seal of the verification link's token (emailed codes): it verifies like the
        /// code, against the same attempt budget, until the code expires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<crate::keyring::Seal>,
    },
    /// A code from the authenticator app.
    App,
    /// One of the user's recovery codes.
    RecoveryCode,
}

crate::screen_ids::screens! {
    /// What a reset shows: its state without the data behind it (the `state` of a view).
    ResetScreen {
        ChooseMethod => "choose_method",
        ConfirmNumber => "confirm_number",
        EnterCode => "enter_code",
        AnswerQuestions => "answer_questions",
        AwaitApproval => "await_approval",
        NewPassword => "new_password",
        SettingPassword => "setting_password",
        Completed => "completed",
        Unlocked => "unlocked",
        Blocked => "blocked",
        Expired => "expired",
        Cancelled => "cancelled",
    }
}

/// Where a reset flow stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetState {
    /// Choosing a contact method for the current gate.
    ChooseMethod,
    /// Before a text or a call: the user types the whole phone number, compared with the one
    /// on file (policy `reset.confirm_phone_number`).
    ConfirmNumber {
        /// The option chosen (`mobile_text`, `mobile_call` or `office_call`).
        option: ResetOption,
    },
    /// Waiting for a code.
    EnterCode {
        /// The option chosen.
        option: ResetOption,
        /// The pending challenge.
        challenge: Challenge,
    },
    /// Waiting for security answers.
    AnswerQuestions {
        /// The questions asked.
        asked: Vec<String>,
    },
    /// Waiting for the authenticator app's answer.
    AwaitApproval {
        /// The pending request.
        pending: PendingApproval,
    },
    /// Every gate passed: choose a new password.
    NewPassword,
    /// A new password was handed to the directory under `change_id`; the flow completes once
    /// the directory confirms. Only the same password goes on (the directory applies a change
    /// id once); another is refused while the outcome of this one is unknown.
    SettingPassword {
        /// The change's id (unique per submitted password).
        change_id: String,
        /// The argon2id hash of the password being applied.
        history_hash: String,
        /// When the change was handed over.
        since: u64,
    },
    /// The password was changed.
    Completed,
    /// The account was unlocked without a password change.
    Unlocked,
    /// Too many failures or messages: blocked until `until` (`u64::MAX`: locked until a help
    /// desk unblocks the user).
    Blocked {
        /// When the block ends (Unix seconds).
        until: u64,
    },
    /// The flow timed out, or was ended by a later reset or change of security info.
    Expired,
    /// The user cancelled.
    Cancelled,
}

impl ResetState {
    /// The screen this state shows.
    pub fn screen(&self) -> ResetScreen {
        match self {
            Self::ChooseMethod => ResetScreen::ChooseMethod,
            Self::ConfirmNumber { .. } => ResetScreen::ConfirmNumber,
            Self::EnterCode { .. } => ResetScreen::EnterCode,
            Self::AnswerQuestions { .. } => ResetScreen::AnswerQuestions,
            Self::AwaitApproval { .. } => ResetScreen::AwaitApproval,
            Self::NewPassword => ResetScreen::NewPassword,
            Self::SettingPassword { .. } => ResetScreen::SettingPassword,
            Self::Completed => ResetScreen::Completed,
            Self::Unlocked => ResetScreen::Unlocked,
            Self::Blocked { .. } => ResetScreen::Blocked,
            Self::Expired => ResetScreen::Expired,
            Self::Cancelled => ResetScreen::Cancelled,
        }
    }

    /// The state's stable name (`choose_method`, `enter_code`, …).
    pub fn name(&self) -> &'static str {
        self.screen().id()
    }

    /// Whether no further step can change the flow.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::Unlocked
                | Self::Expired
                | Self::Cancelled
                | Self::Blocked { .. }
        )
    }
}

/// A persisted reset flow. It holds no bearer token: the flow id is known only to the client,
/// and the store keys the record by the id's keyed reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ResetFlow {
    /// Format version ([`RESET_FORMAT`]).
    pub v: u16,
    /// The flow's reference: a keyed hash of its id (what audit events and codes are bound
    /// to).
    pub flow_ref: String,
    /// When it started (Unix seconds).
    pub created_at: u64,
    /// When it expires (Unix seconds).
    pub expires_at: u64,
    /// Who it is for.
    pub subject: Subject,
    /// The reference that keys the failure and send counters: the user once the identifier
    /// resolves, else the normalised identifier.
    pub counter_id: String,
    /// The user's revocation epoch when the flow opened.
    pub epoch: u64,
    /// The client address or fingerprint the host passed, if any.
    pub client: Option<String>,
    /// Gates to pass (1 or 2).
    pub gates: u8,
    /// Every option available to this user, in screen order.
    pub options: Vec<OfferedOption>,
    /// Every option the policy lists for this user's role (administrator or not), in screen
    /// order: those missing from `options` are shown as unavailable, never hidden.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listed: Vec<ResetOption>,
    /// Factors verified so far.
    pub passed: Vec<Factor>,
    /// Last send per destination reference (for the resend cooldown).
    pub last_sends: BTreeMap<String, u64>,
    /// How many times security questions were drawn in this flow.
    pub question_draws: u32,
    /// How many new passwords the directory refused in this flow (its own rules): after
    /// [`MAX_PASSWORD_REFUSALS`] the flow ends, so that it is no oracle on the directory's
    /// history.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub password_refusals: u32,
    /// Where the flow stands.
    pub state: ResetState,
}

/// New passwords the directory may refuse in one reset flow before the flow ends.
pub const MAX_PASSWORD_REFUSALS: u32 = 5;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if takes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

/// What the user did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ResetInput {
    /// Chose an option at the current gate (replaces any pending challenge).
    Choose(ResetOption),
    /// Asked for the code again.
    Resend,
    /// Typed the whole phone number before a text or a call (in `confirm_number`).
    ConfirmNumber(SecretString),
    /// Entered a code.
    EnterCode(SecretString),
    /// Confirmed the verification link of an emailed code (the token from
    /// [`Message::link_token`](crate::ports::Message::link_token)), on the host's page, in the
    /// browser that holds the flow.
    ConfirmLink(SecretString),
    /// Answered the security questions (question → answer).
    Answer(BTreeMap<String, SecretString>),
    /// The authenticator app answered a push request.
    Approve {
        /// The request the device answers.
        request_id: String,
        /// The number the user picked.
        number: u8,
        /// Approve (`true`) or deny ("this wasn't me").
        approve: bool,
    },
    /// Chose a new password.
    NewPassword {
        /// The password.
        password: SecretString,
        /// Its confirmation.
        confirm: SecretString,
    },
    /// Unlocked the account without changing the password.
    Unlock,
    /// Cancelled.
    Cancel,
}

/// What a transition may read: time, randomness, keys, policy, and (for a real user) the
/// security info as loaded by the engine.
pub(crate) struct ResetContext<'a> {
    /// Now (Unix seconds).
    pub now: u64,
    /// The policy.
    pub policy: &'a Policy,
    /// Code keys.
    pub keys: &'a KeyRing,
    /// The identity key (references).
    pub ids: &'a IdentityKey,
    /// Secure randomness.
    pub entropy: Entropy<'a>,
    /// The user's security info and its record version, for a real user.
    pub info: Option<(&'a SecurityInfo, u64)>,
    /// The verdict on the new password (the engine evaluates it with the ports).
    pub verdict: Option<PasswordVerdict>,
    /// What the engine reserved for this step.
    pub admission: Admission,
    /// A block or lock in force on the user or client, found before the step.
    pub block: Option<Refusal>,
    /// Argon2 parameters (the history hash of a new password).
    pub hash_params: HashParams,
    /// An answer hash at the engine's cost, for decoys to verify against.
    pub decoy_answer_hash: &'a str,
    /// Whether this attempt's reservation used the challenge's last comparison.
    pub challenge_spent: bool,
}

impl ResetFlow {
    /// The directory refused the new password for good: back to choosing one (a refused
    /// change cannot land later), counted; after [`MAX_PASSWORD_REFUSALS`] the flow ends.
    pub(crate) fn password_refused(mut self) -> Self {
        self.password_refusals = self.password_refusals.saturating_add(1);
        self.state = if self.password_refusals >= MAX_PASSWORD_REFUSALS {
            ResetState::Expired
        } else {
            ResetState::NewPassword
        };
        self
    }

    /// The gate being passed (1-based).
    pub(crate) fn gate(&self) -> u8 {
        let passed = u8::try_from(self.passed.len()).unwrap_or(u8::MAX);
        passed.saturating_add(1).min(self.gates)
    }

    /// The options offered at the current gate: those whose factor is not yet verified.
    pub(crate) fn current_options(&self) -> Vec<&OfferedOption> {
        self.options
            .iter()
            .filter(|o| !self.passed.contains(&o.factor))
            .collect()
    }

    /// The options the policy lists that this user cannot use (nothing registered for them),
    /// in screen order: the screen marks them unavailable rather than hiding them.
    pub(crate) fn unavailable_options(&self) -> Vec<ResetOption> {
        self.listed
            .iter()
            .copied()
            .filter(|l| !self.options.iter().any(|o| o.option == *l))
            .collect()
    }

    /// The user, for a real flow.
    pub(crate) fn user(&self) -> Option<&UserId> {
        match &self.subject {
            Subject::Known { user, .. } => Some(user),
            Subject::Decoy { .. } => None,
        }
    }

    /// The id whose security info is loaded at every step (the user's, or the decoy's
    /// stand-in).
    pub(crate) fn info_owner(&self) -> &UserId {
        match &self.subject {
            Subject::Known { user, .. } => user,
            Subject::Decoy { lookup, .. } => lookup,
        }
    }

    fn is_decoy(&self) -> bool {
        matches!(self.subject, Subject::Decoy { .. })
    }

    fn event(&self, ctx: &ResetContext<'_>, kind: AuditKind) -> AuditEvent {
        Flow::event(self, ctx.now, kind)
    }

    fn refused_event(
        &self,
        ctx: &ResetContext<'_>,
        kind: AuditKind,
        reason: Reason,
        option: Option<ResetOption>,
    ) -> AuditEvent {
        let mut e = self.event(ctx, kind);
        e.reason = Some(reason);
        e.option = option;
        e
    }

    /// The verification attempt `input` makes in this state, if any: what the engine must
    /// reserve before the transition compares anything.
    pub(crate) fn attempt(
        &self,
        input: &ResetInput,
        ctx: &ResetContext<'_>,
    ) -> Option<AttemptSpec> {
        if self.state.is_terminal() || ctx.now >= self.expires_at {
            return None;
        }
        let limits = challenge::Limits::new(ctx.ids, ctx.policy, ctx.now);
        match (&self.state, input) {
            (
                ResetState::EnterCode {
                    challenge: Challenge::Sent { issued, .. },
                    ..
                },
                ResetInput::EnterCode(_) | ResetInput::ConfirmLink(_),
            ) => Some(limits.sent_code(issued)),
            (
                ResetState::EnterCode {
                    challenge: Challenge::App,
                    ..
                },
                ResetInput::EnterCode(_),
            ) => Some(limits.app_code(
                &self.counter_id,
                self.app_params(ctx).period,
                ctx.policy.totp().skew_steps,
            )),
            // A recovery code is counted against the user's limits only: each is used once.
            (
                ResetState::EnterCode {
                    challenge: Challenge::RecoveryCode,
                    ..
                },
                ResetInput::EnterCode(_),
            ) => Some(AttemptSpec { challenge: None }),
            (ResetState::AnswerQuestions { .. }, ResetInput::Answer(_)) => Some(limits.questions(
                &format!("questions:{}:{}", self.flow_ref, self.question_draws),
                self.expires_at,
            )),
            (ResetState::AwaitApproval { pending }, ResetInput::Approve { approve: true, .. }) => {
                Some(limits.push(pending))
            }
            // Drawing questions again counts as a failed verification.
            (_, ResetInput::Choose(ResetOption::SecurityQuestions))
                if self.in_gate() && self.question_draws > 0 =>
            {
                Some(AttemptSpec { challenge: None })
            }
            _ => None,
        }
    }

    /// Applies one input.
    pub(crate) fn handle(
        self,
        input: ResetInput,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        if let ResetState::Blocked { until } = self.state {
            let blocked = ctx.now < until;
            let reason = match (blocked, until) {
                (true, u64::MAX) => Reason::UserLocked,
                (true, _) => Reason::UserBlocked,
                (false, _) => Reason::FlowInvalidStep,
            };
            let mut t = Transition::refuse(self, reason);
            t.retry_after = (blocked && until != u64::MAX).then(|| until - ctx.now);
            return Ok(t);
        }
        let flow = match flow::open_step(self, ctx.now, ctx.info.map(|(info, _)| info)) {
            ControlFlow::Continue(flow) => flow,
            ControlFlow::Break(done) => return Ok(done),
        };
        if let Some(block) = ctx.block
            && !matches!(flow.state, ResetState::SettingPassword { .. })
        {
            return Ok(flow::refuse_blocked(flow, block, ctx.now));
        }
        if let Admission::Refused(r) = ctx.admission {
            return Ok(flow.refuse_uncompared(r, &input, ctx));
        }
        flow.apply(input, ctx)
    }

    /// Applies one input to an open flow that may compare it.
    fn apply(
        mut self,
        input: ResetInput,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        match input {
            ResetInput::Cancel => {
                if matches!(self.state, ResetState::SettingPassword { .. }) {
                    return Ok(Transition::refuse(self, Reason::PasswordChangePending));
                }
                self.state = ResetState::Cancelled;
                let ev = self.event(ctx, AuditKind::FlowCancelled);
                Ok(Transition::ok(self).audit(ev))
            }
            ResetInput::Choose(option) => self.choose(option, ctx),
            ResetInput::ConfirmNumber(typed) => self.confirm_number(&typed, ctx),
            ResetInput::Resend => match &self.state {
                ResetState::EnterCode {
                    option,
                    challenge: Challenge::Sent { silent, .. },
                } => {
                    let (option, silent) = (*option, *silent);
                    self.send(option, silent, ctx)
                }
                ResetState::AwaitApproval { .. } => {
                    self.send(ResetOption::AppNotification, false, ctx)
                }
                _ => Ok(Transition::refuse(self, Reason::FlowInvalidStep)),
            },
            ResetInput::EnterCode(code) => self.enter_code(&code, ctx),
            ResetInput::ConfirmLink(token) => Ok(self.confirm_link(&token, ctx)),
            ResetInput::Answer(given) => self.answer(&given, ctx),
            ResetInput::Approve {
                request_id,
                number,
                approve,
            } => Ok(self.approve(&request_id, number, approve, ctx)),
            ResetInput::NewPassword { password, .. } => self.new_password(password, ctx),
            ResetInput::Unlock => {
                if self.state == ResetState::NewPassword && ctx.policy.reset().unlock_without_reset
                {
                    self.state = ResetState::Unlocked;
                    let ev = self.event(ctx, AuditKind::AccountUnlocked);
                    let mut t = Transition::ok(self).audit(ev);
                    t.outbox.push(Outbox::Unlock);
                    Ok(t)
                } else {
                    Ok(Transition::refuse(self, Reason::FlowInvalidStep))
                }
            }
        }
    }

    /// An attempt refused before anything was compared.
    fn refuse_uncompared(
        self,
        r: Refusal,
        input: &ResetInput,
        ctx: &mut ResetContext<'_>,
    ) -> Transition<Self> {
        let option = match &self.state {
            ResetState::EnterCode { option, .. } | ResetState::ConfirmNumber { option } => {
                Some(*option)
            }
            ResetState::AwaitApproval { .. } => Some(ResetOption::AppNotification),
            _ => Some(ResetOption::SecurityQuestions),
        };
        let ev = self.refused_event(ctx, AuditKind::AttemptRefused, r.reason(), option);
        match r {
            // Concurrent attempts spent the challenge; the ones that were compared decide where
            // the flow goes (a right one passes the gate), so this one changes nothing.
            Refusal::ChallengeSpent => {
                let reason = if matches!(input, ResetInput::Answer(_)) {
                    Reason::AnswersWrong
                } else {
                    Reason::CodeExhausted
                };
                Transition::refuse(self, reason).audit(ev)
            }
            Refusal::Blocked(_) | Refusal::Locked => {
                flow::refuse_blocked(self, r, ctx.now).audit(ev)
            }
        }
    }

    fn in_gate(&self) -> bool {
        matches!(
            self.state,
            ResetState::ChooseMethod
                | ResetState::ConfirmNumber { .. }
                | ResetState::EnterCode { .. }
                | ResetState::AnswerQuestions { .. }
                | ResetState::AwaitApproval { .. }
        )
    }

    fn choose(
        mut self,
        option: ResetOption,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        if !self.in_gate() {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep));
        }
        if !self.current_options().iter().any(|o| o.option == option) {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable));
        }
        let mut ev = self.event(ctx, AuditKind::OptionChosen);
        ev.option = Some(option);
        match option {
            ResetOption::AppCode => {
                self.state = ResetState::EnterCode {
                    option,
                    challenge: Challenge::App,
                };
                Ok(Transition::ok(self).audit(ev))
            }
            ResetOption::RecoveryCode => {
                self.state = ResetState::EnterCode {
                    option,
                    challenge: Challenge::RecoveryCode,
                };
                Ok(Transition::ok(self).audit(ev))
            }
            ResetOption::SecurityQuestions => {
                let redraw = self.question_draws > 0;
                self.state = ResetState::AnswerQuestions {
                    asked: self.draw_questions(ctx)?,
                };
                let mut t = Transition::ok(self);
                if redraw {
                    // Asking for other questions is a failed attempt at the ones shown.
                    let fail = t.flow.refused_event(
                        ctx,
                        AuditKind::StepRejected,
                        Reason::AnswersWrong,
                        Some(option),
                    );
                    t = t.verdict(Verdict::Failed).audit(fail);
                }
                Ok(t.audit(ev))
            }
            ResetOption::MobileText | ResetOption::MobileCall | ResetOption::OfficeCall
                if ctx.policy.reset().confirm_phone_number =>
            {
                self.state = ResetState::ConfirmNumber { option };
                Ok(Transition::ok(self).audit(ev))
            }
            _ => {
                let t = self.send(option, false, ctx)?;
                let mut t = t;
                t.after.insert(0, After::Audit(ev));
                Ok(t)
            }
        }
    }

    /// The whole phone number typed before a text or a call. A number that is not a phone
    /// number is refused (`method.invalid`: that says nothing of the account). Otherwise the
    /// code goes out when the number is the one on file; when it is not (and always for a
    /// decoy) the flow goes on exactly as if it had been sent, the same counters and draws,
    /// and nothing is delivered: the screen never tells whether a number is on file.
    fn confirm_number(
        self,
        typed: &SecretString,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let ResetState::ConfirmNumber { option } = self.state else {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep));
        };
        let Ok(typed) = crate::contact::PhoneNumber::parse(typed.expose()) else {
            return Ok(Transition::refuse(self, Reason::MethodInvalid));
        };
        let on_file = self.destination(option, ctx).map(|(_, d)| d);
        let matches = !self.is_decoy()
            && on_file.is_some_and(|d| {
                subtle::ConstantTimeEq::ct_eq(d.as_bytes(), typed.e164().as_bytes()).into()
            });
        self.send(option, !matches, ctx)
    }

    /// The real destination of a sending option, for a real user.
    fn destination(
        &self,
        option: ResetOption,
        ctx: &ResetContext<'_>,
    ) -> Option<(Channel, String)> {
        let (info, _) = ctx.info?;
        info.destination(option)
    }

    fn channel_of(option: ResetOption) -> Channel {
        match option {
            ResetOption::Email => Channel::Email,
            ResetOption::MobileText => Channel::Sms,
            ResetOption::AppNotification => Channel::Push,
            _ => Channel::Voice,
        }
    }

    /// Sends (or, for a decoy, pretends to send) a code or an approval request. Real users and
    /// decoys take the same path: the same draws from the randomness port, the same counters
    /// (a decoy's destination is its own, never shared), the same seal computations.
    ///
    /// `silent`: the typed phone number did not match, so a real user's message is built and
    /// dropped like a decoy's, counted against the number on file, and its code sealed so
    /// that nothing verifies.
    fn send(
        mut self,
        option: ResetOption,
        silent: bool,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let real = if self.is_decoy() {
            None
        } else {
            self.destination(option, ctx)
        };
        let mismatch = silent && real.is_some();
        let masked = self
            .options
            .iter()
            .find(|o| o.option == option)
            .and_then(|o| o.masked.clone())
            .unwrap_or_default();
        let channel = real.as_ref().map_or(Self::channel_of(option), |(c, _)| *c);
        // The destination's reference: keys the send counters and the cooldown.
        let dest_ref = match &real {
            Some((_, d)) => ctx.ids.reference("destination", d),
            None => {
                // One destination per contact, as for a real user (text and call reach one
                // number), and never shared with another decoy.
                let contact = match option {
                    ResetOption::MobileText | ResetOption::MobileCall => "mobile",
                    other => other.id(),
                };
                ctx.ids.reference(
                    "destination",
                    &format!("decoy:{}:{contact}", self.counter_id),
                )
            }
        };
        let country = match (&real, channel) {
            // A stored number: its form, not the metadata (it may predate it).
            (Some((_, d)), Channel::Sms | Channel::Voice) => {
                crate::contact::PhoneNumber::parse_form(d)
                    .ok()
                    .map(|p| p.country_code().to_owned())
            }
            (None, Channel::Sms | Channel::Voice) => decoy::calling_code_of_mask(&masked),
            _ => None,
        };
        let cooldown = ctx.policy.limits().resend_cooldown_s;
        if let Some(&last) = self.last_sends.get(&dest_ref)
            && ctx.now < last.saturating_add(cooldown)
        {
            let mut t = Transition::refuse(self, Reason::SendCooldown);
            t.retry_after = Some(last.saturating_add(cooldown) - ctx.now);
            return Ok(t);
        }
        self.last_sends.insert(dest_ref.clone(), ctx.now);
        let count = Guard::CountSend(SendCount {
            channel,
            destination: dest_ref.clone(),
            country,
        });
        // A decoy builds the message a real user would get, addressed to its masked stand-in,
        // and drops it instead of delivering it: the same work, nothing sent.
        let decoy = real.is_none() || mismatch;
        let (channel, to) = real.clone().unwrap_or((channel, masked.clone()));
        let user = self.info_owner().clone();
        let mut t_outbox = Vec::new();
        let mut send = |m: Message| {
            if decoy {
                drop(std::hint::black_box(m));
            } else {
                t_outbox.push(Outbox::Deliver(m));
            }
        };
        if option == ResetOption::AppNotification {
            let pending =
                PendingApproval::new(ctx.entropy.port(), ctx.now, ctx.policy.codes().ttl_s)?;
            let mut m = Message::new(
                ctx.entropy.token()?,
                channel,
                to,
                MessageKind::ApprovalRequest,
                user,
                ctx.now,
            );
            m.approval = Some(pending.message_payload());
            send(m);
            self.state = ResetState::AwaitApproval { pending };
        } else {
            // A decoy's code (and a wrong number's) is sealed under a destination no real one
            // equals, so nothing ever verifies; drawing nothing for it keeps the draws equal.
            let destination = match &real {
                Some((_, d)) if !mismatch => d.clone(),
                _ => "decoy:".to_owned(),
            };
            let binding = Binding {
                purpose: Purpose::ResetCode,
                flow_id: &self.flow_ref,
                destination: &destination,
            };
            let (code, issued) = code::issue(
                ctx.entropy.port(),
                ctx.keys,
                &binding,
                ctx.policy.codes().digits,
                ctx.now,
                ctx.policy.codes().ttl_s,
            )?;
            // An email carries a verification link as well (a decoy draws and seals one too).
            let link = if channel == Channel::Email {
                let token = ctx.entropy.token()?;
                let link_binding = Binding {
                    purpose: Purpose::LinkToken,
                    ..binding
                };
                let seal = ctx.keys.seal(&link_binding, &token);
                Some((SecretString::new(token), seal))
            } else {
                None
            };
            let mut m = Message::new(
                ctx.entropy.token()?,
                channel,
                to,
                MessageKind::Code,
                user,
                ctx.now,
            );
            m.code = Some(code);
            let (link_token, link) = link.map_or((None, None), |(t, s)| (Some(t), Some(s)));
            m.link_token = link_token;
            send(m);
            self.state = ResetState::EnterCode {
                option,
                challenge: Challenge::Sent {
                    issued,
                    destination: dest_ref,
                    silent: decoy,
                    link,
                },
            };
        }
        let kind = if mismatch {
            AuditKind::PhoneNumberMismatch
        } else {
            AuditKind::ChallengeSent
        };
        let mut ev = self.event(ctx, kind);
        ev.option = Some(option);
        ev.destination = Some(masked);
        let mut t = Transition::ok(self).guard(count).audit(ev);
        t.outbox = t_outbox;
        Ok(t)
    }

    fn draw_questions(&mut self, ctx: &mut ResetContext<'_>) -> Result<Vec<String>, PortError> {
        self.question_draws = self.question_draws.saturating_add(1);
        let n = usize::from(ctx.policy.security_questions().to_reset);
        let pool: Vec<String> = match (&self.subject, ctx.info) {
            (Subject::Known { .. }, Some((info, _))) => {
                info.questions.iter().map(|q| q.question.clone()).collect()
            }
            (Subject::Decoy { questions, .. }, _) => decoy::questions_at(questions, ctx.policy),
            (Subject::Known { .. }, None) => Vec::new(),
        };
        let index = self.question_draws.saturating_sub(1);
        Ok(question_draw::draw(
            ctx.ids,
            &self.counter_id,
            ctx.now,
            index,
            pool,
            n,
        ))
    }

    fn pass_gate(mut self, factor: Factor, ctx: &ResetContext<'_>) -> Transition<Self> {
        if !self.passed.contains(&factor) {
            self.passed.push(factor);
        }
        self.state = if self.passed.len() >= usize::from(self.gates) {
            ResetState::NewPassword
        } else {
            ResetState::ChooseMethod
        };
        let ev = self.event(ctx, AuditKind::FactorVerified);
        Transition::ok(self).verdict(Verdict::Verified).audit(ev)
    }

    fn app_params(&self, ctx: &ResetContext<'_>) -> OtpParams {
        match (&self.subject, ctx.info) {
            (Subject::Known { .. }, Some((info, _))) => {
                // The longest period among the credentials: the attempt window covers them all.
                info.code_credentials()
                    .into_iter()
                    .map(|(_, _, p, _)| p)
                    .max_by_key(|p| p.period)
                    .unwrap_or_default()
            }
            _ => OtpParams::default(),
        }
    }

    fn enter_code(
        mut self,
        submitted: &SecretString,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let (option, challenge) = match &self.state {
            ResetState::EnterCode { option, challenge } => (*option, challenge.clone()),
            _ => return Ok(Transition::refuse(self, Reason::FlowInvalidStep)),
        };
        let factor = self.factor_of(option);
        match challenge {
            Challenge::App => {
                let real = match (&self.subject, ctx.info) {
                    (Subject::Known { .. }, Some((info, version)))
                        if info.has(Method::AppCode, 1) =>
                    {
                        Some((info, version))
                    }
                    _ => None,
                };
                // A decoy compares against a secret of its own, at the same cost (every
                // comparison is padded to the most apps a user may have), and never passes.
                let decoy_secret = decoy::app_secret(ctx.ids, &self.counter_id);
                let slots: Vec<challenge::TotpSlot<'_>> = match real {
                    Some((info, _)) => challenge::code_slots(info),
                    None => vec![challenge::TotpSlot {
                        index: 0,
                        secret: &decoy_secret,
                        params: OtpParams::default(),
                        last_step: None,
                    }],
                };
                let found = challenge::any_app_code(
                    &slots,
                    submitted,
                    ctx.now,
                    ctx.policy.totp().skew_steps,
                );
                drop(slots);
                if let (Some((app, step)), Some((_, version))) = (found, real) {
                    return Ok(self.pass_gate(factor, ctx).guard(Guard::AdvanceTotp {
                        app,
                        step,
                        info_version: version,
                    }));
                }
                Ok(self.code_failure(option, ctx))
            }
            Challenge::RecoveryCode => {
                // Every slot is compared, for real users and decoys alike (a decoy against
                // digests of its own, never matching).
                let (stored, version, decoy) = match (&self.subject, ctx.info) {
                    (Subject::Known { .. }, Some((info, version))) => {
                        (info.recovery_codes.clone(), version, false)
                    }
                    _ => (Vec::new(), 0, true),
                };
                let owner = self.info_owner().as_str().to_owned();
                let found = crate::recovery::find(&stored, ctx.ids, &owner, submitted.expose());
                match (found, decoy) {
                    (Some(i), false) => {
                        let digest = stored.get(i).cloned().unwrap_or_default();
                        Ok(self.pass_gate(factor, ctx).guard(Guard::SpendRecoveryCode {
                            digest,
                            info_version: version,
                        }))
                    }
                    _ => Ok(self.code_failure(option, ctx)),
                }
            }
            Challenge::Sent { issued, .. } => {
                let destination = if self.is_decoy() {
                    String::new()
                } else {
                    self.destination(option, ctx)
                        .map(|(_, d)| d)
                        .unwrap_or_default()
                };
                match challenge::sent_code(
                    &issued,
                    ctx.keys,
                    Purpose::ResetCode,
                    &self.flow_ref,
                    &destination,
                    submitted,
                    ctx.now,
                ) {
                    CodeCheck::Accepted => Ok(self.pass_gate(factor, ctx)),
                    CodeCheck::Expired => {
                        self.state = ResetState::ChooseMethod;
                        Ok(Transition::refuse(self, Reason::CodeExpired))
                    }
                    CodeCheck::Mismatch => Ok(self.code_failure(option, ctx)),
                }
            }
        }
    }

    /// The verification link of an emailed code, confirmed on the host's page: it passes the
    /// gate as the code would, once, until the code expires. A wrong or stale token is a wrong
    /// code (counted the same way).
    fn confirm_link(mut self, token: &SecretString, ctx: &ResetContext<'_>) -> Transition<Self> {
        let (option, issued, link) = match &self.state {
            ResetState::EnterCode {
                option,
                challenge: Challenge::Sent { issued, link, .. },
            } => (*option, issued.clone(), link.clone()),
            _ => return Transition::refuse(self, Reason::FlowInvalidStep),
        };
        if ctx.now >= issued.expires_at {
            self.state = ResetState::ChooseMethod;
            return Transition::refuse(self, Reason::CodeExpired);
        }
        let destination = if self.is_decoy() {
            String::new()
        } else {
            self.destination(option, ctx)
                .map(|(_, d)| d)
                .unwrap_or_default()
        };
        let binding = Binding {
            purpose: Purpose::LinkToken,
            flow_id: &self.flow_ref,
            destination: &destination,
        };
        // A missing link (a text, a call) is compared against nothing, at the same cost.
        let seal = link.unwrap_or_else(|| issued.seal.clone());
        let matched =
            ctx.keys.verify(&seal, &binding, token.expose()) && option == ResetOption::Email;
        if matched && !self.is_decoy() {
            let factor = self.factor_of(option);
            return self.pass_gate(factor, ctx);
        }
        self.code_failure(option, ctx)
    }

    /// A wrong code: `code.mismatch`, or `code.exhausted` (back to choosing) when that was the
    /// last comparison the code allows. Counted by the engine's reservation.
    fn code_failure(mut self, option: ResetOption, ctx: &ResetContext<'_>) -> Transition<Self> {
        let reason = if ctx.admission == Admission::Admitted && ctx.challenge_spent {
            self.state = ResetState::ChooseMethod;
            Reason::CodeExhausted
        } else {
            Reason::CodeMismatch
        };
        let ev = self.refused_event(ctx, AuditKind::StepRejected, reason, Some(option));
        Transition::refuse(self, reason)
            .verdict(Verdict::Failed)
            .audit(ev)
    }

    fn factor_of(&self, option: ResetOption) -> Factor {
        self.options
            .iter()
            .find(|o| o.option == option)
            .map_or(option.factor(), |o| o.factor)
    }

    fn answer(
        mut self,
        given: &BTreeMap<String, SecretString>,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let ResetState::AnswerQuestions { asked } = &self.state else {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep));
        };
        // Every asked question costs one argon2 verification, for real users and decoys alike,
        // whatever was submitted.
        let real = match (&self.subject, ctx.info) {
            (Subject::Known { .. }, Some((info, _))) => Some(info),
            _ => None,
        };
        let stored = |q: &str| {
            real.and_then(|info| info.questions.iter().find(|r| r.question == q))
                .map(|r| r.answer_hash.as_str())
        };
        let all_right = challenge::answers(asked, stored, Some(ctx.decoy_answer_hash), given);
        if all_right && given.len() <= MAX_ANSWERS {
            return Ok(self.pass_gate(Factor::SecurityQuestions, ctx));
        }
        // A wrong answer draws a new selection.
        self.state = ResetState::AnswerQuestions {
            asked: self.draw_questions(ctx)?,
        };
        let ev = self.refused_event(
            ctx,
            AuditKind::StepRejected,
            Reason::AnswersWrong,
            Some(ResetOption::SecurityQuestions),
        );
        Ok(Transition::refuse(self, Reason::AnswersWrong)
            .verdict(Verdict::Failed)
            .audit(ev))
    }

    fn approve(
        mut self,
        request_id: &str,
        number: u8,
        approve: bool,
        ctx: &mut ResetContext<'_>,
    ) -> Transition<Self> {
        let pending = match &self.state {
            ResetState::AwaitApproval { pending } => pending.clone(),
            _ => return Transition::refuse(self, Reason::FlowInvalidStep),
        };
        let mut check = challenge::push(&pending, request_id, approve, number, ctx.now);
        if self.is_decoy() {
            // No device ever received a decoy's request: any approval is wrong.
            check = match check {
                ApprovalCheck::Approved => ApprovalCheck::NumberMismatch,
                other => other,
            };
        }
        match check {
            ApprovalCheck::Approved => self.pass_gate(Factor::App, ctx),
            ApprovalCheck::NumberMismatch => {
                let reason = if ctx.challenge_spent {
                    self.state = ResetState::ChooseMethod;
                    Reason::CodeExhausted
                } else {
                    Reason::PushNumberMismatch
                };
                let ev = self.refused_event(ctx, AuditKind::StepRejected, reason, None);
                Transition::refuse(self, reason)
                    .verdict(Verdict::Failed)
                    .audit(ev)
            }
            ApprovalCheck::Denied => {
                self.state = ResetState::ChooseMethod;
                let ev = self.refused_event(ctx, AuditKind::StepRejected, Reason::PushDenied, None);
                Transition::refuse(self, Reason::PushDenied).audit(ev)
            }
            ApprovalCheck::Expired => {
                self.state = ResetState::ChooseMethod;
                Transition::refuse(self, Reason::CodeExpired)
            }
            ApprovalCheck::UnknownRequest => Transition::refuse(self, Reason::FlowInvalidStep),
        }
    }

    fn new_password(
        mut self,
        password: SecretString,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let pending = match &self.state {
            ResetState::NewPassword => None,
            ResetState::SettingPassword {
                change_id,
                history_hash,
                since,
            } => Some((change_id.clone(), history_hash.clone(), *since)),
            _ => return Ok(Transition::refuse(self, Reason::FlowInvalidStep)),
        };
        if self.user().is_none() {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep));
        }
        // The same password as the pending change finishes that change (same id: the
        // directory applies it once).
        if let Some((change_id, history_hash, _)) = &pending
            && hashing::verify(password.expose().as_bytes(), history_hash).unwrap_or(false)
        {
            let change = PasswordChange {
                change_id: change_id.clone(),
                password,
                history_hash: history_hash.clone(),
                requested_at: pending.as_ref().map_or(ctx.now, |(_, _, since)| *since),
                must_change: false,
            };
            let mut t = Transition::ok(self);
            t.outbox.push(Outbox::SetPassword(change));
            return Ok(t);
        }
        // Another password while the outcome of the pending one is unknown: that call may
        // still land after this one, so nothing could truthfully be reported.
        if pending.is_some() {
            return Ok(Transition::refuse(self, Reason::PasswordChangePending));
        }
        let Some(verdict) = ctx.verdict.take() else {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep));
        };
        if let Some(&reason) = verdict.reasons.first() {
            let ev = self.refused_event(ctx, AuditKind::StepRejected, reason, None);
            return Ok(Transition::refuse(self, reason).audit(ev));
        }
        let history_hash = match hashing::hash(
            password.expose().as_bytes(),
            &ctx.hash_params,
            ctx.entropy.port(),
        ) {
            Ok(h) => h,
            Err(crate::Error::Port(e)) => return Err(e),
            Err(_) => return Ok(Transition::refuse(self, Reason::PasswordTooLong)),
        };
        // Each submitted password is its own change.
        let change_id = ctx.entropy.token()?;
        self.state = ResetState::SettingPassword {
            change_id: change_id.clone(),
            history_hash: history_hash.clone(),
            since: ctx.now,
        };
        let mut t = Transition::ok(self);
        t.outbox.push(Outbox::SetPassword(PasswordChange {
            change_id,
            password,
            history_hash,
            requested_at: ctx.now,
            must_change: false,
        }));
        Ok(t)
    }

    /// After the directory applied the pending password: the flow completes.
    pub(crate) fn password_applied(mut self, now: u64) -> Transition<Self> {
        self.state = ResetState::Completed;
        let mut ev = AuditEvent::new(now, AuditKind::PasswordChanged);
        ev.flow_ref = Some(self.flow_ref.clone());
        ev.user = self.user().cloned();
        ev.client = self.client.clone();
        let mut t = Transition::ok(self).audit(ev);
        t.after.insert(0, After::ResetCompleted);
        t
    }
}

impl Flow for ResetFlow {
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
        Self::user(self)
    }
    fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }
    fn epoch(&self) -> u64 {
        self.epoch
    }
    fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }
    fn expire(&mut self) {
        self.state = ResetState::Expired;
    }
    fn blocked(mut self, until: u64) -> Self {
        self.state = ResetState::Blocked { until };
        self
    }
}

/// The options a real user is offered: every registered method the requirement allows, the
/// default method's options first ([`default_method`]), then the others in the policy's order,
/// with masked destinations. An office phone with the mobile phone's number is the same factor
/// as the mobile phone.
pub(crate) fn options_for(
    info: &SecurityInfo,
    methods: &[Method],
    questions_needed: u8,
) -> Vec<OfferedOption> {
    let mut out = Vec::new();
    let same_phone = matches!((&info.mobile, &info.office), (Some(m), Some(o)) if m == o);
    for m in info.registered(methods, questions_needed) {
        for &option in m.options() {
            let masked = match option {
                ResetOption::Email => info.email.as_ref().map(|e| e.masked()),
                ResetOption::MobileText | ResetOption::MobileCall => {
                    info.mobile.as_ref().map(|p| p.masked())
                }
                ResetOption::OfficeCall => info.office.as_ref().map(|p| p.masked()),
                _ => None,
            };
            let factor = if option == ResetOption::OfficeCall && same_phone {
                Factor::MobilePhone
            } else {
                option.factor()
            };
            out.push(OfferedOption {
                option,
                masked,
                factor,
            });
        }
    }
    if let Some(d) = default_method(info, methods, questions_needed) {
        default_first(&mut out, d);
    }
    out
}

/// Every option of `methods`, in screen order: what a reset screen lists for a role.
pub(crate) fn listed_options(methods: &[Method]) -> Vec<ResetOption> {
    ResetOption::ALL
        .into_iter()
        .filter(|o| methods.contains(&o.method()))
        .collect()
}

/// The user's default method among `methods`: the one the user chose (or that was set with
/// their first registration) while it is registered and allowed, else the first registered
/// method in `methods`' order (what a record without a default always showed first).
pub(crate) fn default_method(
    info: &SecurityInfo,
    methods: &[Method],
    questions_needed: u8,
) -> Option<Method> {
    let registered = info.registered(methods, questions_needed);
    info.default_method
        .filter(|d| registered.contains(d))
        .or_else(|| registered.first().copied())
}

/// Moves the options of `method` to the front, keeping the order of the rest (a stable sort).
pub(crate) fn default_first(options: &mut [OfferedOption], method: Method) {
    options.sort_by_key(|o| o.option.method() != method);
}

/// How many distinct factors a list of options covers.
pub(crate) fn factor_count(options: &[OfferedOption]) -> usize {
    let mut f: Vec<Factor> = options.iter().map(|o| o.factor).collect();
    f.sort_unstable();
    f.dedup();
    f.len()
}
