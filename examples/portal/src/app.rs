//! The portal's shared state and how it is put together: the engine on the shipped SQLite
//! stores, the CAPTCHA, the notifier (dev mailbox, SMTP), the catalogs, and the bounded pool
//! the engine runs on (`spawn_blocking`, as `docs/async.md` says).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use sspr_core::Policy;
use sspr_core::engine::{Engine, EngineOptions, Ports};
use sspr_core::memory::{MemoryDirectory, SystemClock};
use sspr_core::ports::{Clock, Directory};
use tokio::sync::Semaphore;

use crate::captcha::PortalCaptcha;
use crate::delivery::PortalNotifier;
use crate::gateway::GatewaySettings;
use crate::i18n::Languages;
use crate::mailbox::Mailbox;
use crate::smtp::SmtpSettings;

/// An error while starting the portal.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// How the portal runs.
#[derive(Clone)]
pub struct Config {
    /// The address to listen on (loopback by default).
    pub listen: SocketAddr,
    /// The storage backend (SQLite in the data directory unless PostgreSQL or Redis is named).
    pub stores: crate::stores::Stores,
    /// The data directory (the SQLite database, the key file); a temporary one when `None`.
    pub data: Option<PathBuf>,
    /// The key file; `DATA/keys.json` (created with random keys) when `None`.
    pub keys: Option<PathBuf>,
    /// Demo mode: demo users in an in-memory directory, the demo policy, the dev mailbox.
    pub demo: bool,
    /// Plain SMTP for email (`host`, `port`).
    pub smtp: Option<(String, u16)>,
    /// The HTTP gateway for texts and calls ([`crate::gateway`]).
    pub gateway: Option<crate::gateway::GatewayUrl>,
    /// The sender of emails.
    pub mail_from: String,
    /// Cookies with `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// The policy (TOML); the demo policy in demo mode, else the default policy.
    pub policy: Option<String>,
    /// The organisation's name (authenticator apps, messages).
    pub org: String,
    /// The user directory (required outside demo mode: the host's own).
    pub directory: Option<Arc<dyn Directory>>,
    /// The clock (the system clock unless a test brings its own).
    pub clock: Option<Arc<dyn Clock>>,
    /// The base URL of verification links (`http://<listen>` when `None`).
    pub base_url: Option<String>,
    /// Failed password checks and verifications allowed per client address (the socket's
    /// peer, or the address a trusted proxy forwarded for; an IPv6 client's `/56`), so that
    /// one client cannot try passwords over many accounts; `None` for none.
    pub client_limit: Option<sspr_core::policy::Limit>,
    /// Texts and calls allowed per country calling code in a window, against toll fraud (the
    /// engine's `country_budget`); `None` for none.
    pub country_budget: Option<sspr_core::engine::CountryBudget>,
    /// The host's reverse proxies, as addresses or networks: from these peers the client is
    /// read from `X-Forwarded-For` ([`crate::client_address`]). Empty by default: every client
    /// is its socket's peer, and the header is ignored. Behind a proxy, name it, or every user
    /// counts as the proxy and one client's failures block them all.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The program that reads the audio CAPTCHA (`espeak-ng` on the `PATH` by default).
    pub espeak_ng: PathBuf,
}

/// The portal's default per-client limit: 20 failed checks in 15 minutes, then 15 minutes
/// refused. One user's own mistakes stay below it (the per-user limits come first); a client
/// spraying one password over many accounts is stopped after 20. Many users behind one
/// address (an office's NAT) may need a larger one.
pub const CLIENT_LIMIT: sspr_core::policy::Limit = sspr_core::policy::Limit::new(20, 900, 900);

/// The portal's default budget of texts and calls: 500 an hour per country calling code. A
/// client that makes the portal text premium numbers of one country is stopped there; a
/// deployment with more users raises it (`--country-budget`).
pub const COUNTRY_BUDGET: sspr_core::engine::CountryBudget = sspr_core::engine::CountryBudget {
    max: 500,
    window_s: 3600,
};

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("stores", &self.stores)
            .field("data", &self.data)
            .field("demo", &self.demo)
            .field("smtp", &self.smtp)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            stores: crate::stores::Stores::Sqlite,
            data: None,
            keys: None,
            demo: false,
            smtp: None,
            gateway: None,
            mail_from: "no-reply@contoso.example".into(),
            secure_cookies: false,
            policy: None,
            org: "Contoso".into(),
            directory: None,
            clock: None,
            base_url: None,
            client_limit: Some(CLIENT_LIMIT),
            country_budget: Some(COUNTRY_BUDGET),
            trusted_proxies: Vec::new(),
            espeak_ng: PathBuf::from("espeak-ng"),
        }
    }
}

