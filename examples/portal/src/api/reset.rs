//! The reset wizard ("get back into your account") as JSON: start with the identifier and the
//! CAPTCHA answer, read the current view, and one route per step.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sspr_core::reset::{ResetInput, ResetScreen};
use sspr_core::{ResetOption, SecretString};
use utoipa::ToSchema;

use crate::api::docs::{ApiErrorBody, ResetOutcomeBody, ResetViewBody};
use crate::api::{ApiError, outcome, parse, strip_flow_id};
use crate::app::App;
use crate::context::Ctx;
use crate::cookies;

/// `POST /api/v1/reset`: who are you.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartReset {
    /// The user's sign-in name or email address.
    pub identifier: String,
    /// The characters of the CAPTCHA (`/captcha.png` or `/captcha.wav`, bound to this browser).
    pub captcha: String,
}

/// The option chosen at the current gate.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choose {
    /// The option's id (`email`, `mobile_text`, `mobile_call`, `office_call`, `app_code`,
    /// `app_notification`, `security_questions`, …).
    #[schema(value_type = crate::api::docs::ResetOptionId)]
    pub option: String,
}

/// The whole phone number, typed before a text or a call.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmNumber {
    /// The phone number.
    pub number: String,
}

/// A verification code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// The code.
    pub code: String,
}

/// Answers to the security questions asked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// Question (as the view lists it) → answer.
    pub answers: BTreeMap<String, String>,
}

/// The token of an emailed verification link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The link's token.
    pub token: String,
}

/// The new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The password.
    pub password: String,
    /// Its confirmation.
    pub confirm: String,
}

/// Secret answers for the engine.
pub fn secret_answers(answers: BTreeMap<String, String>) -> BTreeMap<String, SecretString> {
    answers
        .into_iter()
        .map(|(q, a)| (q, SecretString::new(a)))
        .collect()
}

fn terminal(state: ResetScreen) -> bool {
    matches!(
        state,
        ResetScreen::Completed
            | ResetScreen::Unlocked
            | ResetScreen::Blocked
            | ResetScreen::Expired
            | ResetScreen::Cancelled
    )
}

/// Starts a reset.
#[utoipa::path(post, path = "/api/v1/reset", tag = "reset", request_body = StartReset,
    params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
    responses(
        (status = 200, description = "The flow started (its id is in the sspr_reset cookie)", body = ResetOutcomeBody),
        (status = 422, description = "Refused (wrong CAPTCHA, …): `rejection` says why", body = ResetOutcomeBody),
        (status = 400, description = "Malformed body", body = ApiErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ApiErrorBody)))]
pub async fn start(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: StartReset = parse(&body)?;
    let answer = crate::captcha::response(&ctx.csrf, &ctx.captcha, &b.captcha);
    let client = ctx.client.clone();
    let identifier = b.identifier.trim().to_owned();
    let o = app
        .run(move |e| e.start_reset(&identifier, &answer, client.as_deref()))
        .await?;
    let set: Vec<String> = o
        .view
        .as_ref()
        .map(|v| cookies::set(cookies::RESET_FLOW, &v.flow_id, app.secure_cookies))
        .into_iter()
        .collect();
    Ok(outcome(&o, &set))
}

/// The current reset view.
#[utoipa::path(get, path = "/api/v1/reset", tag = "reset",
    responses(
        (status = 200, description = "The current screen", body = ResetViewBody),
        (status = 404, description = "No flow, or it is unknown or expired", body = ApiErrorBody)))]
