use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use super::lock;
use crate::error::{PortError, PortName};
use crate::ports::{FlowStore, Message, Notifier, Record, SecurityInfoStore};
use crate::user::UserId;

/// A map of versioned records with compare-and-set saves.
#[derive(Debug)]
struct Versioned<K> {
    port: PortName,
    map: Mutex<HashMap<K, (Record, Option<u64>)>>,
}

impl<K: Eq + Hash> Versioned<K> {
    fn new(port: PortName) -> Self {
        Self {
            port,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn load(&self, key: &K) -> Option<Record> {
        lock(&self.map).get(key).map(|(r, _)| r.clone())
    }

    fn save(
        &self,
        key: K,
        data: String,
        expected: u64,
        expires_at: Option<u64>,
    ) -> Result<(), PortError> {
        let mut map = lock(&self.map);
        let current = map.get(&key).map_or(0, |(r, _)| r.version);
        if current != expected {
            return Err(PortError::conflict(self.port));
        }
        let record = Record {
            data,
            version: expected + 1,
        };
        map.insert(key, (record, expires_at));
        Ok(())
    }

    fn purge_expired(&self, now: u64) -> usize {
        let mut map = lock(&self.map);
        let before = map.len();
        map.retain(|_, (_, exp)| exp.is_none_or(|e| e > now));
        before - map.len()
    }
}

/// In-memory [`FlowStore`].
#[derive(Debug)]
pub struct MemoryFlowStore(Versioned<String>);

impl Default for MemoryFlowStore {
    fn default() -> Self {
        Self(Versioned::new(PortName::FlowStore))
    }
}

impl MemoryFlowStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops flows whose expiry is at or before `now`; returns how many.
    pub fn purge_expired(&self, now: u64) -> usize {
        self.0.purge_expired(now)
    }

    /// How many flows are stored.
    pub fn len(&self) -> usize {
        lock(&self.0.map).len()
    }

    /// Whether no flow is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key held, sorted (to check what sspr stores).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = lock(&self.0.map).keys().cloned().collect();
        keys.sort();
        keys
    }
}

impl FlowStore for MemoryFlowStore {
    fn load(&self, flow_id: String) -> Result<Option<Record>, PortError> {
        Ok(self.0.load(&flow_id))
    }

    fn save(
        &self,
        flow_id: String,
        data: String,
        expected_version: u64,
        expires_at: u64,
    ) -> Result<(), PortError> {
        self.0
            .save(flow_id, data, expected_version, Some(expires_at))
    }

    fn delete(&self, flow_id: String) -> Result<(), PortError> {
        lock(&self.0.map).remove(&flow_id);
        Ok(())
    }
}

/// In-memory [`SecurityInfoStore`].
#[derive(Debug)]
pub struct MemorySecurityInfoStore(Versioned<UserId>);

impl Default for MemorySecurityInfoStore {
    fn default() -> Self {
        Self(Versioned::new(PortName::SecurityInfoStore))
    }
}

impl MemorySecurityInfoStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl SecurityInfoStore for MemorySecurityInfoStore {
    fn load(&self, user: UserId) -> Result<Option<Record>, PortError> {
        Ok(self.0.load(&user))
    }

    fn save(&self, user: UserId, data: String, expected_version: u64) -> Result<(), PortError> {
        self.0.save(user, data, expected_version, None)
    }
}

/// A [`Notifier`] that records every message instead of delivering it, and can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    state: Mutex<NotifierState>,
}

#[derive(Debug, Default)]
struct NotifierState {
    delivered: Vec<Message>,
    fail_next: u32,
}

impl RecordingNotifier {
    /// A notifier with nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message delivered so far, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        lock(&self.state).delivered.clone()
    }

    /// Removes and returns every message delivered so far.
    pub fn take(&self) -> Vec<Message> {
        std::mem::take(&mut lock(&self.state).delivered)
    }

    /// Makes the next `n` deliveries fail with an "unavailable" error.
    pub fn fail_next(&self, n: u32) {
        lock(&self.state).fail_next = n;
    }
}

impl Notifier for RecordingNotifier {
    fn deliver(&self, message: Message) -> Result<(), PortError> {
        let mut s = lock(&self.state);
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return Err(PortError::unavailable(
                PortName::Notifier,
                "delivery failed (injected)",
            ));
        }
        s.delivered.push(message);
        Ok(())
    }
}
