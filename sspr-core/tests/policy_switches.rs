//! Policy switches from Entra's settings: unlocking the account on reset, self-service for
//! administrators, and the help desk's contact wherever a user is stuck.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{World, world};
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{ALICE, BEN};
use sspr_core::{Reason, ResetOption, SecretString};

fn reset_alice(w: &World) -> sspr_core::engine::ResetOutcome {
    let id = w.alice_at_code();
    w.step(&id, World::code(&w.last_code()));
    let p = SecretString::new("quiet lantern orchard 4417");
    w.step(
        &id,
        ResetInput::NewPassword {
            password: p.clone(),
            confirm: p,
        },
    )
}

#[test]
fn a_reset_unlocks_the_account_unless_the_policy_says_not_to() {
    let w = world("");
    w.directory.inner.lock_account(&ALICE.user_id());
    assert_eq!(reset_alice(&w).view.unwrap().state, "completed");
    assert!(!w.directory.inner.is_locked(&ALICE.user_id()));

    let w = world(r#"{"reset": {"unlock_on_reset": false}}"#);
    w.directory.inner.lock_account(&ALICE.user_id());
    assert_eq!(reset_alice(&w).view.unwrap().state, "completed");
    assert!(w.directory.inner.is_locked(&ALICE.user_id()));
}

#[test]
fn administrators_can_be_kept_out_of_self_service() {
    let w = world(r#"{"reset": {"allow_administrators": false}}"#);
    // Ben is an administrator: a decoy flow, offering options and delivering nothing.
    let o = w
        .engine
        .start_reset(BEN.username, "captcha-ok", None)
        .unwrap();
    let v = o.view.unwrap();
    assert_eq!(v.state, "choose_method");
    assert!(!v.options.is_empty());
    w.step(&v.flow_id, ResetInput::Choose(ResetOption::Email));
    assert!(w.mem.notifier.take().is_empty(), "nothing is delivered");
    // Told so when the policy discloses account state.
    let w = world(r#"{"reset": {"allow_administrators": false, "disclose_account_state": true}}"#);
    let o = w
        .engine
        .start_reset(BEN.username, "captcha-ok", None)
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::UserNotEnabled));
    assert_eq!(o.view.map(|v| v.help_desk), None);
    // Users are not affected.
    let o = w
        .engine
        .start_reset(ALICE.username, "captcha-ok", None)
        .unwrap();
    assert_eq!(o.rejection, None);
}

#[test]
fn the_help_desk_is_named_wherever_the_user_is_stuck() {
    let w = world(
        r#"{"help_desk": {"contact": "https://help.contoso.example/sspr"},
            "reset": {"confirm_phone_number": false},
            "limits": {"verify_failures": {"max": 2, "window_s": 3600, "block_s": 3600}}}"#,
    );
    let id = w.alice_at_code();
    // A wrong code is mended by retrying: no help desk.
    let o = w.step(&id, World::code("00000000"));
    assert_eq!(o.rejection, Some(Reason::CodeMismatch));
    assert_eq!(o.view.unwrap().help_desk, None);
    // Blocked: the help desk is named, in the outcome and on every later view.
    let o = w.step(&id, World::code("00000001"));
    let o = if o.rejection == Some(Reason::UserBlocked) {
        o
    } else {
        w.step(&id, World::code("00000002"))
    };
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
    let help = Some("https://help.contoso.example/sspr".to_owned());
    assert_eq!(o.view.unwrap().help_desk, help);
    assert_eq!(w.engine.reset_view_of(&id).unwrap().help_desk, help);
    // A decoy that is blocked names it too.
    let o = w
        .engine
        .start_reset("nobody@contoso.example", "captcha-ok", None)
        .unwrap();
    let v = o.view.unwrap();
    let d = v.flow_id;
    let first = v
        .options
        .iter()
        .map(|o| o.option)
        .find(|o| *o != ResetOption::SecurityQuestions && *o != ResetOption::AppNotification)
        .unwrap();
    w.step(&d, ResetInput::Choose(first));
    let seen: Vec<_> = (0..3)
        .map(|i| w.step(&d, World::code(&format!("1234567{i}"))))
        .collect();
    let last = seen
        .iter()
        .find(|o| o.rejection == Some(Reason::UserBlocked))
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "the decoy is blocked like a real user: {:?}",
                seen.iter().map(|o| o.rejection).collect::<Vec<_>>()
            )
        });
    assert_eq!(last.view.unwrap().help_desk, help);
}
