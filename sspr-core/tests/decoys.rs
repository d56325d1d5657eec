//! Decoys walk the same path (hardening 8): the same port calls as a real user of the same
//! shape, screens drawn per identifier that stay put across key rotation, no counter shared
//! between decoys, the country budget, question redraws and pool sizes as for real users.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::recording::{Calls, recorded};
use sspr_core::KeyRing;
use sspr_core::engine::{CountryBudget, Engine, EngineOptions, SecurityInfoImport};
use sspr_core::memory::MemoryPorts;
use sspr_core::ports::*;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, BEN, CAPTCHA};
use sspr_core::{DecoyProfile, Policy, Reason, ResetOption, SecretString};

const QUESTIONS: [(&str, &str); 3] = [
    ("What was the name of your first pet?", "Rex"),
    ("What was your first job?", "paper round"),
    ("What is your favourite food?", "pho"),
];

/// Runs one reset as `who` and returns, per step, the port calls it made.
fn walk(policy: &str, who: &str, steps: &[ResetInput]) -> Vec<Vec<String>> {
    let mem = fixtures::memory_ports(11);
    let calls = Arc::new(Calls::default());
    let mut options = fixtures::options();
    options.decoys.admin_percent = 0;
    let engine = Engine::new(
        Policy::parse(policy).unwrap(),
        recorded(&mem, &calls),
        options,
    )
    .unwrap();
    let import = SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        questions: QUESTIONS
            .iter()
            .map(|(q, a)| ((*q).to_owned(), SecretString::new(*a)))
            .collect(),
        ..Default::default()
    };
    engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap();
    calls.take();
    let mut out = Vec::new();
    let id = engine
        .start_reset(who, CAPTCHA, None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    out.push(calls.take());
    for s in steps {
        let mut s = s.clone();
        if let ResetInput::Answer(_) = s {
            let asked = engine.reset_view_of(&id).unwrap().questions;
            calls.take();
            s = ResetInput::Answer(
                asked
                    .into_iter()
                    .map(|q| (q, SecretString::new("not it")))
                    .collect(),
            );
        }
        engine.reset_step(&id, s).unwrap();
        mem.clock.advance(31);
        out.push(calls.take());
    }
    out
}

/// A decoy makes the same port calls as a real user of the same shape, step by step; only the
/// delivery is missing (on a1f0e59 a decoy skipped the security-info load, the country
/// budget and half the counter calls).
#[test]
fn a_decoy_makes_the_same_port_calls_as_a_real_user() {
    let policy = r#"{"reset": {"methods": ["email", "security_questions"], "methods_required": 2},
                     "limits": {"verify_failures": {"max": 50, "window_s": 3600, "block_s": 60}}}"#;
    let steps = [
        ResetInput::Choose(ResetOption::Email),
        ResetInput::EnterCode(SecretString::new("00000000")),
        ResetInput::Resend,
        ResetInput::EnterCode(SecretString::new("00000001")),
        ResetInput::Choose(ResetOption::SecurityQuestions),
        ResetInput::Answer(BTreeMap::new()),
        ResetInput::Choose(ResetOption::SecurityQuestions),
        ResetInput::Cancel,
    ];
    let real = walk(policy, ALICE.username, &steps);
    let decoy = walk(policy, "mallory@contoso.example", &steps);
    assert_eq!(real.len(), decoy.len());
    for (i, (r, d)) in real.iter().zip(&decoy).enumerate() {
        let r: Vec<_> = r.iter().filter(|c| *c != "notifier.deliver").collect();
        let d: Vec<_> = d.iter().collect();
        assert_eq!(r, d, "step {i}");
    }
    assert!(real.iter().flatten().any(|c| *c == "notifier.deliver"));
    assert!(!decoy.iter().flatten().any(|c| *c == "notifier.deliver"));
}

fn engine_with(options: EngineOptions, policy: &str) -> (Engine, MemoryPorts) {
    let mem = fixtures::memory_ports(5);
    let engine = Engine::new(Policy::parse(policy).unwrap(), mem.ports(), options).unwrap();
    (engine, mem)
}

/// A decoy's screen is the same every time, in every process, and across rotation of the code
/// keys (on a1f0e59 it was sealed with the rotating code key, so rotation changed every decoy
/// screen and told an attacker which accounts were decoys).
#[test]
fn decoy_screens_stay_the_same_across_key_rotation() {
    let policy = r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone", "app_code", "app_notification"]}}"#;
    let (before, _) = engine_with(fixtures::options(), policy);
    let mut rotated = fixtures::options();
    rotated.keys = KeyRing::new(vec![
        ("k2".into(), vec![77; 32]),
        ("test-k1".into(), vec![42; 32]),
    ])
    .unwrap();
    let (after, _) = engine_with(rotated, policy);
    for who in ["mallory@contoso.example", "trudy", "eve@fabrikam.example"] {
        let a = before
            .start_reset(who, CAPTCHA, None)
            .unwrap()
            .view
            .unwrap();
        let b = after.start_reset(who, CAPTCHA, None).unwrap().view.unwrap();
        assert_eq!((a.options, a.gates), (b.options, b.gates), "{who}");
    }
}

