//! The PostgreSQL stores on a throwaway server this test starts and stops itself: the store
//! conformance suite at 8 threads, the server stopped in the middle of a flow and started
//! again, a connection cut in the middle of a compare-and-set, the stores dropped on an async
//! runtime's thread, and every conformance vector with the engine's stores on PostgreSQL (a table prefix
//! per case).
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
use sspr_stores::testing::{FaultProxy, PgServer};
use sspr_stores::{Backend as _, PostgresOptions, PostgresStores, Prefix};

pub use runner::{Outcome, check_expect_keys};

/// Makes the ports a flow case runs on from the reference in-memory ones.
pub type Backend = fn(&MemoryPorts) -> Result<Ports, String>;

static URL: OnceLock<String> = OnceLock::new();
static CASE: AtomicUsize = AtomicUsize::new(0);

fn connect(prefix: &str, mem: &MemoryPorts, pool: u32) -> Result<PostgresStores, String> {
    let mut o = PostgresOptions::new(Prefix::new(prefix).map_err(|e| e.to_string())?);
    o.clock = mem.clock.clone();
    o.pool_size = pool;
    o.connect_timeout = std::time::Duration::from_secs(2);
    PostgresStores::connect_with(URL.get().ok_or("no server")?, o).map_err(|e| e.to_string())
}

fn postgres(mem: &MemoryPorts) -> Result<Ports, String> {
    let n = CASE.fetch_add(1, Ordering::SeqCst);
    Ok(connect(&format!("case{n}_"), mem, 2)?.ports(mem.ports()))
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

fn cut_connection(server: &PgServer) -> Result<(), String> {
    let proxy = FaultProxy::start(server.port())?;
    let url = server.url_via(proxy.port());
    faults::cut_during_compare_and_set(
        &proxy,
        |mem, prefix| {
            let mut o = PostgresOptions::new(Prefix::new(prefix).map_err(|e| e.to_string())?);
            o.clock = mem.clock.clone();
            o.pool_size = 2;
            o.connect_timeout = std::time::Duration::from_secs(2);
            let s = PostgresStores::connect_with(&url, o).map_err(|e| e.to_string())?;
            Ok(s.ports(mem.ports()))
        },
        &[b"UPDATE {p}flows"],
        b"UPDATE 1",
    )
}

/// An async host lets go of its state on a runtime's thread: the stores close their
/// connections there without a panic (the synchronous client refuses to run its closing
/// runtime on such a thread, so the pool closes on a thread of its own).
fn dropped_on_an_async_thread() -> Result<(), String> {
    let mem = fixtures::memory_ports(3);
    let s = connect("drop_", &mem, 2)?;
    s.flow_store()
        .load("absent".into())
        .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async move { drop(s) });
    }));
    dropped.map_err(|_| "dropping the stores on an async thread panicked".to_owned())
}

fn main() -> ExitCode {
    println!("== PostgreSQL: a throwaway server");
    let server = match PgServer::start() {
        Ok(s) => s,
        Err(e) => {
            println!("FAIL cannot start PostgreSQL: {e}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    let _ = URL.set(server.url());
    let mut failed = 0;
    for (name, result) in [
        ("store conformance at 8 threads", store_conformance()),
        ("expiry and purge", {
            let mem = fixtures::memory_ports(9);
            connect("expiry_", &mem, 2).and_then(|s| {
                expiry::expired_records_are_invisible_at_once_and_purged_later(&s, &mem.clock, true)
            })
        }),
        (
            "the server stopped mid-flow and started again",
            faults::server_restart_mid_flow(
                |mem| Ok(connect("fault_", mem, 4)?.ports(mem.ports())),
                || server.stop(),
                || server.start_again(),
            ),
        ),
        (
            "a connection cut during a compare-and-set",
            cut_connection(&server),
        ),
        (
            "the stores dropped on an async runtime's thread",
            dropped_on_an_async_thread(),
        ),
    ] {
        match result {
            Ok(()) => println!("ok {name}"),
            Err(e) => {
                failed += 1;
                println!("FAIL {name}: {e}");
            }
        }
    }
    println!("== flows on PostgreSQL");
    let flows = runner::main_with(postgres);
    drop(server);
    if failed == 0 && flows == ExitCode::SUCCESS {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
