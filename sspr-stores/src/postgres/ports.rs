//! The five ports on PostgreSQL, each call one statement. The SQL is the SQLite backend's, in
//! PostgreSQL's dialect (`$n` parameters, `LEAST`/`GREATEST`). Every statement goes with its
//! parameters' types (`query_typed`), so it is parsed, bound and run in one round trip instead
//! of a prepare, an execute and a close.

use std::sync::Arc;

use sspr_core::audit::AuditEvent;
use sspr_core::ports::{
    AuditSink, ConsumeOnceSet, CounterState, CounterStore, FlowStore, Record, SecurityInfoStore,
};
use sspr_core::{PortError, PortErrorKind, PortName, UserId};

use r2d2_postgres::postgres::types::Type;

use super::{Inner, port_error};
use crate::purged::{PURGE_GRACE_S, Purged};
use crate::time::{count_from_db, from_db, to_db};

pub(crate) struct PgFlowStore(pub(crate) Arc<Inner>);
pub(crate) struct PgSecurityInfoStore(pub(crate) Arc<Inner>);
pub(crate) struct PgCounterStore(pub(crate) Arc<Inner>);
pub(crate) struct PgConsumeOnceSet(pub(crate) Arc<Inner>);
pub(crate) struct PgAuditSink(pub(crate) Arc<Inner>);

fn record(port: PortName, data: String, version: i64) -> Result<Record, PortError> {
    let version = u64::try_from(version)
        .map_err(|_| PortError::new(port, PortErrorKind::Contract, "a negative version"))?;
    Ok(Record { data, version })
}

/// Reads column `i` of `row`, a type mismatch being a contract error.
fn col<'a, T: r2d2_postgres::postgres::types::FromSql<'a>>(
    row: &'a r2d2_postgres::postgres::Row,
    i: usize,
    port: PortName,
) -> Result<T, PortError> {
    row.try_get(i).map_err(|_| {
        PortError::new(
            port,
            PortErrorKind::Contract,
            "PostgreSQL: a stored value of the wrong type",
        )
    })
}

impl FlowStore for PgFlowStore {
    /// One `SELECT` of an unexpired row.
    fn load(&self, flow_id: String) -> Result<Option<Record>, PortError> {
        const P: PortName = PortName::FlowStore;
        let now = self.0.now()?;
        let mut c = self.0.conn(P)?;
        let rows = c
            .query_typed(
                &format!(
                    "SELECT data, version FROM {} WHERE key = $1 AND expires_at > $2",
                    self.0.t("flows")
                ),
                &[(&flow_id, Type::TEXT), (&now, Type::INT8)],
            )
            .map_err(|e| port_error(P, &e))?;
        rows.first()
            .map(|r| record(P, col(r, 0, P)?, col(r, 1, P)?))
            .transpose()
    }

    /// Version 0: one insert that takes the key only if it is free or expired; otherwise one
    /// update conditional on the version and on the row being unexpired.
    fn save(
        &self,
        flow_id: String,
        data: String,
        expected_version: u64,
        expires_at: u64,
    ) -> Result<(), PortError> {
        const P: PortName = PortName::FlowStore;
        let now = self.0.now()?;
        let mut c = self.0.conn(P)?;
        let table = self.0.t("flows");
        let expires = to_db(expires_at);
        let changed = if expected_version == 0 {
            c.execute_typed(
                &format!(
                    "INSERT INTO {table} (key, data, version, expires_at) VALUES ($1, $2, 1, $3)
                     ON CONFLICT (key) DO UPDATE SET data = excluded.data, version = 1,
                         expires_at = excluded.expires_at
                     WHERE {table}.expires_at <= $4"
                ),
                &[
                    (&flow_id, Type::TEXT),
                    (&data, Type::TEXT),
                    (&expires, Type::INT8),
                    (&now, Type::INT8),
                ],
            )
        } else {
            let expected = i64::try_from(expected_version).map_err(|_| PortError::conflict(P))?;
            c.execute_typed(
                &format!(
                    "UPDATE {table} SET data = $2, version = version + 1, expires_at = $3
                     WHERE key = $1 AND version = $4 AND expires_at > $5"
                ),
                &[
                    (&flow_id, Type::TEXT),
                    (&data, Type::TEXT),
                    (&expires, Type::INT8),
                    (&expected, Type::INT8),
                    (&now, Type::INT8),
                ],
            )
        }
        .map_err(|e| port_error(P, &e))?;
        if changed == 1 {
            Ok(())
        } else {
            Err(PortError::conflict(P))
        }
    }

    /// One `DELETE`.
    fn delete(&self, flow_id: String) -> Result<(), PortError> {
        const P: PortName = PortName::FlowStore;
        let mut c = self.0.conn(P)?;
        c.execute_typed(
            &format!("DELETE FROM {} WHERE key = $1", self.0.t("flows")),
            &[(&flow_id, Type::TEXT)],
        )
        .map_err(|e| port_error(P, &e))?;
        Ok(())
    }
}

