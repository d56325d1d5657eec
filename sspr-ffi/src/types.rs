//! Value types crossing the boundary: enums for options and methods, records for users,
//! records, messages and verdicts.

use sspr_core::password::{BreachStatus, PasswordVerdict as CoreVerdict};
use sspr_core::ports::{Message as CoreMessage, Record as CoreRecord};
use sspr_core::{DirectoryUser as CoreUser, UserId};

/// A reset option offered at a verification gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ResetOption {
    /// A code by email to the alternate address.
    Email,
    /// A code by text to the mobile phone.
    MobileText,
    /// A code read out by a call to the mobile phone.
    MobileCall,
    /// A code read out by a call to the office phone.
    OfficeCall,
    /// A code from the authenticator app.
    AppCode,
    /// An approval request to the authenticator app.
    AppNotification,
    /// Security questions.
    SecurityQuestions,
    /// Enter a recovery code.
    RecoveryCode,
}

impl From<ResetOption> for sspr_core::ResetOption {
    fn from(o: ResetOption) -> Self {
        match o {
            ResetOption::Email => Self::Email,
            ResetOption::MobileText => Self::MobileText,
            ResetOption::MobileCall => Self::MobileCall,
            ResetOption::OfficeCall => Self::OfficeCall,
            ResetOption::AppCode => Self::AppCode,
            ResetOption::AppNotification => Self::AppNotification,
            ResetOption::SecurityQuestions => Self::SecurityQuestions,
            ResetOption::RecoveryCode => Self::RecoveryCode,
        }
    }
}

impl From<sspr_core::ResetOption> for ResetOption {
    fn from(o: sspr_core::ResetOption) -> Self {
        use sspr_core::ResetOption as C;
        match o {
            C::Email => Self::Email,
            C::MobileText => Self::MobileText,
            C::MobileCall => Self::MobileCall,
            C::OfficeCall => Self::OfficeCall,
            C::AppCode => Self::AppCode,
            C::AppNotification => Self::AppNotification,
            C::SecurityQuestions => Self::SecurityQuestions,
            C::RecoveryCode => Self::RecoveryCode,
        }
    }
}

/// A registrable authentication method (the policy's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Method {
    /// Authenticator app notification.
    AppNotification,
    /// Authenticator app code.
    AppCode,
    /// Alternate email.
    Email,
    /// Mobile phone (text or call).
    MobilePhone,
    /// Office phone (call).
    OfficePhone,
    /// Security questions.
    SecurityQuestions,
    /// Ten single-use recovery codes, shown once.
    RecoveryCodes,
}

impl From<Method> for sspr_core::Method {
    fn from(m: Method) -> Self {
        match m {
            Method::AppNotification => Self::AppNotification,
            Method::AppCode => Self::AppCode,
            Method::Email => Self::Email,
            Method::MobilePhone => Self::MobilePhone,
            Method::OfficePhone => Self::OfficePhone,
            Method::SecurityQuestions => Self::SecurityQuestions,
            Method::RecoveryCodes => Self::RecoveryCodes,
        }
    }
}

impl From<sspr_core::Method> for Method {
    fn from(m: sspr_core::Method) -> Self {
        use sspr_core::Method as C;
        match m {
            C::AppNotification => Self::AppNotification,
            C::AppCode => Self::AppCode,
            C::Email => Self::Email,
            C::MobilePhone => Self::MobilePhone,
            C::OfficePhone => Self::OfficePhone,
            C::SecurityQuestions => Self::SecurityQuestions,
            C::RecoveryCodes => Self::RecoveryCodes,
        }
    }
}

/// The policy name of a method (`mobile_phone`), as reason ids and documents spell it.
#[uniffi::export]
pub fn method_id(method: Method) -> String {
    sspr_core::Method::from(method).id().to_owned()
}

/// The id of a reset option (`mobile_text`).
#[uniffi::export]
pub fn reset_option_id(option: ResetOption) -> String {
    sspr_core::ResetOption::from(option).id().to_owned()
}

