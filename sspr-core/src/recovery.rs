//! Recovery codes: a batch of human-friendly one-time codes, shown once, stored only as keyed
//! seals, each usable once.
//!
//! A code is ten characters of Crockford's base32 alphabet (`0-9` and `A-Z` without `I L O U`),
//! 50 bits, shown as `XXXXX-XXXXX`. When typed back, case, spaces and hyphens do not matter, and
//! the look-alikes `O`, `I` and `L` are read as `0`, `1` and `1`.

use crate::error::PortError;
use crate::keyring::{Binding, KeyRing, Purpose, Seal};
use crate::ports::{ConsumeOnceSet, Randomness};
use crate::random::Entropy;
use crate::secret::SecretString;

/// The alphabet: Crockford's base32.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters per code (10 × 5 bits = 50 bits).
pub const CODE_CHARS: usize = 10;

/// A freshly made batch: the codes to show the user once, and the seals to store.
#[derive(Debug)]
pub struct RecoveryBatch {
    /// The codes, formatted `XXXXX-XXXXX`. Show once, then drop.
    pub codes: Vec<SecretString>,
    /// What to store, one seal per code.
    pub seals: Vec<Seal>,
}

fn binding(user_id: &str) -> Binding<'_> {
    Binding {
        purpose: Purpose::RecoveryCode,
        flow_id: user_id,
        destination: "",
    }
}

/// Makes `count` recovery codes for `user_id`.
pub fn generate(
    rng: &dyn Randomness,
    keys: &KeyRing,
    user_id: &str,
    count: usize,
) -> Result<RecoveryBatch, PortError> {
    let mut e = Entropy::new(rng);
    let mut codes = Vec::with_capacity(count);
    let mut seals = Vec::with_capacity(count);
    for _ in 0..count {
        let raw = SecretString::new(e.string(ALPHABET, CODE_CHARS)?);
        seals.push(keys.seal(&binding(user_id), raw.expose()));
        codes.push(SecretString::new(format!(
            "{}-{}",
            &raw.expose()[..5],
            &raw.expose()[5..]
        )));
    }
    Ok(RecoveryBatch { codes, seals })
}

/// Reads a typed code back into canonical form, or `None` if it cannot be a recovery code.
pub fn normalize(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if ALPHABET.contains(&(c as u32 as u8)) && c.is_ascii() => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// Redeems a typed code: if it matches one of `seals`, that seal is removed and `true` is
/// returned. Every seal is compared (no early exit), and the match is consumed through `used`,
/// so two concurrent redemptions of one code cannot both succeed.
pub fn redeem(
    seals: &mut Vec<Seal>,
    keys: &KeyRing,
    user_id: &str,
    typed: &str,
    used: &dyn ConsumeOnceSet,
    expires_at: u64,
) -> Result<bool, PortError> {
    let Some(code) = normalize(typed).map(SecretString::new) else {
        return Ok(false);
    };
    let mut found = None;
    for (i, seal) in seals.iter().enumerate() {
        if keys.verify(seal, &binding(user_id), code.expose()) && found.is_none() {
            found = Some(i);
        }
    }
    let Some(i) = found else {
        return Ok(false);
    };
    let seal = seals.remove(i);
    used.consume(
        format!("sspr/{}", Purpose::RecoveryCode.id()),
        seal.tag,
        expires_at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{MemoryConsumeOnceSet, TestRandomness};

    #[test]
    fn a_batch_redeems_each_code_once() {
        let keys = KeyRing::single("k", vec![1; 32]).unwrap();
        let (rng, used) = (TestRandomness::new(5), MemoryConsumeOnceSet::new());
        let batch = generate(&rng, &keys, "user-1", 10).unwrap();
        assert_eq!(batch.codes.len(), 10);
        let mut seals = batch.seals.clone();
        for c in &batch.codes {
            assert_eq!(c.expose().len(), 11);
            assert_eq!(&c.expose()[5..6], "-");
        }
        let first = batch.codes[0].expose().to_lowercase().replace('-', " ");
        assert!(redeem(&mut seals, &keys, "user-1", &first, &used, u64::MAX).unwrap());
        assert_eq!(seals.len(), 9);
        assert!(!redeem(&mut seals, &keys, "user-1", &first, &used, u64::MAX).unwrap());
        // A stale copy of the list cannot replay it either.
        let mut stale = batch.seals.clone();
        assert!(!redeem(&mut stale, &keys, "user-1", &first, &used, u64::MAX).unwrap());
        // Codes are bound to their user.
        let mut seals2 = batch.seals.clone();
        assert!(
            !redeem(
                &mut seals2,
                &keys,
                "user-2",
                batch.codes[1].expose(),
                &used,
                u64::MAX
            )
            .unwrap()
        );
    }

    #[test]
    fn typing_is_forgiving_but_not_loose() {
        assert_eq!(normalize("abcde-fghjk").as_deref(), Some("ABCDEFGHJK"));
        assert_eq!(normalize("o1l2i 3456 7").as_deref(), Some("0112134567"));
        assert_eq!(normalize("ABCDE-FGHJ"), None);
        assert_eq!(normalize("ABCDE-FGHJU"), None, "U is not in the alphabet");
        assert_eq!(normalize("ÄBCDE-FGHJK"), None);
        assert_eq!(ALPHABET.len(), 32);
        assert!((ALPHABET.len() as f64).log2() * CODE_CHARS as f64 >= 50.0);
    }
}
