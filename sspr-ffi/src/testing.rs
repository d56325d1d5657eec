//! The store conformance suite, for stores written in Kotlin or Swift: the same checks the
//! in-memory stores pass (compare-and-set under concurrency, atomic increments, blocks,
//! consume-once races).

use std::sync::Arc;

use sspr_core::testing::store_conformance::{self, StoreSet};

use crate::ports::{ConsumeOnceSet, CounterStore, FlowStore, SecurityInfoStore, stores};

/// One check of the suite.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreCheck {
    /// The check's name.
    pub name: String,
    /// Why it failed; none when it passed.
    pub failure: Option<String>,
}

/// Runs every store check against the given stores, racing `threads` threads where a check is
/// about concurrency. Keys are prefixed with `namespace` so the suite can run against a shared
/// database.
#[uniffi::export]
pub fn check_stores(
    flows: Arc<dyn FlowStore>,
    security_info: Arc<dyn SecurityInfoStore>,
    counters: Arc<dyn CounterStore>,
    consume_once: Arc<dyn ConsumeOnceSet>,
    namespace: String,
    threads: u32,
) -> Vec<StoreCheck> {
    let (f, s, c, o) = stores(flows, security_info, counters, consume_once);
    let report = store_conformance::run(
        &StoreSet {
            flows: &f,
            security_info: &s,
            counters: &c,
            consume_once: &o,
        },
        &namespace,
        threads as usize,
    );
    report
        .checks
        .into_iter()
        .map(|c| StoreCheck {
            name: c.name.to_owned(),
            failure: c.failure,
        })
        .collect()
}
