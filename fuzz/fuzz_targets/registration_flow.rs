//! Arbitrary input sequences against the registration wizard: no panic, registered methods are
//! always among those allowed, and finishing only succeeds with enough distinct factors.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sspr_core::memory::*;
use sspr_core::registration::{RegistrationInput, Via};
use sspr_core::testing::fixtures;
use sspr_core::{Method, Policy, SecretString};

#[derive(Arbitrary, Debug)]
enum Op {
    Email(String),
    Mobile(String, bool),
    Office(String),
    App,
    Questions(Vec<(u8, String)>),
    Verify(String),
    RightCode,
    Remove(u8),
    Default(u8),
    Finish,
    Cancel,
}

fuzz_target!(|ops: Vec<Op>| {
    let mem = MemoryPorts::for_tests(1_750_000_000, 3, "ok");
    // Alice, with nothing registered yet.
    mem.directory
        .add_user(fixtures::ALICE.directory_user(), fixtures::ALICE.password);
    let notifier = mem.notifier.clone();
    let ports = mem.ports();
    let policy = Policy::parse(r#"{"reset": {"methods": ["email", "mobile_phone", "security_questions"], "methods_required": 2}}"#).expect("policy");
    let engine = fixtures::engine(policy, ports);
    let start = engine
        .start_registration(
            fixtures::ALICE.username,
            &SecretString::new(fixtures::ALICE.password), None,
        )
        .expect("start");
    let id = start.view.expect("view").flow_id;
    let questions = sspr_core::questions::PREDEFINED;
    for op in ops.into_iter().take(48) {
        let input = match op {
            Op::Email(a) => RegistrationInput::Email(a),
            Op::Mobile(n, text) => RegistrationInput::Mobile {
                number: n,
                via: if text { Via::Text } else { Via::Call },
            },
            Op::Office(n) => RegistrationInput::Office(n),
            Op::App => RegistrationInput::App { device_id: None },
            Op::Questions(qs) => RegistrationInput::Questions(
                qs.into_iter()
                    .map(|(i, a)| {
                        (
                            questions[usize::from(i) % questions.len()].to_owned(),
                            SecretString::new(a),
                        )
                    })
                    .collect::<BTreeMap<_, _>>(),
            ),
            Op::Verify(c) => RegistrationInput::Verify(SecretString::new(c)),
            Op::RightCode => RegistrationInput::Verify(
                notifier
                    .messages()
                    .iter()
                    .rev()
                    .find_map(|m| m.code.clone())
                    .unwrap_or_default(),
            ),
            Op::Remove(i) => RegistrationInput::Remove(Method::ALL[usize::from(i) % 6]),
            Op::Default(i) => RegistrationInput::SetDefault(Method::ALL[usize::from(i) % 6]),
            Op::Finish => RegistrationInput::Finish,
            Op::Cancel => RegistrationInput::Cancel,
        };
        let o = match engine.registration_step(&id, input) {
            Ok(o) => o,
            // Oversized input is refused with a typed error; nothing else may fail.
            Err(sspr_core::Error::Input(sspr_core::InputError::TooLong { .. })) => continue,
            Err(e) => panic!("in-memory ports never fail: {e}"),
        };
        let v = o.view.expect("view");
        assert!(
            v.registered.iter().all(|m| matches!(
                m,
                Method::Email | Method::MobilePhone | Method::SecurityQuestions
            )),
            "{:?}",
            v.registered
        );
        if v.state == "done" {
            assert_eq!(v.still_needed, 0);
        }
    }
});
