//! What a help desk does for a user, each action audited with its actor: lifting blocks,
//! setting a temporary password, replacing the policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{World, world};
use sspr_core::audit::AuditKind;
use sspr_core::ports::MessageKind;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{ALICE, BEN};
use sspr_core::{Error, InputError, Policy, Reason, ResetOption, UserId};

fn bad_actors() -> Vec<String> {
    vec![
        String::new(),
        "   ".into(),
        "agent\u{7}".into(),
        "a".repeat(257),
    ]
}

#[test]
fn unblocking_names_the_actor_and_refuses_a_missing_one() {
    let w = world("");
    for bad in bad_actors() {
        let err = w.engine.unblock(ALICE.username, &bad).unwrap_err();
        assert!(
            matches!(&err, Error::Input(e) if e.what() == "actor"),
            "{bad:?}: {err}"
        );
    }
    assert!(
        w.audit()
            .iter()
            .all(|e| e.kind != AuditKind::AccountUnblocked)
    );
    w.engine.unblock(ALICE.username, " helpdesk-7 ").unwrap();
    let ev = w
        .audit()
        .into_iter()
        .find(|e| e.kind == AuditKind::AccountUnblocked)
        .unwrap();
    assert_eq!(ev.actor.as_deref(), Some("helpdesk-7"));
    assert_eq!(ev.user, Some(ALICE.user_id()));
}

#[test]
fn a_help_desk_sets_a_temporary_password_to_change_at_next_sign_in() {
    let w = world(r#"{"password": {"min_chars": 12, "min_classes": 3}}"#);
    let open = w.alice_at_code();
    let code = w.last_code();
    w.mem.clock.advance(1);
    w.mem.notifier.take();
    let t = w
        .engine
        .reset_password_by_help_desk(&ALICE.user_id(), "helpdesk-7")
        .unwrap();
    assert!(t.must_change);
    let shown = format!("{t:?}");
    assert!(!shown.contains(t.password.expose()), "{shown}");
    // Set, temporary, and passing the policy's rules.
    let dir = &w.directory.inner;
    assert!(
        dir.password_of(&ALICE.user_id())
            .unwrap()
            .ct_eq(t.password.expose())
    );
    assert!(dir.must_change_password(&ALICE.user_id()));
    assert!(t.password.expose().chars().count() >= 12);
    assert_eq!(dir.sessions_revoked(&ALICE.user_id()), 1);
    // The user is told at the account and the alternate email.
    let told: Vec<String> = w
        .mem
        .notifier
        .take()
        .into_iter()
        .filter(|m| m.kind == MessageKind::PasswordChanged)
        .map(|m| m.to)
        .collect();
    assert_eq!(told.len(), 2, "{told:?}");
    // A flow that was open ends.
    let o = w.step(&open, World::code(&code));
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
    // Audited with the actor, the password nowhere.
    let ev = w
        .audit()
        .into_iter()
        .find(|e| e.kind == AuditKind::TemporaryPasswordSet)
        .unwrap();
    assert_eq!(ev.actor.as_deref(), Some("helpdesk-7"));
    assert!(!ev.to_json().contains(t.password.expose()));
    // The next reset's password clears the flag.
    let id = w.alice_at_code();
    w.step(&id, World::code(&w.last_code()));
    let p = sspr_core::SecretString::new("quiet lantern orchard 4417");
    let o = w.step(
        &id,
        ResetInput::NewPassword {
            password: p.clone(),
            confirm: p,
        },
    );
    assert_eq!(o.view.unwrap().state, "completed");
    assert!(!w.directory.inner.must_change_password(&ALICE.user_id()));
}

#[test]
fn a_temporary_password_needs_a_known_user_and_an_actor() {
    let w = world("");
    let err = w
        .engine
        .reset_password_by_help_desk(&UserId::new("u-nobody"), "helpdesk-7")
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Input(InputError::Malformed { what: "user", .. })
    ));
    for bad in bad_actors() {
        assert!(
            w.engine
                .reset_password_by_help_desk(&BEN.user_id(), &bad)
                .is_err()
        );
    }
    assert!(
        w.directory
            .inner
            .password_of(&BEN.user_id())
            .unwrap()
            .ct_eq(BEN.password)
    );
}

#[test]
fn replacing_the_policy_audits_who_and_which_fields() {
    let mut w = world("");
    let two_gates = Policy::from_value(&serde_json::json!({
        "reset": {"methods_required": 2},
        "codes": {"digits": 6}
    }))
    .unwrap();
    let err = w.engine.replace_policy(two_gates.clone(), "").unwrap_err();
    assert!(matches!(err, Error::Input(_)));
    assert_eq!(w.engine.policy(), &Policy::default(), "unchanged");
    let changed = w
        .engine
        .replace_policy(two_gates.clone(), "admin-2")
        .unwrap();
    assert_eq!(changed, vec!["codes.digits", "reset.methods_required"]);
    let ev = w
        .audit()
        .into_iter()
        .find(|e| e.kind == AuditKind::PolicyChanged)
        .unwrap();
    assert_eq!(ev.actor.as_deref(), Some("admin-2"));
    assert_eq!(ev.changed, changed);
    // In force: Alice now passes two gates, with six-digit codes.
    let o = w
        .engine
        .start_reset(ALICE.username, "captcha-ok", None)
        .unwrap();
    let v = o.view.unwrap();
    assert_eq!(v.gates, 2);
    w.step(&v.flow_id, ResetInput::Choose(ResetOption::Email));
    assert_eq!(w.last_code().len(), 6);
    // Replacing it with the same policy changes nothing, and says so.
    assert!(
        w.engine
            .replace_policy(two_gates, "admin-2")
            .unwrap()
            .is_empty()
    );
}