/// The portal's state, shared by every handler.
pub struct App {
    /// The engine.
    pub engine: Engine,
    /// The page texts and catalogs.
    pub langs: Languages,
    /// The dev mailbox (demo mode only).
    pub mailbox: Option<Arc<Mailbox>>,
    /// The CAPTCHA.
    pub captcha: Arc<PortalCaptcha>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The directory.
    pub directory: Arc<dyn Directory>,
    /// Engine calls running at once, at most.
    pub slots: Semaphore,
    /// Cookies with `Secure`.
    pub secure_cookies: bool,
    /// The host's reverse proxies ([`Config::trusted_proxies`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Demo mode.
    pub demo: bool,
    /// The data directory in use.
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

/// Why an engine call gave no outcome.
#[derive(Debug)]
pub enum CallError {
    /// The engine refused the call (misuse, hostile input, failing port).
    Engine(sspr_core::Error),
    /// The pool or the task failed.
    Pool,
}

impl App {
    /// Puts the portal together from `config`.
    pub fn build(config: &Config) -> Result<Self, StartError> {
        let (data_dir, temp) = match &config.data {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                (d.clone(), None)
            }
            None => {
                let t = tempfile::Builder::new().prefix("sspr-portal-").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let keys = crate::keys::load_or_create(
            &config
                .keys
                .clone()
                .unwrap_or_else(|| data_dir.join("keys.json")),
        )?;
        let clock: Arc<dyn Clock> = config
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock));
        let policy_text = config
            .policy
            .clone()
            .or_else(|| config.demo.then(|| crate::demo::POLICY.to_owned()));
        let policy = match policy_text {
            Some(t) => Policy::from_toml(&t)?,
            None => Policy::default(),
        };
        let demo_directory = Arc::new(MemoryDirectory::new());
        let directory: Arc<dyn Directory> = match (&config.directory, config.demo) {
            (Some(d), _) => d.clone(),
            (None, true) => demo_directory.clone(),
            (None, false) => {
                return Err("outside demo mode the host passes its user directory (Config::directory); run with --demo to try the portal".into());
            }
        };
        let mailbox = config.demo.then(|| Arc::new(Mailbox::default()));
        let listen = config.listen;
        let base_url = config
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"));
        let smtp = match &config.smtp {
            Some((host, port)) => Some(crate::smtp::start(SmtpSettings {
                host: host.clone(),
                port: *port,
                from: config.mail_from.clone(),
                org: config.org.clone(),
                base_url,
                code_minutes: policy.codes().ttl_s.div_ceil(60),
            })?),
            None => None,
        };
        let gateway = match &config.gateway {
            Some(url) => Some(crate::gateway::start(GatewaySettings {
                url: url.clone(),
                org: config.org.clone(),
                code_ttl_s: policy.codes().ttl_s,
                clock: clock.clone(),
            })?),
            None => None,
        };
        let notifier = Arc::new(PortalNotifier {
            mailbox: mailbox.clone(),
            smtp,
            gateway,
        });
        let stores = config.stores.open(&data_dir, clock.clone())?;
        let randomness: Arc<dyn sspr_core::ports::Randomness> =
            Arc::new(sspr_core::memory::OsRandomness);
        let captcha = Arc::new(
            PortalCaptcha::new(
                &keys.captcha_secret,
                clock.clone(),
                randomness,
                stores.consume_once_set(),
            )?
            .with_espeak_ng(config.espeak_ng.clone()),
        );
        let mut base = Ports::new(directory.clone(), notifier, captcha.clone());
        base.clock = clock.clone();
        let ports = stores.ports(base);
        let mut options = EngineOptions::new(keys.codes, keys.identity, config.org.clone());
        options.client_limit = config.client_limit;
        options.country_budget = config.country_budget;
        let engine = Engine::new(policy, ports, options)?;
        if config.demo {
            crate::demo::seed(&engine, &demo_directory)?;
        }
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            engine,
            langs: Languages::default(),
            mailbox,
            captcha,
            clock,
            directory,
            slots: Semaphore::new(2 * cores),
            secure_cookies: config.secure_cookies,
            trusted_proxies: config.trusted_proxies.clone(),
            demo: config.demo,
            data_dir,
            _temp: temp,
        })
    }

    /// Runs `f` with the engine on the blocking pool, a bounded number at a time.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, CallError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, sspr_core::Error> + Send + 'static,
    {
        let _slot = self.slots.acquire().await.map_err(|_| CallError::Pool)?;
        let app = self.clone();
        let locale = crate::request_locale::of_request();
        tokio::task::spawn_blocking(move || crate::request_locale::with(locale, || f(&app.engine)))
            .await
            .map_err(|_| CallError::Pool)?
            .map_err(CallError::Engine)
    }

    /// Now, by the portal's clock (0 if the clock fails).
    pub fn now(&self) -> u64 {
        self.clock.now().unwrap_or(0)
    }
}
