//! The Redis stores on a throwaway server this test starts and stops itself: the store
//! conformance suite at 8 threads, TTLs, hostile values, the eviction check, prefixes, the
//! server killed in the middle of a flow and started again, a connection cut in the middle of
//! a compare-and-set, and every conformance vector with the engine's stores on Redis (a key
//! prefix per case).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod expiry;
mod faults;
#[path = "../../sspr-core/tests/conformance/flow.rs"]
mod flow;
#[path = "../../sspr-core/tests/conformance/otp.rs"]
mod otp;
#[path = "../../sspr-core/tests/conformance/password.rs"]
mod password;
#[path = "../../sspr-core/tests/conformance/policy.rs"]
mod policy;
#[path = "../../sspr-core/tests/conformance/runner.rs"]
mod runner;

use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use sspr_core::engine::Ports;
use sspr_core::memory::MemoryPorts;
use sspr_core::testing::fixtures;
use sspr_core::testing::store_conformance::{StoreSet, run};
use sspr_core::{PortErrorKind, UserId};
use sspr_stores::testing::{FaultProxy, RedisServer};
use sspr_stores::{Backend as _, Prefix, RedisOptions, RedisStores};

pub use runner::{Outcome, check_expect_keys};

/// Makes the ports a flow case runs on from the reference in-memory ones.
pub type Backend = fn(&MemoryPorts) -> Result<Ports, String>;

static URL: OnceLock<String> = OnceLock::new();
static CASE: AtomicUsize = AtomicUsize::new(0);

fn connect_to(
    url: &str,
    prefix: &str,
    mem: &MemoryPorts,
    pool: u32,
) -> Result<RedisStores, String> {
    let mut o = RedisOptions::new(Prefix::new(prefix).map_err(|e| e.to_string())?);
    o.clock = mem.clock.clone();
    o.pool_size = pool;
    o.timeout = std::time::Duration::from_secs(2);
    RedisStores::connect_with(url, o).map_err(|e| e.to_string())
}

fn connect(prefix: &str, mem: &MemoryPorts, pool: u32) -> Result<RedisStores, String> {
    connect_to(URL.get().ok_or("no server")?, prefix, mem, pool)
}

fn redis(mem: &MemoryPorts) -> Result<Ports, String> {
    let n = CASE.fetch_add(1, Ordering::SeqCst);
    Ok(connect(&format!("case{n}_"), mem, 2)?.ports(mem.ports()))
}

/// A raw connection, for writing behind the stores' back.
fn raw() -> redis::Connection {
    redis::Client::open(URL.get().unwrap().as_str())
        .unwrap()
        .get_connection()
        .unwrap()
}

fn store_conformance() -> Result<(), String> {
    let mem = fixtures::memory_ports(1);
    let s = connect("conf_", &mem, 10)?;
    let (f, i, c, o) = (
        s.flow_store(),
        s.security_info_store(),
        s.counter_store(),
        s.consume_once_set(),
    );
    let set = StoreSet {
        flows: f.as_ref(),
        security_info: i.as_ref(),
        counters: c.as_ref(),
        consume_once: o.as_ref(),
    };
    let report = run(&set, "conformance", 8);
    if report.all_passed() && report.checks.len() >= 14 {
        Ok(())
    } else {
        Err(report.to_string())
    }
}

fn ttl(key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query(&mut raw()).unwrap()
}

