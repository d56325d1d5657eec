//! "change password" (the last screen of seed 000): user id, old password, the new password
//! with the rules and a strength meter, confirm; and the fields the reset wizard's "choose a
//! new password" shares with it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Extension, Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use sspr_core::SecretString;
use sspr_core::engine::PasswordChangeOutcome;
use sspr_core::password::PasswordVerdict;

use crate::app::App;
use crate::context::Ctx;
use crate::layout::{Frame, alert, csrf, page};
use crate::pages::{call_failed, field, respond};

/// Why a new password was refused: the verdict's reasons and feedback, else `rejection`.
pub fn refusal(ctx: &Ctx, verdict: Option<&PasswordVerdict>, rejection: Option<&str>) -> Markup {
    let t = &ctx.texts;
    html! {
        @if let Some(v) = verdict.filter(|v| !v.accepted()) {
            div class="alert" role="alert" {
                ul {
                    @for r in &v.reasons { li { (t.sspr.reason(*r)) } }
                    @if let Some(w) = v.feedback.warning { li { (t.sspr.feedback(w)) } }
                    @for s in &v.feedback.suggestions { li { (t.sspr.feedback(*s)) } }
                }
            }
        } @else if let Some(r) = rejection { (alert(r)) }
    }
}

/// "Strong password required. Enter 8-256 characters…", with the policy's lengths.
pub fn rules(app: &App, ctx: &Ctx) -> Markup {
    let rules = app.engine.password_rules().policy();
    html! {
        p id="rules" { (ctx.texts.fmt("reset-password-rules", &[("min", rules.min_chars.to_string()), ("max", rules.max_chars.to_string())])) }
    }
}

/// "Create new password", "Password strength" (a meter the script moves while typing; the
/// server's verdict sets it after a refusal), "Confirm new password".
pub fn new_fields(app: &App, ctx: &Ctx, verdict: Option<&PasswordVerdict>) -> Markup {
    let t = &ctx.texts;
    let rules = app.engine.password_rules().policy();
    html! {
        div class="field" {
            label for="password" { (t.t("reset-password-new")) }
            input id="password" name="password" type="password" autocomplete="new-password" required minlength=(rules.min_chars) maxlength=(rules.max_chars) aria-describedby="rules strength-label";
        }
        div class="field" {
            span id="strength-label" { (t.t("reset-password-strength")) ": " }
            meter id="strength" min="0" max="4" value=(verdict.map_or(0, |v| v.meter)) aria-labelledby="strength-label"
                data-labels=((0..5).map(|i| t.t(&format!("strength-{i}"))).collect::<Vec<_>>().join("|")) {}
            span id="strength-text" aria-live="polite" { @if let Some(v) = verdict { (t.t(&format!("strength-{}", v.meter.min(4)))) } }
        }
        div class="field" {
            label for="confirm" { (t.t("reset-password-confirm")) }
            input id="confirm" name="confirm" type="password" autocomplete="new-password" required;
        }
    }
}

fn form(app: &App, ctx: &Ctx, username: &str, outcome: Option<&PasswordChangeOutcome>) -> Markup {
    let t = &ctx.texts;
    let verdict = outcome.and_then(|o| o.password.as_ref());
    let rejection = outcome.and_then(|o| o.rejection).map(|r| {
        let words = t.sspr.reason(r);
        match outcome.and_then(|o| o.retry_after) {
            Some(s) => format!(
                "{words} {}",
                t.fmt(
                    "reset-blocked-retry",
                    &[("minutes", s.div_ceil(60).to_string())]
                )
            ),
            None => words,
        }
    });
    html! {
        (refusal(ctx, verdict, rejection.as_deref()))
        (rules(app, ctx))
        form method="post" action="/password" {
            (csrf(ctx))
            div class="field" {
                label for="username" { (t.t("reg-username")) }
                input id="username" name="username" type="text" autocomplete="username" required value=(username);
            }
            div class="field" {
                label for="old" { (t.t("password-old")) }
                input id="old" name="old" type="password" autocomplete="current-password" required;
            }
            (new_fields(app, ctx, verdict))
            div class="buttons" {
                button type="submit" class="primary" { (t.t("button-submit")) }
                a class="button secondary" href="/" { (t.t("button-cancel")) }
            }
        }
    }
}

fn frame<'a>(ctx: &Ctx, help: Option<&'a str>) -> Frame<'a> {
    Frame {
        title: ctx.texts.t("password-heading"),
        help_desk: help,
        ..Frame::default()
    }
}

/// GET `/password`: the form.
pub async fn show(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    respond(
        StatusCode::OK,
        page(&ctx, &frame(&ctx, None), form(&app, &ctx, "", None)),
        &[],
    )
}

/// POST `/password`: the engine checks the old password (counted like any verification) and
/// the new one against the rules, then sets it and notifies.
pub async fn change(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let username = field(&f, "username").trim().to_owned();
    let old = SecretString::new(field(&f, "old"));
    let new = SecretString::new(field(&f, "password"));
    let confirm = SecretString::new(field(&f, "confirm"));
    let user = username.clone();
    let client = ctx.client.clone();
    let outcome = match app
        .run(move |e| e.change_password(&user, &old, &new, &confirm, client.as_deref()))
        .await
    {
        Ok(o) => o,
        Err(e) => return call_failed(&ctx, &e),
    };
    let t = &ctx.texts;
    if outcome.changed {
        let body = html! {
            h2 { (t.t("password-done-heading")) }
            p { (t.t("password-done-text")) }
            p { a class="button primary" href="/" { (t.t("button-done")) } }
        };
        return respond(StatusCode::OK, page(&ctx, &frame(&ctx, None), body), &[]);
    }
    respond(
        StatusCode::UNPROCESSABLE_ENTITY,
        page(
            &ctx,
            &frame(&ctx, outcome.help_desk.as_deref()),
            form(&app, &ctx, &username, Some(&outcome)),
        ),
        &[],
    )
}
