//! "Keep your account secure": re-enter your password, prove a registered method, "don't lose
//! access to your account!" (the methods, set up or not), add an email or a phone (with a
//! code), the authenticator app (QR code, "can't scan the image?", first code or a test
//! notification), "I want to set up a different method" (back), security questions, recovery
//! codes (shown once), and the success page with the default method first. In the seeds'
//! words and order (`/work/shared/seeds/000_…` and `003_…`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Extension, Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use sspr_core::engine::{RegistrationOutcome, RegistrationView};
use sspr_core::registration::{RegistrationInput, RegistrationScreen, Via};
use sspr_core::{Method, ResetOption, SecretString};

use crate::app::{App, CallError};
use crate::context::Ctx;
use crate::cookies;
use crate::layout::{Frame, alert, csrf, page};
use crate::pages::reset::option_label;
use crate::pages::{action_button, call_failed, field, respond, see_other};

/// The most security questions a form carries.
pub const MAX_QUESTIONS: usize = 10;

/// What a registration page shows: the engine's outcome (a step's, or the flow's view shown
/// again from the flow store) and whether the user is an administrator. Nothing of it is kept
/// between requests: the one-time data (the authenticator's provisioning, recovery codes) is
/// shown only in the response to the step that made it.
#[derive(Clone, Debug)]
pub struct RegistrationState {
    /// The outcome.
    pub outcome: RegistrationOutcome,
    /// Whether the user is an administrator (which methods they may register).
    pub admin: bool,
}

/// An outcome that only shows `view` again (no rejection, no one-time data).
pub fn shown_again(view: RegistrationView) -> RegistrationOutcome {
    RegistrationOutcome {
        view: Some(view),
        rejection: None,
        retry_after: None,
        provisioning: None,
        recovery_codes: Vec::new(),
        warnings: Vec::new(),
    }
}

/// The cookies that end a registration in the browser.
pub fn clear_flow(app: &App) -> Vec<String> {
    vec![
        cookies::clear(cookies::REGISTRATION_FLOW, app.secure_cookies),
        cookies::clear(cookies::REGISTRATION_ROLE, app.secure_cookies),
    ]
}

/// The flow's current screen, read from the engine; `Err(None)` when the flow is unknown or
/// expired, `Err(Some(page))` when the call failed.
async fn current(app: &Arc<App>, ctx: &Ctx) -> Result<RegistrationState, Option<Response>> {
    let flow = ctx.reg_flow.clone().ok_or(None)?;
    match app.run(move |e| e.registration_view_of(&flow)).await {
        Ok(view) => Ok(RegistrationState {
            outcome: shown_again(view),
            admin: ctx.reg_admin,
        }),
        Err(CallError::Engine(sspr_core::Error::Input(_))) => Err(None),
        Err(e) => Err(Some(call_failed(ctx, &e))),
    }
}

fn method_label(ctx: &Ctx, m: Method) -> String {
    ctx.texts.t(&format!("method-{}", m.id()))
}

/// A method's name where the app's code and notification are one method (the wizard's
/// steps and pages): "Authenticator app".
fn group_label(ctx: &Ctx, m: Method) -> String {
    if m.is_app() {
        ctx.texts.t("reg-app-heading")
    } else {
        method_label(ctx, m)
    }
}

fn frame<'a>(app: &App, ctx: &Ctx, expires_at: Option<u64>, help: Option<&'a str>) -> Frame<'a> {
    Frame {
        title: ctx.texts.t("reg-heading"),
        expires_in: expires_at.map(|e| e.saturating_sub(app.now())),
        help_desk: help,
        refresh: None,
    }
}

/// GET `/register`: the current screen, or "re-enter your password".
pub async fn show(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    match current(&app, &ctx).await {
        Ok(state) => render(&app, &ctx, &state, &[]),
        Err(Some(page)) => page,
        Err(None) if ctx.reg_flow.is_some() => see_other("/register", &clear_flow(&app)),
        Err(None) => sign_in(&ctx, None),
    }
}

