//! The reset flow, "get back into your account": who are you (and a CAPTCHA), one or two
//! verification gates with distinct factors, then a new password.
//!
//! [`ResetFlow`] is plain serde data; [`ResetFlow::handle`] is the pure transition. Decoy flows
//! (unknown, out-of-scope or unregistered users) follow the same states and give the same
//! answers, deliver nothing, and never verify.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::approval::{ApprovalCheck, PendingApproval};
use crate::audit::{AuditEvent, AuditKind};
use crate::code::{self, CodeCheck, IssuedCode};
use crate::effect::{Effect, Transition};
use crate::error::PortError;
use crate::keyring::{Binding, KeyRing, Purpose};
use crate::method::{Factor, Method, ResetOption};
use crate::password::PasswordVerdict;
use crate::policy::Policy;
use crate::ports::{Channel, Message, MessageKind};
use crate::random::Entropy;
use crate::reason::Reason;
use crate::secret::SecretString;
use crate::security_info::SecurityInfo;
use crate::totp::{self, OtpParams, TotpCheck};
use crate::user::UserId;
use crate::{answers, questions};

/// Format version of a persisted reset flow.
pub const RESET_FORMAT: u16 = 1;

/// Who the flow is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A real user in scope with enough registered methods.
    Known {
        /// The user.
        user: UserId,
        /// Whether the user is an administrator.
        admin: bool,
    },
    /// Anyone else: the flow looks real but can never succeed.
    Decoy,
}

/// An option offered on the "choose a contact method" screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedOption {
    /// The option.
    pub option: ResetOption,
    /// The masked destination shown beside it (`al*********@fabrikam.example`).
    pub masked: Option<String>,
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
    },
    /// A code from the authenticator app.
    App {
        /// Wrong entries so far.
        attempts: u8,
    },
}

/// Where a reset flow stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetState {
    /// Choosing a contact method for the current gate.
    ChooseMethod,
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
        /// Wrong numbers so far.
        attempts: u8,
    },
    /// Every gate passed: choose a new password.
    NewPassword,
    /// The password was changed.
    Completed,
    /// The account was unlocked without a password change.
    Unlocked,
    /// Too many failures or messages: blocked until `until`.
    Blocked {
        /// When the block ends (Unix seconds).
        until: u64,
    },
    /// The flow timed out.
    Expired,
    /// The user cancelled.
    Cancelled,
}

impl ResetState {
    /// The state's stable name (`choose_method`, `enter_code`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::ChooseMethod => "choose_method",
            Self::EnterCode { .. } => "enter_code",
            Self::AnswerQuestions { .. } => "answer_questions",
            Self::AwaitApproval { .. } => "await_approval",
            Self::NewPassword => "new_password",
            Self::Completed => "completed",
            Self::Unlocked => "unlocked",
            Self::Blocked { .. } => "blocked",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
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

/// A persisted reset flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetFlow {
    /// Format version ([`RESET_FORMAT`]).
    pub v: u16,
    /// The flow's id (256-bit token).
    pub id: String,
    /// When it started (Unix seconds).
    pub created_at: u64,
    /// When it expires (Unix seconds).
    pub expires_at: u64,
    /// Who it is for.
    pub subject: Subject,
    /// Hash of the normalised identifier: the key of the failure and send counters.
    pub counter_id: String,
    /// The client address or fingerprint the host passed, if any.
    pub client: Option<String>,
    /// Gates to pass (1 or 2).
    pub gates: u8,
    /// Every option available to this user, in screen order.
    pub options: Vec<OfferedOption>,
    /// Factors verified so far.
    pub passed: Vec<Factor>,
    /// Last send per destination hash (for the resend cooldown).
    #[serde(default)]
    pub last_sends: BTreeMap<String, u64>,
    /// Where the flow stands.
    pub state: ResetState,
}

/// What the user did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ResetInput {
    /// Chose an option at the current gate (replaces any pending challenge).
    Choose(ResetOption),
    /// Asked for the code again.
    Resend,
    /// Entered a code.
    EnterCode(SecretString),
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
pub struct ResetContext<'a> {
    /// Now (Unix seconds).
    pub now: u64,
    /// The policy.
    pub policy: &'a Policy,
    /// Code keys.
    pub keys: &'a KeyRing,
    /// Secure randomness.
    pub entropy: Entropy<'a>,
    /// The user's security info and its record version, for a real user.
    pub info: Option<(&'a SecurityInfo, u64)>,
    /// The verdict on the new password (the engine evaluates it with the ports).
    pub verdict: Option<PasswordVerdict>,
    /// Set by the engine when a matching code turned out to be consumed already.
    pub code_reused: bool,
}

