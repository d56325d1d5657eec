//! Keyed storage of codes: only an HMAC-SHA256 of each code is kept, bound to what the code is
//! for, so a code issued for one flow, purpose or destination never verifies for another.
//!
//! A [`KeyRing`] holds one or more keys, newest first. New codes are sealed with the newest key;
//! a sealed code names its key, and verifies as long as that key is still in the ring. Rotating
//! keys is therefore: add a new key at the front, and drop the old one once every code sealed
//! with it has expired (codes live minutes).

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::MisuseError;

/// What a code is for. Part of every MAC, so a value can never be replayed across purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A code sent during a password reset.
    ResetCode,
    /// A code sent to confirm a method being registered.
    RegistrationCode,
    /// A recovery code.
    RecoveryCode,
    /// A push approval request.
    Approval,
    /// A link or revocation token.
    LinkToken,
    /// A code sent to prove a registered method before security info may change.
    ProofCode,
}

impl Purpose {
    /// The purpose's stable name.
    pub const fn id(self) -> &'static str {
        match self {
            Self::ResetCode => "reset_code",
            Self::RegistrationCode => "registration_code",
            Self::RecoveryCode => "recovery_code",
            Self::Approval => "approval",
            Self::LinkToken => "link_token",
            Self::ProofCode => "proof_code",
        }
    }
}

/// What a code is bound to: its purpose, the flow it was issued in and where it was sent.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    /// What the code is for.
    pub purpose: Purpose,
    /// The flow (or, for recovery codes, the user) it belongs to.
    pub flow_id: &'a str,
    /// Where it was sent (an address, a number, a device), or empty.
    pub destination: &'a str,
}

/// The smallest key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 32;

struct Key {
    id: String,
    /// The HMAC with the key already absorbed (cloned per use, so the key is hashed once).
    mac: Hmac<Sha256>,
}

/// HMAC keys for codes, newest first.
pub struct KeyRing {
    keys: Vec<Key>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("KeyRing")
            .field("key_ids", &ids)
            .finish_non_exhaustive()
    }
}

/// A sealed code: the id of the key and the HMAC tag (base64url).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// Which key made the tag.
    pub key_id: String,
    /// HMAC-SHA256 tag, unpadded base64url.
    pub tag: String,
}

impl fmt::Debug for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seal")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring of `(id, key)` pairs, newest first. Every key must have at least
    /// [`MIN_KEY_LEN`] bytes and a distinct, non-empty id.
    pub fn new(keys: Vec<(String, Vec<u8>)>) -> Result<Self, MisuseError> {
        if keys.is_empty() {
            return Err(MisuseError::EmptyKeyRing);
        }
        let mut out: Vec<Key> = Vec::with_capacity(keys.len());
        for (id, secret) in keys {
            let secret = Zeroizing::new(secret);
            if secret.len() < MIN_KEY_LEN {
                return Err(MisuseError::InvalidArgument {
                    name: "keys",
                    problem: format!("key `{id}` has fewer than {MIN_KEY_LEN} bytes"),
                });
            }
            if id.is_empty() || out.iter().any(|k| k.id == id) {
                return Err(MisuseError::InvalidArgument {
                    name: "keys",
                    problem: "key ids must be non-empty and distinct".into(),
                });
            }
            let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&secret).map_err(|_| {
                MisuseError::InvalidArgument {
                    name: "keys",
                    problem: format!("key `{id}` cannot key HMAC-SHA256"),
                }
            })?;
            out.push(Key { id, mac });
        }
        Ok(Self { keys: out })
    }

    /// A ring with one key.
    pub fn single(id: impl Into<String>, key: Vec<u8>) -> Result<Self, MisuseError> {
        Self::new(vec![(id.into(), key)])
    }

    /// The id of the key new codes are sealed with.
    pub fn signing_key_id(&self) -> &str {
        &self.keys[0].id
    }

    fn tag(key: &Key, b: &Binding<'_>, code: &str) -> [u8; 32] {
        // Unambiguous encoding: a domain label, then each field length-prefixed.
        let mut mac = key.mac.clone();
        mac.update(b"sspr/code/v1");
        for part in [b.purpose.id(), b.flow_id, b.destination, code] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// Seals `code` for `binding` with the newest key.
    pub(crate) fn seal(&self, binding: &Binding<'_>, code: &str) -> Seal {
        let key = &self.keys[0];
        Seal {
            key_id: key.id.clone(),
            tag: data_encoding::BASE64URL_NOPAD.encode(&Self::tag(key, binding, code)),
        }
    }

    /// Whether `code` is the code `seal` was made from for `binding`, in constant time. A seal
    /// whose key has left the ring never verifies.
    pub(crate) fn verify(&self, seal: &Seal, binding: &Binding<'_>, code: &str) -> bool {
        let Some(key) = self.keys.iter().find(|k| k.id == seal.key_id) else {
            return false;
        };
        let Ok(expected) = data_encoding::BASE64URL_NOPAD.decode(seal.tag.as_bytes()) else {
            return false;
        };
        let actual = Self::tag(key, binding, code);
        actual.ct_eq(expected.as_slice()).into()
    }
}

