//! A user's registered security info: what the "keep your account secure" wizard collects.
//!
//! Stored through the [`SecurityInfoStore`](crate::ports::SecurityInfoStore) port as an opaque,
//! versioned JSON record ([`SecurityInfo::to_record`], [`SecurityInfo::from_record`]). The record
//! holds the authenticator secret and answer hashes, so hosts must protect it like a password
//! hash; `Debug` never shows any of it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::contact::{EmailAddress, PhoneNumber};
use crate::error::InputError;
use crate::method::Method;
use crate::otp::OtpAlgorithm;

/// Format version of the stored record.
pub(crate) const SECURITY_INFO_FORMAT: u16 = 1;
/// The largest stored record read back, in bytes; a longer one is refused as corrupt.
pub(crate) const MAX_RECORD_BYTES: usize = 64 * 1024;
/// The longest device id accepted, in bytes.
pub(crate) const MAX_DEVICE_ID_BYTES: usize = 256;
/// The most security answers a record may hold.
pub(crate) const MAX_STORED_ANSWERS: usize = 20;
/// The most authenticator apps a user may register (Entra allows five).
pub const MAX_APPS: usize = 5;
/// The most hardware OATH tokens a user may hold.
pub const MAX_TOKENS: usize = 5;
/// The longest token serial number, in bytes.
pub const MAX_SERIAL_BYTES: usize = 64;
/// The most snoozes a record may count.
pub(crate) const MAX_SNOOZES: u32 = 10_000;
/// The longest question id or custom question text, in characters.
pub(crate) const MAX_QUESTION_CHARS: usize = 200;

/// Secret bytes (an authenticator key): zeroised on drop, redacted in `Debug`, stored as base32.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Decodes RFC 4648 base32 (upper or lower case, padding and spaces optional).
    pub fn from_base32(s: &str) -> Result<Self, InputError> {
        let cleaned: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map(Self)
            .map_err(|_| InputError::Malformed {
                what: "base32 secret",
                problem: "is not RFC 4648 base32",
            })
    }

    /// The secret in base32 without padding, as authenticator apps take it.
    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The bytes. Never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

impl Serialize for SecretBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base32())
    }
}

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_base32(&s).map_err(serde::de::Error::custom)
    }
}

/// One registered security question: which question, and the argon2id PHC hash of the
/// normalised answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredAnswer {
    /// The question's id: a predefined question's id or a custom question's text.
    pub question: String,
    /// PHC string of the normalised answer's argon2id hash.
    pub answer_hash: String,
}

impl fmt::Debug for RegisteredAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredAnswer")
            .field("question", &self.question)
            .finish_non_exhaustive()
    }
}

/// A registered authenticator app: its TOTP credential and the device that receives pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppCredential {
    /// The shared TOTP key (160 bits when sspr creates it).
    pub secret: SecretBytes,
    /// HMAC hash.
    pub algorithm: OtpAlgorithm,
    /// Digits per code (6 to 10).
    pub digits: u8,
    /// Seconds per time step.
    pub period: u32,
    /// The step of the last accepted code; a code from this step or an earlier one is a replay.
    pub last_step: Option<u64>,
    /// The device id push notifications are addressed to.
    pub device_id: String,
}

/// A hardware OATH TOTP token an administrator imported (RFC 6238: SHA-1 or SHA-256, 6 or 8
/// digits, 30 or 60 seconds). It proves the `app_code` factor once the user activates it with a
/// current code; it receives no pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardwareToken {
    /// The serial number printed on the token.
    pub serial: String,
    /// The token's seed.
    pub secret: SecretBytes,
    /// HMAC hash: SHA-1 or SHA-256.
    pub algorithm: OtpAlgorithm,
    /// Digits per code: 6 or 8.
    pub digits: u8,
    /// Seconds per time step: 30 or 60.
    pub period: u32,
    /// The step of the last accepted code.
    pub last_step: Option<u64>,
    /// Whether the user activated it with a current code (only then does it prove anything).
    pub activated: bool,
}

impl HardwareToken {
    /// Whether the parameters are a hardware token's: SHA-1 or SHA-256, 6 or 8 digits, 30 or
    /// 60 seconds, a seed of 16 to 128 bytes and a serial of 1 to 64 printable bytes.
    pub(crate) fn valid(&self) -> bool {
        matches!(self.algorithm, OtpAlgorithm::Sha1 | OtpAlgorithm::Sha256)
            && matches!(self.digits, 6 | 8)
            && matches!(self.period, 30 | 60)
            && (16..=128).contains(&self.secret.expose().len())
            && !self.serial.is_empty()
            && self.serial.len() <= MAX_SERIAL_BYTES
            && self.serial.chars().all(|c| c.is_ascii_graphic())
    }
}

