//! Runs 2,000 resets (start, choose email, enter the code) for profiling under
//! `valgrind --tool=callgrind`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use sspr_core::reset::ResetInput;
use sspr_core::{ResetOption, SecretString};

fn main() {
    let (engine, mem) = sspr_benches::reset_engine(200);
    for i in 0..2000 {
        mem.clock.advance(60);
        let id = engine
            .start_reset(&format!("user{}@contoso.example", i % 200), "ok", None)
            .unwrap()
            .view
            .unwrap()
            .flow_id;
        engine
            .reset_step(&id, ResetInput::Choose(ResetOption::Email))
            .unwrap();
        let code = mem
            .notifier
            .take()
            .into_iter()
            .find_map(|m| m.code)
            .unwrap();
        engine
            .reset_step(&id, ResetInput::EnterCode(SecretString::new(code.expose())))
            .unwrap();
    }
    println!("done");
}
