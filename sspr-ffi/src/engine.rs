//! The engine as an object: the reset and the registration wizard, with typed inputs, views
//! and results.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use sspr_core::engine::{
    AppImport, CountryBudget, Engine as CoreEngine, EngineSettings as CoreSettings,
    HardwareTokenImport as CoreTokenImport, IssuedAccessPass as CoreAccessPass,
    PasswordChangeOutcome, RegistrationOutcome, ResetOutcome, ResetView as CoreView,
    SecurityInfoImport as CoreImport, SnoozeOutcome, TemporaryPassword as CoreTemporaryPassword,
};
use sspr_core::policy::Limit;
use sspr_core::registration::{RegistrationInput as CoreRegInput, Via as CoreVia};
use sspr_core::reset::ResetInput as CoreResetInput;
use sspr_core::{SecretString, UserId};

use crate::error::SsprError;
use crate::policy::Policy;
use crate::ports::Ports;
use crate::types::{HashParams, Method, OtpAlgorithm, PasswordVerdict, ResetOption};

/// A key sealing verification codes: at least 32 random bytes, secret, stable across restarts.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct SigningKey {
    /// The key's id (stored beside each seal, so older keys keep verifying after a rotation).
    pub id: String,
    /// The key.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A throttle: `max` events in `window_s` seconds, then blocked for `block_s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct LimitSettings {
    /// Events allowed in a window.
    pub max: u32,
    /// The window, in seconds.
    pub window_s: u64,
    /// How long the block lasts, in seconds.
    pub block_s: u64,
}

/// A budget of texts and calls per country calling code, against toll fraud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct CountryBudgetSettings {
    /// Messages per calling code in a window.
    pub max: u32,
    /// The window, in seconds.
    pub window_s: u64,
}

/// A value with a relative weight (decoy calling codes and email domains).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Weighted {
    /// The value.
    pub value: String,
    /// Its weight (positive).
    pub weight: u32,
}

/// What the host's users look like, so that decoy screens look like them too.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DecoySettings {
    /// Calling codes of users' phones (`1`, `44`), weighted.
    pub calling_codes: Vec<Weighted>,
    /// Domains of users' alternate email addresses, weighted.
    pub email_domains: Vec<Weighted>,
    /// Percentage of users who are administrators (0 to 100).
    pub admin_percent: u8,
}

/// The default decoy profile (North American numbers, the large mail providers, 2%
/// administrators).
#[uniffi::export]
pub fn decoy_settings_default() -> DecoySettings {
    let d = sspr_core::DecoyProfile::default();
    let w = |v: Vec<(String, u32)>| {
        v.into_iter()
            .map(|(value, weight)| Weighted { value, weight })
            .collect()
    };
    DecoySettings {
        calling_codes: w(d.calling_codes),
        email_domains: w(d.email_domains),
        admin_percent: d.admin_percent,
    }
}

/// Host settings that are not tenant policy.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct EngineSettings {
    /// Code-sealing keys, the newest (signing) key first.
    pub keys: Vec<SigningKey>,
    /// The key for stored references (counter keys, flow-store keys, decoy screens): at least
    /// 32 random bytes, secret, and never rotated.
    pub identity_key: Vec<u8>,
    /// The issuer authenticator apps show.
    pub issuer: String,
    /// Argon2id cost for answers and password history (`hashParamsOwasp()` in production).
    pub hash_params: HashParams,
    /// Refuse new passwords while the breach service is down (instead of accepting them).
    pub breach_fail_closed: bool,
    /// Failures allowed per client address (the `client` argument of `start_reset`).
    pub client_limit: Option<LimitSettings>,
    /// Texts and calls allowed per calling code, if any.
    pub country_budget: Option<CountryBudgetSettings>,
    /// What decoy screens look like (`decoySettingsDefault()`).
    pub decoys: DecoySettings,
    /// Keys that seal security info at rest, the newest first (at least 32 random bytes each,
    /// ids of `A-Z a-z 0-9 - _`). Empty: a key derived from the identity key. Records sealed
    /// with that derived key stay readable and are resealed with the newest on their next save.
    #[uniffi(default)]
    pub sealing_keys: Vec<SigningKey>,
    /// The tenant this engine serves when several engines share one set of stores: 1 to 64
    /// characters of `a-z 0-9 . _ -`; none for a single tenant.
    #[uniffi(default)]
    pub tenant: Option<String>,
}

impl std::fmt::Debug for EngineSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSettings")
            .field("keys", &self.keys)
            .field("issuer", &self.issuer)
            .field("hash_params", &self.hash_params)
            .finish_non_exhaustive()
    }
}

