//! Authenticator codes are accepted once, even when many threads submit the same code at once,
//! and the last accepted step survives across verifications (replay refused across flows).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sspr_core::memory::{MemorySecurityInfoStore, SeededRandomness};
use sspr_core::otp::OtpAlgorithm;
use sspr_core::ports::SecurityInfoStore;
use sspr_core::sealing::SealingKeys;
use sspr_core::security_info::{AppCredential, SecretBytes};
use sspr_core::testing::fixtures;
use sspr_core::totp::{self, OtpParams, TotpCheck};
use sspr_core::{SecurityInfo, UserId};

const NOW: u64 = 1_750_000_015;

fn sealing() -> SealingKeys {
    SealingKeys::derived(&fixtures::identity_key())
}

fn rng() -> SeededRandomness {
    SeededRandomness::new(7)
}

fn seeded() -> (MemorySecurityInfoStore, UserId, SecretBytes) {
    let store = MemorySecurityInfoStore::new();
    let user = UserId::new("u-1");
    let secret = SecretBytes::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let info = SecurityInfo {
        app: Some(AppCredential {
            secret: secret.clone(),
            algorithm: OtpAlgorithm::Sha1,
            digits: 6,
            period: 30,
            last_step: None,
            device_id: "phone".into(),
        }),
        ..Default::default()
    };
    store
        .save(user.clone(), fixtures::sealed(&user, &info), 0)
        .unwrap();
    (store, user, secret)
}

#[test]
fn one_code_many_threads_one_winner() {
    let (store, user, secret) = seeded();
    let code = totp::totp(secret.expose(), NOW, &OtpParams::default()).unwrap();
    let results: Vec<TotpCheck> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    totp::verify_and_record(&store, &sealing(), &rng(), &user, &code, NOW, 1)
                        .unwrap()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let step = NOW / 30;
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == TotpCheck::Valid { step })
            .count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|r| **r == TotpCheck::Replay).count(),
        15,
        "{results:?}"
    );
    let info = fixtures::opened(&user, &store.load(user.clone()).unwrap().unwrap().data);
    assert_eq!(info.app.unwrap().last_step, Some(step));
}

#[test]
fn replay_is_refused_later_and_newer_codes_pass() {
    let (store, user, secret) = seeded();
    let p = OtpParams::default();
    let now_code = totp::totp(secret.expose(), NOW, &p).unwrap();
    assert!(matches!(
        totp::verify_and_record(&store, &sealing(), &rng(), &user, &now_code, NOW, 1).unwrap(),
        TotpCheck::Valid { .. }
    ));
    // Same code, 20 seconds later, in another flow: still inside the window, but a replay.
    assert_eq!(
        totp::verify_and_record(&store, &sealing(), &rng(), &user, &now_code, NOW + 20, 1).unwrap(),
        TotpCheck::Replay
    );
    // The previous step's code is older than the accepted one: also a replay.
    let prev = totp::totp(secret.expose(), NOW - 30, &p).unwrap();
    assert_eq!(
        totp::verify_and_record(&store, &sealing(), &rng(), &user, &prev, NOW + 2, 1).unwrap(),
        TotpCheck::Replay
    );
    let next = totp::totp(secret.expose(), NOW + 30, &p).unwrap();
    assert_eq!(
        totp::verify_and_record(&store, &sealing(), &rng(), &user, &next, NOW + 30, 1).unwrap(),
        TotpCheck::Valid { step: NOW / 30 + 1 }
    );
    assert_eq!(
        totp::verify_and_record(&store, &sealing(), &rng(), &user, "12345", NOW + 30, 1).unwrap(),
        TotpCheck::Malformed
    );
}

#[test]
fn no_app_or_no_record_is_invalid_and_corrupt_records_are_errors() {
    let store = MemorySecurityInfoStore::new();
    let nobody = UserId::new("nobody");
    assert_eq!(
        totp::verify_and_record(&store, &sealing(), &rng(), &nobody, "123456", NOW, 1).unwrap(),
        TotpCheck::Invalid
    );
    store
        .save(
            nobody.clone(),
            fixtures::sealed(&nobody, &SecurityInfo::default()),
            0,
        )
        .unwrap();
    assert_eq!(
        totp::verify_and_record(&store, &sealing(), &rng(), &nobody, "123456", NOW, 1).unwrap(),
        TotpCheck::Invalid
    );
    let broken = UserId::new("broken");
    store
        .save(broken.clone(), "{\"v\":1,\"info\":{\"app\":7}}".into(), 0)
        .unwrap();
    assert!(matches!(
        totp::verify_and_record(&store, &sealing(), &rng(), &broken, "123456", NOW, 1),
        Err(sspr_core::Error::Input(_))
    ));
}
