//! The database-backed stores of `sspr-stores` for Kotlin and Swift: SQLite in a file (the
//! embedded default), PostgreSQL and Redis (shared by several instances). A [`Stores`] puts
//! its flow, security-info, counter and consume-once stores and its audit sink into any
//! [`Ports`], and runs the store conformance suite on itself.

use std::sync::Arc;
use std::time::Duration;

use sspr_core::memory::SystemClock;
use sspr_core::testing::store_conformance::{self, StoreSet};
use sspr_stores::{
    Backend, PostgresOptions, PostgresStores, Prefix, RedisOptions, RedisStores, SqliteOptions,
    SqliteStores, StoreError,
};

use crate::error::SsprError;
use crate::ports::Ports;
use crate::testing::StoreCheck;

/// How a [`Stores`] opens its database.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreSettings {
    /// The prefix of every table and key: 1 to 32 of `a-z 0-9 _`, starting with a letter.
    #[uniffi(default = "sspr_")]
    pub prefix: String,
    /// Connections in the pool.
    #[uniffi(default = 8)]
    pub pool_size: u32,
    /// How long a call waits for a connection (and, on Redis, a reply; on SQLite, another
    /// connection's write lock), in milliseconds.
    #[uniffi(default = 5000)]
    pub timeout_ms: u64,
    /// Redis only: about how many audit events the stream keeps.
    #[uniffi(default = 100000)]
    pub audit_cap: u64,
}

/// What a purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Purged {
    /// Expired flows.
    pub flows: u64,
    /// Expired consumed values.
    pub consumed: u64,
    /// Counters whose window and block have both ended.
    pub counters: u64,
}

/// Every store of sspr in one database.
#[derive(uniffi::Object)]
pub struct Stores(Arc<dyn Backend>);

fn open_error(e: StoreError) -> SsprError {
    match e {
        StoreError::BadPrefix { .. } => SsprError::Misuse {
            detail: e.to_string(),
        },
        _ => SsprError::Port {
            port: "store".to_owned(),
            kind: "unavailable".to_owned(),
            detail: e.to_string(),
        },
    }
}

fn checked(settings: &StoreSettings) -> Result<(Prefix, Duration), SsprError> {
    let prefix = Prefix::new(settings.prefix.clone()).map_err(open_error)?;
    if settings.timeout_ms == 0 || settings.timeout_ms > 3_600_000 {
        return Err(SsprError::Misuse {
            detail: "timeout_ms is above 0 and at most an hour".to_owned(),
        });
    }
    Ok((prefix, Duration::from_millis(settings.timeout_ms)))
}

/// The clock of `ports` (the engine's: expiry must agree with it), or the system clock.
fn clock_of(ports: Option<Arc<Ports>>) -> Arc<dyn sspr_core::ports::Clock> {
    match ports {
        Some(p) => p.0.clock.clone(),
        None => Arc::new(SystemClock),
    }
}

#[uniffi::export]
impl Stores {
    /// Opens (creating if needed) the SQLite database at `path` and applies pending
    /// migrations. Expiry follows the clock of `clock_of` (pass the engine's ports), else the
    /// system clock.
    #[uniffi::constructor]
    pub fn sqlite(
        path: String,
        settings: StoreSettings,
        clock_of: Option<Arc<Ports>>,
    ) -> Result<Arc<Self>, SsprError> {
        let (prefix, timeout) = checked(&settings)?;
        let mut o = SqliteOptions::new(prefix);
        o.clock = self::clock_of(clock_of);
        o.pool_size = settings.pool_size;
        o.busy_timeout = timeout;
        let s = SqliteStores::open_with(path, o).map_err(open_error)?;
        Ok(Arc::new(Self(Arc::new(s))))
    }

    /// Connects to PostgreSQL at `url` (`postgresql://user@host:port/db` or `key=value`
    /// pairs) and applies pending migrations.
    #[uniffi::constructor]
    pub fn postgres(
        url: String,
        settings: StoreSettings,
        clock_of: Option<Arc<Ports>>,
    ) -> Result<Arc<Self>, SsprError> {
        let (prefix, timeout) = checked(&settings)?;
        let mut o = PostgresOptions::new(prefix);
        o.clock = self::clock_of(clock_of);
        o.pool_size = settings.pool_size;
        o.connect_timeout = timeout;
        let s = PostgresStores::connect_with(&url, o).map_err(open_error)?;
        Ok(Arc::new(Self(Arc::new(s))))
    }

    /// Connects to Redis at `url` (`redis://host:port/db`); refuses a server that may evict
    /// keys.
    #[uniffi::constructor]
    pub fn redis(
        url: String,
        settings: StoreSettings,
        clock_of: Option<Arc<Ports>>,
    ) -> Result<Arc<Self>, SsprError> {
        let (prefix, timeout) = checked(&settings)?;
        let mut o = RedisOptions::new(prefix);
        o.clock = self::clock_of(clock_of);
        o.pool_size = settings.pool_size;
        o.timeout = timeout;
        o.audit_cap = settings.audit_cap;
        let s = RedisStores::connect_with(&url, o).map_err(open_error)?;
        Ok(Arc::new(Self(Arc::new(s))))
    }

    /// `base` with its flow, security-info, counter and consume-once stores and its audit sink
    /// replaced by this database's.
    pub fn ports(&self, base: Arc<Ports>) -> Arc<Ports> {
        Arc::new(Ports(self.0.ports(base.0.clone())))
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, SsprError> {
        self.0.schema_version().map_err(open_error)
    }

    /// The newest `limit` audit events as JSON objects, newest first.
    pub fn audit_events(&self, limit: u32) -> Result<Vec<String>, SsprError> {
        self.0
            .audit_events(limit)
            .map_err(|e| sspr_core::Error::Port(e).into())
    }

    /// Deletes what has expired (Redis expires its keys itself: there nothing).
    pub fn purge(&self) -> Result<Purged, SsprError> {
        let p = self
            .0
            .purge()
            .map_err(|e| SsprError::from(sspr_core::Error::Port(e)))?;
        Ok(Purged {
            flows: p.flows,
            consumed: p.consumed,
            counters: p.counters,
        })
    }

    /// Runs the store conformance suite on these stores (keys under `namespace`, `threads`
    /// racing where a check is about concurrency).
    pub fn check(&self, namespace: String, threads: u32) -> Vec<StoreCheck> {
        let (f, i, c, o) = (
            self.0.flow_store(),
            self.0.security_info_store(),
            self.0.counter_store(),
            self.0.consume_once_set(),
        );
        let set = StoreSet {
            flows: f.as_ref(),
            security_info: i.as_ref(),
            counters: c.as_ref(),
            consume_once: o.as_ref(),
        };
        store_conformance::run(&set, &namespace, threads.clamp(1, 64) as usize)
            .checks
            .into_iter()
            .map(|c| StoreCheck {
                name: c.name.to_owned(),
                failure: c.failure,
            })
            .collect()
    }
}
