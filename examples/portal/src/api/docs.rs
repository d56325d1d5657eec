//! The shapes of the API's responses, for the OpenAPI document only: they mirror how the
//! core's views and outcomes serialise (without the flow id). The handlers send the core's
//! own serialisation.

#![allow(dead_code)] // Described, never built: the handlers serialise the core's types.

use utoipa::ToSchema;

/// An error.
#[derive(ToSchema)]
pub struct ApiErrorBody {
    /// A stable id: `bad_request`, `csrf_refused`, `flow_not_found`, `not_found`,
    /// `method_not_allowed`, `rejected`, `server_error`, `busy`.
    pub error: String,
    /// The core's reason id when a step was refused (`code.mismatch`, …).
    pub rejection: Option<String>,
}

/// The CSRF token.
#[derive(ToSchema)]
pub struct CsrfToken {
    /// Send it back in `X-CSRF-Token` with every POST.
    pub csrf_token: String,
}

/// An option offered at a gate.
#[derive(ToSchema)]
pub struct OfferedOptionBody {
    /// The option's id.
    pub option: String,
    /// The masked destination.
    pub masked: Option<String>,
    /// The factor it proves.
    pub factor: String,
}

/// A failure after a step was committed (it stands regardless).
#[derive(ToSchema)]
pub struct WarningBody {
    /// The port.
    pub port: String,
    /// How it failed.
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// A reset screen.
#[derive(ToSchema)]
pub struct ResetViewBody {
    /// The flow's reference (safe to log; cannot resume the flow).
    pub flow_ref: String,
    /// The screen (`choose_method`, `enter_code`, `completed`, …).
    pub state: String,
    /// The gate being passed (1-based).
    pub gate: u8,
    /// Gates in all.
    pub gates: u8,
    /// The options offered at this gate.
    pub options: Vec<OfferedOptionBody>,
    /// The options allowed but not registered.
    pub unavailable: Vec<String>,
    /// The option being answered.
    pub option: Option<String>,
    /// The security questions asked.
    pub questions: Vec<String>,
    /// The number to show for push number matching.
    pub approval_number: Option<u8>,
    /// Seconds until a block ends.
    pub retry_after: Option<u64>,
    /// When the flow expires (Unix seconds).
    pub expires_at: u64,
    /// The help desk's contact when the user is stuck.
    pub help_desk: Option<String>,
}

/// The result of a reset step.
#[derive(ToSchema)]
pub struct ResetOutcomeBody {
    /// The screen after the step.
    pub view: Option<ResetViewBody>,
    /// Why the step was refused (a reason id).
    pub rejection: Option<String>,
    /// Seconds until the refused action may be retried.
    pub retry_after: Option<u64>,
    /// The verdict on a proposed new password.
    #[schema(value_type = Option<Object>)]
    pub password: Option<()>,
    /// Failures after the step was committed.
    pub warnings: Vec<WarningBody>,
    /// `rejected` when `rejection` is set.
    pub error: Option<String>,
}

/// A registered method.
#[derive(ToSchema)]
pub struct RegisteredMethodBody {
    /// The method's id.
    pub method: String,
    /// The masked destination.
    pub masked: Option<String>,
    /// Whether it is the default.
    pub default: bool,
}

/// A registration screen.
#[derive(ToSchema)]
pub struct RegistrationViewBody {
    /// The flow's reference (safe to log).
    pub flow_ref: String,
    /// The screen (`prove_identity`, `proving`, `registering`, `verifying`, `done`, …).
    pub state: String,
    /// Registered methods.
    pub registered: Vec<String>,
    /// Distinct factors still needed.
    pub still_needed: u32,
    /// The method waiting for its verification code.
    pub pending: Option<String>,
    /// The default method.
    pub default_method: Option<String>,
    /// The registered methods, default first, masked.
    pub methods: Vec<RegisteredMethodBody>,
    /// The registered options the user may prove.
    pub proof_options: Vec<OfferedOptionBody>,
    /// The option being proved.
    pub proof_option: Option<String>,
    /// The security questions to answer.
    pub questions: Vec<String>,
    /// The number to show for push number matching.
    pub approval_number: Option<u8>,
    /// When the flow expires (Unix seconds).
    pub expires_at: u64,
    /// The help desk's contact when the user is stuck.
    pub help_desk: Option<String>,
}

/// The authenticator app's provisioning, shown once.
#[derive(ToSchema)]
pub struct ProvisioningBody {
    /// The secret in base32.
    pub secret_b32: String,
    /// The `otpauth://totp/` URI.
    pub uri: String,
    /// An SVG QR code of the URI.
    pub qr_svg: Option<String>,
}

/// The result of a registration step.
#[derive(ToSchema)]
pub struct RegistrationOutcomeBody {
    /// The wizard after the step.
    pub view: Option<RegistrationViewBody>,
    /// Why the step was refused (a reason id).
    pub rejection: Option<String>,
    /// Seconds until the refused action may be retried.
    pub retry_after: Option<u64>,
    /// The authenticator app's provisioning, in the response to `app` only.
    pub provisioning: Option<ProvisioningBody>,
    /// The recovery codes, in the response to `recovery-codes` only.
    pub recovery_codes: Vec<String>,
    /// Failures after the step was committed.
    pub warnings: Vec<WarningBody>,
    /// `rejected` when `rejection` is set.
    pub error: Option<String>,
}

/// The sign-in check.
#[derive(ToSchema)]
pub struct SignInCheckBody {
    /// The user must register security info before going on.
    pub registration_required: bool,
    /// The user should re-confirm their security info.
    pub reconfirm_due: bool,
    /// `reauth.failed` or `user.blocked`.
    pub rejection: Option<String>,
    /// Seconds until a blocked user may try again.
    pub retry_after: Option<u64>,
    /// The user may put registration off now.
    pub may_snooze: bool,
    /// Snoozes left.
    pub snoozes_left: Option<u32>,
    /// `rejected` when `rejection` is set.
    pub error: Option<String>,
}

/// A reset option's id, as requests name it.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetOptionId {
    /// Email a code to the alternate address.
    Email,
    /// Text a code to the mobile phone.
    MobileText,
    /// Call the mobile phone.
    MobileCall,
    /// Call the office phone.
    OfficeCall,
    /// A code from the authenticator app.
    AppCode,
    /// A notification on the authenticator app.
    AppNotification,
    /// Security questions.
    SecurityQuestions,
    /// A recovery code.
    RecoveryCode,
}

