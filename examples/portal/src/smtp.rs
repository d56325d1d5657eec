//! Email over SMTP with `lettre`: messages go to an [`Outbox`], whose worker thread renders
//! them with the catalogs and sends them.

use lettre::message::header::ContentType;
use lettre::{SmtpTransport, Transport};
use sspr_core::ports::Message;
use sspr_text::Locale;

use crate::i18n::{Languages, Texts};
use crate::outbox::Outbox;

/// Where and how mail is sent.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// The SMTP server's host (plain SMTP, no TLS: a local relay or sink).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The sender address.
    pub from: String,
    /// The organisation named in messages.
    pub org: String,
    /// The portal's base URL, for verification links.
    pub base_url: String,
    /// Minutes a code stays valid (said in the message).
    pub code_minutes: u64,
}

/// Starts the worker thread that renders queued messages with the catalogs and sends them.
pub fn start(settings: SmtpSettings) -> std::io::Result<Outbox> {
    Outbox::start("sspr-smtp", move || {
        let transport = SmtpTransport::builder_dangerous(settings.host.as_str())
            .port(settings.port)
            .build();
        let languages = Languages::default();
        Ok(move |message: Message, locale: Locale| {
            // A failed send is dropped: the user asks for a new code (the message's contents
            // are never logged).
            if let Some(email) = render(&settings, &languages.get(locale), &message) {
                let _ = transport.send(&email);
            }
        })
    })
}

/// The email for a message, in the catalog's words.
pub fn render(
    settings: &SmtpSettings,
    texts: &Texts,
    message: &Message,
) -> Option<lettre::Message> {
    let words = crate::pages::mail::words(texts, &settings.org, settings.code_minutes, message)?;
    let mut body = words.text;
    if let Some(token) = &message.link_token {
        let url = format!("{}/reset/link?token={}", settings.base_url, token.expose());
        body.push_str("\n\n");
        body.push_str(&texts.fmt("mail-link", &[("url", url)]));
    }
    if let Some(token) = &message.revoke_token {
        let url = format!("{}/report?token={}", settings.base_url, token.expose());
        body.push_str("\n\n");
        body.push_str(&texts.fmt("mail-report", &[("url", url)]));
    }
    lettre::Message::builder()
        .from(settings.from.parse().ok()?)
        .to(message.to.parse().ok()?)
        .subject(words.subject.unwrap_or_default())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .ok()
}
