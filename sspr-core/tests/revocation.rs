//! A reset ends every flow before it (hardening 5), changing security info takes proof of a
//! registered method (6), and notices reach the owner with a "this wasn't me" token (7).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Barrier, Mutex};

use common::{World, world};
use sspr_core::audit::AuditKind;
use sspr_core::engine::Engine;
use sspr_core::memory::MemorySecurityInfoStore;
use sspr_core::ports::{Channel, MessageKind, Record, SecurityInfoStore};
use sspr_core::registration::{RegistrationInput, Via};
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA};
use sspr_core::{Policy, PortError, Reason, ResetOption, SecretString, UserId};

const PW: &str = "quiet lantern orchard 4417";

fn new_password() -> ResetInput {
    ResetInput::NewPassword {
        password: SecretString::new(PW),
        confirm: SecretString::new(PW),
    }
}

/// Alice's registration, proved with her email: ready to change things.
fn proved_registration(w: &World) -> String {
    let o = w
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap();
    let v = o.view.unwrap();
    assert_eq!(v.state, "prove_identity");
    let id = v.flow_id;
    let o = w
        .engine
        .registration_step(&id, RegistrationInput::Prove(ResetOption::Email))
        .unwrap();
    assert_eq!(o.view.unwrap().state, "proving");
    let o = w
        .engine
        .registration_step(
            &id,
            RegistrationInput::Verify(SecretString::new(w.last_code())),
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "registering", "{:?}", o.rejection);
    id
}

fn complete_reset(w: &World) {
    let id = w.alice_at_code();
    w.step(&id, World::code(&w.last_code()));
    let o = w.step(&id, new_password());
    assert_eq!(o.view.unwrap().state, "completed", "{:?}", o.rejection);
}

/// Completing a reset ends every open flow of the user, registration flows included (on
/// a1f0e59 registration flows went on after a reset).
#[test]
fn a_completed_reset_ends_every_open_flow_of_the_user() {
    let w = world("");
    let registration = proved_registration(&w);
    let other_reset = w.start(ALICE.username);
    w.mem.clock.advance(1);
    complete_reset(&w);
    let o = w
        .engine
        .registration_step(
            &registration,
            RegistrationInput::Email("new@fabrikam.example".into()),
        )
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
    assert_eq!(o.view.unwrap().state, "expired");
    let o = w.step(&other_reset, ResetInput::Choose(ResetOption::Email));
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
    assert!(w.audit().iter().any(|e| e.kind == AuditKind::FlowRevoked));
}

/// Any change of security info ends the user's other flows too; the flow that made it goes on.
#[test]
fn a_change_of_security_info_ends_the_other_flows() {
    let w = world("");
    let reset = w.start(ALICE.username);
    let other = proved_registration(&w);
    let registration = proved_registration(&w);
    let o = w
        .engine
        .registration_step(
            &registration,
            RegistrationInput::Remove(sspr_core::Method::MobilePhone),
        )
        .unwrap();
    assert_eq!(o.rejection, None);
    let o = w.step(&reset, ResetInput::Choose(ResetOption::Email));
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
    let o = w
        .engine
        .registration_step(&other, RegistrationInput::Finish)
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
    let o = w
        .engine
        .registration_step(&registration, RegistrationInput::Finish)
        .unwrap();
    assert_eq!(o.view.unwrap().state, "done");
}

/// A security-info store that holds the first save from the registration thread until the
/// reset has completed: the registration computed its change before the reset, and tries to
/// save it after.
struct HeldStore {
    inner: MemorySecurityInfoStore,
    hold: Mutex<Option<Arc<Barrier>>>,
}

impl SecurityInfoStore for HeldStore {
    fn load(&self, user: UserId) -> Result<Option<Record>, PortError> {
        self.inner.load(user)
    }
    fn save(&self, user: UserId, data: String, expected: u64) -> Result<(), PortError> {
        let barrier = if std::thread::current().name() == Some("registration") {
            self.hold.lock().unwrap().take()
        } else {
            None
        };
        if let Some(b) = barrier {
            b.wait(); // the reset may go
            b.wait(); // the reset is done
        }
        self.inner.save(user, data, expected)
    }
}

