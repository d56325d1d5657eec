//! Decoys against real users, step by step, side by side: a decoy flow must take the same
//! time as a real user's flow of the same shape (the port-call sequences are compared exactly
//! in `sspr-core/tests/decoys.rs`; here, time). Each of 2,000 rounds runs every step once for
//! a real user (twenty taken in turn) and once for a fresh unknown identifier, step by step in
//! lockstep, which of the two goes first alternating, on the in-memory ports; the report gives
//! the median per step and the ratio.
//!
//! Run: `cargo bench -p sspr-benches --bench decoys` (`SSPR_DECOY_ROUNDS` to change 2,000).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sspr_benches::fmt;
use sspr_core::engine::{Engine, SecurityInfoImport};
use sspr_core::hashing::HashParams;
use sspr_core::memory::{MemoryPorts, RecordingNotifier};
use sspr_core::ports::{Message, Notifier};
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, CAPTCHA, T0};
use sspr_core::{DirectoryUser, Policy, PortError, ResetOption, SecretString, UserId};

const STEPS: [&str; 6] = [
    "start_reset",
    "choose email",
    "enter a wrong code",
    "resend",
    "choose questions",
    "answer wrongly",
];

const QUESTIONS: [(&str, &str); 3] = [
    ("What was the name of your first pet?", "Rex"),
    ("What was your first job?", "paper round"),
    ("What is your favourite food?", "pho"),
];

/// A notifier that accepts every message and keeps only a count (a host's queue, cheaply).
#[derive(Default)]
struct Counting(AtomicUsize);

impl Notifier for Counting {
    fn deliver(&self, _message: Message) -> Result<(), PortError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Runs the six steps for a real user and a decoy in lockstep: each step for one, then for the
/// other (`real_first` says which goes first), so both meet the same machine state.
fn walk_pair(
    engine: &Engine,
    mem: &MemoryPorts,
    who: [&str; 2],
    real_first: bool,
    times: &mut [[Vec<Duration>; 6]; 2],
) {
    let order: [usize; 2] = if real_first { [0, 1] } else { [1, 0] };
    let mut ids = [String::new(), String::new()];
    let mut asked: [Vec<String>; 2] = Default::default();
    for (step, _) in STEPS.iter().enumerate() {
        for &k in &order {
            let input = match step {
                1 => Some(ResetInput::Choose(ResetOption::Email)),
                2 => Some(ResetInput::EnterCode(SecretString::new("00000000"))),
                3 => Some(ResetInput::Resend),
                4 => Some(ResetInput::Choose(ResetOption::SecurityQuestions)),
                5 => Some(ResetInput::Answer(
                    asked[k]
                        .iter()
                        .map(|q| (q.clone(), SecretString::new("not the answer")))
                        .collect(),
                )),
                _ => None,
            };
            let start = Instant::now();
            match input {
                None => {
                    ids[k] = engine
                        .start_reset(who[k], CAPTCHA, None)
                        .unwrap()
                        .view
                        .unwrap()
                        .flow_id;
                }
                Some(i) => {
                    let o = engine.reset_step(&ids[k], i).unwrap();
                    if step == 4 {
                        asked[k] = o.view.unwrap().questions;
                    }
                }
            }
            times[k][step].push(start.elapsed());
        }
    }
    mem.notifier.take();
}

fn main() {
    let rounds: usize = std::env::var("SSPR_DECOY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let policy = Policy::parse(
        r#"{"reset": {"methods": ["email", "security_questions"], "methods_required": 1},
            "limits": {"resend_cooldown_s": 0,
                       "verify_failures": {"max": 1000, "window_s": 3600, "block_s": 60},
                       "email_sends": {"max": 1000, "window_s": 600, "block_s": 60}}}"#,
    )
    .unwrap();
    let mut mem = fixtures::memory_ports(1);
    // Delivery is the one thing a decoy does not do; a host hands messages to a queue (see
    // docs/threat-model.md), so the bench's notifier only counts them.
    mem.notifier = Arc::new(RecordingNotifier::new());
    let mut ports = mem.ports();
    ports.notifier = Arc::new(Counting::default());
    let mut options = fixtures::options();
    // Answers cost about a millisecond each, so the argon2 check is what the step costs.
    options.hash_params = HashParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    options.decoys.admin_percent = 0;
    let engine = Engine::new(policy, ports, options).unwrap();
    // Twenty real users, taken in turn (their counters cleared between rounds, outside the
    // timing), against a fresh unknown identifier each round.
    let mut real_users = Vec::new();
    for i in 0..20 {
        let name = format!("user{i}@contoso.example");
        let id = UserId::new(format!("u{i}"));
        mem.directory.add_user(
            DirectoryUser {
                id: id.clone(),
                username: name.clone(),
                first_name: "A".into(),
                last_name: "B".into(),
                org_name: "Contoso".into(),
                groups: vec![],
                admin: false,
            },
            "Winter-Lantern-58",
        );
        let import = SecurityInfoImport {
            email: Some(format!("person{i}@fabrikam.example")),
            questions: QUESTIONS
                .iter()
                .map(|(q, a)| ((*q).to_owned(), SecretString::new(*a)))
                .collect(),
            ..Default::default()
        };
        engine.import_security_info(&id, &import).unwrap();
        real_users.push(name);
    }
    // Unknown identifiers whose decoy screen has the same shape (email and questions).
    let mut decoys = Vec::new();
    let mut n = 0;
    while decoys.len() < rounds {
        let who = format!("ghost{n}@contoso.example");
        n += 1;
        let v = engine
            .start_reset(&who, CAPTCHA, None)
            .unwrap()
            .view
            .unwrap();
        if v.options.len() == 2 {
            decoys.push(who);
        }
    }
    mem.clock.set(T0 + 10_000);
    let mut times: [[Vec<Duration>; 6]; 2] = Default::default();
    for i in 0..rounds {
        let real = &real_users[i % real_users.len()];
        engine.unblock(real, "bench").unwrap();
        walk_pair(&engine, &mem, [real, &decoys[i]], i % 2 == 0, &mut times);
        // New windows for the send limits.
        mem.clock.advance(700);
    }
    let [real, decoy] = times;
    println!(
        "## Decoys against real users ({rounds} rounds, in-memory ports)\n\n| step | real user | decoy | decoy / real |\n|---|---|---|---|"
    );
    let mut worst: f64 = 0.0;
    for (i, name) in STEPS.iter().enumerate() {
        let r = median(real[i].clone());
        let d = median(decoy[i].clone());
        let ratio = d.as_secs_f64() / r.as_secs_f64().max(1e-12);
        worst = worst.max((ratio - 1.0).abs());
        println!("| {name} | {} | {} | {ratio:.3} |", fmt(r), fmt(d));
    }
    println!(
        "\nLargest difference of medians: {:.1}% (target: under 10%).",
        worst * 100.0
    );
}
