//! The page around every screen: `lang`, a skip link, the language switch, one `main` with the
//! heading, the session countdown, the help desk when a view names one, the script as a file.

use maud::{DOCTYPE, Markup, html};

use crate::context::Ctx;

/// What a page shows around its body.
#[derive(Debug, Default)]
pub struct Frame<'a> {
    /// The window title and `h1`.
    pub title: String,
    /// Seconds left in the flow's session (the countdown), if one runs.
    pub expires_in: Option<u64>,
    /// The help desk's contact, when the view carries it.
    pub help_desk: Option<&'a str>,
    /// Check the wizard's page every this many seconds and show it once its screen has moved
    /// on (waiting for an app approval). The script does it: no `<meta http-equiv="refresh">`,
    /// which reloads the page under a screen reader's user (and, for a screen a form posted
    /// to, asks for a GET the step's URL does not answer).
    pub refresh: Option<u32>,
}

/// `mm:ss`.
pub fn clock(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// A whole page.
pub fn page(ctx: &Ctx, frame: &Frame<'_>, body: Markup) -> Markup {
    let t = &ctx.texts;
    html! {
        (DOCTYPE)
        html lang=(t.locale().tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " – " (t.t("portal-title")) }
                link rel="stylesheet" href="/static/portal.css";
                script src="/static/portal.js" defer {}
            }
            body {
                a class="skip" href="#main" { (t.t("skip-to-content")) }
                header {
                    span class="brand" { (t.t("portal-title")) }
                    a href={ (switch_path(&ctx.path)) "?" (kept_query(ctx)) "lng=" (t.t("lang-switch-tag")) } lang=(t.t("lang-switch-tag")) { (t.t("lang-switch")) }
                }
                main id="main" tabindex="-1" data-refresh=[frame.refresh]
                    data-refresh-url=[frame.refresh.map(|_| switch_path(&ctx.path))] {
                    h1 { (frame.title) }
                    (body)
                    @if let Some(contact) = frame.help_desk {
                        p class="help-desk" { (t.fmt("help-desk", &[("contact", contact.to_owned())])) }
                    }
                }
                footer {
                    @if let Some(s) = frame.expires_in {
                        p class="session" role="timer" aria-live="off" {
                            (countdown(ctx, s))
                        }
                    }
                    p { "©2026 Contoso · " (t.t("footer-privacy")) }
                }
            }
        }
    }
}

/// What the language switch keeps of the query: the token of a page opened from a message's
/// link (`/reset/link`, `/report`), which the page's form posts back; nothing else.
fn kept_query(ctx: &Ctx) -> String {
    match crate::context::query_param(ctx.query.as_deref(), "token") {
        Some(t)
            if matches!(ctx.path.as_str(), "/reset/link" | "/report")
                && crate::cookies::plain(&t) =>
        {
            format!("token={t}&")
        }
        _ => String::new(),
    }
}

/// The page the language switch reloads (and the waiting screen checks): the page itself, or
/// for a screen a form posted to (which answers no GET), the wizard's page, which shows the
/// flow's current screen.
fn switch_path(path: &str) -> &str {
    match path {
        "/reset/start" | "/reset/step" => "/reset",
        "/register/start" | "/register/step" => "/register",
        "/dev/device" => "/dev/mailbox",
        p => p,
    }
}

/// "Your session will expire in 12:05." with the time in a span the script counts down.
fn countdown(ctx: &Ctx, seconds: u64) -> Markup {
    let sentence = ctx
        .texts
        .fmt("session-expires", &[("time", "\u{1}".into())]);
    let (before, after) = sentence.split_once('\u{1}').unwrap_or((&sentence, ""));
    html! {
        (before) span class="countdown" data-seconds=(seconds) { (clock(seconds)) } (after)
    }
}

/// The CSRF field every form carries.
pub fn csrf(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name=(crate::csrf::FIELD) value=(ctx.csrf); }
}

/// An alert with a refusal's sentence.
pub fn alert(text: &str) -> Markup {
    html! { div class="alert" role="alert" { p { (text) } } }
}
