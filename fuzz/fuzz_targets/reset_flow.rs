//! Arbitrary input sequences against reset flows (a real user and a decoy) on the in-memory
//! ports: no panic, no completion without two distinct verified factors, no password change
//! without completion, and a decoy never delivers anything.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sspr_core::memory::*;
use sspr_core::testing::fixtures;
use sspr_core::ports::SecurityInfoStore;
use sspr_core::reset::ResetInput;
use sspr_core::{DirectoryUser, EmailAddress, PhoneNumber, Policy, ResetOption, SecretString, SecurityInfo, UserId};

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
    let mem = MemoryPorts::new(1_750_000_000, 1, "ok");
    let (clock, directory, notifier) = (mem.clock.clone(), mem.directory.clone(), mem.notifier.clone());
    let user = UserId::new("u1");
    directory.add_user(DirectoryUser { id: user.clone(), username: "alice@contoso.example".into(), first_name: "Alice".into(), last_name: "Smith".into(), org_name: "Contoso".into(), groups: vec![], admin: false }, "Winter-Lantern-58");
    let si = SecurityInfo { email: EmailAddress::parse("a.s@fabrikam.example").ok(), mobile: PhoneNumber::parse("+14255550100").ok(), ..Default::default() };
    mem.security_info.save(user.clone(), fixtures::sealed(&user, &si), 0).expect("seed");
    let ports = mem.ports();
    let policy = if input.two_gates { r#"{"reset": {"methods": ["email", "mobile_phone"], "methods_required": 2}}"# } else { "{}" };
    let engine = fixtures::engine(Policy::parse(policy).expect("policy"), ports);
    let identifier = if input.decoy { input.identifier.chars().take(300).collect() } else { "alice@contoso.example".to_owned() };
    let Ok(start) = engine.start_reset(&identifier, "ok", None) else { return };
    let Some(view) = start.view else { return };
    let id = view.flow_id;
    let mut completed = false;
    for op in input.ops.into_iter().take(64) {
        let step = match op {
            Op::Choose(i) => ResetInput::Choose(ResetOption::ALL[usize::from(i) % 7]),
            Op::Resend => ResetInput::Resend,
            Op::RightCode => ResetInput::EnterCode(notifier.messages().iter().rev().find_map(|m| m.code.clone()).unwrap_or_default()),
            Op::Code(c) => ResetInput::EnterCode(SecretString::new(c)),
            Op::Answer(a) => ResetInput::Answer(a.into_iter().map(|(q, a)| (q, SecretString::new(a))).collect::<BTreeMap<_, _>>()),
            Op::Approve(r, n, a) => ResetInput::Approve { request_id: r, number: n, approve: a },
            Op::NewPassword(p, c) => ResetInput::NewPassword { password: SecretString::new(p), confirm: SecretString::new(c) },
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
            assert!(!input.decoy || identifier.trim().eq_ignore_ascii_case("alice@contoso.example"));
        }
    }
    let changed = !directory.password_of(&user).expect("user").ct_eq("Winter-Lantern-58");
    assert!(!changed || completed, "password changed without completion");
    if input.decoy && !identifier.trim().eq_ignore_ascii_case("alice@contoso.example") {
        assert!(notifier.messages().is_empty(), "a decoy delivered a message");
    }
});
