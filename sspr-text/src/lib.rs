//! # sspr-text
//!
//! The words of sspr, in [Fluent](https://projectfluent.org) message catalogs: the sentence for
//! every reason id a step can give, every password-feedback id, every notification (email
//! subject and body, text message, voice script, push prompt) and every predefined security
//! question. The host chooses the locale; English and German ship.
//!
//! ```
//! use sspr_text::{Catalog, Locale};
//! let de = Catalog::new(Locale::German);
//! assert_eq!(
//!     de.reason(sspr_core::Reason::PasswordMismatch),
//!     "Die Kennwörter stimmen nicht überein."
//! );
//! assert_eq!(Catalog::for_tag("de-CH").locale(), Locale::German);
//! assert_eq!(Catalog::for_tag("fr").locale(), Locale::English); // the fallback
//! ```
//!
//! Message ids are stable: `reason-` and `feedback-` followed by the id with `.` and `_` as
//! `-` (`reason-code-mismatch`), `question-01` … for the predefined questions in the order of
//! [`sspr_core::questions::PREDEFINED`], and `notice-<kind>-<channel>[-subject|-body]` for
//! notifications.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use sspr_core::Reason;
use sspr_core::password::feedback::MessageId;
use sspr_core::ports::{Channel, MessageKind};
use unic_langid::LanguageIdentifier;

/// A language sspr ships words for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    /// English (`en`).
    English,
    /// German (`de`).
    German,
}

impl Locale {
    /// Every shipped locale.
    pub const ALL: [Self; 2] = [Self::English, Self::German];

    /// The language tag (`en`, `de`).
    pub const fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::German => "de",
        }
    }

    /// The shipped locale for a BCP 47 tag by its language (`de-AT` → German), if any.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let lang: LanguageIdentifier = tag.trim().parse().ok()?;
        Self::ALL
            .into_iter()
            .find(|l| lang.language.as_str() == l.tag())
    }

    fn source(self) -> &'static str {
        match self {
            Self::English => include_str!("../locales/en/sspr.ftl"),
            Self::German => include_str!("../locales/de/sspr.ftl"),
        }
    }
}

/// The notifications the engine sends, by kind and channel: each has a catalog entry.
pub const NOTICES: [(MessageKind, Channel); 10] = [
    (MessageKind::Code, Channel::Email),
    (MessageKind::Code, Channel::Sms),
    (MessageKind::Code, Channel::Voice),
    (MessageKind::ApprovalRequest, Channel::Push),
    (MessageKind::PasswordChanged, Channel::Email),
    (MessageKind::AdminPasswordChanged, Channel::Email),
    (MessageKind::SecurityInfoChanged, Channel::Email),
    (MessageKind::SecurityInfoChanged, Channel::Sms),
    (MessageKind::SecurityInfoChanged, Channel::Voice),
    (MessageKind::SecurityInfoChanged, Channel::Push),
];

/// What a notification's text is filled in with. Its `Debug` leaves the code out.
#[derive(Clone, Default)]
pub struct NoticeArgs {
    /// The organisation's name.
    pub org: String,
    /// The code, for a code's notification.
    pub code: Option<String>,
    /// Minutes until the code expires.
    pub minutes: Option<u64>,
    /// The number to match, for a push approval.
    pub number: Option<u8>,
}

impl std::fmt::Debug for NoticeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoticeArgs")
            .field("org", &self.org)
            .field("minutes", &self.minutes)
            .finish_non_exhaustive()
    }
}

/// A code as a voice reads it: one character at a time, with a pause between ("4, 8, 1, 5"),
/// not as one large number.
fn spoken(code: &str) -> String {
    code.chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A notification's words: a subject for email, and the text (body, text message, voice script
/// or push prompt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeText {
    /// The email subject; `None` on other channels.
    pub subject: Option<String>,
    /// The body, text message, voice script or push prompt.
    pub text: String,
}

/// A locale's catalog, ready to format. `Send + Sync`: build one per locale and share it.
pub struct Catalog {
    locale: Locale,
    bundle: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// The catalog of `locale`. The shipped catalogs parse (a test holds them to it); a
    /// message that did not would be missing and show its id.
    pub fn new(locale: Locale) -> Self {
        let resource = FluentResource::try_new(locale.source().to_owned())
            .unwrap_or_else(|(partial, _errors)| partial);
        let lang: LanguageIdentifier = locale
            .tag()
            .parse()
            .unwrap_or_else(|_| LanguageIdentifier::default());
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // Plain text: no Unicode isolation marks around placeables.
        bundle.set_use_isolating(false);
        // Ids are unique in each shipped file (a test holds them to it).
        let _ = bundle.add_resource(resource);
        Self { locale, bundle }
    }

