//! Hostile stores, ports and inputs: stored keys give nothing back (hardening 4), distinct
//! means distinct (11), no bearer secret in logs (12), no panic whatever a port returns (13),
//! everything stored is bounded (14).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{World, world};
use sha2::Digest;
use sspr_core::engine::Engine;
use sspr_core::memory::*;
use sspr_core::ports::*;
use sspr_core::registration::{RegistrationInput, Via};
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, BEN, CAPTCHA, T0};
use sspr_core::{Error, InputError, Policy, PortError, Reason, ResetOption, SecretString};

const PW: &str = "quiet lantern orchard 4417";

fn sha256_hex(s: &str) -> String {
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(s.as_bytes()))
}

/// Every key sspr stores (counters, flow-store keys, consume-once keys) is a keyed hash: no
/// username, id, address, number, client or flow id in it, in clear or as a plain SHA-256 (on
/// a1f0e59 counter keys were plain SHA-256 prefixes of the identifier and destinations).
#[test]
fn stored_keys_give_nothing_back() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone"], "methods_required": 2,
            "confirm_phone_number": false}}"#,
    );
    let view = w
        .engine
        .start_reset(ALICE.username, CAPTCHA, Some("198.51.100.7"))
        .unwrap()
        .view
        .unwrap();
    let id = view.flow_id.clone();
    w.step(&id, ResetInput::Choose(ResetOption::Email));
    w.step(&id, World::code("00000000"));
    w.step(&id, World::code(&w.last_code()));
    w.step(&id, ResetInput::Choose(ResetOption::MobileText));
    w.step(&id, World::code(&w.last_code()));
    let o = w.step(
        &id,
        ResetInput::NewPassword {
            password: SecretString::new(PW),
            confirm: SecretString::new(PW),
        },
    );
    assert_eq!(o.view.unwrap().state, "completed");
    let decoy = w.start("mallory@contoso.example");
    let mut keys: Vec<String> = w.counters.inner.keys();
    keys.extend(w.flows.inner.keys());
    assert!(keys.len() > 5, "{keys:?}");
    let secrets = [
        "alice",
        "alice@contoso.example",
        "u-alice",
        "mallory",
        "alice.smith@fabrikam.example",
        "+14255550100",
        "4255550100",
        "198.51.100.7",
        id.as_str(),
        decoy.as_str(),
    ];
    for key in &keys {
        for s in secrets {
            assert!(!key.contains(s), "{key} holds {s}");
            let plain = sha256_hex(s);
            assert!(!key.contains(&plain[..16]), "{key} is a plain hash of {s}");
        }
    }
    // Flow records never hold the flow id either.
    for key in w.flows.inner.keys() {
        let data = w.flows.inner.load(key).unwrap().unwrap().data;
        assert!(!data.contains(&id) && !data.contains(&decoy));
    }
}

