use serde_json::json;

use super::*;

fn err(v: serde_json::Value) -> PolicyError {
    Policy::from_value(&v).expect_err("document should be invalid")
}

#[test]
fn empty_document_is_the_default() {
    assert_eq!(Policy::from_json("{}").unwrap(), Policy::default());
    assert_eq!(Policy::from_toml("").unwrap(), Policy::default());
    let p = Policy::default();
    assert_eq!(p.codes().digits, 8);
    assert_eq!(p.limits().email_sends.max, 10);
    assert_eq!(p.password().min_banned_score, 5);
}

#[test]
fn effective_policy_round_trips_through_json_and_toml() {
    let p = Policy::from_value(&json!({
        "reset": {"enabled_for": {"groups": ["sspr-pilot"]}, "methods": ["email", "office_phone", "security_questions"], "methods_required": 2},
        "security_questions": {"to_register": 5, "to_reset": 4, "custom": ["Name of your first robot?"]},
        "password": {"banned": ["Contoso", "blank"], "min_guesses_log10": 7.5, "history": 3}
    }))
    .unwrap();
    let j = p.to_json();
    assert_eq!(j["reset"]["enabled_for"], json!({"groups": ["sspr-pilot"]}));
    assert_eq!(j["password"]["banned"], json!(["contoso", "blank"]));
    assert_eq!(Policy::from_value(&j).unwrap(), p);
    let t = p.to_toml();
    assert!(t.contains("methods_required = 2"), "{t}");
    assert_eq!(Policy::from_toml(&t).unwrap(), p);
    assert_eq!(Policy::parse(&t).unwrap(), p);
    assert_eq!(Policy::parse(&j.to_string()).unwrap(), p);
}