/// Every key gets a TTL from the engine's clock: a flow its expiry, a consumed value and a
/// counter their end plus the grace; a lock for ever has none. Expired flows are hidden at once
/// by the clock, before Redis deletes them.
fn ttls_follow_the_clock() -> Result<(), String> {
    let mem = fixtures::memory_ports(5);
    let s = connect("ttl_", &mem, 2)?;
    let now = sspr_core::ports::Clock::now(mem.clock.as_ref()).map_err(|e| e.to_string())?;
    s.flow_store()
        .save("f1".into(), "{}".into(), 0, now + 600)
        .map_err(|e| e.to_string())?;
    let t = ttl("ttl_flow:f1");
    if !(598..=600).contains(&t) {
        return Err(format!("flow TTL {t}"));
    }
    s.consume_once_set()
        .consume("ns".into(), "k".into(), now + 300)
        .map_err(|e| e.to_string())?;
    let t = ttl("ttl_once:2:ns:k");
    if !(3_898..=3_900).contains(&t) {
        return Err(format!("consumed TTL {t}"));
    }
    let c = s.counter_store();
    c.increment("c".into(), now, 60)
        .map_err(|e| e.to_string())?;
    let t = ttl("ttl_ctr:c");
    if !(3_658..=3_660).contains(&t) {
        return Err(format!("counter TTL {t}"));
    }
    c.block("c".into(), now + 7_200)
        .map_err(|e| e.to_string())?;
    let t = ttl("ttl_ctr:c");
    if !(10_798..=10_800).contains(&t) {
        return Err(format!("blocked counter TTL {t}"));
    }
    c.block("c".into(), u64::MAX).map_err(|e| e.to_string())?;
    if ttl("ttl_ctr:c") != -1
        || c.get("c".into(), now)
            .map_err(|e| e.to_string())?
            .blocked_until
            != Some(u64::MAX)
    {
        return Err("a lock for ever expired or read back wrong".into());
    }
    mem.clock.advance(601);
    if s.flow_store()
        .load("f1".into())
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err("an expired flow is visible".into());
    }
    // Redis itself deletes a key at its TTL's end: a flow due a second from now is gone in two.
    let now = sspr_core::ports::Clock::now(mem.clock.as_ref()).map_err(|e| e.to_string())?;
    s.flow_store()
        .save("f2".into(), "{}".into(), 0, now + 1)
        .map_err(|e| e.to_string())?;
    let exists = || -> i64 {
        redis::cmd("EXISTS")
            .arg("ttl_flow:f2")
            .query(&mut raw())
            .unwrap()
    };
    if exists() != 1 {
        return Err("the flow was not stored".into());
    }
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    if exists() != 0 {
        return Err("Redis kept a flow past its TTL".into());
    }
    Ok(())
}

/// Values sspr did not write are contract errors, never panics or silent resets.
fn hostile_values_are_contract_errors() -> Result<(), String> {
    let mem = fixtures::memory_ports(6);
    let s = connect("bad_", &mem, 2)?;
    let mut r = raw();
    let contract = |what: &str, e: Result<(), sspr_core::PortError>| match e {
        Err(e) if e.kind == PortErrorKind::Contract => Ok(()),
        other => Err(format!("{what}: {other:?}")),
    };
    let _: () = redis::cmd("SET")
        .arg("bad_flow:f")
        .arg("x")
        .query(&mut r)
        .unwrap();
    contract(
        "a flow key of another type",
        s.flow_store().load("f".into()).map(|_| ()),
    )?;
    contract(
        "saving over a flow key of another type",
        s.flow_store().save("f".into(), "{}".into(), 0, u64::MAX),
    )?;
    let _: () = redis::cmd("HSET")
        .arg("bad_ctr:c")
        .arg(&["c", "lots", "e", "99999999999"])
        .query(&mut r)
        .unwrap();
    contract(
        "a count that is not a number",
        s.counter_store().increment("c".into(), 1, 60).map(|_| ()),
    )?;
    contract(
        "a count read back",
        s.counter_store().get("c".into(), 1).map(|_| ()),
    )?;
    for odd in ["inf", "1e3", "0x10", " 7", "7.0", "99999999999999999"] {
        let _: () = redis::cmd("HSET")
            .arg("bad_ctr:odd")
            .arg(&["c", odd, "e", "99999999999"])
            .query(&mut r)
            .unwrap();
        contract(
            &format!("a count of {odd:?}"),
            s.counter_store().increment("odd".into(), 1, 60).map(|_| ()),
        )?;
        let c: String = redis::cmd("HGET")
            .arg("bad_ctr:odd")
            .arg("c")
            .query(&mut r)
            .unwrap();
        if c != odd {
            return Err(format!("a refused increment changed {odd:?} to {c:?}"));
        }
    }
    let _: () = redis::cmd("HSET")
        .arg("bad_flow:noexp")
        .arg(&["d", "x", "v", "1"])
        .query(&mut r)
        .unwrap();
    contract(
        "a flow without its expiry, loaded",
        s.flow_store().load("noexp".into()).map(|_| ()),
    )?;
    contract(
        "a flow without its expiry, saved over",
        s.flow_store()
            .save("noexp".into(), "{}".into(), 0, u64::MAX),
    )?;
    let _: () = redis::cmd("HSET")
        .arg("bad_info:u")
        .arg(&["d", "sealed"])
        .query(&mut r)
        .unwrap();
    let user = UserId::new("u");
    contract(
        "a record without its version",
        s.security_info_store().load(user.clone()).map(|_| ()),
    )?;
    let _: () = redis::cmd("HSET")
        .arg("bad_info:u")
        .arg(&["v", "-3"])
        .query(&mut r)
        .unwrap();
    contract(
        "a negative version",
        s.security_info_store().load(user.clone()).map(|_| ()),
    )?;
    contract(
        "saving over a negative version",
        s.security_info_store().save(user, "x".into(), 1),
    )?;
    Ok(())
}

