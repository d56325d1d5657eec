//! The store conformance suite: proves that storage backends honour the atomicity contracts of
//! the ports ([`FlowStore`], [`SecurityInfoStore`], [`CounterStore`], [`ConsumeOnceSet`]),
//! including under concurrent threads.
//!
//! Run it against a real backend (a test database) before trusting it with flows:
//!
//! ```
//! use sspr_core::memory::*;
//! use sspr_core::testing::store_conformance::{run, StoreSet};
//!
//! let (flows, info, counters, once) = (
//!     MemoryFlowStore::new(), MemorySecurityInfoStore::new(),
//!     MemoryCounterStore::new(), MemoryConsumeOnceSet::new(),
//! );
//! let report = run(&StoreSet { flows: &flows, security_info: &info, counters: &counters, consume_once: &once },
//!                  "conformance-1", 8);
//! assert!(report.all_passed(), "{report}");
//! ```
//!
//! Every key it writes starts with the given namespace, so it can share a test database.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::PortError;
use crate::ports::{ConsumeOnceSet, CounterStore, FlowStore, Record, SecurityInfoStore};
use crate::user::UserId;

/// The stores to check.
#[derive(Clone, Copy)]
pub struct StoreSet<'a> {
    /// The flow store.
    pub flows: &'a dyn FlowStore,
    /// The security-info store.
    pub security_info: &'a dyn SecurityInfoStore,
    /// The counter store.
    pub counters: &'a dyn CounterStore,
    /// The consume-once set.
    pub consume_once: &'a dyn ConsumeOnceSet,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The check's name.
    pub name: &'static str,
    /// `None` if it passed, else what went wrong.
    pub failure: Option<String>,
}

/// The outcome of the whole suite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConformanceReport {
    /// One entry per check, in the order they ran.
    pub checks: Vec<CheckResult>,
}

impl ConformanceReport {
    /// Whether every check passed.
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|c| c.failure.is_none())
    }

    /// How many checks failed.
    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|c| c.failure.is_some()).count()
    }
}

impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            if let Some(why) = &c.failure {
                writeln!(f, "FAIL {}: {why}", c.name)?;
            }
        }
        write!(
            f,
            "{} passed, {} failed",
            self.checks.len() - self.failed(),
            self.failed()
        )
    }
}

type Check = Result<(), String>;

/// A named check, run once.
type NamedCheck<'a> = (&'static str, Box<dyn FnOnce() -> Check + 'a>);

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Check {
    if cond { Ok(()) } else { Err(what()) }
}

fn port<T>(r: Result<T, PortError>, call: &str) -> Result<T, String> {
    r.map_err(|e| format!("{call} failed: {e}"))
}

/// A compare-and-set store under test, seen through one key space.
trait CasStore: Sync {
    fn load(&self, key: &str) -> Result<Option<Record>, PortError>;
    fn save(&self, key: &str, data: String, expected: u64) -> Result<(), PortError>;
}

struct Flows<'a>(&'a dyn FlowStore);
impl CasStore for Flows<'_> {
    fn load(&self, key: &str) -> Result<Option<Record>, PortError> {
        self.0.load(key.to_owned())
    }
    fn save(&self, key: &str, data: String, expected: u64) -> Result<(), PortError> {
        self.0.save(key.to_owned(), data, expected, u64::MAX / 2)
    }
}

struct Infos<'a>(&'a dyn SecurityInfoStore);
impl CasStore for Infos<'_> {
    fn load(&self, key: &str) -> Result<Option<Record>, PortError> {
        self.0.load(UserId::new(key))
    }
    fn save(&self, key: &str, data: String, expected: u64) -> Result<(), PortError> {
        self.0.save(UserId::new(key), data, expected)
    }
}

fn cas_sequence(s: &dyn CasStore, key: &str) -> Check {
    ensure(port(s.load(key), "load")?.is_none(), || {
        "a key never saved loads as Some".into()
    })?;
    port(
        s.save(key, "{\"n\":1}".into(), 0),
        "first save with expected version 0",
    )?;
    let r = port(s.load(key), "load")?.ok_or("a saved record loads as None")?;
    ensure(r.version == 1 && r.data == "{\"n\":1}", || {
        format!(
            "after the first save: version {} (want 1) or data differs",
            r.version
        )
    })?;
    for (expected, why) in [
        (0, "expected 0 on an existing record"),
        (2, "a version from the future"),
        (7, "a wrong version"),
    ] {
        match s.save(key, "{\"n\":\"bad\"}".into(), expected) {
            Err(e) if e.is_conflict() => {}
            Err(e) => return Err(format!("save with {why} failed with {e}, not a conflict")),
            Ok(()) => return Err(format!("save with {why} succeeded")),
        }
    }
    let r = port(s.load(key), "load")?.ok_or("record vanished")?;
    ensure(r.version == 1 && r.data == "{\"n\":1}", || {
        "a conflicting save changed the record".into()
    })?;
    port(
        s.save(key, "{\"n\":2}".into(), 1),
        "save with the right version",
    )?;
    let r = port(s.load(key), "load")?.ok_or("record vanished")?;
    ensure(r.version == 2 && r.data == "{\"n\":2}", || {
        format!("after the second save: version {} (want 2)", r.version)
    })
}

