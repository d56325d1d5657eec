//! A queue of messages for one delivery worker thread (SMTP, the texts' gateway): a step hands
//! its message over and returns at once, so it never waits for delivery, and response times do
//! not tell a real user from a decoy, which delivers nothing.
//!
//! The queue is bounded ([`CAPACITY`]) and in memory only: a message that finds it full, or
//! that is still queued when the portal stops, is lost as a text lost on its way would be (the
//! user asks for a new code). Handing a message over never fails for that reason, so that the
//! queue's state cannot set a real user's step apart from a decoy's. One message that panics
//! its worker is dropped; the worker goes on with the next.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use sspr_core::ports::Message;
use sspr_core::{PortError, PortErrorKind, PortName};
use sspr_text::Locale;

/// Messages queued for one worker, at most.
pub const CAPACITY: usize = 10_000;

/// The sending side of a worker's queue: messages with the language to write them in.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::SyncSender<(Message, Locale)>,
    name: &'static str,
}

impl Outbox {
    /// Starts the thread `name`, which first calls `open` (to build its client there) and then
    /// hands each queued message to what `open` returned. Fails, saying why, when `open` does.
    pub fn start<Deliver, Open>(name: &'static str, open: Open) -> std::io::Result<Self>
    where
        Deliver: FnMut(Message, Locale),
        Open: FnOnce() -> Result<Deliver, String> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<(Message, Locale)>(CAPACITY);
        let (opened_tx, opened) = mpsc::channel::<Result<(), String>>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut deliver = match open() {
                    Ok(d) => {
                        let _ = opened_tx.send(Ok(()));
                        d
                    }
                    Err(why) => {
                        let _ = opened_tx.send(Err(why));
                        return;
                    }
                };
                for (message, locale) in rx {
                    // A message that panics the worker is lost; the next one is delivered.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| deliver(message, locale)));
                }
            })?;
        match opened.recv() {
            Ok(Ok(())) => Ok(Self { tx, name }),
            Ok(Err(why)) => Err(std::io::Error::other(format!("{name}: {why}"))),
            Err(_) => Err(std::io::Error::other(format!("{name}: the worker stopped"))),
        }
    }

    /// Queues a message, to be written in `locale`. A full queue drops it (see the module's
    /// doc); only a worker that is gone is an error.
    pub fn enqueue(&self, message: Message, locale: Locale) -> Result<(), PortError> {
        match self.tx.try_send((message, locale)) {
            Ok(()) | Err(mpsc::TrySendError::Full(_)) => Ok(()),
            Err(mpsc::TrySendError::Disconnected(_)) => Err(PortError::new(
                PortName::Notifier,
                PortErrorKind::Unavailable,
                format!("the {} worker has stopped", self.name),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use sspr_core::ports::{Channel, MessageKind};

    use super::*;

    fn message(id: &str) -> Message {
        Message::new(
            id.into(),
            Channel::Sms,
            "+14255550100".into(),
            MessageKind::Code,
            sspr_core::UserId::new("alice"),
            1,
        )
    }

    #[test]
    fn a_worker_that_cannot_open_fails_the_start_saying_why() {
        let e = Outbox::start("sspr-test-a", || {
            Err::<fn(Message, Locale), _>("no client".to_owned())
        })
        .expect_err("refused");
        assert_eq!(e.to_string(), "sspr-test-a: no client");
    }

    #[test]
    fn a_message_that_panics_the_worker_does_not_stop_the_next() {
        let (seen_tx, seen) = mpsc::channel();
        let outbox = Outbox::start("sspr-test-b", move || {
            Ok(move |m: Message, _: Locale| {
                assert_ne!(m.id, "poison", "a delivery that panics");
                seen_tx.send(m.id).unwrap();
            })
        })
        .unwrap();
        outbox.enqueue(message("poison"), Locale::English).unwrap();
        outbox.enqueue(message("next"), Locale::English).unwrap();
        assert_eq!(seen.recv_timeout(Duration::from_secs(10)).unwrap(), "next");
    }

    #[test]
    fn a_full_queue_drops_the_message_without_an_error() {
        let (release_tx, release) = mpsc::channel::<()>();
        let (seen_tx, seen) = mpsc::channel();
        let outbox = Outbox::start("sspr-test-c", move || {
            Ok(move |m: Message, _: Locale| {
                // The first delivery waits until the test has filled the queue.
                let _ = release.recv();
                seen_tx.send(m.id).unwrap();
            })
        })
        .unwrap();
        for i in 0..CAPACITY + 50 {
            assert!(
                outbox
                    .enqueue(message(&i.to_string()), Locale::English)
                    .is_ok()
            );
        }
        drop(release_tx);
        let delivered = (0..)
            .map_while(|_| seen.recv_timeout(Duration::from_secs(1)).ok())
            .count();
        assert!(
            (CAPACITY..CAPACITY + 50).contains(&delivered),
            "{delivered} delivered"
        );
    }
}
