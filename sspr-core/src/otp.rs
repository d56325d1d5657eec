//! One-time passwords for hosts: an authenticator credential from its base32 secret, the
//! HOTP and TOTP codes it shows, and the constant-time check of a code against it.
//!
//! ```
//! use sspr_core::otp::{Credential, TotpCheck};
//!
//! // RFC 6238's SHA-1 test secret ("12345678901234567890"), in base32.
//! let app = Credential::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "SHA1", 8, 30)?;
//! assert_eq!(app.at(59)?, "94287082");
//! assert_eq!(app.verify("94287082", 59, 1, None)?, TotpCheck::Valid { step: 1 });
//! # Ok::<(), sspr_core::InputError>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
pub use crate::security_info::SecretBytes;
pub use crate::totp::{MAX_SKEW, OtpParams, TotpCheck, otpauth_uri};
use crate::totp::{hotp, totp, verify};

/// The HMAC hash of an HOTP/TOTP credential (RFC 4226, RFC 6238).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OtpAlgorithm {
    /// HMAC-SHA1, what authenticator apps use by default.
    #[default]
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl OtpAlgorithm {
    /// The name used in `otpauth://` URIs and conformance vectors: `SHA1`, `SHA256`, `SHA512`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// Parses `SHA1`, `SHA256` or `SHA512` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for OtpAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An authenticator credential (a secret and its parameters), kept decoded between calls.
/// `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    secret: SecretBytes,
    params: OtpParams,
}

impl Credential {
    /// A credential; an empty secret (whose codes anyone can compute) and parameters out of
    /// range (digits other than 6 to 10, a period outside 1 to 3600 seconds) are refused.
    /// RFC 4226 asks for secrets of at least 16 bytes, as the engine's imports and
    /// registrations enforce; shorter ones are accepted here for codes computed elsewhere.
    pub fn new(secret: SecretBytes, params: OtpParams) -> Result<Self, InputError> {
        if secret.expose().is_empty() {
            return Err(InputError::Malformed {
                what: "base32 secret",
                problem: "is empty",
            });
        }
        params.validate()?;
        Ok(Self { secret, params })
    }

    /// A credential from its base32 secret and the names an `otpauth://` URI uses
    /// (`algorithm`: `SHA1`, `SHA256` or `SHA512`, any case).
    pub fn from_base32(
        secret_b32: &str,
        algorithm: &str,
        digits: u8,
        period: u32,
    ) -> Result<Self, InputError> {
        let algorithm = OtpAlgorithm::parse(algorithm).ok_or(InputError::Malformed {
            what: "OTP parameters",
            problem: "algorithm must be SHA1, SHA256 or SHA512",
        })?;
        let params = OtpParams {
            algorithm,
            digits,
            period,
        };
        Self::new(SecretBytes::from_base32(secret_b32)?, params)
    }

    /// Its parameters.
    pub fn params(&self) -> OtpParams {
        self.params
    }

    /// The secret, to seal or to show once ("can't scan?"). Never log it.
    pub fn secret(&self) -> &SecretBytes {
        &self.secret
    }

    /// The TOTP code at Unix time `t` (RFC 6238).
    pub fn at(&self, t: u64) -> Result<String, InputError> {
        totp(self.secret.expose(), t, &self.params)
    }

    /// The HOTP code for `counter` (RFC 4226); the period is not used.
    pub fn hotp(&self, counter: u64) -> Result<String, InputError> {
        hotp(
            self.secret.expose(),
            counter,
            self.params.algorithm,
            self.params.digits,
        )
    }

    /// Checks `code` at Unix time `t` against every step within `skew` steps (at most
    /// [`MAX_SKEW`]), in constant time over the window, refusing steps not newer than
    /// `last_step` as replays.
    pub fn verify(
        &self,
        code: &str,
        t: u64,
        skew: u8,
        last_step: Option<u64>,
    ) -> Result<TotpCheck, InputError> {
        verify(self.secret.expose(), &self.params, code, t, skew, last_step)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters_are_typed_input_errors() {
        let b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        for (alg, digits, period) in [
            ("MD5", 6, 30),
            ("SHA1", 5, 30),
            ("SHA1", 11, 30),
            ("SHA1", 6, 0),
        ] {
            assert!(matches!(
                Credential::from_base32(b32, alg, digits, period),
                Err(InputError::Malformed {
                    what: "OTP parameters",
                    ..
                })
            ));
        }
        assert!(matches!(
            Credential::from_base32("not base32!", "SHA1", 6, 30),
            Err(InputError::Malformed {
                what: "base32 secret",
                ..
            })
        ));
        let app = Credential::from_base32(b32, "sha256", 6, 30).unwrap();
        assert!(matches!(
            app.verify("123456", 59, MAX_SKEW + 1, None),
            Err(InputError::Malformed { .. })
        ));
        assert!(!format!("{app:?}").contains(b32));
    }

    #[test]
    fn hotp_and_totp_agree_with_rfc_4226() {
        let app =
            Credential::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "SHA1", 6, 30).unwrap();
        assert_eq!(app.hotp(1).unwrap(), "287082");
        assert_eq!(app.at(30).unwrap(), "287082");
        assert_eq!(
            app.verify("287082", 45, 0, Some(1)).unwrap(),
            TotpCheck::Replay
        );
    }
}
