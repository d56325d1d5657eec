//! PostgreSQL errors as port errors: no SQL text and no value, only what kind of failure.

use r2d2_postgres::postgres::{self, error::SqlState};
use sspr_core::{PortError, PortErrorKind, PortName};

/// A port error for a failed statement. A closed connection, an unreachable server, a
/// serialization failure or a deadlock are `Unavailable` (retrying may succeed); a value of the
/// wrong type read back is `Contract`.
pub(crate) fn port_error(port: PortName, e: &postgres::Error) -> PortError {
    if e.is_closed() {
        return PortError::new(
            port,
            PortErrorKind::Unavailable,
            "PostgreSQL: the connection closed",
        );
    }
    if let Some(db) = e.as_db_error() {
        let what = match *db.code() {
            SqlState::T_R_SERIALIZATION_FAILURE | SqlState::T_R_DEADLOCK_DETECTED => {
                "a transaction lost a race"
            }
            SqlState::ADMIN_SHUTDOWN | SqlState::CRASH_SHUTDOWN | SqlState::CANNOT_CONNECT_NOW => {
                "the server is shutting down"
            }
            SqlState::DISK_FULL | SqlState::OUT_OF_MEMORY => "the server is out of space",
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE => "a value out of range",
            _ => "a statement failed",
        };
        return PortError::new(
            port,
            PortErrorKind::Unavailable,
            format!("PostgreSQL: {what}"),
        );
    }
    let text = e.to_string();
    if text.contains("error deserializing") || text.contains("invalid type") {
        return PortError::new(
            port,
            PortErrorKind::Contract,
            "PostgreSQL: a stored value of the wrong type",
        );
    }
    PortError::new(
        port,
        PortErrorKind::Unavailable,
        "PostgreSQL: a call failed",
    )
}