/// Two gates need two distinct factors and destinations: one number registered as both the
/// mobile and the office phone is one factor. Registration refuses such a number, and an
/// alternate email that is the account's own mailbox.
#[test]
fn one_number_is_one_factor() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone"], "methods_required": 2,
            "confirm_phone_number": false}}"#,
    );
    let import = sspr_core::engine::SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        mobile: Some("+14255550100".into()),
        office: Some("+1 (425) 555-0100".into()),
        ..Default::default()
    };
    // An import refuses one number as both phones, and changes nothing...
    let err = w
        .engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap_err();
    assert!(
        matches!(err, Error::Input(_)),
        "the same number twice is bad input: {err}"
    );
    // ...but a record written by an older release or another tool may still hold it.
    let record = sspr_core::testing::internals::security_info::SecurityInfo {
        email: Some(sspr_core::EmailAddress::parse("alice.smith@fabrikam.example").unwrap()),
        mobile: Some(sspr_core::PhoneNumber::parse("+14255550100").unwrap()),
        office: Some(sspr_core::PhoneNumber::parse("+1 (425) 555-0100").unwrap()),
        ..Default::default()
    };
    fixtures::overwrite_info(&*w.mem.security_info, &ALICE.user_id(), &record);
    let id = w.start(ALICE.username);
    w.step(&id, ResetInput::Choose(ResetOption::MobileText));
    let o = w.step(&id, World::code(&w.last_code()));
    let offered: Vec<_> = o.view.unwrap().options.iter().map(|o| o.option).collect();
    assert_eq!(
        offered,
        [ResetOption::Email],
        "the office call reaches the same number"
    );
    let o = w.step(&id, ResetInput::Choose(ResetOption::OfficeCall));
    assert_eq!(o.rejection, Some(Reason::OptionUnavailable));
    // Without the email the user has one factor: not enough for two gates (a decoy).
    let record = sspr_core::testing::internals::security_info::SecurityInfo {
        email: None,
        ..record
    };
    fixtures::overwrite_info(&*w.mem.security_info, &ALICE.user_id(), &record);
    let id = w.start(ALICE.username);
    w.step(&id, ResetInput::Choose(ResetOption::MobileText));
    assert!(
        w.mem.notifier.messages().len() <= 2,
        "nothing is sent to a user who cannot pass two gates"
    );
    // Registration refuses the same number twice, and the account's own mailbox.
    let w = world("");
    let reg = w
        .engine
        .start_registration(BEN.username, &SecretString::new(BEN.password), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    w.engine
        .registration_step(&reg, RegistrationInput::Prove(ResetOption::Email))
        .unwrap();
    w.engine
        .registration_step(
            &reg,
            RegistrationInput::Verify(SecretString::new(w.last_code())),
        )
        .unwrap();
    let o = w
        .engine
        .registration_step(&reg, RegistrationInput::Office("+44 20 7183 8750".into()))
        .unwrap();
    assert_eq!(
        o.rejection,
        Some(Reason::MethodInvalid),
        "Ben's mobile number"
    );
    let o = w
        .engine
        .registration_step(&reg, RegistrationInput::Email("BEN@contoso.example".into()))
        .unwrap();
    assert_eq!(
        o.rejection,
        Some(Reason::MethodInvalid),
        "Ben's own mailbox"
    );
}

/// Flow ids are bearer tokens: no audit event, `Debug` output or error carries one (on
/// a1f0e59 audit events and `ResetView`'s `Debug` carried the id).
#[test]
fn no_flow_id_in_audit_events_or_debug_output() {
    let w = world("");
    let view = w
        .engine
        .start_reset(ALICE.username, CAPTCHA, None)
        .unwrap()
        .view
        .unwrap();
    let id = view.flow_id.clone();
    let o1 = w.step(&id, ResetInput::Choose(ResetOption::Email));
    let o2 = w.step(&id, World::code("00000000"));
    let reg = w
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap();
    let reg_id = reg.view.as_ref().unwrap().flow_id.clone();
    let shown = format!(
        "{view:?} {o1:?} {o2:?} {reg:?} {:?} {:?}",
        w.audit(),
        w.engine.reset_view_of(&id).unwrap()
    );
    assert!(!shown.contains(&id) && !shown.contains(&reg_id), "{shown}");
    assert!(
        shown.contains(&view.flow_ref),
        "the reference stands in for it"
    );
    let audit_json = serde_json::to_string(&w.audit()).unwrap();
    assert!(!audit_json.contains(&id) && !audit_json.contains(&reg_id));
    let change = PasswordChange {
        change_id: "change-secret-id".into(),
        password: SecretString::new(PW),
        history_hash: "$argon2id$hash".into(),
        requested_at: 1,
        must_change: false,
    };
    let shown = format!("{change:?}");
    assert!(
        !shown.contains("change-secret-id")
            && !shown.contains("argon2")
            && !shown.contains("lantern"),
        "{shown}"
    );
    let err = w
        .engine
        .reset_step(&"x".repeat(100), ResetInput::Cancel)
        .unwrap_err();
    assert!(!err.to_string().contains("xxxx"));
}

