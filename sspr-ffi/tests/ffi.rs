//! The FFI layer from Rust: errors carry no personal data and keep their kind; a foreign port
//! that throws leaves the flow as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use sspr_ffi::engine::{
    Engine, EngineSettings, RegistrationInput, ResetInput, SecurityInfoImport, SigningKey,
};
use sspr_ffi::error::{PortException, SsprError};
use sspr_ffi::memory::MemoryPorts;
use sspr_ffi::policy::Policy;
use sspr_ffi::ports::Notifier;
use sspr_ffi::types::{DirectoryUser, Message, ResetOption, hash_params_insecure_for_tests};

struct Flaky {
    fail: Mutex<Option<PortException>>,
    sent: Mutex<Vec<Message>>,
}

impl Notifier for Flaky {
    fn deliver(&self, message: Message) -> Result<(), PortException> {
        if let Some(e) = self.fail.lock().unwrap().take() {
            return Err(e);
        }
        self.sent.lock().unwrap().push(message);
        Ok(())
    }
}

fn settings(key: Vec<u8>) -> EngineSettings {
    EngineSettings {
        keys: vec![SigningKey {
            id: "k".into(),
            key,
        }],
        identity_key: vec![8; 32],
        issuer: "Contoso".into(),
        hash_params: hash_params_insecure_for_tests(),
        breach_fail_closed: false,
        client_limit: None,
        country_budget: None,
        decoys: sspr_ffi::engine::decoy_settings_default(),
        sealing_keys: vec![],
        tenant: None,
    }
}

