//! Recovery codes: a batch of ten human-friendly one-time codes, made at registration and shown
//! once, stored only as keyed hashes under the never-rotated identity key (so that rotating the
//! code keys does not void them), each usable once.
//!
//! A code is ten characters of Crockford's base32 alphabet (`0-9` and `A-Z` without `I L O U`),
//! 50 bits, shown as `XXXXX-XXXXX`. When typed back, case, spaces and hyphens do not matter, and
//! the look-alikes `O`, `I` and `L` are read as `0`, `1` and `1`.
//!
//! Guessing is bounded by the user's verification limits like any code; 50 bits against ten
//! live codes leave 2⁻⁴⁶·⁷ per guess.

use subtle::ConstantTimeEq;

use crate::error::PortError;
use crate::keyring::IdentityKey;
use crate::random::Entropy;
use crate::secret::SecretString;

/// The alphabet: Crockford's base32.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters per code (10 × 5 bits = 50 bits).
pub const CODE_CHARS: usize = 10;
/// Codes in a batch.
pub const BATCH: usize = 10;
/// The length of a stored digest (unpadded base64url of 32 bytes).
pub(crate) const DIGEST_CHARS: usize = 43;

/// A freshly made batch: the codes to show the user once, and the digests to store.
#[derive(Debug)]
pub struct RecoveryBatch {
    /// The codes, formatted `XXXXX-XXXXX`. Show once, then drop.
    pub codes: Vec<SecretString>,
    /// What to store, one keyed digest per code.
    pub digests: Vec<String>,
}

/// The keyed digest of a canonical code, bound to its user.
fn digest(ids: &IdentityKey, user_id: &str, canonical: &str) -> String {
    data_encoding::BASE64URL_NOPAD
        .encode(&ids.digest(&format!("recovery-code/{user_id}"), canonical))
}

/// Makes a batch of [`BATCH`] recovery codes for `user_id`.
pub(crate) fn generate(
    entropy: &mut Entropy<'_>,
    ids: &IdentityKey,
    user_id: &str,
) -> Result<RecoveryBatch, PortError> {
    let mut codes = Vec::with_capacity(BATCH);
    let mut digests = Vec::with_capacity(BATCH);
    for _ in 0..BATCH {
        let raw = SecretString::new(entropy.string(ALPHABET, CODE_CHARS)?);
        digests.push(digest(ids, user_id, raw.expose()));
        let (a, b) = raw.expose().split_at(CODE_CHARS / 2);
        codes.push(SecretString::new(format!("{a}-{b}")));
    }
    Ok(RecoveryBatch { codes, digests })
}

/// Reads a typed code back into canonical form, or `None` if it cannot be a recovery code.
pub fn normalize(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        if out.len() == CODE_CHARS {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// The index of the stored digest `typed` matches, if any. Every one of [`BATCH`] slots is
/// compared in constant time whatever the input and however many codes are left, so the time
/// taken tells nothing of the count or of the match.
pub(crate) fn find(
    stored: &[String],
    ids: &IdentityKey,
    user_id: &str,
    typed: &str,
) -> Option<usize> {
    let canonical = normalize(typed);
    let wanted = digest(ids, user_id, canonical.as_deref().unwrap_or("-"));
    let mut found = None;
    for i in 0..BATCH.max(stored.len()) {
        let candidate = stored.get(i).map_or("", String::as_str);
        let same: bool = candidate.as_bytes().ct_eq(wanted.as_bytes()).into();
        if same && canonical.is_some() && found.is_none() {
            found = Some(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::TestRandomness;

    fn ids() -> IdentityKey {
        IdentityKey::new(vec![7; 32]).unwrap()
    }

    #[test]
    fn a_batch_matches_each_code_for_its_user_only() {
        let rng = TestRandomness::new(5);
        let mut e = Entropy::new(&rng);
        let batch = generate(&mut e, &ids(), "user-1").unwrap();
        assert_eq!(batch.codes.len(), BATCH);
        assert!(batch.digests.iter().all(|d| d.len() == DIGEST_CHARS));
        for c in &batch.codes {
            assert_eq!(c.expose().len(), 11);
            assert_eq!(&c.expose()[5..6], "-");
        }
        let third = batch.codes[2].expose().to_lowercase().replace('-', " ");
        assert_eq!(find(&batch.digests, &ids(), "user-1", &third), Some(2));
        assert_eq!(find(&batch.digests, &ids(), "user-2", &third), None);
        assert_eq!(find(&batch.digests[3..], &ids(), "user-1", &third), None);
        assert_eq!(find(&batch.digests, &ids(), "user-1", "not a code"), None);
        // Stored digests never contain the code.
        assert!(
            !batch
                .digests
                .concat()
                .contains(&batch.codes[0].expose()[..5])
        );
    }

    #[test]
    fn typing_is_forgiving_but_not_loose() {
        assert_eq!(normalize("abcde-fghjk").as_deref(), Some("ABCDEFGHJK"));
        assert_eq!(normalize("o1l2i 3456 7").as_deref(), Some("0112134567"));
        assert_eq!(normalize("ABCDE-FGHJ"), None);
        assert_eq!(normalize("ABCDE-FGHJKM"), None, "too long");
        assert_eq!(normalize("ABCDE-FGHJU"), None, "U is not in the alphabet");
        assert_eq!(normalize("ÄBCDE-FGHJK"), None);
        assert_eq!(ALPHABET.len(), 32);
        assert!((ALPHABET.len() as f64).log2() * CODE_CHARS as f64 >= 50.0);
    }
}
