//! What the engine returns: the screens of both wizards and the outcome of each step.
//!
//! A view carries the flow id (the bearer token the client sends back) and its reference (a
//! keyed hash that cannot resume the flow); `Debug` shows only the reference.

use std::fmt;

use serde::Serialize;

use crate::effect::Provisioning;
use crate::error::PortError;
use crate::method::{Method, ResetOption};
use crate::password::PasswordVerdict;
use crate::reason::Reason;
use crate::registration::RegistrationScreen;
use crate::reset::{OfferedOption, ResetScreen};

/// What the reset screen shows.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ResetView {
    /// The flow's id, to pass back with the next step. A bearer token: never log it.
    pub flow_id: String,
    /// The flow's reference, as audit events name it (safe to log).
    pub flow_ref: String,
    /// The screen (`choose_method`, `enter_code`, …; compares with its id as a string).
    pub state: ResetScreen,
    /// The gate being passed (1-based).
    pub gate: u8,
    /// Gates in all.
    pub gates: u8,
    /// The options offered at this gate, with masked destinations.
    pub options: Vec<OfferedOption>,
    /// The options the policy allows that this user cannot use (nothing registered for
    /// them), in screen order: show them marked unavailable, never hide them. Decoys list
    /// theirs the same way.
    pub unavailable: Vec<ResetOption>,
    /// The option being answered (in `enter_code`, `answer_questions`, `await_approval`).
    pub option: Option<ResetOption>,
    /// The security questions asked, when answering them.
    pub questions: Vec<String>,
    /// The number to show for push number matching.
    pub approval_number: Option<u8>,
    /// Seconds until a block ends (`None` while locked until a help desk unblocks).
    pub retry_after: Option<u64>,
    /// When the flow expires.
    pub expires_at: u64,
    /// The help desk's contact (policy `help_desk.contact`) when the user is stuck: blocked,
    /// locked, expired, or refused for a reason no retry mends ([`Reason::needs_help`](crate::Reason::needs_help)); `None` otherwise
    /// or when the policy names none.
    pub help_desk: Option<String>,
}

