//! The words of every page: the portal's own page text (Fluent files in `locales/`, English and
//! German) beside sspr-text's catalog (reasons, password feedback, notices, questions), and the
//! choice of language (`?lng=de|en`, kept in a cookie, else `Accept-Language`).

use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use sspr_text::{Catalog, Locale};
use unic_langid::LanguageIdentifier;

/// The portal's page text of one locale, as shipped.
pub fn portal_source(locale: Locale) -> &'static str {
    match locale {
        Locale::English => include_str!("../locales/en/portal.ftl"),
        Locale::German => include_str!("../locales/de/portal.ftl"),
    }
}

/// The ids of the messages in a Fluent source, in file order.
pub fn message_ids(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|l| !l.starts_with(['#', ' ']) && l.contains(" = "))
        .filter_map(|l| l.split(" = ").next())
        .map(|id| id.trim().to_owned())
        .collect()
}

/// Every word a page shows in one language.
pub struct Texts {
    locale: Locale,
    portal: FluentBundle<FluentResource>,
    /// sspr's catalog: reasons, feedback, notices, security questions.
    pub sspr: Catalog,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texts")
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

impl Texts {
    /// The texts of `locale`.
    pub fn new(locale: Locale) -> Self {
        let resource = FluentResource::try_new(portal_source(locale).to_owned())
            .unwrap_or_else(|(partial, _)| partial);
        let lang: LanguageIdentifier = locale.tag().parse().unwrap_or_default();
        let mut portal = FluentBundle::new_concurrent(vec![lang]);
        portal.set_use_isolating(false);
        let _ = portal.add_resource(resource);
        Self {
            locale,
            portal,
            sspr: Catalog::new(locale),
        }
    }

    /// The locale.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The page text `id` (its id when missing, which a test prevents).
    pub fn t(&self, id: &str) -> String {
        self.fmt(id, &[])
    }

    /// The page text `id` with named arguments.
    pub fn fmt(&self, id: &str, args: &[(&str, String)]) -> String {
        let Some(pattern) = self.portal.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, FluentValue::from(v.clone()));
        }
        let mut errors = Vec::new();
        self.portal
            .format_pattern(pattern, Some(&fa), &mut errors)
            .into_owned()
    }
}

/// Both languages' texts, built once.
#[derive(Debug, Clone)]
pub struct Languages {
    en: Arc<Texts>,
    de: Arc<Texts>,
}

impl Default for Languages {
    fn default() -> Self {
        Self {
            en: Arc::new(Texts::new(Locale::English)),
            de: Arc::new(Texts::new(Locale::German)),
        }
    }
}

impl Languages {
    /// The texts of `locale`.
    pub fn get(&self, locale: Locale) -> Arc<Texts> {
        match locale {
            Locale::English => self.en.clone(),
            Locale::German => self.de.clone(),
        }
    }
}

/// The language of a request: `?lng=`, then the `sspr_lng` cookie, then `Accept-Language`'s
/// first tag, then English. Returns the locale and whether `?lng=` chose it (to be kept).
pub fn choose(
    query_lng: Option<&str>,
    cookie: Option<&str>,
    accept: Option<&str>,
) -> (Locale, bool) {
    if let Some(l) = query_lng.and_then(Locale::from_tag) {
        return (l, true);
    }
    if let Some(l) = cookie.and_then(Locale::from_tag) {
        return (l, false);
    }
    let first = accept
        .and_then(|a| a.split(',').next())
        .map(|t| t.split(';').next().unwrap_or(t));
    (
        first.and_then(Locale::from_tag).unwrap_or(Locale::English),
        false,
    )
}
