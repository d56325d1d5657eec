//! "Change password": the old password is a verification like any other, the new one passes
//! the reset's rules and history, the user is told, other sessions end by policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{World, world};
use sspr_core::audit::AuditKind;
use sspr_core::ports::MessageKind;
use sspr_core::testing::fixtures::ALICE;
use sspr_core::{Error, InputError, Reason, SecretString};

const NEW: &str = "quiet lantern orchard 4417";

fn change(
    w: &World,
    user: &str,
    old: &str,
    new: &str,
    confirm: &str,
) -> sspr_core::engine::PasswordChangeOutcome {
    w.engine
        .change_password(
            user,
            &SecretString::new(old),
            &SecretString::new(new),
            &SecretString::new(confirm),
            None,
        )
        .unwrap()
}

fn password_is(w: &World, p: &str) -> bool {
    w.directory
        .inner
        .password_of(&ALICE.user_id())
        .unwrap()
        .ct_eq(p)
}

#[test]
fn a_known_password_is_changed_and_the_user_told() {
    let w = world("");
    let open = w.alice_at_code();
    let code = w.last_code();
    w.mem.notifier.take();
    let o = change(&w, ALICE.username, ALICE.password, NEW, NEW);
    assert!(o.changed, "{:?}", o.rejection);
    assert_eq!(o.rejection, None);
    assert!(o.password.unwrap().accepted());
    assert!(password_is(&w, NEW));
    assert!(!w.directory.inner.must_change_password(&ALICE.user_id()));
    assert_eq!(w.directory.inner.sessions_revoked(&ALICE.user_id()), 1);
    let told = w
        .mem
        .notifier
        .take()
        .into_iter()
        .filter(|m| m.kind == MessageKind::PasswordChanged)
        .count();
    assert_eq!(told, 2, "the account and the alternate email");
    assert!(
        w.audit()
            .iter()
            .any(|e| e.kind == AuditKind::PasswordChangedByUser)
    );
    // A reset flow opened before the change is over.
    let o = w.step(&open, World::code(&code));
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
}

