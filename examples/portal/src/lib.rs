//! # sspr-portal
//!
//! The reference web portal of sspr: both wizards ("get back into your account" and "keep your
//! account secure") as server-rendered pages on axum that work without JavaScript, with "change
//! password" and "this wasn't me" beside them, on the shipped SQLite stores (or PostgreSQL or
//! Redis, shared by several instances that need no sticky sessions). The engine runs on the blocking pool (`docs/async.md`); the flow id
//! lives only in an `HttpOnly; SameSite=Strict` cookie; every POST carries a CSRF token; every
//! response carries the security headers. Beside the pages, [`api`] serves the same wizards as
//! JSON under `/api/v1/` for single-page and mobile front ends, described by an OpenAPI 3
//! document at `/api/openapi.json`. Run it with `cargo run -p sspr-portal -- --demo`.

#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod captcha;
pub mod captcha_audio;
pub mod client_address;
pub mod context;
pub mod cookies;
pub mod csrf;
pub mod delivery;
pub mod demo;
pub mod gateway;
pub mod headers;
pub mod i18n;
pub mod keys;
pub mod layout;
pub mod mailbox;
pub mod outbox;
pub mod pages;
pub mod request_locale;
pub mod routes;
pub mod smtp;
pub mod statics;
pub mod stores;

use std::net::SocketAddr;
use std::sync::Arc;

pub use app::{App, Config, StartError};

/// A portal serving on a socket.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its state (the engine, the dev mailbox, the CAPTCHA) for in-process tests and tools.
    pub app: Arc<App>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        self.wait().await
    }

    /// Waits until the server ends (ctrl-c). The portal's state is let go on the blocking
    /// pool: the synchronous database clients' connections may not close on an async thread.
    pub async fn wait(self) -> std::io::Result<()> {
        let Self { app, task, .. } = self;
        let served = task.await.unwrap_or(Ok(()));
        let _ = tokio::task::spawn_blocking(move || drop(app)).await;
        served
    }
}

/// Builds the portal and starts serving on `config.listen` (port 0 picks a free one).
pub async fn start(mut config: Config) -> Result<Running, StartError> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    config.listen = addr;
    let app = Arc::new(tokio::task::block_in_place(|| App::build(&config))?);
    let router = routes::router(app.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await
    });
    Ok(Running {
        addr,
        app,
        shutdown: Some(tx),
        task,
    })
}