impl fmt::Debug for ResetView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetView")
            .field("flow_ref", &self.flow_ref)
            .field("state", &self.state)
            .field("gate", &self.gate)
            .field("gates", &self.gates)
            .field("options", &self.options)
            .field("unavailable", &self.unavailable)
            .field("option", &self.option)
            .field("questions", &self.questions.len())
            .field("retry_after", &self.retry_after)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The result of a reset step. It serialises as a JSON API would return it (ids as strings,
/// the view with its flow id, warnings as port, kind and message).
#[derive(Debug, Clone, Serialize)]
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
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationView {
    /// The flow's id. A bearer token: never log it.
    pub flow_id: String,
    /// The flow's reference (safe to log).
    pub flow_ref: String,
    /// The screen: `prove_identity`, `proving`, `registering`, `verifying`, `done`, `expired`
    /// or `cancelled` (compares with its id as a string).
    pub state: RegistrationScreen,
    /// Registered methods (policy names) the user may use.
    pub registered: Vec<Method>,
    /// Distinct factors still needed before finishing.
    pub still_needed: usize,
    /// The method waiting for its verification code.
    pub pending: Option<Method>,
    /// Where the pending method's code went, masked (`+1 XXXXXXXX23`,
    /// `ca*********@fabrikam.example`): "We just sent a code to …". None for the app.
    pub pending_to: Option<String>,
    /// The default method: the one registered first unless the user changed it (for a record
    /// without one, its first registered method in the policy's order).
    pub default_method: Option<Method>,
    /// The registered methods as the "security info" list and the success screen show them:
    /// the default first, then the policy's order, with masked destinations.
    pub methods: Vec<RegisteredMethod>,
    /// The registered methods the user may prove (in `prove_identity`), masked.
    pub proof_options: Vec<OfferedOption>,
    /// The option being proved (in `proving`).
    pub proof_option: Option<ResetOption>,
    /// The security questions to answer, when proving with them.
    pub questions: Vec<String>,
    /// The number to show for push number matching: proving with the app's notification, or
    /// the test notification of an app being set up.
    pub approval_number: Option<u8>,
    /// When the flow expires.
    pub expires_at: u64,
    /// The help desk's contact when the user is stuck (as [`ResetView::help_desk`]).
    pub help_desk: Option<String>,
}

impl fmt::Debug for RegistrationView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationView")
            .field("flow_ref", &self.flow_ref)
            .field("state", &self.state)
            .field("registered", &self.registered)
            .field("still_needed", &self.still_needed)
            .field("pending", &self.pending)
            .field("pending_to", &self.pending_to)
            .field("default_method", &self.default_method)
            .field("methods", &self.methods)
            .field("proof_options", &self.proof_options)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A registered method as the wizard lists it (masked: safe to show and to log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredMethod {
    /// The method (policy name).
    pub method: Method,
    /// The masked destination (`al*********@fabrikam.example`, `+1 XXXXXXXX00`) of an email
    /// or a phone; `None` for the authenticator app and security questions.
    pub masked: Option<String>,
    /// Whether it is the default method.
    pub default: bool,
}

/// The result of changing a known password ([`Engine::change_password`](super::Engine::change_password)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PasswordChangeOutcome {
    /// Whether the new password is in force.
    pub changed: bool,
    /// Why not: `reauth.failed` (the old password), `user.blocked`, `user.locked`, a
    /// `password.*` rule, or `password.refused` (the directory's own).
    pub rejection: Option<Reason>,
    /// Seconds until a blocked user may try again.
    pub retry_after: Option<u64>,
    /// The verdict on the new password, once the old one checked out.
    pub password: Option<PasswordVerdict>,
    /// Port failures after the change (a notice not delivered): the change stands.
    pub warnings: Vec<PortError>,
    /// The help desk's contact when the user is stuck.
    pub help_desk: Option<String>,
}

/// The result of a registration step. It serialises as a JSON API would return it; the
/// provisioning data in it is the authenticator secret, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrationOutcome {
    /// The wizard after the step (`None` when re-authentication failed).
    pub view: Option<RegistrationView>,
    /// Why the step was refused.
    pub rejection: Option<Reason>,
    /// Seconds until the refused action may be retried.
    pub retry_after: Option<u64>,
    /// What to show once when registering an authenticator app.
    pub provisioning: Option<Provisioning>,
    /// The recovery codes just made (`RegistrationInput::RecoveryCodes`), to show once: the user
    /// writes them down; sspr keeps only their keyed digests.
    pub recovery_codes: Vec<crate::SecretString>,
    /// Failures after the step was committed.
    pub warnings: Vec<PortError>,
}

/// The check made at every sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SignInCheck {
    /// The user must register security info (or re-confirm it) before going on: the policy's
    /// `registration.require_on_sign_in` is on, too little is registered or reconfirmation is
    /// due, and the user has not put it off ([`Engine::snooze_registration`](super::Engine::snooze_registration)).
    pub registration_required: bool,
    /// The user should re-confirm their security info.
    pub reconfirm_due: bool,
    /// `reauth.failed` when the password is wrong, `user.blocked` when too many
    /// re-authentications failed (then both flags are false).
    pub rejection: Option<Reason>,
    /// Seconds until a blocked user may try again.
    pub retry_after: Option<u64>,
    /// The user may put registration off now ("not now":
    /// [`Engine::snooze_registration`](super::Engine::snooze_registration)): it is required,
    /// the policy allows snoozing (`registration.snooze_days` not 0), snoozes are left, and
    /// the user is no administrator.
    pub may_snooze: bool,
    /// Snoozes left before registering is required (`None`: without limit; `Some(0)` for
    /// administrators and when the policy allows none).
    pub snoozes_left: Option<u32>,
}

/// The result of putting registration off ([`Engine::snooze_registration`](super::Engine::snooze_registration)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnoozeOutcome {
    /// `snooze.unavailable` when the user may not put it off now (nothing was saved).
    pub rejection: Option<Reason>,
    /// Until when sign-in does not ask (Unix seconds), when snoozed.
    pub snoozed_until: Option<u64>,
    /// Snoozes left after this one (`None`: without limit).
    pub snoozes_left: Option<u32>,
    /// Failures after the snooze was saved (it stands regardless).
    pub warnings: Vec<PortError>,
}

/// The result of redeeming a "this wasn't me" token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportOutcome {
    /// `notice.invalid` when the token is unknown, used or expired.
    pub rejection: Option<Reason>,
    /// Until when self-service is blocked for the user (when the report was taken).
    pub blocked_until: Option<u64>,
    /// Failures after the report was taken (it stands regardless).
    pub warnings: Vec<PortError>,
}
