//! SQLite in a file: the embedded default.
//!
//! One file holds every table. Connections come from an r2d2 pool; each runs in WAL mode with a
//! busy timeout, so several threads and several processes on one machine can share the file.
//! Every port call is one statement (an upsert with `RETURNING`, a conditional update, a unique
//! insert), atomic in SQLite itself.

mod audit;
mod consume_once;
mod counters;
mod error;
mod flows;
mod schema;
mod security_info;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use sspr_core::memory::SystemClock;
use sspr_core::ports::Clock;
use sspr_core::ports::{AuditSink, ConsumeOnceSet, CounterStore, FlowStore, SecurityInfoStore};
use sspr_core::{PortError, PortName};

use crate::backend::Backend;
use crate::error::StoreError;
use crate::prefix::Prefix;
use crate::purged::Purged;
use crate::time::to_db;

pub(crate) use error::port_error;

use crate::purged::PURGE_GRACE_S;

/// How a [`SqliteStores`] is opened.
pub struct SqliteOptions {
    /// The table prefix.
    pub prefix: Prefix,
    /// The clock that decides what has expired (the engine's clock: share one).
    pub clock: Arc<dyn Clock>,
    /// Connections in the pool (default 8).
    pub pool_size: u32,
    /// How long a statement waits for another connection's write lock (default 5 s).
    pub busy_timeout: Duration,
}

impl SqliteOptions {
    /// Options with `prefix`, the system clock, 8 connections and a 5 s busy timeout.
    pub fn new(prefix: Prefix) -> Self {
        Self {
            prefix,
            clock: Arc::new(SystemClock),
            pool_size: 8,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

pub(crate) struct Inner {
    pool: Pool<SqliteConnectionManager>,
    pub(crate) prefix: String,
    clock: Arc<dyn Clock>,
}

impl Inner {
    pub(crate) fn conn(
        &self,
        port: PortName,
    ) -> Result<PooledConnection<SqliteConnectionManager>, PortError> {
        self.pool.get().map_err(|_| {
            PortError::new(
                port,
                sspr_core::PortErrorKind::Unavailable,
                "no SQLite connection in time",
            )
        })
    }

    pub(crate) fn now(&self) -> Result<i64, PortError> {
        Ok(to_db(self.clock.now()?))
    }

    /// A table's name with the prefix.
    pub(crate) fn t(&self, table: &str) -> String {
        format!("{}{table}", self.prefix)
    }
}

/// Every store of sspr in one SQLite file.
#[derive(Clone)]
pub struct SqliteStores {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStores")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

impl SqliteStores {
    /// Opens (creating if needed) the database at `path` with `prefix`, the system clock and
    /// default pool settings, and applies any pending migration.
    pub fn open(path: impl AsRef<Path>, prefix: Prefix) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::new(prefix))
    }

    /// Opens the database at `path` with `options`, and applies any pending migration.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        let busy = options.busy_timeout;
        let manager = SqliteConnectionManager::file(path.as_ref()).with_init(move |c| {
            c.busy_timeout(busy)?;
            let mode: String = c.query_one("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                // Without WAL a busy commit is the normal outcome of contention: refuse.
                return Err(r2d2_sqlite::rusqlite::Error::InvalidQuery);
            }
            Ok(())
        });
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(busy.max(Duration::from_secs(1)))
            .build(manager)
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let inner = Inner {
            pool,
            prefix: options.prefix.as_str().to_owned(),
            clock: options.clock,
        };
        {
            let mut conn = inner
                .pool
                .get()
                .map_err(|e| StoreError::Open(e.to_string()))?;
            schema::migrate(&mut conn, &inner.prefix)?;
        }
        Ok(Self {
            inner: Arc::new(inner),
        })
    }
}

impl Backend for SqliteStores {
    fn schema_version(&self) -> Result<i64, StoreError> {
        let conn = self
            .inner
            .pool
            .get()
            .map_err(|e| StoreError::Open(e.to_string()))?;
        schema::version(&conn, &self.inner.prefix)
    }

    fn flow_store(&self) -> Arc<dyn FlowStore> {
        Arc::new(flows::SqliteFlowStore(self.inner.clone()))
    }

    fn security_info_store(&self) -> Arc<dyn SecurityInfoStore> {
        Arc::new(security_info::SqliteSecurityInfoStore(self.inner.clone()))
    }

    fn counter_store(&self) -> Arc<dyn CounterStore> {
        Arc::new(counters::SqliteCounterStore(self.inner.clone()))
    }

    fn consume_once_set(&self) -> Arc<dyn ConsumeOnceSet> {
        Arc::new(consume_once::SqliteConsumeOnceSet(self.inner.clone()))
    }

    fn audit_sink(&self) -> Arc<dyn AuditSink> {
        Arc::new(audit::SqliteAuditSink(self.inner.clone()))
    }

    fn audit_events(&self, limit: u32) -> Result<Vec<String>, PortError> {
        audit::newest(&self.inner, limit)
    }

    fn purge(&self) -> Result<Purged, PortError> {
        let now = self.inner.now()?;
        let conn = self.inner.conn(PortName::FlowStore)?;
        let run = |sql: String, port: PortName| -> Result<u64, PortError> {
            conn.execute(&sql, [now])
                .map(|n| n as u64)
                .map_err(|e| port_error(port, &e))
        };
        Ok(Purged {
            flows: run(
                format!(
                    "DELETE FROM {} WHERE expires_at <= ?1",
                    self.inner.t("flows")
                ),
                PortName::FlowStore,
            )?,
            consumed: run(
                format!(
                    "DELETE FROM {} WHERE expires_at <= ?1 - {PURGE_GRACE_S}",
                    self.inner.t("consumed")
                ),
                PortName::ConsumeOnce,
            )?,
            counters: run(
                format!(
                    "DELETE FROM {} WHERE window_end <= ?1 - {PURGE_GRACE_S} AND \
                     (blocked_until IS NULL OR blocked_until <= ?1)",
                    self.inner.t("counters")
                ),
                PortName::CounterStore,
            )?,
        })
    }
}
