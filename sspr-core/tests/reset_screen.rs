//! The reset screen as the seeds show it: every method the policy allows is listed, those the
//! user cannot use marked unavailable (decoys alike).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::world;
use sspr_core::ResetOption;
use sspr_core::testing::fixtures::{ALICE, BEN};

const ALL_BUT_QUESTIONS: &str = r#"{"reset": {"methods": ["email", "mobile_phone",
    "office_phone", "app_code", "app_notification"], "methods_required": 1}}"#;

#[test]
fn options_the_user_cannot_use_are_listed_as_unavailable() {
    let w = world(ALL_BUT_QUESTIONS);
    // Alice has an alternate email and a mobile phone.
    let o = w
        .engine
        .start_reset(ALICE.username, "captcha-ok", None)
        .unwrap();
    let v = o.view.unwrap();
    let offered: Vec<ResetOption> = v.options.iter().map(|o| o.option).collect();
    assert_eq!(
        offered,
        [
            ResetOption::Email,
            ResetOption::MobileText,
            ResetOption::MobileCall
        ]
    );
    assert_eq!(
        v.unavailable,
        [
            ResetOption::OfficeCall,
            ResetOption::AppCode,
            ResetOption::AppNotification
        ]
    );
    // Choosing an unavailable option is refused like any option not offered.
    let o = w
        .engine
        .reset_step(
            &v.flow_id,
            sspr_core::reset::ResetInput::Choose(ResetOption::OfficeCall),
        )
        .unwrap();
    assert_eq!(o.rejection, Some(sspr_core::Reason::OptionUnavailable));
    // Serialised for a JSON front end as ids.
    let json = serde_json::to_value(o.view.unwrap()).unwrap();
    assert_eq!(
        json["unavailable"],
        serde_json::json!(["office_call", "app_code", "app_notification"])
    );
}

#[test]
fn administrators_see_the_administrator_methods_listed() {
    // Ben (an administrator: email, mobile, app) under a policy of email and questions: his
    // screen lists the administrator methods, never security questions.
    let w = world(r#"{"reset": {"methods": ["email", "security_questions"]}}"#);
    let v = w
        .engine
        .start_reset(BEN.username, "captcha-ok", None)
        .unwrap()
        .view
        .unwrap();
    assert_eq!(v.unavailable, [ResetOption::OfficeCall]);
    assert!(
        !v.options
            .iter()
            .any(|o| o.option == ResetOption::SecurityQuestions)
    );
}

#[test]
fn decoys_list_every_option_of_their_role_too() {
    let w = world(ALL_BUT_QUESTIONS);
    let real = w
        .engine
        .start_reset(ALICE.username, "captcha-ok", None)
        .unwrap()
        .view
        .unwrap();
    let everything = |v: &sspr_core::engine::ResetView| -> BTreeSet<ResetOption> {
        let mut all: BTreeSet<ResetOption> = v.options.iter().map(|o| o.option).collect();
        for u in &v.unavailable {
            assert!(all.insert(*u), "an option is both offered and unavailable");
        }
        all
    };
    let listed = everything(&real);
    let mut unavailable_sets = BTreeSet::new();
    for i in 0..200 {
        let v = w
            .engine
            .start_reset(&format!("nobody{i}@contoso.example"), "captcha-ok", None)
            .unwrap()
            .view
            .unwrap();
        // One gate or two (administrator-like decoys), the same five options listed.
        assert_eq!(everything(&v), listed, "decoy {i}");
        // Screen order: unavailable options keep the policy's order.
        let mut sorted = v.unavailable.clone();
        sorted.sort_by_key(|o| ResetOption::ALL.iter().position(|a| a == o));
        assert_eq!(v.unavailable, sorted);
        unavailable_sets.insert(v.unavailable.clone());
    }
    // Decoys are drawn from every registration shape, Alice's among them.
    assert!(unavailable_sets.contains(&real.unavailable));
    assert!(unavailable_sets.len() >= 8, "{unavailable_sets:?}");
}

fn typed(n: &str) -> sspr_core::reset::ResetInput {
    sspr_core::reset::ResetInput::ConfirmNumber(sspr_core::SecretString::new(n))
}

fn choose(o: ResetOption) -> sspr_core::reset::ResetInput {
    sspr_core::reset::ResetInput::Choose(o)
}

const CONFIRMING: &str = r#"{"reset": {"methods": ["email", "mobile_phone"]},
    "limits": {"resend_cooldown_s": 0}}"#;

