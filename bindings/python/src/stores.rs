//! Database-backed stores from Python (`sspr.SqliteStores`, `sspr.PostgresStores`,
//! `sspr.RedisStores`, all `sspr.Stores`) and the store conformance suite
//! (`sspr.check_stores`), for stores of `sspr-stores` and stores written in Python alike.

use std::collections::BTreeMap;
use std::sync::Arc;

use pyo3::prelude::*;
use sspr_core::memory::SystemClock;
use sspr_core::ports::Clock;
use sspr_core::testing::store_conformance::{StoreSet, run};
use sspr_stores::{
    Backend, PostgresOptions, PostgresStores, Prefix, RedisOptions, RedisStores, SqliteOptions,
    SqliteStores,
};

use crate::memory::{Store, clock_of, store_of};

/// One built-in store of a database backend, for one port slot of `Ports`.
#[pyclass(frozen, name = "Store", module = "sspr")]
pub(crate) struct PyStore(pub(crate) Store);

#[pymethods]
impl PyStore {
    fn __repr__(&self) -> String {
        format!("Store({})", self.0.port())
    }
}

fn open_error(e: &sspr_stores::StoreError) -> PyErr {
    match e {
        sspr_stores::StoreError::BadPrefix { .. } => crate::MisuseError::new_err(e.to_string()),
        _ => crate::PortError::new_err(e.to_string()),
    }
}

/// The stores of one database: the base class of `SqliteStores`, `PostgresStores` and
/// `RedisStores`, which differ only in how they open.
#[pyclass(frozen, subclass, name = "Stores", module = "sspr")]
pub(crate) struct PyStores(Arc<dyn Backend>);

