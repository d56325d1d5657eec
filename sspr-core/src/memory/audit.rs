use std::sync::Mutex;

use super::lock;
use crate::audit::AuditEvent;
use crate::error::PortError;
use crate::ports::AuditSink;

/// An [`AuditSink`] that keeps events in memory.
#[derive(Debug, Default)]
pub struct MemoryAuditSink(Mutex<Vec<AuditEvent>>);

impl MemoryAuditSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        lock(&self.0).clone()
    }
}

impl AuditSink for MemoryAuditSink {
    fn record(&self, event: AuditEvent) -> Result<(), PortError> {
        lock(&self.0).push(event);
        Ok(())
    }
}
