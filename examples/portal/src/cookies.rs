//! The portal's cookies: read from the request, written with the same attributes every time
//! (`HttpOnly; SameSite=Strict; Path=/`, and `Secure` behind TLS). The flow ids live only here:
//! never in a URL or a page.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// The reset flow's id.
pub const RESET_FLOW: &str = "sspr_reset";
/// The registration flow's id.
pub const REGISTRATION_FLOW: &str = "sspr_reg";
/// The registration flow's role (`admin` for an administrator): which methods the pages list.
/// Display only: the engine decides what an administrator may register, whatever this says.
pub const REGISTRATION_ROLE: &str = "sspr_reg_role";
/// The per-browser CSRF token (also what binds a CAPTCHA to the browser).
pub const CSRF: &str = "sspr_csrf";
/// The chosen language.
pub const LANGUAGE: &str = "sspr_lng";

/// The value of cookie `name` in a request, if any.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for a session cookie (no expiry: it ends with the browser session).
pub fn set(name: &str, value: &str, secure: bool) -> String {
    format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path=/{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A `Set-Cookie` value that removes a cookie.
pub fn clear(name: &str, secure: bool) -> String {
    format!(
        "{name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Whether a cookie value is plain enough to echo (the flow ids and tokens the portal writes:
/// URL-safe characters only).
pub fn plain(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 512
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}