impl SecurityInfoStore for PgSecurityInfoStore {
    /// One `SELECT`.
    fn load(&self, user: UserId) -> Result<Option<Record>, PortError> {
        const P: PortName = PortName::SecurityInfoStore;
        let mut c = self.0.conn(P)?;
        let rows = c
            .query_typed(
                &format!(
                    "SELECT data, version FROM {} WHERE user_id = $1",
                    self.0.t("security_info")
                ),
                &[(&user.as_str(), Type::TEXT)],
            )
            .map_err(|e| port_error(P, &e))?;
        rows.first()
            .map(|r| record(P, col(r, 0, P)?, col(r, 1, P)?))
            .transpose()
    }

    /// Version 0: one insert that fails on an existing row; otherwise one update conditional on
    /// the version.
    fn save(&self, user: UserId, data: String, expected_version: u64) -> Result<(), PortError> {
        const P: PortName = PortName::SecurityInfoStore;
        let mut c = self.0.conn(P)?;
        let table = self.0.t("security_info");
        let changed = if expected_version == 0 {
            c.execute_typed(
                &format!(
                    "INSERT INTO {table} (user_id, data, version) VALUES ($1, $2, 1)
                     ON CONFLICT (user_id) DO NOTHING"
                ),
                &[(&user.as_str(), Type::TEXT), (&data, Type::TEXT)],
            )
        } else {
            let expected = i64::try_from(expected_version).map_err(|_| PortError::conflict(P))?;
            c.execute_typed(
                &format!(
                    "UPDATE {table} SET data = $2, version = version + 1
                     WHERE user_id = $1 AND version = $3"
                ),
                &[
                    (&user.as_str(), Type::TEXT),
                    (&data, Type::TEXT),
                    (&expected, Type::INT8),
                ],
            )
        }
        .map_err(|e| port_error(P, &e))?;
        if changed == 1 {
            Ok(())
        } else {
            Err(PortError::conflict(P))
        }
    }
}

fn state(
    count: i64,
    window_end: i64,
    blocked: Option<i64>,
    now: u64,
) -> Result<CounterState, PortError> {
    const P: PortName = PortName::CounterStore;
    let window_end = from_db(window_end, P)?;
    let count = count_from_db(count, P)?;
    let blocked_until = match blocked {
        Some(b) => Some(from_db(b, P)?).filter(|&b| b > now),
        None => None,
    };
    Ok(CounterState {
        count: if now < window_end { count } else { 0 },
        blocked_until,
    })
}

impl CounterStore for PgCounterStore {
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<CounterState, PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        let table = self.0.t("counters");
        let (t, end) = (to_db(now), to_db(now.saturating_add(window_s)));
        let row = c
            .query_typed_one(
                &format!(
                    "INSERT INTO {table} AS c (key, count, window_start, window_end, blocked_until)
                     VALUES ($1, 1, $2, $3, NULL)
                     ON CONFLICT (key) DO UPDATE SET
                         count = CASE WHEN $2 >= c.window_end THEN 1
                                      ELSE LEAST(c.count + 1, 4294967295) END,
                         window_start = CASE WHEN $2 >= c.window_end THEN $2
                                             ELSE c.window_start END,
                         window_end = CASE WHEN $2 >= c.window_end THEN $3 ELSE c.window_end END
                     RETURNING count, window_end, blocked_until"
                ),
                &[(&key, Type::TEXT), (&t, Type::INT8), (&end, Type::INT8)],
            )
            .map_err(|e| port_error(P, &e))?;
        state(col(&row, 0, P)?, col(&row, 1, P)?, col(&row, 2, P)?, now)
    }

    fn get(&self, key: String, now: u64) -> Result<CounterState, PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        let rows = c
            .query_typed(
                &format!(
                    "SELECT count, window_end, blocked_until FROM {} WHERE key = $1",
                    self.0.t("counters")
                ),
                &[(&key, Type::TEXT)],
            )
            .map_err(|e| port_error(P, &e))?;
        match rows.first() {
            Some(r) => state(col(r, 0, P)?, col(r, 1, P)?, col(r, 2, P)?, now),
            None => Ok(CounterState::default()),
        }
    }

    /// One `SELECT … WHERE key = ANY($1)`.
    fn get_many(&self, keys: Vec<String>, now: u64) -> Result<Vec<CounterState>, PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        let rows = c
            .query_typed(
                &format!(
                    "SELECT key, count, window_end, blocked_until FROM {} WHERE key = ANY($1)",
                    self.0.t("counters")
                ),
                &[(&keys, Type::TEXT_ARRAY)],
            )
            .map_err(|e| port_error(P, &e))?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for r in &rows {
            let key: String = col(r, 0, P)?;
            found.insert(
                key,
                state(col(r, 1, P)?, col(r, 2, P)?, col(r, 3, P)?, now)?,
            );
        }
        Ok(keys
            .iter()
            .map(|k| found.get(k).copied().unwrap_or_default())
            .collect())
    }

    fn release(&self, key: String, now: u64) -> Result<(), PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        c.execute_typed(
            &format!(
                "UPDATE {} SET count = count - 1
                 WHERE key = $1 AND count > 0 AND window_start <= $2 AND $2 < window_end",
                self.0.t("counters")
            ),
            &[(&key, Type::TEXT), (&to_db(now), Type::INT8)],
        )
        .map_err(|e| port_error(P, &e))?;
        Ok(())
    }

    fn block(&self, key: String, until: u64) -> Result<u64, PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        let table = self.0.t("counters");
        let row = c
            .query_typed_one(
                &format!(
                    "INSERT INTO {table} AS c (key, count, window_start, window_end, blocked_until)
                     VALUES ($1, 0, 0, 0, $2)
                     ON CONFLICT (key) DO UPDATE SET
                         blocked_until = GREATEST(COALESCE(c.blocked_until, 0), $2)
                     RETURNING blocked_until"
                ),
                &[(&key, Type::TEXT), (&to_db(until), Type::INT8)],
            )
            .map_err(|e| port_error(P, &e))?;
        from_db(col(&row, 0, P)?, P)
    }

    fn clear(&self, key: String) -> Result<(), PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        c.execute_typed(
            &format!("DELETE FROM {} WHERE key = $1", self.0.t("counters")),
            &[(&key, Type::TEXT)],
        )
        .map_err(|e| port_error(P, &e))?;
        Ok(())
    }
}