impl From<EngineSettings> for CoreSettings {
    fn from(s: EngineSettings) -> Self {
        let keys = |v: Vec<SigningKey>| v.into_iter().map(|k| (k.id, k.key)).collect();
        let pairs = |v: Vec<Weighted>| v.into_iter().map(|w| (w.value, w.weight)).collect();
        Self {
            keys: keys(s.keys),
            identity_key: s.identity_key,
            issuer: s.issuer,
            sealing_keys: keys(s.sealing_keys),
            hash_params: s.hash_params.into(),
            breach_fail_closed: s.breach_fail_closed,
            client_limit: s
                .client_limit
                .map(|l| Limit::new(l.max, l.window_s, l.block_s)),
            country_budget: s.country_budget.map(|b| CountryBudget {
                max: b.max,
                window_s: b.window_s,
            }),
            decoys: sspr_core::DecoyProfile {
                calling_codes: pairs(s.decoys.calling_codes),
                email_domains: pairs(s.decoys.email_domains),
                admin_percent: s.decoys.admin_percent,
            },
            tenant: s.tenant,
        }
    }
}

/// An option offered at the current gate.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OfferedOption {
    /// The option.
    pub option: ResetOption,
    /// The masked destination shown beside it (`al*********@fabrikam.example`).
    pub masked: Option<String>,
}

fn offered(options: &[sspr_core::reset::OfferedOption]) -> Vec<OfferedOption> {
    options
        .iter()
        .map(|o| OfferedOption {
            option: o.option.into(),
            masked: o.masked.clone(),
        })
        .collect()
}

/// What the reset screen shows. Its `toString` shows the flow's reference, never its id.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct ResetView {
    /// The flow's id: pass it to every step. A bearer token: never log it.
    pub flow_id: String,
    /// The flow's reference, as audit events name it (safe to log).
    pub flow_ref: String,
    /// `choose_method`, `enter_code`, `answer_questions`, `await_approval`, `new_password`,
    /// `completed`, `unlocked`, `blocked`, `expired` or `cancelled`.
    pub state: String,
    /// The gate being passed (1 or 2).
    pub gate: u8,
    /// How many gates this reset needs.
    pub gates: u8,
    /// The options offered at this gate.
    pub options: Vec<OfferedOption>,
    /// The options the policy allows that this user cannot use: show them marked
    /// unavailable, never hide them (decoys list theirs the same way).
    #[uniffi(default)]
    pub unavailable: Vec<ResetOption>,
    /// The option chosen, if any.
    pub option: Option<ResetOption>,
    /// The questions to answer.
    pub questions: Vec<String>,
    /// The number to show while awaiting an approval.
    pub approval_number: Option<u8>,
    /// Seconds until a blocked user may try again.
    pub retry_after: Option<u64>,
    /// When the flow expires (Unix seconds).
    pub expires_at: u64,
    /// The help desk's contact (policy `help_desk.contact`: an email address or an `https://`
    /// URL) when the user is stuck: blocked, locked, expired, or refused for a reason no retry
    /// mends; none otherwise or when the policy names none.
    #[uniffi(default)]
    pub help_desk: Option<String>,
}

impl std::fmt::Debug for ResetView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetView")
            .field("flow_ref", &self.flow_ref)
            .field("state", &self.state)
            .field("gate", &self.gate)
            .field("gates", &self.gates)
            .field("options", &self.options)
            .field("retry_after", &self.retry_after)
            .field("help_desk", &self.help_desk)
            .finish_non_exhaustive()
    }
}

impl From<&CoreView> for ResetView {
    fn from(v: &CoreView) -> Self {
        Self {
            flow_id: v.flow_id.clone(),
            flow_ref: v.flow_ref.clone(),
            state: v.state.id().to_owned(),
            gate: v.gate,
            gates: v.gates,
            options: offered(&v.options),
            unavailable: v.unavailable.iter().copied().map(Into::into).collect(),
            option: v.option.map(Into::into),
            questions: v.questions.clone(),
            approval_number: v.approval_number,
            retry_after: v.retry_after,
            expires_at: v.expires_at,
            help_desk: v.help_desk.clone(),
        }
    }
}

/// The result of a reset step.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct ResetResult {
    /// The flow after the step (none when no flow was started).
    pub view: Option<ResetView>,
    /// The reason id the step was refused for (`code.mismatch`, ...), if it was.
    pub rejection: Option<String>,
    /// Seconds until the user may try again.
    pub retry_after: Option<u64>,
    /// The verdict on a proposed password.
    pub password: Option<PasswordVerdict>,
    /// Failures of optional ports that did not stop the step, for logs.
    pub warnings: Vec<String>,
}

