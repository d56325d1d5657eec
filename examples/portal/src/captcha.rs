//! The "who are you?" CAPTCHA: a picture (the `captcha` crate) with an audio alternative
//! (espeak-ng reads the same characters as a WAV, generated on request), checked by the
//! engine through this [`CaptchaVerifier`] port implementation.
//!
//! The portal keeps no challenge in memory, so any instance can check a challenge another
//! instance drew. A challenge (its id, expiry and characters) is sealed with
//! ChaCha20-Poly1305 under a key derived from the portal's code key, bound to the browser (its
//! CSRF token is the associated data) and handed to the browser in the [`COOKIE`] cookie
//! (`HttpOnly`, so no script reads it; sealed, so the browser cannot read or alter it). A
//! challenge expires after [`TTL_S`] seconds and is spent by the first answer, right or wrong:
//! its id goes into the shared consume-once set (the stores' [`ConsumeOnceSet`]) *before* the
//! characters are compared, so a replayed cookie is refused uncompared by every instance.
//!
//! The answer the engine receives is `"<browser token>\u{1f}<sealed challenge>\u{1f}<typed>"`,
//! put together by the portal ([`response`]).

use std::sync::Arc;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};
use hmac::Mac;
use sspr_core::ports::{CaptchaVerifier, Clock, ConsumeOnceSet, Randomness};
use sspr_core::{PortError, PortName};
use subtle::ConstantTimeEq;

/// Seconds a challenge stays valid.
pub const TTL_S: u64 = 600;
/// Characters in a challenge.
pub const LENGTH: u32 = 5;
/// The characters used: those the picture's font draws that are hard to confuse and that
/// espeak-ng reads unambiguously (no 1/l/i, 0/o, 5/s).
pub const CHARS: &str = "ABCDEFGHJKMNPQRTUVWXYZ2346789";
/// The cookie that carries the sealed challenge.
pub const COOKIE: &str = "sspr_captcha";
/// The consume-once namespace of spent challenges.
pub const SPENT: &str = "sspr-portal/captcha";

/// Separates the browser token, the sealed challenge and the typed answer in the engine's
/// CAPTCHA response.
pub const SEPARATOR: char = '\u{1f}';

const NONCE_BYTES: usize = 12;
const ID_BYTES: usize = 16;
/// id, expiry (8 bytes, big-endian), characters.
const PLAIN_BYTES: usize = ID_BYTES + 8 + LENGTH as usize;
/// The longest sealed cookie value accepted (nonce, plaintext, tag; URL-safe base64).
const MAX_SEALED_CHARS: usize = 128;

/// A challenge opened from its cookie.
struct Challenge {
    id: [u8; ID_BYTES],
    expires_at: u64,
    answer: String,
}

/// The portal's CAPTCHA: draws challenges and verifies answers.
pub struct PortalCaptcha {
    cipher: ChaCha20Poly1305,
    /// Seeds each challenge's audio (a keyed hash of its id).
    audio_key: hmac::Hmac<sha2::Sha256>,
    /// The program that reads the audio.
    espeak_ng: std::path::PathBuf,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
    spent: Arc<dyn ConsumeOnceSet>,
}

impl std::fmt::Debug for PortalCaptcha {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalCaptcha").finish_non_exhaustive()
    }
}

/// The engine's CAPTCHA response for what a browser typed against its sealed challenge.
pub fn response(browser: &str, sealed: &str, typed: &str) -> String {
    format!("{browser}{SEPARATOR}{sealed}{SEPARATOR}{typed}")
}

