//! A queue of messages for one delivery worker thread (SMTP, the texts' gateway): a step hands
//! its message over and returns at once, so it never waits for delivery, and response times do
//! not tell a real user from a decoy, which delivers nothing.

use std::sync::mpsc;

use sspr_core::ports::Message;
use sspr_core::{PortError, PortErrorKind, PortName};
use sspr_text::Locale;

/// The sending side of a worker's queue: messages with the language to write them in.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<(Message, Locale)>,
}

impl Outbox {
    /// Starts the thread `name`, which first calls `open` (to build its client there) and then
    /// hands each queued message to what `open` returned. When `open` gives nothing, the
    /// thread ends and later messages are refused as unavailable.
    pub fn start<Send_, Open>(name: &str, open: Open) -> std::io::Result<Self>
    where
        Send_: FnMut(Message, Locale),
        Open: FnOnce() -> Option<Send_> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<(Message, Locale)>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let Some(mut send) = open() else {
                    return;
                };
                for (message, locale) in rx {
                    send(message, locale);
                }
            })?;
        Ok(Self { tx })
    }

    /// Queues a message, to be written in `locale`.
    pub fn enqueue(&self, message: Message, locale: Locale) -> Result<(), PortError> {
        self.tx.send((message, locale)).map_err(|_| {
            PortError::new(
                PortName::Notifier,
                PortErrorKind::Unavailable,
                "the delivery queue has stopped",
            )
        })
    }
}