pub async fn view(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, ApiError> {
    let flow = ctx.reset_flow.clone().ok_or(ApiError::FLOW_NOT_FOUND)?;
    let v = app.run(move |e| e.reset_view_of(&flow)).await?;
    let mut json = serde_json::to_value(&v).map_err(|_| ApiError::SERVER_ERROR)?;
    strip_flow_id(&mut json);
    Ok(axum::Json(json).into_response())
}

async fn step(app: &Arc<App>, ctx: &Ctx, input: ResetInput) -> Result<Response, ApiError> {
    let flow = ctx.reset_flow.clone().ok_or(ApiError::FLOW_NOT_FOUND)?;
    let o = app.run(move |e| e.reset_step(&flow, input)).await?;
    let set: Vec<String> = o
        .view
        .as_ref()
        .filter(|v| terminal(v.state))
        .map(|_| cookies::clear(cookies::RESET_FLOW, app.secure_cookies))
        .into_iter()
        .collect();
    Ok(outcome(&o, &set))
}

macro_rules! reset_step {
    ($(#[$doc:meta])* $name:ident, $path:literal, $body:ty, |$b:ident| $input:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "reset", request_body = $body,
            params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
            responses(
                (status = 200, description = "The screen after the step", body = ResetOutcomeBody),
                (status = 422, description = "Refused: `rejection` says why", body = ResetOutcomeBody),
                (status = 400, description = "Malformed body", body = ApiErrorBody),
                (status = 403, description = "Missing or wrong CSRF token", body = ApiErrorBody),
                (status = 404, description = "No flow, or it is unknown or expired", body = ApiErrorBody)))]
        pub async fn $name(
            State(app): State<Arc<App>>,
            Extension(ctx): Extension<Ctx>,
            body: Bytes,
        ) -> Result<Response, ApiError> {
            let $b: $body = parse(&body)?;
            let input = $input;
            step(&app, &ctx, input).await
        }
    };
    ($(#[$doc:meta])* $name:ident, $path:literal => $input:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "reset",
            params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
            responses(
                (status = 200, description = "The screen after the step", body = ResetOutcomeBody),
                (status = 422, description = "Refused: `rejection` says why", body = ResetOutcomeBody),
                (status = 403, description = "Missing or wrong CSRF token", body = ApiErrorBody),
                (status = 404, description = "No flow, or it is unknown or expired", body = ApiErrorBody)))]
        pub async fn $name(
            State(app): State<Arc<App>>,
            Extension(ctx): Extension<Ctx>,
        ) -> Result<Response, ApiError> {
            step(&app, &ctx, $input).await
        }
    };
}

reset_step!(
    /// Chooses an option at the current gate.
    choose, "/api/v1/reset/choose", Choose, |b| ResetInput::Choose(
        b.option.parse::<ResetOption>().map_err(|_| ApiError::BAD_REQUEST)?
    )
);
reset_step!(
    /// Confirms the whole phone number before a text or a call.
    confirm_number, "/api/v1/reset/confirm-number", ConfirmNumber,
    |b| ResetInput::ConfirmNumber(SecretString::new(b.number.trim()))
);
reset_step!(
    /// Enters a verification code.
    code, "/api/v1/reset/code", Code, |b| ResetInput::EnterCode(SecretString::new(b.code.trim()))
);
reset_step!(
    /// Answers the security questions.
    answers, "/api/v1/reset/answers", Answers, |b| ResetInput::Answer(secret_answers(b.answers))
);
reset_step!(
    /// Confirms an emailed verification link (its token), in the browser that holds the flow.
    link, "/api/v1/reset/link", Link, |b| ResetInput::ConfirmLink(SecretString::new(b.token.trim()))
);
reset_step!(
    /// Chooses the new password.
    password, "/api/v1/reset/password", NewPassword, |b| ResetInput::NewPassword {
        password: SecretString::new(b.password),
        confirm: SecretString::new(b.confirm),
    }
);
reset_step!(
    /// Sends the code again.
    resend, "/api/v1/reset/resend" => ResetInput::Resend
);
reset_step!(
    /// Cancels the reset.
    cancel, "/api/v1/reset/cancel" => ResetInput::Cancel
);

// What a body carries (names, addresses, numbers, codes, passwords, answers, tokens) stays out
// of `Debug`.
crate::api::opaque_debug!(
    StartReset,
    Choose,
    ConfirmNumber,
    Code,
    Answers,
    Link,
    NewPassword
);
