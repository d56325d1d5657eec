//! The policy document, password rules, one-time passwords and argon2id hashing.

use std::sync::Arc;

use sspr_core::hashing;
use sspr_core::memory::OsRandomness;
use sspr_core::otp::{Credential, OtpParams, SecretBytes, TotpCheck};
use sspr_core::password::{BreachMode, PasswordRules, UserFacts as CoreFacts};

use crate::error::SsprError;
use crate::ports::{BreachChecker, breach_checker};
use crate::types::{HashParams, OtpAlgorithm, PasswordVerdict};

/// A validated policy document.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Eq)]
pub struct Policy {
    pub(crate) inner: sspr_core::Policy,
}

impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl Eq for Policy {}

#[uniffi::export]
impl Policy {
    /// The default policy (the empty document).
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: sspr_core::Policy::default(),
        })
    }

    /// Parses JSON if the text starts with `{`, TOML otherwise. Errors name the dotted field.
    #[uniffi::constructor]
    pub fn parse(text: String) -> Result<Arc<Self>, SsprError> {
        Ok(Arc::new(Self {
            inner: sspr_core::Policy::parse(&text)?,
        }))
    }

    /// Parses TOML.
    #[uniffi::constructor]
    pub fn from_toml(text: String) -> Result<Arc<Self>, SsprError> {
        Ok(Arc::new(Self {
            inner: sspr_core::Policy::from_toml(&text)?,
        }))
    }

    /// Parses JSON.
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<Self>, SsprError> {
        Ok(Arc::new(Self {
            inner: sspr_core::Policy::from_json(&text)?,
        }))
    }

    /// The effective policy, every default filled in, as JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json().to_string()
    }

    /// The effective policy as TOML.
    pub fn to_toml(&self) -> String {
        self.inner.to_toml()
    }
}

/// What the banned-password check knows about the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct UserFacts {
    /// Sign-in name.
    pub username: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Organisation name.
    pub org_name: String,
}

/// Applies a policy's password rules to a new password: length, classes, banned-password
/// score, guessability, `history` (argon2 PHC hashes, newest first) and, when the policy asks,
/// breaches through `breach` (required then: a misuse error without it; `fail_closed`: a
/// failing service refuses).
#[uniffi::export]
pub fn evaluate_password(
    policy: Arc<Policy>,
    password: String,
    confirm: String,
    user: UserFacts,
    history: Vec<String>,
    breach: Option<Arc<dyn BreachChecker>>,
    fail_closed: bool,
) -> Result<PasswordVerdict, SsprError> {
    let facts = CoreFacts {
        username: user.username,
        first_name: user.first_name,
        last_name: user.last_name,
        org_name: user.org_name,
    };
    let mode = if fail_closed {
        BreachMode::FailClosed
    } else {
        BreachMode::FailOpen
    };
    let checker = breach.map(breach_checker);
    let breach = checker
        .as_ref()
        .map(|c| (c as &dyn sspr_core::ports::BreachChecker, mode));
    let verdict = PasswordRules::new(policy.inner.password()).check(
        &password,
        &confirm,
        &facts,
        |_| Ok(history),
        breach,
    )?;
    Ok(PasswordVerdict::from(&verdict))
}

fn credential(
    secret_b32: &str,
    algorithm: OtpAlgorithm,
    digits: u8,
    period: u32,
) -> Result<Credential, SsprError> {
    let params = OtpParams {
        algorithm: algorithm.into(),
        digits,
        period,
    };
    Ok(Credential::new(
        SecretBytes::from_base32(secret_b32)?,
        params,
    )?)
}

/// The HOTP code for `counter` (RFC 4226).
#[uniffi::export]
pub fn hotp(
    secret_b32: String,
    counter: u64,
    algorithm: OtpAlgorithm,
    digits: u8,
) -> Result<String, SsprError> {
    Ok(credential(&secret_b32, algorithm, digits, 30)?.hotp(counter)?)
}

/// The TOTP code at Unix time `t` (RFC 6238).
#[uniffi::export]
pub fn totp_code(
    secret_b32: String,
    t: u64,
    algorithm: OtpAlgorithm,
    digits: u8,
    period: u32,
) -> Result<String, SsprError> {
    Ok(credential(&secret_b32, algorithm, digits, period)?.at(t)?)
}

/// The outcome of checking an authenticator code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TotpResult {
    /// Whether the code is accepted.
    pub valid: bool,
    /// The matched step, when valid.
    pub step: Option<u64>,
    /// `totp.malformed`, `totp.invalid` or `totp.replay` when refused.
    pub reason: Option<String>,
}

/// Checks an authenticator code at Unix time `t` within `skew` steps, refusing steps not newer
/// than `last_step` (replays). Constant time over the window.
#[uniffi::export]
#[allow(clippy::too_many_arguments)]
pub fn verify_totp(
    secret_b32: String,
    code: String,
    t: u64,
    algorithm: OtpAlgorithm,
    digits: u8,
    period: u32,
    skew: u8,
    last_step: Option<u64>,
) -> Result<TotpResult, SsprError> {
    let check =
        credential(&secret_b32, algorithm, digits, period)?.verify(&code, t, skew, last_step)?;
    Ok(TotpResult {
        valid: matches!(check, TotpCheck::Valid { .. }),
        step: check.step(),
        reason: check.reason().map(|r| r.id().to_owned()),
    })
}

/// Hashes a secret with argon2id into a PHC string (salt from the operating system).
#[uniffi::export]
pub fn hash_secret(secret: String, params: HashParams) -> Result<String, SsprError> {
    Ok(hashing::hash(
        secret.as_bytes(),
        &params.into(),
        &OsRandomness,
    )?)
}

/// Whether `secret` matches an argon2 PHC string.
#[uniffi::export]
pub fn verify_secret(secret: String, phc: String) -> Result<bool, SsprError> {
    Ok(hashing::verify(secret.as_bytes(), &phc)?)
}

/// The library's version.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
