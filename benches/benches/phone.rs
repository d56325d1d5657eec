//! Phone numbers checked against libphonenumber's metadata (the default `phone-metadata`
//! feature) beside the form-only check, side by side in one run, and beside what a
//! registration step already costs (hashing one security answer at the engine's default
//! argon2 cost), so the figure can be read against the work around it. Also the one-time load
//! of the metadata, in a fresh process.
//!
//! Run: `cargo bench -p sspr-benches --bench phone`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use sspr_benches::{fmt, measure_pair};
use sspr_core::PhoneNumber;
use sspr_core::hashing::HashParams;
use sspr_core::testing::internals::phone_number_form;

const NUMBERS: [&str; 8] = [
    "+1 (425) 555-0100",
    "+44 20 7946 0958",
    "+358 40 1234567",
    "+7 912 345 67 89",
    "+49 30 901820",
    "+81 3-1234-5678",
    "+61 2 9876 5432",
    "+55 11 91234 5678",
];

fn main() {
    let t = Instant::now();
    PhoneNumber::load_metadata();
    println!("loading the metadata, once a process: {}", fmt(t.elapsed()));
    let mut i = 0usize;
    let mut j = 0usize;
    let (meta, form) = measure_pair(
        31,
        (200, || {
            i = i.wrapping_add(1);
            black_box(PhoneNumber::parse(NUMBERS[i % NUMBERS.len()]).is_ok())
        }),
        (200, || {
            j = j.wrapping_add(1);
            black_box(phone_number_form(NUMBERS[j % NUMBERS.len()]).is_ok())
        }),
    );
    let params = HashParams::default();
    let rng = sspr_core::memory::TestRandomness::new(7);
    let (_, hash) = measure_pair(
        11,
        (200, || black_box(PhoneNumber::parse(NUMBERS[0]).is_ok())),
        (1, || {
            black_box(sspr_core::hashing::hash(b"paper round", &params, &rng).is_ok())
        }),
    );
    println!("| check | median a number | slowest sample |");
    println!("|---|---|---|");
    println!(
        "| form and metadata (`PhoneNumber::parse`) | {} | {} |",
        fmt(meta.median),
        fmt(meta.max)
    );
    println!("| form only | {} | {} |", fmt(form.median), fmt(form.max));
    println!(
        "metadata / form only: {:.0}×; one security answer hashed at the default cost: {} ({:.0}× a number's check)",
        meta.median.as_secs_f64() / form.median.as_secs_f64().max(1e-12),
        fmt(hash.median),
        hash.median.as_secs_f64() / meta.median.as_secs_f64().max(1e-12)
    );
}
