//! A small side-by-side benchmark harness: contenders run interleaved in one process, and the
//! report gives medians and the ratio between them, so machine noise affects both alike.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng};
use sspr_core::engine::Engine;
use sspr_core::memory::MemoryPorts;
use sspr_core::ports::SecurityInfoStore;
use sspr_core::testing::internals::security_info::SecurityInfo;
use sspr_core::{DirectoryUser, EmailAddress, PhoneNumber, Policy, UserId};

/// Timing summary of one contender.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Median time per call.
    pub median: Duration,
    /// Slowest sample per call.
    pub max: Duration,
}

/// Times `f` for `samples` samples of `iters` calls each; returns per-call median and max.
pub fn measure<T>(samples: usize, iters: u32, mut f: impl FnMut() -> T) -> Stats {
    warm_up(iters, &mut f);
    stats((0..samples).map(|_| sample(iters, &mut f)).collect())
}

/// Times `ours` and `theirs` side by side: `samples` samples of each, interleaved (ours then
/// theirs, then theirs then ours, and so on), so that a machine that slows down or speeds up
/// during the run slows both alike and their ratio holds. `iters` calls a sample for each.
pub fn measure_pair<A, B>(
    samples: usize,
    (ours_iters, mut ours): (u32, impl FnMut() -> A),
    (theirs_iters, mut theirs): (u32, impl FnMut() -> B),
) -> (Stats, Stats) {
    warm_up(ours_iters, &mut ours);
    warm_up(theirs_iters, &mut theirs);
    let (mut a, mut b) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for i in 0..samples {
        if i % 2 == 0 {
            a.push(sample(ours_iters, &mut ours));
            b.push(sample(theirs_iters, &mut theirs));
        } else {
            b.push(sample(theirs_iters, &mut theirs));
            a.push(sample(ours_iters, &mut ours));
        }
    }
    (stats(a), stats(b))
}

fn warm_up<T>(iters: u32, f: &mut impl FnMut() -> T) {
    for _ in 0..iters.min(3) {
        black_box(f());
    }
}

fn sample<T>(iters: u32, f: &mut impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    start.elapsed() / iters.max(1)
}

fn stats(mut times: Vec<Duration>) -> Stats {
    times.sort_unstable();
    Stats {
        median: times.get(times.len() / 2).copied().unwrap_or_default(),
        max: times.last().copied().unwrap_or_default(),
    }
}

/// Formats a duration compactly.
pub fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}

/// Prints one comparison row: ours, theirs, and how many times faster ours is.
pub fn row(label: &str, ours: Stats, theirs: Stats) {
    let ratio = theirs.median.as_secs_f64() / ours.median.as_secs_f64().max(1e-12);
    println!(
        "| {label} | {} (max {}) | {} (max {}) | {ratio:.1}× |",
        fmt(ours.median),
        fmt(ours.max),
        fmt(theirs.median),
        fmt(theirs.max)
    );
}

/// A deterministic generator for corpora.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The shipped common-password list, most common first.
pub fn common_passwords() -> Vec<&'static str> {
    include_str!("../../sspr-core/data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect()
}

/// Pronounceable pseudo-words of 4 to 16 letters from about a thousand syllables
/// (consonant, vowel, optional final consonant): a stand-in for a dictionary.
pub fn pseudo_words(rng: &mut ChaCha20Rng, count: usize) -> Vec<String> {
    const ONSET: [&str; 22] = [
        "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
        "ch", "sh", "th", "st",
    ];
    const VOWEL: [&str; 7] = ["a", "e", "i", "o", "u", "ea", "ou"];
    const CODA: [&str; 8] = ["", "", "n", "r", "s", "t", "l", "m"];
    (0..count)
        .map(|_| {
            let mut w = String::new();
            let target = rng.random_range(4..=16);
            while w.chars().count() < target {
                w.push_str(ONSET[rng.random_range(0..ONSET.len())]);
                w.push_str(VOWEL[rng.random_range(0..VOWEL.len())]);
                w.push_str(CODA[rng.random_range(0..CODA.len())]);
            }
            w.chars().take(target).collect()
        })
        .collect()
}

/// Pseudo-words from only 24 syllables: many terms share their first and last letters, the
/// worst case for an index keyed by halves.
pub fn clustered_words(rng: &mut ChaCha20Rng, count: usize) -> Vec<String> {
    const SYL: [&str; 24] = [
        "ka", "lo", "mi", "ter", "son", "ra", "vel", "dun", "pe", "sha", "qui", "bor", "en", "tra",
        "ly", "mos", "gri", "fan", "do", "wes", "cy", "nor", "ix", "ul",
    ];
    (0..count)
        .map(|_| {
            let mut w = String::new();
            let target = rng.random_range(4..=16);
            while w.chars().count() < target {
                w.push_str(SYL[rng.random_range(0..SYL.len())]);
            }
            w.chars().take(target).collect()
        })
        .collect()
}

/// An engine over the in-memory ports with `users` users (`user{i}@contoso.example`, each with
/// an alternate email and a mobile phone), the default policy and cheap test hashing.
pub fn reset_engine(users: usize) -> (Engine, MemoryPorts) {
    let mem = MemoryPorts::for_tests(1_750_000_000, 1, "ok");
    for i in 0..users {
        let id = UserId::new(format!("u{i}"));
        mem.directory.add_user(
            DirectoryUser {
                id: id.clone(),
                username: format!("user{i}@contoso.example"),
                first_name: "A".into(),
                last_name: "B".into(),
                org_name: "Contoso".into(),
                groups: vec![],
                admin: false,
            },
            "Winter-Lantern-58",
        );
        let si = SecurityInfo {
            email: EmailAddress::parse(&format!("u{i}@fabrikam.example")).ok(),
            mobile: PhoneNumber::parse("+14255550100").ok(),
            ..Default::default()
        };
        if let Err(e) = mem.security_info.save(
            id.clone(),
            sspr_core::testing::fixtures::sealed(&id, &si),
            0,
        ) {
            panic!("seeding the in-memory store failed: {e}");
        }
    }
    (
        sspr_core::testing::fixtures::engine(Policy::default(), mem.ports()),
        mem,
    )
}
