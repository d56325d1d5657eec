//! Codes, one-time passwords and whole flows, side by side:
//! * code issue + verify: sspr's keyed HMAC seal vs storing an argon2id hash of the code;
//! * TOTP verification (skew 1): sspr (constant-time window, replay check) vs totp-rs `check`;
//! * a whole reset over the in-memory ports, up to the new-password screen (start, choose
//!   email, enter the code): median per flow and flows per second on one core, against the
//!   targets of 20 µs and 50,000 flows/s;
//! * argon2id at OWASP parameters: sspr's wrapper vs the argon2 crate called directly.
//!
//! Run: `cargo bench -p sspr-benches --bench flows`
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

use argon2::{PasswordHasher, PasswordVerifier};
use sspr_benches::{fmt, measure, measure_pair, reset_engine, row};
use sspr_core::KeyRing;
use sspr_core::hashing::{self, HashParams};
use sspr_core::memory::*;
use sspr_core::otp::OtpParams;
use sspr_core::reset::ResetInput;
use sspr_core::testing::internals::code;
use sspr_core::testing::internals::code::{Binding, Purpose};
use sspr_core::testing::internals::totp;
use sspr_core::{ResetOption, SecretString};

fn main() {
    println!(
        "## Codes and one-time passwords\n\n| operation | sspr | peer | ratio |\n|---|---|---|---|"
    );
    let rng = TestRandomness::new(3);
    let keys = KeyRing::single("k", vec![9; 32]).unwrap();
    let b = Binding {
        purpose: Purpose::ResetCode,
        flow_id: "flow",
        destination: "alice@fabrikam.example",
    };
    let argon = argon2::Argon2::default();
    let (ours, theirs) = measure_pair(
        9,
        (2000, || {
            let (c, issued) = code::issue(&rng, &keys, &b, 8, 1000, 300).unwrap();
            code::compare(&issued, &keys, &b, c.expose(), 1001)
        }),
        (3, || {
            let phc = argon
                .hash_password_with_salt(b"48151623", b"0123456789abcdef")
                .unwrap();
            argon.verify_password(b"48151623", &phc).is_ok()
        }),
    );
    row(
        "issue + verify an 8-digit code (vs argon2id-hashed code)",
        ours,
        theirs,
    );

    let secret = vec![7u8; 20];
    let p = OtpParams::default();
    let now = 1_750_000_015;
    let good = totp::totp(&secret, now, &p).unwrap();
    let theirs_totp = totp_rs::Builder::new()
        .with_secret(secret.clone())
        .build_noncompliant();
    let (ours, theirs) = measure_pair(
        31,
        (5000, || totp::verify(&secret, &p, &good, now, 1, None)),
        (5000, || theirs_totp.check(&good, now)),
    );
    row(
        "TOTP verify, skew 1, right code (vs totp-rs check)",
        ours,
        theirs,
    );
    let (ours, theirs) = measure_pair(
        31,
        (5000, || totp::verify(&secret, &p, "000000", now, 1, None)),
        (5000, || theirs_totp.check("000000", now)),
    );
    row(
        "TOTP verify, skew 1, wrong code (vs totp-rs check)",
        ours,
        theirs,
    );

    let (ours, theirs) = measure_pair(
        7,
        (3, || {
            hashing::hash(b"tin man", &HashParams::default(), &rng).unwrap()
        }),
        (3, || {
            argon
                .hash_password_with_salt(b"tin man", b"0123456789abcdef")
                .unwrap()
                .to_string()
        }),
    );
    row(
        "argon2id hash, m=19456 t=2 p=1 (vs argon2 crate directly)",
        ours,
        theirs,
    );
    println!(
        "\nargon2-cffi at the same parameters: `python benches/argon2_vs_cffi.py` (needs the venv of scripts/test.sh).\n"
    );

    println!("## A whole reset on the in-memory ports (start, choose email, enter the code)\n");
    let users = 2000;
    let (engine, mem) = reset_engine(users);
    let (notifier, clock) = (mem.notifier.clone(), mem.clock.clone());
    let mut i = 0usize;
    let mut one_flow = || {
        // Each user starts a reset every few hours: no send limit is ever reached.
        clock.advance(60);
        let who = format!("user{}@contoso.example", i % users);
        i += 1;
        let id = engine
            .start_reset(&who, "ok", None)
            .unwrap()
            .view
            .unwrap()
            .flow_id;
        engine
            .reset_step(&id, ResetInput::Choose(ResetOption::Email))
            .unwrap();
        let code = notifier.take().into_iter().find_map(|m| m.code).unwrap();
        let o = engine
            .reset_step(&id, ResetInput::EnterCode(SecretString::new(code.expose())))
            .unwrap();
        assert_eq!(o.view.unwrap().state, "new_password");
    };
    let stats = measure(31, 200, &mut one_flow);
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed().as_secs_f64() < 2.0 {
        one_flow();
        n += 1;
    }
    let per_s = f64::from(n) / start.elapsed().as_secs_f64();
    println!("| measure | result | target |\n|---|---|---|");
    println!(
        "| median per flow (3 steps) | {} (max {}) | 20 µs |",
        fmt(stats.median),
        fmt(stats.max)
    );
    println!("| flows per second, one core | {per_s:.0} | 50,000 |");
}
