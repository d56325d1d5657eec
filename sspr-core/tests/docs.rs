//! `docs/flows.md` names exactly the states the code has.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

fn states_in(diagram: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in diagram.lines().map(str::trim).filter(|l| l.contains("-->")) {
        let (from, rest) = line.split_once("-->").unwrap();
        let to = rest.split(':').next().unwrap();
        for s in [from.trim(), to.trim()] {
            if s != "[*]" {
                out.insert(s.to_owned());
            }
        }
    }
    out
}

#[test]
fn the_diagrams_match_the_state_machines() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/flows.md")).unwrap();
    let mut parts = doc
        .split("```mermaid")
        .skip(1)
        .map(|p| p.split("```").next().unwrap());
    let (reset, registration) = (
        states_in(parts.next().unwrap()),
        states_in(parts.next().unwrap()),
    );
    let reset_states: BTreeSet<String> = [
        "choose_method",
        "enter_code",
        "answer_questions",
        "await_approval",
        "new_password",
        "setting_password",
        "completed",
        "unlocked",
        "blocked",
        "expired",
        "cancelled",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(reset, reset_states);
    // The names above are the code's own: check them against ResetState::name through JSON.
    for name in &reset_states {
        let json = if name == "blocked" {
            serde_json::json!({ "blocked": { "until": 1 } })
        } else if [
            "enter_code",
            "answer_questions",
            "await_approval",
            "setting_password",
        ]
        .contains(&name.as_str())
        {
            continue;
        } else {
            serde_json::json!(name)
        };
        let state: sspr_core::reset::ResetState = serde_json::from_value(json).unwrap();
        assert_eq!(state.name(), name);
    }
    let registration_states: BTreeSet<String> = [
        "prove_identity",
        "proving",
        "registering",
        "verifying",
        "done",
        "expired",
        "cancelled",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(registration, registration_states);
    for name in [
        "prove_identity",
        "registering",
        "done",
        "expired",
        "cancelled",
    ] {
        let state: sspr_core::registration::RegistrationState =
            serde_json::from_value(serde_json::json!(name)).unwrap();
        assert_eq!(state.name(), name);
    }
}
