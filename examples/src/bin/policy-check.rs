//! Validates a policy document (TOML or JSON) and prints the effective policy with every
//! default filled in and the worst-case chance that an online attacker guesses one user's way
//! in, per day and per year; or the field that is wrong and what is allowed there.
//!
//! Run: `cargo run -p sspr-examples --bin policy-check -- policy.toml` (or `-` for standard input)
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;
use std::process::ExitCode;

use sspr_core::Policy;

fn chance(p: f64) -> String {
    if p >= 1.0 {
        "certain".to_owned()
    } else {
        let one_in = 1.0 / p.max(f64::MIN_POSITIVE);
        if one_in < 100.0 {
            format!("{p:.2e} (1 in {one_in:.1})")
        } else {
            format!("{p:.2e} (1 in {one_in:.0})")
        }
    }
}

/// The worst-case odds of guessing one user's way in, as `sspr_core::policy` models them.
fn print_odds(policy: &Policy) {
    let o = policy.guessing_odds();
    println!(
        "\n# worst-case chance an attacker guesses one user's way in (online, every allowed guess)"
    );
    println!(
        "| over | failed guesses | a delivered code | an authenticator code | the security answers |"
    );
    println!("|---|---|---|---|---|");
    for (name, x) in [("a day", o.per_day), ("a year", o.per_year)] {
        println!(
            "| {name} | {} | {} | {} | {} |",
            x.guesses,
            chance(x.delivered_code),
            chance(x.app_code),
            x.answers.map_or_else(|| "not offered".to_owned(), chance)
        );
    }
    println!(
        "\nA year is bounded by limits.consecutive_failures ({}) failures in a row; the budget \
         starts again when the user completes a reset or signs in. The ceiling is {:.0e} a year \
         for codes. Answers assume the first guess at one answer succeeds with {:.1}% (Bonneau \
         et al., 2015).",
        policy.limits().consecutive_failures,
        sspr_core::policy::GUESS_CEILING_PER_YEAR,
        sspr_core::policy::WEAKEST_ANSWER_GUESS * 100.0
    );
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: policy-check FILE|-");
        return ExitCode::from(2);
    };
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(&path).map(|t| text = t)
    };
    if let Err(e) = read {
        eprintln!("cannot read {path}: {e}");
        return ExitCode::from(2);
    }
    match Policy::parse(&text) {
        Ok(policy) => {
            println!("valid\n\n# effective policy\n{}", policy.to_toml());
            let admin = policy.requirement_for(true);
            let names: Vec<&str> = admin.methods.iter().map(|m| m.id()).collect();
            println!(
                "# administrators (always): {} gates from {names:?}",
                admin.gates
            );
            print_odds(&policy);
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!(
                "invalid\nfield: {}\nproblem: {}",
                if e.field.is_empty() {
                    "(document)"
                } else {
                    &e.field
                },
                e.message
            );
            ExitCode::FAILURE
        }
    }
}
