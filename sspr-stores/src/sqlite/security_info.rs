//! [`SecurityInfoStore`] on SQLite: compare-and-set as a conditional update on the version.
//! The records arrive sealed by the engine.

use std::sync::Arc;

use r2d2_sqlite::rusqlite::{OptionalExtension, params};
use sspr_core::ports::{Record, SecurityInfoStore};
use sspr_core::{PortError, PortErrorKind, PortName, UserId};

use super::{Inner, port_error};

const PORT: PortName = PortName::SecurityInfoStore;

pub(crate) struct SqliteSecurityInfoStore(pub(crate) Arc<Inner>);

impl SecurityInfoStore for SqliteSecurityInfoStore {
    /// One `SELECT`.
    fn load(&self, user: UserId) -> Result<Option<Record>, PortError> {
        let conn = self.0.conn(PORT)?;
        let row: Option<(String, i64)> = conn
            .query_row(
                &format!(
                    "SELECT data, version FROM {} WHERE user_id = ?1",
                    self.0.t("security_info")
                ),
                [user.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| port_error(PORT, &e))?;
        row.map(|(data, version)| {
            let version = u64::try_from(version)
                .map_err(|_| PortError::new(PORT, PortErrorKind::Contract, "a negative version"))?;
            Ok(Record { data, version })
        })
        .transpose()
    }

    /// Version 0: one insert that fails on an existing row. Otherwise one update conditional on
    /// the version. Atomic in SQLite.
    fn save(&self, user: UserId, data: String, expected_version: u64) -> Result<(), PortError> {
        let conn = self.0.conn(PORT)?;
        let table = self.0.t("security_info");
        let changed = if expected_version == 0 {
            conn.execute(
                &format!(
                    "INSERT INTO {table} (user_id, data, version) VALUES (?1, ?2, 1)
                     ON CONFLICT (user_id) DO NOTHING"
                ),
                params![user.as_str(), data],
            )
        } else {
            let expected =
                i64::try_from(expected_version).map_err(|_| PortError::conflict(PORT))?;
            conn.execute(
                &format!(
                    "UPDATE {table} SET data = ?2, version = version + 1
                     WHERE user_id = ?1 AND version = ?3"
                ),
                params![user.as_str(), data, expected],
            )
        }
        .map_err(|e| port_error(PORT, &e))?;
        if changed == 1 {
            Ok(())
        } else {
            Err(PortError::conflict(PORT))
        }
    }
}
