//! Argon2id hashing of low-entropy secrets (security answers, password history) into PHC
//! strings that any Argon2 implementation verifies.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, InputError, MisuseError};
use crate::ports::Randomness;
use crate::random::Entropy;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashParams {
    /// Memory in KiB (at least 8 × `parallelism`).
    pub memory_kib: u32,
    /// Passes over memory (at least 1).
    pub iterations: u32,
    /// Lanes (at least 1).
    pub parallelism: u32,
}

impl Default for HashParams {
    /// The OWASP recommendation: m = 19456 KiB, t = 2, p = 1 (about 20–30 ms here).
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl HashParams {
    /// The cheapest valid parameters (m = 8, t = 1, p = 1): for tests only, never production.
    pub const fn insecure_for_tests() -> Self {
        Self {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Checks the parameters are ones argon2 accepts (memory at least 8 × parallelism, at
    /// least one pass and one lane), without hashing anything.
    pub fn validate(&self) -> Result<(), MisuseError> {
        self.argon2().map(|_| ())
    }

    fn argon2(&self) -> Result<Argon2<'static>, MisuseError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| MisuseError::InvalidArgument {
                name: "hash parameters",
                problem: e.to_string(),
            })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashes `secret` with a fresh 16-byte salt from the randomness port; returns a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
pub fn hash(secret: &[u8], params: &HashParams, rng: &dyn Randomness) -> Result<String, Error> {
    let argon2 = params.argon2()?;
    let salt = Zeroizing::new(Entropy::new(rng).bytes(16)?);
    let phc = argon2.hash_password_with_salt(secret, &salt).map_err(|e| {
        MisuseError::InvalidArgument {
            name: "secret",
            problem: format!("cannot be hashed: {e}"),
        }
    })?;
    Ok(phc.to_string())
}

/// Hashes `secret` with a given salt (at least 8 bytes): for a fixed hash at a known cost,
/// never for stored secrets.
pub(crate) fn hash_with_salt(
    secret: &[u8],
    params: &HashParams,
    salt: &[u8],
) -> Result<String, MisuseError> {
    let argon2 = params.argon2()?;
    let phc =
        argon2
            .hash_password_with_salt(secret, salt)
            .map_err(|e| MisuseError::InvalidArgument {
                name: "salt",
                problem: format!("cannot be used: {e}"),
            })?;
    Ok(phc.to_string())
}

/// Whether `secret` matches the PHC string `phc` (with the parameters recorded in it). A string
/// that is not an Argon2 PHC string is a corrupt record.
pub fn verify(secret: &[u8], phc: &str) -> Result<bool, InputError> {
    let parsed = argon2::password_hash::phc::PasswordHash::new(phc).map_err(|_| {
        InputError::CorruptRecord {
            what: "password hash",
            problem: "not an Argon2 PHC string".into(),
        }
    })?;
    match Argon2::default().verify_password(secret, &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(_) => Err(InputError::CorruptRecord {
            what: "password hash",
            problem: "unsupported Argon2 algorithm or parameters".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::TestRandomness;

    #[test]
    fn hashes_verify_and_record_their_parameters() {
        let rng = TestRandomness::new(1);
        let p = HashParams::insecure_for_tests();
        let phc = hash(b"tin man", &p, &rng).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{phc}");
        assert!(verify(b"tin man", &phc).unwrap());
        assert!(!verify(b"tin men", &phc).unwrap());
        let other = hash(b"tin man", &p, &rng).unwrap();
        assert_ne!(phc, other, "salts must differ");
    }

    #[test]
    fn owasp_defaults_are_the_default() {
        let rng = TestRandomness::new(2);
        let phc = hash(b"x", &HashParams::default(), &rng).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(b"x", &phc).unwrap());
    }

    #[test]
    fn bad_input_gets_typed_errors() {
        assert!(matches!(
            verify(b"x", "plaintext"),
            Err(InputError::CorruptRecord { .. })
        ));
        assert!(matches!(
            verify(b"x", "$bcrypt$v=1$abc"),
            Err(InputError::CorruptRecord { .. })
        ));
        let bad = HashParams {
            memory_kib: 1,
            iterations: 0,
            parallelism: 0,
        };
        assert!(matches!(
            hash(b"x", &bad, &TestRandomness::new(3)),
            Err(Error::Misuse(_))
        ));
    }
}
