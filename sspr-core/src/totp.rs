//! One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with SHA-1, SHA-256 and SHA-512,
//! 6 to 10 digits, any period and a skew window; replay refusal; `otpauth://` provisioning
//! URIs and (feature `qr`) QR codes for the registration screen.
//!
//! Why not totp-rs for the arithmetic: totp-rs 6 panics for 10-digit codes (its modulus is a
//! `u32`), its `check` stops at the first matching step (a timing signal of *which* step
//! matched), it has no HOTP counter API, and it leaves replay refusal to the caller. The
//! algorithm is a few lines over the `hmac`, `sha1` and `sha2` crates, so sspr implements it
//! here and cross-checks it against totp-rs in tests and benchmarks for the range totp-rs
//! supports.

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::error::{InputError, PortError};
use crate::otp::OtpAlgorithm;
use crate::ports::Randomness;
use crate::random::Entropy;
use crate::reason::Reason;
use crate::security_info::SecretBytes;

/// Bytes in a secret sspr creates: 160 bits, as RFC 4226 recommends.
pub(crate) const SECRET_LEN: usize = 20;

/// The parameters of an OTP credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpParams {
    /// HMAC hash.
    pub algorithm: OtpAlgorithm,
    /// Digits per code: 6 to 10.
    pub digits: u8,
    /// Seconds per TOTP step (ignored by HOTP): 1 to 3600.
    pub period: u32,
}

impl Default for OtpParams {
    /// SHA-1, 6 digits, 30 seconds: what every authenticator app understands.
    fn default() -> Self {
        Self {
            algorithm: OtpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

impl OtpParams {
    /// Checks the ranges: 6 to 10 digits, a period of 1 to 3600 seconds.
    pub fn validate(&self) -> Result<(), InputError> {
        if !(6..=10).contains(&self.digits) {
            return Err(InputError::Malformed {
                what: "OTP parameters",
                problem: "digits must be from 6 to 10",
            });
        }
        if !(1..=3600).contains(&self.period) {
            return Err(InputError::Malformed {
                what: "OTP parameters",
                problem: "period must be from 1 to 3600 seconds",
            });
        }
        Ok(())
    }
}

/// A keyed HMAC for one secret, set up once and cloned per counter (saves re-hashing the key).
enum Keyed {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha512(Hmac<sha2::Sha512>),
}

impl Keyed {
    fn new(algorithm: OtpAlgorithm, key: &[u8]) -> Option<Self> {
        Some(match algorithm {
            OtpAlgorithm::Sha1 => {
                Self::Sha1(<Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key).ok()?)
            }
            OtpAlgorithm::Sha256 => {
                Self::Sha256(<Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).ok()?)
            }
            OtpAlgorithm::Sha512 => {
                Self::Sha512(<Hmac<sha2::Sha512> as KeyInit>::new_from_slice(key).ok()?)
            }
        })
    }

    /// The RFC 4226 value (before zero-padding) for `counter`.
    fn value(&self, counter: u64, digits: u8) -> u64 {
        fn truncate(h: &[u8], digits: u8) -> u64 {
            let off = usize::from(h[h.len() - 1] & 0x0f);
            let bin = (u64::from(h[off] & 0x7f) << 24)
                | (u64::from(h[off + 1]) << 16)
                | (u64::from(h[off + 2]) << 8)
                | u64::from(h[off + 3]);
            bin % 10u64.pow(u32::from(digits))
        }
        let msg = counter.to_be_bytes();
        match self {
            Self::Sha1(m) => truncate(&m.clone().chain_update(msg).finalize().into_bytes(), digits),
            Self::Sha256(m) => {
                truncate(&m.clone().chain_update(msg).finalize().into_bytes(), digits)
            }
            Self::Sha512(m) => {
                truncate(&m.clone().chain_update(msg).finalize().into_bytes(), digits)
            }
        }
    }
}

/// The most steps accepted either side of the current one.
pub const MAX_SKEW: u8 = 10;

fn check_digits(digits: u8) -> Result<(), InputError> {
    if (6..=10).contains(&digits) {
        Ok(())
    } else {
        Err(InputError::Malformed {
            what: "OTP parameters",
            problem: "digits must be from 6 to 10",
        })
    }
}

/// The HOTP value for `counter` (RFC 4226 §5.3), zero-padded to `digits` (6 to 10; any other
/// count is refused).
pub fn hotp(
    secret: &[u8],
    counter: u64,
    algorithm: OtpAlgorithm,
    digits: u8,
) -> Result<String, InputError> {
    check_digits(digits)?;
    let value = Keyed::new(algorithm, secret).map_or(0, |k| k.value(counter, digits));
    Ok(format!("{value:0width$}", width = usize::from(digits)))
}

/// The TOTP step containing Unix time `t`.
pub fn step_at(t: u64, period: u32) -> u64 {
    t / u64::from(period.max(1))
}

/// The TOTP value at Unix time `t` (RFC 6238). Parameters out of range are refused.
pub fn totp(secret: &[u8], t: u64, params: &OtpParams) -> Result<String, InputError> {
    params.validate()?;
    hotp(
        secret,
        step_at(t, params.period),
        params.algorithm,
        params.digits,
    )
}

/// The outcome of checking an authenticator code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpCheck {
    /// Accepted; the step it matched (record it as the credential's last step).
    Valid {
        /// The matched step.
        step: u64,
    },
    /// Not `digits` decimal digits.
    Malformed,
    /// No step in the window matches.
    Invalid,
    /// It matches, but only a step not newer than the last accepted one.
    Replay,
}

