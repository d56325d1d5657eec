//! The policy parser: any text gives a policy or a field error, and every accepted policy's
//! effective form (JSON and TOML) parses back to the same policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sspr_core::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [Policy::from_json(text), Policy::from_toml(text)] {
        match parsed {
            Ok(p) => {
                assert_eq!(
                    Policy::from_value(&p.to_json()).expect("effective JSON parses"),
                    p
                );
                assert_eq!(
                    Policy::from_toml(&p.to_toml()).expect("effective TOML parses"),
                    p
                );
            }
            Err(e) => assert!(!e.message.is_empty()),
        }
    }
});
