//! Suite `password`: the rules applied to a new password.
//!
//! Project extensions (optional case fields, used by the project's own vectors):
//! `breached` (passwords the breach service knows; default: the shipped common-password list),
//! `breach_service` (`"up"` or `"down"`), `breach_mode` (`"fail_open"` or `"fail_closed"`), and
//! the expect key `error` (`"port"`: the step fails with a port error).

use std::sync::OnceLock;

use serde_json::Value;
use sspr_core::hashing::{self, HashParams};
use sspr_core::memory::{MemoryBreachChecker, TestRandomness};
use sspr_core::password::{BreachMode, PasswordRules, UserFacts};
use sspr_core::ports::BreachChecker;
use sspr_core::{Error, Policy};

use crate::{Outcome, check_expect_keys};

fn common_passwords() -> &'static MemoryBreachChecker {
    static CHECKER: OnceLock<MemoryBreachChecker> = OnceLock::new();
    CHECKER.get_or_init(|| {
        let list = include_str!("../../data/common-passwords.txt");
        MemoryBreachChecker::with_passwords(list.lines().filter(|l| !l.starts_with('#')))
    })
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

pub fn run(case: &Value) -> Outcome {
    let expect = &case["expect"];
    check_expect_keys(expect, &["accepted", "reasons", "banned_score", "error"])?;
    let doc = serde_json::json!({ "password": case.get("policy").cloned().unwrap_or(serde_json::json!({})) });
    let policy = Policy::from_value(&doc).map_err(|e| format!("policy: {e}"))?;
    let rules = PasswordRules::new(policy.password());
    let u = &case["user"];
    let user = UserFacts {
        username: text(u, "username").into(),
        first_name: text(u, "first_name").into(),
        last_name: text(u, "last_name").into(),
        org_name: text(u, "org_name").into(),
    };
    let password = case["password"].as_str().ok_or("no password")?;
    let confirm = case["confirm"].as_str().unwrap_or(password);

    let rng = TestRandomness::new(1);
    let history: Vec<String> = u["previous"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|p| {
                    hashing::hash(p.as_bytes(), &HashParams::insecure_for_tests(), &rng)
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<_, _>>()
        })
        .transpose()?
        .unwrap_or_default();

    let custom;
    let broken = MemoryBreachChecker::default();
    broken.set_down(true);
    let checker: &MemoryBreachChecker = if case["breach_service"].as_str() == Some("down") {
        &broken
    } else {
        match case["breached"].as_array() {
            Some(list) => {
                custom = MemoryBreachChecker::with_passwords(list.iter().filter_map(Value::as_str));
                &custom
            }
            None => common_passwords(),
        }
    };
    let mode = if case["breach_mode"].as_str() == Some("fail_closed") {
        BreachMode::FailClosed
    } else {
        BreachMode::FailOpen
    };
    let outcome = rules.check(
        password,
        confirm,
        &user,
        |_| Ok(history),
        Some((checker as &dyn BreachChecker, mode)),
    );
    let verdict = match (outcome, expect["error"].as_str()) {
        (Err(Error::Port(_)), Some("port")) => return Ok(()),
        (Err(e), _) => return Err(format!("password check failed: {e}")),
        (Ok(_), Some(want)) => return Err(format!("expected a {want} error")),
        (Ok(v), None) => v,
    };

    let got: Vec<&str> = verdict.reasons.iter().map(|r| r.id()).collect();
    if let Some(want) = expect["accepted"].as_bool()
        && want != verdict.accepted()
    {
        return Err(format!(
            "accepted = {}, expected {want}; reasons {got:?}, banned score {:?}",
            verdict.accepted(),
            verdict.banned_score
        ));
    }
    if let Some(want) = expect["reasons"].as_array() {
        for r in want.iter().filter_map(Value::as_str) {
            if !got.contains(&r) {
                return Err(format!("reason {r} not reported; got {got:?}"));
            }
        }
    }
    if let Some(want) = expect["banned_score"].as_u64()
        && verdict.banned_score != Some(want as u32)
    {
        return Err(format!(
            "banned score {:?}, expected {want}",
            verdict.banned_score
        ));
    }
    Ok(())
}
