//! The `tracing` feature: every engine call has a span and a closing event, and nothing secret
//! or personal is in any of them (every field of every span and event, formatted).
#![cfg(feature = "tracing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use sspr_core::memory::MemoryPorts;
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, BEN, BEN_APP_SECRET, CAPTCHA, T0};
use sspr_core::{Error, InputError, Policy, ResetOption, SecretString};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Everything the subscriber writes, kept.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn codes(mem: &MemoryPorts, seen: &mut Vec<String>) -> SecretString {
    let code = mem
        .notifier
        .take()
        .into_iter()
        .find_map(|m| m.code)
        .expect("a code was sent");
    seen.push(code.expose().to_owned());
    code
}

#[test]
fn spans_and_events_name_every_step_and_hold_no_secret() {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(out.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .finish();
    let mem = fixtures::memory_ports(3);
    let policy = Policy::from_json(
        r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone"], "methods_required": 1}}"#,
    )
    .unwrap();
    let engine = fixtures::engine(policy, mem.ports());
    let mut secrets: Vec<String> = Vec::new();
    let mut flow_ids: Vec<String> = Vec::new();
    let mut flow_refs: Vec<String> = Vec::new();
    let new_password = "quiet lantern orchard 4417";

    tracing::subscriber::with_default(subscriber, || {
        // Ben, an administrator: two gates (email code, authenticator code), one wrong code.
        let o = engine
            .start_reset(BEN.username, CAPTCHA, Some("198.51.100.7"))
            .unwrap();
        let v = o.view.unwrap();
        flow_ids.push(v.flow_id.clone());
        flow_refs.push(v.flow_ref.clone());
        let id = v.flow_id;
        engine
            .reset_step(&id, ResetInput::Choose(ResetOption::Email))
            .unwrap();
        let code = codes(&mem, &mut secrets);
        let wrong = engine
            .reset_step(&id, ResetInput::EnterCode(SecretString::new("00000000")))
            .unwrap();
        assert!(wrong.rejection.is_some());
        engine.reset_step(&id, ResetInput::EnterCode(code)).unwrap();
        engine
            .reset_step(&id, ResetInput::Choose(ResetOption::AppCode))
            .unwrap();
        let app = sspr_core::otp::Credential::from_base32(BEN_APP_SECRET, "SHA1", 6, 30).unwrap();
        let totp = app.at(T0).unwrap();
        secrets.push(totp.clone());
        let o = engine
            .reset_step(&id, ResetInput::EnterCode(SecretString::new(totp)))
            .unwrap();
        assert_eq!(o.view.unwrap().state, "new_password", "{:?}", o.rejection);
        let p = SecretString::new(new_password);
        let done = engine
            .reset_step(
                &id,
                ResetInput::NewPassword {
                    password: p.clone(),
                    confirm: p,
                },
            )
            .unwrap();
        assert_eq!(done.view.unwrap().state, "completed");

        // An unknown user gets a decoy; a bogus flow id is an error.
        let d = engine
            .start_reset("mallory@contoso.example", CAPTCHA, None)
            .unwrap();
        flow_ids.push(d.view.unwrap().flow_id);
        let err = engine
            .reset_step("not-a-flow-id-0123456789", ResetInput::Resend)
            .unwrap_err();
        assert!(matches!(err, Error::Input(InputError::UnknownFlow)));

        // Alice proves herself and registers an office phone.
        let o = engine
            .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
            .unwrap();
        let v = o.view.unwrap();
        flow_ids.push(v.flow_id.clone());
        flow_refs.push(v.flow_ref.clone());
        let reg = v.flow_id;
        engine
            .registration_step(&reg, RegistrationInput::Prove(ResetOption::Email))
            .unwrap();
        let code = codes(&mem, &mut secrets);
        engine
            .registration_step(&reg, RegistrationInput::Verify(code))
            .unwrap();
        engine
            .registration_step(&reg, RegistrationInput::Office("+14255550199".into()))
            .unwrap();
        let code = codes(&mem, &mut secrets);
        engine
            .registration_step(&reg, RegistrationInput::Verify(code))
            .unwrap();
        engine
            .registration_step(&reg, RegistrationInput::Finish)
            .unwrap();
        engine
            .sign_in_check(ALICE.username, &SecretString::new("not her password"), None)
            .unwrap();
        let _ = engine.report_not_me("a-token-nobody-issued");
    });

    let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    // Every call and input kind is named, refusals carry their reason id, flows their keyed
    // reference.
    for expected in [
        "op=\"start_reset\"",
        "op=\"reset_step\"",
        "input=\"enter_code\"",
        "input=\"new_password\"",
        "op=\"start_registration\"",
        "op=\"registration_step\"",
        "input=\"verify\"",
        "op=\"sign_in_check\"",
        "op=\"report_not_me\"",
        "reason=\"code.mismatch\"",
        "state=\"completed\"",
        "what=\"flow id\"",
        "error=\"input\"",
    ] {
        assert!(log.contains(expected), "no {expected} in:\n{log}");
    }
    for r in &flow_refs {
        assert!(log.contains(r.as_str()), "flow_ref {r} is not traced");
    }
    // Nothing secret or personal: identifiers, names, addresses, numbers, codes, passwords,
    // keys, flow ids, the client address.
    let mut needles: Vec<String> = [
        BEN.username,
        ALICE.username,
        "mallory",
        "contoso.example",
        "fabrikam",
        "Okafor",
        "Smith",
        "4255550",
        "2071838750",
        "198.51.100",
        new_password,
        BEN.password,
        ALICE.password,
        "not her password",
        BEN_APP_SECRET,
        "a-token-nobody-issued",
        "not-a-flow-id",
    ]
    .map(str::to_owned)
    .into();
    needles.extend(secrets);
    needles.extend(flow_ids);
    for needle in needles {
        assert!(!log.contains(&needle), "the trace shows {needle:?}:\n{log}");
    }
}
