use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::error::PortError;
use crate::ports::CounterStore;

#[derive(Debug, Default, Clone, Copy)]
struct Entry {
    count: u32,
    window_end: u64,
    blocked_until: u64,
}

/// In-memory [`CounterStore`].
#[derive(Debug, Default)]
pub struct MemoryCounterStore {
    map: Mutex<HashMap<String, Entry>>,
}

impl MemoryCounterStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl CounterStore for MemoryCounterStore {
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<u32, PortError> {
        let mut map = lock(&self.map);
        let e = map.entry(key).or_default();
        if now >= e.window_end {
            e.count = 0;
            e.window_end = now.saturating_add(window_s);
        }
        e.count = e.count.saturating_add(1);
        Ok(e.count)
    }

    fn count(&self, key: String, now: u64) -> Result<u32, PortError> {
        Ok(lock(&self.map)
            .get(&key)
            .filter(|e| now < e.window_end)
            .map_or(0, |e| e.count))
    }

    fn block(&self, key: String, until: u64) -> Result<u64, PortError> {
        let mut map = lock(&self.map);
        let e = map.entry(key).or_default();
        e.blocked_until = e.blocked_until.max(until);
        Ok(e.blocked_until)
    }

    fn blocked_until(&self, key: String, now: u64) -> Result<Option<u64>, PortError> {
        Ok(lock(&self.map)
            .get(&key)
            .map(|e| e.blocked_until)
            .filter(|&until| until > now))
    }

    fn clear(&self, key: String) -> Result<(), PortError> {
        lock(&self.map).remove(&key);
        Ok(())
    }
}
