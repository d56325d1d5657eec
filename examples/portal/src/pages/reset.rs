//! "Get back into your account": who are you (user id and CAPTCHA), verification step N of M
//! (choose a contact method, enter your complete phone number, enter the code, answer the
//! security questions, approve on the app), choose a new password, done. In the seeds' words
//! and order (`/work/shared/seeds/000_…`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Extension, Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use sspr_core::engine::ResetOutcome;
use sspr_core::engine::ResetView;
use sspr_core::reset::{ResetInput, ResetScreen};
use sspr_core::{ResetOption, SecretString};

use crate::app::App;
use crate::context::Ctx;
use crate::cookies;
use crate::layout::{Frame, alert, csrf, page};
use crate::pages::{action_button, call_failed, field, password, respond, see_other};

/// GET `/reset`: the current screen of this browser's reset, or "who are you?".
pub async fn show(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    let Some(flow) = ctx.reset_flow.clone() else {
        return who(&ctx, None, "");
    };
    match app.run(move |e| e.reset_view_of(&flow)).await {
        Ok(view) => render(&app, &ctx, &outcome_of(view), &[]),
        // The flow is gone (expired and purged, or never existed): start again.
        Err(_) => expired(&app, &ctx),
    }
}

fn outcome_of(view: ResetView) -> ResetOutcome {
    ResetOutcome {
        view: Some(view),
        rejection: None,
        retry_after: None,
        password: None,
        warnings: Vec::new(),
    }
}

fn expired(app: &App, ctx: &Ctx) -> Response {
    let t = &ctx.texts;
    let body = html! {
        p { (t.t("reset-expired-text")) }
        p { a class="button" href="/reset/new" { (t.t("reset-start-again")) } }
    };
    let frame = Frame {
        title: t.t("reset-expired-heading"),
        help_desk: None,
        ..Frame::default()
    };
    respond(
        StatusCode::OK,
        page(ctx, &frame, body),
        &[cookies::clear(cookies::RESET_FLOW, app.secure_cookies)],
    )
}

/// GET `/reset/new`: forgets this browser's reset and starts over.
pub async fn start_over(State(app): State<Arc<App>>) -> Response {
    see_other(
        "/reset",
        &[cookies::clear(cookies::RESET_FLOW, app.secure_cookies)],
    )
}

