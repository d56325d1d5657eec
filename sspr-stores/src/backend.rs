//! What every backend offers: its five ports, its audit trail, purging and its schema version.

use std::sync::Arc;

use sspr_core::PortError;
use sspr_core::engine::Ports;
use sspr_core::ports::{AuditSink, ConsumeOnceSet, CounterStore, FlowStore, SecurityInfoStore};

use crate::error::StoreError;
use crate::purged::Purged;

/// A database holding every store of sspr. Implemented by each backend; bindings and hosts that
/// choose the backend at run time hold an `Arc<dyn Backend>`.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// The flow store.
    fn flow_store(&self) -> Arc<dyn FlowStore>;

    /// The security-info store.
    fn security_info_store(&self) -> Arc<dyn SecurityInfoStore>;

    /// The counter store.
    fn counter_store(&self) -> Arc<dyn CounterStore>;

    /// The consume-once set.
    fn consume_once_set(&self) -> Arc<dyn ConsumeOnceSet>;

    /// The audit sink.
    fn audit_sink(&self) -> Arc<dyn AuditSink>;

    /// The newest `limit` audit events, newest first, as the JSON the sink stored.
    fn audit_events(&self, limit: u32) -> Result<Vec<String>, PortError>;

    /// Deletes what has expired at the clock's now and reports what went: flows past their
    /// expiry, consumed values and counter windows more than [`PURGE_GRACE_S`] past theirs (a
    /// step that read the clock just before may still be using them), counters whose block has
    /// ended too. Expired records are invisible before this runs; purging only frees the space.
    /// Run it every few minutes; it is safe to run from several processes at once. Redis
    /// expires its keys itself (TTLs with the same grace): there it deletes nothing.
    ///
    /// [`PURGE_GRACE_S`]: crate::PURGE_GRACE_S
    fn purge(&self) -> Result<Purged, PortError>;

    /// The schema version the database is at.
    fn schema_version(&self) -> Result<i64, StoreError>;

    /// `base` with its flow, security-info, counter and consume-once stores and its audit sink
    /// replaced by this database's.
    fn ports(&self, base: Ports) -> Ports {
        Ports {
            flows: self.flow_store(),
            security_info: self.security_info_store(),
            counters: self.counter_store(),
            consume_once: self.consume_once_set(),
            audit: Some(self.audit_sink()),
            ..base
        }
    }
}
