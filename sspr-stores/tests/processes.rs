//! Several processes, one truth: four OS processes, each with its own `Engine`, share one
//! database (a SQLite file, then throwaway PostgreSQL and Redis servers when those features are
//! on) and attack one account at once. Failures compared never exceed the code's limit, sends
//! never exceed the send limit, both limits are then in force for every process, and exactly
//! one process completes a shared flow. (Under contention fewer than the limit may be
//! compared or sent: an attempt refused uncompared still counts against the user's window, as
//! the throttling rules say, and may block the one that would have been compared.)
//!
//! The test binary is its own child: with `SSPR_CHILD` set it plays one attacker and prints
//! what it saw; without it, it sets the stage, starts the children and checks their reports.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, ExitCode};

use sspr_core::engine::{Engine, SecurityInfoImport};
use sspr_core::memory::MemoryPorts;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, BEN, CAPTCHA};
use sspr_core::{Policy, Reason, ResetOption, SecretString};
use sspr_stores::{Backend as _, Prefix, SqliteOptions, SqliteStores};

const CHILDREN: usize = 4;
const POLICY: &str = r#"{"limits": {"resend_cooldown_s": 0}}"#;

/// An engine on the database `db` names: a SQLite path, `postgres:<connection string>` or
/// `redis:<URL>`.
fn engine(db: &str, seed: u64) -> (Engine, MemoryPorts) {
    let mem = fixtures::memory_ports(seed);
    let ports = if let Some(url) = db.strip_prefix("postgres:") {
        postgres_ports(url, &mem)
    } else if let Some(url) = db.strip_prefix("redis:") {
        redis_ports(url, &mem)
    } else {
        let mut o = SqliteOptions::new(Prefix::default());
        o.clock = mem.clock.clone();
        o.pool_size = 2;
        SqliteStores::open_with(db, o).unwrap().ports(mem.ports())
    };
    let engine = fixtures::engine(Policy::parse(POLICY).unwrap(), ports);
    (engine, mem)
}

#[cfg(all(feature = "postgres", feature = "test-servers"))]
fn postgres_ports(url: &str, mem: &MemoryPorts) -> sspr_core::engine::Ports {
    let mut o = sspr_stores::PostgresOptions::new(Prefix::new("procs_").unwrap());
    o.clock = mem.clock.clone();
    o.pool_size = 2;
    sspr_stores::PostgresStores::connect_with(url, o)
        .unwrap()
        .ports(mem.ports())
}

#[cfg(not(all(feature = "postgres", feature = "test-servers")))]
fn postgres_ports(_url: &str, _mem: &MemoryPorts) -> sspr_core::engine::Ports {
    panic!("built without the postgres feature")
}

#[cfg(all(feature = "redis", feature = "test-servers"))]
fn redis_ports(url: &str, mem: &MemoryPorts) -> sspr_core::engine::Ports {
    let mut o = sspr_stores::RedisOptions::new(Prefix::new("procs_").unwrap());
    o.clock = mem.clock.clone();
    o.pool_size = 2;
    sspr_stores::RedisStores::connect_with(url, o)
        .unwrap()
        .ports(mem.ports())
}

#[cfg(not(all(feature = "redis", feature = "test-servers")))]
fn redis_ports(_url: &str, _mem: &MemoryPorts) -> sspr_core::engine::Ports {
    panic!("built without the redis feature")
}

fn child(role: &str, db: &str, flow: &str, n: u64) {
    let (engine, mem) = engine(db, 100 + n);
    match role {
        "guess" => {
            let (mut compared, mut refused) = (0, 0);
            for i in 0..6u64 {
                let wrong = format!("{:08}", (n * 1000 + i) % 100_000_000);
                let o = engine
                    .reset_step(flow, ResetInput::EnterCode(SecretString::new(wrong)))
                    .unwrap();
                match o.rejection {
                    Some(Reason::CodeMismatch) => compared += 1,
                    Some(_) => refused += 1,
                    None => panic!("a wrong code passed"),
                }
            }
            println!("RESULT compared={compared} refused={refused}");
        }
        "complete" => {
            let pw = SecretString::new(format!("amber kestrel harbour {n}9031"));
            let o = engine
                .reset_step(
                    flow,
                    ResetInput::NewPassword {
                        password: pw.clone(),
                        confirm: pw,
                    },
                )
                .unwrap();
            let state = o.view.map(|v| v.state.id()).unwrap_or_default();
            let won = o.rejection.is_none() && state == "completed";
            println!(
                "RESULT completed={} state={state} rejection={:?}",
                u8::from(won),
                o.rejection
            );
        }
        "send" => {
            for _ in 0..5 {
                engine.reset_step(flow, ResetInput::Resend).unwrap();
            }
            println!("RESULT sent={}", mem.notifier.take().len());
        }
        other => panic!("unknown role {other}"),
    }
}

/// Runs CHILDREN processes in `role` at once; returns the sum of each figure over their
/// reports.
fn attack(role: &str, db: &str, flow: &str) -> std::collections::BTreeMap<String, u64> {
    let exe = std::env::current_exe().unwrap();
    let kids: Vec<_> = (0..CHILDREN)
        .map(|n| {
            Command::new(&exe)
                .env("SSPR_CHILD", role)
                .env("SSPR_DB", db)
                .env("SSPR_FLOW", flow)
                .env("SSPR_N", n.to_string())
                .output_async()
        })
        .collect();
    let mut total = std::collections::BTreeMap::new();
    for k in kids {
        let out = k.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "a child failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = text
            .lines()
            .find(|l| l.starts_with("RESULT"))
            .expect("a report");
        if std::env::var_os("SSPR_VERBOSE").is_some() {
            println!("{role}: {line}");
        }
        for part in line.split_whitespace().skip(1) {
            if let Some((k, v)) = part.split_once('=')
                && let Ok(v) = v.parse::<u64>()
            {
                *total.entry(k.to_owned()).or_insert(0) += v;
            }
        }
    }
    total
}

