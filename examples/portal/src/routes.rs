//! Every route, in one table. `/dev/…` exists only in demo mode.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::app::App;
use crate::pages::{home, mailbox, password, register, report, reset};

/// The portal's router.
pub fn router(app: Arc<App>) -> Router {
    let mut r = Router::new()
        .route("/", get(home::show))
        .route("/health", get(|| async { "ok" }))
        .route("/reset", get(reset::show))
        .route("/reset/new", get(reset::start_over))
        .route("/reset/start", post(reset::start))
        .route("/reset/step", post(reset::step))
        .route("/reset/link", get(reset::link).post(reset::confirm_link))
        .route("/captcha.png", get(crate::statics::captcha_png))
        .route("/captcha.wav", get(crate::statics::captcha_wav))
        .route("/password", get(password::show).post(password::change))
        .route("/report", get(report::show).post(report::report))
        .route("/register", get(register::show))
        .route("/register/start", post(register::start))
        .route("/register/step", post(register::step))
        .route("/register/add/{method}", get(register::add))
        .route("/static/portal.js", get(crate::statics::script))
        .route("/static/portal.css", get(crate::statics::style));
    if app.demo {
        r = r
            .route("/dev/mailbox", get(mailbox::show))
            .route("/dev/device", post(mailbox::device));
    }
    r.merge(crate::api::router())
        .fallback(crate::statics::not_found)
        .method_not_allowed_fallback(crate::statics::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::context::layer,
        ))
        .with_state(app)
}
