//! Versioned migrations, applied on open in one immediate transaction each.
//!
//! The `<prefix>schema` table holds the version. A migration is never edited once released:
//! changes are new migrations appended to [`MIGRATIONS`].

use r2d2_sqlite::rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::StoreError;

/// The migrations, in order; `{p}` is the table prefix. Version n is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[
    // 1: the five stores.
    "CREATE TABLE {p}flows (
         key TEXT PRIMARY KEY,
         data TEXT NOT NULL,
         version INTEGER NOT NULL,
         expires_at INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX {p}flows_expiry ON {p}flows (expires_at);
     CREATE TABLE {p}security_info (
         user_id TEXT PRIMARY KEY,
         data TEXT NOT NULL,
         version INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE {p}counters (
         key TEXT PRIMARY KEY,
         count INTEGER NOT NULL,
         window_start INTEGER NOT NULL,
         window_end INTEGER NOT NULL,
         blocked_until INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX {p}counters_expiry ON {p}counters (window_end);
     CREATE TABLE {p}consumed (
         namespace TEXT NOT NULL,
         key TEXT NOT NULL,
         expires_at INTEGER NOT NULL,
         PRIMARY KEY (namespace, key)
     ) WITHOUT ROWID;
     CREATE INDEX {p}consumed_expiry ON {p}consumed (expires_at);
     CREATE TABLE {p}audit (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         at INTEGER NOT NULL,
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
pub(crate) fn version(conn: &Connection, prefix: &str) -> Result<i64, StoreError> {
    let exists: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [format!("{prefix}schema")],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| failed(0, &e))?;
    if exists.is_none() {
        return Ok(0);
    }
    conn.query_row(&format!("SELECT version FROM {prefix}schema"), [], |r| {
        r.get(0)
    })
    .optional()
    .map(|v| v.unwrap_or(0))
    .map_err(|e| failed(0, &e))
}

/// Applies every migration the database lacks. Safe to run from several processes at once:
/// each migration runs in an immediate (write-locked) transaction that re-reads the version.
pub(crate) fn migrate(conn: &mut Connection, prefix: &str) -> Result<(), StoreError> {
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| failed(0, &e))?;
        tx.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {prefix}schema (version INTEGER NOT NULL)"
        ))
        .map_err(|e| failed(0, &e))?;
        let at = version(&tx, prefix)?;
        if at > CURRENT {
            return Err(StoreError::SchemaTooNew {
                found: at,
                known: CURRENT,
            });
        }
        if at == CURRENT {
            return Ok(());
        }
        let next = at + 1;
        let sql = MIGRATIONS
            .get(usize::try_from(at).unwrap_or(usize::MAX))
            .ok_or_else(|| failed(next, &"no such migration"))?;
        tx.execute_batch(&sql.replace("{p}", prefix))
            .map_err(|e| failed(next, &e))?;
        tx.execute(&format!("DELETE FROM {prefix}schema"), [])
            .map_err(|e| failed(next, &e))?;
        tx.execute(
            &format!("INSERT INTO {prefix}schema (version) VALUES (?1)"),
            [next],
        )
        .map_err(|e| failed(next, &e))?;
        tx.commit().map_err(|e| failed(next, &e))?;
    }
}
