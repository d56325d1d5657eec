//! Starts the portal in-process on a free loopback port and drives it over HTTP with a
//! cookie-keeping client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use sspr_core::memory::TestClock;
use sspr_core::ports::Clock;
use sspr_portal::stores::Stores;
use sspr_portal::{Config, Running};

/// The value of the cookie `name` that `r` sets.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
}

pub struct Portal {
    pub running: Running,
    pub clock: Arc<TestClock>,
    pub jar: Arc<Jar>,
    pub client: reqwest::Client,
    /// Every URL requested and every body received, to check no flow id appears in them.
    pub seen: std::sync::Mutex<Vec<String>>,
}

pub async fn start(smtp: Option<(String, u16)>) -> Portal {
    start_with(|c| c.smtp = smtp).await
}

/// A demo portal on a test clock at the system's time, with `tune` applied to its config.
pub async fn start_with(tune: impl FnOnce(&mut Config)) -> Portal {
    let now = sspr_core::memory::SystemClock.now().unwrap();
    let clock = Arc::new(TestClock::new(now));
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        clock: Some(clock.clone()),
        ..Config::default()
    };
    tune(&mut config);
    Portal::new(sspr_portal::start(config).await.unwrap(), clock)
}

/// An instance of a deployment: `stores` and the key file `keys` shared with its other
/// instances, a cookie jar of its own.
pub async fn instance(stores: Stores, keys: &std::path::Path) -> Portal {
    start_with(|c| {
        c.stores = stores;
        c.keys = Some(keys.to_path_buf());
    })
    .await
}

/// Runs `f` on the stores of a throwaway PostgreSQL (Debian's `postgresql`), then stops it.
pub async fn on_postgres<F: std::future::Future<Output = ()>>(f: impl FnOnce(Stores) -> F) {
    let server = tokio::task::spawn_blocking(sspr_stores::testing::PgServer::start)
        .await
        .unwrap()
        .expect("a throwaway PostgreSQL (Debian's postgresql package)");
    f(Stores::Postgres(server.url())).await;
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

/// Runs `f` on the stores of a throwaway Redis (Debian's `redis-server`), then stops it.
pub async fn on_redis<F: std::future::Future<Output = ()>>(f: impl FnOnce(Stores) -> F) {
    let server = tokio::task::spawn_blocking(sspr_stores::testing::RedisServer::start)
        .await
        .unwrap()
        .expect("a throwaway Redis (Debian's redis-server package)");
    f(Stores::Redis(server.url())).await;
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Portal {
    /// A cookie-keeping client of `running`.
    pub fn new(running: Running, clock: Arc<TestClock>) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .unwrap();
        Self {
            running,
            clock,
            jar,
            client,
            seen: Default::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url: reqwest::Url = self.running.url().parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// A CAPTCHA challenge drawn for the browser whose CSRF token is `csrf` (any plain value a
    /// browser, or an attacker, sends), by a client that keeps no cookies: the sealed cookie
    /// and, read in-process, its characters (`None` once expired).
    pub async fn draw_captcha(&self, csrf: &str) -> (String, Option<String>) {
        let r = reqwest::Client::new()
            .get(self.url("/captcha.png"))
            .header(reqwest::header::COOKIE, format!("sspr_csrf={csrf}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let sealed = set_cookie(&r, "sspr_captcha").expect("a sealed challenge");
        let answer = self.running.app.captcha.answer(csrf, &sealed).unwrap();
        (sealed, answer)
    }

    async fn page(&self, url: String, r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let final_url = r.url().to_string();
        let body = r.text().await.unwrap();
        let mut seen = self.seen.lock().unwrap();
        seen.push(url);
        seen.push(final_url);
        seen.push(body.clone());
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let url = self.url(path);
        let r = self.client.get(&url).send().await.unwrap();
        self.page(url, r).await
    }

    /// POSTs a form with the browser's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.cookie("sspr_csrf").expect("a CSRF cookie");
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        self.post_raw(path, &form).await
    }

    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let url = self.url(path);
        let r = self.client.post(&url).form(form).send().await.unwrap();
        self.page(url, r).await
    }

    /// Who are you: alice (or `user`) with the CAPTCHA solved from the in-process challenge.
    pub async fn start_reset(&self, user: &str) -> Page {
        self.get("/reset").await;
        let png = self
            .client
            .get(self.url("/captcha.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(png.headers()["content-type"], "image/png");
        let csrf = self.cookie("sspr_csrf").unwrap();
        let sealed = self.cookie("sspr_captcha").expect("a sealed challenge");
        let answer = self
            .running
            .app
            .captcha
            .answer(&csrf, &sealed)
            .unwrap()
            .expect("a challenge");
        self.post(
            "/reset/start",
            &[("user", user), ("captcha", &answer.to_lowercase())],
        )
        .await
    }

    /// The newest code delivered to `to`, from the dev mailbox.
    pub fn code_to(&self, to: &str) -> String {
        let m = self
            .running
            .app
            .mailbox
            .as_ref()
            .unwrap()
            .latest_to(to)
            .expect("a message");
        m.code.expect("a code").expose().to_owned()
    }

    /// Asserts that the flow ids never appeared in a URL or a body.
    pub fn assert_no_flow_id_seen(&self, flow_ids: &[String]) {
        let seen = self.seen.lock().unwrap();
        for id in flow_ids {
            assert!(id.len() > 16);
            for s in seen.iter() {
                assert!(
                    !s.contains(id.as_str()),
                    "a flow id appeared in a URL or a page"
                );
            }
        }
    }
}
