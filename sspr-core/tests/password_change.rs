//! A new password is applied once and reported truthfully (hardening 9); no delivery the saved
//! flow does not hold, and a failed delivery loses nothing (10).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;

use common::{World, world};
use sspr_core::ports::{Directory, MessageKind};
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::ALICE;
use sspr_core::{Error, PortName, Reason, ResetOption, SecretString};

const FIRST: &str = "quiet lantern orchard 4417";
const SECOND: &str = "amber kestrel harbour 9031";

fn pw(p: &str) -> ResetInput {
    ResetInput::NewPassword {
        password: SecretString::new(p),
        confirm: SecretString::new(p),
    }
}

fn at_new_password(w: &World) -> String {
    let id = w.alice_at_code();
    let o = w.step(&id, World::code(&w.last_code()));
    assert_eq!(o.view.unwrap().state, "new_password");
    id
}

fn history_len(w: &World) -> usize {
    w.directory
        .inner
        .password_history(ALICE.user_id(), 100)
        .unwrap()
        .len()
}

fn password_is(w: &World, p: &str) -> bool {
    w.directory
        .inner
        .password_of(&ALICE.user_id())
        .unwrap()
        .ct_eq(p)
}

/// The directory accepts the password, then the call times out: the flow knows a change is
/// pending. A different password is refused while the change may still be landing (on
/// a1f0e59 it was reported `completed` while the first password stayed in force: both used
/// the flow id as the change id); the same password finishes it, applied once.
#[test]
fn a_failure_after_the_directory_accepted_never_leaves_the_flow_unaware() {
    let w = world("");
    let id = at_new_password(&w);
    w.directory.fail_after_apply.store(1, Ordering::SeqCst);
    let err = w.engine.reset_step(&id, pw(FIRST)).unwrap_err();
    assert!(
        matches!(err, Error::Port(ref e) if e.port == PortName::Directory),
        "{err}"
    );
    assert!(password_is(&w, FIRST), "the directory did apply it");
    assert_eq!(
        w.engine.reset_view_of(&id).unwrap().state,
        "setting_password"
    );
    let o = w.step(&id, pw(SECOND));
    assert_eq!(o.rejection, Some(Reason::PasswordChangePending));
    assert_eq!(o.view.unwrap().state, "setting_password");
    assert!(password_is(&w, FIRST));
    let o = w.step(&id, pw(FIRST));
    assert_eq!(o.view.unwrap().state, "completed");
    assert!(password_is(&w, FIRST));
    let ids = w.directory.change_ids.lock().unwrap().clone();
    assert_eq!(ids.len(), 2, "one retry");
    assert_eq!(ids[0], ids[1], "the retry carries the same change id");
    assert_eq!(history_len(&w), 1, "applied once");
    let notices = w
        .mem
        .notifier
        .messages()
        .into_iter()
        .filter(|m| m.kind == MessageKind::PasswordChanged)
        .count();
    assert_eq!(notices, 2, "the user is told once, at both addresses");
}

/// The flow save fails after the directory applied the password: the change stays pending
/// until the same password is submitted again.
#[test]
fn a_lost_save_after_the_directory_applied_is_recovered() {
    let w = world("");
    let id = at_new_password(&w);
    // Save 1 is the flow as setting_password; save 2 (completed) fails.
    w.flows.fail_nth.store(2, Ordering::SeqCst);
    let err = w.engine.reset_step(&id, pw(FIRST)).unwrap_err();
    assert!(
        matches!(err, Error::Port(ref e) if e.port == PortName::FlowStore),
        "{err}"
    );
    assert!(password_is(&w, FIRST));
    assert_eq!(
        w.engine.reset_view_of(&id).unwrap().state,
        "setting_password"
    );
    // A different password while the change is pending is refused, uncompared and unapplied:
    // the pending change is the one the directory may hold.
    w.mem.clock.advance(60);
    let o = w.step(&id, pw(SECOND));
    assert_eq!(o.rejection, Some(Reason::PasswordChangePending));
    assert!(
        password_is(&w, FIRST),
        "the second password was never applied"
    );
    // The same password finishes the change; the directory sees one change id throughout.
    let o = w.step(&id, pw(FIRST));
    assert_eq!(o.view.unwrap().state, "completed");
    assert!(password_is(&w, FIRST));
    let ids = w.directory.change_ids.lock().unwrap().clone();
    assert!(!ids.is_empty());
    assert!(
        ids.iter().all(|i| i == &ids[0]),
        "retrying the pending change reuses its change id"
    );
}

