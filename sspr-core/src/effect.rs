//! What a transition asks the engine to do, and what it tells the caller.
//!
//! Transitions are pure: they return the new flow, a list of [`Effect`]s and a rejection. The
//! [`Engine`](crate::engine::Engine) carries the effects out through the ports, in this order:
//! guards (consume-once, authenticator step, counters: they may turn the step into a refusal
//! or a block), then deliveries and directory changes, then the compare-and-set save of the
//! flow, then the after-commit effects (notifications, session revocation, counters, audit).

use crate::audit::AuditEvent;
use crate::ports::{Channel, Message};
use crate::reason::Reason;
use crate::secret::SecretString;

/// One thing the engine must do for a step.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Effect {
    /// Guard: consume a one-time value; if it was already consumed, the step is re-run as a
    /// refusal.
    Consume {
        /// Namespace (purpose).
        namespace: String,
        /// The value's key (its seal).
        key: String,
        /// When the value dies anyway.
        expires_at: u64,
    },
    /// Guard: record the authenticator step just accepted, by compare-and-set on the user's
    /// security info; a lost race re-runs the step, which then sees a replay.
    AdvanceTotp {
        /// The accepted step.
        step: u64,
        /// The security-info version the step was checked against.
        info_version: u64,
    },
    /// Guard: count a failed verification against the identifier's limits (may block).
    CountFailure,
    /// Guard: count a message about to be sent against the send limits (may block, in which
    /// case nothing is sent).
    CountSend {
        /// How it travels.
        channel: Channel,
        /// Where to (counted per destination too).
        destination: String,
    },
    /// Guard: save the user's security info by compare-and-set against `expected_version`; a lost
    /// race re-runs the step.
    SaveSecurityInfo {
        /// The new security info.
        info: Box<crate::security_info::SecurityInfo>,
        /// The version it was derived from (0: none yet).
        expected_version: u64,
    },
    /// Before commit: deliver a message. A failure leaves the flow as it was.
    Deliver(Message),
    /// Before commit: set the new password (idempotent per flow).
    SetPassword(SecretString),
    /// Before commit: unlock the account.
    Unlock,
    /// After commit: a reset completed (notify, revoke sessions and other flows, clear counters).
    ResetCompleted,
    /// After commit: the user's security info changed; tell them at these addresses.
    NotifySecurityInfoChanged(Vec<String>),
    /// After commit: record an audit event.
    Audit(AuditEvent),
}

impl Effect {
    /// The guard that consumes an accepted code.
    pub fn consume_code(
        purpose: crate::keyring::Purpose,
        issued: &crate::code::IssuedCode,
    ) -> Self {
        Self::Consume {
            namespace: crate::code::namespace(purpose),
            key: issued.seal.tag.clone(),
            expires_at: issued.expires_at,
        }
    }

    /// Counting, then delivering, a message: the send is counted against the limits first and
    /// dropped if that blocks.
    pub fn send(message: Message) -> [Self; 2] {
        [
            Self::CountSend {
                channel: message.channel,
                destination: message.to.clone(),
            },
            Self::Deliver(message),
        ]
    }
}

/// The result of a pure transition.
#[derive(Debug, Clone)]
pub struct Transition<F> {
    /// The flow after the step.
    pub flow: F,
    /// What the engine must do.
    pub effects: Vec<Effect>,
    /// Why the step was refused, if it was.
    pub rejection: Option<Reason>,
    /// Seconds until the refused action may be tried again, where that is known.
    pub retry_after: Option<u64>,
    /// What to show the user once when an authenticator app is being registered.
    pub provisioning: Option<Provisioning>,
}

/// What the "scan the QR code" screen shows: the new authenticator secret, its `otpauth://`
/// URI and (with the `qr` feature) an SVG QR code of it. Shown once; never stored in clear
/// outside the pending flow.
#[derive(Clone)]
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

impl<F> Transition<F> {
    /// A step that changed the flow without refusal.
    pub fn ok(flow: F, effects: Vec<Effect>) -> Self {
        Self {
            flow,
            effects,
            rejection: None,
            retry_after: None,
            provisioning: None,
        }
    }

    /// A refused step.
    pub fn refuse(flow: F, reason: Reason, effects: Vec<Effect>) -> Self {
        Self {
            flow,
            effects,
            rejection: Some(reason),
            retry_after: None,
            provisioning: None,
        }
    }
}