/// A user in the host's directory.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DirectoryUser {
    /// Stable id.
    pub id: String,
    /// Sign-in name (usually an email address); account notifications go here.
    pub username: String,
    /// Given name (banned-password check).
    pub first_name: String,
    /// Family name (banned-password check).
    pub last_name: String,
    /// Organisation display name (banned-password check).
    pub org_name: String,
    /// Groups (scope the policy).
    pub groups: Vec<String>,
    /// Holds an administrator role: two gates, never security questions.
    pub admin: bool,
}

impl From<DirectoryUser> for CoreUser {
    fn from(u: DirectoryUser) -> Self {
        Self {
            id: UserId::new(u.id),
            username: u.username,
            first_name: u.first_name,
            last_name: u.last_name,
            org_name: u.org_name,
            groups: u.groups,
            admin: u.admin,
        }
    }
}

impl From<CoreUser> for DirectoryUser {
    fn from(u: CoreUser) -> Self {
        Self {
            id: u.id.as_str().to_owned(),
            username: u.username,
            first_name: u.first_name,
            last_name: u.last_name,
            org_name: u.org_name,
            groups: u.groups,
            admin: u.admin,
        }
    }
}

/// A versioned record, as the flow and security-info stores hold it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoredRecord {
    /// The JSON document sspr wrote (opaque to the store).
    pub data: String,
    /// 1 when created, one more at each save.
    pub version: u64,
}

impl From<StoredRecord> for CoreRecord {
    fn from(r: StoredRecord) -> Self {
        Self {
            data: r.data,
            version: r.version,
        }
    }
}

impl From<CoreRecord> for StoredRecord {
    fn from(r: CoreRecord) -> Self {
        Self {
            data: r.data,
            version: r.version,
        }
    }
}

/// A message for the host to render and deliver.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Message {
    /// Unique id; a retried delivery carries the same id.
    pub id: String,
    /// `email`, `sms`, `voice` or `push`.
    pub channel: String,
    /// Address, E.164 number or device id.
    pub to: String,
    /// `code`, `approval_request`, `password_changed`, `admin_password_changed` or
    /// `security_info_changed`.
    pub kind: String,
    /// The user it concerns.
    pub user: String,
    /// The verification code, for kind `code`.
    pub code: Option<String>,
    /// The approval request's id, for kind `approval_request`.
    pub approval_request_id: Option<String>,
    /// The number the sign-in screen shows, for kind `approval_request`.
    pub approval_number: Option<u8>,
    /// For `admin_password_changed`: the administrator whose password changed.
    pub subject: Option<String>,
    /// A "this wasn't me" token, when the host offers the link.
    pub revoke_token: Option<String>,
    /// For an emailed reset code: the token of its verification link. Put it in a URL of
    /// your own page, which asks the user to confirm in the browser holding the flow and then
    /// steps `ResetInput.ConfirmLink`; opening the page must not (mail scanners open links).
    #[uniffi(default)]
    pub link_token: Option<String>,
    /// When sspr created it (Unix seconds).
    pub created_at: u64,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl From<&CoreMessage> for Message {
    fn from(m: &CoreMessage) -> Self {
        Self {
            id: m.id.clone(),
            channel: m.channel.id().to_owned(),
            to: m.to.clone(),
            kind: m.kind.id().to_owned(),
            user: m.user.as_str().to_owned(),
            code: m.code.as_ref().map(|c| c.expose().to_owned()),
            approval_request_id: m.approval.as_ref().map(|a| a.request_id.clone()),
            approval_number: m.approval.as_ref().map(|a| a.number),
            subject: m.subject.clone(),
            revoke_token: m.revoke_token.as_ref().map(|t| t.expose().to_owned()),
            link_token: m.link_token.as_ref().map(|t| t.expose().to_owned()),
            created_at: m.created_at,
        }
    }
}

