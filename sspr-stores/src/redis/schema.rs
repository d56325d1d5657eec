//! The key layout's version, recorded under `<prefix>schema`, and the server checks made on
//! open.

use ::redis::Connection;

use crate::error::StoreError;

/// The layout this release writes. Version 1: flows, security info and counters as hashes,
/// consumed values as strings, audit events in a stream.
pub(crate) const CURRENT: i64 = 1;

fn failed(version: i64, e: &impl std::fmt::Display) -> StoreError {
    StoreError::Migration {
        version,
        message: e.to_string(),
    }
}

/// The version the database is at (0: nothing recorded yet).
pub(crate) fn version(conn: &mut Connection, prefix: &str) -> Result<i64, StoreError> {
    let v: Option<String> = ::redis::cmd("GET")
        .arg(format!("{prefix}schema"))
        .query(conn)
        .map_err(|e| failed(0, &e))?;
    match v {
        None => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| failed(0, &"the recorded schema version is not a number")),
    }
}

/// Records the layout's version if none is, and refuses a newer one. (Version 1 needs no data
/// migrated; a later layout would convert keys here, under the same `SET NX` guard.)
pub(crate) fn migrate(conn: &mut Connection, prefix: &str) -> Result<(), StoreError> {
    let _: Option<String> = ::redis::cmd("SET")
        .arg(format!("{prefix}schema"))
        .arg(CURRENT)
        .arg("NX")
        .query(conn)
        .map_err(|e| failed(CURRENT, &e))?;
    let found = version(conn, prefix)?;
    if found > CURRENT {
        return Err(StoreError::SchemaTooNew {
            found,
            known: CURRENT,
        });
    }
    Ok(())
}

/// Refuses a server that may evict keys to make room: an evicted counter or consumed value
/// would silently hand out a fresh budget. Servers that forbid `CONFIG GET` (managed ones) are
/// taken on trust; `docs/stores.md` says what to set.
pub(crate) fn check_eviction(conn: &mut Connection) -> Result<(), StoreError> {
    let reply: Result<Vec<String>, _> = ::redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query(conn);
    match reply {
        Ok(pair) => match pair.get(1).map(String::as_str) {
            Some("noeviction") | None => Ok(()),
            Some(policy) => Err(StoreError::Open(format!(
                "Redis may evict keys (maxmemory-policy {policy}); sspr needs noeviction"
            ))),
        },
        Err(_) => Ok(()),
    }
}
