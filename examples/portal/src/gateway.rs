//! Texts and calls through an HTTP gateway (`--gateway URL`): each message is rendered with the
//! catalogs, in the language of the page that caused it, and POSTed as JSON to the host's
//! gateway (an SMS and voice provider's relay) by an [`Outbox`]'s worker thread.
//!
//! The body is `{"id", "channel": "sms" | "voice", "to", "text", "language", "created_at",
//! "expires_at"}`: `id` is the message's id, also sent as the `Idempotency-Key` header, so that
//! the relay drops the duplicates of a retried post; `to` is the registered E.164 number;
//! `text` the SMS text or the voice script; `expires_at` when its code stops working (the
//! relay may set the text's validity period from it). Plain HTTP, as for SMTP: a relay on the
//! host's own network, which speaks TLS to the provider. No proxy from the environment is used:
//! the body holds a code.
//!
//! A post that fails for a reason that may pass (no connection, a 5xx, a 429) is tried again
//! after [`BACKOFF`], at most [`ATTEMPTS`] times, and never once its code has expired; a 2xx is
//! delivered, anything else is final. Nothing of a message is logged.

use std::time::Duration;

use serde::Serialize;
use sspr_core::ports::{Channel, Clock, Message};
use sspr_text::Locale;

use crate::i18n::{Languages, Texts};
use crate::outbox::Outbox;

/// How long connecting to the gateway may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one POST to the gateway may take, in all.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Posts of one message, at most.
pub const ATTEMPTS: u32 = 3;
/// The wait before the second post; doubled before each further one.
pub const BACKOFF: Duration = Duration::from_millis(500);

/// The gateway's address: an `http://` URL with a host. Its `Debug` hides it (it may carry the
/// gateway's credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct GatewayUrl(reqwest::Url);

/// Why a gateway URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayUrlError {
    /// Not a URL at all.
    NotAUrl,
    /// Not `http://` (the relay is on the host's network; there is no TLS client here).
    NotHttp,
    /// No host.
    NoHost,
}

impl std::fmt::Display for GatewayUrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotAUrl => "not a URL",
            Self::NotHttp => "not an http:// URL (a relay on the host's network)",
            Self::NoHost => "a URL without a host",
        })
    }
}

impl std::error::Error for GatewayUrlError {}

impl std::str::FromStr for GatewayUrl {
    type Err = GatewayUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = reqwest::Url::parse(s).map_err(|_| GatewayUrlError::NotAUrl)?;
        if url.scheme() != "http" {
            return Err(GatewayUrlError::NotHttp);
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(GatewayUrlError::NoHost);
        }
        Ok(Self(url))
    }
}

impl std::fmt::Debug for GatewayUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GatewayUrl(..)")
    }
}

/// Where and how texts and calls are sent.
#[derive(Clone)]
pub struct GatewaySettings {
    /// The gateway's URL.
    pub url: GatewayUrl,
    /// The organisation named in messages.
    pub org: String,
    /// Seconds a code stays valid (said in the message, and when a post stops being tried).
    pub code_ttl_s: u64,
    /// The clock, to stop trying a message whose code has expired.
    pub clock: std::sync::Arc<dyn Clock>,
}

impl std::fmt::Debug for GatewaySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry the gateway's credentials.
        f.debug_struct("GatewaySettings")
            .field("org", &self.org)
            .field("code_ttl_s", &self.code_ttl_s)
            .finish_non_exhaustive()
    }
}

/// The JSON a gateway receives for one message.
#[derive(Serialize)]
struct GatewayMessage {
    /// The message's id: the same on a retried delivery.
    id: String,
    /// `sms` or `voice`.
    channel: Channel,
    /// The E.164 number.
    to: String,
    /// The SMS text or the voice script, in `language`.
    text: String,
    /// The language `text` is written in (`en`, `de`).
    language: &'static str,
    /// When sspr created the message (Unix seconds).
    created_at: u64,
    /// When its code stops working (Unix seconds): `created_at` and the code's lifetime.
    expires_at: u64,
}

impl std::fmt::Debug for GatewayMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The text may hold a code, `to` is a number: neither is printed.
        f.debug_struct("GatewayMessage")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// Whether a message travels through the gateway: the notifier queues only these.
pub fn carries(channel: Channel) -> bool {
    matches!(channel, Channel::Sms | Channel::Voice)
}

/// The gateway's body for `message` (a text or a call: the notifier queues no other) in
/// `texts`' language; `None` for a message without words.
fn body(settings: &GatewaySettings, texts: &Texts, message: &Message) -> Option<GatewayMessage> {
    let minutes = settings.code_ttl_s.div_ceil(60);
    let words = crate::pages::mail::words(texts, &settings.org, minutes, message)?;
    Some(GatewayMessage {
        id: message.id.clone(),
        channel: message.channel,
        to: message.to.clone(),
        text: words.text,
        language: texts.locale().tag(),
        created_at: message.created_at,
        expires_at: message.created_at.saturating_add(settings.code_ttl_s),
    })
}

/// What became of one post.
enum Posted {
    /// The gateway took it (a 2xx).
    Delivered,
    /// It may pass: no connection, a 5xx, a 429.
    TryAgain,
    /// Refused for good (a 3xx or another 4xx).
    Refused,
}

fn post(client: &reqwest::blocking::Client, url: &GatewayUrl, id: &str, json: &[u8]) -> Posted {
    let sent = client
        .post(url.0.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", id)
        .body(json.to_vec())
        .send();
    match sent {
        Ok(r) if r.status().is_success() => Posted::Delivered,
        Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => Posted::TryAgain,
        Ok(_) => Posted::Refused,
        Err(_) => Posted::TryAgain,
    }
}

/// Posts `body` until the gateway takes it, refuses it for good, [`ATTEMPTS`] are spent or its
/// code expires. Lost or refused, it is dropped as a lost text would be: the user asks for a
/// new code.
fn deliver(client: &reqwest::blocking::Client, settings: &GatewaySettings, body: &GatewayMessage) {
    let Ok(json) = serde_json::to_vec(body) else {
        return;
    };
    let mut wait = BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let expired = settings
            .clock
            .now()
            .map_or(true, |now| now >= body.expires_at);
        if expired {
            return;
        }
        match post(client, &settings.url, &body.id, &json) {
            Posted::Delivered | Posted::Refused => return,
            Posted::TryAgain if attempt < ATTEMPTS => {
                std::thread::sleep(wait);
                wait = wait.saturating_mul(2);
            }
            Posted::TryAgain => {}
        }
    }
}

/// Starts the worker thread that posts queued texts and calls to the gateway; fails when its
/// HTTP client cannot be built.
pub fn start(settings: GatewaySettings) -> std::io::Result<Outbox> {
    Outbox::start("sspr-gateway", move || {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|_| "cannot build the HTTP client".to_owned())?;
        let languages = Languages::default();
        Ok(move |message: Message, locale: Locale| {
            if let Some(body) = body(&settings, &languages.get(locale), &message) {
                deliver(&client, &settings, &body);
            }
        })
    })
}
