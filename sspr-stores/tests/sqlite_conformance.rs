//! The whole conformance suite (project vectors, or `SSPR_CONFORMANCE_DIR`) with the engine's
//! stores on SQLite: one database file per flow case, in a temporary directory.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

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

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use sspr_core::engine::Ports;
use sspr_core::memory::MemoryPorts;
use sspr_stores::{Backend as _, Prefix, SqliteOptions, SqliteStores};

pub use runner::{Outcome, check_expect_keys};

/// Makes the ports a flow case runs on from the reference in-memory ones.
pub type Backend = fn(&MemoryPorts) -> Result<Ports, String>;

/// The temporary directory of the run's database files; `main` owns it and removes it.
static DIR: OnceLock<PathBuf> = OnceLock::new();
static CASE: AtomicUsize = AtomicUsize::new(0);

fn sqlite(mem: &MemoryPorts) -> Result<Ports, String> {
    let dir = DIR.get().ok_or("no temporary directory")?;
    let n = CASE.fetch_add(1, Ordering::SeqCst);
    let mut options = SqliteOptions::new(Prefix::default());
    options.clock = mem.clock.clone();
    options.pool_size = 2;
    let stores = SqliteStores::open_with(dir.join(format!("case-{n}.db")), options)
        .map_err(|e| format!("sqlite: {e}"))?;
    Ok(stores.ports(mem.ports()))
}

fn main() -> ExitCode {
    println!("== flows on SQLite");
    let dir = tempfile::tempdir().expect("a temporary directory");
    DIR.set(dir.path().to_owned()).expect("set once");
    let code = runner::main_with(sqlite);
    // A static is never dropped: the directory goes here, with every case's database in it.
    dir.close().expect("the temporary directory removed");
    code
}