impl From<ResetOutcome> for ResetResult {
    fn from(o: ResetOutcome) -> Self {
        Self {
            view: o.view.as_ref().map(Into::into),
            rejection: o.rejection.map(|r| r.id().to_owned()),
            retry_after: o.retry_after,
            password: o.password.as_ref().map(Into::into),
            warnings: o.warnings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A user's step in a reset. Its `toString` names the step, never the code, answers or
/// password it carries.
#[derive(Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum ResetInput {
    /// Chose an option at the current gate (replaces any pending challenge).
    Choose {
        /// The option.
        option: ResetOption,
    },
    /// Asked for the code again.
    Resend,
    /// Entered a code.
    EnterCode {
        /// The code.
        code: String,
    },
    /// Answered the security questions.
    Answer {
        /// Question → answer.
        answers: HashMap<String, String>,
    },
    /// The authenticator app answered a push request.
    Approve {
        /// The request answered.
        request_id: String,
        /// The number the user picked.
        number: u8,
        /// Approve, or deny ("this wasn't me").
        approve: bool,
    },
    /// Chose a new password.
    NewPassword {
        /// The password.
        password: String,
        /// Its confirmation.
        confirm: String,
    },
    /// Unlocked the account without changing the password.
    Unlock,
    /// Cancelled.
    Cancel,
    /// Typed the whole phone number before a text or a call (in `confirm_number`).
    ConfirmNumber {
        /// The number as typed (any common form).
        number: String,
    },
    /// Confirmed the verification link of an emailed code (`Message.linkToken`), on the
    /// host's page, in the browser holding the flow.
    ConfirmLink {
        /// The link's token.
        token: String,
    },
}

impl std::fmt::Debug for ResetInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Choose { .. } => "Choose",
            Self::Resend => "Resend",
            Self::EnterCode { .. } => "EnterCode",
            Self::Answer { .. } => "Answer",
            Self::Approve { .. } => "Approve",
            Self::NewPassword { .. } => "NewPassword",
            Self::Unlock => "Unlock",
            Self::Cancel => "Cancel",
            Self::ConfirmNumber { .. } => "ConfirmNumber",
            Self::ConfirmLink { .. } => "ConfirmLink",
        };
        f.write_str(name)
    }
}

fn secrets(answers: HashMap<String, String>) -> BTreeMap<String, SecretString> {
    answers
        .into_iter()
        .map(|(q, a)| (q, SecretString::new(a)))
        .collect()
}

impl From<ResetInput> for CoreResetInput {
    fn from(i: ResetInput) -> Self {
        match i {
            ResetInput::Choose { option } => Self::Choose(option.into()),
            ResetInput::Resend => Self::Resend,
            ResetInput::EnterCode { code } => Self::EnterCode(SecretString::new(code)),
            ResetInput::Answer { answers } => Self::Answer(secrets(answers)),
            ResetInput::Approve {
                request_id,
                number,
                approve,
            } => Self::Approve {
                request_id,
                number,
                approve,
            },
            ResetInput::NewPassword { password, confirm } => Self::NewPassword {
                password: SecretString::new(password),
                confirm: SecretString::new(confirm),
            },
            ResetInput::Unlock => Self::Unlock,
            ResetInput::Cancel => Self::Cancel,
            ResetInput::ConfirmNumber { number } => Self::ConfirmNumber(SecretString::new(number)),
            ResetInput::ConfirmLink { token } => Self::ConfirmLink(SecretString::new(token)),
        }
    }
}

/// How a mobile phone is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Via {
    /// By text.
    Text,
    /// By call.
    Call,
}

/// A user's step in the "keep your account secure" wizard. Its `toString` names the step,
/// never the code, pass or answers it carries.
#[derive(Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum RegistrationInput {
    /// Prove a registered method before changing security info (sends a code, or a push).
    Prove {
        /// The registered option.
        option: ResetOption,
    },
    /// The authenticator app answered the proof's push request.
    Approve {
        /// The request answered.
        request_id: String,
        /// The number the user picked.
        number: u8,
        /// Approve or deny.
        approve: bool,
    },
    /// Prove identity with a temporary access pass a help desk issued
    /// (`Engine.issue_access_pass`), for a user who lost every registered method. Hyphens,
    /// spaces and case do not matter. Refused with `access_pass.invalid` when it is wrong,
    /// expired or (a one-time pass) used.
    AccessPass {
        /// The pass as the user typed it.
        pass: String,
    },
    /// Answer the security questions of a proof (a user with nothing else registered).
    AnswerProof {
        /// Question → answer.
        answers: HashMap<String, String>,
    },
    /// Register an alternate email address.
    Email {
        /// The address.
        address: String,
    },
    /// Register a mobile phone.
    Mobile {
        /// The number, international form.
        number: String,
        /// Text or call.
        via: Via,
    },
    /// Register an office phone.
    Office {
        /// The number, international form.
        number: String,
    },
    /// Start registering an authenticator app.
    App {
        /// The device id for pushes, if the host has one.
        device_id: Option<String>,
    },
    /// Register security questions.
    Questions {
        /// Question → answer.
        answers: HashMap<String, String>,
    },
    /// Make ten recovery codes, shown once in the result (`recoveryCodes`); they replace any
    /// earlier batch.
    RecoveryCodes,
    /// Verify the pending method with a code.
    Verify {
        /// The code.
        code: String,
    },
    /// Remove a method.
    Remove {
        /// The method.
        method: Method,
    },
    /// Make a method the default: the one offered first at reset and in proofs.
    SetDefault {
        /// The method.
        method: Method,
    },
    /// Send a test notification to the authenticator app being set up (in `verifying`, after
    /// `App`; policy `app_notification` only): the view's `approvalNumber` is the number to
    /// show, and `Approve` with it from the device confirms the app, as its first code would.
    /// Sending it again (or `Resend`) replaces the request; the resend cooldown and send limits
    /// apply.
    TestPush,
    /// Activate a hardware OATH token an administrator assigned (`Engine.import_hardware_token`)
    /// with the code it shows now; it then proves the `app_code` factor. Needs the proof, like
    /// any change.
    ActivateToken {
        /// The serial number printed on the token.
        serial: String,
        /// The code the token shows.
        code: String,
    },
    /// Send the pending code again: the new method's (in `verifying`) or the proof's (in
    /// `proving`); the earlier code stops working. The resend cooldown and send limits apply
    /// (`send.cooldown` with `retryAfter`).
    Resend,
    /// Go back one screen: from `verifying` to `registering` (the pending method is dropped),
    /// from `proving` to `prove_identity`; from `reconfirm`, edit the info (`registering`).
    Back,
    /// Finish (or, in `reconfirm`, confirm that the registered info is still correct).
    Finish,
    /// Cancel.
    Cancel,
}

