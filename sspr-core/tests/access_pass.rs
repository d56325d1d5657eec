//! Temporary access passes: a help desk issues one to a user who lost every method; it proves
//! the user's identity in the registration wizard, once or until it expires, counted like any
//! verification.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{World, world};
use sspr_core::audit::AuditKind;
use sspr_core::registration::RegistrationInput;
use sspr_core::testing::fixtures::ALICE;
use sspr_core::{Error, InputError, Reason, SecretString, UserId};

fn open_registration(w: &World) -> String {
    let o = w
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap();
    let v = o.view.unwrap();
    assert_eq!(v.state, "prove_identity");
    v.flow_id
}

fn pass(w: &World, id: &str, p: &str) -> sspr_core::engine::RegistrationOutcome {
    w.engine
        .registration_step(id, RegistrationInput::AccessPass(SecretString::new(p)))
        .unwrap()
}

#[test]
fn a_one_time_pass_proves_identity_once() {
    let w = world("");
    let issued = w
        .engine
        .issue_access_pass(&ALICE.user_id(), "helpdesk-7", 3600, true)
        .unwrap();
    let p = issued.pass.expose().to_owned();
    assert_eq!(p.len(), 19, "{p}");
    assert!(!format!("{issued:?}").contains(&p));
    let id = open_registration(&w);
    let o = pass(&w, &id, "0000-0000-0000-0000");
    assert_eq!(o.rejection, Some(Reason::AccessPassInvalid));
    assert_eq!(o.view.unwrap().state, "prove_identity");
    // Typed in lower case with spaces: the same pass.
    let typed = p.to_lowercase().replace('-', " ");
    let o = pass(&w, &id, &typed);
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().state, "registering");
    // Now the user may change security info: a new alternate email.
    let o = w
        .engine
        .registration_step(
            &id,
            RegistrationInput::Email("alice.new@fabrikam.example".into()),
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "verifying", "{:?}", o.rejection);
    // Used: a second wizard cannot use it again.
    let again = open_registration(&w);
    assert_eq!(
        pass(&w, &again, &p).rejection,
        Some(Reason::AccessPassInvalid)
    );
    let audit = w.audit();
    let issued_ev = audit
        .iter()
        .find(|e| e.kind == AuditKind::AccessPassIssued)
        .unwrap();
    assert_eq!(issued_ev.actor.as_deref(), Some("helpdesk-7"));
    assert!(audit.iter().any(|e| e.kind == AuditKind::AccessPassUsed));
    assert!(audit.iter().all(|e| !e.to_json().contains(&p)));
}

#[test]
fn a_multi_use_pass_works_until_it_expires() {
    let w = world("");
    let p = w
        .engine
        .issue_access_pass(&ALICE.user_id(), "helpdesk-7", 600, false)
        .unwrap()
        .pass;
    for _ in 0..2 {
        let id = open_registration(&w);
        assert_eq!(pass(&w, &id, p.expose()).view.unwrap().state, "registering");
    }
    w.mem.clock.advance(600);
    let id = open_registration(&w);
    assert_eq!(
        pass(&w, &id, p.expose()).rejection,
        Some(Reason::AccessPassInvalid)
    );
}

#[test]
fn wrong_passes_count_like_any_verification() {
    let w =
        world(r#"{"limits": {"verify_failures": {"max": 3, "window_s": 3600, "block_s": 600}}}"#);
    let p = w
        .engine
        .issue_access_pass(&ALICE.user_id(), "helpdesk-7", 3600, true)
        .unwrap()
        .pass;
    let id = open_registration(&w);
    let mut blocked = false;
    for i in 0..4 {
        let o = pass(&w, &id, &format!("0000-0000-0000-000{i}"));
        blocked |= o.rejection == Some(Reason::UserBlocked);
    }
    assert!(blocked);
    // The right pass is now refused uncompared.
    let o = pass(&w, &id, p.expose());
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
}

#[test]
fn issuing_checks_its_inputs_and_stores_nothing_on_error() {
    let w = world("");
    for lifetime in [0, 599, 30 * 86_400 + 1] {
        let err = w
            .engine
            .issue_access_pass(&ALICE.user_id(), "helpdesk-7", lifetime, true)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Input(InputError::Malformed {
                what: "access pass lifetime",
                ..
            })
        ));
    }
    assert!(
        w.engine
            .issue_access_pass(&ALICE.user_id(), "", 600, true)
            .is_err()
    );
    let err = w
        .engine
        .issue_access_pass(&UserId::new("u-nobody"), "helpdesk-7", 600, true)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Input(InputError::Malformed { what: "user", .. })
    ));
    assert!(
        w.audit()
            .iter()
            .all(|e| e.kind != AuditKind::AccessPassIssued)
    );
    // Nothing outstanding: any pass is invalid.
    let id = open_registration(&w);
    assert_eq!(
        pass(&w, &id, "7KQ2-M9XD-4TRB-HW3N").rejection,
        Some(Reason::AccessPassInvalid)
    );
}

#[test]
fn the_user_is_told_of_a_pass_and_a_report_ends_it() {
    let w = world("");
    w.mem.notifier.take();
    let p = w
        .engine
        .issue_access_pass(&ALICE.user_id(), "helpdesk-7", 3600, false)
        .unwrap()
        .pass;
    let told: Vec<_> = w.mem.notifier.take();
    let to: Vec<&str> = told.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(
        to,
        ["alice@contoso.example", "alice.smith@fabrikam.example"]
    );
    assert!(
        told.iter()
            .all(|m| m.code.is_none() && !format!("{m:?}").contains(p.expose()))
    );
    let token = told[0].revoke_token.clone().unwrap();
    assert_eq!(
        w.engine.report_not_me(token.expose()).unwrap().rejection,
        None
    );
    w.mem.clock.advance(86_400 + 1);
    let id = open_registration(&w);
    assert_eq!(
        pass(&w, &id, p.expose()).rejection,
        Some(Reason::AccessPassInvalid)
    );
}
