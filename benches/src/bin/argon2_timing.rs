//! Median argon2id hash and verify times at OWASP parameters, as JSON, for
//! `benches/argon2_vs_cffi.py`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use sspr_benches::measure;
use sspr_core::hashing::{self, HashParams};
use sspr_core::memory::TestRandomness;

fn main() {
    let rng = TestRandomness::new(1);
    let phc = hashing::hash(b"tin man", &HashParams::default(), &rng).unwrap();
    let h = measure(15, 1, || {
        hashing::hash(b"tin man", &HashParams::default(), &rng).unwrap()
    });
    let v = measure(15, 1, || hashing::verify(b"tin man", &phc).unwrap());
    println!(
        "{}",
        serde_json::json!({"hash_ms": h.median.as_secs_f64() * 1e3, "verify_ms": v.median.as_secs_f64() * 1e3})
    );
}
