use std::collections::HashSet;
use std::sync::Mutex;

use super::lock;
use crate::error::PortError;
use crate::ports::CaptchaVerifier;

/// A CAPTCHA verifier for tests: it accepts a fixed set of known tokens (each once, or any
/// number of times). Never in a deployment: anyone who knows a token passes.
#[derive(Debug, Default)]
pub struct TestCaptcha {
    valid: Mutex<HashSet<String>>,
    reusable: bool,
}

impl TestCaptcha {
    /// Accepts each of `tokens` once.
    pub fn single_use(tokens: impl IntoIterator<Item = String>) -> Self {
        Self {
            valid: Mutex::new(tokens.into_iter().collect()),
            reusable: false,
        }
    }

    /// Accepts each of `tokens` any number of times (for demos and tests).
    pub fn reusable(tokens: impl IntoIterator<Item = String>) -> Self {
        Self {
            valid: Mutex::new(tokens.into_iter().collect()),
            reusable: true,
        }
    }

    /// Adds a token.
    pub fn add(&self, token: impl Into<String>) {
        lock(&self.valid).insert(token.into());
    }
}

impl CaptchaVerifier for TestCaptcha {
    fn verify(&self, response: String, _client: Option<String>) -> Result<bool, PortError> {
        let mut valid = lock(&self.valid);
        Ok(if self.reusable {
            valid.contains(&response)
        } else {
            valid.remove(&response)
        })
    }
}
