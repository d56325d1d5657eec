//! "This wasn't me": the link in the notice sent after a password reset or change. Opening
//! the link only shows a Confirm button (mail scanners and previews open links too); the
//! report itself is a POST, which revokes the user's open flows and sessions, blocks
//! self-service for a while and is audited by the engine.

use std::sync::Arc;

use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use crate::app::App;
use crate::context::Ctx;
use crate::layout::{Frame, alert, csrf, page};
use crate::pages::{call_failed, respond};

/// The query of the notice's link.
#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    token: String,
}

fn frame(ctx: &Ctx) -> Frame<'_> {
    Frame {
        title: ctx.texts.t("report-heading"),
        ..Frame::default()
    }
}

/// GET `/report?token=…`: what a report does, and Confirm.
pub async fn show(Extension(ctx): Extension<Ctx>) -> Response {
    let t = &ctx.texts;
    let body = html! {
        p { (t.t("report-intro")) }
        form method="post" {
            (csrf(&ctx))
            div class="buttons" {
                button type="submit" class="primary" { (t.t("report-confirm")) }
                a class="button secondary" href="/" { (t.t("button-cancel")) }
            }
        }
    };
    respond(StatusCode::OK, page(&ctx, &frame(&ctx), body), &[])
}

/// POST `/report?token=…`: the report.
pub async fn report(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let token = q.token;
    let outcome = match app.run(move |e| e.report_not_me(&token)).await {
        Ok(o) => o,
        Err(e) => return call_failed(&ctx, &e),
    };
    let t = &ctx.texts;
    let (status, body) = match (outcome.rejection, outcome.blocked_until) {
        (None, Some(until)) => {
            let minutes = until.saturating_sub(app.now()).div_ceil(60);
            (
                StatusCode::OK,
                html! {
                    h2 { (t.t("report-done-heading")) }
                    p { (t.fmt("report-done-text", &[("minutes", minutes.to_string())])) }
                    p { a class="button primary" href="/" { (t.t("button-done")) } }
                },
            )
        }
        (rejection, _) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            html! {
                (alert(&rejection.map_or_else(|| t.t("bad-request"), |r| t.sspr.reason(r))))
                p { a href="/" { (t.t("home-heading")) } }
            },
        ),
    };
    respond(status, page(&ctx, &frame(&ctx), body), &[])
}
