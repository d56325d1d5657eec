//! Property tests of the flow invariants, over random input sequences:
//! * no completion without the required number of distinct factors;
//! * the failure counter never decreases (until a completed reset clears it);
//! * a decoy flow and a real one look the same to someone who does not hold the user's factors:
//!   same states, refusals, gates, options and audit shape, step by step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use sspr_core::engine::Engine;
use sspr_core::memory::*;
use sspr_core::ports::{CounterStore, FlowStore, SecurityInfoStore};
use sspr_core::reset::{ResetInput, ResetState};
use sspr_core::testing::fixtures;
use sspr_core::testing::internals::security_info::SecurityInfo;
use sspr_core::{
    DirectoryUser, EmailAddress, Factor, PhoneNumber, Policy, ResetOption, SecretString, UserId,
};

const T0: u64 = 1_750_000_000;
const ALICE: &str = "alice@contoso.example";

#[derive(Debug, Clone)]
enum Op {
    Choose(usize),
    Resend,
    RightCode,
    WrongCode(u32),
    WrongAnswers,
    Approve(u8, bool),
    NewPassword,
    Unlock,
    Cancel,
    Wait(u64),
}

fn op(attacker: bool) -> impl Strategy<Value = Op> {
    let common = prop_oneof![
        (0usize..7).prop_map(Op::Choose),
        Just(Op::Resend),
        (0u32..100_000_000).prop_map(Op::WrongCode),
        Just(Op::WrongAnswers),
        (10u8..100, any::<bool>()).prop_map(|(n, a)| Op::Approve(n, a)),
        Just(Op::NewPassword),
        Just(Op::Unlock),
        Just(Op::Cancel),
        (0u64..400).prop_map(Op::Wait),
    ];
    if attacker {
        common.boxed()
    } else {
        prop_oneof![3 => Just(Op::RightCode), 10 => common].boxed()
    }
}

struct World {
    engine: Engine,
    clock: Arc<TestClock>,
    flows: Arc<MemoryFlowStore>,
    counters: Arc<MemoryCounterStore>,
    notifier: Arc<RecordingNotifier>,
    audit: Arc<MemoryAuditSink>,
}

fn world(policy: &str) -> World {
    let mem = MemoryPorts::for_tests(T0, 9, "ok");
    mem.directory.add_user(
        DirectoryUser {
            id: UserId::new("u1"),
            username: ALICE.into(),
            first_name: "Alice".into(),
            last_name: "Smith".into(),
            org_name: "Contoso".into(),
            groups: vec![],
            admin: false,
        },
        "Winter-Lantern-58",
    );
    let si = SecurityInfo {
        email: Some(EmailAddress::parse("alice.smith@fabrikam.example").unwrap()),
        mobile: Some(PhoneNumber::parse("+14255550100").unwrap()),
        ..Default::default()
    };
    mem.security_info
        .save(
            UserId::new("u1"),
            fixtures::sealed(&UserId::new("u1"), &si),
            0,
        )
        .unwrap();
    World {
        engine: fixtures::engine(Policy::parse(policy).unwrap(), mem.ports()),
        clock: mem.clock.clone(),
        flows: mem.flows.clone(),
        counters: mem.counters.clone(),
        notifier: mem.notifier.clone(),
        audit: mem.audit.clone(),
    }
}

/// What someone without the user's factors can observe of a step.
type Observed = (
    String,
    Option<&'static str>,
    u8,
    Vec<&'static str>,
    usize,
    Option<u64>,
    Vec<String>,
);

