//! Errors, sorted by whose fault they are.
//!
//! sspr keeps three kinds of failure apart, because a host reacts to each differently:
//!
//! * [`MisuseError`]: the host application called the API wrongly. A bug to fix in the host.
//! * [`InputError`]: something that came from outside (a policy document, a stored record, a
//!   request field) is malformed or hostile. Report it, keep going.
//! * [`PortError`]: a port (storage, delivery, directory, CAPTCHA, …) failed. Usually transient:
//!   retry later; sspr never loses or half-applies state because of it.
//!
//! Outcomes a *user* causes (a wrong code, a weak password, a block) are not errors at all:
//! they are [`Reason`](crate::Reason) ids returned as part of a normal result.
//!
//! No error message or `Debug` output contains a secret, a code, an address or a phone number.

use std::fmt;

use crate::policy::PolicyError;

/// Any failure of an sspr call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The host application used the API wrongly.
    #[error("API misuse: {0}")]
    Misuse(#[from] MisuseError),
    /// Input from outside was malformed or hostile.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    /// A port failed.
    #[error("{0}")]
    Port(#[from] PortError),
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        Self::Input(InputError::Policy(e))
    }
}

/// The host application called the API in a way it documents as wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MisuseError {
    /// An argument is outside what the function accepts.
    #[error("argument `{name}` {problem}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// What is wrong with it, without echoing its value.
        problem: String,
    },
    /// A key ring was built with no key in it.
    #[error("the key ring holds no key")]
    EmptyKeyRing,
}

/// Input from outside sspr was malformed or hostile. Messages never echo the input itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A policy document is invalid; the error names the field.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A value does not have the form its kind requires.
    #[error("{what} is malformed: {problem}")]
    Malformed {
        /// Which kind of value (for example "email address").
        what: &'static str,
        /// What is wrong, without echoing the value.
        problem: &'static str,
    },
    /// A value is longer than sspr accepts for its kind.
    #[error("{what} is longer than {max} characters")]
    TooLong {
        /// Which kind of value.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// No flow has this id: it never existed, or it expired and was purged. A web host answers
    /// 404 (or starts over); it is not a fault of the store.
    #[error("no such flow (it may have expired)")]
    UnknownFlow,
    /// A stored record could not be read back (corrupt, or written by an unknown format).
    #[error("stored {what} is unreadable: {problem}")]
    CorruptRecord {
        /// Which kind of record.
        what: &'static str,
        /// What is wrong.
        problem: String,
    },
}

impl InputError {
    /// Which kind of value was at fault (`"email address"`, `"flow id"`, `"policy"`, …), for
    /// a host that reports the field without parsing the message.
    pub fn what(&self) -> &'static str {
        match self {
            Self::Policy(_) => "policy",
            Self::Malformed { what, .. }
            | Self::TooLong { what, .. }
            | Self::CorruptRecord { what, .. } => what,
            Self::UnknownFlow => "flow id",
        }
    }
}

/// Which port failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PortName {
    /// [`Clock`](crate::ports::Clock).
    Clock,
    /// [`Randomness`](crate::ports::Randomness).
    Randomness,
    /// [`Directory`](crate::ports::Directory).
    Directory,
    /// [`SecurityInfoStore`](crate::ports::SecurityInfoStore).
    SecurityInfoStore,
    /// [`FlowStore`](crate::ports::FlowStore).
    FlowStore,
    /// [`CounterStore`](crate::ports::CounterStore).
    CounterStore,
    /// [`ConsumeOnceSet`](crate::ports::ConsumeOnceSet).
    ConsumeOnce,
    /// [`Notifier`](crate::ports::Notifier).
    Notifier,
    /// [`CaptchaVerifier`](crate::ports::CaptchaVerifier).
    Captcha,
    /// [`BreachChecker`](crate::ports::BreachChecker).
    BreachChecker,
    /// [`AuditSink`](crate::ports::AuditSink).
    Audit,
}

impl PortName {
    /// The port's stable id, as audit events and the bindings name it (`flow_store`, …).
    pub const fn id(self) -> &'static str {
        match self {
            Self::Clock => "clock",
            Self::Randomness => "randomness",
            Self::Directory => "directory",
            Self::SecurityInfoStore => "security_info_store",
            Self::FlowStore => "flow_store",
            Self::CounterStore => "counter_store",
            Self::ConsumeOnce => "consume_once",
            Self::Notifier => "notifier",
            Self::Captcha => "captcha",
            Self::BreachChecker => "breach_checker",
            Self::Audit => "audit",
        }
    }
}

impl fmt::Display for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Clock => "clock",
            Self::Randomness => "randomness",
            Self::Directory => "directory",
            Self::SecurityInfoStore => "security-info store",
            Self::FlowStore => "flow store",
            Self::CounterStore => "counter store",
            Self::ConsumeOnce => "consume-once set",
            Self::Notifier => "notifier",
            Self::Captcha => "CAPTCHA verifier",
            Self::BreachChecker => "breached-password checker",
            Self::Audit => "audit sink",
        };
        f.write_str(name)
    }
}

/// How a port failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PortErrorKind {
    /// The backend could not be reached or did not answer; retrying later may succeed.
    Unavailable,
    /// A compare-and-set lost: the record changed since it was read. Reload and retry.
    Conflict,
    /// The backend refused the request for good (quota, invalid destination, permission).
    Rejected,
    /// The backend returned something that breaks the port's contract.
    Contract,
}

impl PortErrorKind {
    /// The kind's stable id: `unavailable`, `conflict`, `rejected` or `contract`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Conflict => "conflict",
            Self::Rejected => "rejected",
            Self::Contract => "contract",
        }
    }
}

/// A port failed. `message` is written by the port implementation and must, like everything in
/// sspr's errors, carry no personal data or secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{port} failed ({kind:?}): {message}")]
pub struct PortError {
    /// Which port.
    pub port: PortName,
    /// How it failed.
    pub kind: PortErrorKind,
    /// A short description for logs.
    pub message: String,
}

impl PortError {
    /// A port error of the given kind.
    pub fn new(port: PortName, kind: PortErrorKind, message: impl Into<String>) -> Self {
        Self {
            port,
            kind,
            message: message.into(),
        }
    }

    /// The backend is unavailable.
    pub fn unavailable(port: PortName, message: impl Into<String>) -> Self {
        Self::new(port, PortErrorKind::Unavailable, message)
    }

    /// A compare-and-set lost.
    pub fn conflict(port: PortName) -> Self {
        Self::new(
            port,
            PortErrorKind::Conflict,
            "the record changed since it was read",
        )
    }

    /// Whether this error is a lost compare-and-set.
    pub fn is_conflict(&self) -> bool {
        self.kind == PortErrorKind::Conflict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_serialised_names() {
        use PortName as P;
        for p in [
            P::Clock,
            P::Randomness,
            P::Directory,
            P::SecurityInfoStore,
            P::FlowStore,
            P::CounterStore,
            P::ConsumeOnce,
            P::Notifier,
            P::Captcha,
            P::BreachChecker,
            P::Audit,
        ] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.id());
        }
        use PortErrorKind as K;
        for k in [K::Unavailable, K::Conflict, K::Rejected, K::Contract] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.id());
        }
    }

    #[test]
    fn input_errors_name_what_was_at_fault_without_the_value() {
        assert_eq!(InputError::UnknownFlow.what(), "flow id");
        let e = InputError::TooLong {
            what: "identifier",
            max: 256,
        };
        assert_eq!(e.what(), "identifier");
        assert!(!InputError::UnknownFlow.to_string().contains("nope"));
    }
}