/// A temporary access pass a help desk issued: never the pass itself, only its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPass {
    /// The pass's keyed reference under the engine's identity key.
    pub digest: String,
    /// When it was issued (Unix seconds).
    pub issued_at: u64,
    /// When it stops working (Unix seconds).
    pub expires_at: u64,
    /// Whether it works once only (then it is removed when used).
    pub one_time: bool,
}

/// Everything a user has registered.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(from = "StoredInfo")]
pub struct SecurityInfo {
    /// Alternate email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    /// Mobile phone (text or call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<PhoneNumber>,
    /// Office phone (call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<PhoneNumber>,
    /// Security questions with hashed answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<RegisteredAnswer>,
    /// Authenticator apps, in the order registered (at most [`MAX_APPS`]); the first
    /// receives a reset's or a proof's push. Records from before several apps were allowed
    /// hold one `app`, read as the only one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppCredential>,
    /// Hardware OATH tokens an administrator imported (at most [`MAX_TOKENS`]); an activated
    /// one proves the `app_code` factor like an app.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<HardwareToken>,
    /// The method the user prefers to be offered first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_method: Option<Method>,
    /// When the user last registered or re-confirmed their info (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<u64>,
    /// The revocation epoch: raised by every change of security info, every completed reset
    /// and every "this wasn't me" report. A flow opened under an older epoch is over.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epoch: u64,
    /// The reference of the flow that raised the epoch last (it goes on under the new epoch),
    /// or `None` when no flow may.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_owner: Option<String>,
    /// A temporary access pass the help desk issued, if one is outstanding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_pass: Option<AccessPass>,
    /// The keyed digests of the recovery codes not used yet (at most ten; never the codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_codes: Vec<String>,
    /// The user put registration off ("not now"): how often, and until when. Cleared when the
    /// user finishes the wizard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snooze: Option<Snooze>,
}

/// A stored record as written by any version: one `app` (older records) or `apps`.
#[derive(Deserialize)]
struct StoredInfo {
    #[serde(default)]
    email: Option<EmailAddress>,
    #[serde(default)]
    mobile: Option<PhoneNumber>,
    #[serde(default)]
    office: Option<PhoneNumber>,
    #[serde(default)]
    questions: Vec<RegisteredAnswer>,
    #[serde(default)]
    app: Option<AppCredential>,
    #[serde(default)]
    apps: Vec<AppCredential>,
    #[serde(default)]
    tokens: Vec<HardwareToken>,
    #[serde(default)]
    default_method: Option<Method>,
    #[serde(default)]
    confirmed_at: Option<u64>,
    #[serde(default)]
    epoch: u64,
    #[serde(default)]
    epoch_owner: Option<String>,
    #[serde(default)]
    access_pass: Option<AccessPass>,
    #[serde(default)]
    snooze: Option<Snooze>,
    #[serde(default)]
    recovery_codes: Vec<String>,
}

impl From<StoredInfo> for SecurityInfo {
    fn from(s: StoredInfo) -> Self {
        let mut apps: Vec<AppCredential> = s.app.into_iter().collect();
        apps.extend(s.apps);
        Self {
            email: s.email,
            mobile: s.mobile,
            office: s.office,
            // Records from before stable question ids name predefined questions by their
            // English text: read them by id (the answer hashes do not depend on it).
            questions: s
                .questions
                .into_iter()
                .map(|q| RegisteredAnswer {
                    question: crate::questions::canonical(&q.question),
                    answer_hash: q.answer_hash,
                })
                .collect(),
            apps,
            tokens: s.tokens,
            default_method: s.default_method,
            confirmed_at: s.confirmed_at,
            epoch: s.epoch,
            epoch_owner: s.epoch_owner,
            access_pass: s.access_pass,
            snooze: s.snooze,
            recovery_codes: s.recovery_codes,
        }
    }
}

