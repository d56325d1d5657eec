//! The FFI layer from Rust: errors carry no personal data and keep their kind; a foreign port
//! that throws leaves the flow as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use sspr_ffi::engine::{Engine, EngineSettings, ResetInput, SecurityInfoImport, SigningKey};
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