/// A sealed challenge is URL-safe base64 of bounded length (what [`PortalCaptcha::picture`]
/// writes); anything else is not one.
fn plausible(sealed: &str) -> bool {
    !sealed.is_empty()
        && sealed.len() <= MAX_SEALED_CHARS
        && sealed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

fn unavailable(what: &'static str) -> PortError {
    PortError::unavailable(PortName::Captcha, what)
}

impl PortalCaptcha {
    /// A CAPTCHA whose challenges are sealed under a key derived from `code_key`, drawn with
    /// `randomness`, timed by `clock` and spent in `spent` (shared by every instance).
    pub fn new(
        code_key: &[u8],
        clock: Arc<dyn Clock>,
        randomness: Arc<dyn Randomness>,
        spent: Arc<dyn ConsumeOnceSet>,
    ) -> Result<Self, PortError> {
        let derive = |purpose: &[u8]| {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(code_key)
                .map_err(|_| unavailable("captcha key"))?;
            mac.update(purpose);
            Ok::<_, PortError>(mac.finalize().into_bytes())
        };
        let key = derive(b"sspr-portal captcha sealing key v1")?;
        let cipher =
            ChaCha20Poly1305::new_from_slice(&key).map_err(|_| unavailable("captcha key"))?;
        let audio_key = hmac::Hmac::<sha2::Sha256>::new_from_slice(&derive(
            b"sspr-portal captcha audio key v1",
        )?)
        .map_err(|_| unavailable("captcha key"))?;
        Ok(Self {
            cipher,
            audio_key,
            espeak_ng: "espeak-ng".into(),
            clock,
            randomness,
            spent,
        })
    }

    /// Reads the audio with `program` instead of `espeak-ng` on the `PATH`.
    #[must_use]
    pub fn with_espeak_ng(mut self, program: std::path::PathBuf) -> Self {
        self.espeak_ng = program;
        self
    }

    /// A new challenge for `browser`: the PNG picture and the sealed challenge for its cookie.
    pub fn picture(&self, browser: &str) -> Result<(Vec<u8>, String), PortError> {
        let alphabet: Vec<char> = CHARS.chars().collect();
        let draw = self.randomness.bytes(LENGTH)?;
        // 29 characters: a byte modulo 29 leans on the first 24 by 1/256, which a CAPTCHA can
        // bear; the picture's own noise is the crate's.
        let answer: String = draw
            .iter()
            .filter_map(|b| alphabet.get(usize::from(*b) % alphabet.len()))
            .collect();
        let mut c = captcha::Captcha::new();
        for ch in answer.chars() {
            c.set_chars(&[ch]).add_chars(1);
        }
        c.apply_filter(captcha::filters::Noise::new(0.2))
            .apply_filter(captcha::filters::Wave::new(2.0, 8.0))
            .view(240, 90)
            .apply_filter(captcha::filters::Dots::new(8));
        let png = c.as_png().ok_or_else(|| unavailable("no picture"))?;
        let id: [u8; ID_BYTES] = self
            .randomness
            .bytes(ID_BYTES as u32)?
            .try_into()
            .map_err(|_| unavailable("randomness"))?;
        let expires_at = self.clock.now()?.saturating_add(TTL_S);
        let mut plain = Vec::with_capacity(PLAIN_BYTES);
        plain.extend_from_slice(&id);
        plain.extend_from_slice(&expires_at.to_be_bytes());
        plain.extend_from_slice(answer.as_bytes());
        let nonce: [u8; NONCE_BYTES] = self
            .randomness
            .bytes(NONCE_BYTES as u32)?
            .try_into()
            .map_err(|_| unavailable("randomness"))?;
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: browser.as_bytes(),
                },
            )
            .map_err(|_| unavailable("sealing"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok((png, data_encoding::BASE64URL_NOPAD.encode(&out)))
    }

    /// Opens a sealed challenge bound to `browser`; `None` when it is not one (forged,
    /// altered, another browser's, malformed).
    fn open(&self, browser: &str, sealed: &str) -> Option<Challenge> {
        if !plausible(sealed) {
            return None;
        }
        let bytes = data_encoding::BASE64URL_NOPAD
            .decode(sealed.as_bytes())
            .ok()?;
        let (nonce, body) = bytes.split_at_checked(NONCE_BYTES)?;
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: browser.as_bytes(),
                },
            )
            .ok()?;
        if plain.len() != PLAIN_BYTES {
            return None;
        }
        let (id, rest) = plain.split_at(ID_BYTES);
        let (expiry, answer) = rest.split_at(8);
        Some(Challenge {
            id: id.try_into().ok()?,
            expires_at: u64::from_be_bytes(expiry.try_into().ok()?),
            answer: String::from_utf8(answer.to_vec()).ok()?,
        })
    }

    /// The characters of `browser`'s sealed challenge, if it is one and unexpired (spent or
    /// not: whether it is spent is known only by spending it). For in-process tests; never
    /// served as text.
    pub fn answer(&self, browser: &str, sealed: &str) -> Result<Option<String>, PortError> {
        Ok(self.current(browser, sealed)?.map(|c| c.answer))
    }

    /// `browser`'s sealed challenge, if it is one and unexpired.
    fn current(&self, browser: &str, sealed: &str) -> Result<Option<Challenge>, PortError> {
        let now = self.clock.now()?;
        Ok(self.open(browser, sealed).filter(|c| c.expires_at > now))
    }

    /// `browser`'s challenge read aloud by espeak-ng in `voice`, as a WAV file
    /// ([`crate::captcha_audio`]: varied, over a quieter decoy voice and noise, the same bytes
    /// on every fetch of one challenge in one voice); `None` without a current challenge, an
    /// error when espeak-ng is missing or fails.
    pub async fn audio(
        &self,
        browser: &str,
        sealed: &str,
        voice: &str,
    ) -> Result<Option<Vec<u8>>, PortError> {
        let Some(challenge) = self.current(browser, sealed)? else {
            return Ok(None);
        };
        // Seeded by the challenge and the voice: the same challenge in another language is
        // drawn afresh, so two readings of one answer share no noise to cancel.
        let mut mac = self.audio_key.clone();
        mac.update(&challenge.id);
        mac.update(voice.as_bytes());
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        crate::captcha_audio::render(&self.espeak_ng, seed, &challenge.answer, voice)
            .await
            .map(Some)
    }
}

impl CaptchaVerifier for PortalCaptcha {
    fn verify(&self, response: String, _client: Option<String>) -> Result<bool, PortError> {
        let mut parts = response.splitn(3, SEPARATOR);
        let (Some(browser), Some(sealed), Some(typed)) = (parts.next(), parts.next(), parts.next())
        else {
            return Ok(false);
        };
        let Some(challenge) = self.open(browser, sealed) else {
            return Ok(false);
        };
        let now = self.clock.now()?;
        if challenge.expires_at <= now {
            return Ok(false);
        }
        // Spent by any answer, right or wrong, before the characters are compared: of several
        // answers to one challenge, on any instance, one is compared.
        let id = data_encoding::HEXLOWER.encode(&challenge.id);
        if !self
            .spent
            .consume(SPENT.to_owned(), id, challenge.expires_at)?
        {
            return Ok(false);
        }
        let typed: String = typed
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        Ok(bool::from(
            typed.as_bytes().ct_eq(challenge.answer.as_bytes()),
        ))
    }
}