impl ConsumeOnceSet for PgConsumeOnceSet {
    /// One insert; `true` if it took the pair. A consumed value stays consumed until a purge
    /// removes it, an hour past its expiry.
    fn consume(&self, namespace: String, key: String, expires_at: u64) -> Result<bool, PortError> {
        const P: PortName = PortName::ConsumeOnce;
        let mut c = self.0.conn(P)?;
        let table = self.0.t("consumed");
        let changed = c
            .execute_typed(
                &format!(
                    "INSERT INTO {table} (namespace, key, expires_at) VALUES ($1, $2, $3)
                     ON CONFLICT (namespace, key) DO NOTHING"
                ),
                &[
                    (&namespace, Type::TEXT),
                    (&key, Type::TEXT),
                    (&to_db(expires_at), Type::INT8),
                ],
            )
            .map_err(|e| port_error(P, &e))?;
        Ok(changed == 1)
    }
}

impl AuditSink for PgAuditSink {
    /// One insert into the append-only table.
    fn record(&self, event: AuditEvent) -> Result<(), PortError> {
        const P: PortName = PortName::Audit;
        let json = serde_json::to_string(&event)
            .map_err(|_| PortError::new(P, PortErrorKind::Contract, "an unserialisable event"))?;
        let kind = serde_json::to_value(event.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut c = self.0.conn(P)?;
        c.execute_typed(
            &format!(
                "INSERT INTO {} (at, kind, event) VALUES ($1, $2, $3)",
                self.0.t("audit")
            ),
            &[
                (&to_db(event.at), Type::INT8),
                (&kind, Type::TEXT),
                (&json, Type::TEXT),
            ],
        )
        .map_err(|e| port_error(P, &e))?;
        Ok(())
    }
}

/// The newest `limit` audit events, newest first.
pub(crate) fn newest_events(inner: &Inner, limit: u32) -> Result<Vec<String>, PortError> {
    const P: PortName = PortName::Audit;
    let mut c = inner.conn(P)?;
    let rows = c
        .query_typed(
            &format!(
                "SELECT event FROM {} ORDER BY id DESC LIMIT $1",
                inner.t("audit")
            ),
            &[(&i64::from(limit), Type::INT8)],
        )
        .map_err(|e| port_error(P, &e))?;
    rows.iter().map(|r| col(r, 0, P)).collect()
}

/// Deletes what has expired at the clock's now (consumed values and counter windows only
/// [`PURGE_GRACE_S`] past their end).
pub(crate) fn purge(inner: &Inner) -> Result<Purged, PortError> {
    let now = inner.now()?;
    let grace = to_db(PURGE_GRACE_S);
    let mut c = inner.conn(PortName::FlowStore)?;
    let mut run = |sql: String, port: PortName| -> Result<u64, PortError> {
        c.execute_typed(&sql, &[(&now, Type::INT8)])
            .map_err(|e| port_error(port, &e))
    };
    Ok(Purged {
        flows: run(
            format!("DELETE FROM {} WHERE expires_at <= $1", inner.t("flows")),
            PortName::FlowStore,
        )?,
        consumed: run(
            format!(
                "DELETE FROM {} WHERE expires_at <= $1::BIGINT - {grace}",
                inner.t("consumed")
            ),
            PortName::ConsumeOnce,
        )?,
        counters: run(
            format!(
                "DELETE FROM {} WHERE window_end <= $1::BIGINT - {grace} AND \
                 (blocked_until IS NULL OR blocked_until <= $1)",
                inner.t("counters")
            ),
            PortName::CounterStore,
        )?,
    })
}
