//! The language of the request an engine call serves, carried to the notifier: the middleware
//! runs each request in [`scope`], [`crate::app::App::run`] hands it to the blocking thread
//! that calls the engine, and the notifier reads it with [`current`], so that an email is
//! written in the language of the page that caused it.

use std::cell::Cell;
use std::future::Future;

use sspr_text::Locale;

tokio::task_local! {
    static REQUEST: Locale;
}

thread_local! {
    static CALL: Cell<Option<Locale>> = const { Cell::new(None) };
}

/// Runs `f` (a request's handling) with `locale` as its language.
pub async fn scope<F: Future>(locale: Locale, f: F) -> F::Output {
    REQUEST.scope(locale, f).await
}

/// The language of the request being handled on this task, if any.
pub fn of_request() -> Option<Locale> {
    REQUEST.try_with(|l| *l).ok()
}

/// Puts the thread's language back when dropped, also when the call unwinds.
struct Restore(Option<Locale>);

impl Drop for Restore {
    fn drop(&mut self) {
        CALL.with(|c| c.set(self.0));
    }
}

/// Runs `f` on this (blocking) thread with `locale` as the language of what it delivers; the
/// thread's language is put back afterwards, also when `f` panics.
pub fn with<T>(locale: Option<Locale>, f: impl FnOnce() -> T) -> T {
    let _restore = Restore(CALL.with(|c| c.replace(locale)));
    f()
}

/// The language of the engine call running on this thread (English outside a request).
pub fn current() -> Locale {
    CALL.with(Cell::get).unwrap_or(Locale::English)
}