/// A clock, a counter store and stored records that return extreme values: every step ends in
/// a result or a typed error, never a panic (on a1f0e59 `until - now` and `now + ttl`
/// overflowed, and a record with `digits: 0` let an empty code pass).
#[test]
fn extreme_port_values_never_panic() {
    struct Extreme {
        inner: MemoryCounterStore,
        mode: AtomicU64,
    }
    impl CounterStore for Extreme {
        fn increment(&self, k: String, now: u64, w: u64) -> Result<CounterState, PortError> {
            let s = self.inner.increment(k, now, w)?;
            Ok(self.twist(s, now))
        }
        fn get(&self, k: String, now: u64) -> Result<CounterState, PortError> {
            let s = self.inner.get(k, now)?;
            Ok(self.twist(s, now))
        }
        fn release(&self, k: String, now: u64) -> Result<(), PortError> {
            self.inner.release(k, now)
        }
        fn block(&self, k: String, until: u64) -> Result<u64, PortError> {
            match self.mode.load(Ordering::SeqCst) {
                1 => Ok(0),
                2 => Ok(u64::MAX),
                _ => self.inner.block(k, until),
            }
        }
        fn clear(&self, k: String) -> Result<(), PortError> {
            self.inner.clear(k)
        }
    }
    impl Extreme {
        fn twist(&self, s: CounterState, now: u64) -> CounterState {
            match self.mode.load(Ordering::SeqCst) {
                1 => CounterState {
                    count: u32::MAX,
                    blocked_until: Some(now.saturating_sub(1)),
                },
                2 => CounterState {
                    count: 0,
                    blocked_until: Some(u64::MAX - 1),
                },
                3 => CounterState {
                    count: 255,
                    blocked_until: None,
                },
                _ => s,
            }
        }
    }
    for now in [
        0,
        1,
        T0,
        u64::MAX / 2,
        u64::MAX - 1000,
        u64::MAX - 1,
        u64::MAX,
    ] {
        for mode in 0..4 {
            let mem = fixtures::memory_ports(1);
            mem.clock.set(now);
            let counters = Arc::new(Extreme {
                inner: MemoryCounterStore::new(),
                mode: AtomicU64::new(mode),
            });
            let mut ports = mem.ports();
            ports.counters = counters;
            let engine = Engine::new(
                Policy::parse(r#"{"reset": {"methods": ["email", "mobile_phone", "app_code", "app_notification", "security_questions"]}}"#).unwrap(),
                ports,
                fixtures::options(),
            )
            .unwrap();
            for who in [ALICE.username, BEN.username, "nobody@contoso.example"] {
                let Ok(o) = engine.start_reset(who, CAPTCHA, Some("203.0.113.1")) else {
                    continue;
                };
                let Some(v) = o.view else { continue };
                let id = v.flow_id;
                for option in ResetOption::ALL {
                    let _ = engine.reset_step(&id, ResetInput::Choose(option));
                    let _ = engine
                        .reset_step(&id, ResetInput::EnterCode(SecretString::new("12345678")));
                    let _ = engine.reset_step(&id, ResetInput::Resend);
                    let _ = engine.reset_step(
                        &id,
                        ResetInput::Approve {
                            request_id: "r".into(),
                            number: 255,
                            approve: true,
                        },
                    );
                    let _ = engine.reset_step(&id, ResetInput::Answer(Default::default()));
                    mem.clock.set(now.saturating_add(40));
                }
                let _ = engine.reset_step(
                    &id,
                    ResetInput::NewPassword {
                        password: SecretString::new(PW),
                        confirm: SecretString::new(PW),
                    },
                );
                let _ = engine.reset_view_of(&id);
            }
            let _ = engine.sign_in_check(
                ALICE.username,
                &sspr_core::SecretString::new(ALICE.password),
                None,
            );
            if let Ok(o) =
                engine.start_registration(BEN.username, &SecretString::new(BEN.password), None)
                && let Some(v) = o.view
            {
                for input in [
                    RegistrationInput::Prove(ResetOption::AppCode),
                    RegistrationInput::Verify(SecretString::new("123456")),
                    RegistrationInput::Prove(ResetOption::AppNotification),
                    RegistrationInput::Mobile {
                        number: "+14255550111".into(),
                        via: Via::Call,
                    },
                    RegistrationInput::Finish,
                ] {
                    let _ = engine.registration_step(&v.flow_id, input);
                }
            }
            let _ = engine.unblock(ALICE.username, "helpdesk-7");
        }
    }
}

/// Records tampered with in the store: a typed error, never a pass and never a panic.
#[test]
fn tampered_records_are_refused() {
    let mem = fixtures::memory_ports(2);
    let engine = fixtures::engine(
        Policy::parse(r#"{"reset": {"methods": ["email", "app_code", "app_notification"]}}"#)
            .unwrap(),
        mem.ports(),
    );
    let id = engine
        .start_reset(BEN.username, CAPTCHA, None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    engine
        .reset_step(&id, ResetInput::Choose(ResetOption::AppCode))
        .unwrap();
    // A record altered in the store without the sealing key does not open.
    let keys = sspr_core::SealingKeys::derived(&fixtures::identity_key());
    let rec = mem.security_info.load(BEN.user_id()).unwrap().unwrap();
    let mut altered = rec.data.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    mem.security_info
        .save(
            BEN.user_id(),
            String::from_utf8(altered).unwrap(),
            rec.version,
        )
        .unwrap();
    let err = engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new("123456")))
        .unwrap_err();
    assert!(
        matches!(err, Error::Input(InputError::CorruptRecord { .. })),
        "{err}"
    );
    // Another user's record copied over Ben's does not open either (bound to its user).
    let alice = mem.security_info.load(ALICE.user_id()).unwrap().unwrap();
    let rec = mem.security_info.load(BEN.user_id()).unwrap().unwrap();
    mem.security_info
        .save(BEN.user_id(), alice.data, rec.version)
        .unwrap();
    let err = engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new("123456")))
        .unwrap_err();
    assert!(
        matches!(err, Error::Input(InputError::CorruptRecord { .. })),
        "{err}"
    );
    // Even sealed by a writer holding the key, an authenticator credential of 0 digits (it
    // would accept an empty code) is refused.
    let plain = fixtures::ben_info().to_record();
    let tampered = plain.replace("\"digits\":6", "\"digits\":0");
    assert_ne!(tampered, plain);
    let rec = mem.security_info.load(BEN.user_id()).unwrap().unwrap();
    mem.security_info
        .save(
            BEN.user_id(),
            keys.seal(BEN.user_id().as_str(), &tampered, [9; 24])
                .unwrap(),
            rec.version,
        )
        .unwrap();
    let err = engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new("")))
        .unwrap_err();
    assert!(
        matches!(err, Error::Input(InputError::CorruptRecord { .. })),
        "{err}"
    );
    // A flow whose numbers were pushed to the extremes.
    let key = sspr_core::testing::internals::reference(&fixtures::identity_key(), "flow", &id);
    for (from, to) in [
        ("\"gates\":2", "\"gates\":255"),
        (
            "\"expires_at\":",
            "\"expires_at\":18446744073709551615,\"x\":",
        ),
        ("\"question_draws\":0", "\"question_draws\":4294967295"),
        (
            "\"passed\":[]",
            "\"passed\":[\"email\",\"email\",\"app\",\"app\"]",
        ),
        ("\"v\":2", "\"v\":65535"),
        ("\"flow_ref\"", "\"flow_reff\""),
    ] {
        let rec = mem.flows.load(key.clone()).unwrap().unwrap();
        let tampered = rec.data.replacen(from, to, 1);
        mem.flows
            .save(key.clone(), tampered, rec.version, u64::MAX)
            .unwrap();
        let _ = engine.reset_step(&id, ResetInput::EnterCode(SecretString::new("123456")));
        let _ = engine.reset_view_of(&id);
    }
    let huge = format!("{{\"reset\": \"{}\"}}", "x".repeat(70_000));
    let rec = mem.flows.load(key.clone()).unwrap().unwrap();
    mem.flows.save(key, huge, rec.version, u64::MAX).unwrap();
    let err = engine.reset_step(&id, ResetInput::Cancel).unwrap_err();
    assert!(
        matches!(err, Error::Input(InputError::CorruptRecord { .. })),
        "{err}"
    );
}

