//! The errors the bindings raise: one flat type, no personal data.

use sspr_core::{Error, InputError};

/// An sspr error. Messages name what was wrong, never the value (no address, number, code or
/// secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SsprError {
    /// The API was used wrongly (a bad key, bad hashing cost, a step in the wrong place).
    #[error("API misuse: {detail}")]
    Misuse {
        /// What was wrong.
        detail: String,
    },
    /// Input from outside was malformed or hostile.
    #[error("invalid input: {detail}")]
    Input {
        /// What was wrong.
        detail: String,
    },
    /// No flow has this id: it never existed, or it expired (answer 404, or start over).
    #[error("no such flow (it may have expired)")]
    UnknownFlow,
    /// A policy document is invalid.
    #[error("invalid policy at {field}: {detail}")]
    Policy {
        /// The dotted path at fault (empty when the document does not parse).
        field: String,
        /// What is wrong there.
        detail: String,
    },
    /// A port failed; the flow is as it was before the step.
    #[error("{port} failed ({kind}): {detail}")]
    Port {
        /// Which port (`directory`, `flow store`, ...).
        port: String,
        /// `unavailable`, `conflict`, `rejected` or `contract`.
        kind: String,
        /// A short description for logs.
        detail: String,
    },
}

impl From<Error> for SsprError {
    fn from(e: Error) -> Self {
        match e {
            Error::Input(InputError::Policy(p)) => Self::Policy {
                detail: p.to_string(),
                field: p.field,
            },
            Error::Input(InputError::UnknownFlow) => Self::UnknownFlow,
            Error::Input(i) => Self::Input {
                detail: i.to_string(),
            },
            Error::Misuse(m) => Self::Misuse {
                detail: m.to_string(),
            },
            Error::Port(p) => Self::Port {
                port: p.port.to_string(),
                kind: p.kind.id().to_owned(),
                detail: p.message,
            },
            other => Self::Misuse {
                detail: other.to_string(),
            },
        }
    }
}

impl From<InputError> for SsprError {
    fn from(e: InputError) -> Self {
        Error::Input(e).into()
    }
}

impl From<sspr_core::MisuseError> for SsprError {
    fn from(e: sspr_core::MisuseError) -> Self {
        Error::Misuse(e).into()
    }
}

impl From<sspr_core::PolicyError> for SsprError {
    fn from(e: sspr_core::PolicyError) -> Self {
        Error::Input(InputError::Policy(e)).into()
    }
}

/// What a port implemented in Kotlin or Swift throws. Any other exception thrown by a port
/// arrives as [`PortException::Unavailable`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PortException {
    /// The backend could not be reached; retrying later may succeed.
    #[error("unavailable: {detail}")]
    Unavailable {
        /// For logs; no personal data.
        detail: String,
    },
    /// A compare-and-set lost: the record changed since it was read.
    #[error("conflict: {detail}")]
    Conflict {
        /// For logs.
        detail: String,
    },
    /// The backend refused for good (quota, invalid destination, permission).
    #[error("rejected: {detail}")]
    Rejected {
        /// For logs; no personal data.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for PortException {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // The foreign exception's text may hold anything: only say that one was thrown.
        Self::Unavailable {
            detail: "the port threw an unexpected exception".to_owned(),
        }
    }
}

impl PortException {
    /// The core port error for a failure of `port`.
    pub(crate) fn into_core(self, port: sspr_core::PortName) -> sspr_core::PortError {
        use sspr_core::{PortError, PortErrorKind};
        match self {
            Self::Unavailable { detail } => {
                PortError::new(port, PortErrorKind::Unavailable, detail)
            }
            Self::Conflict { .. } => PortError::conflict(port),
            Self::Rejected { detail } => PortError::new(port, PortErrorKind::Rejected, detail),
        }
    }
}
