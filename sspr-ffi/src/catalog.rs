//! sspr's words in the host's language: the sentence of every reason id, password feedback,
//! notifications and the predefined security questions (`sspr-text`'s Fluent catalogs).

use std::sync::Arc;

use sspr_text::{Catalog as CoreCatalog, Locale, NoticeArgs};

/// A notification's words: the email subject (`None` on other channels) and the text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NoticeText {
    /// The email subject.
    pub subject: Option<String>,
    /// The body, text message, voice script or push prompt.
    pub text: String,
}

/// The words of one language. Build one per language and share it.
#[derive(uniffi::Object)]
pub struct Catalog(CoreCatalog);

#[uniffi::export]
impl Catalog {
    /// The catalog for a BCP 47 tag (`de`, `de-AT`, `en-GB`); English when sspr ships no
    /// words for that language.
    #[uniffi::constructor]
    pub fn for_tag(tag: String) -> Arc<Self> {
        Arc::new(Self(CoreCatalog::for_tag(&tag)))
    }

    /// The English catalog.
    #[uniffi::constructor]
    pub fn english() -> Arc<Self> {
        Arc::new(Self(CoreCatalog::new(Locale::English)))
    }

    /// The language this catalog speaks (`en`, `de`).
    pub fn locale(&self) -> String {
        self.0.locale().tag().to_owned()
    }

    /// The sentence for a reason id (`code.mismatch`); `None` for an unknown id.
    pub fn reason(&self, id: String) -> Option<String> {
        self.0.reason_by_id(&id)
    }

    /// The words of a password-feedback id; `None` for an unknown id.
    pub fn feedback(&self, id: String) -> Option<String> {
        self.0.feedback_by_id(&id)
    }

    /// A question as a view names it, in this language: a predefined question (by its stable
    /// id, `question-07`, or its English text) translated, a custom one as the policy wrote it.
    pub fn question(&self, question: String) -> String {
        self.0.question(&question)
    }

    /// The words of a notification by kind and channel id (`code`, `sms`), filled in with the
    /// organisation's name and, where they apply, the code, its minutes and the number to
    /// match; `None` for unknown ids or a pair the engine never sends.
    pub fn notice(
        &self,
        kind: String,
        channel: String,
        org: String,
        code: Option<String>,
        minutes: Option<u64>,
        number: Option<u8>,
    ) -> Option<NoticeText> {
        let args = NoticeArgs {
            org,
            code,
            minutes,
            number,
        };
        self.0
            .notice_by_id(&kind, &channel, &args)
            .map(|n| NoticeText {
                subject: n.subject,
                text: n.text,
            })
    }
}
