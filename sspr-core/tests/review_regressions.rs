//! The findings of the security review of the help desk, access passes, password changes,
//! directory refusals, tenants and phone metadata, each kept fixed by a test that attacks it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{World, world, world_with};
use sspr_core::engine::{CountryBudget, Engine, Ports, SecurityInfoImport};
use sspr_core::memory::{MemoryDirectory, MemoryPorts, TestCaptcha};
use sspr_core::ports::{Channel, MessageKind};
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA, T0};
use sspr_core::testing::internals::phone_number_form;
use sspr_core::testing::internals::security_info::SecurityInfo;
use sspr_core::{DirectoryUser, Policy, Reason, ResetOption, SecretString, UserId};

fn open_registration(w: &World, password: &str) -> String {
    let o = w
        .engine
        .start_registration(ALICE.username, &SecretString::new(password), None)
        .unwrap();
    assert_eq!(o.rejection, None);
    o.view.unwrap().flow_id
}

/// A multi-use access pass ends with a help-desk reset and a "this wasn't me" report: whoever
/// holds the password and the pass is not back in when the report's block ends.
#[test]
fn an_access_pass_ends_with_a_report_and_a_help_desk_reset() {
    let w = world("");
    let pass = w
        .engine
        .issue_access_pass(&ALICE.user_id(), "helpdesk-7", 30 * 86_400, false)
        .unwrap()
        .pass;
    // The help desk resets the password (ends flows, revokes sessions)...
    let temp = w
        .engine
        .reset_password_by_help_desk(&ALICE.user_id(), "helpdesk-7")
        .unwrap();
    // ...and the user reports the notice as "not me".
    let token = w
        .mem
        .notifier
        .take()
        .into_iter()
        .find_map(|m| m.revoke_token)
        .expect("a notice with a token");
    let r = w.engine.report_not_me(token.expose()).unwrap();
    assert_eq!(r.rejection, None);
    // After the report's block, the pass still proves identity.
    w.mem.clock.advance(86_400 + 1);
    let id = open_registration(&w, temp.password.expose());
    let o = w
        .engine
        .registration_step(&id, RegistrationInput::AccessPass(pass.clone()))
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::AccessPassInvalid));
    assert_eq!(o.view.unwrap().state, "prove_identity");
}

/// A stored number that the phone metadata refuses (registered before the metadata check, or
/// by a host without `phone-metadata`) is still inside the country budget: a stored number's
/// calling code is read from its form.
#[cfg(feature = "phone-metadata")]
#[test]
fn a_stored_number_the_metadata_refuses_stays_in_the_country_budget() {
    let sent = |number: &str| -> usize {
        let w = world_with(
            r#"{"limits": {"resend_cooldown_s": 0}, "reset": {"confirm_phone_number": false}}"#,
            |o| {
                o.country_budget = Some(CountryBudget {
                    max: 1,
                    window_s: 3600,
                });
            },
        );
        let info = SecurityInfo {
            mobile: Some(phone_number_form(number).unwrap()),
            ..fixtures::alice_info()
        };
        fixtures::overwrite_info(w.mem.security_info.as_ref(), &ALICE.user_id(), &info);
        let id = w.start(ALICE.username);
        for _ in 0..3 {
            w.step(&id, ResetInput::Choose(ResetOption::MobileText));
        }
        w.mem
            .notifier
            .messages()
            .iter()
            .filter(|m| m.channel == Channel::Sms)
            .count()
    };
    // A number in use: the budget of 1 holds.
    assert_eq!(sent("+442071838750"), 1);
    // The right form, refused by the metadata ("too short for the UK"): the same budget.
    assert_eq!(sent("+4412345678"), 1);
}

fn tenant_engine(shared: &MemoryPorts, tenant: Option<&str>, dir: Arc<MemoryDirectory>) -> Engine {
    tenant_engine_sealed(shared, tenant, dir, false)
}

