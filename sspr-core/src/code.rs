//! Verification codes sent by email, text or call: issued from the randomness port, kept only
//! as a keyed seal, checked in constant time, counted before they are compared, and accepted
//! once, even when several requests submit the same code at the same moment.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::PortError;
use crate::keyring::{Binding, KeyRing, Seal};
use crate::ports::{ConsumeOnceSet, Randomness};
use crate::random::Entropy;
use crate::reason::Reason;
use crate::secret::SecretString;

/// A code that was sent: what is stored in the flow. The code itself is not in it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    /// The keyed seal of the code.
    pub seal: Seal,
    /// When it was issued (Unix seconds).
    pub issued_at: u64,
    /// When it stops being accepted (Unix seconds).
    pub expires_at: u64,
    /// Wrong entries so far.
    pub attempts: u8,
}

impl fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCode")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// The outcome of checking a submitted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code is right, and this was its first use.
    Accepted,
    /// Wrong; this many more wrong entries are allowed.
    Mismatch {
        /// Entries left before the code dies.
        attempts_left: u8,
    },
    /// Wrong, and that was the last allowed entry (or the code had already died).
    Exhausted,
    /// The code's time is up.
    Expired,
    /// Right, but already used (a concurrent or repeated submission).
    AlreadyUsed,
}

