//! SQLite errors as port errors: no SQL text and no value, only what kind of failure it was.

use r2d2_sqlite::rusqlite::{self, ErrorCode};
use sspr_core::{PortError, PortErrorKind, PortName};

/// A port error for a failed statement. Busy and locked databases, I/O errors and a full disk
/// are `Unavailable` (retrying may succeed); a value of the wrong type read back is `Contract`.
pub(crate) fn port_error(port: PortName, e: &rusqlite::Error) -> PortError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => {
            let what = match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => "the database is busy",
                ErrorCode::DiskFull => "the disk is full",
                ErrorCode::SystemIoFailure => "an I/O error",
                ErrorCode::CannotOpen => "the database cannot be opened",
                ErrorCode::ReadOnly => "the database is read-only",
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => "the database is corrupt",
                _ => "a statement failed",
            };
            PortError::new(port, PortErrorKind::Unavailable, format!("SQLite: {what}"))
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..) => PortError::new(
            port,
            PortErrorKind::Contract,
            "SQLite: a stored value of the wrong type",
        ),
        _ => PortError::new(port, PortErrorKind::Unavailable, "SQLite: a call failed"),
    }
}
