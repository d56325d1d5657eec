//! A whole reset on each store backend, side by side in one run: the in-memory ports, SQLite
//! in a file, PostgreSQL and Redis on throwaway loopback servers (when Debian's packages are
//! installed). Per backend: flows per second, p50 and p99 step latency, and store calls per
//! step (every call to the flow, security-info, counter and consume-once stores and the audit
//! sink, counted by a wrapper; on PostgreSQL and Redis each is one statement or command, one
//! network round trip, after the pool's check of the connection on checkout).
//!
//! A flow: "who are you?", email me a code, enter it, choose a new password (cheap test
//! hashing, so that the stores dominate).
//!
//! Run: `cargo bench -p sspr-benches --bench stores`
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sspr_core::audit::AuditEvent;
use sspr_core::engine::{Ports, SecurityInfoImport};
use sspr_core::memory::MemoryPorts;
use sspr_core::ports::{
    AuditSink, ConsumeOnceSet, CounterState, CounterStore, FlowStore, Record, SecurityInfoStore,
};
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA};
use sspr_core::{Policy, PortError, ResetOption, SecretString, UserId};
use sspr_stores::{Backend as _, Prefix, SqliteOptions, SqliteStores};

/// Calls to the stores, by port method.
#[derive(Default)]
struct Tally(Mutex<BTreeMap<&'static str, u64>>);

impl Tally {
    fn total(&self) -> u64 {
        self.0.lock().map_or(0, |m| m.values().sum())
    }
    fn clear(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }
}

/// Counts every call to the stores it wraps.
struct Counted<T: ?Sized> {
    inner: Arc<T>,
    calls: Arc<Tally>,
}

impl<T: ?Sized> Counted<T> {
    fn hit(&self, method: &'static str) {
        if let Ok(mut m) = self.calls.0.lock() {
            *m.entry(method).or_insert(0) += 1;
        }
    }
}

impl FlowStore for Counted<dyn FlowStore> {
    fn load(&self, id: String) -> Result<Option<Record>, PortError> {
        self.hit("flows.load");
        self.inner.load(id)
    }
    fn save(&self, id: String, data: String, v: u64, exp: u64) -> Result<(), PortError> {
        self.hit("flows.save");
        self.inner.save(id, data, v, exp)
    }
    fn delete(&self, id: String) -> Result<(), PortError> {
        self.hit("flows.delete");
        self.inner.delete(id)
    }
}

impl SecurityInfoStore for Counted<dyn SecurityInfoStore> {
    fn load(&self, u: UserId) -> Result<Option<Record>, PortError> {
        self.hit("security_info.load");
        self.inner.load(u)
    }
    fn save(&self, u: UserId, data: String, v: u64) -> Result<(), PortError> {
        self.hit("security_info.save");
        self.inner.save(u, data, v)
    }
}

impl CounterStore for Counted<dyn CounterStore> {
    fn increment(&self, k: String, now: u64, w: u64) -> Result<CounterState, PortError> {
        self.hit("counters.increment");
        self.inner.increment(k, now, w)
    }
    fn get(&self, k: String, now: u64) -> Result<CounterState, PortError> {
        self.hit("counters.get");
        self.inner.get(k, now)
    }
    fn get_many(&self, keys: Vec<String>, now: u64) -> Result<Vec<CounterState>, PortError> {
        self.hit("counters.get_many");
        self.inner.get_many(keys, now)
    }
    fn release(&self, k: String, now: u64) -> Result<(), PortError> {
        self.hit("counters.release");
        self.inner.release(k, now)
    }
    fn block(&self, k: String, until: u64) -> Result<u64, PortError> {
        self.hit("counters.block");
        self.inner.block(k, until)
    }
    fn clear(&self, k: String) -> Result<(), PortError> {
        self.hit("counters.clear");
        self.inner.clear(k)
    }
}

impl ConsumeOnceSet for Counted<dyn ConsumeOnceSet> {
    fn consume(&self, ns: String, k: String, exp: u64) -> Result<bool, PortError> {
        self.hit("consume_once.consume");
        self.inner.consume(ns, k, exp)
    }
}

impl AuditSink for Counted<dyn AuditSink> {
    fn record(&self, e: AuditEvent) -> Result<(), PortError> {
        self.hit("audit.record");
        self.inner.record(e)
    }
}

fn counted(p: Ports, calls: &Arc<Tally>) -> Ports {
    let c = |calls: &Arc<Tally>| calls.clone();
    Ports {
        flows: Arc::new(Counted {
            inner: p.flows,
            calls: c(calls),
        }),
        security_info: Arc::new(Counted {
            inner: p.security_info,
            calls: c(calls),
        }),
        counters: Arc::new(Counted {
            inner: p.counters,
            calls: c(calls),
        }),
        consume_once: Arc::new(Counted {
            inner: p.consume_once,
            calls: c(calls),
        }),
        audit: p.audit.map(|a| {
            Arc::new(Counted {
                inner: a,
                calls: c(calls),
            }) as Arc<dyn AuditSink>
        }),
        ..p
    }
}

struct Figures {
    flows_per_s: f64,
    p50: Duration,
    p99: Duration,
    trips_per_step: f64,
    /// Calls a flow, by port method.
    per_flow: BTreeMap<&'static str, f64>,
}

fn run(name: &str, flows: usize, make: &dyn Fn(&MemoryPorts) -> Ports) -> Figures {
    let mem = fixtures::memory_ports(7);
    let calls = Arc::new(Tally::default());
    let engine = fixtures::engine(Policy::default(), counted(make(&mem), &calls));
    let import = SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        ..Default::default()
    };
    engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap();
    let mut steps = Vec::with_capacity(flows * 4);
    calls.clear();
    let start = Instant::now();
    for i in 0..flows {
        let t = Instant::now();
        let o = engine.start_reset(ALICE.username, CAPTCHA, None).unwrap();
        let id = o
            .view
            .unwrap_or_else(|| panic!("{name} flow {i}: {:?}", o.rejection))
            .flow_id;
        steps.push(t.elapsed());
        let t = Instant::now();
        engine
            .reset_step(&id, ResetInput::Choose(ResetOption::Email))
            .unwrap();
        steps.push(t.elapsed());
        let code = mem
            .notifier
            .take()
            .into_iter()
            .find_map(|m| m.code)
            .unwrap();
        let t = Instant::now();
        engine.reset_step(&id, ResetInput::EnterCode(code)).unwrap();
        steps.push(t.elapsed());
        let pw = SecretString::new(format!("quiet lantern orchard {i:04}x"));
        let t = Instant::now();
        let o = engine
            .reset_step(
                &id,
                ResetInput::NewPassword {
                    password: pw.clone(),
                    confirm: pw,
                },
            )
            .unwrap();
        steps.push(t.elapsed());
        assert_eq!(o.view.unwrap().state, "completed", "{name}");
        mem.notifier.take();
        // One email a minute to the same address stays under `limits.email_sends`.
        mem.clock.advance(61);
    }
    let total = start.elapsed();
    steps.sort();
    let pick = |q: f64| steps[((steps.len() as f64 * q) as usize).min(steps.len() - 1)];
    Figures {
        flows_per_s: flows as f64 / total.as_secs_f64(),
        p50: pick(0.50),
        p99: pick(0.99),
        trips_per_step: calls.total() as f64 / steps.len() as f64,
        per_flow: calls
            .0
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (*k, *v as f64 / flows as f64))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn show(name: &str, f: &Figures, base: Option<&Figures>) {
    let ratio = base.map_or("—".to_owned(), |b| {
        format!("{:.1}× slower", b.flows_per_s / f.flows_per_s)
    });
    println!(
        "| {name} | {:.0} | {} | {} | {:.1} | {ratio} |",
        f.flows_per_s,
        sspr_benches::fmt(f.p50),
        sspr_benches::fmt(f.p99),
        f.trips_per_step
    );
}

fn main() {
    println!("## A whole reset on each store backend (4 steps a flow)\n");
    println!("| backend | flows/s | p50 step | p99 step | store calls a step | vs memory |");
    println!("|---|---|---|---|---|---|");
    let memory = run("memory", 2000, &|mem| mem.ports());
    show("in memory", &memory, None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let sqlite = run("sqlite", 300, &|mem| {
        let mut o = SqliteOptions::new(Prefix::default());
        o.clock = mem.clock.clone();
        SqliteStores::open_with(&path, o)
            .unwrap()
            .ports(mem.ports())
    });
    show("SQLite (file, WAL)", &sqlite, Some(&memory));
    match sspr_stores::testing::PgServer::start() {
        Ok(server) => {
            let url = server.url();
            let pg = run("postgres", 300, &|mem| {
                let mut o = sspr_stores::PostgresOptions::new(Prefix::default());
                o.clock = mem.clock.clone();
                sspr_stores::PostgresStores::connect_with(&url, o)
                    .unwrap()
                    .ports(mem.ports())
            });
            show("PostgreSQL (loopback)", &pg, Some(&memory));
        }
        Err(e) => println!("| PostgreSQL | skipped: {e} | | | | |"),
    }
    match sspr_stores::testing::RedisServer::start() {
        Ok(server) => {
            let url = server.url();
            let redis = run("redis", 300, &|mem| {
                let mut o = sspr_stores::RedisOptions::new(Prefix::default());
                o.clock = mem.clock.clone();
                sspr_stores::RedisStores::connect_with(&url, o)
                    .unwrap()
                    .ports(mem.ports())
            });
            show("Redis (loopback)", &redis, Some(&memory));
        }
        Err(e) => println!("| Redis | skipped: {e} | | | | |"),
    }
    println!("\n### Store calls a flow, by port method (the same on every backend)\n");
    println!("| call | a flow |");
    println!("|---|---|");
    for (k, v) in &memory.per_flow {
        println!("| `{k}` | {v:.1} |");
    }
}
