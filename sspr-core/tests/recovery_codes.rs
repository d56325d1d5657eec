//! Recovery codes: ten single-use codes made in the registration wizard and shown once,
//! stored as keyed digests; at reset they are their own factor, each usable once, also when
//! several processes race with one code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{World, world};
use sspr_core::ResetOption;
use sspr_core::ports::SecurityInfoStore;
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, BEN};
use sspr_core::{Method, Reason, SecretString};

const POLICY: &str = r#"{"reset": {"methods": ["email", "recovery_codes"]}}"#;

/// Alice proves her email in the wizard and makes a batch: the codes shown.
fn make_codes(w: &World) -> Vec<String> {
    let id = w
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    let step = |i: RegistrationInput| w.engine.registration_step(&id, i).unwrap();
    step(RegistrationInput::Prove(ResetOption::Email));
    let o = step(RegistrationInput::Verify(SecretString::new(w.last_code())));
    assert_eq!(o.view.unwrap().state, "registering");
    let o = step(RegistrationInput::RecoveryCodes);
    assert_eq!(o.rejection, None);
    assert!(
        o.view
            .as_ref()
            .unwrap()
            .registered
            .contains(&Method::RecoveryCodes)
    );
    assert!(!format!("{o:?}").contains(o.recovery_codes[0].expose()));
    o.recovery_codes
        .iter()
        .map(|c| c.expose().to_owned())
        .collect()
}

fn reset_with(w: &World, code: &str) -> sspr_core::engine::ResetOutcome {
    let id = w.start(ALICE.username);
    let v = w.step(&id, ResetInput::Choose(ResetOption::RecoveryCode));
    assert_eq!(v.view.unwrap().state, "enter_code");
    w.step(&id, World::code(code))
}

#[test]
fn ten_codes_are_shown_once_and_stored_only_as_digests() {
    let w = world(POLICY);
    let codes = make_codes(&w);
    assert_eq!(codes.len(), 10);
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 11 && &c[5..6] == "-"));
    let record = w.mem.security_info.load(ALICE.user_id()).unwrap().unwrap();
    let info = fixtures::opened(&ALICE.user_id(), &record.data);
    assert_eq!(info.recovery_codes.len(), 10);
    let stored = info.to_record();
    for c in &codes {
        assert!(!stored.contains(&c[..5]) && !stored.contains(&c.replace('-', "")));
    }
    // The change was told to the account, as every change of security info is.
    assert!(
        w.mem
            .notifier
            .messages()
            .iter()
            .any(|m| m.kind == sspr_core::ports::MessageKind::SecurityInfoChanged)
    );
}

#[test]
fn a_code_passes_a_gate_once() {
    let w = world(POLICY);
    let codes = make_codes(&w);
    // The reset screen offers it beside the email.
    let v = w
        .engine
        .start_reset(ALICE.username, "captcha-ok", None)
        .unwrap()
        .view
        .unwrap();
    assert!(
        v.options
            .iter()
            .any(|o| o.option == ResetOption::RecoveryCode && o.masked.is_none())
    );
    // Typed loosely: lower case, spaces for the hyphen.
    let typed = codes[3].to_lowercase().replace('-', " ");
    let o = reset_with(&w, &typed);
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().state, "new_password");
    // Spent: another flow cannot use it again; the others still work.
    let o = reset_with(&w, &codes[3]);
    assert_eq!(o.rejection, Some(Reason::CodeMismatch));
    assert_eq!(o.view.unwrap().state, "enter_code");
    assert_eq!(
        reset_with(&w, &codes[4]).view.unwrap().state,
        "new_password"
    );
    let record = w.mem.security_info.load(ALICE.user_id()).unwrap().unwrap();
    assert_eq!(
        fixtures::opened(&ALICE.user_id(), &record.data)
            .recovery_codes
            .len(),
        8
    );
}

#[test]
fn codes_are_a_factor_of_their_own() {
    let w = world(r#"{"reset": {"methods": ["email", "recovery_codes"], "methods_required": 2}}"#);
    let codes = make_codes(&w);
    let id = w.start(ALICE.username);
    w.step(&id, ResetInput::Choose(ResetOption::Email));
    let o = w.step(&id, World::code(&w.last_code()));
    assert_eq!(o.view.as_ref().unwrap().state, "choose_method");
    let left: Vec<_> = o.view.unwrap().options.iter().map(|o| o.option).collect();
    assert_eq!(left, [ResetOption::RecoveryCode]);
    w.step(&id, ResetInput::Choose(ResetOption::RecoveryCode));
    let o = w.step(&id, World::code(&codes[0]));
    assert_eq!(o.view.unwrap().state, "new_password");
}

#[test]
fn a_new_batch_voids_the_old_one_and_wrong_codes_are_counted() {
    let w = world(
        r#"{"reset": {"methods": ["email", "recovery_codes"]},
            "limits": {"verify_failures": {"max": 3, "window_s": 3600, "block_s": 600}}}"#,
    );
    let old = make_codes(&w);
    let new = make_codes(&w);
    assert_ne!(old, new);
    assert_eq!(
        reset_with(&w, &old[0]).rejection,
        Some(Reason::CodeMismatch)
    );
    let id = w.start(ALICE.username);
    w.step(&id, ResetInput::Choose(ResetOption::RecoveryCode));
    assert_eq!(
        w.step(&id, World::code("not a code")).rejection,
        Some(Reason::CodeMismatch)
    );
    // The third failure blocks: the right code is then refused uncompared.
    let o = w.step(&id, World::code("ABCDE-FGHJK"));
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
    assert_eq!(reset_with_blocked(&w, &new[0]), Some(Reason::UserBlocked));
}

