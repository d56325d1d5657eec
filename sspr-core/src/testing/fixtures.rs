//! One set of demo users and one engine setup, shared by tests, benches, fuzz targets and
//! examples: Alice (a user with an alternate email and a mobile phone) and Ben (an
//! administrator with an alternate email, a mobile phone and the authenticator app), at
//! Contoso, on the in-memory ports.
//!
//! **Test only**: the keys are fixed and public, and hashing is at the cheapest argon2 cost.

use crate::engine::{Engine, EngineOptions, Ports};
use crate::hashing::HashParams;
use crate::keyring::{IdentityKey, KeyRing};
use crate::memory::MemoryPorts;
use crate::otp::OtpAlgorithm;
use crate::ports::SecurityInfoStore;
use crate::sealing::{NONCE_LEN, SealingKeys};
use crate::security_info::{AppCredential, SecretBytes, SecurityInfo};
use crate::{DirectoryUser, EmailAddress, PhoneNumber, Policy, UserId};

/// The time every fixture starts at (Unix seconds, June 2025).
pub const T0: u64 = 1_750_000_000;
/// The organisation.
pub const ORG: &str = "Contoso";
/// The CAPTCHA token the fixture's CAPTCHA accepts.
pub const CAPTCHA: &str = "captcha-ok";

/// A demo user: who they are in the directory and their current password.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// The directory id.
    pub id: &'static str,
    /// The sign-in name.
    pub username: &'static str,
    /// Given name.
    pub first_name: &'static str,
    /// Family name.
    pub last_name: &'static str,
    /// The current password.
    pub password: &'static str,
    /// Whether the user is an administrator.
    pub admin: bool,
}

/// Alice: alternate email `alice.smith@fabrikam.example`, mobile `+14255550100`.
pub const ALICE: DemoUser = DemoUser {
    id: "u-alice",
    username: "alice@contoso.example",
    first_name: "Alice",
    last_name: "Smith",
    password: "Winter-Lantern-58",
    admin: false,
};

/// Ben, an administrator: alternate email, mobile and the authenticator app
/// ([`BEN_APP_SECRET`]).
pub const BEN: DemoUser = DemoUser {
    id: "u-ben",
    username: "ben@contoso.example",
    first_name: "Ben",
    last_name: "Okafor",
    password: "Harbour-Kettle-31",
    admin: true,
};

/// Ben's authenticator secret (base32).
pub const BEN_APP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

impl DemoUser {
    /// The user's directory id.
    pub fn user_id(&self) -> UserId {
        UserId::new(self.id)
    }

    /// The user as the directory returns them.
    pub fn directory_user(&self) -> DirectoryUser {
        DirectoryUser {
            id: self.user_id(),
            username: self.username.into(),
            first_name: self.first_name.into(),
            last_name: self.last_name.into(),
            org_name: ORG.into(),
            groups: vec![],
            admin: self.admin,
        }
    }

    /// What the password rules know of the user.
    pub fn facts(&self) -> crate::password::UserFacts {
        crate::password::UserFacts {
            username: self.username.into(),
            first_name: self.first_name.into(),
            last_name: self.last_name.into(),
            org_name: ORG.into(),
        }
    }
}

/// Alice's security info.
pub fn alice_info() -> SecurityInfo {
    SecurityInfo {
        email: EmailAddress::parse("alice.smith@fabrikam.example").ok(),
        mobile: PhoneNumber::parse("+14255550100").ok(),
        ..SecurityInfo::default()
    }
}

/// Ben's security info.
pub fn ben_info() -> SecurityInfo {
    SecurityInfo {
        email: EmailAddress::parse("ben.okafor@fabrikam.example").ok(),
        mobile: PhoneNumber::parse("+442071838750").ok(),
        apps: SecretBytes::from_base32(BEN_APP_SECRET)
            .ok()
            .map(|secret| AppCredential {
                secret,
                algorithm: OtpAlgorithm::Sha1,
                digits: 6,
                period: 30,
                last_step: None,
                device_id: "ben-phone".into(),
            })
            .into_iter()
            .collect(),
        ..SecurityInfo::default()
    }
}

/// The fixture's code keys (fixed: test only).
pub fn keys() -> KeyRing {
    KeyRing::single("test-k1", vec![42; 32]).unwrap_or_else(|_| unreachable!("32-byte key"))
}

/// The fixture's identity key (fixed: test only).
pub fn identity_key() -> IdentityKey {
    IdentityKey::new(vec![43; 32]).unwrap_or_else(|_| unreachable!("32-byte key"))
}

/// `info` as the stored record of `user`, sealed as an engine with [`options`] seals it (a
/// nonce made from the user id: test only, never reuse a nonce in production).
pub fn sealed(user: &UserId, info: &SecurityInfo) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    let d = identity_key().digest("test-nonce", user.as_str());
    nonce.copy_from_slice(&d[..NONCE_LEN]);
    SealingKeys::derived(&identity_key())
        .seal(user.as_str(), &info.to_record(), nonce)
        .unwrap_or_else(|e| unreachable!("a bounded record seals: {e}"))
}

/// Overwrites `user`'s stored record with `info`, sealed as [`sealed`] seals it, whatever
/// version is stored (a record written behind the engine's back: another tool, an older
/// release). Panics if the store refuses (test only).
pub fn overwrite_info(store: &dyn SecurityInfoStore, user: &UserId, info: &SecurityInfo) {
    let version = store
        .load(user.clone())
        .unwrap_or_else(|e| panic!("load: {e}"))
        .map_or(0, |r| r.version);
    store
        .save(user.clone(), sealed(user, info), version)
        .unwrap_or_else(|e| panic!("save: {e}"));
}

/// Opens a record sealed by an engine with [`options`]. Panics on a record that does not open
/// (test only).
pub fn opened(user: &UserId, sealed: &str) -> SecurityInfo {
    let opened = SealingKeys::derived(&identity_key())
        .open(user.as_str(), sealed)
        .unwrap_or_else(|e| panic!("the record does not open: {e}"));
    SecurityInfo::from_record(&opened.plaintext)
        .unwrap_or_else(|e| panic!("the record does not parse: {e}"))
}

/// Engine options for tests: fixed keys, the cheapest argon2 cost.
pub fn options() -> EngineOptions {
    let mut o = EngineOptions::new(keys(), identity_key(), ORG);
    o.hash_params = HashParams::insecure_for_tests();
    o
}

/// In-memory ports at [`T0`], seeded randomness, the [`CAPTCHA`] token, and Alice and Ben with
/// their security info.
pub fn memory_ports(seed: u64) -> MemoryPorts {
    let mem = MemoryPorts::for_tests(T0, seed, CAPTCHA);
    for (user, info) in [(ALICE, alice_info()), (BEN, ben_info())] {
        mem.directory.add_user(user.directory_user(), user.password);
        // A fresh in-memory store accepts the first save of each user.
        let _ = mem
            .security_info
            .save(user.user_id(), sealed(&user.user_id(), &info), 0);
    }
    mem
}

/// An engine over `ports` with the test options.
pub fn engine(policy: Policy, ports: Ports) -> Engine {
    Engine::new(policy, ports, options()).unwrap_or_else(|e| unreachable!("test options: {e}"))
}