/// A directory failure that may or may not have applied the password (it cannot tell) keeps
/// the change pending: the same password finishes it at once, applied once.
#[test]
fn an_ambiguous_directory_failure_keeps_the_change_pending() {
    let w = world("");
    let id = at_new_password(&w);
    w.directory.fail_before_apply.store(1, Ordering::SeqCst);
    assert!(w.engine.reset_step(&id, pw(FIRST)).is_err());
    assert_eq!(
        w.engine.reset_view_of(&id).unwrap().state,
        "setting_password"
    );
    let o = w.step(&id, pw(FIRST));
    assert_eq!(o.view.unwrap().state, "completed");
    assert!(password_is(&w, FIRST));
    assert_eq!(history_len(&w), 1);
}

/// Of two concurrent submissions exactly one wins; the other is told the truth.
#[test]
fn of_two_concurrent_submissions_exactly_one_wins() {
    for round in 0..20 {
        let w = world("");
        let id = at_new_password(&w);
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let a = s.spawn(|| w.engine.reset_step(&id, pw(FIRST)).unwrap());
            let b = s.spawn(|| w.engine.reset_step(&id, pw(SECOND)).unwrap());
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        let won: Vec<usize> = outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.rejection.is_none())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {outcomes:?}");
        let winner = [FIRST, SECOND][won[0]];
        assert!(password_is(&w, winner), "round {round}");
        let loser = &outcomes[1 - won[0]];
        assert!(
            matches!(
                loser.rejection,
                Some(Reason::PasswordChangePending | Reason::FlowInvalidStep)
            ),
            "round {round}: {:?}",
            loser.rejection
        );
        assert_eq!(history_len(&w), 1);
    }
}

/// A step that loses a compare-and-set delivers nothing; the re-run delivers the code the saved
/// flow holds (on a1f0e59 the losing run had already delivered its own code).
#[test]
fn a_step_that_loses_the_race_delivers_nothing() {
    let w = world("");
    let id = w.start(ALICE.username);
    w.flows.conflicts.store(1, Ordering::SeqCst);
    let o = w.step(&id, ResetInput::Choose(ResetOption::Email));
    assert_eq!(o.view.unwrap().state, "enter_code");
    let codes: Vec<_> = w
        .mem
        .notifier
        .messages()
        .into_iter()
        .filter(|m| m.kind == MessageKind::Code)
        .collect();
    assert_eq!(codes.len(), 1, "exactly one code delivered");
    let o = w.step(&id, World::code(codes[0].code.as_ref().unwrap().expose()));
    assert_eq!(
        o.rejection, None,
        "the delivered code is the one the flow holds"
    );
}

/// A failed delivery loses nothing: the flow is as it was, the send was not counted, and the
/// step can be retried at once.
#[test]
fn a_failed_delivery_loses_nothing() {
    let w = world(r#"{"limits": {"email_sends": {"max": 1, "window_s": 600, "block_s": 600}}}"#);
    let id = w.start(ALICE.username);
    w.mem.notifier.fail_next(1);
    let err = w
        .engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .unwrap_err();
    assert!(matches!(err, Error::Port(ref e) if e.port == PortName::Notifier));
    assert_eq!(w.engine.reset_view_of(&id).unwrap().state, "choose_method");
    let o = w.step(&id, ResetInput::Choose(ResetOption::Email));
    assert_eq!(
        o.rejection, None,
        "the failed send was given back: one send allowed"
    );
    assert_eq!(w.mem.notifier.messages().len(), 1);
}

/// The directory refuses the new password for good (its own policy or history): the user is
/// told `password.refused` and stays at the new-password screen of a flow that still works;
/// another password then goes through.
#[test]
fn a_password_the_directory_refuses_is_an_outcome() {
    let w = world("");
    let id = at_new_password(&w);
    w.directory.inner.refuse_password(FIRST);
    let o = w.step(&id, pw(FIRST));
    assert_eq!(o.rejection, Some(Reason::PasswordRefused));
    assert_eq!(o.view.unwrap().state, "new_password");
    assert!(password_is(&w, ALICE.password));
    assert_eq!(history_len(&w), 0);
    assert!(
        w.audit()
            .iter()
            .any(|e| e.reason == Some(Reason::PasswordRefused)),
        "the refusal is audited"
    );
    let o = w.step(&id, pw(SECOND));
    assert_eq!(o.view.unwrap().state, "completed", "{:?}", o.rejection);
    assert!(password_is(&w, SECOND));
}
