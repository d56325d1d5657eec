//! The account's own calls beside the wizards: change a known password, and "this wasn't me"
//! with the token of a notice.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use serde::Deserialize;
use sspr_core::SecretString;
use utoipa::ToSchema;

use crate::api::docs::{ApiErrorBody, PasswordChangeOutcomeBody, ReportOutcomeBody};
use crate::api::{ApiError, outcome, parse};
use crate::app::App;
use crate::context::Ctx;

/// A password change: the sign-in name, the current password, the new one twice.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The sign-in name.
    pub username: String,
    /// The current password.
    pub old_password: String,
    /// The new password.
    pub password: String,
    /// Its confirmation.
    pub confirm: String,
}

/// The token of a notice's "this wasn't me" link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The token (the `token` of the link).
    pub token: String,
}

/// Changes a known password: the old one is counted and compared like any verification, the
/// new one must pass the rules; the user is notified.
#[utoipa::path(post, path = "/api/v1/password", tag = "account", request_body = PasswordChange,
    params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
    responses(
        (status = 200, description = "The new password is in force", body = PasswordChangeOutcomeBody),
        (status = 422, description = "Refused (the old password, a rule, a block): `rejection` says why", body = PasswordChangeOutcomeBody),
        (status = 400, description = "Malformed body", body = ApiErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ApiErrorBody)))]
pub async fn change_password(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: PasswordChange = parse(&body)?;
    let username = b.username.trim().to_owned();
    let (old, new, confirm) = (
        SecretString::new(b.old_password),
        SecretString::new(b.password),
        SecretString::new(b.confirm),
    );
    let client = ctx.client;
    let o = app
        .run(move |e| e.change_password(&username, &old, &new, &confirm, client.as_deref()))
        .await?;
    Ok(outcome(&o, &[]))
}

/// "This wasn't me": revokes the user's open flows and sessions and blocks self-service for a
/// while. A token works once.
#[utoipa::path(post, path = "/api/v1/report", tag = "account", request_body = Report,
    params(("X-CSRF-Token" = String, Header, description = "The sspr_csrf cookie's value")),
    responses(
        (status = 200, description = "Taken", body = ReportOutcomeBody),
        (status = 422, description = "Unknown, used or expired token (`notice.invalid`)", body = ReportOutcomeBody),
        (status = 400, description = "Malformed body", body = ApiErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ApiErrorBody)))]
pub async fn report(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, ApiError> {
    let b: Report = parse(&body)?;
    let token = b.token;
    let o = app.run(move |e| e.report_not_me(&token)).await?;
    Ok(outcome(&o, &[]))
}

// What a body carries (names, addresses, numbers, codes, passwords, answers, tokens) stays out
// of `Debug`.
crate::api::opaque_debug!(PasswordChange, Report);
