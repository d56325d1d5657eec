//! Password rules on any input: a verdict is accepted exactly when it lists no reason, the
//! banned score is at most the length, and the index finds exactly what a plain scan finds.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sspr_core::Policy;
use sspr_core::password::PasswordRules;
use sspr_core::testing::fixtures;
use sspr_core::testing::internals::banned::BannedIndex;

fn rules() -> &'static PasswordRules {
    static R: OnceLock<PasswordRules> = OnceLock::new();
    R.get_or_init(|| {
        let p = Policy::parse(r#"{"password": {"banned": ["contoso", "blank", "abcd"], "min_guesses_log10": 6, "min_classes": 2}}"#).expect("policy");
        PasswordRules::new(p.password())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (password, confirm) = text.split_once('\u{0}').unwrap_or((text, text));
    let user = fixtures::ALICE.facts();
    let v = rules().evaluate(password, confirm, &user);
    assert_eq!(v.accepted(), v.reasons.is_empty());
    if let Some(score) = v.banned_score {
        assert!(
            score as usize <= v.length.max(1) * 4,
            "score {score} for length {}",
            v.length
        );
    }
    // The index agrees with a scan on short inputs (the scan is slow).
    if password.chars().count() <= 24 {
        let small = BannedIndex::new(["contoso", "blank", "abcd", "qwertyuiop", "passw0rd"]);
        let p = sspr_core::testing::internals::banned::normalize(password);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        small.find(&p, &mut a);
        small.find_by_scan(&p, &mut b);
        a.sort_unstable();
        a.dedup();
        b.sort_unstable();
        b.dedup();
        assert_eq!(a, b);
    }
});
