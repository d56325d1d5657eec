//! Safe defaults: the production constructor starts from the system clock and OS randomness,
//! and nothing accepts a CAPTCHA token it was not given.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sspr_core::engine::Ports;
use sspr_core::memory::{MemoryDirectory, MemoryPorts, RecordingNotifier, TestCaptcha};
use sspr_core::ports::CaptchaVerifier;

#[test]
fn production_ports_use_the_system_clock_and_os_randomness() {
    let ports = Ports::new(
        Arc::new(MemoryDirectory::new()),
        Arc::new(RecordingNotifier::new()),
        Arc::new(TestCaptcha::default()),
    );
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(ports.clock.now().unwrap().abs_diff(wall) <= 2);
    // Not reproducible: two ports give different bytes, and neither gives what the seeded
    // test randomness gives for any small seed.
    let other = Ports::new(
        Arc::new(MemoryDirectory::new()),
        Arc::new(RecordingNotifier::new()),
        Arc::new(TestCaptcha::default()),
    );
    let a = ports.randomness.bytes(32).unwrap();
    assert_ne!(a, other.randomness.bytes(32).unwrap());
    assert_ne!(a, ports.randomness.bytes(32).unwrap());
    for seed in 0..64 {
        let seeded = MemoryPorts::for_tests(0, seed, "t");
        assert_ne!(a, seeded.randomness.bytes(32).unwrap());
    }
    assert!(ports.breach.is_none() && ports.audit.is_none());
}

#[test]
fn no_captcha_token_is_accepted_unless_given() {
    let none = TestCaptcha::default();
    for token in ["", "pass", "captcha-ok", "test", "demo"] {
        assert!(!none.verify(token.into(), None).unwrap(), "{token:?}");
    }
    let mem = MemoryPorts::for_tests(0, 1, "only-this");
    assert!(!mem.captcha.verify("pass".into(), None).unwrap());
    assert!(mem.captcha.verify("only-this".into(), None).unwrap());
}
