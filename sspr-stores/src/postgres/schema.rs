//! Versioned migrations, applied on open, one transaction each, serialised between instances
//! by a transaction-level advisory lock.

use r2d2_postgres::postgres::Client;

use crate::error::StoreError;

/// The migrations, in order; `{p}` is the table prefix. Version n is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[
    // 1: the five stores.
    "CREATE TABLE {p}flows (
         key TEXT PRIMARY KEY,
         data TEXT NOT NULL,
         version BIGINT NOT NULL,
         expires_at BIGINT NOT NULL
     );
     CREATE INDEX {p}flows_expiry ON {p}flows (expires_at);
     CREATE TABLE {p}security_info (
         user_id TEXT PRIMARY KEY,
         data TEXT NOT NULL,
         version BIGINT NOT NULL
     );
     CREATE TABLE {p}counters (
         key TEXT PRIMARY KEY,
         count BIGINT NOT NULL,
         window_start BIGINT NOT NULL,
         window_end BIGINT NOT NULL,
         blocked_until BIGINT
     );
     CREATE INDEX {p}counters_expiry ON {p}counters (window_end);
     CREATE TABLE {p}consumed (
         namespace TEXT NOT NULL,
         key TEXT NOT NULL,
         expires_at BIGINT NOT NULL,
         PRIMARY KEY (namespace, key)
     );
     CREATE INDEX {p}consumed_expiry ON {p}consumed (expires_at);
     CREATE TABLE {p}audit (
         id BIGSERIAL PRIMARY KEY,
         at BIGINT NOT NULL,
         kind TEXT NOT NULL,
         event TEXT NOT NULL
     );",
];

/// The newest schema version this release applies.
pub(crate) const CURRENT: i64 = MIGRATIONS.len() as i64;

fn failed(version: i64, e: &impl std::fmt::Display) -> StoreError {
    StoreError::Migration {
        version,
        message: e.to_string(),
    }
}

/// The version the database is at (0: nothing applied yet).
pub(crate) fn version(conn: &mut Client, prefix: &str) -> Result<i64, StoreError> {
    let row = conn
        .query_one(
            "SELECT to_regclass($1)::text",
            &[&format!("{prefix}schema")],
        )
        .map_err(|e| failed(0, &e))?;
    let exists: Option<String> = row.try_get(0).map_err(|e| failed(0, &e))?;
    if exists.is_none() {
        return Ok(0);
    }
    let rows = conn
        .query(&format!("SELECT version FROM {prefix}schema"), &[])
        .map_err(|e| failed(0, &e))?;
    rows.first()
        .map_or(Ok(0), |r| r.try_get::<_, i64>(0))
        .map_err(|e| failed(0, &e))
}

/// Applies every migration the database lacks. Instances opening at once wait on an advisory
/// lock keyed by the prefix, and each re-reads the version under it.
pub(crate) fn migrate(conn: &mut Client, prefix: &str) -> Result<(), StoreError> {
    loop {
        let mut tx = conn.transaction().map_err(|e| failed(0, &e))?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("sspr-migrate/{prefix}")],
        )
        .map_err(|e| failed(0, &e))?;
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {prefix}schema (version BIGINT NOT NULL)"
        ))
        .map_err(|e| failed(0, &e))?;
        let rows = tx
            .query(&format!("SELECT version FROM {prefix}schema"), &[])
            .map_err(|e| failed(0, &e))?;
        let at: i64 = rows
            .first()
            .map_or(Ok(0), |r| r.try_get::<_, i64>(0))
            .map_err(|e| failed(0, &e))?;
        if at > CURRENT {
            return Err(StoreError::SchemaTooNew {
                found: at,
                known: CURRENT,
            });
        }
        if at == CURRENT {
            tx.commit().map_err(|e| failed(at, &e))?;
            return Ok(());
        }
        let next = at + 1;
        let sql = MIGRATIONS
            .get(usize::try_from(at).unwrap_or(usize::MAX))
            .ok_or_else(|| failed(next, &"no such migration"))?;
        tx.batch_execute(&sql.replace("{p}", prefix))
            .map_err(|e| failed(next, &e))?;
        tx.execute(&format!("DELETE FROM {prefix}schema"), &[])
            .map_err(|e| failed(next, &e))?;
        tx.execute(
            &format!("INSERT INTO {prefix}schema (version) VALUES ($1)"),
            &[&next],
        )
        .map_err(|e| failed(next, &e))?;
        tx.commit().map_err(|e| failed(next, &e))?;
    }
}