/// Keyed hash of a destination, for cooldown bookkeeping without storing it.
fn destination_key(keys: &KeyRing, flow_id: &str, destination: &str) -> String {
    let seal = keys.seal(
        &Binding {
            purpose: Purpose::LinkToken,
            flow_id,
            destination,
        },
        "destination",
    );
    seal.tag[..16].to_owned()
}

impl ResetFlow {
    /// The gate being passed (1-based).
    pub fn gate(&self) -> u8 {
        (self.passed.len() as u8 + 1).min(self.gates)
    }

    /// The options offered at the current gate: those whose factor is not yet verified.
    pub fn current_options(&self) -> Vec<&OfferedOption> {
        self.options
            .iter()
            .filter(|o| !self.passed.contains(&o.option.factor()))
            .collect()
    }

    /// The user, for a real flow.
    pub fn user(&self) -> Option<&UserId> {
        match &self.subject {
            Subject::Known { user, .. } => Some(user),
            Subject::Decoy => None,
        }
    }

    /// The earliest time something happens by itself (expiry, the end of a block).
    pub fn next_deadline(&self) -> Option<u64> {
        match &self.state {
            ResetState::Blocked { until } => Some(*until),
            s if s.is_terminal() => None,
            _ => Some(self.expires_at),
        }
    }

    fn audit(&self, ctx: &ResetContext<'_>, kind: AuditKind) -> AuditEvent {
        let mut e = AuditEvent::new(ctx.now, kind);
        e.flow_id = Some(self.id.clone());
        e.user = self.user().cloned();
        e.client = self.client.clone();
        e
    }