/// The key that turns identifiers into stored references: counter keys, flow-store keys, the
/// references in audit events, decoy screens. Unlike the [`KeyRing`] it is **never rotated**: a
/// new identity key resets every counter and changes every decoy screen (which would tell an
/// attacker which accounts are decoys). Keep it as secret as the code keys.
pub struct IdentityKey {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityKey(<redacted>)")
    }
}

impl IdentityKey {
    /// A key of at least [`MIN_KEY_LEN`] bytes.
    pub fn new(key: Vec<u8>) -> Result<Self, MisuseError> {
        let key = Zeroizing::new(key);
        if key.len() < MIN_KEY_LEN {
            return Err(MisuseError::InvalidArgument {
                name: "identity key",
                problem: format!("has fewer than {MIN_KEY_LEN} bytes"),
            });
        }
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).map_err(|_| {
            MisuseError::InvalidArgument {
                name: "identity key",
                problem: "cannot key HMAC-SHA256".into(),
            }
        })?;
        Ok(Self { mac })
    }

    /// HMAC-SHA256 of `value` under `label` (domain separated, length-prefixed).
    pub(crate) fn digest(&self, label: &str, value: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(b"sspr/ref/v1");
        for part in [label, value] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// The identity key of one tenant: keyed by this key and the tenant's name, so that two
    /// tenants' references never meet even when their hosts share a key.
    pub(crate) fn for_tenant(&self, tenant: &str) -> Self {
        let sub = Zeroizing::new(self.digest("tenant", tenant).to_vec());
        Self::new(sub.to_vec()).unwrap_or_else(|_| Self {
            mac: self.mac.clone(),
        })
    }

    /// A stored reference to `value`: 144 bits of its keyed hash under `label`, as 24
    /// characters of unpadded base64url. Gives nothing back about `value` without the key.
    pub(crate) fn reference(&self, label: &str, value: &str) -> String {
        data_encoding::BASE64URL_NOPAD.encode(&self.digest(label, value)[..18])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[(&str, u8)]) -> KeyRing {
        KeyRing::new(
            ids.iter()
                .map(|(id, b)| ((*id).to_owned(), vec![*b; 32]))
                .collect(),
        )
        .unwrap()
    }

    const B: Binding<'static> = Binding {
        purpose: Purpose::ResetCode,
        flow_id: "flow-1",
        destination: "alice@fabrikam.example",
    };

    #[test]
    fn a_seal_verifies_only_for_its_own_binding_and_code() {
        let r = ring(&[("k1", 1)]);
        let s = r.seal(&B, "12345678");
        assert!(r.verify(&s, &B, "12345678"));
        assert!(!r.verify(&s, &B, "12345679"));
        for other in [
            Binding {
                flow_id: "flow-2",
                ..B
            },
            Binding {
                destination: "bob@fabrikam.example",
                ..B
            },
            Binding {
                purpose: Purpose::RegistrationCode,
                ..B
            },
            // Shifting bytes between fields must not collide.
            Binding {
                flow_id: "flow-1a",
                destination: "lice@fabrikam.example",
                ..B
            },
        ] {
            assert!(!r.verify(&s, &other, "12345678"), "{other:?}");
        }
    }

    #[test]
    fn rotation_keeps_pending_codes_valid_until_the_old_key_is_dropped() {
        let old = ring(&[("k1", 1)]);
        let sealed_before = old.seal(&B, "111111");
        let rotated = ring(&[("k2", 2), ("k1", 1)]);
        assert_eq!(rotated.signing_key_id(), "k2");
        assert!(rotated.verify(&sealed_before, &B, "111111"));
        let sealed_after = rotated.seal(&B, "222222");
        assert_eq!(sealed_after.key_id, "k2");
        let retired = ring(&[("k2", 2)]);
        assert!(!retired.verify(&sealed_before, &B, "111111"));
        assert!(retired.verify(&sealed_after, &B, "222222"));
        // A forged key id with a valid tag from another key does not verify.
        let forged = Seal {
            key_id: "k2".into(),
            tag: sealed_before.tag.clone(),
        };
        assert!(!rotated.verify(&forged, &B, "111111"));
    }

    #[test]
    fn identity_references_are_keyed_and_domain_separated() {
        let a = IdentityKey::new(vec![1; 32]).unwrap();
        let b = IdentityKey::new(vec![2; 32]).unwrap();
        let r = a.reference("subject", "user:u-1");
        assert_eq!(r.len(), 24);
        assert_eq!(r, a.reference("subject", "user:u-1"));
        assert_ne!(r, b.reference("subject", "user:u-1"));
        assert_ne!(r, a.reference("flow", "user:u-1"));
        assert_ne!(a.reference("ab", "c"), a.reference("a", "bc"));
        assert!(IdentityKey::new(vec![0; 31]).is_err());
        assert_eq!(format!("{a:?}"), "IdentityKey(<redacted>)");
    }

    #[test]
    fn bad_rings_are_misuse() {
        assert_eq!(KeyRing::new(vec![]).unwrap_err(), MisuseError::EmptyKeyRing);
        assert!(matches!(
            KeyRing::single("k", vec![0; 31]),
            Err(MisuseError::InvalidArgument { .. })
        ));
        assert!(KeyRing::new(vec![("a".into(), vec![0; 32]), ("a".into(), vec![1; 32])]).is_err());
        let shown = format!("{:?}", ring(&[("k1", 0xAB)]));
        assert!(shown.contains("k1") && !shown.contains("171"), "{shown}");
    }
}
