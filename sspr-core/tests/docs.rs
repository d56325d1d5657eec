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
        "confirm_number",
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
            "confirm_number",
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
        "reconfirm",
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
        "reconfirm",
        "done",
        "expired",
        "cancelled",
    ] {
        let state: sspr_core::registration::RegistrationState =
            serde_json::from_value(serde_json::json!(name)).unwrap();
        assert_eq!(state.name(), name);
    }
}

/// `docs/vocabulary.md` is the one table of methods, options, factors and channels: each row
/// must say what `Method` says.
#[test]
fn the_vocabulary_table_matches_the_methods() {
    use sspr_core::{Method, ResetOption};
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/vocabulary.md"
    ))
    .unwrap();
    let ids = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let rows: Vec<Vec<String>> = doc
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), Method::ALL.len(), "one row a method");
    for method in Method::ALL {
        let row = rows
            .iter()
            .find(|r| ids(&r[0]) == [method.id()])
            .unwrap_or_else(|| panic!("no row for {method}"));
        let options: Vec<String> = method.options().iter().map(|o| o.id().to_owned()).collect();
        assert_eq!(ids(&row[2]), options, "options of {method}");
        for option in method.options() {
            assert_eq!(option.method(), method);
            assert_eq!(
                option.id().parse::<ResetOption>().ok(),
                Some(*option),
                "{option} parses back"
            );
        }
        let factor = serde_json::to_value(method.factor()).unwrap();
        assert_eq!(
            ids(&row[3]),
            [factor.as_str().unwrap()],
            "factor of {method}"
        );
    }
}
