//! [`CounterStore`] on SQLite: each call is one statement. An increment is one upsert that
//! opens a new window or adds one, and returns the state (`RETURNING`); a release is one
//! conditional update; a block is one upsert keeping the later end.

use std::sync::Arc;

use r2d2_sqlite::rusqlite::{OptionalExtension, params};

use sspr_core::PortError;
use sspr_core::PortName;
use sspr_core::ports::{CounterState, CounterStore};

use super::{Inner, port_error};
use crate::time::{count_from_db, from_db, to_db};

const PORT: PortName = PortName::CounterStore;

pub(crate) struct SqliteCounterStore(pub(crate) Arc<Inner>);

/// The most keys one `get_many` statement binds (SQLite allows 32,766 parameters).
const MAX_KEYS_A_READ: usize = 500;

/// The state from a stored count, window end and block, at `now`.
fn state(
    count: i64,
    window_end: i64,
    blocked: Option<i64>,
    now: u64,
) -> Result<CounterState, PortError> {
    let window_end = from_db(window_end, PORT)?;
    let count = count_from_db(count, PORT)?;
    let blocked_until = match blocked {
        Some(b) => Some(from_db(b, PORT)?).filter(|&b| b > now),
        None => None,
    };
    Ok(CounterState {
        count: if now < window_end { count } else { 0 },
        blocked_until,
    })
}

impl CounterStore for SqliteCounterStore {
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<CounterState, PortError> {
        let conn = self.0.conn(PORT)?;
        let table = self.0.t("counters");
        let end = to_db(now.saturating_add(window_s));
        // `query_one` steps the statement to its end, so a failed commit is an error here.
        let (count, window_end, blocked): (i64, i64, Option<i64>) = conn
            .query_one(
                &format!(
                    "INSERT INTO {table} (key, count, window_start, window_end, blocked_until)
                     VALUES (?1, 1, ?2, ?3, NULL)
                     ON CONFLICT (key) DO UPDATE SET
                         count = CASE WHEN ?2 >= window_end THEN 1
                                      ELSE MIN(count + 1, 4294967295) END,
                         window_start = CASE WHEN ?2 >= window_end THEN ?2 ELSE window_start END,
                         window_end = CASE WHEN ?2 >= window_end THEN ?3 ELSE window_end END
                     RETURNING count, window_end, blocked_until"
                ),
                params![key, to_db(now), end],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| port_error(PORT, &e))?;
        state(count, window_end, blocked, now)
    }

    fn get(&self, key: String, now: u64) -> Result<CounterState, PortError> {
        let conn = self.0.conn(PORT)?;
        let row: Option<(i64, i64, Option<i64>)> = conn
            .query_row(
                &format!(
                    "SELECT count, window_end, blocked_until FROM {} WHERE key = ?1",
                    self.0.t("counters")
                ),
                [key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| port_error(PORT, &e))?;
        match row {
            Some((count, end, blocked)) => state(count, end, blocked, now),
            None => Ok(CounterState::default()),
        }
    }

    /// One `SELECT … WHERE key IN (…)` (at most [`MAX_KEYS_A_READ`] keys a statement).
    fn get_many(&self, keys: Vec<String>, now: u64) -> Result<Vec<CounterState>, PortError> {
        let conn = self.0.conn(PORT)?;
        let mut found = std::collections::HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(MAX_KEYS_A_READ) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT key, count, window_end, blocked_until FROM {} WHERE key IN ({marks})",
                    self.0.t("counters")
                ))
                .map_err(|e| port_error(PORT, &e))?;
            let rows = stmt
                .query_map(r2d2_sqlite::rusqlite::params_from_iter(chunk), |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(|e| port_error(PORT, &e))?;
            for row in rows {
                let (key, count, end, blocked) = row.map_err(|e| port_error(PORT, &e))?;
                found.insert(key, state(count, end, blocked, now)?);
            }
        }
        Ok(keys
            .iter()
            .map(|k| found.get(k).copied().unwrap_or_default())
            .collect())
    }

    fn release(&self, key: String, now: u64) -> Result<(), PortError> {
        let conn = self.0.conn(PORT)?;
        conn.execute(
            &format!(
                "UPDATE {} SET count = count - 1
                 WHERE key = ?1 AND count > 0 AND window_start <= ?2 AND ?2 < window_end",
                self.0.t("counters")
            ),
            params![key, to_db(now)],
        )
        .map_err(|e| port_error(PORT, &e))?;
        Ok(())
    }

    fn block(&self, key: String, until: u64) -> Result<u64, PortError> {
        let conn = self.0.conn(PORT)?;
        let table = self.0.t("counters");
        let end: i64 = conn
            .query_one(
                &format!(
                    "INSERT INTO {table} (key, count, window_start, window_end, blocked_until)
                     VALUES (?1, 0, 0, 0, ?2)
                     ON CONFLICT (key) DO UPDATE SET
                         blocked_until = MAX(COALESCE(blocked_until, 0), ?2)
                     RETURNING blocked_until"
                ),
                params![key, to_db(until)],
                |r| r.get(0),
            )
            .map_err(|e| port_error(PORT, &e))?;
        from_db(end, PORT)
    }

    fn clear(&self, key: String) -> Result<(), PortError> {
        let conn = self.0.conn(PORT)?;
        conn.execute(
            &format!("DELETE FROM {} WHERE key = ?1", self.0.t("counters")),
            [key],
        )
        .map_err(|e| port_error(PORT, &e))?;
        Ok(())
    }
}
