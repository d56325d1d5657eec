//! Security info sealed at rest.
//!
//! Every security-info record (authenticator secrets, answer hashes, contacts) is encrypted
//! and authenticated with XChaCha20-Poly1305 before it reaches the store, bound to the user it
//! belongs to. A store, and anyone reading its tables, sees a key id, a random nonce and
//! ciphertext. Keys rotate like code keys: new records are sealed with the newest key, older
//! records stay readable while their key is in the ring and are resealed with the newest on
//! their next save.
//!
//! A sealed record is the text `sspr-sealed.v1.<key id>.<base64url(nonce ‖ ciphertext)>`.
//! The associated data is a domain label and the user's id, length-prefixed, so a record copied
//! to another user's row does not open.

use std::fmt;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{InputError, MisuseError};
use crate::keyring::{IdentityKey, MIN_KEY_LEN};
use crate::security_info::MAX_RECORD_BYTES;

/// The prefix of every sealed record.
const PREFIX: &str = "sspr-sealed.v1.";
/// The nonce's length in bytes (XChaCha20).
pub(crate) const NONCE_LEN: usize = 24;
/// The longest key id accepted.
pub(crate) const MAX_KEY_ID_LEN: usize = 32;
/// The largest sealed record read, in bytes (a 64 KiB record sealed and encoded, with room).
pub(crate) const MAX_SEALED_BYTES: usize = 96 * 1024;
/// The id of the key derived from the identity key when the host names none.
pub(crate) const DERIVED_KEY_ID: &str = "identity";

struct SealKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

/// The keys that seal security info, newest first.
pub struct SealingKeys {
    keys: Vec<SealKey>,
}

impl fmt::Debug for SealingKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("SealingKeys")
            .field("key_ids", &ids)
            .finish_non_exhaustive()
    }
}

/// A record opened: the plaintext and whether it was sealed with a key other than the newest
/// (the next save reseals it).
pub struct Opened {
    /// The record's plaintext.
    pub plaintext: Zeroizing<String>,
    /// Whether an older key sealed it.
    pub stale: bool,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("stale", &self.stale)
            .finish_non_exhaustive()
    }
}

fn corrupt(problem: &str) -> InputError {
    InputError::CorruptRecord {
        what: "sealed security info",
        problem: problem.to_owned(),
    }
}

