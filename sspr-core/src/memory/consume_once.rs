use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::error::PortError;
use crate::ports::ConsumeOnceSet;

/// In-memory [`ConsumeOnceSet`]. Entries are kept for the life of the set (a consumed value
/// stays consumed), as the database stores keep them until a purge.
#[derive(Debug, Default)]
pub struct MemoryConsumeOnceSet {
    set: Mutex<HashMap<(String, String), u64>>,
}

impl MemoryConsumeOnceSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        lock(&self.set).len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops entries that expired at or before `now`.
    pub fn purge_expired(&self, now: u64) {
        lock(&self.set).retain(|_, exp| *exp > now);
    }
}

impl ConsumeOnceSet for MemoryConsumeOnceSet {
    fn consume(&self, namespace: String, key: String, expires_at: u64) -> Result<bool, PortError> {
        let mut set = lock(&self.set);
        match set.entry((namespace, key)) {
            std::collections::hash_map::Entry::Occupied(_) => Ok(false),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(expires_at);
                Ok(true)
            }
        }
    }
}