/// Registration put off at sign-in ([`Engine::snooze_registration`](crate::engine::Engine::snooze_registration)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snooze {
    /// How many times the user put it off since they last finished the wizard.
    pub count: u32,
    /// Until when sign-in does not ask (Unix seconds).
    pub until: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl fmt::Debug for SecurityInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityInfo")
            .field("email", &self.email)
            .field("mobile", &self.mobile)
            .field("office", &self.office)
            .field("questions", &self.questions.len())
            .field("apps", &self.apps.len())
            .field("tokens", &self.tokens.len())
            .field("default_method", &self.default_method)
            .field("confirmed_at", &self.confirmed_at)
            .field("epoch", &self.epoch)
            .field(
                "access_pass",
                &self.access_pass.as_ref().map(|p| p.expires_at),
            )
            .field("recovery_codes", &self.recovery_codes.len())
            .field("snooze", &self.snooze)
            .finish()
    }
}

/// The stored record: `{"v": 1, "info": {...}}`.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u16,
    info: T,
}

impl SecurityInfo {
    /// Whether `method` is registered. Security questions count once at least `questions_needed`
    /// answers are registered.
    pub fn has(&self, method: Method, questions_needed: u8) -> bool {
        match method {
            Method::Email => self.email.is_some(),
            Method::MobilePhone => self.mobile.is_some(),
            Method::OfficePhone => self.office.is_some(),
            Method::AppCode => !self.apps.is_empty() || self.tokens.iter().any(|t| t.activated),
            Method::AppNotification => !self.apps.is_empty(),
            Method::SecurityQuestions => {
                !self.questions.is_empty() && self.questions.len() >= usize::from(questions_needed)
            }
            Method::RecoveryCodes => !self.recovery_codes.is_empty(),
        }
    }

    /// The methods out of `enabled` that are registered, in `enabled`'s order.
    pub fn registered(&self, enabled: &[Method], questions_needed: u8) -> Vec<Method> {
        enabled
            .iter()
            .copied()
            .filter(|m| self.has(*m, questions_needed))
            .collect()
    }

    /// The authenticator app that receives pushes: the first registered.
    pub fn app(&self) -> Option<&AppCredential> {
        self.apps.first()
    }

    /// Where a sending option reaches the user, as registered: the channel and the address,
    /// number or device id (`None` for an option that sends nothing, or one not registered).
    pub fn destination(
        &self,
        option: crate::method::ResetOption,
    ) -> Option<(crate::ports::Channel, String)> {
        use crate::method::ResetOption as O;
        use crate::ports::Channel;
        match option {
            O::Email => self
                .email
                .as_ref()
                .map(|e| (Channel::Email, e.as_str().to_owned())),
            O::MobileText => self.mobile.as_ref().map(|p| (Channel::Sms, p.e164())),
            O::MobileCall => self.mobile.as_ref().map(|p| (Channel::Voice, p.e164())),
            O::OfficeCall => self.office.as_ref().map(|p| (Channel::Voice, p.e164())),
            O::AppNotification => self.app().map(|a| (Channel::Push, a.device_id.clone())),
            O::AppCode | O::SecurityQuestions | O::RecoveryCode => None,
        }
    }

    /// Every credential a code of the `app_code` factor may come from: the apps, then the
    /// activated hardware tokens, as (index, secret, parameters, last step). The index names
    /// the credential for [`last_step_mut`](Self::last_step_mut): apps first, then tokens.
    pub(crate) fn code_credentials(
        &self,
    ) -> Vec<(usize, &[u8], crate::totp::OtpParams, Option<u64>)> {
        let apps = self.apps.iter().map(|a| {
            (
                a.secret.expose(),
                crate::totp::OtpParams {
                    algorithm: a.algorithm,
                    digits: a.digits,
                    period: a.period,
                },
                a.last_step,
                true,
            )
        });
        let tokens = self.tokens.iter().map(|t| {
            (
                t.secret.expose(),
                crate::totp::OtpParams {
                    algorithm: t.algorithm,
                    digits: t.digits,
                    period: t.period,
                },
                t.last_step,
                t.activated,
            )
        });
        apps.chain(tokens)
            .enumerate()
            .filter(|(_, c)| c.3)
            .map(|(i, (secret, params, last, _))| (i, secret, params, last))
            .collect()
    }

    /// The last accepted step of credential `index` of [`code_credentials`](Self::code_credentials).
    pub(crate) fn last_step_mut(&mut self, index: usize) -> Option<&mut Option<u64>> {
        let apps = self.apps.len();
        if index < apps {
            self.apps.get_mut(index).map(|a| &mut a.last_step)
        } else {
            self.tokens.get_mut(index - apps).map(|t| &mut t.last_step)
        }
    }