#[test]
fn an_unexpected_foreign_exception_is_unavailable_and_says_nothing_more() {
    let e: PortException = uniffi::UnexpectedUniFFICallbackError::new(
        "java.lang.IllegalStateException: relay ann@fabrikam.example refused",
    )
    .into();
    match e {
        PortException::Unavailable { detail } => assert!(!detail.contains("fabrikam")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn policy_errors_name_the_field() {
    let e = Policy::from_json(r#"{"reset": {"methods_requried": 2}}"#.into()).unwrap_err();
    assert!(matches!(e, SsprError::Policy { ref field, .. } if field == "reset.methods_requried"));
    let e = Policy::from_toml("[reset\n".into()).unwrap_err();
    assert!(matches!(e, SsprError::Policy { .. }));
}

#[test]
fn a_short_key_is_misuse() {
    let mem = MemoryPorts::for_tests(1_750_000_000, Some(1), "pass".into());
    let err = Engine::new(Policy::new(), mem.ports(), settings(vec![1; 4]))
        .err()
        .unwrap();
    assert!(matches!(err, SsprError::Misuse { .. }), "{err:?}");
}

#[test]
fn a_failing_foreign_notifier_keeps_the_flow_and_the_kind() {
    let mem = MemoryPorts::for_tests(1_750_000_000, Some(1), "pass".into());
    mem.add_user(
        DirectoryUser {
            id: "u1".into(),
            username: "ann@contoso.example".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            org_name: "Contoso".into(),
            groups: vec![],
            admin: false,
        },
        "Old-Password-1".into(),
    );
    let notifier = Arc::new(Flaky {
        fail: Mutex::new(Some(PortException::Rejected {
            detail: "quota".into(),
        })),
        sent: Mutex::new(vec![]),
    });
    let engine = Engine::new(
        Policy::new(),
        mem.ports().with_notifier(notifier.clone()),
        settings(vec![3; 32]),
    )
    .unwrap();
    engine
        .import_security_info(
            "u1".into(),
            SecurityInfoImport {
                email: Some("ann.home@fabrikam.example".into()),
                mobile: None,
                office: None,
                questions: Default::default(),
                app: None,
                confirmed_at: None,
            },
        )
        .unwrap();
    let flow = engine
        .start_reset("ann@contoso.example".into(), "pass".into(), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    let choose = ResetInput::Choose {
        option: ResetOption::Email,
    };
    let err = engine.reset_step(flow.clone(), choose.clone()).unwrap_err();
    assert!(
        matches!(err, SsprError::Port { ref port, ref kind, .. } if port == "notifier" && kind == "rejected"),
        "{err:?}"
    );
    assert!(!format!("{err:?} {err}").contains("fabrikam"));
    assert_eq!(
        engine.reset_view(flow.clone()).unwrap().state,
        "choose_method"
    );
    let r = engine.reset_step(flow, choose).unwrap();
    assert_eq!(r.view.unwrap().state, "enter_code");
    assert_eq!(notifier.sent.lock().unwrap().len(), 1);
    assert!(!format!("{:?}", notifier.sent.lock().unwrap()[0]).contains("fabrikam"));
}

fn ann(mem: &MemoryPorts) {
    mem.add_user(
        DirectoryUser {
            id: "u1".into(),
            username: "ann@contoso.example".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            org_name: "Contoso".into(),
            groups: vec![],
            admin: false,
        },
        "Old-Password-1".into(),
    );
}

fn email_import(address: &str) -> SecurityInfoImport {
    SecurityInfoImport {
        email: Some(address.into()),
        mobile: None,
        office: None,
        questions: Default::default(),
        app: None,
        confirmed_at: None,
    }
}

#[test]
fn a_known_password_is_changed_and_a_refused_one_names_the_help_desk() {
    let mem = MemoryPorts::for_tests(1_750_000_000, Some(1), "pass".into());
    ann(&mem);
    mem.refuse_password("Refused-Lantern-58".into());
    let policy =
        Policy::from_json(r#"{"help_desk": {"contact": "helpdesk@contoso.example"}}"#.into())
            .unwrap();
    let engine = Engine::new(policy, mem.ports(), settings(vec![3; 32])).unwrap();
    let user = "ann@contoso.example".to_owned();
    let wrong = engine
        .change_password(
            user.clone(),
            "wrong".into(),
            "Quiet-Orchard-4417".into(),
            "Quiet-Orchard-4417".into(),
            None,
        )
        .unwrap();
    assert!(!wrong.changed);
    assert_eq!(wrong.rejection.as_deref(), Some("reauth.failed"));
    let refused = engine
        .change_password(
            user.clone(),
            "Old-Password-1".into(),
            "Refused-Lantern-58".into(),
            "Refused-Lantern-58".into(),
            None,
        )
        .unwrap();
    assert_eq!(refused.rejection.as_deref(), Some("password.refused"));
    assert_eq!(
        refused.help_desk.as_deref(),
        Some("helpdesk@contoso.example")
    );
    assert!(mem.password_matches("u1".into(), "Old-Password-1".into()));
    let done = engine
        .change_password(
            user,
            "Old-Password-1".into(),
            "Quiet-Orchard-4417".into(),
            "Quiet-Orchard-4417".into(),
            None,
        )
        .unwrap();
    assert!(done.changed && done.rejection.is_none(), "{done:?}");
    assert!(done.password.unwrap().accepted);
    assert!(mem.password_matches("u1".into(), "Quiet-Orchard-4417".into()));
    assert!(!mem.must_change_password("u1".into()));
    let kinds: Vec<String> = mem.take_messages().into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds, ["password_changed"]);
}

#[test]
fn help_desk_secrets_stay_out_of_debug_and_the_audit_names_the_actor() {
    let mem = MemoryPorts::for_tests(1_750_000_000, Some(1), "pass".into());
    ann(&mem);
    let engine = Engine::new(Policy::new(), mem.ports(), settings(vec![3; 32])).unwrap();
    engine
        .import_security_info("u1".into(), email_import("ann.home@fabrikam.example"))
        .unwrap();
    let temporary = engine
        .reset_password_by_help_desk("u1".into(), "agent-7".into())
        .unwrap();
    assert!(temporary.must_change);
    assert!(mem.must_change_password("u1".into()));
    assert!(mem.password_matches("u1".into(), temporary.password.clone()));
    assert!(!format!("{temporary:?}").contains(&temporary.password));
    assert!(matches!(
        engine.reset_password_by_help_desk("ghost".into(), "agent-7".into()),
        Err(SsprError::Input { .. })
    ));
    assert!(matches!(
        engine.reset_password_by_help_desk("u1".into(), " ".into()),
        Err(SsprError::Input { .. })
    ));

    let pass = engine
        .issue_access_pass("u1".into(), "agent-7".into(), 3600, true)
        .unwrap();
    assert_eq!(pass.expires_at, 1_750_000_000 + 3600);
    assert!(pass.one_time);
    assert!(!format!("{pass:?}").contains(&pass.pass));
    assert!(matches!(
        engine.issue_access_pass("u1".into(), "agent-7".into(), 60, true),
        Err(SsprError::Input { .. })
    ));
    let flow = engine
        .start_registration("ann@contoso.example".into(), temporary.password, None)
        .unwrap()
        .view
        .unwrap();
    assert_eq!(flow.state, "prove_identity");
    let typed = pass.pass.to_lowercase().replace('-', " ");
    let proven = engine
        .registration_step(
            flow.flow_id.clone(),
            RegistrationInput::AccessPass { pass: typed },
        )
        .unwrap();
    assert_eq!(proven.view.unwrap().state, "registering");
    assert_eq!(
        format!(
            "{:?}",
            RegistrationInput::AccessPass {
                pass: pass.pass.clone()
            }
        ),
        "AccessPass"
    );

    let audit = mem.audit_events().join("\n");
    assert!(audit.contains("\"agent-7\""), "{audit}");
    assert!(!audit.contains(&pass.pass));
}

#[test]
fn a_replaced_policy_applies_to_the_next_call_and_names_what_changed() {
    let mem = MemoryPorts::for_tests(1_750_000_000, Some(1), "pass".into());
    ann(&mem);
    let engine = Engine::new(Policy::new(), mem.ports(), settings(vec![3; 32])).unwrap();
    engine
        .import_security_info("u1".into(), email_import("ann.home@fabrikam.example"))
        .unwrap();
    let bad = Policy::new();
    assert!(matches!(
        engine.replace_policy(bad, "".into()),
        Err(SsprError::Input { .. })
    ));
    let stricter =
        Policy::from_json(r#"{"password": {"min_chars": 20}, "help_desk": {"contact": "https://help.contoso.example"}}"#.into())
            .unwrap();
    let engine2 = engine.clone();
    let changed =
        std::thread::spawn(move || engine2.replace_policy(stricter, "admin-1".into()).unwrap())
            .join()
            .unwrap();
    assert_eq!(changed, ["help_desk.contact", "password.min_chars"]);
    let short = engine
        .change_password(
            "ann@contoso.example".into(),
            "Old-Password-1".into(),
            "Quiet-Orchard-4417".into(),
            "Quiet-Orchard-4417".into(),
            None,
        )
        .unwrap();
    assert_eq!(short.rejection.as_deref(), Some("password.too_short"));
    let audit = mem.audit_events();
    let event = audit.iter().find(|e| e.contains("\"admin-1\"")).unwrap();
    assert!(event.contains("password.min_chars"), "{event}");
    assert!(
        engine
            .replace_policy(Policy::new(), "admin-1".into())
            .unwrap()
            .len()
            == 2
    );
}