/// Every input that is stored or compared has a maximum size, enforced with a typed error.
#[test]
fn oversized_inputs_get_typed_errors_and_change_nothing() {
    let w = world("");
    let id = w.start(ALICE.username);
    let big = "9".repeat(5000);
    let too_long = |r: Result<_, Error>| matches!(r, Err(Error::Input(InputError::TooLong { .. })));
    assert!(too_long(
        w.engine
            .start_reset(&"a".repeat(300), CAPTCHA, None)
            .map(|_| ())
    ));
    assert!(too_long(
        w.engine
            .start_reset(ALICE.username, CAPTCHA, Some(&"1".repeat(300)))
            .map(|_| ())
    ));
    assert!(too_long(
        w.engine
            .reset_step(&id, ResetInput::EnterCode(SecretString::new(big.clone())))
            .map(|_| ())
    ));
    assert!(too_long(
        w.engine
            .reset_step(
                &id,
                ResetInput::Approve {
                    request_id: big.clone(),
                    number: 12,
                    approve: true
                }
            )
            .map(|_| ())
    ));
    let answers = (0..6)
        .map(|i| (format!("q{i}"), SecretString::new("a")))
        .collect();
    assert!(too_long(
        w.engine
            .reset_step(&id, ResetInput::Answer(answers))
            .map(|_| ())
    ));
    let long_answer = [("q".to_owned(), SecretString::new(big.clone()))].into();
    assert!(too_long(
        w.engine
            .reset_step(&id, ResetInput::Answer(long_answer))
            .map(|_| ())
    ));
    assert!(too_long(
        w.engine
            .reset_step(
                &id,
                ResetInput::NewPassword {
                    password: SecretString::new(big.clone()),
                    confirm: SecretString::new(big.clone())
                }
            )
            .map(|_| ())
    ));
    assert!(too_long(
        w.engine.reset_view_of(&"f".repeat(200)).map(|_| ())
    ));
    assert!(too_long(
        w.engine
            .sign_in_check(
                ALICE.username,
                &sspr_core::SecretString::new(big.as_str()),
                None
            )
            .map(|_| ())
    ));
    assert_eq!(w.engine.reset_view_of(&id).unwrap().state, "choose_method");
    let reg = w
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    for input in [
        RegistrationInput::App {
            device_id: Some("d".repeat(300)),
        },
        RegistrationInput::Email("e".repeat(2000)),
        RegistrationInput::Mobile {
            number: big.clone(),
            via: Via::Text,
        },
        RegistrationInput::Verify(SecretString::new(big.clone())),
        RegistrationInput::Questions([("q".repeat(2000), SecretString::new("answer"))].into()),
    ] {
        assert!(too_long(
            w.engine.registration_step(&reg, input).map(|_| ())
        ));
    }
    assert!(too_long(w.engine.report_not_me(&big).map(|_| ())));
    assert!(too_long(w.engine.unblock(&big, "helpdesk-7").map(|_| ())));
    // Engine options out of range are refused when the engine is built.
    let mem = fixtures::memory_ports(1);
    let mut o = fixtures::options();
    o.client_limit = Some(sspr_core::policy::Limit::new(5, 0, 60));
    assert!(
        Engine::new(Policy::default(), mem.ports(), o).is_err(),
        "a zero-length window"
    );
    let mut o = fixtures::options();
    o.country_budget = Some(sspr_core::engine::CountryBudget {
        max: 0,
        window_s: 60,
    });
    assert!(Engine::new(Policy::default(), mem.ports(), o).is_err());
}
