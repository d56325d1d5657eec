//! The portal's notifier: records every message in the dev mailbox (demo mode), hands emails
//! to the SMTP queue (`--smtp`) and texts and calls to the HTTP gateway (`--gateway`), in the
//! language of the page that caused them. Pushes reach only the dev mailbox's device: a
//! deployment's push service and its answers are its own.

use std::sync::Arc;

use sspr_core::PortError;
use sspr_core::ports::{Channel, Message, Notifier};

use crate::mailbox::Mailbox;
use crate::outbox::Outbox;

/// Delivers messages to the dev mailbox, email over SMTP, texts and calls to the gateway.
pub struct PortalNotifier {
    /// The dev mailbox (demo mode).
    pub mailbox: Option<Arc<Mailbox>>,
    /// The SMTP queue (`--smtp`).
    pub smtp: Option<Outbox>,
    /// The texts' and calls' gateway (`--gateway`).
    pub gateway: Option<Outbox>,
}

impl Notifier for PortalNotifier {
    fn deliver(&self, message: Message) -> Result<(), PortError> {
        if let (Some(smtp), Channel::Email) = (&self.smtp, message.channel) {
            smtp.enqueue(message.clone(), crate::request_locale::current())?;
        }
        if let Some(gateway) = &self.gateway
            && crate::gateway::carries(message.channel)
        {
            gateway.enqueue(message.clone(), crate::request_locale::current())?;
        }
        if let Some(mailbox) = &self.mailbox {
            mailbox.record(message);
        }
        Ok(())
    }
}
