//! The API's OpenAPI 3 document, generated with utoipa and served at `/api/openapi.json`.

use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use crate::api::{ApiError, account, docs, registration, reset};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "sspr portal API",
        description = "Self-service password reset and security-info registration as JSON. The flow id lives in an HttpOnly SameSite=Strict cookie; every POST carries X-CSRF-Token equal to the sspr_csrf cookie."
    ),
    paths(
        crate::api::csrf,
        registration::sign_in_check,
        reset::start, reset::view, reset::choose, reset::confirm_number, reset::code,
        reset::resend, reset::answers, reset::link, reset::password, reset::cancel,
        registration::start, registration::view, registration::prove, registration::answer,
        registration::verify, registration::email, registration::mobile_phone,
        registration::office_phone, registration::app, registration::questions,
        registration::recovery_codes, registration::test_push, registration::back,
        registration::resend, registration::default, registration::finish,
        registration::cancel, account::change_password, account::report,
    ),
    components(schemas(
        docs::ApiErrorBody, docs::CsrfToken, docs::OfferedOptionBody, docs::WarningBody,
        docs::ResetViewBody, docs::ResetOutcomeBody, docs::RegisteredMethodBody,
        docs::RegistrationViewBody, docs::ProvisioningBody, docs::RegistrationOutcomeBody,
        docs::SignInCheckBody, docs::ResetOptionId, docs::MethodId, docs::ViaId,
        docs::PasswordChangeOutcomeBody, docs::ReportOutcomeBody,
    )),
    tags(
        (name = "session", description = "The CSRF token"),
        (name = "reset", description = "Get back into your account"),
        (name = "registration", description = "Keep your account secure"),
        (name = "account", description = "Change a known password; report a change that wasn't yours"),
    )
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn document() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(s) => ([(axum::http::header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(_) => ApiError::SERVER_ERROR.into_response(),
    }
}
