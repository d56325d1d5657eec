//! sspr in an async server (tokio and axum): the engine's calls block (argon2, the database),
//! so a handler runs them with `tokio::task::spawn_blocking`, never on the runtime's worker
//! threads, and bounds how many run at once with a semaphore (each argon2 call holds its
//! memory cost while it runs).
//!
//! The run shows that the server stays responsive: it measures a `/health` endpoint alone,
//! then while 200 resets run at once (who are you, email a code, enter it, a new password:
//! the shipped SQLite stores, argon2 at its default cost), and then, side by side, a quarter of
//! that load on a server that calls the engine on its worker threads, the mistake this pattern
//! avoids. Only 127.0.0.1 is contacted; the server stops at the end.
//!
//! Run: `cargo run -p sspr-examples --bin async-host [RESETS]`
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use sspr_core::engine::{Engine, EngineOptions, Ports, SecurityInfoImport};
use sspr_core::memory::{MemoryDirectory, OsRandomness, TestCaptcha};
use sspr_core::ports::{Message, Notifier, Randomness};
use sspr_core::reset::ResetInput;
use sspr_core::{
    DirectoryUser, IdentityKey, KeyRing, Policy, PortError, ResetOption, SecretString, UserId,
};
use sspr_stores::{Backend as _, Prefix, SqliteStores};
use tokio::sync::Semaphore;

/// The host's delivery: here, a mailbox the demo reads codes from (a real host sends mail).
#[derive(Default)]
struct Mailbox(Mutex<HashMap<String, SecretString>>);

impl Notifier for Mailbox {
    fn deliver(&self, message: Message) -> Result<(), PortError> {
        if let Some(code) = message.code {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(message.to, code);
        }
        Ok(())
    }
}

impl Mailbox {
    fn take(&self, to: &str) -> Option<SecretString> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(to)
    }
}

struct App {
    engine: Engine,
    mailbox: Arc<Mailbox>,
    /// How many engine calls run at once on the blocking pool.
    slots: Semaphore,
}

/// One whole reset for user `n`, as a front end would drive it step by step.
fn reset(app: &App, n: usize) -> Result<bool, sspr_core::Error> {
    let e = &app.engine;
    let o = e.start_reset(&username(n), "demo-captcha", Some("127.0.0.1"))?;
    let Some(view) = o.view else {
        return Ok(false);
    };
    let flow = view.flow_id;
    e.reset_step(&flow, ResetInput::Choose(ResetOption::Email))?;
    let Some(code) = app.mailbox.take(&mailbox(n)) else {
        return Ok(false);
    };
    e.reset_step(&flow, ResetInput::EnterCode(code))?;
    let password = SecretString::new(format!("quiet lantern orchard {n:04}"));
    let done = e.reset_step(
        &flow,
        ResetInput::NewPassword {
            password: password.clone(),
            confirm: password,
        },
    )?;
    Ok(done.view.is_some_and(|v| v.state == "completed"))
}

