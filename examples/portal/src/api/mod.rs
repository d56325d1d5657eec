//! The JSON API beside the pages, for single-page and mobile front ends, under `/api/v1/`.
//!
//! The flow ids travel in the same `HttpOnly; SameSite=Strict` cookies as the pages' (never in
//! a body or a URL). Every POST carries the `X-CSRF-Token` header, equal to the `sspr_csrf`
//! cookie (checked by [`crate::context::layer`]); `GET /api/v1/csrf` gives the token to a
//! front end that cannot read the cookie. Bodies mirror the core's serialised views and
//! outcomes without the flow id; errors are `{"error": "<id>"}` with a stable id, and a
//! refused step carries the core's reason id in `rejection` (HTTP 422).

pub mod account;
pub mod docs;
pub mod openapi;
pub mod registration;
pub mod reset;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Extension;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::app::{App, CallError};
use crate::context::Ctx;

/// `Debug` for request bodies that names the body and nothing it carries.
macro_rules! opaque_debug {
    ($($t:ty),* $(,)?) => {
        $(impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).finish_non_exhaustive()
            }
        })*
    };
}
pub(crate) use opaque_debug;

/// The header that carries the CSRF token on every API POST.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API's routes (`/api/v1/…` and `/api/openapi.json`).
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/v1/csrf", get(csrf))
        .route("/api/v1/sign-in-check", post(registration::sign_in_check))
        .route("/api/v1/reset", get(reset::view).post(reset::start))
        .route("/api/v1/reset/choose", post(reset::choose))
        .route("/api/v1/reset/confirm-number", post(reset::confirm_number))
        .route("/api/v1/reset/code", post(reset::code))
        .route("/api/v1/reset/resend", post(reset::resend))
        .route("/api/v1/reset/answers", post(reset::answers))
        .route("/api/v1/reset/link", post(reset::link))
        .route("/api/v1/reset/password", post(reset::password))
        .route("/api/v1/reset/cancel", post(reset::cancel))
        .route(
            "/api/v1/registration",
            get(registration::view).post(registration::start),
        )
        .route("/api/v1/registration/prove", post(registration::prove))
        .route("/api/v1/registration/answers", post(registration::answer))
        .route("/api/v1/registration/verify", post(registration::verify))
        .route("/api/v1/registration/email", post(registration::email))
        .route(
            "/api/v1/registration/mobile-phone",
            post(registration::mobile_phone),
        )
        .route(
            "/api/v1/registration/office-phone",
            post(registration::office_phone),
        )
        .route("/api/v1/registration/app", post(registration::app))
        .route(
            "/api/v1/registration/questions",
            post(registration::questions),
        )
        .route(
            "/api/v1/registration/recovery-codes",
            post(registration::recovery_codes),
        )
        .route(
            "/api/v1/registration/test-push",
            post(registration::test_push),
        )
        .route("/api/v1/registration/back", post(registration::back))
        .route("/api/v1/registration/resend", post(registration::resend))
        .route("/api/v1/registration/default", post(registration::default))
        .route("/api/v1/registration/finish", post(registration::finish))
        .route("/api/v1/registration/cancel", post(registration::cancel))
        .route("/api/v1/password", post(account::change_password))
        .route("/api/v1/report", post(account::report))
        .route("/api/{*rest}", any(not_found))
}

/// An API error: a status and a stable id.
#[derive(Debug, Clone, Copy)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable id (`bad_request`, `flow_not_found`, …).
    pub id: &'static str,
}

impl ApiError {
    /// A malformed or unacceptable body.
    pub const BAD_REQUEST: Self = Self {
        status: StatusCode::BAD_REQUEST,
        id: "bad_request",
    };
    /// No flow cookie, or the flow is unknown or expired.
    pub const FLOW_NOT_FOUND: Self = Self {
        status: StatusCode::NOT_FOUND,
        id: "flow_not_found",
    };
    /// No such route.
    pub const NOT_FOUND: Self = Self {
        status: StatusCode::NOT_FOUND,
        id: "not_found",
    };
    /// The engine or a store failed.
    pub const SERVER_ERROR: Self = Self {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        id: "server_error",
    };
    /// A route asked with a method it does not answer.
    pub const METHOD_NOT_ALLOWED: Self = Self {
        status: StatusCode::METHOD_NOT_ALLOWED,
        id: "method_not_allowed",
    };
    /// Too many calls at once.
    pub const BUSY: Self = Self {
        status: StatusCode::SERVICE_UNAVAILABLE,
        id: "busy",
    };
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.id }))).into_response()
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Engine(sspr_core::Error::Input(sspr_core::InputError::UnknownFlow)) => {
                Self::FLOW_NOT_FOUND
            }
            CallError::Engine(sspr_core::Error::Input(_)) => Self::BAD_REQUEST,
            CallError::Engine(_) => Self::SERVER_ERROR,
            CallError::Pool => Self::BUSY,
        }
    }
}

/// Parses a JSON body (any content type), refusing it with `bad_request`.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::BAD_REQUEST);
    }
    serde_json::from_slice(body).map_err(|_| ApiError::BAD_REQUEST)
}

/// An outcome as JSON: serialised, the view's flow id removed; 422 with `error: "rejected"`
/// when the core refused the step, else 200. `set_cookies` are added as they are.
pub fn outcome<T: Serialize>(value: &T, set_cookies: &[String]) -> Response {
    let Ok(mut v) = serde_json::to_value(value) else {
        return ApiError::SERVER_ERROR.into_response();
    };
    strip_flow_id(&mut v);
    let rejected = v.get("rejection").is_some_and(|r| !r.is_null());
    let status = if rejected {
        if let Some(o) = v.as_object_mut() {
            o.insert("error".into(), Value::from("rejected"));
        }
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    with_cookies((status, axum::Json(v)).into_response(), set_cookies)
}

/// Removes `flow_id` from a serialised outcome's view (or from a view itself).
pub fn strip_flow_id(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("flow_id");
        if let Some(view) = o.get_mut("view").and_then(Value::as_object_mut) {
            view.remove("flow_id");
        }
    }
}

/// Adds `Set-Cookie` headers.
pub fn with_cookies(mut r: Response, set_cookies: &[String]) -> Response {
    for c in set_cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// The CSRF token to send back in `X-CSRF-Token`.
#[utoipa::path(get, path = "/api/v1/csrf", tag = "session",
    responses((status = 200, description = "The browser's CSRF token (also set as the sspr_csrf cookie)", body = docs::CsrfToken)))]
pub async fn csrf(Extension(ctx): Extension<Ctx>) -> Response {
    axum::Json(json!({ "csrf_token": ctx.csrf })).into_response()
}

/// Whether a POST to the API carries the CSRF header equal to the browser's token.
pub fn csrf_ok(headers: &axum::http::HeaderMap, cookie: Option<&str>) -> bool {
    let given = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match (cookie, given) {
        (Some(c), Some(g)) => crate::csrf::matches(c, g),
        _ => false,
    }
}

/// The refusal of an API POST without the right CSRF header.
pub fn csrf_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(json!({ "error": "csrf_refused" })),
    )
        .into_response()
}

/// Any other path under `/api/`.
pub async fn not_found() -> Response {
    ApiError::NOT_FOUND.into_response()
}
