//! Arbitrary input sequences against reset flows (a real user and a decoy) on the in-memory
//! ports: no panic, no completion without two distinct verified factors, no password change
//! without completion, and a decoy never delivers anything.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures;
use sspr_core::{Policy, ResetOption, SecretString};

#[derive(Arbitrary, Debug)]
enum Op {
    Choose(u8),
    Resend,
    RightCode,
    Code(String),
    Answer(Vec<(String, String)>),
    Approve(String, u8, bool),
    NewPassword(String, String),
    Unlock,
    Cancel,
    Wait(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    decoy: bool,
    two_gates: bool,
    identifier: String,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    // Alice, with an alternate email and a mobile phone.
    let mem = fixtures::memory_ports(1);
    let (clock, directory, notifier) = (
        mem.clock.clone(),
        mem.directory.clone(),
        mem.notifier.clone(),
    );
    let ports = mem.ports();
    let policy = if input.two_gates {
        r#"{"reset": {"methods": ["email", "mobile_phone"], "methods_required": 2}}"#
    } else {
        "{}"
    };
    let engine = fixtures::engine(Policy::parse(policy).expect("policy"), ports);
    let identifier = if input.decoy {
        input.identifier.chars().take(300).collect()
    } else {
        fixtures::ALICE.username.to_owned()
    };
    let Ok(start) = engine.start_reset(&identifier, fixtures::CAPTCHA, None) else {
        return;
    };
    let Some(view) = start.view else { return };
    let id = view.flow_id;
    let mut completed = false;
    for op in input.ops.into_iter().take(64) {
        let step = match op {
            Op::Choose(i) => ResetInput::Choose(ResetOption::ALL[usize::from(i) % 7]),
            Op::Resend => ResetInput::Resend,
            Op::RightCode => ResetInput::EnterCode(
                notifier
                    .messages()
                    .iter()
                    .rev()
                    .find_map(|m| m.code.clone())
                    .unwrap_or_default(),
            ),
            Op::Code(c) => ResetInput::EnterCode(SecretString::new(c)),
            Op::Answer(a) => ResetInput::Answer(
                a.into_iter()
                    .map(|(q, a)| (q, SecretString::new(a)))
                    .collect::<BTreeMap<_, _>>(),
            ),
            Op::Approve(r, n, a) => ResetInput::Approve {
                request_id: r,
                number: n,
                approve: a,
            },
            Op::NewPassword(p, c) => ResetInput::NewPassword {
                password: SecretString::new(p),
                confirm: SecretString::new(c),
            },
            Op::Unlock => ResetInput::Unlock,
            Op::Cancel => ResetInput::Cancel,
            Op::Wait(s) => {
                clock.advance(u64::from(s));
                continue;
            }
        };
        let o = match engine.reset_step(&id, step) {
            Ok(o) => o,
            // Oversized input is refused with a typed error; nothing else may fail.
            Err(sspr_core::Error::Input(sspr_core::InputError::TooLong { .. })) => continue,
            Err(e) => panic!("in-memory ports never fail: {e}"),
        };
        let v = o.view.expect("a view");
        if v.state == "completed" {
            completed = true;
            assert!(
                !input.decoy
                    || identifier
                        .trim()
                        .eq_ignore_ascii_case(fixtures::ALICE.username)
            );
        }
    }
    let changed = !directory
        .password_of(&fixtures::ALICE.user_id())
        .expect("user")
        .ct_eq(fixtures::ALICE.password);
    assert!(!changed || completed, "password changed without completion");
    if input.decoy
        && !identifier
            .trim()
            .eq_ignore_ascii_case(fixtures::ALICE.username)
    {
        assert!(
            notifier.messages().is_empty(),
            "a decoy delivered a message"
        );
    }
});
