//! Importing security info registered elsewhere: a migration from another system, or an
//! administrator pre-filling a user's authentication contact info, as Entra ID lets them.

use std::collections::BTreeMap;

use super::Engine;
use crate::answers;
use crate::contact::{EmailAddress, PhoneNumber};
use crate::error::{Error, InputError};
use crate::otp::OtpAlgorithm;
use crate::ports::MessageKind;
use crate::secret::SecretString;
use crate::security_info::{AppCredential, RegisteredAnswer, SecretBytes, SecurityInfo};
use crate::totp::OtpParams;
use crate::user::UserId;

/// Most security answers one import may carry.
pub const MAX_IMPORTED_ANSWERS: usize = 20;
/// Fewest bytes in an imported authenticator secret (128 bits, RFC 4226 §4 R6).
pub const MIN_APP_SECRET_BYTES: usize = 16;

/// An authenticator app registered elsewhere.
#[derive(Clone, Debug)]
pub struct AppImport {
    /// The shared secret in base32.
    pub secret_b32: SecretString,
    /// The device id push notifications go to.
    pub device_id: String,
    /// The credential's parameters (SHA1, 6 digits, 30 s for almost every app).
    pub params: OtpParams,
}

impl AppImport {
    /// A SHA1, 6-digit, 30-second credential: what authenticator apps use.
    pub fn standard(secret_b32: SecretString, device_id: impl Into<String>) -> Self {
        Self {
            secret_b32,
            device_id: device_id.into(),
            params: OtpParams {
                algorithm: OtpAlgorithm::Sha1,
                digits: 6,
                period: 30,
            },
        }
    }
}

/// Security info to import, in plain form: sspr validates it, hashes the answers and stores it.
/// `Debug` shows which methods are present, never their values.
#[derive(Clone, Default)]
pub struct SecurityInfoImport {
    /// Alternate email address.
    pub email: Option<String>,
    /// Mobile phone, international form.
    pub mobile: Option<String>,
    /// Office phone, international form.
    pub office: Option<String>,
    /// Security questions (a predefined question's id or English text, or a custom question's
    /// text → answer); predefined questions are stored by id.
    pub questions: BTreeMap<String, SecretString>,
    /// Authenticator app.
    pub app: Option<AppImport>,
    /// When the user last confirmed the info (Unix seconds); `None` makes the next sign-in ask
    /// for confirmation as soon as the policy's re-confirmation period applies.
    pub confirmed_at: Option<u64>,
}

impl std::fmt::Debug for SecurityInfoImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityInfoImport")
            .field("email", &self.email.is_some())
            .field("mobile", &self.mobile.is_some())
            .field("office", &self.office.is_some())
            .field("questions", &self.questions.len())
            .field("app", &self.app.is_some())
            .field("confirmed_at", &self.confirmed_at)
            .finish()
    }
}

impl SecurityInfoImport {
    /// Validates every field and hashes the answers into a record, without storing it.
    pub(crate) fn build(&self, engine: &Engine) -> Result<SecurityInfo, Error> {
        let mut info = SecurityInfo {
            email: self.email.as_deref().map(EmailAddress::parse).transpose()?,
            mobile: self.mobile.as_deref().map(PhoneNumber::parse).transpose()?,
            office: self.office.as_deref().map(PhoneNumber::parse).transpose()?,
            confirmed_at: self.confirmed_at,
            ..SecurityInfo::default()
        };
        if self.questions.len() > MAX_IMPORTED_ANSWERS {
            return Err(InputError::TooLong {
                what: "imported security answers",
                max: MAX_IMPORTED_ANSWERS,
            }
            .into());
        }
        for (question, answer) in &self.questions {
            let question = question.trim();
            if question.is_empty() || question.chars().count() > 200 {
                return Err(InputError::Malformed {
                    what: "security question",
                    problem: "must have 1 to 200 characters",
                }
                .into());
            }
            answers::validate(answer.expose())?;
            info.questions.push(RegisteredAnswer {
                question: crate::questions::canonical(question),
                answer_hash: answers::hash(
                    answer.expose(),
                    &engine.options.hash_params,
                    engine.ports.randomness.as_ref(),
                )?,
            });
        }
        if info.mobile.is_some() && info.mobile == info.office {
            return Err(InputError::Malformed {
                what: "phone numbers",
                problem: "the mobile and the office phone must be different numbers",
            }
            .into());
        }
        if let Some(app) = &self.app {
            app.params.validate()?;
            let secret = SecretBytes::from_base32(app.secret_b32.expose())?;
            if secret.expose().len() < MIN_APP_SECRET_BYTES {
                return Err(InputError::Malformed {
                    what: "authenticator secret",
                    problem: "must have at least 128 bits",
                }
                .into());
            }
            let device_id = app.device_id.trim();
            if device_id.is_empty() || device_id.len() > 256 {
                return Err(InputError::Malformed {
                    what: "device id",
                    problem: "must have 1 to 256 bytes",
                }
                .into());
            }
            info.apps = vec![AppCredential {
                secret,
                algorithm: app.params.algorithm,
                digits: app.params.digits,
                period: app.params.period,
                last_step: None,
                device_id: device_id.to_owned(),
            }];
        }
        // Every bound a stored record is held to, so that what is stored can be read back.
        SecurityInfo::from_record(&info.to_record())?;
        Ok(info)
    }
}

