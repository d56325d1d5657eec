//! The registration wizard ("keep your account secure") as JSON: start with the current
//! password, read the current view, one route per step, and the sign-in check. The
//! authenticator's provisioning and the recovery codes are in the response to the step that
//! made them, once: nothing keeps them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sspr_core::registration::{RegistrationInput, RegistrationScreen, Via};
use sspr_core::{Method, ResetOption, SecretString};
use utoipa::ToSchema;

use crate::api::docs::{
    ApiErrorBody, RegistrationOutcomeBody, RegistrationViewBody, SignInCheckBody,
};
use crate::api::reset::{Answers, Code, secret_answers};
use crate::api::{ApiError, outcome, parse, strip_flow_id};
use crate::app::App;
use crate::context::Ctx;
use crate::cookies;

/// The user's sign-in name and current password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The sign-in name.
    pub username: String,
    /// The current password.
    pub password: String,
}

/// The registered option to prove.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Prove {
    /// The option's id (as `proof_options` lists it).
    #[schema(value_type = crate::api::docs::ResetOptionId)]
    pub option: String,
}

/// An alternate email address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Email {
    /// The address.
    pub email: String,
}

/// A mobile phone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MobilePhone {
    /// The number, with its country code.
    pub number: String,
    /// `text` (default) or `call`.
    #[serde(default)]
    #[schema(value_type = Option<crate::api::docs::ViaId>)]
    pub via: Option<String>,
}

/// An office phone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficePhone {
    /// The number, with its country code.
    pub number: String,
}

/// A registered method.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodChoice {
    /// The method's id (`email`, `mobile_phone`, `app_code`, …).
    #[schema(value_type = crate::api::docs::MethodId)]
    pub method: String,
}

fn terminal(state: RegistrationScreen) -> bool {
    matches!(
        state,
        RegistrationScreen::Done | RegistrationScreen::Expired | RegistrationScreen::Cancelled
    )
}

/// Starts a registration after re-authentication.
#[utoipa::path(post, path = "/api/v1/registration", tag = "registration", request_body = Credentials,
    params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
    responses(
        (status = 200, description = "The wizard (its id is in the sspr_reg cookie)", body = RegistrationOutcomeBody),
        (status = 422, description = "Refused (wrong password, blocked): `rejection` says why", body = RegistrationOutcomeBody),
        (status = 400, description = "Malformed body", body = ApiErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ApiErrorBody)))]
pub async fn start(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: Credentials = parse(&body)?;
    let username = b.username.trim().to_owned();
    let password = SecretString::new(b.password);
    let directory = app.directory.clone();
    let client = ctx.client.clone();
    let (o, admin) = app
        .run(move |e| {
            let o = e.start_registration(&username, &password, client.as_deref())?;
            let admin = match &o.view {
                Some(_) => directory.find_user(username)?.is_some_and(|u| u.admin),
                None => false,
            };
            Ok((o, admin))
        })
        .await?;
    let set: Vec<String> = match &o.view {
        Some(v) => vec![
            cookies::set(cookies::REGISTRATION_FLOW, &v.flow_id, app.secure_cookies),
            cookies::set(
                cookies::REGISTRATION_ROLE,
                if admin { "admin" } else { "user" },
                app.secure_cookies,
            ),
        ],
        None => Vec::new(),
    };
    Ok(outcome(&o, &set))
}

/// The current registration view.
#[utoipa::path(get, path = "/api/v1/registration", tag = "registration",
    responses(
        (status = 200, description = "The current screen", body = RegistrationViewBody),
        (status = 404, description = "No flow, or it is unknown or expired", body = ApiErrorBody)))]
pub async fn view(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, ApiError> {
    let flow = ctx.reg_flow.clone().ok_or(ApiError::FLOW_NOT_FOUND)?;
    let v = app.run(move |e| e.registration_view_of(&flow)).await?;
    let mut json = serde_json::to_value(&v).map_err(|_| ApiError::SERVER_ERROR)?;
    strip_flow_id(&mut json);
    Ok(axum::Json(json).into_response())
}

/// The sign-in check: must the user register or re-confirm security info?
#[utoipa::path(post, path = "/api/v1/sign-in-check", tag = "registration", request_body = Credentials,
    params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
    responses(
        (status = 200, description = "The check", body = SignInCheckBody),
        (status = 422, description = "Refused (wrong password, blocked): `rejection` says why", body = SignInCheckBody),
        (status = 400, description = "Malformed body", body = ApiErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ApiErrorBody)))]
pub async fn sign_in_check(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: Credentials = parse(&body)?;
    let username = b.username.trim().to_owned();
    let password = SecretString::new(b.password);
    let client = ctx.client;
    let c = app
        .run(move |e| e.sign_in_check(&username, &password, client.as_deref()))
        .await?;
    Ok(outcome(&c, &[]))
}

