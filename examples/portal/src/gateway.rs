//! Texts and calls through an HTTP gateway (`--gateway URL`): each message is rendered with the
//! catalogs, in the language of the page that caused it, and POSTed as JSON to the host's
//! gateway (an SMS and voice provider's relay) by an [`Outbox`]'s worker thread.
//!
//! The body is `{"id", "channel": "sms" | "voice", "to", "text", "language", "created_at"}`:
//! `id` is the message's id (a retried delivery carries the same one, so the gateway can drop
//! duplicates), `to` an E.164 number, `text` the SMS text or the voice script. Plain HTTP, as
//! for SMTP: a relay on the host's own network, which speaks TLS to the provider.

use std::time::Duration;

use serde::Serialize;
use sspr_core::ports::{Channel, Message};
use sspr_text::Locale;

use crate::i18n::{Languages, Texts};
use crate::outbox::Outbox;

/// How long one POST to the gateway may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how texts and calls are sent.
#[derive(Clone)]
pub struct GatewaySettings {
    /// The gateway's URL (`http://…`).
    pub url: String,
    /// The organisation named in messages.
    pub org: String,
    /// Minutes a code stays valid (said in the message).
    pub code_minutes: u64,
}

impl std::fmt::Debug for GatewaySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry the gateway's credentials.
        f.debug_struct("GatewaySettings")
            .field("org", &self.org)
            .field("code_minutes", &self.code_minutes)
            .finish_non_exhaustive()
    }
}

/// The JSON a gateway receives for one message.
#[derive(Serialize)]
pub struct GatewayMessage {
    /// The message's id: the same on a retried delivery.
    pub id: String,
    /// `sms` or `voice`.
    pub channel: Channel,
    /// The E.164 number.
    pub to: String,
    /// The SMS text or the voice script, in `language`.
    pub text: String,
    /// The language `text` is written in (`en`, `de`).
    pub language: &'static str,
    /// When sspr created the message (Unix seconds).
    pub created_at: u64,
}

impl std::fmt::Debug for GatewayMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The text may hold a code, `to` is a number: neither is printed.
        f.debug_struct("GatewayMessage")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// Whether a message travels through the gateway.
pub fn carries(channel: Channel) -> bool {
    matches!(channel, Channel::Sms | Channel::Voice)
}

/// The gateway's body for `message` in `texts`' language; `None` for a channel the gateway
/// does not carry, or a message without words.
pub fn body(
    settings: &GatewaySettings,
    texts: &Texts,
    message: &Message,
) -> Option<GatewayMessage> {
    if !carries(message.channel) {
        return None;
    }
    let words = crate::pages::mail::words(texts, &settings.org, settings.code_minutes, message)?;
    Some(GatewayMessage {
        id: message.id.clone(),
        channel: message.channel,
        to: message.to.clone(),
        text: words.text,
        language: texts.locale().tag(),
        created_at: message.created_at,
    })
}

/// Starts the worker thread that posts queued texts and calls to the gateway.
pub fn start(settings: GatewaySettings) -> std::io::Result<Outbox> {
    Outbox::start("sspr-gateway", move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .ok()?;
        let languages = Languages::default();
        Some(move |message: Message, locale: Locale| {
            let Some(body) = body(&settings, &languages.get(locale), &message) else {
                return;
            };
            let Ok(json) = serde_json::to_vec(&body) else {
                return;
            };
            // A failed post is dropped, as a lost text would be: the user asks for a new
            // code. Nothing of the message is logged.
            let _ = client
                .post(&settings.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(json)
                .send();
        })
    })
}
