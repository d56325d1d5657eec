//! Files the pages load: the script (the countdown, the strength meter), the style sheet, and
//! the CAPTCHA's picture and audio; the 404 page.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::context::Ctx;

/// GET `/static/portal.js`.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../static/portal.js"),
    )
        .into_response()
}

/// GET `/static/portal.css`.
pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../static/portal.css"),
    )
        .into_response()
}

/// GET `/captcha.png`: a new challenge for this browser.
pub async fn captcha_png(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    // Drawing a picture takes the same bounded slots as the engine's calls.
    let Ok(_slot) = app.slots.acquire().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let captcha = app.captcha.clone();
    let browser = ctx.csrf.clone();
    match tokio::task::spawn_blocking(move || captcha.picture(&browser)).await {
        Ok(Ok((png, sealed))) => (
            [
                (header::CONTENT_TYPE, "image/png".to_owned()),
                (
                    header::SET_COOKIE,
                    crate::cookies::set(crate::captcha::COOKIE, &sealed, app.secure_cookies),
                ),
            ],
            png,
        )
            .into_response(),
        _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// GET `/captcha.wav`: this browser's challenge read aloud.
pub async fn captcha_wav(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    let voice = ctx.texts.locale().tag();
    // One reading (two espeak-ng processes, killed if the request goes away) per slot: the
    // engine's bound holds for the audio too.
    let Ok(_slot) = app.slots.acquire().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    match app.captcha.audio(&ctx.csrf, &ctx.captcha, voice).await {
        Ok(Some(wav)) => ([(header::CONTENT_TYPE, "audio/wav")], wav).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Any other path.
pub async fn not_found(Extension(ctx): Extension<Ctx>) -> Response {
    crate::pages::error_page(&ctx, StatusCode::NOT_FOUND, "not-found")
}

/// A known path asked with a method it does not answer: a page saying so (JSON under
/// `/api/`), with the methods it
/// does answer in `Allow` (set by the router).
pub async fn method_not_allowed(Extension(ctx): Extension<Ctx>) -> Response {
    if ctx.path.starts_with("/api/") {
        return crate::api::ApiError::METHOD_NOT_ALLOWED.into_response();
    }
    crate::pages::error_page(&ctx, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed")
}