/// A registration step racing a reset can change nothing after the reset: its save loses the
/// compare-and-set, and the re-run finds the flow ended.
#[test]
fn a_registration_racing_a_reset_changes_nothing_after_it() {
    let mem = fixtures::memory_ports(3);
    let store = Arc::new(HeldStore {
        inner: MemorySecurityInfoStore::new(),
        hold: Mutex::new(None),
    });
    store
        .inner
        .save(
            ALICE.user_id(),
            fixtures::sealed(&ALICE.user_id(), &fixtures::alice_info()),
            0,
        )
        .unwrap();
    let mut ports = mem.ports();
    ports.security_info = store.clone();
    let engine = Engine::new(Policy::default(), ports, fixtures::options()).unwrap();
    let reg = engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    engine
        .registration_step(&reg, RegistrationInput::Prove(ResetOption::Email))
        .unwrap();
    let code = mem
        .notifier
        .take()
        .into_iter()
        .find_map(|m| m.code)
        .unwrap();
    engine
        .registration_step(&reg, RegistrationInput::Verify(code))
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    *store.hold.lock().unwrap() = Some(barrier.clone());
    let outcome = std::thread::scope(|s| {
        let h = std::thread::Builder::new()
            .name("registration".into())
            .spawn_scoped(s, || {
                engine.registration_step(
                    &reg,
                    RegistrationInput::Remove(sspr_core::Method::MobilePhone),
                )
            })
            .unwrap();
        barrier.wait();
        let id = engine
            .start_reset(ALICE.username, CAPTCHA, None)
            .unwrap()
            .view
            .unwrap()
            .flow_id;
        engine
            .reset_step(&id, ResetInput::Choose(ResetOption::Email))
            .unwrap();
        let code = mem
            .notifier
            .take()
            .into_iter()
            .rev()
            .find_map(|m| m.code)
            .unwrap();
        engine.reset_step(&id, ResetInput::EnterCode(code)).unwrap();
        let o = engine.reset_step(&id, new_password()).unwrap();
        assert_eq!(o.view.unwrap().state, "completed");
        barrier.wait();
        h.join().unwrap().unwrap()
    });
    assert_eq!(outcome.rejection, Some(Reason::FlowExpired));
    let info = fixtures::opened(
        &ALICE.user_id(),
        &store.inner.load(ALICE.user_id()).unwrap().unwrap().data,
    );
    assert!(
        info.mobile.is_some(),
        "the registration changed security info after the reset"
    );
}

/// Once a user has a method registered, changing security info needs proof of one (a code or
/// an approval); a first registration needs re-authentication only (on a1f0e59 the password
/// alone let anyone change everything).
#[test]
fn changing_security_info_needs_proof_of_a_registered_method() {
    let w = world("");
    let o = w
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap();
    let v = o.view.unwrap();
    assert_eq!(v.state, "prove_identity");
    let offered: Vec<_> = v.proof_options.iter().map(|o| o.option).collect();
    assert_eq!(
        offered,
        [
            ResetOption::Email,
            ResetOption::MobileText,
            ResetOption::MobileCall
        ]
    );
    let id = v.flow_id;
    for input in [
        RegistrationInput::Email("eve@evil.example".into()),
        RegistrationInput::Mobile {
            number: "+14255550123".into(),
            via: Via::Text,
        },
        RegistrationInput::App { device_id: None },
        RegistrationInput::Remove(sspr_core::Method::Email),
        RegistrationInput::SetDefault(sspr_core::Method::Email),
    ] {
        let o = w.engine.registration_step(&id, input).unwrap();
        assert_eq!(o.rejection, Some(Reason::ProofRequired));
    }
    // A wrong proof counts as a failure; the right one opens the wizard.
    w.engine
        .registration_step(&id, RegistrationInput::Prove(ResetOption::MobileText))
        .unwrap();
    let o = w
        .engine
        .registration_step(
            &id,
            RegistrationInput::Verify(SecretString::new("00000000")),
        )
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::CodeMismatch));
    let o = w
        .engine
        .registration_step(
            &id,
            RegistrationInput::Verify(SecretString::new(w.last_code())),
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "registering");
    assert!(
        w.audit()
            .iter()
            .any(|e| e.kind == AuditKind::IdentityProven)
    );
    // A user with nothing registered goes straight to registering.
    let fresh = UserId::new("u-carol");
    w.directory.inner.add_user(
        sspr_core::DirectoryUser {
            id: fresh,
            username: "carol@contoso.example".into(),
            first_name: "Carol".into(),
            last_name: "Diaz".into(),
            org_name: "Contoso".into(),
            groups: vec![],
            admin: false,
        },
        "Saffron-Meadow-77",
    );
    let o = w
        .engine
        .start_registration(
            "carol@contoso.example",
            &SecretString::new("Saffron-Meadow-77"),
            None,
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "registering");
}