/// Derives the 32-byte cipher key from a host key of any accepted length, so that one secret
/// never serves two algorithms as is.
fn derive(secret: &[u8]) -> Result<Zeroizing<[u8; 32]>, MisuseError> {
    let mut mac =
        <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(secret).map_err(|_| {
            MisuseError::InvalidArgument {
                name: "sealing_keys",
                problem: "a key cannot key HMAC-SHA256".into(),
            }
        })?;
    mac.update(b"sspr/seal/v1");
    Ok(Zeroizing::new(mac.finalize().into_bytes().into()))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_KEY_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl SealingKeys {
    /// A ring of `(id, key)` pairs, newest first. Each key has at least [`MIN_KEY_LEN`] bytes;
    /// ids are distinct, 1 to 32 characters of `A-Z a-z 0-9 - _`, and not
    /// `identity` (the derived key's, see [`SealingKeys::with_derived`]).
    pub fn new(keys: Vec<(String, Vec<u8>)>) -> Result<Self, MisuseError> {
        if keys.is_empty() {
            return Err(MisuseError::EmptyKeyRing);
        }
        let mut out: Vec<SealKey> = Vec::with_capacity(keys.len());
        for (id, secret) in keys {
            let secret = Zeroizing::new(secret);
            if secret.len() < MIN_KEY_LEN {
                return Err(MisuseError::InvalidArgument {
                    name: "sealing_keys",
                    problem: format!("key `{id}` has fewer than {MIN_KEY_LEN} bytes"),
                });
            }
            if !valid_id(&id) || id == DERIVED_KEY_ID || out.iter().any(|k| k.id == id) {
                return Err(MisuseError::InvalidArgument {
                    name: "sealing_keys",
                    problem: format!(
                        "key ids must be distinct, 1 to {MAX_KEY_ID_LEN} characters of A-Z a-z \
                         0-9 - _"
                    ),
                });
            }
            let key = derive(&secret)?;
            out.push(SealKey {
                id,
                cipher: XChaCha20Poly1305::new(&(*key).into()),
            });
        }
        Ok(Self { keys: out })
    }

    /// One key derived from the identity key, with the id `identity`: the default
    /// when the host names no sealing keys. To rotate, put a new key first and keep this one
    /// (built with [`SealingKeys::with_derived`]) until every record has been saved again.
    pub fn derived(identity: &IdentityKey) -> Self {
        let key = Zeroizing::new(identity.digest("sealing-key", DERIVED_KEY_ID));
        Self {
            keys: vec![SealKey {
                id: DERIVED_KEY_ID.to_owned(),
                cipher: XChaCha20Poly1305::new(&(*key).into()),
            }],
        }
    }

    /// This ring with the key derived from `identity` appended as the oldest (for moving from
    /// the default to keys of the host's own).
    pub fn with_derived(mut self, identity: &IdentityKey) -> Result<Self, MisuseError> {
        if self.keys.iter().any(|k| k.id == DERIVED_KEY_ID) {
            return Err(MisuseError::InvalidArgument {
                name: "sealing_keys",
                problem: format!("the id `{DERIVED_KEY_ID}` is taken by the derived key"),
            });
        }
        self.keys.extend(Self::derived(identity).keys);
        Ok(self)
    }

    /// Whether this is the default ring: the derived key alone.
    pub(crate) fn is_derived_only(&self) -> bool {
        self.keys.len() == 1 && self.keys.iter().all(|k| k.id == DERIVED_KEY_ID)
    }

    /// The id of the key new records are sealed with.
    pub fn sealing_key_id(&self) -> &str {
        self.keys.first().map_or("", |k| k.id.as_str())
    }

    fn aad(user: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(32 + user.len());
        aad.extend_from_slice(b"sspr/security-info/v1");
        aad.extend_from_slice(&(user.len() as u64).to_be_bytes());
        aad.extend_from_slice(user.as_bytes());
        aad
    }

    /// Seals `plaintext`, the record of `user`, with the newest key and `nonce` (random, from
    /// the host's randomness port: never reuse one). A plaintext larger than a record may be
    /// (64 KiB) is refused.
    pub fn seal(
        &self,
        user: &str,
        plaintext: &str,
        nonce: [u8; NONCE_LEN],
    ) -> Result<String, InputError> {
        let too_long = InputError::TooLong {
            what: "security info",
            max: MAX_RECORD_BYTES,
        };
        let key = self.keys.first().ok_or_else(|| corrupt("no sealing key"))?;
        if plaintext.len() > MAX_RECORD_BYTES {
            return Err(too_long);
        }
        let aad = Self::aad(user);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: &aad,
        };
        // Only an input beyond the cipher's 256 GiB limit fails, far above the bound checked.
        let sealed = key
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .map_err(|_| too_long)?;
        let mut body = Vec::with_capacity(NONCE_LEN + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{}.{}",
            key.id,
            data_encoding::BASE64URL_NOPAD.encode(&body)
        ))
    }

    /// Opens a record of `user`. A record of another format, sealed with a key that has left
    /// the ring, bound to another user or altered in any byte is a typed error.
    pub fn open(&self, user: &str, sealed: &str) -> Result<Opened, InputError> {
        if sealed.len() > MAX_SEALED_BYTES {
            return Err(corrupt("larger than the largest sealed record"));
        }
        let rest = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| corrupt("not a sealed record"))?;
        let (id, body) = rest.split_once('.').ok_or_else(|| corrupt("no key id"))?;
        let (index, key) = self
            .keys
            .iter()
            .enumerate()
            .find(|(_, k)| k.id == id)
            .ok_or_else(|| corrupt("sealed with a key that is not in the ring"))?;
        let body = data_encoding::BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| corrupt("not base64url"))?;
        if body.len() < NONCE_LEN + 16 {
            return Err(corrupt("too short"));
        }
        let (nonce, ct) = body.split_at(NONCE_LEN);
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(nonce);
        let aad = Self::aad(user);
        let plain = key
            .cipher
            .decrypt(&XNonce::from(n), Payload { msg: ct, aad: &aad })
            .map_err(|_| corrupt("does not authenticate (altered, or another user's)"))?;
        let plain = Zeroizing::new(plain);
        let text = std::str::from_utf8(&plain).map_err(|_| corrupt("not UTF-8"))?;
        Ok(Opened {
            plaintext: Zeroizing::new(text.to_owned()),
            stale: index > 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[(&str, u8)]) -> SealingKeys {
        SealingKeys::new(
            ids.iter()
                .map(|(id, b)| ((*id).to_owned(), vec![*b; 32]))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn a_record_opens_for_its_user_only_and_shows_no_plaintext() {
        let keys = ring(&[("k1", 1)]);
        let sealed = keys
            .seal("u-1", r#"{"email":"a@b.example"}"#, [7; NONCE_LEN])
            .unwrap();
        assert!(sealed.starts_with("sspr-sealed.v1.k1."));
        assert!(!sealed.contains("a@b"));
        let opened = keys.open("u-1", &sealed).unwrap();
        assert_eq!(opened.plaintext.as_str(), r#"{"email":"a@b.example"}"#);
        assert!(!opened.stale);
        assert!(matches!(
            keys.open("u-2", &sealed),
            Err(InputError::CorruptRecord { .. })
        ));
    }

    #[test]
    fn rotation_keeps_old_records_readable_and_marks_them_stale() {
        let old = ring(&[("k1", 1)]);
        let sealed = old.seal("u", "x", [1; NONCE_LEN]).unwrap();
        let rotated = ring(&[("k2", 2), ("k1", 1)]);
        assert_eq!(rotated.sealing_key_id(), "k2");
        let opened = rotated.open("u", &sealed).unwrap();
        assert!(opened.stale);
        let retired = ring(&[("k2", 2)]);
        assert!(retired.open("u", &sealed).is_err());
    }

    #[test]
    fn every_altered_byte_is_a_typed_error_never_a_panic() {
        let keys = ring(&[("k1", 1)]);
        let sealed = keys.seal("u", "{\"v\":1}", [3; NONCE_LEN]).unwrap();
        assert!(matches!(
            keys.seal("u", &"x".repeat(MAX_RECORD_BYTES + 1), [3; NONCE_LEN]),
            Err(InputError::TooLong { .. })
        ));
        for i in 0..sealed.len() {
            let mut b = sealed.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let Ok(s) = String::from_utf8(b) else {
                continue;
            };
            if s == sealed {
                continue;
            }
            assert!(keys.open("u", &s).is_err(), "byte {i}");
        }
        for bad in [
            "",
            "{\"v\":1}",
            "sspr-sealed.v1.",
            "sspr-sealed.v1.k1.",
            "sspr-sealed.v1.k1.AAAA",
        ] {
            assert!(keys.open("u", bad).is_err(), "{bad}");
        }
        assert!(keys.open("u", &"A".repeat(MAX_SEALED_BYTES + 1)).is_err());
    }

    #[test]
    fn bad_rings_are_misuse() {
        assert!(SealingKeys::new(vec![]).is_err());
        assert!(SealingKeys::new(vec![("k".into(), vec![1; 31])]).is_err());
        assert!(SealingKeys::new(vec![("a.b".into(), vec![1; 32])]).is_err());
        assert!(SealingKeys::new(vec![(DERIVED_KEY_ID.into(), vec![1; 32])]).is_err());
        assert!(
            SealingKeys::new(vec![("k".into(), vec![1; 32]), ("k".into(), vec![2; 32])]).is_err()
        );
        let id = IdentityKey::new(vec![5; 32]).unwrap();
        let moved = ring(&[("k2", 2)]).with_derived(&id).unwrap();
        let sealed = SealingKeys::derived(&id)
            .seal("u", "x", [0; NONCE_LEN])
            .unwrap();
        assert!(moved.open("u", &sealed).unwrap().stale);
        assert!(format!("{moved:?}").contains("identity"));
    }
}
