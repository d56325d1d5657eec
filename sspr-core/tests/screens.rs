//! What a host shows and logs, as snapshots: every screen of a two-gate reset and of a decoy's
//! reset, the audit trail they leave, and the effective default policy. A change to any of
//! them is a change users or operators see; review it with `cargo insta review`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use sspr_core::engine::ResetOutcome;
use sspr_core::memory::MemoryPorts;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA};
use sspr_core::{Policy, ResetOption, SecretString};

const TWO_GATES: &str =
    r#"{"reset": {"methods": ["email", "mobile_phone"], "methods_required": 2}}"#;

fn shown(o: &ResetOutcome) -> Value {
    json!({
        "view": o.view,
        "rejection": o.rejection.map(|r| r.id()),
        "retry_after": o.retry_after,
        "password": o.password.as_ref().map(|v| v.reasons.iter().map(|r| r.id()).collect::<Vec<_>>()),
    })
}

fn last_code(mem: &MemoryPorts) -> SecretString {
    SecretString::new(
        mem.notifier
            .messages()
            .iter()
            .rev()
            .find_map(|m| m.code.clone())
            .expect("a code was sent")
            .expose(),
    )
}

/// Every screen of a reset by `identifier`, in order, with the flow's id and reference
/// redacted (they are random per run).
fn walk(identifier: &str) -> (Vec<Value>, MemoryPorts) {
    let mem = fixtures::memory_ports(7);
    let engine = fixtures::engine(Policy::parse(TWO_GATES).unwrap(), mem.ports());
    let mut screens = Vec::new();
    let start = engine.start_reset(identifier, CAPTCHA, None).unwrap();
    let id = start.view.clone().unwrap().flow_id;
    screens.push(shown(&start));
    let mut step = |input: ResetInput| {
        let o = engine.reset_step(&id, input).unwrap();
        screens.push(shown(&o));
    };
    step(ResetInput::Choose(ResetOption::Email));
    step(ResetInput::EnterCode(SecretString::new("00000000")));
    if identifier == ALICE.username {
        step(ResetInput::EnterCode(last_code(&mem)));
        step(ResetInput::Choose(ResetOption::MobileText));
        // "Enter your complete mobile phone number", in any common form.
        step(ResetInput::ConfirmNumber(SecretString::new(
            "+1 (425) 555-0100",
        )));
        step(ResetInput::EnterCode(last_code(&mem)));
        let weak = SecretString::new("contoso1");
        step(ResetInput::NewPassword {
            password: weak.clone(),
            confirm: weak,
        });
        let good = SecretString::new("quiet lantern orchard 4417");
        step(ResetInput::NewPassword {
            password: good.clone(),
            confirm: good,
        });
    }
    (screens, mem)
}

#[test]
fn a_two_gate_reset_screen_by_screen() {
    let (screens, _) = walk(ALICE.username);
    insta::assert_json_snapshot!(screens, {
        "[].view.flow_id" => "[flow id]",
        "[].view.flow_ref" => "[flow ref]",
    });
}

#[test]
fn a_decoys_first_screens_have_the_same_shape() {
    // An unknown identifier gets the same screens as a real user: options with masked
    // destinations drawn from the decoy profile, a code screen, a refusal of the wrong code.
    let (screens, mem) = walk("nobody@contoso.example");
    assert!(
        mem.notifier.messages().is_empty(),
        "a decoy delivers nothing"
    );
    insta::assert_json_snapshot!(screens, {
        "[].view.flow_id" => "[flow id]",
        "[].view.flow_ref" => "[flow ref]",
    });
}

#[test]
fn the_audit_trail_of_a_reset() {
    let (_, mem) = walk(ALICE.username);
    let trail: Vec<Value> = mem
        .audit
        .events()
        .iter()
        .map(|e| serde_json::from_str(&e.to_json()).unwrap())
        .collect();
    insta::assert_json_snapshot!(trail, {
        "[].flow_ref" => "[flow ref]",
    });
}

#[test]
fn the_effective_default_policy() {
    // Every default, as the policy document spells it (see docs/defaults.md for the sources).
    insta::assert_json_snapshot!(Policy::default().to_json());
}

#[test]
fn outcomes_serialise_as_a_json_api_returns_them() {
    let mem = fixtures::memory_ports(7);
    let engine = fixtures::engine(Policy::parse(TWO_GATES).unwrap(), mem.ports());
    let start = engine.start_reset(ALICE.username, CAPTCHA, None).unwrap();
    let id = start.view.clone().unwrap().flow_id;
    let wrong = engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .and_then(|_| engine.reset_step(&id, ResetInput::EnterCode(SecretString::new("1"))))
        .unwrap();
    let v = serde_json::to_value(&wrong).unwrap();
    assert_eq!(v["rejection"], "code.mismatch");
    assert_eq!(v["view"]["state"], "enter_code");
    assert_eq!(v["view"]["flow_id"], id.as_str());
    assert_eq!(v["warnings"], json!([]));
    // A warning names the port and kind; its message is the port's own, never an address.
    let mut with_warning = wrong.clone();
    with_warning
        .warnings
        .push(sspr_core::PortError::unavailable(
            sspr_core::PortName::Audit,
            "sink down",
        ));
    let w = serde_json::to_value(&with_warning).unwrap();
    assert_eq!(
        w["warnings"][0],
        json!({"port": "audit", "kind": "unavailable", "message": "sink down"})
    );
    let check = engine
        .sign_in_check(
            ALICE.username,
            &sspr_core::SecretString::new(ALICE.password),
            None,
        )
        .unwrap();
    assert_eq!(
        serde_json::to_value(check).unwrap()["registration_required"],
        false
    );
}