impl CodeCheck {
    /// The reason id to show, or `None` when accepted. A reused code looks like a wrong one.
    pub fn reason(self) -> Option<Reason> {
        match self {
            Self::Accepted => None,
            Self::Mismatch { .. } | Self::AlreadyUsed => Some(Reason::CodeMismatch),
            Self::Exhausted => Some(Reason::CodeExhausted),
            Self::Expired => Some(Reason::CodeExpired),
        }
    }
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
        attempts: 0,
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

/// Compares `submitted` with `issued` without consuming it: the pure half of [`check`].
///
/// A dead code ([`CodeCheck::Exhausted`], [`CodeCheck::Expired`]) is refused before anything
/// else; otherwise the attempt is counted *before* the comparison, so no comparison goes
/// uncounted, and the seal is compared in constant time. A match is reported as
/// [`CodeCheck::Accepted`], a right code not counted as a failed attempt, and the caller must
/// still consume it; a wrong entry is [`CodeCheck::Mismatch`] with the entries left (0 when
/// that was the last one).
pub fn compare(
    issued: &mut IssuedCode,
    keys: &KeyRing,
    binding: &Binding<'_>,
    submitted: &str,
    now: u64,
    max_attempts: u8,
) -> CodeCheck {
    if issued.attempts >= max_attempts {
        return CodeCheck::Exhausted;
    }
    if now >= issued.expires_at {
        return CodeCheck::Expired;
    }
    issued.attempts += 1;
    let code = SecretString::new(normalize(submitted));
    if keys.verify(&issued.seal, binding, code.expose()) {
        issued.attempts -= 1;
        return CodeCheck::Accepted;
    }
    CodeCheck::Mismatch {
        attempts_left: max_attempts - issued.attempts,
    }
}

/// [`compare`] inside a flow transition. The transition cannot consume the code itself (that is
/// the engine's guard effect, [`Effect::consume_code`](crate::effect::Effect::consume_code));
/// when the engine re-runs the step because the code was `consumed` meanwhile, a match counts as
/// a failed attempt instead.
pub fn compare_unless_consumed(
    issued: &mut IssuedCode,
    keys: &KeyRing,
    binding: &Binding<'_>,
    submitted: &str,
    now: u64,
    max_attempts: u8,
    consumed: bool,
) -> CodeCheck {
    let check = compare(issued, keys, binding, submitted, now, max_attempts);
    if check == CodeCheck::Accepted && consumed {
        issued.attempts += 1;
        return CodeCheck::Mismatch {
            attempts_left: max_attempts.saturating_sub(issued.attempts),
        };
    }
    check
}

/// The consume-once namespace of a purpose's codes.
pub fn namespace(purpose: crate::keyring::Purpose) -> String {
    format!("sspr/{}", purpose.id())
}

/// Checks `submitted` against `issued`, updating its attempt count, and consumes a matching
/// code through `used` (namespaced by purpose): only the one caller whose consume succeeds gets
/// [`CodeCheck::Accepted`]; the others get [`CodeCheck::AlreadyUsed`]. The wrong entry that
/// uses up the last attempt gives [`CodeCheck::Exhausted`].
pub fn check(
    issued: &mut IssuedCode,
    keys: &KeyRing,
    binding: &Binding<'_>,
    submitted: &str,
    now: u64,
    max_attempts: u8,
    used: &dyn ConsumeOnceSet,
) -> Result<CodeCheck, PortError> {
    match compare(issued, keys, binding, submitted, now, max_attempts) {
        CodeCheck::Accepted => {
            if used.consume(
                namespace(binding.purpose),
                issued.seal.tag.clone(),
                issued.expires_at,
            )? {
                Ok(CodeCheck::Accepted)
            } else {
                Ok(CodeCheck::AlreadyUsed)
            }
        }
        CodeCheck::Mismatch { attempts_left: 0 } => Ok(CodeCheck::Exhausted),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::Purpose;
    use crate::memory::{MemoryConsumeOnceSet, SeededRandomness};

    fn keys() -> KeyRing {
        KeyRing::single("k1", vec![7; 32]).unwrap()
    }
    const B: Binding<'static> = Binding {
        purpose: Purpose::ResetCode,
        flow_id: "f1",
        destination: "+14255550100",
    };

    #[test]
    fn right_code_is_accepted_once() {
        let (rng, used, keys) = (
            SeededRandomness::new(3),
            MemoryConsumeOnceSet::new(),
            keys(),
        );
        let (code, mut issued) = issue(&rng, &keys, &B, 8, 1000, 300).unwrap();
        assert_eq!(code.expose().len(), 8);
        assert!(code.expose().bytes().all(|c| c.is_ascii_digit()));
        let spaced = format!("{} {}", &code.expose()[..4], &code.expose()[4..]);
        assert_eq!(
            check(&mut issued, &keys, &B, &spaced, 1010, 3, &used).unwrap(),
            CodeCheck::Accepted
        );
        assert_eq!(issued.attempts, 0);
        assert_eq!(
            check(&mut issued, &keys, &B, code.expose(), 1011, 3, &used).unwrap(),
            CodeCheck::AlreadyUsed
        );
        assert_eq!(CodeCheck::AlreadyUsed.reason(), Some(Reason::CodeMismatch));
    }

    #[test]
    fn wrong_codes_count_down_then_exhaust() {
        let (rng, used, keys) = (
            SeededRandomness::new(4),
            MemoryConsumeOnceSet::new(),
            keys(),
        );
        let (code, mut issued) = issue(&rng, &keys, &B, 6, 0, 300).unwrap();
        let wrong = if code.expose() == "000000" {
            "000001"
        } else {
            "000000"
        };
        assert_eq!(
            check(&mut issued, &keys, &B, wrong, 1, 3, &used).unwrap(),
            CodeCheck::Mismatch { attempts_left: 2 }
        );
        assert_eq!(
            check(&mut issued, &keys, &B, "garbage", 2, 3, &used).unwrap(),
            CodeCheck::Mismatch { attempts_left: 1 }
        );
        assert_eq!(
            check(&mut issued, &keys, &B, wrong, 3, 3, &used).unwrap(),
            CodeCheck::Exhausted
        );
        // Dead: even the right code is refused now, and nothing more is counted.
        assert_eq!(
            check(&mut issued, &keys, &B, code.expose(), 4, 3, &used).unwrap(),
            CodeCheck::Exhausted
        );
        assert_eq!(issued.attempts, 3);
    }

    #[test]
    fn the_last_allowed_entry_may_still_be_right() {
        let (rng, used, keys) = (
            SeededRandomness::new(5),
            MemoryConsumeOnceSet::new(),
            keys(),
        );
        let (code, mut issued) = issue(&rng, &keys, &B, 8, 0, 300).unwrap();
        assert!(matches!(
            check(&mut issued, &keys, &B, "1", 1, 2, &used).unwrap(),
            CodeCheck::Mismatch { .. }
        ));
        assert_eq!(
            check(&mut issued, &keys, &B, code.expose(), 2, 2, &used).unwrap(),
            CodeCheck::Accepted
        );
    }

    #[test]
    fn codes_expire_and_do_not_travel() {
        let (rng, used, keys) = (
            SeededRandomness::new(6),
            MemoryConsumeOnceSet::new(),
            keys(),
        );
        let (code, mut issued) = issue(&rng, &keys, &B, 8, 100, 300).unwrap();
        let other_flow = Binding { flow_id: "f2", ..B };
        let mut copy = issued.clone();
        assert!(matches!(
            check(&mut copy, &keys, &other_flow, code.expose(), 101, 3, &used).unwrap(),
            CodeCheck::Mismatch { .. }
        ));
        let other_dest = Binding {
            destination: "+14255550101",
            ..B
        };
        let mut copy = issued.clone();
        assert!(matches!(
            check(&mut copy, &keys, &other_dest, code.expose(), 101, 3, &used).unwrap(),
            CodeCheck::Mismatch { .. }
        ));
        assert_eq!(
            check(&mut issued, &keys, &B, code.expose(), 400, 3, &used).unwrap(),
            CodeCheck::Expired
        );
        assert_eq!(issued.attempts, 0, "an expired check is not an attempt");
    }

    #[test]
    fn racing_submissions_of_the_right_code_have_exactly_one_winner() {
        let (rng, used, keys) = (
            SeededRandomness::new(8),
            MemoryConsumeOnceSet::new(),
            keys(),
        );
        let (code, issued) = issue(&rng, &keys, &B, 8, 0, 300).unwrap();
        let results: Vec<CodeCheck> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| {
                    let mut mine = issued.clone();
                    let (keys, used, code) = (&keys, &used, &code);
                    s.spawn(move || check(&mut mine, keys, &B, code.expose(), 1, 3, used).unwrap())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            results
                .iter()
                .filter(|r| **r == CodeCheck::Accepted)
                .count(),
            1,
            "{results:?}"
        );
        assert_eq!(
            results
                .iter()
                .filter(|r| **r == CodeCheck::AlreadyUsed)
                .count(),
            15
        );
    }

    #[test]
    fn issued_codes_serialize_without_the_code() {
        let (rng, keys) = (SeededRandomness::new(9), keys());
        let (code, issued) = issue(&rng, &keys, &B, 8, 0, 300).unwrap();
        let json = serde_json::to_string(&issued).unwrap();
        assert!(!json.contains(code.expose()));
        assert_eq!(serde_json::from_str::<IssuedCode>(&json).unwrap(), issued);
        assert!(!format!("{issued:?}").contains(&issued.seal.tag));
    }
}