    /// Encodes the record stored through the security-info store.
    pub fn to_record(&self) -> String {
        serde_json::to_string(&Envelope {
            v: SECURITY_INFO_FORMAT,
            info: self,
        })
        .unwrap_or_default()
    }

    /// Decodes a stored record, refusing one that is too large, of an unknown format, or
    /// holding values out of range (a tampered record is an error, never a panic later).
    pub fn from_record(json: &str) -> Result<Self, InputError> {
        if json.len() > MAX_RECORD_BYTES {
            return Err(InputError::CorruptRecord {
                what: "security info",
                problem: format!("larger than {MAX_RECORD_BYTES} bytes"),
            });
        }
        let env: Envelope<Self> =
            serde_json::from_str(json).map_err(|e| InputError::CorruptRecord {
                what: "security info",
                problem: format!(
                    "line {} column {}: {:?}",
                    e.line(),
                    e.column(),
                    e.classify()
                ),
            })?;
        if env.v != SECURITY_INFO_FORMAT {
            return Err(InputError::CorruptRecord {
                what: "security info",
                problem: format!("format {} is not supported", env.v),
            });
        }
        env.info.check()?;
        Ok(env.info)
    }

    /// Checks every value a stored record may carry against its range.
    fn check(&self) -> Result<(), InputError> {
        let corrupt = |problem: &str| InputError::CorruptRecord {
            what: "security info",
            problem: problem.to_owned(),
        };
        if self.apps.len() > MAX_APPS {
            return Err(corrupt("holds more than 5 authenticator apps"));
        }
        for app in &self.apps {
            let params = crate::totp::OtpParams {
                algorithm: app.algorithm,
                digits: app.digits,
                period: app.period,
            };
            params
                .validate()
                .map_err(|_| corrupt("authenticator parameters out of range"))?;
            if !(16..=128).contains(&app.secret.expose().len()) {
                return Err(corrupt("authenticator secret must have 16 to 128 bytes"));
            }
            if app.device_id.is_empty() || app.device_id.len() > MAX_DEVICE_ID_BYTES {
                return Err(corrupt("device id must have 1 to 256 bytes"));
            }
        }
        if self.tokens.len() > MAX_TOKENS {
            return Err(corrupt("holds more than 5 hardware tokens"));
        }
        if !self.tokens.iter().all(HardwareToken::valid) {
            return Err(corrupt("hardware token parameters out of range"));
        }
        if self.questions.len() > MAX_STORED_ANSWERS {
            return Err(corrupt("holds more than 20 security answers"));
        }
        for q in &self.questions {
            if q.question.is_empty() || q.question.chars().count() > MAX_QUESTION_CHARS {
                return Err(corrupt("a question must have 1 to 200 characters"));
            }
            if q.answer_hash.len() > 512 {
                return Err(corrupt("an answer hash is longer than 512 bytes"));
            }
        }
        if self.recovery_codes.len() > crate::recovery::BATCH
            || self
                .recovery_codes
                .iter()
                .any(|d| d.len() != crate::recovery::DIGEST_CHARS)
        {
            return Err(corrupt(
                "holds more than 10 recovery codes, or one of another length",
            ));
        }
        if self.snooze.is_some_and(|s| s.count > MAX_SNOOZES) {
            return Err(corrupt("snoozed more than 10,000 times"));
        }
        if self.epoch_owner.as_ref().is_some_and(|o| o.len() > 64) {
            return Err(corrupt("epoch owner is longer than 64 bytes"));
        }
        Ok(())
    }

