//! The machinery behind the public API, for the fuzz targets, benches and tests that exercise
//! it directly: code seals, recovery codes, the stored security-info record, the banned-term
//! index. Not part of the stable API: a host never needs these.

/// Verification codes: issue, normalise and compare keyed seals.
pub mod code {
    pub use crate::code::{CodeCheck, IssuedCode, MAX_INPUT_BYTES, compare, issue, normalize};
    pub use crate::keyring::{Binding, Purpose, Seal};
}

/// Recovery codes: their alphabet and how a typed one is read.
pub mod recovery {
    pub use crate::recovery::{ALPHABET, BATCH, CODE_CHARS, RecoveryBatch, normalize};
}

/// One-time passwords on raw secret bytes, and the TOTP step arithmetic.
pub mod totp {
    pub use crate::totp::{hotp, step_at, totp, verify};
}

/// The stored security-info record and its parts (sealed at rest by the stores).
pub mod security_info {
    pub use crate::security_info::{AppCredential, RegisteredAnswer, SecurityInfo};
}

/// The banned-term index of the password rules.
pub mod banned {
    pub use crate::password::banned::{BannedIndex, normalize};
}

/// The guessability estimate behind `password.too_guessable` and the strength meter.
pub mod strength {
    pub use crate::password::strength::{MAX_ESTIMATED_CHARS, Strength, estimate, meter};
}

/// The keyed reference of `value` under `label`, as the engine keys stored records: a flow is
/// stored under `reference(key, "flow", flow_id)`.
pub fn reference(key: &crate::IdentityKey, label: &str, value: &str) -> String {
    key.reference(label, value)
}

/// A phone number checked for its form only, as stored records are read back (the public
/// `PhoneNumber::parse` also checks libphonenumber's metadata with `phone-metadata`).
pub fn phone_number_form(input: &str) -> Result<crate::PhoneNumber, crate::InputError> {
    crate::PhoneNumber::parse_form(input)
}
