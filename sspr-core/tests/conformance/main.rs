//! The conformance runner: loads every `*.json` vector file under `SSPR_CONFORMANCE_DIR`
//! (default: the project's own `conformance/` directory), runs each case through the public
//! API and prints one line per failure and `N passed, N failed`.
#![allow(clippy::print_stdout)] // a runner reports on standard output

mod flow;
mod otp;
mod password;
mod policy;
mod runner;

use std::process::ExitCode;

use sspr_core::engine::Ports;
use sspr_core::memory::MemoryPorts;

pub use runner::{Outcome, check_expect_keys};

/// Makes the ports a flow case runs on from the reference in-memory ones.
pub type Backend = fn(&MemoryPorts) -> Result<Ports, String>;

fn main() -> ExitCode {
    runner::main_with(|mem| Ok(mem.ports()))
}