impl TotpCheck {
    /// The matched step when valid (record it as the credential's last step).
    pub fn step(self) -> Option<u64> {
        match self {
            Self::Valid { step } => Some(step),
            _ => None,
        }
    }

    /// The `totp.*` reason id, or `None` when valid.
    pub fn reason(self) -> Option<Reason> {
        match self {
            Self::Valid { .. } => None,
            Self::Malformed => Some(Reason::TotpMalformed),
            Self::Invalid => Some(Reason::TotpInvalid),
            Self::Replay => Some(Reason::TotpReplay),
        }
    }
}

/// Checks `submitted` at time `now` against every step within `skew` steps of the current one.
///
/// Every candidate in the window is computed and compared in constant time, with no early
/// exit. Of the matching steps, the one nearest the current step that is newer than
/// `last_step` is accepted; if only older-or-equal steps match, the code is a replay
/// (RFC 6238 §5.2: a verifier must not accept the second attempt of the same OTP).
/// White space inside the code ("123 456") is ignored.
///
/// Parameters out of range (digits other than 6 to 10, a period outside 1 to 3600 seconds,
/// a skew above [`MAX_SKEW`]) are refused with an error, whatever the code.
pub fn verify(
    secret: &[u8],
    params: &OtpParams,
    submitted: &str,
    now: u64,
    skew: u8,
    last_step: Option<u64>,
) -> Result<TotpCheck, InputError> {
    params.validate()?;
    if skew > MAX_SKEW {
        return Err(InputError::Malformed {
            what: "OTP parameters",
            problem: "skew must be from 0 to 10 steps",
        });
    }
    Ok(verify_checked(
        secret, params, submitted, now, skew, last_step,
    ))
}

/// [`verify`] with parameters already checked.
fn verify_checked(
    secret: &[u8],
    params: &OtpParams,
    submitted: &str,
    now: u64,
    skew: u8,
    last_step: Option<u64>,
) -> TotpCheck {
    // Bounded before anything else: a code is at most 10 digits plus a little white space.
    if submitted.len() > 64 {
        return TotpCheck::Malformed;
    }
    let code: String = submitted.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(params.digits) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return TotpCheck::Malformed;
    }
    // Only digits of the right count reach here, so the value fits a u64 (at most 10 digits).
    let submitted: u64 = code
        .bytes()
        .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
    let Some(keyed) = Keyed::new(params.algorithm, secret) else {
        return TotpCheck::Invalid;
    };
    let origin = step_at(now, params.period);
    let skew = u64::from(skew);
    // Candidates ordered by distance from the current step: 0, -1, +1, -2, +2, …
    let mut candidates = vec![origin];
    for d in 1..=skew {
        if let Some(s) = origin.checked_sub(d) {
            candidates.push(s);
        }
        candidates.push(origin.saturating_add(d));
    }
    let mut found_new = subtle::Choice::from(0);
    let mut found_old = subtle::Choice::from(0);
    let mut best = 0u64;
    for &step in &candidates {
        let hit = keyed.value(step, params.digits).ct_eq(&submitted);
        let is_new = subtle::Choice::from(u8::from(last_step.is_none_or(|l| step > l)));
        let take = hit & is_new & !found_new;
        best = u64::conditional_select(&best, &step, take);
        found_new |= hit & is_new;
        found_old |= hit & !is_new;
    }
    if bool::from(found_new) {
        TotpCheck::Valid { step: best }
    } else if bool::from(found_old) {
        TotpCheck::Replay
    } else {
        TotpCheck::Invalid
    }
}