fn clock_or_system(clock: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn Clock>> {
    match clock {
        Some(c) => clock_of(c),
        None => Ok(Arc::new(SystemClock)),
    }
}

fn prefix_of(prefix: &str) -> PyResult<Prefix> {
    Prefix::new(prefix).map_err(|e| open_error(&e))
}

#[pymethods]
impl PyStores {
    /// The flow store.
    #[getter]
    fn flows(&self) -> PyStore {
        PyStore(Store::Flows(self.0.flow_store()))
    }

    /// The security-info store.
    #[getter]
    fn security_info(&self) -> PyStore {
        PyStore(Store::SecurityInfo(self.0.security_info_store()))
    }

    /// The counter store.
    #[getter]
    fn counters(&self) -> PyStore {
        PyStore(Store::Counters(self.0.counter_store()))
    }

    /// The consume-once set.
    #[getter]
    fn consume_once(&self) -> PyStore {
        PyStore(Store::ConsumeOnce(self.0.consume_once_set()))
    }

    /// The audit sink.
    #[getter]
    fn audit(&self) -> PyStore {
        PyStore(Store::Audit(self.0.audit_sink()))
    }

    /// The five stores by port name, to mix into `Ports` or `MemoryPorts.ports(**...)`.
    fn stores(&self) -> BTreeMap<&'static str, PyStore> {
        BTreeMap::from([
            ("flows", self.flows()),
            ("security_info", self.security_info()),
            ("counters", self.counters()),
            ("consume_once", self.consume_once()),
            ("audit", self.audit()),
        ])
    }

    /// The schema version the database is at.
    #[getter]
    fn schema_version(&self, py: Python<'_>) -> PyResult<i64> {
        py.detach(|| self.0.schema_version())
            .map_err(|e| open_error(&e))
    }

    /// The newest `limit` audit events as JSON text, newest first.
    #[pyo3(signature = (limit=100))]
    fn audit_events(&self, py: Python<'_>, limit: u32) -> PyResult<Vec<String>> {
        py.detach(|| self.0.audit_events(limit))
            .map_err(|e| crate::error(e.into()))
    }

    /// Deletes what has expired; returns how many flows, consumed values and counters. (Redis
    /// expires its keys itself: there it deletes nothing.)
    fn purge(&self, py: Python<'_>) -> PyResult<BTreeMap<&'static str, u64>> {
        let p = py
            .detach(|| self.0.purge())
            .map_err(|e| crate::error(e.into()))?;
        Ok(BTreeMap::from([
            ("flows", p.flows),
            ("consumed", p.consumed),
            ("counters", p.counters),
        ]))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(format!("{}(...)", slf.get_type().name()?))
    }
}

/// Every store in one SQLite file. Several processes on one machine may share the file.
#[pyclass(frozen, extends = PyStores, name = "SqliteStores", module = "sspr")]
pub(crate) struct PySqliteStores;

#[pymethods]
impl PySqliteStores {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    /// `prefix`: the table prefix (`a-z 0-9 _`, starting with a letter). `clock`: the clock
    /// that decides what has expired (share the engine's; default the system clock).
    #[new]
    #[pyo3(signature = (path, *, prefix="sspr_", clock=None, pool_size=8))]
    fn new(
        py: Python<'_>,
        path: std::path::PathBuf,
        prefix: &str,
        clock: Option<&Bound<'_, PyAny>>,
        pool_size: u32,
    ) -> PyResult<PyClassInitializer<Self>> {
        let mut options = SqliteOptions::new(prefix_of(prefix)?);
        options.clock = clock_or_system(clock)?;
        options.pool_size = pool_size;
        let stores = py
            .detach(|| SqliteStores::open_with(&path, options))
            .map_err(|e| open_error(&e))?;
        Ok(PyClassInitializer::from(PyStores(Arc::new(stores))).add_subclass(Self))
    }
}

/// Every store in one PostgreSQL database, shared by several application instances.
#[pyclass(frozen, extends = PyStores, name = "PostgresStores", module = "sspr")]
pub(crate) struct PyPostgresStores;

#[pymethods]
impl PyPostgresStores {
    /// Connects to `url` (`postgresql://user@host:port/db` or `key=value` pairs) and applies
    /// pending migrations. `timeout_s`: how long a call waits for a connection.
    #[new]
    #[pyo3(signature = (url, *, prefix="sspr_", clock=None, pool_size=8, timeout_s=5.0))]
    fn new(
        py: Python<'_>,
        url: &str,
        prefix: &str,
        clock: Option<&Bound<'_, PyAny>>,
        pool_size: u32,
        timeout_s: f64,
    ) -> PyResult<PyClassInitializer<Self>> {
        let mut options = PostgresOptions::new(prefix_of(prefix)?);
        options.clock = clock_or_system(clock)?;
        options.pool_size = pool_size;
        options.connect_timeout = timeout(timeout_s)?;
        let stores = py
            .detach(|| PostgresStores::connect_with(url, options))
            .map_err(|e| open_error(&e))?;
        Ok(PyClassInitializer::from(PyStores(Arc::new(stores))).add_subclass(Self))
    }
}

/// Every store in one Redis database, shared by several application instances.
#[pyclass(frozen, extends = PyStores, name = "RedisStores", module = "sspr")]
pub(crate) struct PyRedisStores;

#[pymethods]
impl PyRedisStores {
    /// Connects to `url` (`redis://host:port/db`). Refuses a server that may evict keys.
    /// `timeout_s`: how long a call waits for a connection and a reply. `audit_cap`: about how
    /// many audit events the stream keeps.
    #[new]
    #[pyo3(signature = (url, *, prefix="sspr_", clock=None, pool_size=8, timeout_s=5.0, audit_cap=100_000))]
    fn new(
        py: Python<'_>,
        url: &str,
        prefix: &str,
        clock: Option<&Bound<'_, PyAny>>,
        pool_size: u32,
        timeout_s: f64,
        audit_cap: u64,
    ) -> PyResult<PyClassInitializer<Self>> {
        let mut options = RedisOptions::new(prefix_of(prefix)?);
        options.clock = clock_or_system(clock)?;
        options.pool_size = pool_size;
        options.timeout = timeout(timeout_s)?;
        options.audit_cap = audit_cap;
        let stores = py
            .detach(|| RedisStores::connect_with(url, options))
            .map_err(|e| open_error(&e))?;
        Ok(PyClassInitializer::from(PyStores(Arc::new(stores))).add_subclass(Self))
    }
}

fn timeout(seconds: f64) -> PyResult<std::time::Duration> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= 3_600.0 {
        Ok(std::time::Duration::from_secs_f64(seconds))
    } else {
        Err(crate::MisuseError::new_err(
            "timeout_s is a number of seconds above 0 and at most 3600",
        ))
    }
}

/// Runs the store conformance suite on four stores (built-in, or Python objects implementing
/// the store protocols) with `threads` concurrent threads. Every key it writes starts with
/// `namespace`. Returns `[(check, failure or None)]`.
#[pyfunction]
#[pyo3(signature = (*, flows, security_info, counters, consume_once, namespace="check", threads=8))]
pub(crate) fn check_stores(
    py: Python<'_>,
    flows: &Bound<'_, PyAny>,
    security_info: &Bound<'_, PyAny>,
    counters: &Bound<'_, PyAny>,
    consume_once: &Bound<'_, PyAny>,
    namespace: &str,
    threads: usize,
) -> PyResult<Vec<(String, Option<String>)>> {
    let (Store::Flows(f), Store::SecurityInfo(i), Store::Counters(c), Store::ConsumeOnce(o)) = (
        store_of(flows, "flows")?,
        store_of(security_info, "security_info")?,
        store_of(counters, "counters")?,
        store_of(consume_once, "consume_once")?,
    ) else {
        return Err(crate::MisuseError::new_err("a store does not fit its slot"));
    };
    let set = StoreSet {
        flows: f.as_ref(),
        security_info: i.as_ref(),
        counters: c.as_ref(),
        consume_once: o.as_ref(),
    };
    let report = py.detach(|| run(&set, namespace, threads.clamp(1, 64)));
    Ok(report
        .checks
        .into_iter()
        .map(|c| (c.name.to_owned(), c.failure))
        .collect())
}