impl std::fmt::Debug for RegistrationInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Prove { .. } => "Prove",
            Self::Approve { .. } => "Approve",
            Self::AccessPass { .. } => "AccessPass",
            Self::AnswerProof { .. } => "AnswerProof",
            Self::Email { .. } => "Email",
            Self::Mobile { .. } => "Mobile",
            Self::Office { .. } => "Office",
            Self::App { .. } => "App",
            Self::Questions { .. } => "Questions",
            Self::RecoveryCodes => "RecoveryCodes",
            Self::Verify { .. } => "Verify",
            Self::Remove { .. } => "Remove",
            Self::SetDefault { .. } => "SetDefault",
            Self::TestPush => "TestPush",
            Self::ActivateToken { .. } => "ActivateToken",
            Self::Resend => "Resend",
            Self::Back => "Back",
            Self::Finish => "Finish",
            Self::Cancel => "Cancel",
        };
        f.write_str(name)
    }
}

impl From<RegistrationInput> for CoreRegInput {
    fn from(i: RegistrationInput) -> Self {
        match i {
            RegistrationInput::Prove { option } => Self::Prove(option.into()),
            RegistrationInput::Approve {
                request_id,
                number,
                approve,
            } => Self::Approve {
                request_id,
                number,
                approve,
            },
            RegistrationInput::AccessPass { pass } => Self::AccessPass(SecretString::new(pass)),
            RegistrationInput::AnswerProof { answers } => Self::Answer(secrets(answers)),
            RegistrationInput::Email { address } => Self::Email(address),
            RegistrationInput::Mobile { number, via } => Self::Mobile {
                number,
                via: match via {
                    Via::Text => CoreVia::Text,
                    Via::Call => CoreVia::Call,
                },
            },
            RegistrationInput::Office { number } => Self::Office(number),
            RegistrationInput::App { device_id } => Self::App { device_id },
            RegistrationInput::Questions { answers } => Self::Questions(secrets(answers)),
            RegistrationInput::RecoveryCodes => Self::RecoveryCodes,
            RegistrationInput::Verify { code } => Self::Verify(SecretString::new(code)),
            RegistrationInput::Remove { method } => Self::Remove(method.into()),
            RegistrationInput::SetDefault { method } => Self::SetDefault(method.into()),
            RegistrationInput::TestPush => Self::TestPush,
            RegistrationInput::ActivateToken { serial, code } => Self::ActivateToken {
                serial,
                code: SecretString::new(code),
            },
            RegistrationInput::Resend => Self::Resend,
            RegistrationInput::Back => Self::Back,
            RegistrationInput::Finish => Self::Finish,
            RegistrationInput::Cancel => Self::Cancel,
        }
    }
}

/// What the registration screen shows. Its `toString` shows the flow's reference, never its
/// id.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct RegistrationView {
    /// The flow's id. A bearer token: never log it.
    pub flow_id: String,
    /// The flow's reference (safe to log).
    pub flow_ref: String,
    /// `prove_identity`, `proving`, `registering`, `reconfirm`, `verifying`, `done`,
    /// `expired` or `cancelled`.
    pub state: String,
    /// Registered methods.
    pub registered: Vec<Method>,
    /// How many more methods the policy requires.
    pub still_needed: u32,
    /// The method awaiting verification.
    pub pending: Option<Method>,
    /// Where its code went, masked (none for the app).
    #[uniffi(default)]
    pub pending_to: Option<String>,
    /// The default method, offered first at reset and in proofs: the one registered first
    /// unless the user changed it (`SetDefault`).
    pub default_method: Option<Method>,
    /// The registered methods as the "security info" list, the success screen and the
    /// reconfirmation step show them: the default first, destinations masked.
    #[uniffi(default)]
    pub methods: Vec<RegisteredMethod>,
    /// The registered options the user may prove (in `prove_identity`).
    pub proof_options: Vec<OfferedOption>,
    /// The option being proved (in `proving`).
    pub proof_option: Option<ResetOption>,
    /// The questions to answer, when proving with security questions.
    pub questions: Vec<String>,
    /// The number to show for push number matching: while a proof by push awaits the app, or
    /// during the test notification of an app being set up (`TestPush`).
    pub approval_number: Option<u8>,
    /// When the flow expires (Unix seconds).
    pub expires_at: u64,
    /// The help desk's contact when the user is stuck (as [`ResetView::help_desk`]).
    #[uniffi(default)]
    pub help_desk: Option<String>,
}