/// A new 160-bit secret from the randomness port.
pub(crate) fn new_secret(rng: &dyn Randomness) -> Result<SecretBytes, PortError> {
    Ok(SecretBytes::new(Entropy::new(rng).bytes(SECRET_LEN)?))
}

/// Characters percent-encoded in `otpauth://` labels and parameters: everything but the RFC
/// 3986 unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `otpauth://totp/` URI an authenticator app scans: label `issuer:account`, and every
/// parameter spelled out (`secret`, `issuer`, `algorithm`, `digits`, `period`) so no app has
/// to guess a default. Neither issuer nor account may contain a colon or be blank.
pub fn otpauth_uri(
    issuer: &str,
    account: &str,
    secret: &SecretBytes,
    params: &OtpParams,
) -> Result<String, InputError> {
    params.validate()?;
    for (what, value) in [("issuer", issuer), ("account", account)] {
        if value.trim().is_empty() || value.contains(':') || value.chars().any(char::is_control) {
            return Err(InputError::Malformed {
                what: "otpauth label",
                problem: if what == "issuer" {
                    "issuer must be non-blank without colons or control characters"
                } else {
                    "account must be non-blank without colons or control characters"
                },
            });
        }
    }
    let issuer_enc = utf8_percent_encode(issuer.trim(), COMPONENT).to_string();
    let account_enc = utf8_percent_encode(account.trim(), COMPONENT).to_string();
    Ok(format!(
        "otpauth://totp/{issuer_enc}:{account_enc}?secret={}&issuer={issuer_enc}&algorithm={}&digits={}&period={}",
        secret.to_base32(),
        params.algorithm.id(),
        params.digits,
        params.period
    ))
}

