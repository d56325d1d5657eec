//! Runs 2,000 resets (start, choose email, enter the code) for profiling under
//! `valgrind --tool=callgrind`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use sspr_core::engine::{Engine, EngineOptions};
use sspr_core::hashing::HashParams;
use sspr_core::keyring::KeyRing;
use sspr_core::memory::MemoryPorts;
use sspr_core::ports::SecurityInfoStore;
use sspr_core::reset::ResetInput;
use sspr_core::{
    DirectoryUser, EmailAddress, Policy, ResetOption, SecretString, SecurityInfo, UserId,
};

fn main() {
    let mem = MemoryPorts::new(1_750_000_000, 1, "ok");
    for i in 0..200 {
        let id = UserId::new(format!("u{i}"));
        mem.directory.add_user(
            DirectoryUser {
                id: id.clone(),
                username: format!("user{i}@contoso.example"),
                first_name: "A".into(),
                last_name: "B".into(),
                org_name: "C".into(),
                groups: vec![],
                admin: false,
            },
            "x",
        );
        let si = SecurityInfo {
            email: EmailAddress::parse(&format!("u{i}@fabrikam.example")).ok(),
            ..Default::default()
        };
        mem.security_info.save(id, si.to_record(), 0).unwrap();
    }
    let mut options = EngineOptions::new(KeyRing::single("k", vec![5; 32]).unwrap(), "Contoso");
    options.hash_params = HashParams::insecure_for_tests();
    let engine = Engine::new(Policy::default(), mem.ports(), options);
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