impl Engine {
    /// Replaces `user`'s security info with `import` (validated, answers hashed). The user must
    /// be in the directory. Like any change of security info it ends every open flow of the
    /// user (the revocation epoch goes up) and is told to the account's own mailbox and every
    /// contact registered before it, with a "this wasn't me" token. Stored by compare-and-set
    /// against what was read, so a concurrent registration is never silently overwritten: a
    /// lost race fails with a port conflict and changes nothing.
    pub fn import_security_info(
        &self,
        user: &UserId,
        import: &SecurityInfoImport,
    ) -> Result<(), Error> {
        super::trace::call("import_security_info", "security_info", None).run(|| {
            let Some(directory_user) = self.ports.directory.user(user.clone())? else {
                return Err(InputError::Malformed {
                    what: "user",
                    problem: "is not in the directory",
                }
                .into());
            };
            let mut info = import.build(self)?;
            let (old, version) = self.load_info(user)?;
            info.epoch = old.epoch.saturating_add(1);
            info.epoch_owner = None;
            let now = self.now()?;
            let notices = crate::registration::notices_for(&old, None, &directory_user.username);
            let token =
                if notices.is_empty() || old == crate::security_info::SecurityInfo::default() {
                    None
                } else {
                    Some(self.prepare_notice(user, MessageKind::SecurityInfoChanged, now)?)
                };
            self.save_info(user, &info, version)?;
            if let Some(token) = token {
                let mut warnings = Vec::new();
                self.send_notices(
                    user,
                    MessageKind::SecurityInfoChanged,
                    &notices,
                    &token,
                    None,
                    now,
                    &mut warnings,
                );
            }
            Ok(())
        })
    }
}

/// A hardware OATH TOTP token an administrator assigns to a user (Entra's "Hardware OATH
/// tokens" import): stored inactive until the user activates it in the registration wizard
/// with a current code ([`RegistrationInput::ActivateToken`](crate::registration::RegistrationInput::ActivateToken)).
/// `Debug` never shows the seed.
#[derive(Clone)]
pub struct HardwareTokenImport {
    /// The serial number printed on the token (1 to 64 printable ASCII characters).
    pub serial: String,
    /// The seed in base32 (16 to 128 bytes).
    pub secret_b32: SecretString,
    /// SHA-1 or SHA-256.
    pub algorithm: OtpAlgorithm,
    /// 6 or 8 digits.
    pub digits: u8,
    /// 30 or 60 seconds.
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

impl Engine {
    /// Assigns a hardware OATH TOTP token to `user`, inactive until the user activates it with
    /// a current code in the registration wizard; then it proves the `app_code` factor like an
    /// authenticator app (it receives no pushes). At most
    /// [`MAX_TOKENS`](crate::engine::MAX_TOKENS) a user; a serial the user already holds is
    /// refused. Audited (`hardware_token_imported`) with `actor`. Errors: parameters other
    /// than SHA-1/SHA-256, 6/8 digits, 30/60 seconds, a bad seed or serial, an unknown user.
    pub fn import_hardware_token(
        &self,
        user: &UserId,
        token: &HardwareTokenImport,
        actor: &str,
    ) -> Result<(), Error> {
        super::trace::call("import_hardware_token", "user", None).run(|| {
            let actor = super::help_desk::actor(actor)?;
            let bad = |problem: &'static str| -> Error {
                InputError::Malformed {
                    what: "hardware token",
                    problem,
                }
                .into()
            };
            if token.secret_b32.expose().len() > 1024 {
                return Err(bad("the seed is longer than 128 bytes"));
            }
            let secret = SecretBytes::from_base32(token.secret_b32.expose())
                .map_err(|_| bad("the seed is not base32"))?;
            let record = crate::security_info::HardwareToken {
                serial: token.serial.trim().to_owned(),
                secret,
                algorithm: token.algorithm,
                digits: token.digits,
                period: token.period,
                last_step: None,
                activated: false,
            };
            if !record.valid() {
                return Err(bad(
                    "must be SHA-1 or SHA-256, 6 or 8 digits, 30 or 60 seconds, a seed of 16 to \
                     128 bytes and a serial of 1 to 64 printable characters",
                ));
            }
            if self.ports.directory.user(user.clone())?.is_none() {
                return Err(InputError::Malformed {
                    what: "user",
                    problem: "is not in the directory",
                }
                .into());
            }
            let now = self.now()?;
            let refused = std::cell::Cell::new(None);
            self.update_info(user, |info| {
                refused.set(None);
                if info.tokens.iter().any(|t| t.serial == record.serial) {
                    refused.set(Some("the user already holds a token with this serial"));
                } else if info.tokens.len() >= crate::security_info::MAX_TOKENS {
                    refused.set(Some("the user already holds 5 hardware tokens"));
                } else {
                    info.tokens.push(record.clone());
                }
            })?;
            if let Some(problem) = refused.get() {
                return Err(bad(problem));
            }
            let mut ev =
                crate::audit::AuditEvent::new(now, crate::audit::AuditKind::HardwareTokenImported);
            ev.user = Some(user.clone());
            ev.actor = Some(actor);
            self.audit(ev, &mut Vec::new());
            Ok(())
        })
    }
}