/// A registered method as the wizard lists it. Masked: safe to show and to log.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RegisteredMethod {
    /// The method.
    pub method: Method,
    /// The masked destination (`al*********@fabrikam.example`, `+1 XXXXXXXX00`) of an email
    /// or a phone; none for the authenticator app, security questions and recovery codes.
    pub masked: Option<String>,
    /// Whether it is the default method.
    pub default: bool,
}

impl std::fmt::Debug for RegistrationView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationView")
            .field("flow_ref", &self.flow_ref)
            .field("state", &self.state)
            .field("registered", &self.registered)
            .field("still_needed", &self.still_needed)
            .field("pending", &self.pending)
            .field("default_method", &self.default_method)
            .field("methods", &self.methods)
            .field("help_desk", &self.help_desk)
            .finish_non_exhaustive()
    }
}

/// What an authenticator app needs to be set up.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Provisioning {
    /// The secret in base32 ("can't scan the image?").
    pub secret_b32: String,
    /// The `otpauth://totp/` URI the QR code encodes.
    pub uri: String,
    /// The QR code as SVG, when built with it.
    pub qr_svg: Option<String>,
}

impl std::fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Provisioning(<secret redacted>)")
    }
}

/// The result of a registration step. Its `toString` never shows the secrets it carries.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct RegistrationResult {
    /// The flow after the step (none when re-authentication failed).
    pub view: Option<RegistrationView>,
    /// The reason id the step was refused for, if it was.
    pub rejection: Option<String>,
    /// Seconds until the user may try again.
    pub retry_after: Option<u64>,
    /// Set by `App`: what to show the user.
    pub provisioning: Option<Provisioning>,
    /// Set by `RecoveryCodes`: the ten codes (`XXXXX-XXXXX`), to show once.
    #[uniffi(default)]
    pub recovery_codes: Vec<String>,
    /// Failures of optional ports that did not stop the step.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for RegistrationResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationResult")
            .field("view", &self.view)
            .field("rejection", &self.rejection)
            .field("retry_after", &self.retry_after)
            .field("provisioning", &self.provisioning)
            .field("recovery_codes", &self.recovery_codes.len())
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl From<sspr_core::engine::RegistrationView> for RegistrationView {
    fn from(v: sspr_core::engine::RegistrationView) -> Self {
        Self {
            flow_id: v.flow_id,
            flow_ref: v.flow_ref,
            state: v.state.id().to_owned(),
            registered: v.registered.into_iter().map(Into::into).collect(),
            still_needed: u32::try_from(v.still_needed).unwrap_or(u32::MAX),
            pending: v.pending.map(Into::into),
            pending_to: v.pending_to,
            default_method: v.default_method.map(Into::into),
            methods: v
                .methods
                .into_iter()
                .map(|m| RegisteredMethod {
                    method: m.method.into(),
                    masked: m.masked,
                    default: m.default,
                })
                .collect(),
            proof_options: offered(&v.proof_options),
            proof_option: v.proof_option.map(Into::into),
            questions: v.questions,
            approval_number: v.approval_number,
            expires_at: v.expires_at,
            help_desk: v.help_desk,
        }
    }
}