/// A server that may evict keys is refused; prefixes keep tenants apart; a newer layout is
/// refused.
fn eviction_prefixes_and_versions() -> Result<(), String> {
    let mem = fixtures::memory_ports(7);
    let mut r = raw();
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "maxmemory-policy", "allkeys-lru"])
        .query(&mut r)
        .unwrap();
    let refused = connect("evict_", &mem, 1);
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "maxmemory-policy", "noeviction"])
        .query(&mut r)
        .unwrap();
    match refused {
        Err(e) if e.contains("noeviction") => {}
        other => return Err(format!("an evicting server: {other:?}")),
    }
    let (a, b) = (
        connect("tenant_a_", &mem, 1)?,
        connect("tenant_b_", &mem, 1)?,
    );
    let now = sspr_core::ports::Clock::now(mem.clock.as_ref()).map_err(|e| e.to_string())?;
    a.flow_store()
        .save("same".into(), "a".into(), 0, now + 60)
        .map_err(|e| e.to_string())?;
    if b.flow_store()
        .load("same".into())
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err("one prefix sees another's flow".into());
    }
    if a.schema_version().map_err(|e| e.to_string())? != 1 {
        return Err("the layout version is not recorded".into());
    }
    let _: () = redis::cmd("SET")
        .arg("newer_schema")
        .arg("99")
        .query(&mut r)
        .unwrap();
    match connect("newer_", &mem, 1) {
        Err(e) if e.contains("99") => Ok(()),
        other => Err(format!("a newer layout: {:?}", other.map(|_| ()))),
    }
}

fn cut_connection(server: &RedisServer) -> Result<(), String> {
    let proxy = FaultProxy::start(server.port())?;
    let url = format!("redis://127.0.0.1:{}/0", proxy.port());
    faults::cut_during_compare_and_set(
        &proxy,
        |mem, prefix| Ok(connect_to(&url, prefix, mem, 2)?.ports(mem.ports())),
        &[b"EVAL", b"{p}flow:"],
        b":1\r\n",
    )
}

/// One named check of `main`.
type Check<'a> = dyn Fn() -> Result<(), String> + 'a;

fn main() -> ExitCode {
    println!("== Redis: a throwaway server");
    let server = match RedisServer::start() {
        Ok(s) => s,
        Err(e) => {
            println!("FAIL cannot start Redis: {e}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    let _ = URL.set(server.url());
    let mut failed = 0;
    let checks: Vec<(&str, Box<Check<'_>>)> = vec![
        (
            "store conformance at 8 threads",
            Box::new(store_conformance),
        ),
        (
            "TTLs follow the engine's clock",
            Box::new(ttls_follow_the_clock),
        ),
        (
            "expiry by the clock (Redis's own deletion: the TTL check)",
            Box::new(|| {
                let mem = fixtures::memory_ports(9);
                let s = connect("expiry_", &mem, 2)?;
                expiry::expired_records_are_invisible_at_once_and_purged_later(
                    &s, &mem.clock, false,
                )
            }),
        ),
        (
            "hostile values are contract errors",
            Box::new(hostile_values_are_contract_errors),
        ),
        (
            "eviction, prefixes and layout versions",
            Box::new(eviction_prefixes_and_versions),
        ),
        (
            "the server killed mid-flow and started again",
            Box::new(|| {
                faults::server_restart_mid_flow(
                    |mem| Ok(connect("fault_", mem, 4)?.ports(mem.ports())),
                    || server.stop(),
                    || server.start_again(),
                )
            }),
        ),
        (
            "a connection cut during a compare-and-set",
            Box::new(|| cut_connection(&server)),
        ),
    ];
    for (name, check) in checks {
        match check() {
            Ok(()) => println!("ok {name}"),
            Err(e) => {
                failed += 1;
                println!("FAIL {name}: {e}");
            }
        }
    }
    println!("== flows on Redis");
    let flows = runner::main_with(redis);
    drop(server);
    if failed == 0 && flows == ExitCode::SUCCESS {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
