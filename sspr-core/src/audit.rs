//! Audit events: a typed record of every step and outcome, for the host's security log.
//!
//! Events carry masked destinations only (`al*********@fabrikam.example`, `+1 XXXXXXXX00`),
//! never a code, answer, password, full address or number, and name a flow by its reference
//! (a keyed hash of the flow id), never by the id: the id is a bearer token that resumes the
//! flow, the reference cannot.

use serde::{Deserialize, Serialize};

use crate::method::{Method, ResetOption};
use crate::reason::Reason;
use crate::user::UserId;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditKind {
    /// A reset flow started (identifier and CAPTCHA accepted).
    ResetStarted,
    /// A reset step was refused (see `reason`). For a code, answer or push number this means it
    /// was compared and found wrong.
    StepRejected,
    /// A verification attempt was refused *without comparing it*: a limit was already spent
    /// (`reason`: `code.exhausted`, `user.blocked` or `user.locked`).
    AttemptRefused,
    /// The user chose an option at a gate.
    OptionChosen,
    /// A code or approval request was handed to the notifier.
    ChallengeSent,
    /// The whole phone number typed before a text or a call was not the one on file: nothing
    /// was sent (the user sees the same screen as after a send).
    PhoneNumberMismatch,
    /// A gate was passed.
    FactorVerified,
    /// The user was blocked by a throttle.
    UserBlocked,
    /// Self-service was locked after too many failures in a row.
    UserLocked,
    /// A help desk lifted the user's blocks.
    AccountUnblocked,
    /// A new password was set.
    PasswordChanged,
    /// The account was unlocked without a password change.
    AccountUnlocked,
    /// The flow was cancelled.
    FlowCancelled,
    /// The flow expired.
    FlowExpired,
    /// The flow was ended by a later reset, change of security info or "this wasn't me" report.
    FlowRevoked,
    /// The user said a change was not theirs ("this wasn't me"): flows and sessions revoked,
    /// self-service blocked.
    NoticeReported,
    /// The user proved a registered method before changing security info.
    IdentityProven,
    /// The sign-in check ran.
    SignInChecked,
    /// A registration session started after re-authentication.
    RegistrationStarted,
    /// A method was registered (after verification where it needs one).
    MethodRegistered,
    /// A method was removed.
    MethodRemoved,
    /// The user finished registering or re-confirmed their info.
    RegistrationFinished,
    /// A port failed during a step; the step can be retried.
    PortFailed,
    /// The engine's policy was replaced (`actor`: who; `changed`: the dotted paths of the
    /// fields that changed).
    PolicyChanged,
    /// A help desk set a temporary password, to be changed at the next sign-in (`actor`).
    TemporaryPasswordSet,
    /// A help desk issued a temporary access pass (`actor`).
    AccessPassIssued,
    /// A temporary access pass proved the user's identity in the registration wizard.
    AccessPassUsed,
    /// The user changed a known password.
    PasswordChangedByUser,
    /// The user put registration off at sign-in ("not now").
    RegistrationSnoozed,
    /// An administrator assigned a hardware OATH token to the user (`actor`).
    HardwareTokenImported,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditEvent {
    /// When (Unix seconds).
    pub at: u64,
    /// What happened.
    pub kind: AuditKind,
    /// The reference of the flow it happened in (not its id: see the module docs).
    pub flow_ref: Option<String>,
    /// The user, once known. Decoy flows have none.
    pub user: Option<UserId>,
    /// The reset option involved.
    pub option: Option<ResetOption>,
    /// The registration method involved.
    pub method: Option<Method>,
    /// The masked destination involved.
    pub destination: Option<String>,
    /// The reason of a refusal.
    pub reason: Option<Reason>,
    /// The client address or fingerprint the host passed in, if any.
    pub client: Option<String>,
    /// Who acted, for help-desk and administrative actions (the host's id of its agent).
    #[serde(default)]
    pub actor: Option<String>,
    /// What changed: the dotted paths of the policy fields a replacement changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

impl AuditEvent {
    /// An event of `kind` at `at` with every other field empty.
    pub fn new(at: u64, kind: AuditKind) -> Self {
        Self {
            at,
            kind,
            flow_ref: None,
            user: None,
            option: None,
            method: None,
            destination: None,
            reason: None,
            client: None,
            actor: None,
            changed: Vec::new(),
        }
    }

    /// The event as one line of JSON (what the bindings hand their language's audit sinks):
    /// ids as strings, absent fields as `null`.
    pub fn to_json(&self) -> String {
        // Every field is a string, a number or an id enum: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_ids_as_strings_and_absent_fields_as_null() {
        let mut e = AuditEvent::new(1_750_000_000, AuditKind::StepRejected);
        e.reason = Some(Reason::CodeMismatch);
        e.option = Some(ResetOption::Email);
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["kind"], "step_rejected");
        assert_eq!(v["reason"], "code.mismatch");
        assert_eq!(v["option"], "email");
        assert_eq!(v["at"], 1_750_000_000);
        assert!(v["user"].is_null() && v["destination"].is_null());
        let back: AuditEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