fn run(w: &World, identifier: &str, ops: &[Op]) -> (Vec<Observed>, String) {
    let start = w.engine.start_reset(identifier, "ok", None).unwrap();
    let id = start.view.unwrap().flow_id;
    let mut seen = Vec::new();
    let mut last_failures = 0;
    for op in ops {
        let before = w.audit.events().len();
        let input = match op {
            Op::Choose(i) => ResetInput::Choose(ResetOption::ALL[*i]),
            Op::Resend => ResetInput::Resend,
            Op::RightCode => {
                let code = w
                    .notifier
                    .messages()
                    .iter()
                    .rev()
                    .find_map(|m| m.code.as_ref().map(|c| c.expose().to_owned()))
                    .unwrap_or_default();
                ResetInput::EnterCode(SecretString::new(code))
            }
            Op::WrongCode(n) => ResetInput::EnterCode(SecretString::new(format!("{n:08}9"))),
            Op::WrongAnswers => ResetInput::Answer(BTreeMap::new()),
            Op::Approve(n, a) => ResetInput::Approve {
                request_id: "guess".into(),
                number: *n,
                approve: *a,
            },
            Op::NewPassword => ResetInput::NewPassword {
                password: SecretString::new("quiet lantern orchard 4417"),
                confirm: SecretString::new("quiet lantern orchard 4417"),
            },
            Op::Unlock => ResetInput::Unlock,
            Op::Cancel => ResetInput::Cancel,
            Op::Wait(s) => {
                w.clock.advance(*s);
                continue;
            }
        };
        let o = w.engine.reset_step(&id, input).unwrap();
        let v = o.view.unwrap();
        let kinds = w.audit.events()[before..]
            .iter()
            .map(|e| format!("{:?}", e.kind))
            .collect();
        seen.push((
            v.state.id().to_owned(),
            o.rejection.map(|r| r.id()),
            v.gate,
            v.options.iter().map(|x| x.option.id()).collect(),
            v.questions.len(),
            o.retry_after,
            kinds,
        ));

        // Invariant: the failure counter never decreases before completion.
        // (The failure window is 30 days, longer than any sequence here, so it never rolls over.)
        let now = sspr_core::ports::Clock::now(w.clock.as_ref()).unwrap();
        let failures: u32 = w
            .counters
            .keys()
            .into_iter()
            .filter(|k| k.starts_with("sspr/v2/fail/"))
            .map(|k| w.counters.get(k, now).unwrap().count)
            .sum();
        if v.state != "completed" {
            assert!(
                failures >= last_failures,
                "failure counter went from {last_failures} to {failures}"
            );
        }
        last_failures = failures;
    }
    let rec = w
        .flows
        .load(sspr_core::testing::internals::reference(
            &fixtures::identity_key(),
            "flow",
            &id,
        ))
        .unwrap()
        .unwrap();
    (seen, rec.data)
}

const POLICY: &str = r#"{"reset": {"methods": ["email", "mobile_phone"], "methods_required": 2},
  "limits": {"verify_failures": {"max": 6, "window_s": 2592000, "block_s": 600}}}"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn no_completion_without_two_distinct_factors(ops in proptest::collection::vec(op(false), 1..30)) {
        let w = world(POLICY);
        let (_, data) = run(&w, ALICE, &ops);
        let v: serde_json::Value = serde_json::from_str(&data).unwrap();
        let passed: Vec<Factor> = serde_json::from_value(v["reset"]["passed"].clone()).unwrap();
        let state: ResetState = serde_json::from_value(v["reset"]["state"].clone()).unwrap();
        let mut factors = passed.clone();
        factors.sort_unstable();
        factors.dedup();
        prop_assert_eq!(factors.len(), passed.len(), "a factor counted twice");
        if matches!(state, ResetState::Completed | ResetState::NewPassword | ResetState::Unlocked) {
            prop_assert!(factors.len() >= 2, "reached {:?} with {:?}", state, factors);
        }
    }

    #[test]
    fn decoys_look_like_real_users(ops in proptest::collection::vec(op(true), 1..30)) {
        let real = world(POLICY);
        let fake = world(POLICY);
        let (a, _) = run(&real, ALICE, &ops);
        let (b, _) = run(&fake, "mallory@contoso.example", &ops);
        prop_assert_eq!(a, b);
        prop_assert!(fake.notifier.messages().is_empty(), "a decoy delivered a message");
    }
}