fn cas_race(s: &dyn CasStore, key: &str, threads: usize) -> Check {
    port(s.save(key, "{\"race\":0}".into(), 0), "create")?;
    let wins = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for i in 0..threads {
            let (wins, errors) = (&wins, &errors);
            scope.spawn(
                move || match s.save(key, format!("{{\"race\":{}}}", i + 1), 1) {
                    Ok(()) => {
                        wins.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) if e.is_conflict() => {}
                    Err(_) => {
                        errors.fetch_add(1, Ordering::SeqCst);
                    }
                },
            );
        }
    });
    let (wins, errors) = (wins.into_inner(), errors.into_inner());
    ensure(errors == 0, || {
        format!("{errors} concurrent saves failed with something other than a conflict")
    })?;
    ensure(wins == 1, || {
        format!(
            "{wins} of {threads} concurrent saves with the same expected version succeeded (want exactly 1)"
        )
    })?;
    let r = port(s.load(key), "load")?.ok_or("record vanished")?;
    ensure(r.version == 2, || {
        format!("version {} after one winning save (want 2)", r.version)
    })
}

fn cas_no_lost_updates(s: &dyn CasStore, key: &str, threads: usize) -> Check {
    const PER_THREAD: u64 = 20;
    port(s.save(key, "0".into(), 0), "create")?;
    let failures = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let failures = &failures;
            scope.spawn(move || {
                let mut done = 0;
                let mut tries = 0;
                while done < PER_THREAD && tries < 100_000 {
                    tries += 1;
                    let Ok(Some(r)) = s.load(key) else {
                        failures.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    let n: u64 = r.data.parse().unwrap_or(u64::MAX);
                    match s.save(key, (n + 1).to_string(), r.version) {
                        Ok(()) => done += 1,
                        Err(e) if e.is_conflict() => {}
                        Err(_) => {
                            failures.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                    }
                }
                if done < PER_THREAD {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    ensure(failures.into_inner() == 0, || {
        "a read-modify-write loop failed or starved".into()
    })?;
    let r = port(s.load(key), "load")?.ok_or("record vanished")?;
    let want = threads as u64 * PER_THREAD;
    ensure(r.data == want.to_string() && r.version == want + 1, || {
        format!(
            "after {want} read-modify-write saves: value {} version {} (lost updates)",
            r.data, r.version
        )
    })
}

fn flow_delete(f: &dyn FlowStore, key: &str) -> Check {
    port(f.save(key.into(), "{}".into(), 0, u64::MAX / 2), "save")?;
    port(f.delete(key.into()), "delete")?;
    ensure(port(f.load(key.into()), "load")?.is_none(), || {
        "a deleted flow still loads".into()
    })?;
    port(f.delete(key.into()), "second delete (must be idempotent)")?;
    port(
        f.save(key.into(), "{}".into(), 0, u64::MAX / 2),
        "re-create after delete with expected version 0",
    )
}

fn counter_sequence(c: &dyn CounterStore, key: &str) -> Check {
    let now = 1_000_000;
    let count = |t: u64| port(c.get(key.into(), t), "get").map(|s| s.count);
    ensure(count(now)? == 0, || "a fresh counter is not 0".into())?;
    for want in 1..=3 {
        let got = port(c.increment(key.into(), now + want as u64, 60), "increment")?;
        ensure(got.count == want && got.blocked_until.is_none(), || {
            format!("increment returned {got:?}, want count {want} and no block")
        })?;
    }
    ensure(count(now + 59)? == 3, || {
        "count inside the window is not 3".into()
    })?;
    ensure(count(now + 61)? == 0, || {
        "count after the window is not 0".into()
    })?;
    let got = port(c.increment(key.into(), now + 61, 60), "increment")?;
    ensure(got.count == 1, || {
        format!(
            "first increment of a new window returned {}, want 1",
            got.count
        )
    })?;
    port(c.clear(key.into()), "clear")?;
    ensure(count(now + 62)? == 0, || {
        "count after clear is not 0".into()
    })
}

fn counter_get_many(c: &dyn CounterStore, key: &str) -> Check {
    let now = 1_200_000;
    let (a, b, none) = (
        format!("{key}-a"),
        format!("{key}-b"),
        format!("{key}-none"),
    );
    for _ in 0..2 {
        port(c.increment(a.clone(), now, 60), "increment")?;
    }
    port(c.increment(b.clone(), now, 60), "increment")?;
    port(c.block(b.clone(), now + 600), "block")?;
    // Asked in an order unlike any storage order, with a key twice and one never written.
    let keys = vec![b.clone(), none.clone(), a.clone(), b.clone()];
    let many = port(c.get_many(keys.clone(), now + 1), "get_many")?;
    let one: Vec<_> = keys
        .into_iter()
        .map(|k| port(c.get(k, now + 1), "get"))
        .collect::<Result<_, _>>()?;
    ensure(many == one, || {
        format!("get_many returned {many:?}, get one by one {one:?}")
    })?;
    ensure(
        many.len() == 4 && many[2].count == 2 && many[0].blocked_until == Some(now + 600),
        || format!("get_many returned {many:?}"),
    )?;
    ensure(
        port(c.get_many(Vec::new(), now), "get_many of nothing")?.is_empty(),
        || "get_many of no keys returned states".into(),
    )?;
    for k in [a, b, none] {
        port(c.clear(k), "clear")?;
    }
    Ok(())
}

fn counter_release(c: &dyn CounterStore, key: &str) -> Check {
    let now = 1_500_000;
    let count = |t: u64| port(c.get(key.into(), t), "get").map(|s| s.count);
    port(c.release(key.into(), now), "release of a fresh key")?;
    ensure(count(now)? == 0, || {
        "release of a fresh key made a count".into()
    })?;
    port(c.increment(key.into(), now, 60), "increment")?;
    port(c.increment(key.into(), now, 60), "increment")?;
    port(c.release(key.into(), now + 1), "release")?;
    ensure(count(now + 1)? == 1, || {
        "release did not take one back".into()
    })?;
    port(c.release(key.into(), now + 1), "release")?;
    port(c.release(key.into(), now + 1), "release")?;
    ensure(count(now + 1)? == 0, || "release went below zero".into())?;
    let got = port(c.increment(key.into(), now + 2, 60), "increment")?;
    ensure(got.count == 1, || {
        format!("increment after releases returned {}, want 1", got.count)
    })?;
    // A release after the window ended does not reach into the next one.
    port(c.release(key.into(), now + 60), "release after the window")?;
    let got = port(c.increment(key.into(), now + 60, 60), "increment")?;
    ensure(got.count == 1, || {
        format!(
            "a release after the window changed the next one ({})",
            got.count
        )
    })
}

fn counter_race(c: &dyn CounterStore, key: &str, threads: usize) -> Check {
    const PER_THREAD: usize = 50;
    let now = 2_000_000;
    let errors = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let errors = &errors;
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    if c.increment(key.into(), now, 3600).is_err() {
                        errors.fetch_add(1, Ordering::SeqCst);
                    }
                    // Every other thread takes back every fifth of its increments.
                    if t % 2 == 1 && i % 5 == 0 && c.release(key.into(), now).is_err() {
                        errors.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    ensure(errors.into_inner() == 0, || {
        "concurrent increments or releases failed".into()
    })?;
    let released = (threads / 2) * PER_THREAD.div_ceil(5);
    let want = threads * PER_THREAD - released;
    let got = port(c.get(key.into(), now), "get")?.count as usize;
    ensure(got == want, || {
        format!(
            "{} concurrent increments and {released} releases counted as {got}, want {want}",
            threads * PER_THREAD
        )
    })
}

fn block_sequence(c: &dyn CounterStore, key: &str) -> Check {
    let now = 3_000_000;
    let blocked = |t: u64| port(c.get(key.into(), t), "get").map(|s| s.blocked_until);
    ensure(blocked(now)?.is_none(), || "a fresh key is blocked".into())?;
    let until = port(c.block(key.into(), now + 100), "block")?;
    ensure(until == now + 100, || {
        format!("block returned {until}, want {}", now + 100)
    })?;
    let until = port(c.block(key.into(), now + 50), "block")?;
    ensure(until == now + 100, || {
        "a shorter block replaced a longer one".into()
    })?;
    ensure(blocked(now + 99)? == Some(now + 100), || {
        "block not in force before its end".into()
    })?;
    let hit = port(c.increment(key.into(), now + 99, 60), "increment")?;
    ensure(hit.blocked_until == Some(now + 100), || {
        format!("increment on a blocked key reported {hit:?}")
    })?;
    ensure(blocked(now + 100)?.is_none(), || {
        "block still in force at its end".into()
    })?;
    let until = port(c.block(key.into(), u64::MAX), "block until u64::MAX")?;
    ensure(
        until == u64::MAX && blocked(u64::MAX - 1)? == Some(u64::MAX),
        || "a lock (block until u64::MAX) does not hold".into(),
    )?;
    port(c.clear(key.into()), "clear")?;
    ensure(blocked(now)?.is_none(), || "clear left the block".into())
}

fn consume_sequence(s: &dyn ConsumeOnceSet, ns: &str) -> Check {
    let exp = u64::MAX / 2;
    ensure(
        port(s.consume(format!("{ns}/a"), "k".into(), exp), "consume")?,
        || "first consume returned false".into(),
    )?;
    ensure(
        !port(s.consume(format!("{ns}/a"), "k".into(), exp), "consume")?,
        || "second consume returned true".into(),
    )?;
    ensure(
        port(s.consume(format!("{ns}/b"), "k".into(), exp), "consume")?,
        || "the same key in another namespace was already consumed".into(),
    )?;
    ensure(
        port(s.consume(format!("{ns}/a"), "k2".into(), exp), "consume")?,
        || "another key in the namespace was already consumed".into(),
    )
}

fn consume_race(s: &dyn ConsumeOnceSet, ns: &str, threads: usize) -> Check {
    let wins = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (wins, errors) = (&wins, &errors);
            scope.spawn(move || {
                match s.consume(format!("{ns}/race"), "same".into(), u64::MAX / 2) {
                    Ok(true) => {
                        wins.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(false) => {}
                    Err(_) => {
                        errors.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let (wins, errors) = (wins.into_inner(), errors.into_inner());
    ensure(errors == 0, || {
        format!("{errors} concurrent consumes failed")
    })?;
    ensure(wins == 1, || {
        format!("{wins} of {threads} concurrent consumes of one value won (want exactly 1)")
    })
}

/// Runs every check with `threads` concurrent threads in the race checks (at least 2). Keys
/// start with `namespace`; use a fresh one per run against a persistent backend.
pub fn run(stores: &StoreSet<'_>, namespace: &str, threads: usize) -> ConformanceReport {
    let threads = threads.max(2);
    let ns = namespace;
    let flows = Flows(stores.flows);
    let infos = Infos(stores.security_info);
    let checks: Vec<NamedCheck<'_>> = vec![
        (
            "flow store: compare-and-set sequence",
            Box::new(|| cas_sequence(&flows, &format!("{ns}-flow-seq"))),
        ),
        (
            "flow store: one winner among concurrent saves",
            Box::new(|| cas_race(&flows, &format!("{ns}-flow-race"), threads)),
        ),
        (
            "flow store: no lost updates under contention",
            Box::new(|| cas_no_lost_updates(&flows, &format!("{ns}-flow-rmw"), threads)),
        ),
        (
            "flow store: delete",
            Box::new(|| flow_delete(stores.flows, &format!("{ns}-flow-del"))),
        ),
        (
            "security-info store: compare-and-set sequence",
            Box::new(|| cas_sequence(&infos, &format!("{ns}-info-seq"))),
        ),
        (
            "security-info store: one winner among concurrent saves",
            Box::new(|| cas_race(&infos, &format!("{ns}-info-race"), threads)),
        ),
        (
            "security-info store: no lost updates under contention",
            Box::new(|| cas_no_lost_updates(&infos, &format!("{ns}-info-rmw"), threads)),
        ),
        (
            "counter store: windowed increments",
            Box::new(|| counter_sequence(stores.counters, &format!("{ns}-ctr-seq"))),
        ),
        (
            "counter store: get_many reads as get does, in order",
            Box::new(|| counter_get_many(stores.counters, &format!("{ns}-ctr-many"))),
        ),
        (
            "counter store: release takes back one increment",
            Box::new(|| counter_release(stores.counters, &format!("{ns}-ctr-rel"))),
        ),
        (
            "counter store: concurrent increments and releases are all counted",
            Box::new(|| counter_race(stores.counters, &format!("{ns}-ctr-race"), threads)),
        ),
        (
            "counter store: blocks",
            Box::new(|| block_sequence(stores.counters, &format!("{ns}-ctr-block"))),
        ),
        (
            "consume-once set: single use, namespaced",
            Box::new(|| consume_sequence(stores.consume_once, ns)),
        ),
        (
            "consume-once set: one winner among concurrent consumes",
            Box::new(|| consume_race(stores.consume_once, ns, threads)),
        ),
    ];
    ConformanceReport {
        checks: checks
            .into_iter()
            .map(|(name, check)| CheckResult {
                name,
                failure: check().err(),
            })
            .collect(),
    }
}
