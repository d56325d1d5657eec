use crate::error::PortError;

/// Checks the CAPTCHA answer on the "who are you?" screen.
pub trait CaptchaVerifier: Send + Sync {
    /// Whether `response` (the token the CAPTCHA widget produced) is valid for `client` (the
    /// client address, when the host has one). A token should be accepted once only.
    fn verify(&self, response: String, client: Option<String>) -> Result<bool, PortError>;
}
