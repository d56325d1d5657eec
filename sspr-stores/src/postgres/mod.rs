//! PostgreSQL: the shared store for several application instances.
//!
//! Connections come from an r2d2 pool (checked on checkout, so a connection the server dropped
//! is replaced). Every port call is one statement in its own transaction (autocommit, READ
//! COMMITTED): an upsert with `RETURNING`, or an update conditional on the version, which
//! PostgreSQL re-checks against the newest row when two writers meet.

mod error;
mod ports;
mod schema;

use std::sync::Arc;
use std::time::Duration;

use r2d2::{Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;
use r2d2_postgres::postgres::{Config, NoTls};
use sspr_core::memory::SystemClock;
use sspr_core::ports::Clock;
use sspr_core::ports::{AuditSink, ConsumeOnceSet, CounterStore, FlowStore, SecurityInfoStore};
use sspr_core::{PortError, PortErrorKind, PortName};

use crate::backend::Backend;
use crate::error::StoreError;
use crate::prefix::Prefix;
use crate::purged::Purged;
use crate::time::to_db;

pub(crate) use error::port_error;

type Manager = PostgresConnectionManager<NoTls>;

/// How a [`PostgresStores`] connects.
pub struct PostgresOptions {
    /// The table prefix.
    pub prefix: Prefix,
    /// The clock that decides what has expired (the engine's clock: share one).
    pub clock: Arc<dyn Clock>,
    /// Connections in the pool (default 8). Size it to the engine's concurrency: every port
    /// call holds one connection for one statement.
    pub pool_size: u32,
    /// How long a call waits for a free connection, and a new connection for the server
    /// (default 5 s). Past it the call fails with `Unavailable`.
    pub connect_timeout: Duration,
}

impl PostgresOptions {
    /// Options with `prefix`, the system clock, 8 connections and a 5 s timeout.
    pub fn new(prefix: Prefix) -> Self {
        Self {
            prefix,
            clock: Arc::new(SystemClock),
            pool_size: 8,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

pub(crate) struct Inner {
    pool: ClosingPool,
    pub(crate) prefix: String,
    clock: Arc<dyn Clock>,
}

/// The connection pool, closed on a thread of its own when dropped: the synchronous client
/// closes a connection by running a small runtime of its own, which an async runtime's thread
/// refuses, so that dropping the stores on such a thread (an async host letting go of its state)
/// would panic. The drop still waits for the connections to close.
struct ClosingPool(Option<Pool<Manager>>);

impl ClosingPool {
    fn get(&self) -> Result<PooledConnection<Manager>, String> {
        match &self.0 {
            Some(pool) => pool.get().map_err(|e| e.to_string()),
            // Only while dropping, when no one can call.
            None => Err("the pool is closed".to_owned()),
        }
    }
}

impl Drop for ClosingPool {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            let closing = std::thread::Builder::new()
                .name("sspr-pg-close".into())
                .spawn(move || drop(pool));
            if let Ok(handle) = closing {
                let _ = handle.join();
            }
        }
    }
}

impl Inner {
    pub(crate) fn conn(&self, port: PortName) -> Result<PooledConnection<Manager>, PortError> {
        self.pool.get().map_err(|_| {
            PortError::new(
                port,
                PortErrorKind::Unavailable,
                "PostgreSQL: no connection in time",
            )
        })
    }

    pub(crate) fn now(&self) -> Result<i64, PortError> {
        Ok(to_db(self.clock.now()?))
    }

    pub(crate) fn t(&self, table: &str) -> String {
        format!("{}{table}", self.prefix)
    }
}

/// Every store of sspr in one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStores {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PostgresStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStores")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

impl PostgresStores {
    /// Connects to `url` (`postgresql://user@host:port/db`, or key=value pairs) with `prefix`
    /// and applies any pending migration.
    pub fn connect(url: &str, prefix: Prefix) -> Result<Self, StoreError> {
        Self::connect_with(url, PostgresOptions::new(prefix))
    }

    /// Connects with `options` and applies any pending migration.
    pub fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, StoreError> {
        let mut config: Config = url.parse().map_err(|_| {
            StoreError::Open("the URL is not a PostgreSQL connection string".into())
        })?;
        config.connect_timeout(options.connect_timeout);
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.connect_timeout)
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let inner = Inner {
            pool: ClosingPool(Some(pool)),
            prefix: options.prefix.as_str().to_owned(),
            clock: options.clock,
        };
        {
            let mut conn = inner.pool.get().map_err(StoreError::Open)?;
            schema::migrate(&mut conn, &inner.prefix)?;
        }
        Ok(Self {
            inner: Arc::new(inner),
        })
    }
}

impl Backend for PostgresStores {
    fn schema_version(&self) -> Result<i64, StoreError> {
        let mut conn = self.inner.pool.get().map_err(StoreError::Open)?;
        schema::version(&mut conn, &self.inner.prefix)
    }

    fn flow_store(&self) -> Arc<dyn FlowStore> {
        Arc::new(ports::PgFlowStore(self.inner.clone()))
    }

    fn security_info_store(&self) -> Arc<dyn SecurityInfoStore> {
        Arc::new(ports::PgSecurityInfoStore(self.inner.clone()))
    }

    fn counter_store(&self) -> Arc<dyn CounterStore> {
        Arc::new(ports::PgCounterStore(self.inner.clone()))
    }

    fn consume_once_set(&self) -> Arc<dyn ConsumeOnceSet> {
        Arc::new(ports::PgConsumeOnceSet(self.inner.clone()))
    }

    fn audit_sink(&self) -> Arc<dyn AuditSink> {
        Arc::new(ports::PgAuditSink(self.inner.clone()))
    }

    fn audit_events(&self, limit: u32) -> Result<Vec<String>, PortError> {
        ports::newest_events(&self.inner, limit)
    }

    fn purge(&self) -> Result<Purged, PortError> {
        ports::purge(&self.inner)
    }
}
