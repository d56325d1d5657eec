//! The "who are you?" CAPTCHA: a picture (the `captcha` crate) with an audio alternative
//! (espeak-ng reads the same characters as a WAV, generated on request), checked by the
//! engine through this [`CaptchaVerifier`] port implementation.
//!
//! A challenge is bound to the browser (its CSRF cookie token), expires after
//! [`TTL_S`] seconds and is spent by the first answer, right or wrong. The answer the engine
//! receives is `"<browser token>\u{1f}<typed characters>"`, put together by the portal.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use sspr_core::PortError;
use sspr_core::ports::{CaptchaVerifier, Clock};
use subtle::ConstantTimeEq;

/// Seconds a challenge stays valid.
pub const TTL_S: u64 = 600;
/// Characters in a challenge.
pub const LENGTH: u32 = 5;
/// The characters used: those the picture's font draws that are hard to confuse and that
/// espeak-ng reads unambiguously (no 1/l/i, 0/o, 5/s).
pub const CHARS: &str = "ABCDEFGHJKMNPQRTUVWXYZ2346789";
/// Challenges kept at most (the oldest are dropped).
pub const MAX_PENDING: usize = 10_000;

/// Separates the browser token from the typed answer in the engine's CAPTCHA response.
pub const SEPARATOR: char = '\u{1f}';

struct Pending {
    answer: String,
    expires_at: u64,
}

/// The portal's CAPTCHA: issues challenges and verifies answers.
pub struct PortalCaptcha {
    pending: Mutex<HashMap<[u8; 32], Pending>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PortalCaptcha {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalCaptcha").finish_non_exhaustive()
    }
}

fn key(browser: &str) -> [u8; 32] {
    Sha256::digest(browser.as_bytes()).into()
}

/// The engine's CAPTCHA response for what a browser typed.
pub fn response(browser: &str, typed: &str) -> String {
    format!("{browser}{SEPARATOR}{typed}")
}

impl PortalCaptcha {
    /// A CAPTCHA on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            pending: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Pending>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new challenge for `browser` (replacing its earlier one): the PNG picture.
    pub fn picture(&self, browser: &str) -> Result<Vec<u8>, PortError> {
        let chars: Vec<char> = CHARS.chars().collect();
        let mut c = captcha::Captcha::new();
        c.set_chars(&chars)
            .add_chars(LENGTH)
            .apply_filter(captcha::filters::Noise::new(0.2))
            .apply_filter(captcha::filters::Wave::new(2.0, 8.0))
            .view(240, 90)
            .apply_filter(captcha::filters::Dots::new(8));
        let (answer, png) = c
            .as_tuple()
            .ok_or_else(|| PortError::unavailable(sspr_core::PortName::Captcha, "no picture"))?;
        let now = self.clock.now()?;
        let mut pending = self.lock();
        pending.retain(|_, p| p.expires_at > now);
        if pending.len() >= MAX_PENDING {
            pending.clear();
        }
        pending.insert(
            key(browser),
            Pending {
                answer,
                expires_at: now.saturating_add(TTL_S),
            },
        );
        Ok(png)
    }

    /// The current challenge of `browser` read aloud by espeak-ng, as a WAV file; `None`
    /// without a current challenge.
    pub async fn audio(&self, browser: &str, voice: &str) -> Result<Option<Vec<u8>>, PortError> {
        let Some(answer) = self.current(browser)? else {
            return Ok(None);
        };
        // One character at a time, slowly: "K. 7. M. …".
        let spoken: Vec<String> = answer.chars().map(|c| format!("{c}.")).collect();
        let output = tokio::process::Command::new("espeak-ng")
            .args(["--stdout", "-s", "110", "-g", "12", "-v", voice])
            .arg(spoken.join(" "))
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .await
            .map_err(|_| PortError::unavailable(sspr_core::PortName::Captcha, "espeak-ng"))?;
        Ok(output.status.success().then_some(output.stdout))
    }

    /// The answer of `browser`'s current challenge, unspent and unexpired. For the audio, and
    /// for in-process tests (never served over HTTP).
    pub fn current(&self, browser: &str) -> Result<Option<String>, PortError> {
        let now = self.clock.now()?;
        Ok(self
            .lock()
            .get(&key(browser))
            .filter(|p| p.expires_at > now)
            .map(|p| p.answer.clone()))
    }
}

impl CaptchaVerifier for PortalCaptcha {
    fn verify(&self, response: String, _client: Option<String>) -> Result<bool, PortError> {
        let Some((browser, typed)) = response.split_once(SEPARATOR) else {
            return Ok(false);
        };
        let now = self.clock.now()?;
        // Spent by any answer, right or wrong.
        let Some(p) = self.lock().remove(&key(browser)) else {
            return Ok(false);
        };
        let typed: String = typed
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        let expected = p.answer.to_uppercase();
        Ok(p.expires_at > now && bool::from(typed.as_bytes().ct_eq(expected.as_bytes())))
    }
}