#[test]
fn other_sessions_stay_when_the_policy_says_so() {
    let w = world(r#"{"password_change": {"revoke_sessions": false}}"#);
    assert!(change(&w, ALICE.username, ALICE.password, NEW, NEW).changed);
    assert_eq!(w.directory.inner.sessions_revoked(&ALICE.user_id()), 0);
}

#[test]
fn a_wrong_old_password_counts_like_any_verification() {
    let w =
        world(r#"{"limits": {"verify_failures": {"max": 3, "window_s": 3600, "block_s": 600}}}"#);
    for _ in 0..3 {
        let o = change(&w, ALICE.username, "not-her-password", NEW, NEW);
        assert_eq!(o.rejection, Some(Reason::ReauthFailed));
        assert!(!o.changed && o.password.is_none());
    }
    // Over the limit: refused uncompared, even with the right password.
    let o = change(&w, ALICE.username, ALICE.password, NEW, NEW);
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
    assert!(o.retry_after.is_some_and(|s| s > 0 && s <= 600));
    assert!(password_is(&w, ALICE.password));
    // An unknown user is told what a wrong password is told.
    let o = change(&w, "nobody@contoso.example", "whatever", NEW, NEW);
    assert_eq!(o.rejection, Some(Reason::ReauthFailed));
}

/// Guesses at a password block password checks, never the way back in: a stranger who types
/// wrong "old passwords" for Alice until password checks are blocked (and then locked) leaves
/// her reset open, and her reset lifts the password checks' block. A block on her
/// self-service (here a report) still holds for password checks.
#[test]
fn wrong_old_passwords_block_password_checks_but_never_the_reset() {
    let w = world(
        r#"{"limits": {"verify_failures": {"max": 3, "window_s": 3600, "block_s": 600}, "consecutive_failures": 5}}"#,
    );
    for i in 0..8 {
        let o = change(&w, ALICE.username, &format!("guess-{i}"), NEW, NEW);
        assert!(matches!(
            o.rejection,
            Some(Reason::ReauthFailed | Reason::UserBlocked | Reason::UserLocked)
        ));
    }
    let o = change(&w, ALICE.username, ALICE.password, NEW, NEW);
    assert!(matches!(
        o.rejection,
        Some(Reason::UserBlocked | Reason::UserLocked)
    ));
    let c = w
        .engine
        .sign_in_check(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap();
    assert_eq!(
        c.rejection,
        Some(Reason::UserBlocked),
        "password checks are blocked"
    );
    // Her reset is open, and completes.
    let id = w.alice_at_code();
    let o = w.step(&id, World::code(&w.last_code()));
    assert_eq!(o.rejection, None);
    let id = match o.view.unwrap().state.id() {
        "choose_method" => {
            let o = w.step(
                &id,
                sspr_core::reset::ResetInput::Choose(sspr_core::ResetOption::MobileText),
            );
            let v = o.view.unwrap();
            if v.state == "confirm_number" {
                w.step(
                    &id,
                    sspr_core::reset::ResetInput::ConfirmNumber("+14255550100".into()),
                );
            }
            let o = w.step(&id, World::code(&w.last_code()));
            assert_eq!(o.rejection, None);
            id
        }
        _ => id,
    };
    let reset_to = "quiet lantern orchard 4417";
    let o = w.step(
        &id,
        sspr_core::reset::ResetInput::NewPassword {
            password: SecretString::new(reset_to),
            confirm: SecretString::new(reset_to),
        },
    );
    assert_eq!(o.view.unwrap().state, "completed");
    // The reset lifted the password checks' block and lock: the new password works.
    let o = change(&w, ALICE.username, reset_to, NEW, NEW);
    assert!(o.changed, "{:?}", o.rejection);
    // A report blocks self-service, password checks included.
    let token = w
        .mem
        .notifier
        .messages()
        .iter()
        .rev()
        .find_map(|m| m.revoke_token.as_ref().map(|t| t.expose().to_owned()))
        .expect("a notice with a report link");
    assert!(w.engine.report_not_me(&token).unwrap().rejection.is_none());
    let o = change(
        &w,
        ALICE.username,
        NEW,
        "Another-Password-For-Her-62",
        "Another-Password-For-Her-62",
    );
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
}

#[test]
fn the_new_password_passes_the_rules_and_history() {
    let w = world(r#"{"password": {"min_chars": 12, "history": 2}}"#);
    let o = change(&w, ALICE.username, ALICE.password, "short1", "short1");
    assert_eq!(o.rejection, Some(Reason::PasswordTooShort));
    assert!(o.password.is_some());
    let o = change(
        &w,
        ALICE.username,
        ALICE.password,
        NEW,
        "quiet lantern orchard 4418",
    );
    assert_eq!(o.rejection, Some(Reason::PasswordMismatch));
    assert!(change(&w, ALICE.username, ALICE.password, NEW, NEW).changed);
    let back = "amber kestrel harbour 9031";
    assert!(change(&w, ALICE.username, NEW, back, back).changed);
    // The password before is in the history now.
    let o = change(&w, ALICE.username, back, NEW, NEW);
    assert_eq!(o.rejection, Some(Reason::PasswordReused));
    assert!(password_is(&w, back));
}

#[test]
fn a_refusal_by_the_directory_is_an_outcome() {
    let w = world(r#"{"help_desk": {"contact": "helpdesk@contoso.example"}}"#);
    w.directory.inner.refuse_password(NEW);
    let o = change(&w, ALICE.username, ALICE.password, NEW, NEW);
    assert_eq!(o.rejection, Some(Reason::PasswordRefused));
    assert_eq!(o.help_desk.as_deref(), Some("helpdesk@contoso.example"));
    assert!(password_is(&w, ALICE.password));
}

#[test]
fn an_oversized_password_is_a_typed_error_and_changes_nothing() {
    let w = world("");
    let big = "x".repeat(5000);
    let err = w
        .engine
        .change_password(
            ALICE.username,
            &SecretString::new(ALICE.password),
            &SecretString::new(big.clone()),
            &SecretString::new(big),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Input(InputError::TooLong { .. })));
    assert!(password_is(&w, ALICE.password));
}
