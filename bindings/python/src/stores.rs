//! Database-backed stores from Python (`sspr.SqliteStores`) and the store conformance suite
//! (`sspr.check_stores`), for stores of `sspr-stores` and stores written in Python alike.

use std::collections::BTreeMap;
use std::sync::Arc;

use pyo3::prelude::*;
use sspr_core::memory::SystemClock;
use sspr_core::testing::store_conformance::{StoreSet, run};
use sspr_stores::{Backend as _, Prefix, SqliteOptions, SqliteStores};

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

/// Every store in one SQLite file: flows, security info, counters, consume-once set, audit.
/// Several processes on one machine may share the file.
#[pyclass(frozen, name = "SqliteStores", module = "sspr")]
pub(crate) struct PySqliteStores(SqliteStores);

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
    ) -> PyResult<Self> {
        let prefix = Prefix::new(prefix).map_err(|e| open_error(&e))?;
        let mut options = SqliteOptions::new(prefix);
        options.clock = match clock {
            Some(c) => clock_of(c)?,
            None => Arc::new(SystemClock),
        };
        options.pool_size = pool_size;
        py.detach(|| SqliteStores::open_with(&path, options))
            .map(Self)
            .map_err(|e| open_error(&e))
    }

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
    fn schema_version(&self) -> PyResult<i64> {
        self.0.schema_version().map_err(|e| open_error(&e))
    }

    /// The newest `limit` audit events as JSON text, newest first.
    #[pyo3(signature = (limit=100))]
    fn audit_events(&self, py: Python<'_>, limit: u32) -> PyResult<Vec<String>> {
        py.detach(|| self.0.audit_events(limit))
            .map_err(|e| crate::error(e.into()))
    }

    /// Deletes what has expired; returns how many flows, consumed values and counters.
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

    fn __repr__(&self) -> String {
        "SqliteStores(...)".to_owned()
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
