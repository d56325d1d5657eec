//! Verification codes sent by email, text or call: issued from the randomness port, kept only
//! as a keyed seal bound to their flow, purpose and destination, and compared in constant time.
//!
//! Counting is not done here: every comparison is reserved in the counter store *before* it
//! is made (one counter per issued code, plus the user's limits), by the engine, so a limit
//! holds across threads and processes. A code is accepted once because it is bound to the one
//! flow that holds it, and the save that accepts it moves that flow on by compare-and-set: of
//! two submissions, the loser is re-run on the saved flow, which no longer waits for the code.
//! A step that fails on a store fault leaves the code usable for the retry.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::PortError;
use crate::keyring::{Binding, KeyRing, Seal};
use crate::ports::Randomness;
use crate::random::Entropy;
use crate::secret::SecretString;

/// The longest code input compared, in bytes (anything longer is simply wrong).
pub const MAX_INPUT_BYTES: usize = 64;

/// A code that was sent: what is stored in the flow. The code itself is not in it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    /// The keyed seal of the code.
    pub seal: Seal,
    /// When it was issued (Unix seconds).
    pub issued_at: u64,
    /// When it stops being accepted (Unix seconds).
    pub expires_at: u64,
}

impl fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCode")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The outcome of comparing a submitted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code is right.
    Accepted,
    /// The code is wrong.
    Mismatch,
    /// The code's time is up (nothing was compared).
    Expired,
}

/// Issues a code of `digits` decimal digits, valid for `ttl_s` seconds from `now`. Returns the
/// code (to deliver, then forget) and what to store.
pub fn issue(
    rng: &dyn Randomness,
    keys: &KeyRing,
    binding: &Binding<'_>,
    digits: u8,
    now: u64,
    ttl_s: u64,
) -> Result<(SecretString, IssuedCode), PortError> {
    let code = SecretString::new(Entropy::new(rng).digits(usize::from(digits))?);
    let issued = IssuedCode {
        seal: keys.seal(binding, code.expose()),
        issued_at: now,
        expires_at: now.saturating_add(ttl_s),
    };
    Ok((code, issued))
}

/// Strips the spaces and hyphens people type inside codes.
pub fn normalize(submitted: &str) -> String {
    submitted
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// Compares `submitted` with `issued` in constant time. An expired code is refused before
/// anything is compared; input longer than [`MAX_INPUT_BYTES`] is wrong without hashing it.
/// The caller has already counted the attempt.
pub fn compare(
    issued: &IssuedCode,
    keys: &KeyRing,
    binding: &Binding<'_>,
    submitted: &str,
    now: u64,
) -> CodeCheck {
    if now >= issued.expires_at {
        return CodeCheck::Expired;
    }
    let bounded = if submitted.len() > MAX_INPUT_BYTES {
        ""
    } else {
        submitted
    };
    let code = SecretString::new(normalize(bounded));
    let ok = keys.verify(&issued.seal, binding, code.expose());
    if ok && !bounded.is_empty() {
        CodeCheck::Accepted
    } else {
        CodeCheck::Mismatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::Purpose;
    use crate::memory::TestRandomness;

    fn keys() -> KeyRing {
        KeyRing::single("k1", vec![7; 32]).unwrap()
    }
    const B: Binding<'static> = Binding {
        purpose: Purpose::ResetCode,
        flow_id: "f1",
        destination: "+14255550100",
    };

    #[test]
    fn right_code_is_accepted_with_spaces_and_hyphens() {
        let (rng, keys) = (TestRandomness::new(3), keys());
        let (code, issued) = issue(&rng, &keys, &B, 8, 1000, 300).unwrap();
        assert_eq!(code.expose().len(), 8);
        assert!(code.expose().bytes().all(|c| c.is_ascii_digit()));
        let spaced = format!("{} {}-", &code.expose()[..4], &code.expose()[4..]);
        assert_eq!(
            compare(&issued, &keys, &B, &spaced, 1010),
            CodeCheck::Accepted
        );
        let wrong = if code.expose() == "00000000" {
            "00000001"
        } else {
            "00000000"
        };
        assert_eq!(
            compare(&issued, &keys, &B, wrong, 1010),
            CodeCheck::Mismatch
        );
        assert_eq!(compare(&issued, &keys, &B, "", 1010), CodeCheck::Mismatch);
        assert_eq!(
            compare(&issued, &keys, &B, &"1".repeat(10_000), 1010),
            CodeCheck::Mismatch
        );
    }

    #[test]
    fn codes_expire_and_do_not_travel() {
        let (rng, keys) = (TestRandomness::new(6), keys());
        let (code, issued) = issue(&rng, &keys, &B, 8, 100, 300).unwrap();
        let other_flow = Binding { flow_id: "f2", ..B };
        assert_eq!(
            compare(&issued, &keys, &other_flow, code.expose(), 101),
            CodeCheck::Mismatch
        );
        let other_dest = Binding {
            destination: "+14255550101",
            ..B
        };
        assert_eq!(
            compare(&issued, &keys, &other_dest, code.expose(), 101),
            CodeCheck::Mismatch
        );
        assert_eq!(
            compare(&issued, &keys, &B, code.expose(), 400),
            CodeCheck::Expired
        );
        assert_eq!(
            compare(&issued, &keys, &B, code.expose(), u64::MAX),
            CodeCheck::Expired
        );
    }

    #[test]
    fn issued_codes_serialize_without_the_code() {
        let (rng, keys) = (TestRandomness::new(9), keys());
        let (code, issued) = issue(&rng, &keys, &B, 8, 0, 300).unwrap();
        let json = serde_json::to_string(&issued).unwrap();
        assert!(!json.contains(code.expose()));
        assert_eq!(serde_json::from_str::<IssuedCode>(&json).unwrap(), issued);
        assert!(!format!("{issued:?}").contains(&issued.seal.tag));
        let near_end = issue(&rng, &keys, &B, 8, u64::MAX - 5, 300).unwrap().1;
        assert_eq!(near_end.expires_at, u64::MAX);
    }
}
