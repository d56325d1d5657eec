//! Checks a password against a policy's rules and prints every failing reason, the Entra
//! banned-password score, the estimated guesses, the 0–4 meter and the feedback.
//!
//! Run: `cargo run -p sspr-examples --bin password-check -- [--policy FILE] [--user NAME,FIRST,LAST,ORG] PASSWORD`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use sspr_core::Policy;
use sspr_core::password::feedback::english;
use sspr_core::password::{PasswordRules, UserFacts};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut policy = Policy::default();
    let mut user = UserFacts::default();
    let mut password = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--policy" => {
                let Some(path) = args.next() else {
                    eprintln!("--policy needs a file");
                    return ExitCode::from(2);
                };
                match std::fs::read_to_string(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|t| Policy::parse(&t).map_err(|e| e.to_string()))
                {
                    Ok(p) => policy = p,
                    Err(e) => {
                        eprintln!("policy {path}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            "--user" => {
                let parts: Vec<String> = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::to_owned)
                    .collect();
                let get = |i: usize| parts.get(i).cloned().unwrap_or_default();
                user = UserFacts {
                    username: get(0),
                    first_name: get(1),
                    last_name: get(2),
                    org_name: get(3),
                };
            }
            _ => password = Some(a),
        }
    }
    let Some(password) = password else {
        eprintln!(
            "usage: password-check [--policy FILE] [--user USERNAME,FIRST,LAST,ORG] PASSWORD"
        );
        return ExitCode::from(2);
    };
    let verdict = PasswordRules::new(policy.password()).evaluate(&password, &password, &user);
    println!(
        "{}",
        if verdict.accepted() {
            "accepted"
        } else {
            "refused"
        }
    );
    for r in &verdict.reasons {
        println!("  reason: {r}");
    }
    println!(
        "length: {} code points, {} character classes",
        verdict.length, verdict.classes
    );
    if let Some(score) = verdict.banned_score {
        println!(
            "banned-password score: {score} (needs {})",
            policy.password().min_banned_score
        );
    }
    if let Some(g) = verdict.guesses_log10 {
        println!("estimated guesses: 10^{g:.1} · meter {}/4", verdict.meter);
    }
    if let Some(w) = verdict.feedback.warning {
        println!("warning: {}", english(w));
    }
    for s in &verdict.feedback.suggestions {
        println!("suggestion: {}", english(*s));
    }
    if verdict.accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