    /// The catalog for a BCP 47 tag (`?lng=de`, `Accept-Language`'s first tag), English when
    /// no shipped locale matches.
    pub fn for_tag(tag: &str) -> Self {
        Self::new(Locale::from_tag(tag).unwrap_or(Locale::English))
    }

    /// Its locale.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The message `id` with `args`, or `None` if the catalog has no such message.
    pub fn message(&self, id: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
        let pattern = self.bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text: Cow<'_, str> = self.bundle.format_pattern(pattern, args, &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }

    /// The sentence a refused step shows (`code.mismatch` → "That code didn't work…").
    pub fn reason(&self, reason: Reason) -> String {
        self.message(&message_id("reason", reason.id()), None)
            .unwrap_or_else(|| reason.id().to_owned())
    }

    /// The words of a password-feedback id.
    pub fn feedback(&self, id: MessageId) -> String {
        self.message(&message_id("feedback", id.id()), None)
            .unwrap_or_else(|| sspr_core::password::feedback::english(id).to_owned())
    }

    /// A predefined security question in this language, by its position in
    /// [`sspr_core::questions::PREDEFINED`] (0-based), or `None` past its end.
    pub fn predefined_question(&self, index: usize) -> Option<String> {
        (index < sspr_core::questions::PREDEFINED.len())
            .then(|| self.message(&format!("question-{:02}", index + 1), None))
            .flatten()
    }

    /// A question as a view names it, in this language: a predefined question (by its stable
    /// id, `question-07`, or its English text) translated, a custom one as the policy wrote it.
    pub fn question(&self, question: &str) -> String {
        sspr_core::questions::index_of(question)
            .and_then(|i| self.predefined_question(i))
            .unwrap_or_else(|| question.to_owned())
    }

    /// The words of a notification of `kind` on `channel`, or `None` for a pair the engine
    /// never sends ([`NOTICES`] lists those it does).
    pub fn notice(
        &self,
        kind: MessageKind,
        channel: Channel,
        args: &NoticeArgs,
    ) -> Option<NoticeText> {
        let base = format!("notice-{}-{}", kind.id().replace('_', "-"), channel.id());
        let mut a = FluentArgs::new();
        a.set("org", FluentValue::from(args.org.clone()));
        if let Some(c) = &args.code {
            let code = if channel == Channel::Voice {
                spoken(c)
            } else {
                c.clone()
            };
            a.set("code", FluentValue::from(code));
        }
        if let Some(m) = args.minutes {
            a.set("minutes", FluentValue::from(m));
        }
        if let Some(n) = args.number {
            a.set("number", FluentValue::from(u64::from(n)));
        }
        if channel == Channel::Email {
            Some(NoticeText {
                subject: Some(self.message(&format!("{base}-subject"), Some(&a))?),
                text: self.message(&format!("{base}-body"), Some(&a))?,
            })
        } else {
            Some(NoticeText {
                subject: None,
                text: self.message(&base, Some(&a))?,
            })
        }
    }
}

/// The same catalog, addressed by the stable ids the bindings carry as strings.
impl Catalog {
    /// [`Catalog::reason`] for a reason id (`code.mismatch`); `None` for an unknown id.
    pub fn reason_by_id(&self, id: &str) -> Option<String> {
        id.parse::<Reason>().ok().map(|r| self.reason(r))
    }

    /// [`Catalog::feedback`] for a feedback id (`strength.warning.dates`); `None` for an unknown
    /// id.
    pub fn feedback_by_id(&self, id: &str) -> Option<String> {
        MessageId::ALL
            .iter()
            .find(|m| m.id() == id)
            .map(|m| self.feedback(*m))
    }

    /// [`Catalog::notice`] for a kind id and a channel id (`code`, `sms`); `None` for unknown
    /// ids or a pair the engine never sends.
    pub fn notice_by_id(&self, kind: &str, channel: &str, args: &NoticeArgs) -> Option<NoticeText> {
        self.notice(
            MessageKind::from_id(kind)?,
            Channel::from_id(channel)?,
            args,
        )
    }
}

/// The Fluent id of a dotted sspr id: `reason` + `code.mismatch` → `reason-code-mismatch`.
pub fn message_id(prefix: &str, id: &str) -> String {
    format!("{prefix}-{}", id.replace(['.', '_'], "-"))
}
