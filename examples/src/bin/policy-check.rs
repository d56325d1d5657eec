//! Validates a policy document (TOML or JSON) and prints the effective policy with every
//! default filled in, or the field that is wrong and what is allowed there.
//!
//! Run: `cargo run -p sspr-examples --bin policy-check -- policy.toml` (or `-` for standard input)
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;
use std::process::ExitCode;

use sspr_core::Policy;

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
