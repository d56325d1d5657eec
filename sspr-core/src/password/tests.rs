use super::*;
use crate::Policy;
use crate::hashing::HashParams;
use crate::memory::{MemoryBreachChecker, TestRandomness};

fn rules(doc: serde_json::Value) -> PasswordRules {
    PasswordRules::new(
        Policy::from_value(&serde_json::json!({ "password": doc }))
            .unwrap()
            .password(),
    )
}

fn alice() -> UserFacts {
    UserFacts {
        username: "alice.smith@contoso.example".into(),
        first_name: "Alice".into(),
        last_name: "Smith".into(),
        org_name: "Contoso".into(),
    }
}

#[test]
fn every_failing_reason_is_reported() {
    let r =
        rules(serde_json::json!({"min_classes": 3, "banned": ["contoso"], "min_guesses_log10": 8}));
    let v = r.evaluate("contoso", "contosO", &alice());
    assert_eq!(
        v.reasons,
        vec![
            Reason::PasswordTooShort,
            Reason::PasswordTooFewClasses,
            Reason::PasswordBanned,
            Reason::PasswordTooGuessable,
            Reason::PasswordMismatch
        ]
    );
    assert!(!v.accepted());
    assert!(
        v.feedback
            .suggestions
            .contains(&MessageId::UseMoreCharacters)
    );
    assert!(
        v.feedback
            .suggestions
            .contains(&MessageId::AvoidBannedTerms)
    );
}

#[test]
fn length_counts_code_points_after_nfkc() {
    let r = rules(
        serde_json::json!({"global_banned_list": false, "user_info": false, "min_banned_score": 0}),
    );
    // Seven decomposed "é" (e + combining acute) are 14 code points raw, 7 after NFKC.
    let decomposed = "e\u{301}".repeat(7);
    assert_eq!(
        r.evaluate(&decomposed, &decomposed, &UserFacts::default())
            .length,
        7
    );
    assert!(
        r.evaluate(&decomposed, &decomposed, &UserFacts::default())
            .reasons
            .contains(&Reason::PasswordTooShort)
    );
    // "ﬃ" is one code point that NFKC turns into three.
    let v = r.evaluate("ﬃﬃﬃ", "ﬃﬃﬃ", &UserFacts::default());
    assert_eq!(v.length, 9);
    // Composed and decomposed confirmations match.
    let composed = "é".repeat(8);
    let v = r.evaluate(&composed, &"e\u{301}".repeat(8), &UserFacts::default());
    assert!(!v.reasons.contains(&Reason::PasswordMismatch), "{v:?}");
    // Emoji and CJK count one each.
    assert_eq!(
        r.evaluate("🔑🔑🔑🔑密码密码", "", &UserFacts::default())
            .length,
        8
    );
}

#[test]
fn too_long_input_skips_the_expensive_checks() {
    let r = rules(serde_json::json!({}));
    let huge = "x".repeat(1_000_000);
    let v = r.evaluate(&huge, &huge, &UserFacts::default());
    assert_eq!(v.reasons, vec![Reason::PasswordTooLong]);
    assert_eq!(v.banned_score, None);
    assert_eq!(v.guesses_log10, None);
}

#[test]
fn classes_are_counted() {
    assert_eq!(classes("abc"), 1);
    assert_eq!(classes("aB3"), 3);
    assert_eq!(classes("aB3!"), 4);
    assert_eq!(classes("ÄÖ٣"), 2);
    assert_eq!(classes("密码"), 1);
}

#[test]
fn user_info_can_be_switched_off() {
    let on = rules(serde_json::json!({"global_banned_list": false}));
    let off = rules(serde_json::json!({"global_banned_list": false, "user_info": false}));
    // "smith24!" is the last name plus three characters: 4 points, one short.
    assert!(
        on.evaluate("Smith24!", "Smith24!", &alice())
            .reasons
            .contains(&Reason::PasswordBanned)
    );
    assert!(off.evaluate("Smith24!", "Smith24!", &alice()).accepted());
    // "2024" normalises to "2o24": the name plus four characters is 5 points, enough.
    assert!(on.evaluate("Smith2024", "Smith2024", &alice()).accepted());
    assert_eq!(on.banned_score("contoso-alice", &alice()), 3);
}

#[test]
fn history_blocks_the_newest_n() {
    let rng = TestRandomness::new(1);
    let p = HashParams::insecure_for_tests();
    let history: Vec<String> = ["newest-Pass-1", "older-Pass-2", "oldest-Pass-3"]
        .iter()
        .map(|s| hashing::hash(s.as_bytes(), &p, &rng).unwrap())
        .collect();
    let r = rules(serde_json::json!({"history": 2, "global_banned_list": false}));
    for (pw, reused) in [
        ("newest-Pass-1", true),
        ("older-Pass-2", true),
        ("oldest-Pass-3", false),
        ("fresh-Pass-4", false),
    ] {
        let mut v = r.evaluate(pw, pw, &UserFacts::default());
        check_history(&mut v, r.policy(), pw, &history).unwrap();
        assert_eq!(v.reasons.contains(&Reason::PasswordReused), reused, "{pw}");
    }
    let mut v = r.evaluate("x", "x", &UserFacts::default());
    assert!(matches!(
        check_history(&mut v, r.policy(), "x", &["not a hash".to_owned()]),
        Err(InputError::CorruptRecord { .. })
    ));
}

#[test]
fn breaches_by_k_anonymity_fail_open_or_closed() {
    let checker = MemoryBreachChecker::with_passwords(["Summer2024!"]);
    let r = rules(serde_json::json!({"breached": true, "global_banned_list": false}));
    let mut v = r.evaluate("Summer2024!", "Summer2024!", &UserFacts::default());
    check_breach(&mut v, "Summer2024!", &checker, BreachMode::FailOpen).unwrap();
    assert_eq!(v.breach, BreachStatus::Breached { count: 1 });
    assert!(v.reasons.contains(&Reason::PasswordBreached));

    let mut v = r.evaluate(
        "Nebula-Quartz-72",
        "Nebula-Quartz-72",
        &UserFacts::default(),
    );
    check_breach(&mut v, "Nebula-Quartz-72", &checker, BreachMode::FailClosed).unwrap();
    assert_eq!(v.breach, BreachStatus::Clean);

    checker.set_down(true);
    let mut v = r.evaluate("Summer2024!", "Summer2024!", &UserFacts::default());
    check_breach(&mut v, "Summer2024!", &checker, BreachMode::FailOpen).unwrap();
    assert_eq!(v.breach, BreachStatus::Unavailable);
    assert!(!v.reasons.contains(&Reason::PasswordBreached));
    let mut v = r.evaluate("Summer2024!", "Summer2024!", &UserFacts::default());
    assert!(check_breach(&mut v, "Summer2024!", &checker, BreachMode::FailClosed).is_err());
    assert_eq!(
        sha1_hex("password"),
        "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
    );
}
