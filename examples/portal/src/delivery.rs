//! The portal's notifier: records every message in the dev mailbox (demo mode) and hands
//! emails to the SMTP queue (`--smtp`), in the language of the page that caused them. Texts, calls and pushes have no gateway here: a
//! deployment adds its own in this file's place.

use std::sync::Arc;

use sspr_core::PortError;
use sspr_core::ports::{Channel, Message, Notifier};

use crate::mailbox::Mailbox;
use crate::smtp::SmtpQueue;

/// Delivers messages to the dev mailbox and, for email, over SMTP.
pub struct PortalNotifier {
    /// The dev mailbox (demo mode).
    pub mailbox: Option<Arc<Mailbox>>,
    /// The SMTP queue (`--smtp`).
    pub smtp: Option<SmtpQueue>,
}

impl Notifier for PortalNotifier {
    fn deliver(&self, message: Message) -> Result<(), PortError> {
        if let (Some(smtp), Channel::Email) = (&self.smtp, message.channel) {
            smtp.enqueue(message.clone(), crate::request_locale::current())?;
        }
        if let Some(mailbox) = &self.mailbox {
            mailbox.record(message);
        }
        Ok(())
    }
}