trait Spawn {
    fn output_async(&mut self) -> std::process::Child;
}
impl Spawn for Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}

fn main() -> ExitCode {
    if let Ok(role) = std::env::var("SSPR_CHILD") {
        let var = |k: &str| std::env::var(k).unwrap();
        child(
            &role,
            &var("SSPR_DB"),
            &var("SSPR_FLOW"),
            var("SSPR_N").parse().unwrap(),
        );
        return ExitCode::SUCCESS;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("shared.db").to_string_lossy().to_string();
    println!("== four processes on one SQLite file");
    #[cfg_attr(not(feature = "test-servers"), allow(unused_mut))]
    let (mut passed, mut failed) = scenario(&sqlite);
    #[cfg(all(feature = "postgres", feature = "test-servers"))]
    {
        println!("== four processes on one PostgreSQL server");
        match sspr_stores::testing::PgServer::start() {
            Ok(server) => {
                let (p, f) = scenario(&format!("postgres:{}", server.url()));
                passed += p;
                failed += f;
            }
            Err(e) => {
                println!("FAIL cannot start PostgreSQL: {e}");
                failed += 1;
            }
        }
    }
    #[cfg(all(feature = "redis", feature = "test-servers"))]
    {
        println!("== four processes on one Redis server");
        match sspr_stores::testing::RedisServer::start() {
            Ok(server) => {
                let (p, f) = scenario(&format!("redis:{}", server.url()));
                passed += p;
                failed += f;
            }
            Err(e) => {
                println!("FAIL cannot start Redis: {e}");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The three attacks on the database `db`; returns (passed, failed).
fn scenario(db: &str) -> (u32, u32) {
    let db = db.to_owned();
    let (engine, mem) = engine(&db, 1);
    let import = SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        ..Default::default()
    };
    engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap();
    // Ben (an administrator: two gates) is the one guessed at; a guessing attack may block
    // him, as it should, and leaves Alice alone.
    let ben = SecurityInfoImport {
        email: Some("ben.ng@fabrikam.example".into()),
        mobile: Some("+14255550177".into()),
        ..Default::default()
    };
    engine.import_security_info(&BEN.user_id(), &ben).unwrap();
    let start_for = |who: &str| {
        let id = engine
            .start_reset(who, CAPTCHA, None)
            .unwrap()
            .view
            .unwrap()
            .flow_id;
        engine
            .reset_step(&id, ResetInput::Choose(ResetOption::Email))
            .unwrap();
        id
    };
    let start = || start_for(ALICE.username);
    let (mut passed, mut failed) = (0, 0);
    let mut check = |name: &str, ok: bool, detail: String| {
        if ok {
            passed += 1;
        } else {
            failed += 1;
            println!("FAIL {name}: {detail}");
        }
    };

    // 1. Four processes guess at one code: at most max_attempts (3) are compared, every other
    // guess is refused uncompared, and then the parent's guess is refused too.
    let flow = start_for(BEN.username);
    let guesses = attack("guess", &db, &flow);
    let (compared, refused) = (guesses["compared"], guesses["refused"]);
    check(
        "guesses from 4 processes are compared at most 3 times, the rest refused",
        (1..=3).contains(&compared) && refused == 24 - compared,
        format!("{compared} compared, {refused} refused of 24"),
    );
    let after = engine
        .reset_step(&flow, ResetInput::EnterCode(SecretString::new("00000000")))
        .unwrap();
    check(
        "after the guesses, the code's limit refuses every process",
        !matches!(after.rejection, None | Some(Reason::CodeMismatch)),
        format!("{:?}", after.rejection),
    );

    // 2. Four processes submit a password for one flow: exactly one completes.
    let flow = start();
    let code = mem
        .notifier
        .take()
        .into_iter()
        .rev()
        .find_map(|m| m.code)
        .unwrap();
    engine
        .reset_step(&flow, ResetInput::EnterCode(code))
        .unwrap();
    let completed = attack("complete", &db, &flow)["completed"];
    check(
        "exactly one process completes a shared flow",
        completed == 1,
        format!("{completed} completed"),
    );

    // 3. Four processes ask for 5 resends each: the sends to the address stay within the
    // limit (10 in 10 minutes; the completed reset cleared the user's own count, not the
    // address's), and the limit is then in force for everyone.
    mem.notifier.take();
    let flow = start();
    let parent_sends = 2; // one per flow of Alice's started above, all to her address
    let sent = attack("send", &db, &flow)["sent"];
    check(
        "sends from 4 processes stay within email_sends (10 in 10 minutes)",
        sent >= 1 && sent + parent_sends <= 10,
        format!("{parent_sends} + {sent} sent"),
    );
    mem.notifier.take();
    let after = engine.reset_step(&flow, ResetInput::Resend).unwrap();
    check(
        "once spent, the send limit refuses every process",
        after.rejection.is_some() && mem.notifier.take().is_empty(),
        format!("{:?}", after.rejection),
    );
    (passed, failed)
}
