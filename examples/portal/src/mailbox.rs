//! The dev mailbox: in demo mode, every message the notifier was given (email, text, call
//! script, push), kept in memory, newest first, for the `/dev/mailbox` page. It holds codes and
//! link tokens as delivered: that is its purpose, and why it exists only in demo mode.

use std::collections::VecDeque;
use std::sync::Mutex;

use sspr_core::ports::Message;

/// How many messages the mailbox keeps (the oldest go first).
pub const CAPACITY: usize = 500;

/// The messages delivered, newest first.
#[derive(Debug, Default)]
pub struct Mailbox {
    messages: Mutex<VecDeque<Message>>,
}

impl Mailbox {
    /// Records a delivered message.
    pub fn record(&self, message: Message) {
        let mut m = self
            .messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.push_front(message);
        m.truncate(CAPACITY);
    }

    /// Every message kept, newest first.
    pub fn messages(&self) -> Vec<Message> {
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// The newest message to `to`, if any.
    pub fn latest_to(&self, to: &str) -> Option<Message> {
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|m| m.to == to)
            .cloned()
    }
}