fn sign_in(ctx: &Ctx, error: Option<String>) -> Response {
    let t = &ctx.texts;
    let body = html! {
        h2 { (t.t("reg-signin-heading")) }
        @if let Some(e) = &error { (alert(e)) }
        p { (t.t("reg-signin-intro")) }
        form method="post" action="/register/start" {
            (csrf(ctx))
            div class="field" { label for="username" { (t.t("reg-username")) } input id="username" name="username" type="text" autocomplete="username" required; }
            div class="field" { label for="password" { (t.t("reg-password")) } input id="password" name="password" type="password" autocomplete="current-password" required; }
            div class="buttons" { button type="submit" class="primary" { (t.t("reg-signin-button")) } }
        }
    };
    let f = Frame {
        title: t.t("reg-heading"),
        ..Frame::default()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(status, page(ctx, &f, body), &[])
}

/// POST `/register/start`: re-authentication with the current password.
pub async fn start(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let username = field(&f, "username").trim().to_owned();
    let password = SecretString::new(field(&f, "password"));
    let directory = app.directory.clone();
    let client = ctx.client.clone();
    let result = app
        .run(move |e| {
            let o = e.start_registration(&username, &password, client.as_deref())?;
            let admin = match &o.view {
                Some(_) => directory.find_user(username)?.is_some_and(|u| u.admin),
                None => false,
            };
            Ok((o, admin))
        })
        .await;
    let (outcome, admin) = match result {
        Ok(r) => r,
        Err(e) => return call_failed(&ctx, &e),
    };
    let Some(view) = &outcome.view else {
        return sign_in(
            &ctx,
            Some(
                outcome
                    .rejection
                    .map_or_else(|| ctx.texts.t("bad-request"), |r| ctx.texts.sspr.reason(r)),
            ),
        );
    };
    let flow = view.flow_id.clone();
    let state = RegistrationState { outcome, admin };
    render(
        &app,
        &ctx,
        &state,
        &[
            cookies::set(cookies::REGISTRATION_FLOW, &flow, app.secure_cookies),
            cookies::set(
                cookies::REGISTRATION_ROLE,
                if admin { "admin" } else { "user" },
                app.secure_cookies,
            ),
        ],
    )
}

fn answers(f: &HashMap<String, String>) -> BTreeMap<String, SecretString> {
    let mut out = BTreeMap::new();
    for i in 0..MAX_QUESTIONS {
        if let Some(q) = f.get(&format!("q{i}")).filter(|q| !q.is_empty()) {
            out.insert(q.clone(), SecretString::new(field(f, &format!("a{i}"))));
        }
    }
    out
}

/// POST `/register/step`: one step of the wizard (`action` names it).
pub async fn step(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(flow) = ctx.reg_flow.clone() else {
        return see_other("/register", &[]);
    };
    let text = |n: &str| field(&f, n).trim().to_owned();
    let input = match field(&f, "action") {
        "prove" => match field(&f, "option").parse::<ResetOption>() {
            Ok(o) => RegistrationInput::Prove(o),
            Err(_) => return see_other("/register", &[]),
        },
        "verify" => RegistrationInput::Verify(SecretString::new(text("code"))),
        "answer" => RegistrationInput::Answer(answers(&f)),
        "access_pass" => RegistrationInput::AccessPass(SecretString::new(text("pass"))),
        "email" => RegistrationInput::Email(text("email")),
        "mobile" => RegistrationInput::Mobile {
            number: text("number"),
            via: if field(&f, "via") == "call" {
                Via::Call
            } else {
                Via::Text
            },
        },
        "office" => RegistrationInput::Office(text("number")),
        "app" => RegistrationInput::App { device_id: None },
        "test_push" => RegistrationInput::TestPush,
        "questions" => RegistrationInput::Questions(answers(&f)),
        "recovery_codes" => RegistrationInput::RecoveryCodes,
        "set_default" | "remove" => match field(&f, "method").parse::<Method>() {
            Ok(m) if field(&f, "action") == "remove" => RegistrationInput::Remove(m),
            Ok(m) => RegistrationInput::SetDefault(m),
            Err(_) => return see_other("/register", &[]),
        },
        "resend" => RegistrationInput::Resend,
        "back" => RegistrationInput::Back,
        "finish" => RegistrationInput::Finish,
        "cancel" => RegistrationInput::Cancel,
        _ => return see_other("/register", &[]),
    };
    let id = flow.clone();
    let outcome = match app.run(move |e| e.registration_step(&id, input)).await {
        Ok(o) => o,
        Err(CallError::Engine(sspr_core::Error::Input(sspr_core::InputError::UnknownFlow))) => {
            return see_other("/register", &clear_flow(&app));
        }
        Err(e) => return call_failed(&ctx, &e),
    };
    let mut state = RegistrationState {
        outcome,
        admin: ctx.reg_admin,
    };
    let codes = std::mem::take(&mut state.outcome.recovery_codes);
    if !codes.is_empty() {
        return recovery_codes(&app, &ctx, &state.outcome, &codes);
    }
    let mut set = Vec::new();
    if state.outcome.view.as_ref().is_some_and(|v| {
        matches!(
            v.state,
            RegistrationScreen::Done | RegistrationScreen::Expired | RegistrationScreen::Cancelled
        )
    }) {
        set = clear_flow(&app);
    }
    render(&app, &ctx, &state, &set)
}

fn recovery_codes(
    app: &App,
    ctx: &Ctx,
    outcome: &RegistrationOutcome,
    codes: &[SecretString],
) -> Response {
    let t = &ctx.texts;
    let body = html! {
        h2 { (t.t("reg-recovery-heading")) }
        p { (t.t("reg-recovery-intro")) }
        ol class="codes" { @for c in codes { li { code { (c.expose()) } } } }
        p { a class="button primary" href="/register" { (t.t("button-next")) } }
    };
    let expires = outcome.view.as_ref().map(|v| v.expires_at);
    respond(
        StatusCode::OK,
        page(ctx, &frame(app, ctx, expires, None), body),
        &[],
    )
}

/// GET `/register/add/{method}`: the form that sets up one method.
pub async fn add(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(method): Path<String>,
) -> Response {
    let state = match current(&app, &ctx).await {
        Ok(state) => state,
        Err(Some(page)) => return page,
        Err(None) => return see_other("/register", &[]),
    };
    let t = &ctx.texts;
    let form = |action: &str, inner: Markup, submit: &str| {
        html! {
            form method="post" action="/register/step" {
                (csrf(&ctx)) (inner)
                div class="buttons" { (action_button(action, submit, true)) a class="button secondary" href="/register" { (t.t("button-back")) } }
            }
        }
    };
    let body = match method.as_str() {
        "email" => html! { h2 { (t.t("reg-email-heading")) } (form("email", html! {
            div class="field" { label for="email" { (t.t("reg-email-label")) } input id="email" name="email" type="email" autocomplete="email" required; }
        }, &t.t("button-next"))) },
        "mobile_phone" => {
            html! { h2 { (t.t("reg-phone-heading")) } p { (t.t("reg-phone-intro")) } (form("mobile", html! {
                div class="field" { label for="number" { (t.t("reg-phone-label")) } input id="number" name="number" type="tel" autocomplete="tel" required; }
                fieldset { legend { (t.t("reg-phone-via")) }
                    div class="option" { input type="radio" id="via-text" name="via" value="text" checked; label for="via-text" { (t.t("reg-phone-via-text")) } }
                    div class="option" { input type="radio" id="via-call" name="via" value="call"; label for="via-call" { (t.t("reg-phone-via-call")) } }
                }
            }, &t.t("button-next"))) }
        }
        "office_phone" => html! { h2 { (t.t("reg-office-heading")) } (form("office", html! {
            div class="field" { label for="number" { (t.t("reg-office-label")) } input id="number" name="number" type="tel" required; }
        }, &t.t("button-next"))) },
        "app" => {
            html! { h2 { (t.t("reg-app-heading")) } p { (t.t("reg-app-intro")) } (form("app", html! {}, &t.t("button-next"))) }
        }
        "security_questions" => {
            let n = usize::from(app.engine.policy().security_questions().to_register)
                .min(MAX_QUESTIONS);
            let all: Vec<(String, String)> = (0..sspr_core::questions::PREDEFINED.len())
                .filter_map(|i| {
                    t.sspr
                        .predefined_question(i)
                        .map(|q| (format!("question-{:02}", i + 1), q))
                })
                .collect();
            html! { h2 { (t.t("reg-questions-heading")) } p { (t.fmt("reg-questions-intro", &[("count", n.to_string())])) } (form("questions", html! {
                @for i in 0..n {
                    div class="field" {
                        label for={ "q" (i) } { (t.fmt("reg-question-label", &[("n", (i + 1).to_string())])) }
                        select id={ "q" (i) } name={ "q" (i) } required {
                            @for (j, (id, q)) in all.iter().enumerate() { option value=(id) selected[j == i] { (q) } }
                        }
                        label for={ "a" (i) } { (t.fmt("reg-answer-label", &[("n", (i + 1).to_string())])) }
                        input id={ "a" (i) } name={ "a" (i) } type="text" autocomplete="off" required;
                    }
                }
            }, &t.t("button-next"))) }
        }
        "recovery_codes" => {
            html! { h2 { (t.t("reg-recovery-heading")) } (form("recovery_codes", html! {}, &t.t("reg-recovery-make"))) }
        }
        _ => return see_other("/register", &[]),
    };
    let expires = state.outcome.view.as_ref().map(|v| v.expires_at);
    let adding = listed_methods(&app, state.admin)
        .into_iter()
        .find(|(k, _)| *k == method.as_str())
        .and_then(|(_, ms)| ms.first().copied());
    let body = html! {
        @if let Some(view) = &state.outcome.view { (progress(&ctx, view, adding)) }
        (body)
    };
    respond(
        StatusCode::OK,
        page(&ctx, &frame(&app, &ctx, expires, None), body),
        &[],
    )
}

/// "Your organization requires you to set up the following methods of proving who you are.
/// Method 2 of 2: Phone", with the methods as steps (seed 003): those set up, then `current`
/// (the one being set up) or "Done". M is what the policy still needs on top of what is set
/// up, and never less than the step shown.
fn progress(ctx: &Ctx, view: &RegistrationView, current: Option<Method>) -> Markup {
    let t = &ctx.texts;
    // The app's code and notification are one method on these pages, as in the list.
    let same = |a: Method, b: Method| a == b || (a.is_app() && b.is_app());
    let mut done: Vec<Method> = Vec::new();
    for m in view.methods.iter().map(|m| m.method) {
        if !current.is_some_and(|c| same(c, m)) && !done.iter().any(|d| same(*d, m)) {
            done.push(m);
        }
    }
    let n = done
        .len()
        .saturating_add(usize::from(current.is_some()))
        .max(1);
    let m = done.len().saturating_add(view.still_needed).max(n);
    let name = current.map_or_else(|| t.t("reg-progress-done"), |c| group_label(ctx, c));
    html! {
        div class="progress" {
            p { (t.t("reg-progress-intro")) }
            p class="step-of" { strong { (t.fmt("reg-progress", &[("n", n.to_string()), ("m", m.to_string()), ("method", name)])) } }
            ol class="methods-progress" {
                @for d in &done { li class="done" { (group_label(ctx, *d)) } }
                @if let Some(c) = current { li aria-current="step" { (group_label(ctx, c)) } }
            }
        }
    }
}

/// The methods a user may set up, as the list shows them (the app once).
fn listed_methods(app: &App, admin: bool) -> Vec<(&'static str, Vec<Method>)> {
    let mut out: Vec<(&'static str, Vec<Method>)> = Vec::new();
    for m in app.engine.registrable_methods(admin) {
        let key = if m.is_app() { "app" } else { m.id() };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(m),
            None => out.push((key, vec![m])),
        }
    }
    out
}

fn render(app: &App, ctx: &Ctx, state: &RegistrationState, set: &[String]) -> Response {
    let t = &ctx.texts;
    let outcome = &state.outcome;
    let Some(view) = &outcome.view else {
        return sign_in(ctx, outcome.rejection.map(|r| t.sspr.reason(r)));
    };
    let rejection = outcome.rejection.map(|r| t.sspr.reason(r));
    let mut fr = frame(app, ctx, Some(view.expires_at), view.help_desk.as_deref());
    let body = match view.state {
        RegistrationScreen::ProveIdentity => html! {
            h2 { (t.t("reg-prove-heading")) }
            @if let Some(r) = &rejection { (alert(r)) }
            form method="post" action="/register/step" {
                (csrf(ctx))
                fieldset { legend { (t.t("reg-prove-intro")) }
                    @for (i, o) in view.proof_options.iter().enumerate() {
                        div class="option" {
                            input type="radio" name="option" id={ "opt-" (o.option.id()) } value=(o.option.id()) checked[i == 0];
                            label for={ "opt-" (o.option.id()) } { (option_label(ctx, o.option)) @if let Some(m) = &o.masked { " (" (m) ")" } }
                        }
                    }
                }
                div class="buttons" { (action_button("prove", &t.t("button-next"), true)) (action_button("cancel", &t.t("button-cancel"), false)) }
            }
            details { summary { (t.t("reg-access-pass")) }
                form method="post" action="/register/step" { (csrf(ctx))
                    div class="field" { label for="pass" { (t.t("reg-access-pass-label")) } input id="pass" name="pass" type="text" autocomplete="off" required; }
                    div class="buttons" { (action_button("access_pass", &t.t("button-next"), true)) }
                }
            }
        },
        RegistrationScreen::Proving => {
            let option = view.proof_option.unwrap_or(ResetOption::Email);
            if option == ResetOption::AppNotification {
                fr.refresh = Some(5);
            }
            html! {
                h2 { (t.t("reg-proving-heading")) }
                @if let Some(r) = &rejection { (alert(r)) }
                form method="post" action="/register/step" {
                    (csrf(ctx))
                    @if option == ResetOption::SecurityQuestions {
                        @for (i, q) in view.questions.iter().enumerate() {
                            div class="field" { input type="hidden" name={ "q" (i) } value=(q);
                                label for={ "a" (i) } { (t.sspr.question(q)) } input id={ "a" (i) } name={ "a" (i) } type="text" autocomplete="off" required; }
                        }
                        div class="buttons" { (action_button("answer", &t.t("button-next"), true)) (action_button("back", &t.t("button-back"), false)) }
                    } @else if option == ResetOption::AppNotification {
                        p { (t.t("reset-approval-intro")) }
                        @if let Some(n) = view.approval_number { p class="number" { (n) } }
                        p class="hint" { (t.t("reset-approval-wait")) }
                        div class="buttons" { (action_button("resend", &t.t("reset-resend"), false)) (action_button("back", &t.t("button-back"), false)) }
                    } @else {
                        p { (option_label(ctx, option)) }
                        div class="field" { label for="code" { (t.t("reg-verify-label")) } input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required; }
                        div class="buttons" { (action_button("verify", &t.t("button-next"), true)) (action_button("resend", &t.t("reset-resend"), false)) (action_button("back", &t.t("button-back"), false)) }
                    }
                }
            }
        }
        RegistrationScreen::Registering | RegistrationScreen::Reconfirm => {
            methods_page(app, ctx, state, rejection.as_deref())
        }
        RegistrationScreen::Verifying => verifying(
            ctx,
            outcome,
            &mut fr,
            rejection.as_deref(),
            app.engine.policy().codes().digits,
        ),
        RegistrationScreen::Done => html! {
            (progress(ctx, view, None))
            h2 { (t.t("reg-done-heading")) }
            p { (t.t("reg-done-text")) }
            @if let Some(d) = view.methods.iter().find(|m| m.default) {
                p class="default" { strong { (t.fmt("reg-default-method", &[("method", method_label(ctx, d.method))])) } }
            }
            ul class="methods" { @for m in &view.methods { li { (method_label(ctx, m.method)) @if let Some(x) = &m.masked { br; (x) } } } }
            p { a class="button primary" href="/" { (t.t("button-done")) } }
        },
        RegistrationScreen::Expired => {
            html! { h2 { (t.t("reg-expired-heading")) } p { a class="button" href="/register" { (t.t("reset-start-again")) } } }
        }
        RegistrationScreen::Cancelled => {
            html! { h2 { (t.t("reg-cancelled-heading")) } p { a class="button" href="/register" { (t.t("reset-start-again")) } } }
        }
    };
    if matches!(
        view.state,
        RegistrationScreen::Done | RegistrationScreen::Expired | RegistrationScreen::Cancelled
    ) {
        fr.expires_in = None;
    }
    let status = if rejection.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(status, page(ctx, &fr, body), set)
}

fn methods_page(
    app: &App,
    ctx: &Ctx,
    state: &RegistrationState,
    rejection: Option<&str>,
) -> Markup {
    let t = &ctx.texts;
    let Some(view) = &state.outcome.view else {
        return html! {};
    };
    let required = app.engine.policy().reset().methods_required;
    html! {
        h2 { (t.t("reg-methods-heading")) }
        @if let Some(r) = rejection { (alert(r)) }
        p { (t.fmt("reg-methods-intro", &[("count", required.to_string())])) }
        @if view.still_needed > 0 { p class="hint" { (t.fmt("reg-still-needed", &[("count", view.still_needed.to_string())])) } }
        ul class="methods" {
            @for (key, methods) in listed_methods(app, state.admin) {
                @let configured = methods.iter().any(|m| view.registered.contains(m));
                @let name = method_label(ctx, methods[0]);
                li class=(if configured { "configured" } else { "missing" }) {
                    @if configured {
                        span { (t.fmt("reg-configured", &[("method", name)])) }
                        @for m in view.methods.iter().filter(|m| methods.contains(&m.method)) {
                            // The app's row holds two methods: the badge names the one that is the default.
                            span class="masked" { @if let Some(x) = &m.masked { " " (x) } @if m.default { " " @if methods.len() > 1 { (method_label(ctx, m.method)) " " } (t.t("reg-default-badge")) } }
                            @if !m.default {
                                form method="post" action="/register/step" class="inline" { (csrf(ctx)) input type="hidden" name="method" value=(m.method.id()); (action_button("set_default", &format!("{} – {}", t.t("reg-make-default"), method_label(ctx, m.method)), false)) }
                            }
                        }
                        " " a href={ "/register/add/" (key) } { (t.t("reg-change")) }
                    } @else {
                        span { (t.fmt("reg-not-configured", &[("method", name)])) } " "
                        a href={ "/register/add/" (key) } { (t.t("reg-set-up-now")) }
                    }
                }
            }
        }
        form method="post" action="/register/step" {
            (csrf(ctx))
            div class="buttons" { (action_button("finish", &t.t("button-finish"), true)) (action_button("cancel", &t.t("button-cancel"), false)) }
        }
    }
}

fn verifying(
    ctx: &Ctx,
    outcome: &RegistrationOutcome,
    fr: &mut Frame<'_>,
    rejection: Option<&str>,
    digits: u8,
) -> Markup {
    let t = &ctx.texts;
    let Some(view) = &outcome.view else {
        return html! {};
    };
    let app_pending = view.pending.is_some_and(Method::is_app);
    let waiting = app_pending && view.approval_number.is_some();
    if waiting {
        fr.refresh = Some(5);
    }
    html! {
        (progress(ctx, view, view.pending))
        h2 { (view.pending.map(|m| group_label(ctx, m)).unwrap_or_default()) }
        @if let Some(r) = rejection { (alert(r)) }
        @if waiting {
            // The test notification (seed 003 steps 8-9): approve in the app, then Next.
            p { (t.t("reg-app-approve")) }
            @if let Some(n) = view.approval_number { p class="number" aria-live="polite" { (n) } }
            p class="hint" { (t.t("reset-approval-wait")) }
            form method="get" action="/register" { div class="buttons" { button type="submit" class="primary" { (t.t("button-next")) } } }
            form method="post" action="/register/step" {
                (csrf(ctx))
                div class="buttons" { (action_button("back", &t.t("reg-different"), false)) }
            }
        } @else {
            @if app_pending {
                @if let Some(p) = &outcome.provisioning {
                    h3 { (t.t("reg-app-scan")) }
                    @if let Some(svg) = &p.qr_svg {
                        img class="qr" alt=(t.t("reg-app-qr-alt")) src={ "data:image/svg+xml;base64," (data_encoding::BASE64.encode(svg.as_bytes())) } width="200" height="200";
                    }
                    details { summary { (t.t("reg-app-cant-scan")) }
                        p { (t.fmt("reg-app-secret", &[("secret", p.secret_b32.expose().to_owned())])) }
                        p { (t.t("reg-app-uri")) br; code class="uri" { (p.uri.expose()) } }
                    }
                } @else {
                    p class="hint" { (t.t("reg-app-shown-once")) }
                }
            } @else {
                @match &view.pending_to {
                    Some(to) => p { (t.fmt("reg-verify-sent-to", &[("digits", digits.to_string()), ("to", to.clone())])) },
                    None => p { (t.fmt("reg-verify-sent", &[("digits", digits.to_string())])) },
                }
            }
            form method="post" action="/register/step" {
                (csrf(ctx))
                div class="field" {
                    label for="code" { (t.t(if app_pending { "reg-app-code-label" } else { "reg-verify-label" })) }
                    input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required;
                }
                div class="buttons" {
                    (action_button("verify", &t.t("button-next"), true))
                    @if app_pending { (action_button("test_push", &t.t("reg-app-test"), false)) }
                    @else { (action_button("resend", &t.t("reset-resend"), false)) }
                    (action_button("back", &t.t("reg-different"), false))
                }
            }
        }
    }
}