/// Screens are drawn from distributions that cover the real ones: every option set the policy
/// allows, two gates as often as the host says administrators occur, the calling codes and
/// domains the host declares.
#[test]
fn decoy_screens_cover_what_real_users_show() {
    let policy =
        r#"{"reset": {"methods": ["email", "mobile_phone", "app_code", "app_notification"]}}"#;
    let mut options = fixtures::options();
    options.decoys = DecoyProfile {
        calling_codes: vec![("1".into(), 3), ("44".into(), 1)],
        email_domains: vec![("contoso-mail.example".into(), 1)],
        admin_percent: 10,
    };
    let (engine, _) = engine_with(options, policy);
    let mut sets = BTreeSet::new();
    let mut two_gates = 0;
    let mut masks = BTreeSet::new();
    for i in 0..600 {
        let v = engine
            .start_reset(&format!("nobody{i}@contoso.example"), CAPTCHA, None)
            .unwrap()
            .view
            .unwrap();
        two_gates += usize::from(v.gates == 2);
        sets.insert(v.options.iter().map(|o| o.option).collect::<Vec<_>>());
        for o in v.options {
            if let Some(m) = o.masked {
                if let Some((_, domain)) = m.split_once('@') {
                    masks.insert(domain.to_owned());
                }
                if m.starts_with('+') {
                    masks.insert(m.split(' ').next().unwrap().to_owned());
                }
            }
        }
    }
    // email, mobile and app: 7 sets for one gate; administrators add the office phone.
    assert!(sets.len() >= 7, "{sets:?}");
    assert!(
        (30..=100).contains(&two_gates),
        "{two_gates} of 600 with two gates"
    );
    assert!(
        masks.contains("contoso-mail.example") && masks.contains("+1") && masks.contains("+44"),
        "{masks:?}"
    );
}

/// No counter is shared between decoys that real users would not share: each decoy has its own
/// destinations. The country budget refuses a decoy as it refuses a real user of that code.
#[test]
fn decoys_share_no_destination_and_meet_the_country_budget() {
    let policy = r#"{"reset": {"methods": ["mobile_phone", "email"], "confirm_phone_number": false}, "limits": {"resend_cooldown_s": 0,
                     "phone_sends": {"max": 2, "window_s": 3600, "block_s": 600}}}"#;
    let mut options = fixtures::options();
    options.decoys.calling_codes = vec![("44".into(), 1)];
    options.decoys.admin_percent = 0;
    options.country_budget = Some(CountryBudget {
        max: 3,
        window_s: 3600,
    });
    let (engine, mem) = engine_with(options, policy);
    let text = |who: &str| {
        let v = engine
            .start_reset(who, CAPTCHA, None)
            .unwrap()
            .view
            .unwrap();
        let has_mobile = v
            .options
            .iter()
            .any(|o| o.option == ResetOption::MobileText);
        (v.flow_id, has_mobile)
    };
    // Two decoys whose masks may well look alike each send twice: neither blocks the other.
    let mut decoys = Vec::new();
    for i in 0.. {
        let (id, mobile) = text(&format!("ghost{i}@contoso.example"));
        if mobile {
            decoys.push(id);
        }
        if decoys.len() == 2 {
            break;
        }
    }
    let o = engine
        .reset_step(&decoys[0], ResetInput::Choose(ResetOption::MobileText))
        .unwrap();
    assert_eq!(o.rejection, None);
    let o = engine
        .reset_step(&decoys[1], ResetInput::Choose(ResetOption::MobileText))
        .unwrap();
    assert_eq!(o.rejection, None, "the other decoy's sends are its own");
    // Ben, a real user with a +44 number, spends the budget's last text; the next decoy text to
    // +44 is refused exactly as Ben's next one would be.
    let ben = engine
        .start_reset(BEN.username, CAPTCHA, None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    let o = engine
        .reset_step(&ben, ResetInput::Choose(ResetOption::MobileText))
        .unwrap();
    assert_eq!(o.rejection, None);
    assert_eq!(mem.notifier.messages().len(), 1);
    let o = engine
        .reset_step(&decoys[0], ResetInput::Choose(ResetOption::MobileCall))
        .unwrap();
    assert_eq!(
        o.rejection,
        Some(Reason::UserBlocked),
        "the country budget refuses the decoy"
    );
    let o = engine
        .reset_step(&ben, ResetInput::Choose(ResetOption::MobileCall))
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::UserBlocked), "and Ben");
}

/// Asking for other questions counts as a failure, and a decoy's questions come from a pool
/// the size of a real user's (on a1f0e59 a redraw was free, and a decoy drew from all 35
/// predefined questions).
#[test]
fn redraws_count_and_a_decoy_has_a_real_sized_pool() {
    let policy = r#"{"reset": {"methods": ["email", "security_questions"]},
                     "security_questions": {"to_register": 5, "to_reset": 3},
                     "limits": {"verify_failures": {"max": 1000, "window_s": 3600, "block_s": 60}}}"#;
    let mut options = fixtures::options();
    options.decoys.admin_percent = 0;
    let (engine, mem) = engine_with(options, policy);
    // An identifier whose decoy screen offers the questions.
    let v = (0..)
        .map(|i| {
            engine
                .start_reset(&format!("mallory{i}@contoso.example"), CAPTCHA, None)
                .unwrap()
                .view
                .unwrap()
        })
        .find(|v| {
            v.options
                .iter()
                .any(|o| o.option == ResetOption::SecurityQuestions)
        })
        .unwrap();
    let mut seen = BTreeSet::new();
    for _ in 0..12 {
        let o = engine
            .reset_step(
                &v.flow_id,
                ResetInput::Choose(ResetOption::SecurityQuestions),
            )
            .unwrap();
        let asked = o.view.unwrap().questions;
        assert_eq!(asked.len(), 3);
        seen.extend(asked);
    }
    assert_eq!(seen.len(), 5, "drawn from a pool of five: {seen:?}");
    let failures: u32 = mem
        .counters
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("sspr/v2/fail/"))
        .map(|k| {
            mem.counters
                .get(k, sspr_core::ports::Clock::now(mem.clock.as_ref()).unwrap())
                .unwrap()
                .count
        })
        .sum();
    assert_eq!(failures, 11, "each redraw after the first counted");
}
