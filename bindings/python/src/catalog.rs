//! sspr's words in the host's language (`sspr-text`'s Fluent catalogs): reasons, password
//! feedback, notifications and the predefined security questions.

use pyo3::prelude::*;
use sspr_text::{Catalog, Locale, NoticeArgs};

/// The words of one language: build one per language and share it.
#[pyclass(frozen, name = "Catalog", module = "sspr")]
pub(crate) struct PyCatalog(Catalog);

#[pymethods]
impl PyCatalog {
    /// The catalog for a BCP 47 tag (`"de"`, `"de-AT"`, `"en-GB"`); English when sspr ships
    /// no words for that language.
    #[new]
    #[pyo3(signature = (tag = "en"))]
    fn new(tag: &str) -> Self {
        Self(Catalog::for_tag(tag))
    }

    /// The language this catalog speaks (`"en"`, `"de"`).
    #[getter]
    fn locale(&self) -> &'static str {
        self.0.locale().tag()
    }

    /// The sentence for a reason id (`"code.mismatch"`), or `None` for an unknown id.
    fn reason(&self, id: &str) -> Option<String> {
        self.0.reason_by_id(id)
    }

    /// The words of a password-feedback id, or `None` for an unknown id.
    fn feedback(&self, id: &str) -> Option<String> {
        self.0.feedback_by_id(id)
    }

    /// A question as a view names it, in this language: a predefined question (by its stable
    /// id, `question-07`, or its English text) translated, a custom one as the policy wrote it.
    fn question(&self, question: &str) -> String {
        self.0.question(question)
    }

    /// `(subject, text)` of a notification by kind and channel id (`"code"`, `"sms"`): the
    /// subject is `None` outside email. `None` for unknown ids or a pair the engine never sends.
    #[pyo3(signature = (kind, channel, *, org, code = None, minutes = None, number = None))]
    fn notice(
        &self,
        kind: &str,
        channel: &str,
        org: String,
        code: Option<String>,
        minutes: Option<u64>,
        number: Option<u8>,
    ) -> Option<(Option<String>, String)> {
        let args = NoticeArgs {
            org,
            code,
            minutes,
            number,
        };
        self.0
            .notice_by_id(kind, channel, &args)
            .map(|n| (n.subject, n.text))
    }

    fn __repr__(&self) -> String {
        format!("Catalog({:?})", self.0.locale().tag())
    }
}

/// The language tags sspr ships words for.
pub(crate) fn locales() -> Vec<&'static str> {
    Locale::ALL.iter().map(|l| l.tag()).collect()
}