async fn step(app: &Arc<App>, ctx: &Ctx, input: RegistrationInput) -> Result<Response, ApiError> {
    let flow = ctx.reg_flow.clone().ok_or(ApiError::FLOW_NOT_FOUND)?;
    let o = app.run(move |e| e.registration_step(&flow, input)).await?;
    let set = if o.view.as_ref().is_some_and(|v| terminal(v.state)) {
        crate::pages::register::clear_flow(app)
    } else {
        Vec::new()
    };
    Ok(outcome(&o, &set))
}

fn method(id: &str) -> Result<Method, ApiError> {
    id.parse::<Method>().map_err(|_| ApiError::BAD_REQUEST)
}

macro_rules! registration_step {
    ($(#[$doc:meta])* $name:ident, $path:literal, $body:ty, |$b:ident| $input:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "registration", request_body = $body,
            params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
            responses(
                (status = 200, description = "The wizard after the step", body = RegistrationOutcomeBody),
                (status = 422, description = "Refused: `rejection` says why", body = RegistrationOutcomeBody),
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
        #[utoipa::path(post, path = $path, tag = "registration",
            params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
            responses(
                (status = 200, description = "The wizard after the step", body = RegistrationOutcomeBody),
                (status = 422, description = "Refused: `rejection` says why", body = RegistrationOutcomeBody),
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

registration_step!(
    /// Chooses the registered option to prove.
    prove, "/api/v1/registration/prove", Prove, |b| RegistrationInput::Prove(
        b.option.parse::<ResetOption>().map_err(|_| ApiError::BAD_REQUEST)?
    )
);
registration_step!(
    /// Answers the security questions asked to prove identity.
    answer, "/api/v1/registration/answers", Answers,
    |b| RegistrationInput::Answer(secret_answers(b.answers))
);
registration_step!(
    /// Enters a code: proving identity, or verifying the method being added.
    verify, "/api/v1/registration/verify", Code,
    |b| RegistrationInput::Verify(SecretString::new(b.code.trim()))
);
registration_step!(
    /// Adds an alternate email (a code is sent to it).
    email, "/api/v1/registration/email", Email, |b| RegistrationInput::Email(b.email.trim().to_owned())
);
registration_step!(
    /// Adds a mobile phone (a code is texted or called).
    mobile_phone, "/api/v1/registration/mobile-phone", MobilePhone, |b| RegistrationInput::Mobile {
        number: b.number.trim().to_owned(),
        via: match b.via.as_deref() {
            None | Some("text") => Via::Text,
            Some("call") => Via::Call,
            Some(_) => return Err(ApiError::BAD_REQUEST),
        },
    }
);
registration_step!(
    /// Adds an office phone (a code is called).
    office_phone, "/api/v1/registration/office-phone", OfficePhone,
    |b| RegistrationInput::Office(b.number.trim().to_owned())
);
registration_step!(
    /// Registers the authenticator app: the provisioning (QR code, secret) is in this response only.
    app, "/api/v1/registration/app" => RegistrationInput::App { device_id: None }
);
registration_step!(
    /// Registers security questions.
    questions, "/api/v1/registration/questions", Answers,
    |b| RegistrationInput::Questions(secret_answers(b.answers))
);
registration_step!(
    /// Makes recovery codes: they are in this response only.
    recovery_codes, "/api/v1/registration/recovery-codes" => RegistrationInput::RecoveryCodes
);
registration_step!(
    /// Sends a test notification to the authenticator app being set up.
    test_push, "/api/v1/registration/test-push" => RegistrationInput::TestPush
);
registration_step!(
    /// "I want to set up a different method".
    back, "/api/v1/registration/back" => RegistrationInput::Back
);
registration_step!(
    /// Sends the code again.
    resend, "/api/v1/registration/resend" => RegistrationInput::Resend
);
registration_step!(
    /// Makes a registered method the default.
    default, "/api/v1/registration/default", MethodChoice,
    |b| RegistrationInput::SetDefault(method(&b.method)?)
);
registration_step!(
    /// Finishes the wizard.
    finish, "/api/v1/registration/finish" => RegistrationInput::Finish
);
registration_step!(
    /// Cancels the wizard.
    cancel, "/api/v1/registration/cancel" => RegistrationInput::Cancel
);

// What a body carries (names, addresses, numbers, codes, passwords, answers, tokens) stays out
// of `Debug`.
crate::api::opaque_debug!(
    Credentials,
    Prove,
    Email,
    MobilePhone,
    OfficePhone,
    MethodChoice
);
