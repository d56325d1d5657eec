//! What a transition asks the engine to do, phase by phase, and what it tells the caller.
//!
//! Transitions are pure: they return the new flow and, in separate fields, what must happen in
//! each phase of the step. The [`Engine`](crate::engine::Engine) carries them out in this
//! order, and a `match` over each phase's type is exhaustive, so a new effect cannot compile
//! and silently do nothing:
//!
//! 1. the **attempt** was reserved before the transition ran (see [`Admission`]); its
//!    [`Verdict`] settles the reservation (a success gives it back, a failure may block);
//! 2. [`Guard`]s: consume-once, the authenticator's last step, security-info saves, send
//!    counters. Any of them may turn the step into a refusal, a block or a retry;
//! 3. the compare-and-set **save** of the flow;
//! 4. [`Outbox`] actions, only after the save: deliveries and directory changes. If one
//!    fails, the flow is put back as it was before the step and the step reports the error,
//!    so nothing is ever delivered that the saved flow does not hold;
//! 5. [`After`]-commit effects: notices, session revocation, counters, audit. Their failures
//!    are warnings; the step stands.

use crate::audit::AuditEvent;
use crate::ports::{Channel, Message, PasswordChange};
use crate::reason::Reason;
use crate::secret::SecretString;
use crate::security_info::SecurityInfo;

/// A limit of one challenge (one code, one app-code window, one question draw, one push
/// request): how many comparisons it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChallengeLimit {
    /// The challenge's stored reference (a keyed hash).
    pub reference: String,
    /// Comparisons allowed against it.
    pub max: u32,
    /// How long its counter lives, in seconds.
    pub window_s: u64,
}

/// What the engine must reserve before a verification attempt is compared. `challenge` is
/// `None` for attempts that only count against the user's limits (re-authentication, a
/// redraw of security questions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttemptSpec {
    /// The challenge's own limit.
    pub challenge: Option<ChallengeLimit>,
}

/// Why an attempt was refused without being compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The challenge's own comparisons are spent.
    ChallengeSpent,
    /// The user (or client) is blocked until then.
    Blocked(u64),
    /// Self-service is locked after too many failures in a row.
    Locked,
}

impl Refusal {
    /// The reason id the user sees.
    pub(crate) fn reason(self) -> Reason {
        match self {
            Self::ChallengeSpent => Reason::CodeExhausted,
            Self::Blocked(_) => Reason::UserBlocked,
            Self::Locked => Reason::UserLocked,
        }
    }
}

/// What the engine reserved for this step, as the transition sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Admission {
    /// The step is not a verification attempt.
    #[default]
    NotAnAttempt,
    /// Compare: the attempt holds its place in every limit.
    Admitted,
    /// Do not compare.
    Refused(Refusal),
}

/// How a compared attempt turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Right: the reservation in the user's failure limits is given back.
    Verified,
    /// Wrong: the reservation stands, and blocks when it spent a limit.
    Failed,
}

/// Phase 2: checks and writes before the flow is saved.
#[derive(Debug, Clone)]
pub(crate) enum Guard {
    /// Record the authenticator step just accepted, by compare-and-set on the user's
    /// security info; a lost race re-runs the step, which then sees a replay.
    AdvanceTotp {
        /// The credential that accepted it: an index into the user's apps, then tokens
        /// (`SecurityInfo::code_credentials`).
        app: usize,
        /// The accepted step.
        step: u64,
        /// The security-info version the step was checked against.
        info_version: u64,
    },
    /// Save the user's security info by compare-and-set; a lost race re-runs the step. Once
    /// saved, the notices are delivered (the change happened, whatever the flow save does).
    SaveSecurityInfo {
        /// The new security info.
        info: Box<SecurityInfo>,
        /// The version it was derived from (0: none yet).
        expected_version: u64,
        /// Who is told, and how.
        notices: Vec<Notice>,
    },
    /// Count a message about to be sent against the send limits (may block, in which case
    /// nothing is sent).
    CountSend(SendCount),
    /// Spend the recovery code just accepted: remove its digest by compare-and-set on the
    /// user's security info; a lost race re-runs the step, which then finds it spent.
    SpendRecoveryCode {
        /// The digest of the accepted code.
        digest: String,
        /// The security-info version the code was checked against.
        info_version: u64,
    },
}