    /// Applies one input.
    pub fn handle(
        mut self,
        input: ResetInput,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        if let ResetState::Blocked { until } = self.state {
            let mut t = Transition::refuse(
                self,
                if ctx.now < until {
                    Reason::UserBlocked
                } else {
                    Reason::FlowInvalidStep
                },
                vec![],
            );
            t.retry_after = (ctx.now < until).then(|| until - ctx.now);
            return Ok(t);
        }
        if self.state.is_terminal() {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]));
        }
        if ctx.now >= self.expires_at {
            self.state = ResetState::Expired;
            let ev = self.audit(ctx, AuditKind::FlowExpired);
            return Ok(Transition::refuse(
                self,
                Reason::FlowExpired,
                vec![Effect::Audit(ev)],
            ));
        }
        match input {
            ResetInput::Cancel => {
                self.state = ResetState::Cancelled;
                let ev = self.audit(ctx, AuditKind::FlowCancelled);
                Ok(Transition::ok(self, vec![Effect::Audit(ev)]))
            }
            ResetInput::Choose(option) => self.choose(option, ctx),
            ResetInput::Resend => match &self.state {
                ResetState::EnterCode {
                    option,
                    challenge: Challenge::Sent { .. },
                } => {
                    let option = *option;
                    self.send(option, ctx)
                }
                ResetState::AwaitApproval { .. } => self.send(ResetOption::AppNotification, ctx),
                _ => Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![])),
            },
            ResetInput::EnterCode(code) => self.enter_code(&code, ctx),
            ResetInput::Answer(given) => self.answer(&given, ctx),
            ResetInput::Approve {
                request_id,
                number,
                approve,
            } => self.approve(&request_id, number, approve, ctx),
            ResetInput::NewPassword { password, .. } => self.new_password(password, ctx),
            ResetInput::Unlock => {
                if self.state == ResetState::NewPassword && ctx.policy.reset().unlock_without_reset
                {
                    self.state = ResetState::Unlocked;
                    let ev = self.audit(ctx, AuditKind::AccountUnlocked);
                    Ok(Transition::ok(
                        self,
                        vec![Effect::Unlock, Effect::Audit(ev)],
                    ))
                } else {
                    Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]))
                }
            }
        }
    }

    fn in_gate(&self) -> bool {
        matches!(
            self.state,
            ResetState::ChooseMethod
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
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]));
        }
        if !self.current_options().iter().any(|o| o.option == option) {
            return Ok(Transition::refuse(self, Reason::OptionUnavailable, vec![]));
        }
        let mut ev = self.audit(ctx, AuditKind::OptionChosen);
        ev.option = Some(option);
        match option {
            ResetOption::AppCode => {
                self.state = ResetState::EnterCode {
                    option,
                    challenge: Challenge::App { attempts: 0 },
                };
                Ok(Transition::ok(self, vec![Effect::Audit(ev)]))
            }
            ResetOption::SecurityQuestions => {
                self.state = ResetState::AnswerQuestions {
                    asked: self.draw_questions(ctx)?,
                };
                Ok(Transition::ok(self, vec![Effect::Audit(ev)]))
            }
            _ => {
                let mut t = self.send(option, ctx)?;
                t.effects.insert(0, Effect::Audit(ev));
                Ok(t)
            }
        }
    }

    /// The real destination of a sending option, for a real user.
    fn destination(
        &self,
        option: ResetOption,
        ctx: &ResetContext<'_>,
    ) -> Option<(Channel, String)> {
        let (info, _) = ctx.info?;
        match option {
            ResetOption::Email => info
                .email
                .as_ref()
                .map(|e| (Channel::Email, e.as_str().to_owned())),
            ResetOption::MobileText => info.mobile.as_ref().map(|p| (Channel::Sms, p.e164())),
            ResetOption::MobileCall => info.mobile.as_ref().map(|p| (Channel::Voice, p.e164())),
            ResetOption::OfficeCall => info.office.as_ref().map(|p| (Channel::Voice, p.e164())),
            ResetOption::AppNotification => info
                .app
                .as_ref()
                .map(|a| (Channel::Push, a.device_id.clone())),
            ResetOption::AppCode | ResetOption::SecurityQuestions => None,
        }
    }

    /// Sends (or, for a decoy, pretends to send) a code or an approval request.
    fn send(
        mut self,
        option: ResetOption,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let real = match &self.subject {
            Subject::Known { .. } => self.destination(option, ctx),
            Subject::Decoy => None,
        };
        // Decoys keep cooldowns on their masked destination so they behave alike.
        let masked = self
            .options
            .iter()
            .find(|o| o.option == option)
            .and_then(|o| o.masked.clone())
            .unwrap_or_default();
        let dest_key = destination_key(
            ctx.keys,
            &self.id,
            real.as_ref().map_or(masked.as_str(), |(_, d)| d.as_str()),
        );
        let cooldown = ctx.policy.limits().resend_cooldown_s;
        if let Some(&last) = self.last_sends.get(&dest_key)
            && ctx.now < last + cooldown
        {
            let mut t = Transition::refuse(self, Reason::SendCooldown, vec![]);
            t.retry_after = Some(last + cooldown - ctx.now);
            return Ok(t);
        }
        self.last_sends.insert(dest_key.clone(), ctx.now);
        let mut effects = Vec::new();
        let user = self.user().cloned();
        if real.is_none() {
            // A decoy's sends count against the same limits, so it is blocked like a real user.
            let channel = match option {
                ResetOption::Email => Channel::Email,
                ResetOption::MobileText => Channel::Sms,
                ResetOption::AppNotification => Channel::Push,
                _ => Channel::Voice,
            };
            effects.push(Effect::CountSend {
                channel,
                destination: masked.clone(),
            });
        }
        if option == ResetOption::AppNotification {
            let pending =
                PendingApproval::new(ctx.entropy_port(), ctx.now, ctx.policy.codes().ttl_s)?;
            if let (Some((channel, to)), Some(user)) = (real, user) {
                let m = self.message(
                    ctx,
                    channel,
                    to,
                    MessageKind::ApprovalRequest,
                    user,
                    None,
                    Some(pending.message_payload()),
                )?;
                effects.extend(Effect::send(m));
            }
            self.state = ResetState::AwaitApproval {
                pending,
                attempts: 0,
            };
        } else {
            let destination = real
                .as_ref()
                .map_or_else(|| masked.clone(), |(_, d)| d.clone());
            let binding = Binding {
                purpose: Purpose::ResetCode,
                flow_id: &self.id,
                destination: &destination,
            };
            let (code, mut issued) = code::issue(
                ctx.entropy_port(),
                ctx.keys,
                &binding,
                ctx.policy.codes().digits,
                ctx.now,
                ctx.policy.codes().ttl_s,
            )?;
            match (real, user) {
                (Some((channel, to)), Some(user)) => {
                    let m =
                        self.message(ctx, channel, to, MessageKind::Code, user, Some(code), None)?;
                    effects.extend(Effect::send(m));
                }
                _ => {
                    // A decoy's code is sealed under a random destination: nothing verifies.
                    let noise = ctx.entropy.token()?;
                    issued.seal = ctx.keys.seal(
                        &Binding {
                            destination: &noise,
                            ..binding
                        },
                        "decoy",
                    );
                }
            }
            self.state = ResetState::EnterCode {
                option,
                challenge: Challenge::Sent {
                    issued,
                    destination: dest_key,
                },
            };
        }
        let mut ev = self.audit(ctx, AuditKind::ChallengeSent);
        ev.option = Some(option);
        ev.destination = Some(masked);
        effects.push(Effect::Audit(ev));
        Ok(Transition::ok(self, effects))
    }

    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        ctx: &mut ResetContext<'_>,
        channel: Channel,
        to: String,
        kind: MessageKind,
        user: UserId,
        code: Option<SecretString>,
        approval: Option<crate::ports::Approval>,
    ) -> Result<Message, PortError> {
        let mut m = Message::new(ctx.entropy.token()?, channel, to, kind, user, ctx.now);
        m.code = code;
        m.approval = approval;
        Ok(m)
    }

    fn draw_questions(&self, ctx: &mut ResetContext<'_>) -> Result<Vec<String>, PortError> {
        let n = usize::from(ctx.policy.security_questions().to_reset);
        let pool: Vec<String> = match ctx.info {
            Some((info, _)) if matches!(self.subject, Subject::Known { .. }) => {
                info.questions.iter().map(|q| q.question.clone()).collect()
            }
            _ => questions::PREDEFINED
                .iter()
                .map(|q| (*q).to_owned())
                .collect(),
        };
        let mut pool = pool;
        let mut out = Vec::with_capacity(n);
        while out.len() < n && !pool.is_empty() {
            let i = ctx.entropy.below(pool.len() as u32)? as usize;
            out.push(pool.swap_remove(i));
        }
        Ok(out)
    }

    fn pass_gate(
        mut self,
        factor: Factor,
        ctx: &ResetContext<'_>,
        mut effects: Vec<Effect>,
    ) -> Transition<Self> {
        if !self.passed.contains(&factor) {
            self.passed.push(factor);
        }
        self.state = if self.passed.len() >= usize::from(self.gates) {
            ResetState::NewPassword
        } else {
            ResetState::ChooseMethod
        };
        effects.push(Effect::Audit(self.audit(ctx, AuditKind::FactorVerified)));
        Transition::ok(self, effects)
    }

    fn enter_code(
        mut self,
        submitted: &SecretString,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let (option, challenge) = match &self.state {
            ResetState::EnterCode { option, challenge } => (*option, challenge.clone()),
            _ => return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![])),
        };
        let max = ctx.policy.codes().max_attempts;
        match challenge {
            Challenge::App { attempts } => {
                if attempts >= max {
                    self.state = ResetState::ChooseMethod;
                    return Ok(Transition::refuse(self, Reason::CodeExhausted, vec![]));
                }
                let attempts = attempts + 1;
                self.state = ResetState::EnterCode {
                    option,
                    challenge: Challenge::App { attempts },
                };
                let app = match (&self.subject, ctx.info) {
                    (Subject::Known { .. }, Some((info, version))) => {
                        info.app.as_ref().map(|a| (a, version))
                    }
                    _ => None,
                };
                if let Some((a, info_version)) = app {
                    let params = OtpParams {
                        algorithm: a.algorithm,
                        digits: a.digits,
                        period: a.period,
                    };
                    if let TotpCheck::Valid { step } = totp::verify(
                        a.secret.expose(),
                        &params,
                        submitted.expose(),
                        ctx.now,
                        ctx.policy.totp().skew_steps,
                        a.last_step,
                    ) && !ctx.code_reused
                    {
                        return Ok(self.pass_gate(
                            option.factor(),
                            ctx,
                            vec![Effect::AdvanceTotp { step, info_version }],
                        ));
                    }
                }
                Ok(self.code_failure(attempts >= max, option, ctx))
            }
            Challenge::Sent {
                mut issued,
                destination: dest_key,
            } => {
                let destination = match self.subject {
                    Subject::Known { .. } => self
                        .destination(option, ctx)
                        .map(|(_, d)| d)
                        .unwrap_or_default(),
                    Subject::Decoy => String::new(),
                };
                let binding = Binding {
                    purpose: Purpose::ResetCode,
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
                let consume = Effect::consume_code(Purpose::ResetCode, &issued);
                let exhausted = issued.attempts >= max;
                self.state = ResetState::EnterCode {
                    option,
                    challenge: Challenge::Sent {
                        issued,
                        destination: dest_key,
                    },
                };
                match check {
                    CodeCheck::Accepted => Ok(self.pass_gate(option.factor(), ctx, vec![consume])),
                    CodeCheck::Expired => {
                        self.state = ResetState::ChooseMethod;
                        Ok(Transition::refuse(self, Reason::CodeExpired, vec![]))
                    }
                    CodeCheck::Exhausted => {
                        self.state = ResetState::ChooseMethod;
                        Ok(Transition::refuse(self, Reason::CodeExhausted, vec![]))
                    }
                    CodeCheck::Mismatch { .. } | CodeCheck::AlreadyUsed => {
                        Ok(self.code_failure(exhausted, option, ctx))
                    }
                }
            }
        }
    }

    fn code_failure(
        mut self,
        exhausted: bool,
        option: ResetOption,
        ctx: &ResetContext<'_>,
    ) -> Transition<Self> {
        let mut ev = self.audit(ctx, AuditKind::StepRejected);
        ev.option = Some(option);
        let reason = if exhausted {
            self.state = ResetState::ChooseMethod;
            Reason::CodeExhausted
        } else {
            Reason::CodeMismatch
        };
        ev.reason = Some(reason);
        Transition::refuse(self, reason, vec![Effect::CountFailure, Effect::Audit(ev)])
    }

    fn answer(
        mut self,
        given: &BTreeMap<String, SecretString>,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let ResetState::AnswerQuestions { asked } = &self.state else {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]));
        };
        let mut all_right = matches!(self.subject, Subject::Known { .. }) && !asked.is_empty();
        if let Some((info, _)) = ctx.info {
            for q in asked {
                let ok = match (
                    info.questions.iter().find(|r| &r.question == q),
                    given.get(q),
                ) {
                    (Some(reg), Some(a)) => {
                        answers::verify(a.expose(), &reg.answer_hash).unwrap_or(false)
                    }
                    _ => false,
                };
                all_right &= ok;
            }
        } else {
            all_right = false;
        }
        if all_right {
            return Ok(self.pass_gate(Factor::SecurityQuestions, ctx, vec![]));
        }
        // A wrong answer draws a new selection.
        self.state = ResetState::AnswerQuestions {
            asked: self.draw_questions(ctx)?,
        };
        let mut ev = self.audit(ctx, AuditKind::StepRejected);
        ev.option = Some(ResetOption::SecurityQuestions);
        ev.reason = Some(Reason::AnswersWrong);
        Ok(Transition::refuse(
            self,
            Reason::AnswersWrong,
            vec![Effect::CountFailure, Effect::Audit(ev)],
        ))
    }

    fn approve(
        mut self,
        request_id: &str,
        number: u8,
        approve: bool,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        let (pending, attempts) = match &self.state {
            ResetState::AwaitApproval { pending, attempts } => (pending.clone(), *attempts),
            _ => return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![])),
        };
        let check = match self.subject {
            Subject::Known { .. } if ctx.code_reused => ApprovalCheck::NumberMismatch,
            Subject::Known { .. } => pending.check(request_id, approve, number, ctx.now),
            // No device ever received a decoy's request: any approval is wrong.
            Subject::Decoy if !approve => ApprovalCheck::Denied,
            Subject::Decoy => ApprovalCheck::NumberMismatch,
        };
        let max = ctx.policy.codes().max_attempts;
        match check {
            ApprovalCheck::Approved => {
                let effect = Effect::Consume {
                    namespace: code::namespace(Purpose::Approval),
                    key: pending.request_id.clone(),
                    expires_at: pending.expires_at,
                };
                Ok(self.pass_gate(Factor::App, ctx, vec![effect]))
            }
            ApprovalCheck::NumberMismatch => {
                let attempts = attempts + 1;
                let reason = if attempts >= max {
                    self.state = ResetState::ChooseMethod;
                    Reason::CodeExhausted
                } else {
                    self.state = ResetState::AwaitApproval { pending, attempts };
                    Reason::PushNumberMismatch
                };
                let mut ev = self.audit(ctx, AuditKind::StepRejected);
                ev.reason = Some(reason);
                Ok(Transition::refuse(
                    self,
                    reason,
                    vec![Effect::CountFailure, Effect::Audit(ev)],
                ))
            }
            ApprovalCheck::Denied => {
                self.state = ResetState::ChooseMethod;
                let mut ev = self.audit(ctx, AuditKind::StepRejected);
                ev.reason = Some(Reason::PushDenied);
                Ok(Transition::refuse(
                    self,
                    Reason::PushDenied,
                    vec![Effect::Audit(ev)],
                ))
            }
            ApprovalCheck::Expired => {
                self.state = ResetState::ChooseMethod;
                Ok(Transition::refuse(self, Reason::CodeExpired, vec![]))
            }
            ApprovalCheck::UnknownRequest => {
                Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]))
            }
        }
    }

    fn new_password(
        mut self,
        password: SecretString,
        ctx: &mut ResetContext<'_>,
    ) -> Result<Transition<Self>, PortError> {
        if self.state != ResetState::NewPassword {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]));
        }
        let Some(verdict) = ctx.verdict.take() else {
            return Ok(Transition::refuse(self, Reason::FlowInvalidStep, vec![]));
        };
        if let Some(&reason) = verdict.reasons.first() {
            let mut ev = self.audit(ctx, AuditKind::StepRejected);
            ev.reason = Some(reason);
            return Ok(Transition::refuse(self, reason, vec![Effect::Audit(ev)]));
        }
        self.state = ResetState::Completed;
        let ev = self.audit(ctx, AuditKind::PasswordChanged);
        Ok(Transition::ok(
            self,
            vec![
                Effect::SetPassword(password),
                Effect::ResetCompleted,
                Effect::Audit(ev),
            ],
        ))
    }

    /// Turns the flow into a blocked one (the engine does this when a counter hits its limit).
    pub fn block(mut self, until: u64) -> Self {
        self.state = ResetState::Blocked { until };
        self
    }
}

