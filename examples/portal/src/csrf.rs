//! CSRF protection: every browser gets a random token in its own cookie (`sspr_csrf`); every
//! form echoes it in a hidden field (`csrf`), and every POST whose field does not equal the
//! cookie (compared in constant time) is refused before any handler runs.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Form, FromRequest, Request};
use subtle::ConstantTimeEq;

/// The hidden field's name.
pub const FIELD: &str = "csrf";

/// The largest form body accepted (a password form is far smaller).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A fresh token: 32 random bytes, URL-safe base64 without padding.
pub fn new_token() -> Result<String, sspr_core::PortError> {
    let bytes = sspr_core::ports::Randomness::bytes(&sspr_core::memory::OsRandomness, 32)?;
    Ok(data_encoding::BASE64URL_NOPAD.encode(&bytes))
}

/// Whether `given` equals `expected`, in constant time.
pub fn matches(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Reads a POST's form body, checks its `csrf` field against the cookie's token, and gives the
/// request back with its body restored. `None` when the body is unreadable or the token is
/// missing or wrong.
pub async fn check(request: Request, cookie: Option<&str>) -> Option<Request> {
    let cookie = cookie?;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES).await.ok()?;
    let probe = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    let Form(fields) = Form::<HashMap<String, String>>::from_request(probe, &())
        .await
        .ok()?;
    let given = fields.get(FIELD)?;
    matches(cookie, given).then(|| Request::from_parts(parts, Body::from(bytes)))
}