#[test]
fn every_error_names_its_field() {
    let cases = [
        (
            json!({"reset": {"methods_required": 3}}),
            "reset.methods_required",
        ),
        (
            json!({"reset": {"methods_required": "2"}}),
            "reset.methods_required",
        ),
        (
            json!({"reset": {"methods_required": 1.5}}),
            "reset.methods_required",
        ),
        (
            json!({"reset": {"methods_required": -1}}),
            "reset.methods_required",
        ),
        (json!({"reset": {"methods": []}}), "reset.methods"),
        (
            json!({"reset": {"methods": ["email", "email"]}}),
            "reset.methods",
        ),
        (json!({"reset": {"methods": ["fax"]}}), "reset.methods"),
        (json!({"reset": {"methods": "email"}}), "reset.methods"),
        (
            json!({"reset": {"methods": ["email", "app_code"], "methods_required": 2}}),
            "reset.methods",
        ),
        (
            json!({"reset": {"enabled_for": "some"}}),
            "reset.enabled_for",
        ),
        (
            json!({"reset": {"enabled_for": {"groups": []}}}),
            "reset.enabled_for.groups",
        ),
        (
            json!({"reset": {"enabled_for": {"group": ["a"]}}}),
            "reset.enabled_for.group",
        ),
        (
            json!({"reset": {"enabled_for": {}}}),
            "reset.enabled_for.groups",
        ),
        (
            json!({"reset": {"unlock_without_reset": "yes"}}),
            "reset.unlock_without_reset",
        ),
        (
            json!({"reset": {"session_ttl_s": 0}}),
            "reset.session_ttl_s",
        ),
        (
            json!({"reset": {"session_ttl_s": 604_801}}),
            "reset.session_ttl_s",
        ),
        (
            json!({"limits": {"resend_cooldown_s": 86_401}}),
            "limits.resend_cooldown_s",
        ),
        (json!({"reset": []}), "reset"),
        (json!({"resets": {}}), "resets"),
        (
            json!({"registration": {"reconfirm_days": 731}}),
            "registration.reconfirm_days",
        ),
        (
            json!({"registration": {"snooze_days": 15}}),
            "registration.snooze_days",
        ),
        (
            json!({"registration": {"snoozes": 101}}),
            "registration.snoozes",
        ),
        (
            json!({"registration": {"snoozes": -1}}),
            "registration.snoozes",
        ),
        (
            json!({"security_questions": {"to_register": 2}}),
            "security_questions.to_register",
        ),
        (
            json!({"security_questions": {"to_register": 3, "to_reset": 4}}),
            "security_questions.to_reset",
        ),
        (
            json!({"security_questions": {"custom": (0..21).map(|i| format!("Question {i}?")).collect::<Vec<_>>()}}),
            "security_questions.custom",
        ),
        (
            json!({"security_questions": {"custom": ["no"]}}),
            "security_questions.custom",
        ),
        (
            json!({"security_questions": {"custom": ["Pet?", "pet?"]}}),
            "security_questions.custom",
        ),
        (json!({"codes": {"digits": 5}}), "codes.digits"),
        (json!({"codes": {"digits": 11}}), "codes.digits"),
        (json!({"codes": {"ttl_s": 59}}), "codes.ttl_s"),
        (json!({"codes": {"max_attempts": 0}}), "codes.max_attempts"),
        (json!({"totp": {"skew_steps": 11}}), "totp.skew_steps"),
        (
            json!({"notifications": {"user_on_reset": 1}}),
            "notifications.user_on_reset",
        ),
        (
            json!({"limits": {"verify_failures": {"max": 0}}}),
            "limits.verify_failures.max",
        ),
        (
            json!({"limits": {"phone_sends": {"windows": 1}}}),
            "limits.phone_sends.windows",
        ),
        (json!({"limits": {"email_sends": 5}}), "limits.email_sends"),
        (json!({"password": {"min_chars": 7}}), "password.min_chars"),
        (
            json!({"password": {"min_chars": 20, "max_chars": 12}}),
            "password.max_chars",
        ),
        (
            json!({"password": {"max_chars": 257}}),
            "password.max_chars",
        ),
        (
            json!({"password": {"min_classes": 5}}),
            "password.min_classes",
        ),
        (
            json!({"password": {"banned": ["contoso", "abc"]}}),
            "password.banned",
        ),
        (
            json!({"password": {"banned": ["a-very-long-banned-term"]}}),
            "password.banned",
        ),
        (
            json!({"password": {"banned": ["okay", 5]}}),
            "password.banned",
        ),
        (json!({"password": {"history": 25}}), "password.history"),
        (
            json!({"password": {"min_guesses_log10": 21}}),
            "password.min_guesses_log10",
        ),
        (
            json!({"password": {"min_guesses_log10": "7"}}),
            "password.min_guesses_log10",
        ),
        (json!([]), ""),
    ];
    for (doc, field) in cases {
        let e = err(doc.clone());
        assert_eq!(e.field, field, "{doc} gave {e}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn banned_list_is_limited_to_1000_terms() {
    let terms: Vec<String> = (0..1001).map(|i| format!("term{i:04}")).collect();
    assert_eq!(
        err(json!({"password": {"banned": terms}})).field,
        "password.banned"
    );
    let ok: Vec<String> = (0..1000).map(|i| format!("term{i:04}")).collect();
    assert_eq!(
        Policy::from_value(&json!({"password": {"banned": ok}}))
            .unwrap()
            .password()
            .banned
            .len(),
        1000
    );
}

#[test]
fn syntax_errors_name_the_document() {
    let e = Policy::from_json("{\"reset\": ").unwrap_err();
    assert_eq!(e.field, "");
    assert!(e.message.contains("JSON"), "{e}");
    let e = Policy::from_toml("[reset\nmethods = 1").unwrap_err();
    assert_eq!(e.field, "");
    assert!(e.message.contains("TOML"), "{e}");
    let e = Policy::from_toml("[reset]\nmethods_required = 7").unwrap_err();
    assert_eq!(e.field, "reset.methods_required");
    assert_eq!(
        e.to_string(),
        "reset.methods_required: must be a whole number from 1 to 2"
    );
}

#[test]
fn administrators_get_two_gates_and_no_questions_whatever_the_document_says() {
    let p = Policy::from_value(&json!({"reset": {"enabled_for": "none", "methods": ["security_questions", "email"], "methods_required": 1}})).unwrap();
    let admin = p.requirement_for(true);
    assert_eq!(admin.gates, 2);
    assert!(!admin.methods.contains(&Method::SecurityQuestions));
    assert_eq!(admin.methods, ADMIN_METHODS.to_vec());
    let user = p.requirement_for(false);
    assert_eq!(user.gates, 1);
    assert_eq!(user.methods, vec![Method::SecurityQuestions, Method::Email]);

    let mut someone = DirectoryUser {
        id: crate::UserId::new("u1"),
        username: "u@contoso.example".into(),
        first_name: String::new(),
        last_name: String::new(),
        org_name: String::new(),
        groups: vec![],
        admin: false,
    };
    assert!(!p.applies_to(&someone));
    someone.admin = true;
    assert!(p.applies_to(&someone));
}

#[test]
fn group_scope_matches_without_case() {
    let p =
        Policy::from_value(&json!({"reset": {"enabled_for": {"groups": ["SSPR-Pilot"]}}})).unwrap();
    let mut u = DirectoryUser {
        id: crate::UserId::new("u1"),
        username: "u@contoso.example".into(),
        first_name: String::new(),
        last_name: String::new(),
        org_name: String::new(),
        groups: vec!["staff".into(), "sspr-pilot".into()],
        admin: false,
    };
    assert!(p.applies_to(&u));
    u.groups = vec!["staff".into()];
    assert!(!p.applies_to(&u));
}

#[test]
fn help_desk_administrators_and_unlocking() {
    let p = Policy::default();
    assert!(p.reset().unlock_on_reset && p.reset().allow_administrators);
    assert_eq!(p.help_desk().contact, "");
    for good in [
        "helpdesk@contoso.example",
        "https://contoso.example/help",
        " https://help.contoso.example ",
    ] {
        let p = Policy::from_value(&json!({"help_desk": {"contact": good}})).unwrap();
        assert_eq!(p.help_desk().contact, good.trim());
    }
    for bad in [
        json!("http://contoso.example/help"),
        json!("https:///nohost"),
        json!("javascript:alert(1)"),
        json!("call us"),
        json!(format!("https://{}", "a".repeat(200))),
        json!("https://contoso.example/\u{7}"),
        json!(42),
    ] {
        let err = Policy::from_value(&json!({"help_desk": {"contact": bad}})).unwrap_err();
        assert_eq!(err.field, "help_desk.contact", "{bad}");
    }
    let err = Policy::from_value(&json!({"help_desk": {"phone": "1"}})).unwrap_err();
    assert_eq!(err.field, "help_desk.phone");
    let p = Policy::from_value(
        &json!({"reset": {"allow_administrators": false, "unlock_on_reset": false}}),
    )
    .unwrap();
    let admin = DirectoryUser {
        id: crate::UserId::new("u-admin"),
        username: "admin@contoso.example".into(),
        first_name: String::new(),
        last_name: String::new(),
        org_name: String::new(),
        groups: vec![],
        admin: true,
    };
    assert!(!p.applies_to(&admin));
    assert!(Policy::default().applies_to(&admin));
    assert!(!p.reset().unlock_on_reset);
}
