//! `/dev/mailbox` (demo mode only): every message the notifier was given, newest first, in the
//! catalog's words, with the email's verification link and, for a push, the demo "device"
//! buttons that answer it (a real app answers through the host's push service).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Extension, Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;

use crate::app::App;
use crate::context::Ctx;
use crate::layout::{Frame, csrf, page};
use crate::pages::respond;

/// GET `/dev/mailbox`.
pub async fn show(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    let t = &ctx.texts;
    let messages = app
        .mailbox
        .as_ref()
        .map(|m| m.messages())
        .unwrap_or_default();
    let minutes = app.engine.policy().codes().ttl_s.div_ceil(60);
    let body = html! {
        p { (t.t("mailbox-intro")) }
        @if messages.is_empty() { p { (t.t("mailbox-empty")) } }
        @for m in &messages {
            article class="message" {
                @let words = crate::pages::mail::words(t, "Contoso", minutes, m);
                h2 { (m.channel.id()) " · " (m.kind.id()) }
                p { (t.t("mailbox-to")) ": " span class="to" { (m.to) } }
                @if let Some(w) = &words {
                    @if let Some(s) = &w.subject { p class="subject" { strong { (s) } } }
                    pre class="text" { (w.text) }
                }
                @if let Some(link) = &m.link_token {
                    p { a class="link" href={ "/reset/link?token=" (link.expose()) } { (t.t("mailbox-link")) } }
                }
                @if let Some(token) = &m.revoke_token {
                    p { a class="report" href={ "/report?token=" (token.expose()) } { (t.t("mailbox-report")) } }
                }
                @if let Some(a) = &m.approval {
                    form method="post" action="/dev/device" class="device" {
                        (csrf(&ctx))
                        input type="hidden" name="request_id" value=(a.request_id);
                        @for n in choices(a.number) {
                            button type="submit" name="number" value=(n) { (t.fmt("mailbox-approve", &[("number", n.to_string())])) }
                        }
                        button type="submit" name="deny" value="1" { (t.t("mailbox-deny")) }
                    }
                }
            }
        }
    };
    let frame = Frame {
        title: t.t("mailbox-heading"),
        ..Frame::default()
    };
    respond(StatusCode::OK, page(&ctx, &frame, body), &[])
}

/// The three numbers a device shows: the right one among two others.
fn choices(number: u8) -> [u8; 3] {
    let a = (number % 90) + 10;
    let b = ((number + 37) % 90) + 10;
    let (a, b) = (
        if a == number { a + 1 } else { a },
        if b == number || b == a {
            b.saturating_add(2)
        } else {
            b
        },
    );
    match number % 3 {
        0 => [number, a, b],
        1 => [a, number, b],
        _ => [a, b, number],
    }
}

/// POST `/dev/device`: the demo device answers a push (the reset's, else the registration's,
/// of this browser).
pub async fn device(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let request_id = f.get("request_id").cloned().unwrap_or_default();
    let approve = !f.contains_key("deny");
    let number: u8 = f.get("number").and_then(|n| n.parse().ok()).unwrap_or(0);
    let (reset, reg) = (ctx.reset_flow.clone(), ctx.reg_flow.clone());
    let result = app
        .run(move |e| {
            if let Some(flow) = reset {
                let o = e.reset_step(
                    &flow,
                    ResetInput::Approve {
                        request_id: request_id.clone(),
                        number,
                        approve,
                    },
                )?;
                if o.rejection != Some(sspr_core::Reason::FlowInvalidStep) {
                    return Ok(None);
                }
            }
            if let Some(flow) = reg {
                let o = e.registration_step(
                    &flow,
                    RegistrationInput::Approve {
                        request_id,
                        number,
                        approve,
                    },
                )?;
                return Ok(Some((flow, o)));
            }
            Ok(None)
        })
        .await;
    // The registration pages read the flow's new state from the engine; nothing to keep.
    drop(result);
    let t = &ctx.texts;
    let frame = Frame {
        title: t.t("mailbox-heading"),
        ..Frame::default()
    };
    let body = html! { p role="status" { (t.t("mailbox-device-done")) } p { a href="/dev/mailbox" { (t.t("mailbox-heading")) } } };
    respond(StatusCode::OK, page(&ctx, &frame, body), &[])
}
