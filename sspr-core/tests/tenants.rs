//! Several engines, one per tenant, sharing one set of stores: no flow, counter, record or
//! used value of one tenant is visible to another, even for the same user ids and usernames
//! and the same host keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use sspr_core::engine::{Engine, Ports, SecurityInfoImport};
use sspr_core::memory::{MemoryDirectory, MemoryPorts, TestCaptcha};
use sspr_core::ports::SecurityInfoStore;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA, T0};
use sspr_core::{Error, InputError, Policy, Reason, ResetOption, SecretString, UserId};

struct Tenant {
    engine: Engine,
    directory: Arc<MemoryDirectory>,
}

fn tenant(shared: &MemoryPorts, name: &str) -> Tenant {
    let directory = Arc::new(MemoryDirectory::new());
    directory.add_user(ALICE.directory_user(), ALICE.password);
    let ports = Ports {
        directory: directory.clone(),
        captcha: Arc::new(TestCaptcha::reusable([CAPTCHA.to_owned()])),
        ..shared.ports()
    };
    let mut options = fixtures::options();
    options.tenant = Some(name.to_owned());
    let policy = Policy::from_json(
        r#"{"limits": {"verify_failures": {"max": 2, "window_s": 3600, "block_s": 3600}}}"#,
    )
    .unwrap();
    Tenant {
        engine: Engine::new(policy, ports, options).unwrap(),
        directory,
    }
}

#[test]
fn tenants_sharing_stores_see_nothing_of_each_other() {
    let shared = MemoryPorts::for_tests(T0, 5, CAPTCHA);
    let contoso = tenant(&shared, "contoso");
    let fabrikam = tenant(&shared, "fabrikam");
    // Same user id and username in both; only Contoso's Alice registers an alternate email.
    let import = SecurityInfoImport {
        email: Some("alice.smith@contoso-mail.example".into()),
        ..Default::default()
    };
    contoso
        .engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap();

    // Records: stored under the tenant's name, and Fabrikam's Alice has none.
    assert!(
        shared
            .security_info
            .load(UserId::new("contoso/u-alice"))
            .unwrap()
            .is_some()
    );
    assert!(
        shared
            .security_info
            .load(UserId::new("u-alice"))
            .unwrap()
            .is_none()
    );
    let f = fabrikam
        .engine
        .start_reset(ALICE.username, CAPTCHA, None)
        .unwrap()
        .view
        .unwrap();
    fabrikam
        .engine
        .reset_step(
            &f.flow_id,
            ResetInput::Choose(
                f.options
                    .iter()
                    .map(|o| o.option)
                    .find(|o| !matches!(o, ResetOption::AppNotification))
                    .unwrap(),
            ),
        )
        .unwrap();
    assert!(
        shared.notifier.take().is_empty(),
        "Fabrikam's Alice has nothing registered"
    );

    // Flows: Contoso's flow id means nothing to Fabrikam's engine.
    let c = contoso
        .engine
        .start_reset(ALICE.username, CAPTCHA, None)
        .unwrap()
        .view
        .unwrap();
    let err = fabrikam
        .engine
        .reset_step(&c.flow_id, ResetInput::Choose(ResetOption::Email))
        .unwrap_err();
    assert!(matches!(err, Error::Input(InputError::UnknownFlow)));

    // Counters: Fabrikam's Alice blocked, Contoso's Alice not.
    let mut blocked = false;
    for i in 0..4 {
        let o = fabrikam
            .engine
            .reset_step(
                &f.flow_id,
                ResetInput::EnterCode(SecretString::new(format!("1234567{i}"))),
            )
            .unwrap();
        blocked |= o.rejection == Some(Reason::UserBlocked);
    }
    assert!(blocked);
    contoso
        .engine
        .reset_step(&c.flow_id, ResetInput::Choose(ResetOption::Email))
        .unwrap();
    let code = shared
        .notifier
        .take()
        .into_iter()
        .find_map(|m| m.code)
        .expect("Contoso's Alice gets her code");
    let o = contoso
        .engine
        .reset_step(&c.flow_id, ResetInput::EnterCode(code))
        .unwrap();
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().state, "new_password");

    // A record copied from one tenant to the other does not open there.
    let row = shared
        .security_info
        .load(UserId::new("contoso/u-alice"))
        .unwrap()
        .unwrap();
    shared
        .security_info
        .save(UserId::new("northwind/u-alice"), row.data, 0)
        .unwrap();
    let northwind = tenant(&shared, "northwind");
    let err = northwind
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Input(InputError::CorruptRecord { .. })),
        "{err}"
    );
    assert!(northwind.directory.password_of(&ALICE.user_id()).is_some());
}

#[test]
fn a_tenant_name_is_checked() {
    for bad in ["", "Contoso", "con toso", "a/b", &"x".repeat(65)] {
        let mut options = fixtures::options();
        options.tenant = Some(bad.to_owned());
        let shared = MemoryPorts::for_tests(T0, 5, CAPTCHA);
        assert!(
            Engine::new(Policy::default(), shared.ports(), options).is_err(),
            "{bad:?}"
        );
    }
}