/// A method's id, as requests name it.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodId {
    /// A notification on the authenticator app.
    AppNotification,
    /// A code from the authenticator app.
    AppCode,
    /// An alternate email.
    Email,
    /// A mobile phone.
    MobilePhone,
    /// An office phone.
    OfficePhone,
    /// Security questions.
    SecurityQuestions,
    /// Recovery codes.
    RecoveryCodes,
}

/// How a mobile phone receives its code.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ViaId {
    /// A text message.
    Text,
    /// A voice call.
    Call,
}

/// The result of a password change.
#[derive(ToSchema)]
pub struct PasswordChangeOutcomeBody {
    /// Whether the new password is in force.
    pub changed: bool,
    /// Why not: `reauth.failed`, `user.blocked`, `user.locked`, a `password.*` rule,
    /// `password.refused`.
    pub rejection: Option<String>,
    /// Seconds until a blocked user may try again.
    pub retry_after: Option<u64>,
    /// The verdict on the new password, once the old one checked out.
    #[schema(value_type = Option<Object>)]
    pub password: Option<()>,
    /// Failures after the change (it stands regardless).
    pub warnings: Vec<WarningBody>,
    /// The help desk's contact when the user is stuck.
    pub help_desk: Option<String>,
}

/// The result of "this wasn't me".
#[derive(ToSchema)]
pub struct ReportOutcomeBody {
    /// `notice.invalid` when the token is unknown, used or expired.
    pub rejection: Option<String>,
    /// Until when self-service is blocked (Unix seconds), when the report was taken.
    pub blocked_until: Option<u64>,
    /// Failures after the report was taken (it stands regardless).
    pub warnings: Vec<WarningBody>,
}