#[test]
fn the_whole_number_is_typed_before_a_text_or_a_call() {
    let w = world(CONFIRMING);
    let id = w.start(ALICE.username);
    let o = w.step(&id, choose(ResetOption::MobileText));
    let v = o.view.unwrap();
    assert_eq!(v.state, "confirm_number");
    assert_eq!(v.option, Some(ResetOption::MobileText));
    assert!(w.mem.notifier.messages().is_empty(), "nothing sent yet");
    // Not a phone number at all: refused, the screen stays (that says nothing of the account).
    let o = w.step(&id, typed("my phone"));
    assert_eq!(o.rejection, Some(sspr_core::Reason::MethodInvalid));
    assert_eq!(o.view.unwrap().state, "confirm_number");
    // The number on file, typed in a national style: the text goes out.
    let o = w.step(&id, typed("+1 (425) 555-0100"));
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().state, "enter_code");
    assert_eq!(w.mem.notifier.messages().len(), 1);
    let o = w.step(&id, common::World::code(&w.last_code()));
    assert_eq!(o.view.unwrap().state, "new_password");
}

#[test]
fn a_wrong_number_looks_sent_but_sends_nothing_and_no_code_verifies() {
    let w = world(CONFIRMING);
    let id = w.start(ALICE.username);
    w.step(&id, choose(ResetOption::MobileCall));
    let o = w.step(&id, typed("+1 425 555 0199"));
    // The same screen as a send...
    assert_eq!(o.rejection, None);
    let v = o.view.unwrap();
    assert_eq!(v.state, "enter_code");
    assert_eq!(v.option, Some(ResetOption::MobileCall));
    // ...but nothing was delivered, a resend delivers nothing either, and no code verifies.
    assert!(w.mem.notifier.messages().is_empty());
    let o = w.step(&id, sspr_core::reset::ResetInput::Resend);
    assert_eq!(o.rejection, None);
    assert!(w.mem.notifier.messages().is_empty());
    let o = w.step(&id, common::World::code("00000000"));
    assert_eq!(o.rejection, Some(sspr_core::Reason::CodeMismatch));
    // The operator sees it in the audit trail (masked, never the typed number).
    let mismatches: Vec<_> = w
        .audit()
        .into_iter()
        .filter(|e| e.kind == sspr_core::audit::AuditKind::PhoneNumberMismatch)
        .collect();
    assert_eq!(mismatches.len(), 2, "the send and the resend");
    assert_eq!(mismatches[0].destination.as_deref(), Some("+1 XXXXXXXX00"));
    let trail = format!("{:?}", w.audit());
    assert!(!trail.contains("5550199") && !trail.contains("555 0199"));
    // Typing the right number afterwards works as usual.
    w.step(&id, choose(ResetOption::MobileText));
    w.step(&id, typed("+14255550100"));
    assert_eq!(w.mem.notifier.messages().len(), 1);
}

#[test]
fn a_decoy_asks_for_the_number_and_goes_on_the_same_way() {
    let w = world(CONFIRMING);
    // An unknown user whose decoy screen offers a phone.
    let (id, option) = (0..100)
        .find_map(|i| {
            let v = w
                .engine
                .start_reset(&format!("nobody{i}@contoso.example"), "captcha-ok", None)
                .unwrap()
                .view
                .unwrap();
            v.options
                .iter()
                .find(|o| o.option == ResetOption::MobileText)
                .map(|o| (v.flow_id.clone(), o.option))
        })
        .expect("some decoy has a mobile phone");
    let v = w.step(&id, choose(option)).view.unwrap();
    assert_eq!(v.state, "confirm_number");
    let o = w.step(&id, typed("my phone"));
    assert_eq!(o.rejection, Some(sspr_core::Reason::MethodInvalid));
    let o = w.step(&id, typed("+1 425 555 0100"));
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().state, "enter_code");
    assert!(w.mem.notifier.messages().is_empty());
}

#[test]
fn the_policy_can_switch_the_question_off() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone"], "confirm_phone_number": false}}"#,
    );
    let id = w.start(ALICE.username);
    let v = w.step(&id, choose(ResetOption::MobileText)).view.unwrap();
    assert_eq!(v.state, "enter_code");
    assert_eq!(w.mem.notifier.messages().len(), 1);
    // Typing a number when none is asked is a step out of place.
    let o = w.step(&id, typed("+14255550100"));
    assert_eq!(o.rejection, Some(sspr_core::Reason::FlowInvalidStep));
}

fn link(t: &str) -> sspr_core::reset::ResetInput {
    sspr_core::reset::ResetInput::ConfirmLink(sspr_core::SecretString::new(t))
}