impl From<RegistrationOutcome> for RegistrationResult {
    fn from(o: RegistrationOutcome) -> Self {
        Self {
            view: o.view.map(Into::into),
            rejection: o.rejection.map(|r| r.id().to_owned()),
            retry_after: o.retry_after,
            provisioning: o.provisioning.map(|p| Provisioning {
                secret_b32: p.secret_b32.expose().to_owned(),
                uri: p.uri.expose().to_owned(),
                qr_svg: p.qr_svg,
            }),
            recovery_codes: o
                .recovery_codes
                .iter()
                .map(|c| c.expose().to_owned())
                .collect(),
            warnings: o.warnings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The check made at every sign-in.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignInCheck {
    /// The user must register security info before going on.
    pub registration_required: bool,
    /// The user should re-confirm their security info.
    pub reconfirm_due: bool,
    /// Why the check was refused (`reauth.failed`, `user.blocked`), if it was.
    pub rejection: Option<String>,
    /// Seconds until a blocked user may try again.
    pub retry_after: Option<u64>,
    /// The user may put registration off now ("not now": `Engine.snooze_registration`): it is
    /// required, the policy allows snoozing (`registration.snooze_days` not 0), snoozes are
    /// left, and the user is no administrator.
    #[uniffi(default)]
    pub may_snooze: bool,
    /// Snoozes left before registering is required (none: without limit; 0 for
    /// administrators and when the policy allows none).
    #[uniffi(default)]
    pub snoozes_left: Option<u32>,
}

/// The result of putting registration off (`Engine.snooze_registration`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SnoozeResult {
    /// `snooze.unavailable` when the user may not put it off now (nothing was saved).
    pub rejection: Option<String>,
    /// Until when sign-in does not ask (Unix seconds), when snoozed.
    pub snoozed_until: Option<u64>,
    /// Snoozes left after this one (none: without limit).
    pub snoozes_left: Option<u32>,
    /// Failures after the snooze was saved (it stands regardless), for logs.
    pub warnings: Vec<String>,
}

impl From<SnoozeOutcome> for SnoozeResult {
    fn from(o: SnoozeOutcome) -> Self {
        Self {
            rejection: o.rejection.map(|r| r.id().to_owned()),
            snoozed_until: o.snoozed_until,
            snoozes_left: o.snoozes_left,
            warnings: o.warnings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The result of a "this wasn't me" report.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReportResult {
    /// `notice.invalid` when the token is unknown, used or expired.
    pub rejection: Option<String>,
    /// Until when self-service is blocked for the user.
    pub blocked_until: Option<u64>,
    /// Failures after the report was taken, for logs.
    pub warnings: Vec<String>,
}

/// The result of "change password" (`Engine.change_password`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct PasswordChangeResult {
    /// Whether the new password is in force.
    pub changed: bool,
    /// Why not: `reauth.failed` (the old password), `user.blocked`, `user.locked`, a
    /// `password.*` rule, or `password.refused` (the directory's own policy).
    pub rejection: Option<String>,
    /// Seconds until a blocked user may try again.
    pub retry_after: Option<u64>,
    /// The verdict on the new password, once the old one checked out.
    pub password: Option<PasswordVerdict>,
    /// Port failures after the change (a notice not delivered): the change stands.
    pub warnings: Vec<String>,
    /// The help desk's contact when the user is stuck (as [`ResetView::help_desk`]).
    pub help_desk: Option<String>,
}

impl From<PasswordChangeOutcome> for PasswordChangeResult {
    fn from(o: PasswordChangeOutcome) -> Self {
        Self {
            changed: o.changed,
            rejection: o.rejection.map(|r| r.id().to_owned()),
            retry_after: o.retry_after,
            password: o.password.as_ref().map(Into::into),
            warnings: o.warnings.iter().map(ToString::to_string).collect(),
            help_desk: o.help_desk,
        }
    }
}

/// A temporary password a help desk set (`Engine.reset_password_by_help_desk`). Its `toString`
/// shows nothing of the password.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct TemporaryPassword {
    /// The password: tell it to the user once, by a channel the help desk trusts.
    pub password: String,
    /// The user must change it at the next sign-in (the directory was told so through
    /// `PasswordChange.must_change`).
    pub must_change: bool,
}

impl std::fmt::Debug for TemporaryPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryPassword")
            .field("must_change", &self.must_change)
            .finish_non_exhaustive()
    }
}

impl From<CoreTemporaryPassword> for TemporaryPassword {
    fn from(t: CoreTemporaryPassword) -> Self {
        Self {
            password: t.password.expose().to_owned(),
            must_change: t.must_change,
        }
    }
}

/// A temporary access pass a help desk issued (`Engine.issue_access_pass`): it proves the
/// user's identity in the registration wizard (`RegistrationInput.AccessPass`). Its `toString`
/// shows nothing of the pass.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct IssuedAccessPass {
    /// The pass (`7KQ2-M9XD-4TRB-HW3N`): tell it to the user once, by a channel the help desk
    /// trusts. Only its keyed hash is stored.
    pub pass: String,
    /// When it stops working (Unix seconds).
    pub expires_at: u64,
    /// Whether it works once only.
    pub one_time: bool,
}

impl std::fmt::Debug for IssuedAccessPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedAccessPass")
            .field("expires_at", &self.expires_at)
            .field("one_time", &self.one_time)
            .finish_non_exhaustive()
    }
}

impl From<CoreAccessPass> for IssuedAccessPass {
    fn from(p: CoreAccessPass) -> Self {
        Self {
            pass: p.pass.expose().to_owned(),
            expires_at: p.expires_at,
            one_time: p.one_time,
        }
    }
}

/// An authenticator app registered elsewhere (SHA1, 6 digits, 30 s).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct AppSecret {
    /// The shared secret in base32 (at least 128 bits).
    pub secret_b32: String,
    /// The device id pushes go to.
    pub device_id: String,
}

/// Security info registered elsewhere, in plain form.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct SecurityInfoImport {
    /// Alternate email.
    pub email: Option<String>,
    /// Mobile phone, international form.
    pub mobile: Option<String>,
    /// Office phone, international form.
    pub office: Option<String>,
    /// Question → answer.
    pub questions: HashMap<String, String>,
    /// Authenticator app.
    pub app: Option<AppSecret>,
    /// When the user last confirmed the info (Unix seconds).
    pub confirmed_at: Option<u64>,
}

impl std::fmt::Debug for SecurityInfoImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityInfoImport")
            .field("questions", &self.questions.len())
            .finish_non_exhaustive()
    }
}

