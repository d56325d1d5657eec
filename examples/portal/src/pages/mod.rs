//! The pages: one file per wizard, the dev mailbox, the home page, and what they share.

pub mod home;
pub mod mail;
pub mod mailbox;
pub mod password;
pub mod register;
pub mod report;
pub mod reset;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::context::Ctx;
use crate::i18n::Texts;
use crate::layout::{Frame, page};

/// A rendered page with its status and the cookies it sets.
pub fn respond(status: StatusCode, markup: Markup, set_cookies: &[String]) -> Response {
    let mut r = (status, axum::response::Html(markup.into_string())).into_response();
    for c in set_cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// An error page (`message` is a page-text id), without a request context.
pub fn error(texts: &Texts, status: StatusCode, message: &str) -> Response {
    let body = html! {
        (maud::DOCTYPE)
        html lang=(texts.locale().tag()) {
            head { meta charset="utf-8"; title { (texts.t("error-heading")) } link rel="stylesheet" href="/static/portal.css"; }
            body { main id="main" { h1 { (texts.t("error-heading")) } p role="alert" { (texts.t(message)) } p { a href="/" { (texts.t("home-heading")) } } } }
        }
    };
    (status, axum::response::Html(body.into_string())).into_response()
}

/// An error page in the request's frame.
pub fn error_page(ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    let frame = Frame {
        title: ctx.texts.t("error-heading"),
        ..Frame::default()
    };
    let body = html! { p role="alert" { (ctx.texts.t(message)) } p { a href="/" { (ctx.texts.t("home-heading")) } } };
    respond(status, page(ctx, &frame, body), &[])
}

/// The page for an engine call that gave no outcome.
pub fn call_failed(ctx: &Ctx, e: &crate::app::CallError) -> Response {
    match e {
        crate::app::CallError::Engine(sspr_core::Error::Input(_)) => {
            error_page(ctx, StatusCode::BAD_REQUEST, "bad-request")
        }
        crate::app::CallError::Engine(_) => {
            error_page(ctx, StatusCode::INTERNAL_SERVER_ERROR, "server-error")
        }
        crate::app::CallError::Pool => error_page(ctx, StatusCode::SERVICE_UNAVAILABLE, "busy"),
    }
}

/// A form field's value, empty when absent.
pub fn field<'a>(f: &'a std::collections::HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map_or("", String::as_str)
}

/// A 303 to `to`.
pub fn see_other(to: &str, set_cookies: &[String]) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    for c in set_cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// A submit button that posts `action` with its form.
pub fn action_button(name_value: &str, label: &str, primary: bool) -> Markup {
    html! {
        button type="submit" name="action" value=(name_value) class=(if primary { "primary" } else { "secondary" }) formnovalidate[!primary] { (label) }
    }
}
