//! [`AuditSink`] on SQLite: an append-only table of events as JSON.

use std::sync::Arc;

use r2d2_sqlite::rusqlite::params;
use sspr_core::audit::AuditEvent;
use sspr_core::ports::AuditSink;
use sspr_core::{PortError, PortErrorKind, PortName};

use super::{Inner, port_error};
use crate::time::to_db;

const PORT: PortName = PortName::Audit;

pub(crate) struct SqliteAuditSink(pub(crate) Arc<Inner>);

impl AuditSink for SqliteAuditSink {
    /// One insert.
    fn record(&self, event: AuditEvent) -> Result<(), PortError> {
        let json = serde_json::to_string(&event).map_err(|_| {
            PortError::new(PORT, PortErrorKind::Contract, "an unserialisable event")
        })?;
        let kind = serde_json::to_value(event.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let conn = self.0.conn(PORT)?;
        conn.execute(
            &format!(
                "INSERT INTO {} (at, kind, event) VALUES (?1, ?2, ?3)",
                self.0.t("audit")
            ),
            params![to_db(event.at), kind, json],
        )
        .map_err(|e| port_error(PORT, &e))?;
        Ok(())
    }
}

/// The newest `limit` events, newest first.
pub(crate) fn newest(inner: &Inner, limit: u32) -> Result<Vec<String>, PortError> {
    let conn = inner.conn(PORT)?;
    let mut stmt = conn
        .prepare(&format!(
            "SELECT event FROM {} ORDER BY id DESC LIMIT ?1",
            inner.t("audit")
        ))
        .map_err(|e| port_error(PORT, &e))?;
    let rows = stmt
        .query_map([limit], |r| r.get::<_, String>(0))
        .map_err(|e| port_error(PORT, &e))?;
    rows.map(|r| r.map_err(|e| port_error(PORT, &e))).collect()
}
