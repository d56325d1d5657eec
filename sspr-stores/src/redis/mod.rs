//! Redis: a shared store for several application instances, kept in memory by the server.
//!
//! Connections come from an r2d2 pool (checked on checkout, replaced when the server dropped
//! them), each with a connect, read and write timeout. Every read-modify-write is one Lua
//! script, which Redis runs atomically; consume-once is `SET NX` with an expiry; audit events
//! go to a capped stream. Every key carries a TTL (its record's end, plus for consumed values and counters the
//! grace [`PURGE_GRACE_S`](crate::PURGE_GRACE_S) the SQL backends keep), so Redis deletes expired
//! records itself; the scripts also hide records expired by the engine's clock at once.
//!
//! Redis must not evict sspr's keys: opening refuses a server whose `maxmemory-policy` is not
//! `noeviction` (when the server lets `CONFIG GET` be called). Durability is the server's: see
//! `docs/stores.md` for the persistence settings that keep counters across a restart.

mod error;
mod ports;
mod schema;
mod scripts;

use std::sync::Arc;
use std::time::Duration;

use ::redis::{Client, ConnectionLike};
use r2d2::{Pool, PooledConnection};
use sspr_core::memory::SystemClock;
use sspr_core::ports::{
    AuditSink, Clock, ConsumeOnceSet, CounterStore, FlowStore, SecurityInfoStore,
};
use sspr_core::{PortError, PortErrorKind, PortName};

use crate::backend::Backend;
use crate::error::StoreError;
use crate::prefix::Prefix;
use crate::purged::Purged;

pub(crate) use error::port_error;

/// How a [`RedisStores`] connects.
pub struct RedisOptions {
    /// The key prefix.
    pub prefix: Prefix,
    /// The clock that decides what has expired (the engine's clock: share one).
    pub clock: Arc<dyn Clock>,
    /// Connections in the pool (default 8). Every port call holds one for one round trip.
    pub pool_size: u32,
    /// How long a call waits for a free connection, a new connection for the server, and a
    /// reply (default 5 s). Past it the call fails with `Unavailable`.
    pub timeout: Duration,
    /// About how many audit events the stream keeps (default 100,000); older ones are trimmed.
    pub audit_cap: u64,
}

impl RedisOptions {
    /// Options with `prefix`, the system clock, 8 connections, a 5 s timeout and 100,000 audit
    /// events.
    pub fn new(prefix: Prefix) -> Self {
        Self {
            prefix,
            clock: Arc::new(SystemClock),
            pool_size: 8,
            timeout: Duration::from_secs(5),
            audit_cap: 100_000,
        }
    }
}

/// r2d2's connection manager for Redis, with timeouts on every connection.
pub(crate) struct Manager {
    client: Client,
    timeout: Duration,
}

impl r2d2::ManageConnection for Manager {
    type Connection = ::redis::Connection;
    type Error = ::redis::RedisError;

    fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let conn = self.client.get_connection_with_timeout(self.timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        ::redis::cmd("PING").query::<String>(conn).map(|_| ())
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        !conn.is_open()
    }
}

pub(crate) struct Inner {
    pool: Pool<Manager>,
    pub(crate) prefix: String,
    clock: Arc<dyn Clock>,
    pub(crate) audit_cap: u64,
}

impl Inner {
    pub(crate) fn conn(&self, port: PortName) -> Result<PooledConnection<Manager>, PortError> {
        self.pool.get().map_err(|_| {
            PortError::new(
                port,
                PortErrorKind::Unavailable,
                "Redis: no connection in time",
            )
        })
    }

    pub(crate) fn now(&self) -> Result<u64, PortError> {
        self.clock.now()
    }

    /// A key's name: the prefix, the kind of record, its id.
    pub(crate) fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }
}

/// Every store of sspr in one Redis database.
#[derive(Clone)]
pub struct RedisStores {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStores")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStores {
    /// Connects to `url` (`redis://host:port/db`, `rediss://` for TLS is not built in) with
    /// `prefix`, checks the server's eviction policy and records the key layout's version.
    pub fn connect(url: &str, prefix: Prefix) -> Result<Self, StoreError> {
        Self::connect_with(url, RedisOptions::new(prefix))
    }

    /// Connects with `options`.
    pub fn connect_with(url: &str, options: RedisOptions) -> Result<Self, StoreError> {
        let client = Client::open(url)
            .map_err(|_| StoreError::Open("the URL is not a Redis connection URL".into()))?;
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.timeout)
            .build(Manager {
                client,
                timeout: options.timeout,
            })
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let inner = Inner {
            pool,
            prefix: options.prefix.as_str().to_owned(),
            clock: options.clock,
            audit_cap: options.audit_cap.max(1),
        };
        {
            let mut conn = inner
                .pool
                .get()
                .map_err(|e| StoreError::Open(e.to_string()))?;
            schema::check_eviction(&mut conn)?;
            schema::migrate(&mut conn, &inner.prefix)?;
        }
        Ok(Self {
            inner: Arc::new(inner),
        })
    }
}

impl Backend for RedisStores {
    fn flow_store(&self) -> Arc<dyn FlowStore> {
        Arc::new(ports::RedisFlowStore(self.inner.clone()))
    }

    fn security_info_store(&self) -> Arc<dyn SecurityInfoStore> {
        Arc::new(ports::RedisSecurityInfoStore(self.inner.clone()))
    }

    fn counter_store(&self) -> Arc<dyn CounterStore> {
        Arc::new(ports::RedisCounterStore(self.inner.clone()))
    }

    fn consume_once_set(&self) -> Arc<dyn ConsumeOnceSet> {
        Arc::new(ports::RedisConsumeOnceSet(self.inner.clone()))
    }

    fn audit_sink(&self) -> Arc<dyn AuditSink> {
        Arc::new(ports::RedisAuditSink(self.inner.clone()))
    }

    fn audit_events(&self, limit: u32) -> Result<Vec<String>, PortError> {
        ports::newest_events(&self.inner, limit)
    }

    /// Redis expires every key itself: nothing to delete.
    fn purge(&self) -> Result<Purged, PortError> {
        Ok(Purged::default())
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        let mut conn = self
            .inner
            .pool
            .get()
            .map_err(|e| StoreError::Open(e.to_string()))?;
        schema::version(&mut conn, &self.inner.prefix)
    }
}
