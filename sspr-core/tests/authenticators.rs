//! Several authenticator apps per user (up to five, as Entra allows): the record's `apps`,
//! read from older records that hold one `app`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sspr_core::engine::{Engine, MAX_APPS};
use sspr_core::memory::MemoryPorts;
use sspr_core::ports::{Channel, Clock, MessageKind};
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, DemoUser};
use sspr_core::testing::internals::security_info::SecurityInfo;
use sspr_core::{Method, Policy, Reason, ResetOption, SecretString};

const CAROL: DemoUser = DemoUser {
    id: "u-carol",
    username: "carol@contoso.example",
    first_name: "Carol",
    last_name: "Jones",
    password: "Amber-Violin-73",
    admin: false,
};

const POLICY: &str = r#"{"reset": {"methods": ["email", "mobile_phone", "app_code",
    "app_notification"], "methods_required": 1},
    "limits": {"resend_cooldown_s": 0}}"#;

fn code(secret_b32: &str, t: u64) -> String {
    sspr_core::otp::Credential::from_base32(secret_b32, "SHA1", 6, 30)
        .unwrap()
        .at(t)
        .unwrap()
}

struct W {
    engine: Engine,
    mem: MemoryPorts,
}

impl W {
    fn new() -> Self {
        let mem = fixtures::memory_ports(3);
        mem.directory
            .add_user(CAROL.directory_user(), CAROL.password);
        let engine = fixtures::engine(Policy::parse(POLICY).unwrap(), mem.ports());
        Self { engine, mem }
    }

    fn now(&self) -> u64 {
        self.mem.clock.now().unwrap()
    }

    /// Carol registers `n` apps on devices `phone-0`…, one wizard each; their secrets.
    fn register_apps(&self, n: usize) -> Vec<String> {
        let mut secrets: Vec<String> = Vec::new();
        for i in 0..n {
            let o = self
                .engine
                .start_registration(CAROL.username, &SecretString::new(CAROL.password), None)
                .unwrap();
            let v = o.view.unwrap();
            let id = v.flow_id;
            if v.state == "prove_identity" {
                // Prove with the first app's code, a step later (no replay).
                self.mem.clock.advance(30);
                self.engine
                    .registration_step(&id, RegistrationInput::Prove(ResetOption::AppCode))
                    .unwrap();
                let o = self
                    .engine
                    .registration_step(
                        &id,
                        RegistrationInput::Verify(SecretString::new(code(&secrets[0], self.now()))),
                    )
                    .unwrap();
                assert_eq!(o.rejection, None, "proof {i}");
            }
            let o = self
                .engine
                .registration_step(
                    &id,
                    RegistrationInput::App {
                        device_id: Some(format!("phone-{i}")),
                    },
                )
                .unwrap();
            assert_eq!(o.rejection, None, "app {i}");
            let secret = o.provisioning.unwrap().secret_b32.expose().to_owned();
            let o = self
                .engine
                .registration_step(
                    &id,
                    RegistrationInput::Verify(SecretString::new(code(&secret, self.now()))),
                )
                .unwrap();
            assert_eq!(o.rejection, None, "verify {i}");
            secrets.push(secret);
            self.mem.notifier.take();
        }
        secrets
    }
}

