//! The home page: the two ways in.

use axum::extract::Extension;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use crate::context::Ctx;
use crate::layout::{Frame, page};
use crate::pages::respond;

/// GET `/`.
pub async fn show(Extension(ctx): Extension<Ctx>) -> Response {
    let t = &ctx.texts;
    let body = html! {
        ul class="links" {
            li { a href="/reset" { (t.t("home-reset")) } }
            li { a href="/register" { (t.t("home-register")) } }
            li { a href="/password" { (t.t("home-change")) } }
        }
    };
    let frame = Frame {
        title: t.t("home-heading"),
        ..Frame::default()
    };
    respond(StatusCode::OK, page(&ctx, &frame, body), &[])
}