impl<'a> ResetContext<'a> {
    fn entropy_port(&self) -> &'a dyn crate::ports::Randomness {
        self.entropy.port()
    }
}

/// The options a real user is offered: every registered method the requirement allows, in
/// order, with masked destinations.
pub fn options_for(
    info: &SecurityInfo,
    methods: &[Method],
    questions_needed: u8,
) -> Vec<OfferedOption> {
    let mut out = Vec::new();
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
            out.push(OfferedOption { option, masked });
        }
    }
    out
}

/// How many distinct factors a list of options covers.
pub fn factor_count(options: &[OfferedOption]) -> usize {
    let mut f: Vec<Factor> = options.iter().map(|o| o.option.factor()).collect();
    f.sort_unstable();
    f.dedup();
    f.len()
}

/// Plausible options for a decoy: the policy's email and phone methods (questions if needed to
/// reach the gate count), with masked destinations derived from `seed` so the same identifier
/// always shows the same screen.
pub fn decoy_options(policy: &Policy, seed: &[u8]) -> Vec<OfferedOption> {
    let methods = &policy.reset().methods;
    let gates = usize::from(policy.reset().methods_required);
    let mut chosen: Vec<Method> = methods
        .iter()
        .copied()
        .filter(|m| matches!(m, Method::Email | Method::MobilePhone))
        .collect();
    for m in methods {
        if chosen.len() >= gates.max(1) {
            break;
        }
        if !m.is_app() && !chosen.contains(m) {
            chosen.push(*m);
        }
    }
    let byte = |i: usize| seed.get(i % seed.len().max(1)).copied().unwrap_or(7);
    let letters = |i: usize| char::from(b'a' + byte(i) % 26);
    const PROVIDERS: [&str; 5] = [
        "outlook.com",
        "gmail.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
    ];
    let email = format!(
        "{}{}{}@{}",
        letters(0),
        letters(1),
        "*".repeat(5 + usize::from(byte(2) % 6)),
        PROVIDERS[usize::from(byte(3)) % PROVIDERS.len()]
    );
    let phone = format!("+1 XXXXXXXX{:02}", byte(4) % 100);
    let office = format!("+1 XXXXXXXX{:02}", byte(5) % 100);
    let mut out = Vec::new();
    for m in chosen {
        for &option in m.options() {
            let masked = match option {
                ResetOption::Email => Some(email.clone()),
                ResetOption::MobileText | ResetOption::MobileCall => Some(phone.clone()),
                ResetOption::OfficeCall => Some(office.clone()),
                _ => None,
            };
            out.push(OfferedOption { option, masked });
        }
    }
    out
}