/// A hardware OATH TOTP token an administrator assigns to a user (`Engine.import_hardware_token`).
/// Its `toString` never shows the seed.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct HardwareTokenImport {
    /// The serial number printed on the token (1 to 64 printable ASCII characters).
    pub serial: String,
    /// The seed in base32 (16 to 128 bytes).
    pub secret_b32: String,
    /// SHA-1 or SHA-256 (`OtpAlgorithm.SHA1` for most tokens).
    pub algorithm: OtpAlgorithm,
    /// 6 or 8 digits.
    #[uniffi(default = 6)]
    pub digits: u8,
    /// 30 or 60 seconds.
    #[uniffi(default = 30)]
    pub period: u32,
}

impl std::fmt::Debug for HardwareTokenImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HardwareTokenImport")
            .field("serial", &self.serial)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

/// The self-service password reset engine. Safe to share between threads: every call but
/// `replace_policy` runs alongside the others; `replace_policy` waits for the calls in progress
/// to finish, and the calls after it run under the new policy. A port that calls back into the
/// engine calling it may deadlock while a `replace_policy` waits: let ports call only their own
/// backends.
#[derive(uniffi::Object)]
pub struct Engine {
    inner: RwLock<CoreEngine>,
}

impl Engine {
    /// The core engine for one call. Only `replace_policy` writes, and it replaces whole fields
    /// after every check: a panic there leaves an engine whole, so a poisoned lock is
    /// recovered.
    fn engine(&self) -> RwLockReadGuard<'_, CoreEngine> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl Engine {
    /// An engine applying `policy` through `ports`. Refuses a short or duplicate key and bad
    /// argon2 costs.
    #[uniffi::constructor]
    pub fn new(
        policy: Arc<Policy>,
        ports: Arc<Ports>,
        settings: EngineSettings,
    ) -> Result<Arc<Self>, SsprError> {
        let options = CoreSettings::from(settings).into_options()?;
        Ok(Arc::new(Self {
            inner: RwLock::new(CoreEngine::new(
                policy.inner.clone(),
                ports.0.clone(),
                options,
            )?),
        }))
    }

    /// "Who are you?": starts a reset once the CAPTCHA response passes.
    pub fn start_reset(
        &self,
        identifier: String,
        captcha: String,
        client: Option<String>,
    ) -> Result<ResetResult, SsprError> {
        Ok(self
            .engine()
            .start_reset(&identifier, &captcha, client.as_deref())?
            .into())
    }

    /// One step of a reset.
    pub fn reset_step(&self, flow_id: String, input: ResetInput) -> Result<ResetResult, SsprError> {
        Ok(self.engine().reset_step(&flow_id, input.into())?.into())
    }

    /// The reset flow as it stands.
    pub fn reset_view(&self, flow_id: String) -> Result<ResetView, SsprError> {
        Ok((&self.engine().reset_view_of(&flow_id)?).into())
    }

    /// The registration flow as it stands (to show a page again without a step).
    pub fn registration_view(&self, flow_id: String) -> Result<RegistrationView, SsprError> {
        Ok(self.engine().registration_view_of(&flow_id)?.into())
    }

    /// Lifts an identifier's blocks (a help desk's action); `actor` names who acts, in the
    /// audit log.
    pub fn unblock(&self, identifier: String, actor: String) -> Result<(), SsprError> {
        Ok(self.engine().unblock(&identifier, &actor)?)
    }

    /// The check made at every sign-in. `client` (the caller's address) counts against the
    /// engine's per-client limit (`EngineSettings.client_limit`).
    #[uniffi::method(default(client = None))]
    pub fn sign_in_check(
        &self,
        username: String,
        password: String,
        client: Option<String>,
    ) -> Result<SignInCheck, SsprError> {
        let c = self.engine().sign_in_check(
            &username,
            &SecretString::new(password),
            client.as_deref(),
        )?;
        Ok(SignInCheck {
            registration_required: c.registration_required,
            reconfirm_due: c.reconfirm_due,
            rejection: c.rejection.map(|r| r.id().to_owned()),
            retry_after: c.retry_after,
            may_snooze: c.may_snooze,
            snoozes_left: c.snoozes_left,
        })
    }

    /// "Not now": puts off the registration (or re-confirmation) `sign_in_check` asked of
    /// `username` for the policy's `registration.snooze_days`, counting one of its
    /// `registration.snoozes`. Refused with `snooze.unavailable` (nothing saved) when
    /// `sign_in_check` would not offer it (`may_snooze` false). Call it for the user just
    /// signed in, never for a name someone typed: it takes no password.
    pub fn snooze_registration(&self, username: String) -> Result<SnoozeResult, SsprError> {
        Ok(self.engine().snooze_registration(&username)?.into())
    }

    /// "This wasn't me": redeems the token of a notice; revokes the user's flows and sessions
    /// and blocks self-service.
    pub fn report_not_me(&self, token: String) -> Result<ReportResult, SsprError> {
        let r = self.engine().report_not_me(&token)?;
        Ok(ReportResult {
            rejection: r.rejection.map(|r| r.id().to_owned()),
            blocked_until: r.blocked_until,
            warnings: r.warnings.iter().map(ToString::to_string).collect(),
        })
    }