fn last_link(w: &common::World) -> String {
    w.mem
        .notifier
        .messages()
        .iter()
        .rev()
        .find_map(|m| m.link_token.as_ref().map(|t| t.expose().to_owned()))
        .expect("an email with a link was delivered")
}

#[test]
fn an_emailed_code_can_be_confirmed_by_its_link_once() {
    let w = world(CONFIRMING);
    let id = w.alice_at_code();
    let token = last_link(&w);
    assert!(
        token.len() >= 20,
        "a link token is not guessable like a code"
    );
    let message = w.mem.notifier.messages().pop().unwrap();
    assert!(!format!("{message:?}").contains(&token), "Debug hides it");
    // A wrong token is a wrong code, counted.
    let o = w.step(&id, link("not-the-token"));
    assert_eq!(o.rejection, Some(sspr_core::Reason::CodeMismatch));
    assert_eq!(w.compared_failures(None), 1);
    // The user confirms on the host's page: the gate is passed.
    let o = w.step(&id, link(&token));
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().state, "new_password");
    // Single use: the same link again changes nothing.
    let o = w.step(&id, link(&token));
    assert_eq!(o.rejection, Some(sspr_core::Reason::FlowInvalidStep));
}

#[test]
fn a_link_is_bound_to_its_flow_its_send_and_the_code_lifetime() {
    let w = world(CONFIRMING);
    let first = w.alice_at_code();
    let first_token = last_link(&w);
    // Another flow (another tab, an attacker's flow for the same user) cannot use it.
    let second = w.alice_at_code();
    let o = w.step(&second, link(&first_token));
    assert_eq!(o.rejection, Some(sspr_core::Reason::CodeMismatch));
    // A resend replaces the link: the old one no longer works.
    let o = w.step(&first, sspr_core::reset::ResetInput::Resend);
    assert_eq!(o.rejection, None);
    let o = w.step(&first, link(&first_token));
    assert_eq!(o.rejection, Some(sspr_core::Reason::CodeMismatch));
    // It expires with the code.
    let fresh = last_link(&w);
    w.mem.clock.advance(301);
    let o = w.step(&first, link(&fresh));
    assert_eq!(o.rejection, Some(sspr_core::Reason::CodeExpired));
}

#[test]
fn texts_carry_no_link_and_decoys_never_pass_one() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone"], "confirm_phone_number": false}}"#,
    );
    let id = w.start(ALICE.username);
    w.step(&id, choose(ResetOption::MobileText));
    let m = w.mem.notifier.messages().pop().unwrap();
    assert!(m.code.is_some() && m.link_token.is_none());
    let o = w.step(&id, link("anything-at-all-here"));
    assert_eq!(o.rejection, Some(sspr_core::Reason::CodeMismatch));
    // A decoy offering email: any token is a wrong code.
    let (d, _) = (0..100)
        .find_map(|i| {
            let v = w
                .engine
                .start_reset(&format!("nobody{i}@contoso.example"), "captcha-ok", None)
                .unwrap()
                .view
                .unwrap();
            v.options
                .iter()
                .any(|o| o.option == ResetOption::Email)
                .then(|| (v.flow_id.clone(), ()))
        })
        .unwrap();
    w.step(&d, choose(ResetOption::Email));
    let o = w.step(&d, link("QmFzZTY0LWxvb2tpbmctdG9rZW4"));
    assert_eq!(o.rejection, Some(sspr_core::Reason::CodeMismatch));
}

#[test]
fn a_clock_at_the_end_of_time_breaks_no_arithmetic() {
    // A hostile clock port: the new steps (the number, the link, the campaign's snooze) use
    // saturating arithmetic; nothing panics, and no link outlives its code.
    let w = world(CONFIRMING);
    w.mem.clock.set(u64::MAX - 5);
    let id = w.alice_at_code();
    let token = last_link(&w);
    w.mem.clock.set(u64::MAX);
    let o = w.step(&id, link(&token));
    assert_ne!(o.view.map(|v| v.state.id()), Some("new_password"));
    let id = w.start(ALICE.username);
    w.step(&id, choose(ResetOption::MobileText));
    let o = w.step(&id, typed("+14255550100"));
    // Started at the last second there is, the flow has no time left: it is over, not sent.
    assert_eq!(o.view.map(|v| v.state.id()), Some("expired"));
    assert!(
        w.mem
            .notifier
            .messages()
            .iter()
            .all(|m| m.code.is_none() || m.channel.id() == "email")
    );
    let check = w.engine.sign_in_check(
        ALICE.username,
        &sspr_core::SecretString::new(ALICE.password),
        None,
    );
    assert!(check.is_ok());
}