/// An SVG image of a QR code for `uri`, for the "scan the QR code" screen.
#[cfg(feature = "qr")]
pub(crate) fn qr_svg(uri: &str) -> Result<String, InputError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|_| InputError::TooLong {
        what: "otpauth URI for a QR code",
        max: 2953,
    })?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_appendix_d() {
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, i as u64, OtpAlgorithm::Sha1, 6).unwrap(),
                *w
            );
        }
    }

    #[test]
    fn ten_digits_and_post_2038_work() {
        let code = hotp(RFC_SECRET, 0, OtpAlgorithm::Sha1, 10).unwrap();
        assert_eq!(code.len(), 10);
        // The 31-bit truncation of counter 0 is 1284755224 (RFC 4226 Appendix D).
        assert_eq!(code, "1284755224");
        let p = OtpParams {
            algorithm: OtpAlgorithm::Sha1,
            digits: 8,
            period: 30,
        };
        assert_eq!(totp(RFC_SECRET, 20_000_000_000, &p).unwrap(), "65353130"); // RFC 6238 Appendix B
    }

    #[test]
    fn agrees_with_totp_rs_where_it_applies() {
        for alg in [
            OtpAlgorithm::Sha1,
            OtpAlgorithm::Sha256,
            OtpAlgorithm::Sha512,
        ] {
            for digits in 6..=8u8 {
                for t in [
                    0u64,
                    59,
                    1_111_111_109,
                    1_750_000_015,
                    2_000_000_000,
                    20_000_000_000,
                ] {
                    let theirs = totp_rs::Builder::new()
                        .with_algorithm(match alg {
                            OtpAlgorithm::Sha1 => totp_rs::Algorithm::SHA1,
                            OtpAlgorithm::Sha256 => totp_rs::Algorithm::SHA256,
                            OtpAlgorithm::Sha512 => totp_rs::Algorithm::SHA512,
                        })
                        .with_digits(digits)
                        .with_secret(RFC_SECRET.to_vec())
                        .build_noncompliant()
                        .generate(t)
                        .to_string();
                    assert_eq!(
                        totp(
                            RFC_SECRET,
                            t,
                            &OtpParams {
                                algorithm: alg,
                                digits,
                                period: 30
                            }
                        )
                        .unwrap(),
                        theirs,
                        "{alg} {digits} {t}"
                    );
                }
            }
        }
    }

    #[test]
    fn window_replay_and_malformed() {
        let p = OtpParams::default();
        let now = 1_750_000_015;
        let step = step_at(now, 30);
        let at = |s: u64| hotp(RFC_SECRET, s, p.algorithm, p.digits).unwrap();
        let verify = |a: &[u8], p: &OtpParams, c: &str, n: u64, k: u8, l: Option<u64>| {
            verify(a, p, c, n, k, l).unwrap()
        };
        assert_eq!(
            verify(RFC_SECRET, &p, &at(step), now, 1, None),
            TotpCheck::Valid { step }
        );
        assert_eq!(
            verify(RFC_SECRET, &p, &at(step - 1), now, 1, None),
            TotpCheck::Valid { step: step - 1 }
        );
        assert_eq!(
            verify(RFC_SECRET, &p, &at(step + 1), now, 1, None),
            TotpCheck::Valid { step: step + 1 }
        );
        assert_eq!(
            verify(RFC_SECRET, &p, &at(step - 2), now, 1, None),
            TotpCheck::Invalid
        );
        assert_eq!(
            verify(RFC_SECRET, &p, &at(step - 2), now, 2, None),
            TotpCheck::Valid { step: step - 2 }
        );
        assert_eq!(
            verify(RFC_SECRET, &p, &at(step), now, 0, Some(step)),
            TotpCheck::Replay
        );
        assert_eq!(
            verify(RFC_SECRET, &p, &at(step - 1), now, 1, Some(step - 1)),
            TotpCheck::Replay
        );
        assert_eq!(
            verify(RFC_SECRET, &p, &at(step + 1), now, 1, Some(step)),
            TotpCheck::Valid { step: step + 1 }
        );
        let spaced = format!("{} {}", &at(step)[..3], &at(step)[3..]);
        assert_eq!(
            verify(RFC_SECRET, &p, &spaced, now, 1, None),
            TotpCheck::Valid { step }
        );
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(
                verify(RFC_SECRET, &p, bad, now, 1, None),
                TotpCheck::Malformed,
                "{bad}"
            );
        }
        // The window never wraps below step 0.
        assert_eq!(
            verify(RFC_SECRET, &p, &at(0), 5, 3, None),
            TotpCheck::Valid { step: 0 }
        );
    }

    #[test]
    fn out_of_range_parameters_are_refused_not_panicked_on() {
        let p = OtpParams::default();
        for digits in [0u8, 5, 11, 20, 255] {
            let bad = OtpParams { digits, ..p };
            assert!(
                verify(RFC_SECRET, &bad, "", 0, 1, None).is_err(),
                "{digits}"
            );
            assert!(verify(RFC_SECRET, &bad, "123456", u64::MAX, 1, None).is_err());
            assert!(hotp(RFC_SECRET, 0, OtpAlgorithm::Sha1, digits).is_err());
            assert!(totp(RFC_SECRET, 0, &bad).is_err());
        }
        assert!(
            verify(
                RFC_SECRET,
                &OtpParams { period: 0, ..p },
                "123456",
                9,
                1,
                None
            )
            .is_err()
        );
        assert!(verify(RFC_SECRET, &p, "123456", 9, 11, None).is_err());
        // Extreme times and steps are fine.
        assert!(verify(RFC_SECRET, &p, "123456", u64::MAX, 10, Some(u64::MAX)).is_ok());
        assert_eq!(
            verify(RFC_SECRET, &p, &"1".repeat(100_000), 9, 1, None).unwrap(),
            TotpCheck::Malformed
        );
    }

    #[test]
    fn otpauth_uri_spells_out_every_parameter() {
        let secret = SecretBytes::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let p = OtpParams {
            algorithm: OtpAlgorithm::Sha256,
            digits: 8,
            period: 60,
        };
        let uri = otpauth_uri("Contoso Ltd", "alice@contoso.example", &secret, &p).unwrap();
        assert_eq!(
            uri,
            "otpauth://totp/Contoso%20Ltd:alice%40contoso.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Contoso%20Ltd&algorithm=SHA256&digits=8&period=60"
        );
        let parsed = totp_rs::Totp::from_url_unchecked(&uri).unwrap();
        assert_eq!(parsed.digits(), 8);
        assert_eq!(
            parsed.generate(1_750_000_000).to_string(),
            totp(secret.expose(), 1_750_000_000, &p).unwrap()
        );
        assert!(otpauth_uri("Con:toso", "a", &secret, &p).is_err());
        assert!(otpauth_uri("Contoso", " ", &secret, &p).is_err());
        assert!(otpauth_uri("Contoso", "a", &secret, &OtpParams { digits: 11, ..p }).is_err());
    }

    #[cfg(feature = "qr")]
    #[test]
    fn qr_is_an_svg() {
        let svg = qr_svg("otpauth://totp/A:b?secret=GEZDGNBV").unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        assert!(qr_svg(&"x".repeat(5000)).is_err());
    }
}