/// A new password for the directory to set. Its `toString` shows nothing of it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct PasswordChange {
    /// Unique id; a retried call carries the same id: apply it once.
    pub change_id: String,
    /// The new password, to hash with the directory's own scheme.
    pub password: String,
    /// The argon2id PHC hash to append to the password history.
    pub history_hash: String,
    /// When the change was first requested (Unix seconds): do not apply a change older than
    /// the last one applied.
    pub requested_at: u64,
    /// A temporary password a help desk set: make the user change it at the next sign-in.
    pub must_change: bool,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange").finish_non_exhaustive()
    }
}

/// A `(suffix, count)` answer of a breached-password range query.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BreachedSuffix {
    /// The SHA-1 hex after the five-character prefix, upper case.
    pub suffix: String,
    /// Times seen in breaches.
    pub count: u64,
}

/// The verdict on a new password.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PasswordVerdict {
    /// Whether every rule passed.
    pub accepted: bool,
    /// Every failing reason id (`password.too_short`, ...), in a fixed order.
    pub reasons: Vec<String>,
    /// Code points after NFKC.
    pub length: u32,
    /// Character classes used (0 to 4).
    pub classes: u8,
    /// The Entra banned-password score (none when too long to score).
    pub banned_score: Option<u32>,
    /// log10 of the estimated guesses (none when too long to estimate).
    pub guesses_log10: Option<f64>,
    /// 0 to 4 strength meter.
    pub meter: u8,
    /// Warning message id.
    pub warning: Option<String>,
    /// Suggestion message ids.
    pub suggestions: Vec<String>,
    /// `not_checked`, `clean`, `breached` or `unavailable`.
    pub breach: String,
}

impl From<&CoreVerdict> for PasswordVerdict {
    fn from(v: &CoreVerdict) -> Self {
        Self {
            accepted: v.accepted(),
            reasons: v.reasons.iter().map(|r| r.id().to_owned()).collect(),
            length: u32::try_from(v.length).unwrap_or(u32::MAX),
            classes: v.classes,
            banned_score: v.banned_score,
            guesses_log10: v.guesses_log10,
            meter: v.meter,
            warning: v.feedback.warning.map(|m| m.id().to_owned()),
            suggestions: v
                .feedback
                .suggestions
                .iter()
                .map(|m| m.id().to_owned())
                .collect(),
            breach: match v.breach {
                BreachStatus::NotChecked => "not_checked",
                BreachStatus::Clean => "clean",
                BreachStatus::Breached { .. } => "breached",
                BreachStatus::Unavailable => "unavailable",
            }
            .to_owned(),
        }
    }
}

/// Argon2id cost for security answers and password history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct HashParams {
    /// Memory in KiB (at least 8 × parallelism).
    pub memory_kib: u32,
    /// Passes (at least 1).
    pub iterations: u32,
    /// Lanes (at least 1).
    pub parallelism: u32,
}

impl From<HashParams> for sspr_core::hashing::HashParams {
    fn from(p: HashParams) -> Self {
        Self {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
        }
    }
}

/// The OWASP recommendation (19 MiB, 2 passes, 1 lane): the production default.
#[uniffi::export]
pub fn hash_params_owasp() -> HashParams {
    let p = sspr_core::hashing::HashParams::default();
    HashParams {
        memory_kib: p.memory_kib,
        iterations: p.iterations,
        parallelism: p.parallelism,
    }
}

/// The cheapest parameters argon2 accepts: for tests only.
#[uniffi::export]
pub fn hash_params_insecure_for_tests() -> HashParams {
    let p = sspr_core::hashing::HashParams::insecure_for_tests();
    HashParams {
        memory_kib: p.memory_kib,
        iterations: p.iterations,
        parallelism: p.parallelism,
    }
}

/// An HMAC for OTP codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OtpAlgorithm {
    /// HMAC-SHA1 (what authenticator apps use).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl From<OtpAlgorithm> for sspr_core::otp::OtpAlgorithm {
    fn from(a: OtpAlgorithm) -> Self {
        match a {
            OtpAlgorithm::Sha1 => Self::Sha1,
            OtpAlgorithm::Sha256 => Self::Sha256,
            OtpAlgorithm::Sha512 => Self::Sha512,
        }
    }
}