/// A change is told to the account's own mailbox and to every contact registered before it,
/// each notice with a "this wasn't me" token. Redeeming it revokes the user's flows and
/// sessions, blocks self-service and is audited; the token works once and expires.
#[test]
fn a_change_is_told_to_the_owner_and_can_be_reported() {
    let w = world("");
    let reg = proved_registration(&w);
    w.mem.notifier.take();
    let o = w
        .engine
        .registration_step(
            &reg,
            RegistrationInput::Email("alice.new@fabrikam.example".into()),
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "verifying");
    let code = w.last_code();
    w.mem.notifier.take();
    w.engine
        .registration_step(&reg, RegistrationInput::Verify(SecretString::new(code)))
        .unwrap();
    let notices: Vec<_> = w
        .mem
        .notifier
        .take()
        .into_iter()
        .filter(|m| m.kind == MessageKind::SecurityInfoChanged)
        .collect();
    let mut to: Vec<(Channel, String)> =
        notices.iter().map(|m| (m.channel, m.to.clone())).collect();
    to.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        to,
        [
            (Channel::Sms, "+14255550100".to_owned()),
            (Channel::Email, "alice.smith@fabrikam.example".to_owned()),
            (Channel::Email, "alice@contoso.example".to_owned()),
        ],
        "the old alternate address and phone hear of it, not only the new one"
    );
    let token = notices[0].revoke_token.clone().unwrap();
    assert!(
        notices
            .iter()
            .all(|m| m.revoke_token.as_ref() == Some(&token))
    );
    // An attacker's open reset flow, and the registration itself, end with the report.
    let reset = w.start(ALICE.username);
    let sessions = w.directory.inner.sessions_revoked(&ALICE.user_id());
    let r = w.engine.report_not_me(token.expose()).unwrap();
    assert_eq!(r.rejection, None);
    assert!(r.blocked_until.is_some());
    assert_eq!(
        w.directory.inner.sessions_revoked(&ALICE.user_id()),
        sessions + 1
    );
    let o = w.step(&reset, ResetInput::Choose(ResetOption::Email));
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
    let o = w
        .engine
        .registration_step(&reg, RegistrationInput::Finish)
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
    let o = w.engine.start_reset(ALICE.username, CAPTCHA, None).unwrap();
    assert_eq!(o.view.unwrap().state, "blocked", "self-service is blocked");
    assert!(
        w.audit()
            .iter()
            .any(|e| e.kind == AuditKind::NoticeReported)
    );
    // Single use; unknown tokens; expiry.
    let again = w.engine.report_not_me(token.expose()).unwrap();
    assert_eq!(again.rejection, Some(Reason::NoticeInvalid));
    let unknown = w.engine.report_not_me("not-a-token").unwrap();
    assert_eq!(unknown.rejection, Some(Reason::NoticeInvalid));
    assert!(w.engine.report_not_me(&"x".repeat(500)).is_err());
}

#[test]
fn a_notice_token_expires() {
    let w = world("");
    complete_reset(&w);
    let token = w
        .mem
        .notifier
        .messages()
        .into_iter()
        .find(|m| m.kind == MessageKind::PasswordChanged)
        .and_then(|m| m.revoke_token)
        .expect("the password-changed notice carries a token");
    w.mem.clock.advance(sspr_core::engine::NOTICE_TOKEN_TTL_S);
    let r = w.engine.report_not_me(token.expose()).unwrap();
    assert_eq!(r.rejection, Some(Reason::NoticeInvalid));
}