#[test]
fn up_to_five_apps_and_a_code_from_any_passes_once() {
    let w = W::new();
    let secrets = w.register_apps(MAX_APPS);
    assert_eq!(MAX_APPS, 5);
    // The sixth is refused before anything is made.
    let o = w
        .engine
        .start_registration(CAROL.username, &SecretString::new(CAROL.password), None)
        .unwrap();
    let id = o.view.unwrap().flow_id;
    w.mem.clock.advance(30);
    w.engine
        .registration_step(&id, RegistrationInput::Prove(ResetOption::AppCode))
        .unwrap();
    w.engine
        .registration_step(
            &id,
            RegistrationInput::Verify(SecretString::new(code(&secrets[4], w.now()))),
        )
        .unwrap();
    let o = w
        .engine
        .registration_step(&id, RegistrationInput::App { device_id: None })
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::MethodInvalid));
    assert!(o.provisioning.is_none());

    // A reset: the third app's code passes; the same code again is a replay.
    w.mem.clock.advance(30);
    let c = code(&secrets[2], w.now());
    for (round, want) in [(0, None), (1, Some(Reason::CodeMismatch))] {
        let r = w
            .engine
            .start_reset(CAROL.username, fixtures::CAPTCHA, None)
            .unwrap();
        let rid = r.view.unwrap().flow_id;
        w.engine
            .reset_step(&rid, ResetInput::Choose(ResetOption::AppCode))
            .unwrap();
        let o = w
            .engine
            .reset_step(&rid, ResetInput::EnterCode(SecretString::new(c.clone())))
            .unwrap();
        if round == 0 {
            assert_eq!(o.rejection, want);
            // The third app's last step moved; the others' did not.
            let id = CAROL.user_id();
            let rec =
                sspr_core::ports::SecurityInfoStore::load(w.mem.security_info.as_ref(), id.clone())
                    .unwrap()
                    .unwrap();
            let info = fixtures::opened(&id, &rec.data);
            assert_eq!(info.apps[2].last_step, Some(w.now() / 30));
            assert_ne!(info.apps[3].last_step, Some(w.now() / 30));
        } else {
            // A replay: refused (compared and wrong, or uncompared once the window's budget
            // is spent).
            assert!(
                matches!(
                    o.rejection,
                    Some(Reason::CodeMismatch | Reason::CodeExhausted)
                ),
                "{:?}",
                o.rejection
            );
        }
    }
}

#[test]
fn pushes_go_to_the_first_app_and_changes_are_told_to_every_app() {
    let w = W::new();
    w.register_apps(2);
    let r = w
        .engine
        .start_reset(CAROL.username, fixtures::CAPTCHA, None)
        .unwrap();
    let v = r.view.unwrap();
    assert_eq!(v.options[0].option, ResetOption::AppNotification);
    w.engine
        .reset_step(&v.flow_id, ResetInput::Choose(ResetOption::AppNotification))
        .unwrap();
    let sent = w.mem.notifier.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].channel, sent[0].to.as_str()),
        (Channel::Push, "phone-0")
    );
    // The second wizard told the first app of the new one.
    let w = W::new();
    let secrets = w.register_apps(1);
    let o = w
        .engine
        .start_registration(CAROL.username, &SecretString::new(CAROL.password), None)
        .unwrap();
    let id = o.view.unwrap().flow_id;
    w.mem.clock.advance(30);
    w.engine
        .registration_step(&id, RegistrationInput::Prove(ResetOption::AppCode))
        .unwrap();
    w.engine
        .registration_step(
            &id,
            RegistrationInput::Verify(SecretString::new(code(&secrets[0], w.now()))),
        )
        .unwrap();
    let o = w
        .engine
        .registration_step(
            &id,
            RegistrationInput::App {
                device_id: Some("phone-1".into()),
            },
        )
        .unwrap();
    let s = o.provisioning.unwrap().secret_b32.expose().to_owned();
    w.engine
        .registration_step(
            &id,
            RegistrationInput::Verify(SecretString::new(code(&s, w.now()))),
        )
        .unwrap();
    w.engine
        .registration_step(
            &id,
            RegistrationInput::Email("carol.j@fabrikam.example".into()),
        )
        .unwrap();
    w.mem.notifier.take();
    let code = w
        .mem
        .notifier
        .messages()
        .iter()
        .find_map(|m| m.code.clone());
    assert!(code.is_none());
    // Removing the apps (both) tells both devices.
    let o = w
        .engine
        .registration_step(&id, RegistrationInput::Back)
        .unwrap();
    assert_eq!(o.rejection, None);
    let o = w
        .engine
        .registration_step(&id, RegistrationInput::Remove(Method::AppCode))
        .unwrap();
    assert_eq!(o.rejection, None);
    let told: Vec<String> = w
        .mem
        .notifier
        .take()
        .into_iter()
        .filter(|m| m.channel == Channel::Push && m.kind == MessageKind::SecurityInfoChanged)
        .map(|m| m.to)
        .collect();
    assert_eq!(told, ["phone-0", "phone-1"]);
}