/// A tenant's engine; with `host_sealing`, every engine seals with the same host key.
fn tenant_engine_sealed(
    shared: &MemoryPorts,
    tenant: Option<&str>,
    dir: Arc<MemoryDirectory>,
    host_sealing: bool,
) -> Engine {
    let ports = Ports {
        directory: dir,
        captcha: Arc::new(TestCaptcha::reusable([CAPTCHA.to_owned()])),
        ..shared.ports()
    };
    let mut options = fixtures::options();
    options.tenant = tenant.map(str::to_owned);
    if host_sealing {
        options.sealing =
            sspr_core::SealingKeys::new(vec![("host-k1".to_owned(), vec![7; 32])]).unwrap();
    }
    options.country_budget = Some(CountryBudget {
        max: 1,
        window_s: 3600,
    });
    Engine::new(
        Policy::parse(r#"{"limits": {"resend_cooldown_s": 0}}"#).unwrap(),
        ports,
        options,
    )
    .unwrap()
}

fn alice_dir() -> Arc<MemoryDirectory> {
    let d = Arc::new(MemoryDirectory::new());
    d.add_user(ALICE.directory_user(), ALICE.password);
    d
}

/// The country budget's counter is keyed by the tenant: texts for one tenant do not spend
/// another tenant's budget.
#[test]
fn each_tenant_has_its_own_country_budget() {
    let shared = MemoryPorts::for_tests(T0, 5, CAPTCHA);
    let contoso = tenant_engine(&shared, Some("contoso"), alice_dir());
    let fabrikam = tenant_engine(&shared, Some("fabrikam"), alice_dir());
    for e in [&contoso, &fabrikam] {
        e.import_security_info(
            &ALICE.user_id(),
            &SecurityInfoImport {
                mobile: Some("+14255550100".into()),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let c = contoso.start_reset(ALICE.username, CAPTCHA, None).unwrap();
    let o = contoso
        .reset_step(
            &c.view.unwrap().flow_id,
            ResetInput::Choose(ResetOption::MobileText),
        )
        .unwrap();
    assert_eq!(o.rejection, None);
    // Fabrikam's Alice has sent nothing: her first text goes.
    let f = fabrikam.start_reset(ALICE.username, CAPTCHA, None).unwrap();
    let o = fabrikam
        .reset_step(
            &f.view.unwrap().flow_id,
            ResetInput::Choose(ResetOption::MobileText),
        )
        .unwrap();
    assert_eq!(
        o.rejection, None,
        "Contoso's send spent Fabrikam's country budget"
    );
}

/// An engine without a tenant and a tenant's engine on the same stores and identity key: the
/// untenanted user `contoso/u-alice` has the store key of Contoso's `u-alice`, but not its
/// sealing key, so methods registered there are never used by Contoso's Alice's reset.
#[test]
fn an_untenanted_user_id_with_a_slash_cannot_register_for_a_tenants_user() {
    for host_sealing in [false, true] {
        untenanted_slash(host_sealing);
    }
}

fn untenanted_slash(host_sealing: bool) {
    let shared = MemoryPorts::for_tests(T0, 5, CAPTCHA);
    let contoso = tenant_engine_sealed(&shared, Some("contoso"), alice_dir(), host_sealing);
    let mallory_dir = Arc::new(MemoryDirectory::new());
    mallory_dir.add_user(
        DirectoryUser {
            id: UserId::new("contoso/u-alice"),
            username: "mallory@default.example".into(),
            first_name: "Mal".into(),
            last_name: "Lory".into(),
            org_name: "Default".into(),
            groups: vec![],
            admin: false,
        },
        "Mallory-Own-Pass-1",
    );
    let default = tenant_engine_sealed(&shared, None, mallory_dir, host_sealing);
    // Mallory registers her own mailbox on the untenanted engine.
    let o = default
        .start_registration(
            "mallory@default.example",
            &SecretString::new("Mallory-Own-Pass-1"),
            None,
        )
        .unwrap();
    let id = o.view.unwrap().flow_id;
    default
        .registration_step(&id, RegistrationInput::Email("mallory@evil.example".into()))
        .unwrap();
    let code = shared
        .notifier
        .take()
        .into_iter()
        .find_map(|m| m.code)
        .unwrap();
    let o = default
        .registration_step(&id, RegistrationInput::Verify(code))
        .unwrap();
    assert_eq!(o.rejection, None);
    // Contoso's Alice's reset cannot open that record: it fails (the record is not hers)
    // and nothing ever goes to Mallory's mailbox.
    match contoso.start_reset(ALICE.username, CAPTCHA, None) {
        Err(sspr_core::Error::Input(sspr_core::InputError::CorruptRecord { .. })) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(o) => {
            if let Some(v) = o.view {
                let _ = contoso.reset_step(&v.flow_id, ResetInput::Choose(ResetOption::Email));
            }
        }
    }
    assert!(
        shared
            .notifier
            .take()
            .iter()
            .all(|m| m.to != "mallory@evil.example"),
        "a code went to Mallory"
    );
}

/// The temporary password fits the policy's lengths: `max_chars` below 19 (legacy directories
/// often cap at 16) or `min_chars` above it.
#[test]
fn a_help_desk_reset_fits_the_policy_lengths() {
    for (policy, len) in [
        (r#"{"password": {"max_chars": 16}}"#, 16),
        (r#"{"password": {"min_chars": 32}}"#, 32),
        (r#"{"password": {"max_chars": 19, "min_chars": 19}}"#, 19),
    ] {
        let w = world(policy);
        let t = w
            .engine
            .reset_password_by_help_desk(&ALICE.user_id(), "helpdesk-7")
            .unwrap_or_else(|e| panic!("{policy}: {e}"));
        assert_eq!(t.password.expose().chars().count(), len, "{policy}");
    }
    // A high guessing bar: longer, and passing it.
    let w = world(r#"{"password": {"min_guesses_log10": 20}}"#);
    let t = w
        .engine
        .reset_password_by_help_desk(&ALICE.user_id(), "helpdesk-7")
        .unwrap();
    let n = t.password.expose().chars().count();
    assert!((24..=256).contains(&n), "{n}");
    assert!(
        w.engine
            .password_rules()
            .check(
                t.password.expose(),
                t.password.expose(),
                &ALICE.facts(),
                |_| Ok(Vec::new()),
                None
            )
            .map(|v| v.accepted())
            .unwrap_or(false)
    );
}

/// change_password asks the directory to compare a password whether or not the username
/// exists: an unknown user costs the directory's (slow, hashed) comparison too.
#[test]
fn change_password_compares_for_unknown_users_too() {
    let w = world("");
    let new = SecretString::new("Some-New-Passphrase-93");
    let before = w.directory.password_checks.load(Ordering::SeqCst);
    let o = w
        .engine
        .change_password(
            "nobody@contoso.example",
            &SecretString::new("x-wrong-1"),
            &new,
            &new,
            None,
        )
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::ReauthFailed));
    assert_eq!(
        w.directory.password_checks.load(Ordering::SeqCst),
        before + 1
    );
    let o = w
        .engine
        .change_password(
            ALICE.username,
            &SecretString::new("x-wrong-1"),
            &new,
            &new,
            None,
        )
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::ReauthFailed));
    assert_eq!(
        w.directory.password_checks.load(Ordering::SeqCst),
        before + 2,
        "same outcome, the same directory call for a real user"
    );
}

/// A directory refusal on a step that started in `setting_password` (a retry after an
/// ambiguous failure) goes back to `new_password`: the refused change cannot land later, and
/// another password goes through.
#[test]
fn a_refusal_after_an_ambiguous_failure_goes_back_to_a_new_password() {
    let w = world("");
    let id = w.alice_at_code();
    let code = w.last_code();
    let o = w.step(&id, World::code(&code));
    assert_eq!(o.view.unwrap().state, "new_password");
    let p = SecretString::new("Quiet-Harbour-Lamp-72");
    w.directory.fail_before_apply.store(1, Ordering::SeqCst);
    let np = |s: &SecretString| ResetInput::NewPassword {
        password: s.clone(),
        confirm: s.clone(),
    };
    assert!(w.engine.reset_step(&id, np(&p)).is_err());
    // The directory now refuses it for good (its own policy or history).
    w.directory.inner.refuse_password(p.expose());
    let o = w.step(&id, np(&p));
    assert_eq!(o.rejection, Some(Reason::PasswordRefused));
    assert_eq!(o.view.unwrap().state, "new_password");
    let q = SecretString::new("Other-Maple-Window-45");
    let o = w.step(&id, np(&q));
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().state, "completed");
}

/// The directory's refusals are no oracle on its history: after a few the flow ends.
#[test]
fn a_flow_ends_after_a_few_refusals() {
    let w = world("");
    let id = w.alice_at_code();
    let code = w.last_code();
    w.step(&id, World::code(&code));
    let mut states = Vec::new();
    for i in 0..sspr_core::reset::MAX_PASSWORD_REFUSALS {
        let p = format!("Refused-Maple-Window-{i}{i}");
        w.directory.inner.refuse_password(&p);
        let o = w.step(
            &id,
            ResetInput::NewPassword {
                password: SecretString::new(p.clone()),
                confirm: SecretString::new(p),
            },
        );
        assert_eq!(o.rejection, Some(Reason::PasswordRefused));
        states.push(o.view.unwrap().state.id());
    }
    assert_eq!(states.last(), Some(&"expired"), "{states:?}");
    assert!(
        states[..states.len() - 1]
            .iter()
            .all(|s| *s == "new_password")
    );
}

/// A security-info store whose loads fail from the n-th on (1-based), as a store that goes down.
struct FailingLoads {
    inner: sspr_core::memory::MemorySecurityInfoStore,
    loads: std::sync::atomic::AtomicU32,
    fail_from: std::sync::atomic::AtomicU32,
}

impl sspr_core::ports::SecurityInfoStore for FailingLoads {
    fn load(&self, user: UserId) -> Result<Option<sspr_core::ports::Record>, sspr_core::PortError> {
        let n = self.loads.fetch_add(1, Ordering::SeqCst) + 1;
        let from = self.fail_from.load(Ordering::SeqCst);
        if from > 0 && n >= from {
            return Err(sspr_core::PortError::unavailable(
                sspr_core::PortName::SecurityInfoStore,
                "injected",
            ));
        }
        self.inner.load(user)
    }
    fn save(&self, user: UserId, data: String, v: u64) -> Result<(), sspr_core::PortError> {
        self.inner.save(user, data, v)
    }
}

/// Once the directory has applied the new password, a failing security-info load is a warning:
/// the caller learns of the change (the help desk gets its temporary password), the user is
/// told at the account, and the audit log records it with the actor.
#[test]
fn a_store_failure_after_the_directory_applied_hides_nothing() {
    for help_desk in [false, true] {
        let mem = fixtures::memory_ports(3);
        let store = Arc::new(FailingLoads {
            inner: sspr_core::memory::MemorySecurityInfoStore::new(),
            loads: 0.into(),
            fail_from: 0.into(),
        });
        fixtures::overwrite_info(store.as_ref(), &ALICE.user_id(), &fixtures::alice_info());
        let mut ports = mem.ports();
        ports.security_info = store.clone();
        let engine = fixtures::engine(Policy::parse("").unwrap(), ports);
        let before = mem.directory.password_of(&ALICE.user_id()).unwrap();
        // The epoch bump's load passes; the next load (after set_password) fails.
        store
            .fail_from
            .store(store.loads.load(Ordering::SeqCst) + 2, Ordering::SeqCst);
        let new = SecretString::new("Some-New-Passphrase-93");
        if help_desk {
            let t = engine
                .reset_password_by_help_desk(&ALICE.user_id(), "helpdesk-7")
                .unwrap();
            assert!(
                mem.directory
                    .password_of(&ALICE.user_id())
                    .unwrap()
                    .ct_eq(t.password.expose())
            );
        } else {
            let o = engine
                .change_password(
                    ALICE.username,
                    &SecretString::new(ALICE.password),
                    &new,
                    &new,
                    None,
                )
                .unwrap();
            assert!(o.changed);
            assert!(!o.warnings.is_empty(), "the store failure is a warning");
        }
        let after = mem.directory.password_of(&ALICE.user_id()).unwrap();
        assert!(after != before);
        assert!(
            mem.notifier
                .messages()
                .iter()
                .any(|m| m.kind == MessageKind::PasswordChanged && m.to == ALICE.username),
            "the user is told at the account"
        );
        assert!(
            mem.audit.events().iter().any(|e| matches!(
                e.kind,
                sspr_core::audit::AuditKind::PasswordChangedByUser
                    | sspr_core::audit::AuditKind::TemporaryPasswordSet
            )),
            "audited"
        );
    }
}