fn reset_with_blocked(w: &World, code: &str) -> Option<Reason> {
    let o = w
        .engine
        .start_reset(ALICE.username, "captcha-ok", None)
        .unwrap();
    if o.rejection.is_some() {
        return o.rejection;
    }
    let id = o.view.unwrap().flow_id;
    w.step(&id, ResetInput::Choose(ResetOption::RecoveryCode));
    w.step(&id, World::code(code)).rejection
}

#[test]
fn racing_flows_spend_one_code_once() {
    let w = world(POLICY);
    let codes = make_codes(&w);
    let flows: Vec<String> = (0..8)
        .map(|_| {
            let id = w.start(ALICE.username);
            w.step(&id, ResetInput::Choose(ResetOption::RecoveryCode));
            id
        })
        .collect();
    let passed = std::thread::scope(|s| {
        let handles: Vec<_> = flows
            .iter()
            .map(|id| {
                let (w, code) = (&w, codes[7].clone());
                s.spawn(move || {
                    w.engine
                        .reset_step(id, ResetInput::EnterCode(SecretString::new(code)))
                        .unwrap()
                        .view
                        .is_some_and(|v| v.state == "new_password")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|p| *p)
            .count()
    });
    assert_eq!(passed, 1, "one code, one gate");
}

#[test]
fn administrators_never_use_recovery_codes() {
    let w = world(POLICY);
    let id = w
        .engine
        .start_registration(BEN.username, &SecretString::new(BEN.password), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    let step = |i: RegistrationInput| w.engine.registration_step(&id, i).unwrap();
    step(RegistrationInput::Prove(ResetOption::Email));
    step(RegistrationInput::Verify(SecretString::new(w.last_code())));
    let o = step(RegistrationInput::RecoveryCodes);
    assert_eq!(o.rejection, Some(Reason::OptionUnavailable));
    assert!(o.recovery_codes.is_empty());
}

#[test]
fn decoys_offer_recovery_codes_like_real_users_and_never_pass() {
    let w = world(POLICY);
    let mut offered = 0;
    for i in 0..60 {
        let v = w
            .engine
            .start_reset(&format!("nobody{i}@contoso.example"), "captcha-ok", None)
            .unwrap()
            .view
            .unwrap();
        let has = v
            .options
            .iter()
            .any(|o| o.option == ResetOption::RecoveryCode);
        // Listed either way, but for administrator-like decoys (two gates), whose screen lists
        // the administrator methods as a real administrator's does.
        assert_eq!(
            has || v.unavailable.contains(&ResetOption::RecoveryCode),
            v.gates == 1,
            "decoy {i}"
        );
        if has {
            offered += 1;
            w.step(&v.flow_id, ResetInput::Choose(ResetOption::RecoveryCode));
            let o = w.step(&v.flow_id, World::code("ABCDE-FGHJK"));
            assert_eq!(o.rejection, Some(Reason::CodeMismatch));
        }
    }
    assert!((10..=50).contains(&offered), "{offered} of 60");
}

#[test]
fn spellings_of_one_account_racing_wrong_codes_on_a_slow_store_share_one_budget() {
    // Three failures an hour; twelve threads, each under one of three spellings of Alice, each
    // typing a wrong recovery code while the counter store answers slowly: at most three
    // comparisons fail before the block, and Alice's right code is refused uncompared after.
    let w = world(
        r#"{"reset": {"methods": ["email", "recovery_codes"]},
            "limits": {"verify_failures": {"max": 3, "window_s": 3600, "block_s": 600}}}"#,
    );
    let codes = make_codes(&w);
    for spelling in ["alice", "CONTOSO\\alice"] {
        w.directory.alias(spelling, ALICE.username);
    }
    let spellings = ["alice", "CONTOSO\\alice", ALICE.username];
    let flows: Vec<String> = (0..12)
        .map(|i| {
            let id = w.start(spellings[i % 3]);
            w.step(&id, ResetInput::Choose(ResetOption::RecoveryCode));
            id
        })
        .collect();
    w.counters.slow(15);
    let outcomes: Vec<Option<Reason>> = std::thread::scope(|s| {
        let handles: Vec<_> = flows
            .iter()
            .map(|id| {
                let w = &w;
                s.spawn(move || {
                    w.engine
                        .reset_step(id, ResetInput::EnterCode(SecretString::new("ABCDE-FGHJK")))
                        .unwrap()
                        .rejection
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let compared = outcomes
        .iter()
        .filter(|r| **r == Some(Reason::CodeMismatch))
        .count();
    assert!(
        compared <= 3,
        "{compared} wrong codes compared: {outcomes:?}"
    );
    assert!(outcomes.contains(&Some(Reason::UserBlocked)));
    let o = w.step(&flows[0], World::code(&codes[0]));
    assert_ne!(o.view.map(|v| v.state.id()), Some("new_password"));
}