/// The pattern: the engine runs on the blocking pool, a bounded number at a time.
async fn reset_handler(State(app): State<Arc<App>>, Path(n): Path<usize>) -> StatusCode {
    let Ok(_slot) = app.slots.acquire().await else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let app = app.clone();
    match tokio::task::spawn_blocking(move || reset(&app, n)).await {
        Ok(Ok(true)) => StatusCode::OK,
        Ok(Ok(false)) => StatusCode::UNPROCESSABLE_ENTITY,
        Ok(Err(_)) | Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The mistake, for comparison: the engine called on the runtime's worker thread.
async fn blocking_reset_handler(State(app): State<Arc<App>>, Path(n): Path<usize>) -> StatusCode {
    match reset(&app, n) {
        Ok(true) => StatusCode::OK,
        Ok(false) => StatusCode::UNPROCESSABLE_ENTITY,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn username(n: usize) -> String {
    format!("user{n}@contoso.example")
}

fn mailbox(n: usize) -> String {
    format!("user{n}@fabrikam.example")
}

fn engine(
    dir: &std::path::Path,
    users: usize,
    mailbox_port: Arc<Mailbox>,
) -> Result<Engine, Box<dyn Error>> {
    let directory = Arc::new(MemoryDirectory::new());
    // A real host verifies a CAPTCHA service's token; this demo accepts one known token.
    let captcha = Arc::new(TestCaptcha::reusable(["demo-captcha".to_owned()]));
    let stores = SqliteStores::open(dir.join("sspr.db"), Prefix::default())?;
    // Production ports: the system clock and OS randomness, the database's stores.
    let ports = stores.ports(Ports::new(directory.clone(), mailbox_port, captcha));
    let key = |n| OsRandomness.bytes(n);
    let engine = Engine::new(
        Policy::default(),
        ports,
        EngineOptions::new(
            KeyRing::single("k1", key(32)?)?,
            IdentityKey::new(key(32)?)?,
            "Contoso",
        ),
    )?;
    for n in 0..users {
        let id = UserId::new(format!("u-{n}"));
        directory.add_user(
            DirectoryUser {
                id: id.clone(),
                username: username(n),
                first_name: "Demo".into(),
                last_name: format!("User {n}"),
                org_name: "Contoso".into(),
                groups: vec![],
                admin: false,
            },
            "Winter-Lantern-58",
        );
        let import = SecurityInfoImport {
            email: Some(mailbox(n)),
            ..Default::default()
        };
        engine.import_security_info(&id, &import)?;
    }
    Ok(engine)
}

/// Latency figures of one run.
struct Figures {
    health_p50: Duration,
    health_p99: Duration,
    health_max: Duration,
    pings: usize,
    resets_ok: usize,
    reset_median: Duration,
    wall: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Pings `/health` every 5 ms until `stop`, returning the sorted latencies.
async fn ping(
    client: reqwest::Client,
    base: String,
    stop: Arc<tokio::sync::Notify>,
    limit: usize,
) -> Vec<Duration> {
    let mut out = Vec::new();
    let stopped = stop.notified();
    tokio::pin!(stopped);
    while out.len() < limit {
        let t = Instant::now();
        tokio::select! {
            _ = &mut stopped => break,
            r = client.get(format!("{base}/health")).send() => {
                if r.is_ok_and(|r| r.status().is_success()) {
                    out.push(t.elapsed());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    out.sort();
    out
}

async fn run(
    route: &str,
    app: Arc<App>,
    resets: usize,
    first_user: usize,
) -> Result<Figures, Box<dyn Error>> {
    let router = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/reset/{n}", post(reset_handler))
        .route("/blocking-reset/{n}", post(blocking_reset_handler))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (shutdown, on_shutdown) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = on_shutdown.await;
            })
            .await
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let stop = Arc::new(tokio::sync::Notify::new());
    let pinger = tokio::spawn(ping(client.clone(), base.clone(), stop.clone(), 100_000));
    let wall = Instant::now();
    let mut tasks = Vec::with_capacity(resets);
    for n in first_user..first_user + resets {
        let (client, url) = (client.clone(), format!("{base}/{route}/{n}"));
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let ok = client
                .post(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            (ok, t.elapsed())
        }));
    }
    let mut durations = Vec::with_capacity(resets);
    let mut resets_ok = 0;
    for t in tasks {
        let (ok, d) = t.await?;
        resets_ok += usize::from(ok);
        durations.push(d);
    }
    let wall = wall.elapsed();
    stop.notify_one();
    let health = pinger.await?;
    let _ = shutdown.send(());
    server.await??;
    durations.sort();
    Ok(Figures {
        health_p50: percentile(&health, 0.5),
        health_p99: percentile(&health, 0.99),
        health_max: health.last().copied().unwrap_or_default(),
        pings: health.len(),
        resets_ok,
        reset_median: percentile(&durations, 0.5),
        wall,
    })
}

async fn baseline(app: Arc<App>) -> Result<Vec<Duration>, Box<dyn Error>> {
    let router = Router::new()
        .route("/health", get(|| async { "ok" }))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();
    let out = ping(client, base, Arc::new(tokio::sync::Notify::new()), 200).await;
    server.abort();
    Ok(out)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<(), Box<dyn Error>> {
    let resets: usize = std::env::args().nth(1).map_or(Ok(200), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let mailbox_port = Arc::new(Mailbox::default());
    let engine = engine(dir.path(), 2 * resets, mailbox_port.clone())?;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let app = Arc::new(App {
        engine,
        mailbox: mailbox_port,
        slots: Semaphore::new(2 * cores),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let alone = baseline(app.clone()).await?;
        let good = run("reset", app.clone(), resets, 0).await?;
        // The mistake needs fewer resets to show: a quarter of them.
        let bad_resets = resets.div_ceil(4);
        let bad = run("blocking-reset", app.clone(), bad_resets, resets).await?;
        println!(
            "{resets} resets at once on {cores} worker threads, SQLite stores, argon2 at its default cost\n"
        );
        println!("| server | resets completed | wall time | median reset | /health p50 | /health p99 | /health max | pings |");
        println!("|---|---|---|---|---|---|---|---|");
        println!(
            "| idle | – | – | – | {} | {} | {} | {} |",
            ms(percentile(&alone, 0.5)),
            ms(percentile(&alone, 0.99)),
            ms(alone.last().copied().unwrap_or_default()),
            alone.len()
        );
        for (name, f, n) in [
            ("spawn_blocking (the pattern)", &good, resets),
            ("engine on the worker threads", &bad, bad_resets),
        ] {
            println!(
                "| {name} | {}/{n} | {} | {} | {} | {} | {} | {} |",
                f.resets_ok,
                ms(f.wall),
                ms(f.reset_median),
                ms(f.health_p50),
                ms(f.health_p99),
                ms(f.health_max),
                f.pings
            );
        }
        // Responsive: under load, the health check's p99 stays a small part of what one reset
        // takes, where the blocking server makes it wait for the resets themselves.
        let responsive = good.resets_ok == resets
            && good.pings >= 20
            && good.health_p99 * 10 < good.reset_median;
        println!(
            "\nhealth p99 under load: {} with spawn_blocking, {} on the worker threads ({:.0}× slower)",
            ms(good.health_p99),
            ms(bad.health_p99),
            bad.health_p99.as_secs_f64() / good.health_p99.as_secs_f64().max(1e-9)
        );
        println!("responsive while {resets} resets run: {responsive}");
        if !responsive {
            return Err::<(), Box<dyn Error>>("the server did not stay responsive".into());
        }
        Ok(())
    })
}