/// "Who are you?"
fn who(ctx: &Ctx, error: Option<String>, user: &str) -> Response {
    let t = &ctx.texts;
    let body = html! {
        h2 { (t.t("reset-who-heading")) }
        @if let Some(e) = &error { (alert(e)) }
        p { (t.t("reset-who-intro")) }
        form method="post" action="/reset/start" {
            (csrf(ctx))
            div class="field" {
                label for="user" { (t.t("reset-user-label")) }
                input id="user" name="user" type="text" autocomplete="username" required value=(user) aria-describedby="user-hint";
                p id="user-hint" class="hint" { (t.t("reset-user-example")) }
            }
            div class="field" {
                img class="captcha" src="/captcha.png" alt=(t.t("captcha-image-alt")) width="240" height="90";
                p { a href="/captcha.wav" { (t.t("captcha-audio")) } }
                audio controls preload="none" src="/captcha.wav" {}
                p { a href="/reset" { (t.t("captcha-new")) } }
                label for="captcha" { (t.t("captcha-label")) }
                input id="captcha" name="captcha" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required;
            }
            div class="buttons" {
                button type="submit" class="primary" { (t.t("button-next")) }
                a class="button secondary" href="/" { (t.t("button-cancel")) }
            }
        }
    };
    let frame = Frame {
        title: t.t("reset-heading"),
        ..Frame::default()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(status, page(ctx, &frame, body), &[])
}

/// POST `/reset/start`: user id and CAPTCHA answer.
pub async fn start(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let user = field(&f, "user").trim().to_owned();
    let answer = crate::captcha::response(&ctx.csrf, &ctx.captcha, field(&f, "captcha"));
    let client = ctx.client.clone();
    let u = user.clone();
    let outcome = match app
        .run(move |e| e.start_reset(&u, &answer, client.as_deref()))
        .await
    {
        Ok(o) => o,
        Err(e) => return call_failed(&ctx, &e),
    };
    let Some(view) = &outcome.view else {
        let why = outcome.rejection.map(|r| ctx.texts.sspr.reason(r));
        return who(
            &ctx,
            why.or_else(|| Some(ctx.texts.t("bad-request"))),
            &user,
        );
    };
    let set = cookies::set(cookies::RESET_FLOW, &view.flow_id, app.secure_cookies);
    render(&app, &ctx, &outcome, &[set])
}

/// POST `/reset/step`: one step of the wizard (`action` names it).
pub async fn step(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(flow) = ctx.reset_flow.clone() else {
        return see_other("/reset", &[]);
    };
    let secret = |name: &str| SecretString::new(field(&f, name).trim());
    let input = match field(&f, "action") {
        "choose" => match field(&f, "option").parse::<ResetOption>() {
            Ok(o) => ResetInput::Choose(o),
            Err(_) => return see_other("/reset", &[]),
        },
        "number" => ResetInput::ConfirmNumber(secret("number")),
        "code" => ResetInput::EnterCode(secret("code")),
        "resend" => ResetInput::Resend,
        "answers" => {
            let mut answers = BTreeMap::new();
            for i in 0..crate::pages::register::MAX_QUESTIONS {
                if let Some(q) = f.get(&format!("q{i}")) {
                    answers.insert(q.clone(), SecretString::new(field(&f, &format!("a{i}"))));
                }
            }
            ResetInput::Answer(answers)
        }
        "password" => ResetInput::NewPassword {
            password: SecretString::new(field(&f, "password")),
            confirm: SecretString::new(field(&f, "confirm")),
        },
        "cancel" => ResetInput::Cancel,
        _ => return see_other("/reset", &[]),
    };
    step_with(&app, &ctx, flow, input).await
}

async fn step_with(app: &Arc<App>, ctx: &Ctx, flow: String, input: ResetInput) -> Response {
    match app.run(move |e| e.reset_step(&flow, input)).await {
        Ok(outcome) => render(app, ctx, &outcome, &[]),
        Err(crate::app::CallError::Engine(sspr_core::Error::Input(_))) => {
            crate::pages::error_page(ctx, StatusCode::BAD_REQUEST, "bad-request")
        }
        Err(crate::app::CallError::Engine(_)) => expired(app, ctx),
        Err(e) => call_failed(ctx, &e),
    }
}

/// The query of the email link page.
#[derive(Debug, serde::Deserialize)]
pub struct LinkQuery {
    /// The link token.
    #[serde(default)]
    pub token: String,
}

/// GET `/reset/link?token=…`: only a Confirm button. Opening the page spends nothing (mail
/// scanners open links first); the form posts back to this same address. The button is always
/// shown: a link opened from a mail client is a cross-site navigation, on which the browser
/// withholds the `SameSite=Strict` flow cookie; the same-origin POST carries it.
pub async fn link(Extension(ctx): Extension<Ctx>) -> Response {
    let t = &ctx.texts;
    let body = html! {
        p { (t.t("reset-link-intro")) }
        form method="post" {
            (csrf(&ctx))
            div class="buttons" { button type="submit" class="primary" { (t.t("button-confirm")) } }
        }
        p class="hint" { (t.t("reset-link-no-flow")) }
    };
    let frame = Frame {
        title: t.t("reset-link-heading"),
        ..Frame::default()
    };
    respond(StatusCode::OK, page(&ctx, &frame, body), &[])
}

/// POST `/reset/link?token=…`: confirms the link in the browser holding the flow.
pub async fn confirm_link(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<LinkQuery>,
) -> Response {
    let Some(flow) = ctx.reset_flow.clone() else {
        return see_other("/reset", &[]);
    };
    step_with(
        &app,
        &ctx,
        flow,
        ResetInput::ConfirmLink(SecretString::new(q.token)),
    )
    .await
}

/// The words of an option and its hint.
pub fn option_label(ctx: &Ctx, option: ResetOption) -> String {
    ctx.texts.t(&format!("option-{}", option.id()))
}

fn breadcrumb(ctx: &Ctx, view: &ResetView, on_password: bool) -> Markup {
    let t = &ctx.texts;
    html! {
        nav aria-label="progress" class="steps" {
            ol {
                @for g in 1..=view.gates {
                    li aria-current=[(!on_password && g == view.gate).then_some("step")] {
                        (t.fmt("reset-step-of", &[("gate", g.to_string())]))
                    }
                }
                li aria-current=[on_password.then_some("step")] { (t.t("reset-step-password")) }
            }
        }
    }
}

fn options_form(ctx: &Ctx, view: &ResetView, heading: Option<&str>) -> Markup {
    let t = &ctx.texts;
    html! {
        form method="post" action="/reset/step" {
            (csrf(ctx))
            fieldset {
                legend { (heading.map_or_else(|| t.t(if view.gate > 1 { "reset-choose-second" } else { "reset-choose-first" }), str::to_owned)) }
                @for (i, o) in view.options.iter().enumerate() {
                    div class="option" {
                        input type="radio" name="option" id={ "opt-" (o.option.id()) } value=(o.option.id()) checked[i == 0] aria-describedby={ "hint-" (o.option.id()) };
                        label for={ "opt-" (o.option.id()) } { (option_label(ctx, o.option)) }
                        p class="hint" id={ "hint-" (o.option.id()) } {
                            (t.fmt(&format!("option-{}-hint", o.option.id()), &[("masked", o.masked.clone().unwrap_or_default())]))
                        }
                    }
                }
                @for o in &view.unavailable {
                    div class="option unavailable" {
                        input type="radio" name="option" id={ "opt-" (o.id()) } value=(o.id()) disabled aria-describedby={ "na-" (o.id()) };
                        label for={ "opt-" (o.id()) } { (option_label(ctx, *o)) }
                        p class="hint" id={ "na-" (o.id()) } { (t.t("option-not-available")) }
                    }
                }
            }
            div class="buttons" {
                (action_button("choose", &t.t("button-next"), true))
                (action_button("cancel", &t.t("button-cancel"), false))
            }
        }
    }
}

fn masked_of(view: &ResetView) -> String {
    view.options
        .iter()
        .find(|o| Some(o.option) == view.option)
        .and_then(|o| o.masked.clone())
        .unwrap_or_default()
}

fn other_method(ctx: &Ctx, view: &ResetView) -> Markup {
    html! {
        details class="other" {
            summary { (ctx.texts.t("reset-other-method")) }
            (options_form(ctx, view, Some(&ctx.texts.t("reset-other-method"))))
        }
    }
}

/// Renders a reset outcome: the screen of its view, its refusal, its password verdict.
pub fn render(app: &App, ctx: &Ctx, outcome: &ResetOutcome, set: &[String]) -> Response {
    let t = &ctx.texts;
    let Some(view) = &outcome.view else {
        return who(ctx, outcome.rejection.map(|r| t.sspr.reason(r)), "");
    };
    let now = app.now();
    let terminal = matches!(
        view.state,
        ResetScreen::Completed
            | ResetScreen::Unlocked
            | ResetScreen::Blocked
            | ResetScreen::Expired
            | ResetScreen::Cancelled
    );
    // The session ran out: the engine ends the flow at its next step; the page says so now.
    if !terminal && view.expires_at <= now {
        return expired(app, ctx);
    }
    let mut frame = Frame {
        title: t.t("reset-heading"),
        expires_in: Some(view.expires_at.saturating_sub(now)),
        help_desk: view.help_desk.as_deref(),
        refresh: None,
    };
    let rejection = outcome.rejection.map(|r| t.sspr.reason(r));
    let mut cookies_out: Vec<String> = set.to_vec();
    if terminal {
        frame.expires_in = None;
        cookies_out.retain(|c| !c.starts_with(cookies::RESET_FLOW));
        cookies_out.push(cookies::clear(cookies::RESET_FLOW, app.secure_cookies));
    }
    let body = match view.state {
        ResetScreen::ChooseMethod => html! {
            (breadcrumb(ctx, view, false))
            @if let Some(r) = &rejection { (alert(r)) }
            (options_form(ctx, view, None))
        },
        ResetScreen::ConfirmNumber => {
            let option = view.option.unwrap_or(ResetOption::MobileText);
            let send = if option == ResetOption::MobileText {
                "reset-send-text"
            } else {
                "reset-send-call"
            };
            html! {
                (breadcrumb(ctx, view, false))
                h2 { (t.t("reset-confirm-number-heading")) }
                @if let Some(r) = &rejection { (alert(r)) }
                p { (t.fmt(&format!("option-{}-hint", option.id()), &[("masked", masked_of(view))])) }
                form method="post" action="/reset/step" {
                    (csrf(ctx))
                    div class="field" {
                        label for="number" { (t.t("reset-confirm-number-label")) }
                        input id="number" name="number" type="tel" autocomplete="tel" required;
                    }
                    div class="buttons" {
                        (action_button("number", &t.t(send), true))
                        (action_button("cancel", &t.t("button-cancel"), false))
                    }
                }
                (other_method(ctx, view))
            }
        }
        ResetScreen::EnterCode => {
            let option = view.option.unwrap_or(ResetOption::Email);
            let intro = match option {
                ResetOption::Email => "reset-code-sent-email",
                ResetOption::MobileText | ResetOption::MobileCall | ResetOption::OfficeCall => {
                    "reset-code-sent-phone"
                }
                ResetOption::RecoveryCode => "reset-code-recovery",
                _ => "reset-code-app",
            };
            let resend = matches!(
                option,
                ResetOption::Email
                    | ResetOption::MobileText
                    | ResetOption::MobileCall
                    | ResetOption::OfficeCall
            );
            html! {
                (breadcrumb(ctx, view, false))
                @if let Some(r) = &rejection { (alert(r)) }
                p { (t.t(intro)) }
                form method="post" action="/reset/step" {
                    (csrf(ctx))
                    div class="field" {
                        label for="code" { (t.t("reset-code-label")) }
                        input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required;
                    }
                    div class="buttons" {
                        (action_button("code", &t.t("button-next"), true))
                        @if resend { (action_button("resend", &t.t("reset-resend"), false)) }
                        (action_button("cancel", &t.t("button-cancel"), false))
                    }
                }
                @if option == ResetOption::Email { p class="hint" { (t.t("reset-link-hint")) } }
                (other_method(ctx, view))
            }
        }
        ResetScreen::AnswerQuestions => html! {
            (breadcrumb(ctx, view, false))
            h2 { (t.t("reset-questions-heading")) }
            @if let Some(r) = &rejection { (alert(r)) }
            form method="post" action="/reset/step" {
                (csrf(ctx))
                @for (i, q) in view.questions.iter().enumerate() {
                    div class="field" {
                        input type="hidden" name={ "q" (i) } value=(q);
                        label for={ "a" (i) } { (t.sspr.question(q)) }
                        input id={ "a" (i) } name={ "a" (i) } type="text" autocomplete="off" required;
                    }
                }
                div class="buttons" {
                    (action_button("answers", &t.t("button-next"), true))
                    (action_button("cancel", &t.t("button-cancel"), false))
                }
            }
            (other_method(ctx, view))
        },
        ResetScreen::AwaitApproval => {
            frame.refresh = Some(5);
            html! {
                (breadcrumb(ctx, view, false))
                h2 { (t.t("reset-approval-heading")) }
                @if let Some(r) = &rejection { (alert(r)) }
                p { (t.t("reset-approval-intro")) }
                @if let Some(n) = view.approval_number { p class="number" aria-live="polite" { (n) } }
                p class="hint" { (t.t("reset-approval-wait")) }
                form method="get" action="/reset" { div class="buttons" { button type="submit" class="primary" { (t.t("button-next")) } } }
                (other_method(ctx, view))
            }
        }
        ResetScreen::NewPassword => new_password(app, ctx, view, outcome, rejection.as_deref()),
        ResetScreen::SettingPassword => html! {
            (breadcrumb(ctx, view, true))
            h2 { (t.t("reset-setting-heading")) }
            @if let Some(r) = &rejection { (alert(r)) }
            p { (t.t("reset-setting-text")) }
            form method="get" action="/reset" { div class="buttons" { button type="submit" class="primary" { (t.t("button-next")) } } }
        },
        ResetScreen::Completed | ResetScreen::Unlocked => html! {
            h2 { (t.t(if view.state == ResetScreen::Completed { "reset-done-heading" } else { "reset-unlocked" })) }
            p { (t.t("reset-done-text")) }
            p { a href="/" { (t.t("home-heading")) } }
        },
        ResetScreen::Blocked => html! {
            h2 { (t.t("reset-blocked-heading")) }
            @if let Some(r) = &rejection { (alert(r)) }
            @if let Some(s) = view.retry_after { p { (t.fmt("reset-blocked-retry", &[("minutes", s.div_ceil(60).to_string())])) } }
            @else { p { (t.sspr.reason(sspr_core::Reason::UserLocked)) } }
        },
        ResetScreen::Expired => html! {
            h2 { (t.t("reset-expired-heading")) }
            p { (t.t("reset-expired-text")) }
            p { a class="button" href="/reset/new" { (t.t("reset-start-again")) } }
        },
        ResetScreen::Cancelled => html! {
            h2 { (t.t("reset-cancelled-heading")) }
            p { a class="button" href="/reset/new" { (t.t("reset-start-again")) } }
        },
    };
    let status = if rejection.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(status, page(ctx, &frame, body), &cookies_out)
}

fn new_password(
    app: &App,
    ctx: &Ctx,
    view: &ResetView,
    outcome: &ResetOutcome,
    rejection: Option<&str>,
) -> Markup {
    let t = &ctx.texts;
    let verdict = outcome.password.as_ref();
    html! {
        (breadcrumb(ctx, view, true))
        h2 { (t.t("reset-password-heading")) }
        (password::refusal(ctx, verdict, rejection))
        (password::rules(app, ctx))
        form method="post" action="/reset/step" {
            (csrf(ctx))
            (password::new_fields(app, ctx, verdict))
            div class="buttons" {
                (action_button("password", &t.t("button-submit"), true))
                (action_button("cancel", &t.t("button-cancel"), false))
            }
        }
    }
}
