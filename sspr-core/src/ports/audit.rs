use crate::audit::AuditEvent;
use crate::error::PortError;

/// Receives audit events.
pub trait AuditSink: Send + Sync {
    /// Records one event. Events carry no secrets and only masked destinations. A failure is
    /// reported to the caller but never undoes the step the event describes.
    fn record(&self, event: AuditEvent) -> Result<(), PortError>;
}
