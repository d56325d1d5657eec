//! The project's own vectors exercise every reason id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sspr_core::Reason;

fn collect(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("rejection" | "reason", serde_json::Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    ("reasons", serde_json::Value::Array(a)) => {
                        out.extend(a.iter().filter_map(|r| r.as_str().map(str::to_owned)))
                    }
                    _ => collect(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        _ => {}
    }
}

#[test]
fn every_reason_id_is_expected_somewhere() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance");
    let mut seen = BTreeSet::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                collect(
                    &serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
                    &mut seen,
                );
            }
        }
    }
    // Reasons only a failing port can bring about (the format has no fault injection); each is
    // covered by the Rust tests named here.
    const UNDER_FAULTS: [(&str, &str, &str); 1] = [(
        "password.change_pending",
        "tests/password_change.rs: a_failure_after_the_directory_accepted_never_leaves_the_flow_unaware",
        "PasswordChangePending",
    )];
    for (id, test, variant) in UNDER_FAULTS {
        let file = test.split(':').next().unwrap();
        let text =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
                .unwrap();
        assert!(text.contains(variant), "{id} is not covered by {test}");
    }
    let missing: Vec<&str> = Reason::ALL
        .iter()
        .map(|r| r.id())
        .filter(|id| !seen.contains(*id) && !UNDER_FAULTS.iter().any(|(u, _, _)| u == id))
        .collect();
    assert!(
        missing.is_empty(),
        "reason ids no vector expects: {missing:?}"
    );
    let unknown: Vec<&String> = seen
        .iter()
        .filter(|s| s.parse::<Reason>().is_err())
        .collect();
    assert!(
        unknown.is_empty(),
        "vectors expect unknown reason ids: {unknown:?}"
    );
}
