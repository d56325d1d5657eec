//! What every request carries into a handler ([`Ctx`]): the language, the browser's CSRF token,
//! the client (its address: [`crate::client_address`]), the flow ids from their cookies. The
//! middleware here also refuses POSTs without the CSRF token, sets the cookies it chose, and
//! adds the security headers to every response.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::cookies;
use crate::i18n::{self, Texts};

/// The request's context.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The words, in the request's language.
    pub texts: Arc<Texts>,
    /// The browser's CSRF token (echoed in every form).
    pub csrf: String,
    /// The client's address (an IPv6 client's `/56`), for per-client limits.
    pub client: Option<String>,
    /// The reset flow's id, from its cookie.
    pub reset_flow: Option<String>,
    /// The registration flow's id, from its cookie.
    pub reg_flow: Option<String>,
    /// Whether the registration flow's user is an administrator (its role cookie; display only).
    pub reg_admin: bool,
    /// The sealed CAPTCHA challenge, from its cookie.
    pub captcha: String,
    /// The request's path (for the language switch).
    pub path: String,
    /// The request's query string (for the language switch of a page opened from a link).
    pub query: Option<String>,
}

/// The value of `name` in a query string, as written (not decoded).
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The middleware every route runs behind.
pub async fn layer(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let mut set_cookies = Vec::new();
    let existing_csrf = cookies::get(headers, cookies::CSRF).filter(|t| cookies::plain(t));
    let lng = query_param(request.uri().query(), "lng");
    let (locale, chosen) = i18n::choose(
        lng.as_deref(),
        cookies::get(headers, cookies::LANGUAGE).as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    if chosen {
        set_cookies.push(cookies::set(
            cookies::LANGUAGE,
            locale.tag(),
            app.secure_cookies,
        ));
    }
    let texts = app.langs.get(locale);
    let csrf = match &existing_csrf {
        Some(t) => t.clone(),
        None => match crate::csrf::new_token() {
            Ok(t) => {
                set_cookies.push(cookies::set(cookies::CSRF, &t, app.secure_cookies));
                t
            }
            Err(_) => {
                return finish(
                    crate::pages::error(&texts, StatusCode::INTERNAL_SERVER_ERROR, "server-error"),
                    &[],
                );
            }
        },
    };
    let ctx = Ctx {
        texts: texts.clone(),
        csrf,
        client: crate::client_address::client(
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
            headers.get_all("x-forwarded-for").iter(),
            &app.trusted_proxies,
        ),
        reset_flow: cookies::get(headers, cookies::RESET_FLOW).filter(|t| cookies::plain(t)),
        reg_flow: cookies::get(headers, cookies::REGISTRATION_FLOW).filter(|t| cookies::plain(t)),
        reg_admin: cookies::get(headers, cookies::REGISTRATION_ROLE).as_deref() == Some("admin"),
        captcha: cookies::get(headers, crate::captcha::COOKIE)
            .filter(|t| cookies::plain(t))
            .unwrap_or_default(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
    };
    if request.method() == Method::POST && request.uri().path().starts_with("/api/") {
        if !crate::api::csrf_ok(request.headers(), existing_csrf.as_deref()) {
            return finish(crate::api::csrf_refused(), &set_cookies);
        }
    } else if request.method() == Method::POST {
        match crate::csrf::check(request, existing_csrf.as_deref()).await {
            Some(r) => request = r,
            None => {
                return finish(
                    crate::pages::error(&texts, StatusCode::FORBIDDEN, "csrf-refused"),
                    &set_cookies,
                );
            }
        }
    }
    request.extensions_mut().insert(ctx);
    let response = crate::request_locale::scope(locale, next.run(request)).await;
    finish(response, &set_cookies)
}

fn finish(response: impl IntoResponse, set_cookies: &[String]) -> Response {
    let mut response = response.into_response();
    let headers = response.headers_mut();
    for c in set_cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    crate::headers::apply(headers);
    response
}