/// A send to count: the channel, the destination's stored reference and, for texts and
/// calls, the calling code (for the country budget).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendCount {
    /// How it travels.
    pub channel: Channel,
    /// The destination's reference (a keyed hash).
    pub destination: String,
    /// The country calling code of a phone destination.
    pub country: Option<String>,
}

/// A security notice to deliver once the change it reports is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    /// How it travels.
    pub channel: Channel,
    /// Where to.
    pub to: String,
}

/// Phase 4: done only after the flow is saved; a failure puts the flow back.
#[derive(Debug, Clone)]
pub(crate) enum Outbox {
    /// Deliver a message (a code, an approval request).
    Deliver(Message),
    /// Apply a new password (the flow was saved as `setting_password` first).
    SetPassword(PasswordChange),
    /// Unlock the account.
    Unlock,
}

/// Phase 5: after the commit; failures are warnings.
#[derive(Debug, Clone)]
pub(crate) enum After {
    /// A reset completed: notify, revoke sessions, clear counters.
    ResetCompleted,
    /// Record an audit event.
    Audit(AuditEvent),
}

/// The result of a pure transition.
#[derive(Debug, Clone)]
pub(crate) struct Transition<F> {
    /// The flow after the step.
    pub flow: F,
    /// How the compared attempt turned out, if the step was one.
    pub verdict: Option<Verdict>,
    /// Phase 2.
    pub guards: Vec<Guard>,
    /// Phase 4.
    pub outbox: Vec<Outbox>,
    /// Phase 5.
    pub after: Vec<After>,
    /// Why the step was refused, if it was.
    pub rejection: Option<Reason>,
    /// Seconds until the refused action may be tried again, where that is known.
    pub retry_after: Option<u64>,
    /// What to show the user once when an authenticator app is being registered.
    pub provisioning: Option<Provisioning>,
    /// Recovery codes just made, to show once.
    pub recovery_codes: Vec<crate::secret::SecretString>,
}

impl<F> Transition<F> {
    /// A step that changed the flow without refusal.
    pub(crate) fn ok(flow: F) -> Self {
        Self {
            flow,
            verdict: None,
            guards: Vec::new(),
            outbox: Vec::new(),
            after: Vec::new(),
            rejection: None,
            retry_after: None,
            provisioning: None,
            recovery_codes: Vec::new(),
        }
    }

    /// A refused step.
    pub(crate) fn refuse(flow: F, reason: Reason) -> Self {
        let mut t = Self::ok(flow);
        t.rejection = Some(reason);
        t
    }

    /// Adds an audit event.
    pub(crate) fn audit(mut self, event: AuditEvent) -> Self {
        self.after.push(After::Audit(event));
        self
    }

    /// Sets the attempt's verdict.
    pub(crate) fn verdict(mut self, v: Verdict) -> Self {
        self.verdict = Some(v);
        self
    }

    /// Adds a guard.
    pub(crate) fn guard(mut self, g: Guard) -> Self {
        self.guards.push(g);
        self
    }
}

/// What the "scan the QR code" screen shows: the new authenticator secret, its `otpauth://`
/// URI and (with the `qr` feature) an SVG QR code of it. Shown once; never stored in clear
/// outside the pending flow.
#[derive(Clone, serde::Serialize)]
pub struct Provisioning {
    /// The secret in base32, for "can't scan the QR image?".
    pub secret_b32: SecretString,
    /// The `otpauth://totp/` URI.
    pub uri: SecretString,
    /// An SVG QR code of the URI, when the `qr` feature is on.
    pub qr_svg: Option<String>,
}

impl std::fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisioning").finish_non_exhaustive()
    }
}
