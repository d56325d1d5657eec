//! Security answers: normalised so that trivial differences do not matter, then hashed with
//! Argon2id like a password.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, InputError};
use crate::hashing::{self, HashParams};
use crate::ports::Randomness;

/// Fewest characters in an answer (after normalisation).
pub(crate) const MIN_ANSWER_CHARS: usize = 3;
/// Most characters in an answer (after normalisation).
pub(crate) const MAX_ANSWER_CHARS: usize = 40;

/// Normalises an answer: Unicode NFKC, lower case, runs of white space collapsed to one space,
/// surrounding white space trimmed. "  Tin   MAN " and "tin man" are the same answer.
pub(crate) fn normalize(answer: &str) -> String {
    let lowered: String = answer.nfkc().flat_map(char::to_lowercase).collect();
    let nfkc: String = lowered.nfkc().collect();
    nfkc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks an answer's length (3 to 40 characters after normalisation) and returns it
/// normalised.
pub(crate) fn validate(answer: &str) -> Result<String, InputError> {
    let n = normalize(answer);
    let len = n.chars().count();
    if len < MIN_ANSWER_CHARS {
        return Err(InputError::Malformed {
            what: "security answer",
            problem: "must have at least 3 characters",
        });
    }
    if len > MAX_ANSWER_CHARS {
        return Err(InputError::TooLong {
            what: "security answer",
            max: MAX_ANSWER_CHARS,
        });
    }
    Ok(n)
}

/// Hashes an answer (normalised first) into a PHC string.
pub(crate) fn hash(
    answer: &str,
    params: &HashParams,
    rng: &dyn Randomness,
) -> Result<String, Error> {
    hashing::hash(normalize(answer).as_bytes(), params, rng)
}

/// Whether `answer` (normalised first) matches the stored hash.
pub(crate) fn verify(answer: &str, phc: &str) -> Result<bool, InputError> {
    hashing::verify(normalize(answer).as_bytes(), phc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::TestRandomness;

    #[test]
    fn normalisation_ignores_case_width_and_spacing() {
        assert_eq!(normalize("  Tin \t MAN "), "tin man");
        assert_eq!(normalize("ＴＩＮ　ｍａｎ"), "tin man"); // full-width letters and space
        assert_eq!(normalize("Straße"), "straße");
        assert_eq!(normalize("ﬁsh"), "fish"); // NFKC ligature
        assert_eq!(normalize("Ω"), "ω");
    }

    #[test]
    fn answers_verify_after_normalisation() {
        let rng = TestRandomness::new(1);
        let phc = hash("Elm Road", &HashParams::insecure_for_tests(), &rng).unwrap();
        assert!(verify("  elm   ROAD", &phc).unwrap());
        assert!(!verify("elm street", &phc).unwrap());
    }

    #[test]
    fn length_limits() {
        assert!(validate(" ab ").is_err());
        assert_eq!(
            validate(" a   ").unwrap_err(),
            InputError::Malformed {
                what: "security answer",
                problem: "must have at least 3 characters"
            }
        );
        assert_eq!(validate("abc").unwrap(), "abc");
        assert!(matches!(
            validate(&"x".repeat(41)),
            Err(InputError::TooLong { max: 40, .. })
        ));
        assert_eq!(validate(&"x".repeat(40)).unwrap().len(), 40);
    }
}
