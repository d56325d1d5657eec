//! Redis errors as port errors: no command, key or value, only what kind of failure.

use sspr_core::{PortError, PortErrorKind, PortName};

/// The error code the scripts reply with when a stored value is not what sspr wrote.
pub(crate) const DATA_ERROR: &str = "SSPRDATA";

/// A port error for a failed call. A refused, dropped or timed-out connection, a server that
/// is loading or read-only, or one out of memory is `Unavailable` (retrying may succeed); a
/// key of the wrong type or a stored value that is not what sspr wrote is `Contract`.
pub(crate) fn port_error(port: PortName, e: &::redis::RedisError) -> PortError {
    let unavailable =
        |what: &str| PortError::new(port, PortErrorKind::Unavailable, format!("Redis: {what}"));
    let contract =
        |what: &str| PortError::new(port, PortErrorKind::Contract, format!("Redis: {what}"));
    if e.is_timeout() {
        return unavailable("the call timed out");
    }
    if e.is_connection_refusal() {
        return unavailable("the server refused the connection");
    }
    if e.is_connection_dropped() || e.is_io_error() {
        return unavailable("the connection closed");
    }
    match e.code() {
        Some(DATA_ERROR) => contract("a stored value is not what sspr wrote"),
        Some("WRONGTYPE") => contract("a key of the wrong type"),
        Some("LOADING") => unavailable("the server is loading its data"),
        Some("READONLY") => unavailable("the server is a read-only replica"),
        Some("OOM") => unavailable("the server is out of memory"),
        Some("MASTERDOWN") | Some("TRYAGAIN") | Some("CLUSTERDOWN") => {
            unavailable("the server cannot serve the call now")
        }
        Some("NOAUTH") | Some("WRONGPASS") | Some("NOPERM") => {
            unavailable("the server refused the credentials")
        }
        _ => match e.kind() {
            ::redis::ErrorKind::UnexpectedReturnType | ::redis::ErrorKind::Parse => {
                contract("a reply of the wrong type")
            }
            _ => unavailable("a call failed"),
        },
    }
}
