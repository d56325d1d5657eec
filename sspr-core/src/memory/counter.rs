use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::error::PortError;
use crate::ports::{CounterState, CounterStore};

#[derive(Debug, Default, Clone, Copy)]
struct Entry {
    count: u32,
    window_start: u64,
    window_end: u64,
    blocked_until: u64,
}

impl Entry {
    fn state(&self, now: u64) -> CounterState {
        CounterState {
            count: if now < self.window_end { self.count } else { 0 },
            blocked_until: (self.blocked_until > now).then_some(self.blocked_until),
        }
    }
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

    /// How many keys are held (counters or blocks, live or not).
    pub fn len(&self) -> usize {
        lock(&self.map).len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key held, sorted (to check what sspr stores).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = lock(&self.map).keys().cloned().collect();
        keys.sort();
        keys
    }
}

impl CounterStore for MemoryCounterStore {
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<CounterState, PortError> {
        let mut map = lock(&self.map);
        let e = map.entry(key).or_default();
        if now >= e.window_end {
            e.count = 0;
            e.window_start = now;
            e.window_end = now.saturating_add(window_s);
        }
        e.count = e.count.saturating_add(1);
        Ok(e.state(now))
    }

    fn get(&self, key: String, now: u64) -> Result<CounterState, PortError> {
        Ok(lock(&self.map)
            .get(&key)
            .map_or_else(CounterState::default, |e| e.state(now)))
    }

    fn release(&self, key: String, now: u64) -> Result<(), PortError> {
        if let Some(e) = lock(&self.map).get_mut(&key)
            && e.window_start <= now
            && now < e.window_end
        {
            e.count = e.count.saturating_sub(1);
        }
        Ok(())
    }

    fn block(&self, key: String, until: u64) -> Result<u64, PortError> {
        let mut map = lock(&self.map);
        let e = map.entry(key).or_default();
        e.blocked_until = e.blocked_until.max(until);
        Ok(e.blocked_until)
    }

    fn clear(&self, key: String) -> Result<(), PortError> {
        lock(&self.map).remove(&key);
        Ok(())
    }
}
