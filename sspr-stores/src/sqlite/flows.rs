//! [`FlowStore`] on SQLite: compare-and-set as a conditional update on the version; an
//! expired flow is invisible at once (it does not load, and a new flow may take its key).

use std::sync::Arc;

use r2d2_sqlite::rusqlite::{OptionalExtension, params};
use sspr_core::ports::{FlowStore, Record};
use sspr_core::{PortError, PortErrorKind, PortName};

use super::{Inner, port_error};
use crate::time::to_db;

const PORT: PortName = PortName::FlowStore;

pub(crate) struct SqliteFlowStore(pub(crate) Arc<Inner>);

impl FlowStore for SqliteFlowStore {
    /// One `SELECT` of an unexpired row.
    fn load(&self, flow_id: String) -> Result<Option<Record>, PortError> {
        let now = self.0.now()?;
        let conn = self.0.conn(PORT)?;
        let row: Option<(String, i64)> = conn
            .query_row(
                &format!(
                    "SELECT data, version FROM {} WHERE key = ?1 AND expires_at > ?2",
                    self.0.t("flows")
                ),
                params![flow_id, now],
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

    /// Version 0: one insert that takes the key only if it is free or expired. Otherwise one
    /// update conditional on the version and on the row being unexpired. Atomic in SQLite.
    fn save(
        &self,
        flow_id: String,
        data: String,
        expected_version: u64,
        expires_at: u64,
    ) -> Result<(), PortError> {
        let now = self.0.now()?;
        let conn = self.0.conn(PORT)?;
        let table = self.0.t("flows");
        let changed = if expected_version == 0 {
            conn.execute(
                &format!(
                    "INSERT INTO {table} (key, data, version, expires_at) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT (key) DO UPDATE SET data = excluded.data, version = 1,
                         expires_at = excluded.expires_at
                     WHERE {table}.expires_at <= ?4"
                ),
                params![flow_id, data, to_db(expires_at), now],
            )
        } else {
            let expected =
                i64::try_from(expected_version).map_err(|_| PortError::conflict(PORT))?;
            conn.execute(
                &format!(
                    "UPDATE {table} SET data = ?2, version = version + 1, expires_at = ?3
                     WHERE key = ?1 AND version = ?4 AND expires_at > ?5"
                ),
                params![flow_id, data, to_db(expires_at), expected, now],
            )
        }
        .map_err(|e| port_error(PORT, &e))?;
        if changed == 1 {
            Ok(())
        } else {
            Err(PortError::conflict(PORT))
        }
    }

    /// One `DELETE`.
    fn delete(&self, flow_id: String) -> Result<(), PortError> {
        let conn = self.0.conn(PORT)?;
        conn.execute(
            &format!("DELETE FROM {} WHERE key = ?1", self.0.t("flows")),
            [flow_id],
        )
        .map_err(|e| port_error(PORT, &e))?;
        Ok(())
    }
}