    /// Whether `self` and `other` register the same methods (ignoring the epoch, the
    /// confirmation time and the authenticator's last step).
    pub fn same_methods(&self, other: &Self) -> bool {
        let strip = |i: &Self| {
            let mut i = i.clone();
            i.epoch = 0;
            i.epoch_owner = None;
            i.confirmed_at = None;
            i.snooze = None;
            for a in &mut i.apps {
                a.last_step = None;
            }
            for t in &mut i.tokens {
                t.last_step = None;
            }
            i
        };
        strip(self) == strip(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SecurityInfo {
        SecurityInfo {
            email: Some(EmailAddress::parse("alice.smith@fabrikam.example").unwrap()),
            mobile: Some(PhoneNumber::parse("+14255550100").unwrap()),
            office: None,
            questions: vec![RegisteredAnswer {
                question: "builtin:01".into(),
                answer_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
            }],
            apps: vec![AppCredential {
                secret: SecretBytes::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
                algorithm: OtpAlgorithm::Sha1,
                digits: 6,
                period: 30,
                last_step: Some(58_333_333),
                device_id: "alice-phone".into(),
            }],
            default_method: Some(Method::Email),
            confirmed_at: Some(1_750_000_000),
            epoch: 3,
            epoch_owner: Some("flowref".into()),
            access_pass: None,
            recovery_codes: vec!["d".repeat(43); 10],
            tokens: Vec::new(),
            snooze: None,
        }
    }

    #[test]
    fn recovery_digests_are_bounded() {
        for (digests, ok) in [
            (vec!["d".repeat(43); 10], true),
            (vec!["d".repeat(43); 11], false),
            (vec!["d".repeat(42)], false),
            (vec!["d".repeat(4000)], false),
        ] {
            let mut info = sample();
            info.recovery_codes = digests;
            assert_eq!(SecurityInfo::from_record(&info.to_record()).is_ok(), ok);
        }
        // A record from before recovery codes reads as having none.
        let mut old = sample();
        old.recovery_codes.clear();
        let back = SecurityInfo::from_record(&old.to_record()).unwrap();
        assert!(back.recovery_codes.is_empty() && !back.has(Method::RecoveryCodes, 1));
    }

    #[test]
    fn record_round_trips_and_is_versioned() {
        let info = sample();
        let rec = info.to_record();
        assert!(rec.starts_with("{\"v\":1,\"info\":{"), "{rec}");
        assert_eq!(SecurityInfo::from_record(&rec).unwrap(), info);
        let future = rec.replacen("\"v\":1", "\"v\":9", 1);
        assert!(matches!(
            SecurityInfo::from_record(&future),
            Err(InputError::CorruptRecord { .. })
        ));
        assert!(matches!(
            SecurityInfo::from_record("{"),
            Err(InputError::CorruptRecord { .. })
        ));
        assert!(matches!(
            SecurityInfo::from_record("{\"v\":1,\"info\":{\"email\":\"not an address\"}}"),
            Err(InputError::CorruptRecord { .. })
        ));
    }

    #[test]
    fn tampered_records_are_refused() {
        let rec = sample().to_record();
        for (from, to) in [
            ("\"digits\":6", "\"digits\":0"),
            ("\"digits\":6", "\"digits\":20"),
            ("\"period\":30", "\"period\":0"),
            ("\"device_id\":\"alice-phone\"", "\"device_id\":\"\""),
            ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "GEZDGNBV"),
        ] {
            let bad = rec.replacen(from, to, 1);
            assert_ne!(bad, rec, "{from}");
            assert!(
                matches!(
                    SecurityInfo::from_record(&bad),
                    Err(InputError::CorruptRecord { .. })
                ),
                "{to}"
            );
        }
        let huge = format!(
            "{{\"v\":1,\"info\":{{\"pad\":\"{}\"}}}}",
            "x".repeat(70_000)
        );
        assert!(matches!(
            SecurityInfo::from_record(&huge),
            Err(InputError::CorruptRecord { .. })
        ));
    }

    #[test]
    fn debug_shows_nothing_secret() {
        let shown = format!("{:?}", sample());
        for secret in ["alice", "5550100", "GEZDGNBV", "argon2id", "c2FsdHNhbHQ"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("al*********@fabrikam.example"), "{shown}");
    }

    #[test]
    fn registered_methods_follow_the_policy_order() {
        let info = sample();
        let enabled = [
            Method::AppNotification,
            Method::SecurityQuestions,
            Method::Email,
            Method::OfficePhone,
        ];
        assert_eq!(
            info.registered(&enabled, 1),
            vec![
                Method::AppNotification,
                Method::SecurityQuestions,
                Method::Email
            ]
        );
        assert_eq!(
            info.registered(&enabled, 3),
            vec![Method::AppNotification, Method::Email]
        );
    }

    #[test]
    fn base32_accepts_lower_case_padding_and_spaces() {
        let a = SecretBytes::from_base32("gezd gnbv gy3t qojq").unwrap();
        let b = SecretBytes::from_base32("GEZDGNBVGY3TQOJQ====").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_base32(), "GEZDGNBVGY3TQOJQ");
        assert!(SecretBytes::from_base32("GEZ1!").is_err());
    }
}