#[test]
fn older_records_with_one_app_read_as_the_first_of_apps() {
    let old = r#"{"v":1,"info":{"email":"carol@fabrikam.example","app":{"secret":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","algorithm":"SHA1","digits":6,"period":30,"last_step":5,"device_id":"old-phone"}}}"#;
    let info = SecurityInfo::from_record(old).unwrap();
    assert_eq!(info.apps.len(), 1);
    assert_eq!(info.apps[0].device_id, "old-phone");
    assert_eq!(info.app().map(|a| a.last_step), Some(Some(5)));
    assert!(info.has(Method::AppCode, 1));
    // Written back as `apps`.
    let rec = info.to_record();
    assert!(
        rec.contains("\"apps\":[") && !rec.contains("\"app\":"),
        "{rec}"
    );
    assert_eq!(SecurityInfo::from_record(&rec).unwrap(), info);
    // Six apps are a tampered record.
    let app = r#"{"secret":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","algorithm":"SHA1","digits":6,"period":30,"last_step":null,"device_id":"d"}"#;
    let six = format!(r#"{{"v":1,"info":{{"apps":[{}]}}}}"#, [app; 6].join(","));
    assert!(SecurityInfo::from_record(&six).is_err());
    let five = format!(r#"{{"v":1,"info":{{"apps":[{}]}}}}"#, [app; 5].join(","));
    assert_eq!(SecurityInfo::from_record(&five).unwrap().apps.len(), 5);
}

mod tokens {
    use super::*;
    use sspr_core::audit::AuditKind;
    use sspr_core::engine::HardwareTokenImport;
    use sspr_core::otp::OtpAlgorithm;

    const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    fn token(serial: &str) -> HardwareTokenImport {
        HardwareTokenImport {
            serial: serial.into(),
            secret_b32: SecretString::new(SEED),
            algorithm: OtpAlgorithm::Sha256,
            digits: 8,
            period: 60,
        }
    }

    fn token_code(t: u64) -> String {
        sspr_core::otp::Credential::from_base32(SEED, "SHA256", 8, 60)
            .unwrap()
            .at(t)
            .unwrap()
    }

    #[test]
    fn an_imported_token_proves_app_code_once_activated() {
        let w = W::new();
        w.engine
            .import_hardware_token(&CAROL.user_id(), &token("HW-0001"), "admin bob")
            .unwrap();
        let ev = w
            .mem
            .audit
            .events()
            .into_iter()
            .find(|e| e.kind == AuditKind::HardwareTokenImported)
            .unwrap();
        assert_eq!(ev.actor.as_deref(), Some("admin bob"));
        // Inactive: nothing registered yet.
        let c = w
            .engine
            .sign_in_check(CAROL.username, &SecretString::new(CAROL.password), None)
            .unwrap();
        assert!(c.registration_required);
        let o = w
            .engine
            .start_registration(CAROL.username, &SecretString::new(CAROL.password), None)
            .unwrap();
        let v = o.view.unwrap();
        assert_eq!(v.state, "registering");
        assert!(v.registered.is_empty());
        let id = v.flow_id;
        let activate = |serial: &str, code: String| {
            w.engine
                .registration_step(
                    &id,
                    RegistrationInput::ActivateToken {
                        serial: serial.into(),
                        code: SecretString::new(code),
                    },
                )
                .unwrap()
        };
        let right = token_code(w.now());
        let o = activate("HW-0002", right.clone());
        assert_eq!(o.rejection, Some(Reason::MethodInvalid));
        let wrong = format!("{:08}", (right.parse::<u64>().unwrap() + 1) % 100_000_000);
        let o = activate("HW-0001", wrong);
        assert_eq!(o.rejection, Some(Reason::CodeMismatch));
        let o = activate("HW-0001", right);
        assert_eq!(o.rejection, None);
        let v = o.view.unwrap();
        assert_eq!(v.registered, [Method::AppCode]);
        assert_eq!(v.default_method, Some(Method::AppCode));
        // Activating it twice is refused.
        let o = activate("HW-0001", token_code(w.now()));
        assert_eq!(o.rejection, Some(Reason::MethodInvalid));

        // A reset: app_code only (no notifications to a token), a later code passes.
        w.mem.clock.advance(60);
        let r = w
            .engine
            .start_reset(CAROL.username, fixtures::CAPTCHA, None)
            .unwrap();
        let v = r.view.unwrap();
        let options: Vec<ResetOption> = v.options.iter().map(|o| o.option).collect();
        assert_eq!(options, [ResetOption::AppCode]);
        w.engine
            .reset_step(&v.flow_id, ResetInput::Choose(ResetOption::AppCode))
            .unwrap();
        let o = w
            .engine
            .reset_step(
                &v.flow_id,
                ResetInput::EnterCode(SecretString::new(token_code(w.now()))),
            )
            .unwrap();
        assert_eq!(o.rejection, None);
        assert_eq!(o.view.unwrap().state, "new_password");
    }

    #[test]
    fn imports_outside_the_hardware_rules_are_refused() {
        let w = W::new();
        let user = CAROL.user_id();
        for bad in [
            HardwareTokenImport {
                algorithm: OtpAlgorithm::Sha512,
                ..token("A")
            },
            HardwareTokenImport {
                period: 45,
                ..token("A")
            },
            HardwareTokenImport {
                digits: 7,
                ..token("A")
            },
            HardwareTokenImport {
                serial: String::new(),
                ..token("A")
            },
            HardwareTokenImport {
                serial: "has space".into(),
                ..token("A")
            },
            HardwareTokenImport {
                secret_b32: SecretString::new("JBSWY3DP"),
                ..token("A")
            },
            HardwareTokenImport {
                secret_b32: SecretString::new("not base32!"),
                ..token("A")
            },
        ] {
            assert!(
                w.engine
                    .import_hardware_token(&user, &bad, "admin")
                    .is_err(),
                "{bad:?}"
            );
        }
        assert!(
            w.engine
                .import_hardware_token(&sspr_core::UserId::new("nobody"), &token("A"), "admin")
                .is_err()
        );
        for i in 0..5 {
            w.engine
                .import_hardware_token(&user, &token(&format!("T{i}")), "admin")
                .unwrap();
        }
        assert!(
            w.engine
                .import_hardware_token(&user, &token("T0"), "admin")
                .is_err()
        );
        assert!(
            w.engine
                .import_hardware_token(&user, &token("T5"), "admin")
                .is_err()
        );
        // Debug never shows the seed.
        assert!(!format!("{:?}", token("A")).contains("JBSWY3DP"));
    }

    #[test]
    fn tampered_token_records_are_refused() {
        let ok = format!(
            r#"{{"v":1,"info":{{"tokens":[{{"serial":"HW-1","secret":"{SEED}","algorithm":"SHA256","digits":8,"period":60,"last_step":null,"activated":true}}]}}}}"#
        );
        let info = SecurityInfo::from_record(&ok).unwrap();
        assert!(info.has(Method::AppCode, 1));
        assert!(!info.has(Method::AppNotification, 1));
        for (from, to) in [
            ("\"period\":60", "\"period\":45"),
            ("\"digits\":8", "\"digits\":7"),
            ("\"algorithm\":\"SHA256\"", "\"algorithm\":\"SHA512\""),
            ("\"serial\":\"HW-1\"", "\"serial\":\"\""),
        ] {
            let bad = ok.replacen(from, to, 1);
            assert!(SecurityInfo::from_record(&bad).is_err(), "{to}");
        }
    }
}