    /// Re-authenticates the user and opens the wizard. `client` as at `sign_in_check`.
    #[uniffi::method(default(client = None))]
    pub fn start_registration(
        &self,
        username: String,
        password: String,
        client: Option<String>,
    ) -> Result<RegistrationResult, SsprError> {
        Ok(self
            .engine()
            .start_registration(&username, &SecretString::new(password), client.as_deref())?
            .into())
    }

    /// One step of the wizard.
    pub fn registration_step(
        &self,
        flow_id: String,
        input: RegistrationInput,
    ) -> Result<RegistrationResult, SsprError> {
        Ok(self
            .engine()
            .registration_step(&flow_id, input.into())?
            .into())
    }

    /// Replaces a user's security info with info registered elsewhere; validated and hashed
    /// like a registration, nothing stored when any field is refused.
    pub fn import_security_info(
        &self,
        user_id: String,
        import: SecurityInfoImport,
    ) -> Result<(), SsprError> {
        let app = import
            .app
            .map(|a| AppImport::standard(SecretString::new(a.secret_b32), a.device_id));
        let core = CoreImport {
            email: import.email,
            mobile: import.mobile,
            office: import.office,
            questions: secrets(import.questions),
            app,
            confirmed_at: import.confirmed_at,
        };
        Ok(self
            .engine()
            .import_security_info(&UserId::new(user_id), &core)?)
    }

    /// Assigns a hardware OATH TOTP token to the user, inactive until the user activates it
    /// with a current code in the wizard (`RegistrationInput.ActivateToken`); then it proves
    /// the `app_code` factor (it receives no pushes). At most five a user; a serial the user
    /// already holds is refused. Audited (`hardware_token_imported`) with `actor`. An input
    /// error for parameters other than SHA-1/SHA-256, 6/8 digits, 30/60 seconds, a bad seed
    /// or serial, or an unknown user.
    pub fn import_hardware_token(
        &self,
        user_id: String,
        token: HardwareTokenImport,
        actor: String,
    ) -> Result<(), SsprError> {
        let core = CoreTokenImport {
            serial: token.serial,
            secret_b32: SecretString::new(token.secret_b32),
            algorithm: token.algorithm.into(),
            digits: token.digits,
            period: token.period,
        };
        Ok(self
            .engine()
            .import_hardware_token(&UserId::new(user_id), &core, &actor)?)
    }

    /// "Change password": a user who knows the current password chooses a new one. The old
    /// password is counted and compared like any verification; the new one passes the reset's
    /// rules and history. Every open flow of the user ends, other sessions are signed out when
    /// the policy says so (`password_change.revoke_sessions`), and the user is told. What the
    /// user got wrong is a reason id in the result. `client` as at `sign_in_check`.
    #[uniffi::method(default(client = None))]
    pub fn change_password(
        &self,
        username: String,
        old: String,
        new: String,
        confirm: String,
        client: Option<String>,
    ) -> Result<PasswordChangeResult, SsprError> {
        Ok(self
            .engine()
            .change_password(
                &username,
                &SecretString::new(old),
                &SecretString::new(new),
                &SecretString::new(confirm),
                client.as_deref(),
            )?
            .into())
    }

    /// A help desk resets the user's password: a random temporary password passing the
    /// policy's rules, set in the directory to be changed at the next sign-in. The user's flows
    /// and sessions end, blocks are lifted, the user is told, and the audit event names
    /// `actor`. An input error when the user is not in the directory.
    pub fn reset_password_by_help_desk(
        &self,
        user_id: String,
        actor: String,
    ) -> Result<TemporaryPassword, SsprError> {
        Ok(self
            .engine()
            .reset_password_by_help_desk(&UserId::new(user_id), &actor)?
            .into())
    }

    /// A help desk issues a temporary access pass to the user, living `lifetime_s` seconds
    /// (600, 10 minutes, to 2592000, 30 days), usable once or until it expires; it replaces any
    /// pass outstanding. Only its keyed hash is stored; the audit event names `actor`.
    pub fn issue_access_pass(
        &self,
        user_id: String,
        actor: String,
        lifetime_s: u64,
        one_time: bool,
    ) -> Result<IssuedAccessPass, SsprError> {
        Ok(self
            .engine()
            .issue_access_pass(&UserId::new(user_id), &actor, lifetime_s, one_time)?
            .into())
    }

    /// Replaces this engine's policy; returns the dotted paths of the fields that changed,
    /// which the audit event records with `actor`. Waits for the calls in progress (they finish
    /// under the old policy); on an error the old policy stays.
    pub fn replace_policy(
        &self,
        policy: Arc<Policy>,
        actor: String,
    ) -> Result<Vec<String>, SsprError> {
        let mut engine = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        Ok(engine.replace_policy(policy.inner.clone(), &actor)?)
    }
}
