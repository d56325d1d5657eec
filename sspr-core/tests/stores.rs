//! The store conformance suite against the in-memory stores, and against broken stores to show
//! that it catches what it claims to catch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use sspr_core::memory::{
    MemoryConsumeOnceSet, MemoryCounterStore, MemoryFlowStore, MemorySecurityInfoStore,
};
use sspr_core::ports::{ConsumeOnceSet, CounterState, CounterStore, FlowStore, Record};
use sspr_core::testing::store_conformance::{StoreSet, run};
use sspr_core::{PortError, PortName};

#[test]
fn memory_stores_pass_under_concurrency() {
    let flows = MemoryFlowStore::new();
    let info = MemorySecurityInfoStore::new();
    let counters = MemoryCounterStore::new();
    let once = MemoryConsumeOnceSet::new();
    let stores = StoreSet {
        flows: &flows,
        security_info: &info,
        counters: &counters,
        consume_once: &once,
    };
    for (round, threads) in [2usize, 8, 32].into_iter().enumerate() {
        let report = run(&stores, &format!("round{round}"), threads);
        assert!(report.all_passed(), "{threads} threads:\n{report}");
        assert_eq!(report.checks.len(), 14);
    }
}

/// A flow store that forgets to compare versions: last writer wins.
#[derive(Default)]
struct LastWriterWins(Mutex<std::collections::HashMap<String, Record>>);

impl FlowStore for LastWriterWins {
    fn load(&self, id: String) -> Result<Option<Record>, PortError> {
        Ok(self.0.lock().unwrap().get(&id).cloned())
    }
    fn save(&self, id: String, data: String, expected: u64, _: u64) -> Result<(), PortError> {
        self.0.lock().unwrap().insert(
            id,
            Record {
                data,
                version: expected + 1,
            },
        );
        Ok(())
    }
    fn delete(&self, id: String) -> Result<(), PortError> {
        self.0.lock().unwrap().remove(&id);
        Ok(())
    }
}

/// A counter store whose increment is a separate read and write: updates get lost.
#[derive(Default)]
struct RacyCounter(
    MemoryCounterStore,
    Mutex<std::collections::HashMap<String, u32>>,
);

impl CounterStore for RacyCounter {
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<CounterState, PortError> {
        let read = self.1.lock().unwrap().get(&key).copied().unwrap_or(0);
        std::thread::yield_now();
        std::thread::sleep(std::time::Duration::from_micros(50));
        self.1.lock().unwrap().insert(key.clone(), read + 1);
        let _ = (now, window_s);
        Ok(CounterState {
            count: read + 1,
            blocked_until: self.0.get(key, now)?.blocked_until,
        })
    }
    fn get(&self, key: String, now: u64) -> Result<CounterState, PortError> {
        Ok(CounterState {
            count: self.1.lock().unwrap().get(&key).copied().unwrap_or(0),
            blocked_until: self.0.get(key, now)?.blocked_until,
        })
    }
    fn release(&self, key: String, _now: u64) -> Result<(), PortError> {
        let read = self.1.lock().unwrap().get(&key).copied().unwrap_or(0);
        std::thread::sleep(std::time::Duration::from_micros(50));
        self.1.lock().unwrap().insert(key, read.saturating_sub(1));
        Ok(())
    }
    fn block(&self, key: String, until: u64) -> Result<u64, PortError> {
        self.0.block(key, until)
    }
    fn clear(&self, key: String) -> Result<(), PortError> {
        self.1.lock().unwrap().remove(&key);
        self.0.clear(key)
    }
}

/// A consume-once set that checks and inserts in two steps.
#[derive(Default)]
struct CheckThenInsert(Mutex<std::collections::HashSet<(String, String)>>);

impl ConsumeOnceSet for CheckThenInsert {
    fn consume(&self, ns: String, key: String, _: u64) -> Result<bool, PortError> {
        let present = self.0.lock().unwrap().contains(&(ns.clone(), key.clone()));
        std::thread::sleep(std::time::Duration::from_millis(2));
        if present {
            return Ok(false);
        }
        self.0.lock().unwrap().insert((ns, key));
        Ok(true)
    }
}

#[test]
fn the_suite_catches_broken_stores() {
    let flows = LastWriterWins::default();
    let info = MemorySecurityInfoStore::new();
    let counters = RacyCounter::default();
    let once = CheckThenInsert::default();
    let report = run(
        &StoreSet {
            flows: &flows,
            security_info: &info,
            counters: &counters,
            consume_once: &once,
        },
        "broken",
        8,
    );
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.failure.is_some())
        .map(|c| c.name)
        .collect();
    for expected in [
        "flow store: compare-and-set sequence",
        "flow store: one winner among concurrent saves",
        "counter store: windowed increments",
        "counter store: concurrent increments and releases are all counted",
        "consume-once set: one winner among concurrent consumes",
    ] {
        assert!(
            failed.contains(&expected),
            "{expected} not caught; report:\n{report}"
        );
    }
    assert!(
        !failed.iter().any(|n| n.starts_with("security-info")),
        "the correct store was blamed:\n{report}"
    );
    assert!(report.to_string().ends_with(&format!(
        "{} passed, {} failed",
        14 - failed.len(),
        failed.len()
    )));
}

#[test]
fn a_store_that_errors_is_reported_not_panicked() {
    struct Down;
    impl FlowStore for Down {
        fn load(&self, _: String) -> Result<Option<Record>, PortError> {
            Err(PortError::unavailable(
                PortName::FlowStore,
                "connection refused",
            ))
        }
        fn save(&self, _: String, _: String, _: u64, _: u64) -> Result<(), PortError> {
            Err(PortError::unavailable(
                PortName::FlowStore,
                "connection refused",
            ))
        }
        fn delete(&self, _: String) -> Result<(), PortError> {
            Err(PortError::unavailable(
                PortName::FlowStore,
                "connection refused",
            ))
        }
    }
    let (info, counters, once) = (
        MemorySecurityInfoStore::new(),
        MemoryCounterStore::new(),
        MemoryConsumeOnceSet::new(),
    );
    let report = run(
        &StoreSet {
            flows: &Down,
            security_info: &info,
            counters: &counters,
            consume_once: &once,
        },
        "down",
        4,
    );
    let flow_checks: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.name.starts_with("flow store"))
        .collect();
    assert_eq!(flow_checks.len(), 4);
    assert!(
        flow_checks.iter().all(|c| c
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("connection refused") || f.contains("failed"))),
        "{report}"
    );
    assert_eq!(report.failed(), 4, "{report}");
}
