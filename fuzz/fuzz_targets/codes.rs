//! Code and authenticator-code verification on any submitted text and parameters: nothing
//! panics, a wrong code is never accepted, the right one always is, and TOTP never accepts a
//! step at or before the last accepted one.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sspr_core::KeyRing;
use sspr_core::memory::TestRandomness;
use sspr_core::otp::OtpAlgorithm;
use sspr_core::otp::{OtpParams, TotpCheck};
use sspr_core::testing::internals::code::{self, CodeCheck};
use sspr_core::testing::internals::code::{Binding, Purpose};
use sspr_core::testing::internals::recovery;
use sspr_core::testing::internals::totp;

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    digits: u8,
    submitted: String,
    secret: Vec<u8>,
    algorithm: u8,
    period: u16,
    skew: u8,
    now: u64,
    last_step: Option<u64>,
}

fuzz_target!(|i: Input| {
    let rng = TestRandomness::new(i.seed);
    let keys = KeyRing::single("k", vec![7; 32]).expect("key");
    let b = Binding {
        purpose: Purpose::ResetCode,
        flow_id: "f",
        destination: "d",
    };
    let digits = 6 + i.digits % 5;
    let (right, issued) = code::issue(&rng, &keys, &b, digits, 1000, 300).expect("issue");
    let check = code::compare(&issued, &keys, &b, &i.submitted, 1001);
    let typed: String = i
        .submitted
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let bounded = i.submitted.len() <= code::MAX_INPUT_BYTES;
    assert_eq!(
        check == CodeCheck::Accepted,
        bounded && typed == right.expose(),
        "{check:?}"
    );
    assert_eq!(
        code::compare(&issued, &keys, &b, right.expose(), 1002),
        CodeCheck::Accepted
    );
    assert_eq!(
        code::compare(&issued, &keys, &b, right.expose(), 1300),
        CodeCheck::Expired
    );

    let params = OtpParams {
        algorithm: [
            OtpAlgorithm::Sha1,
            OtpAlgorithm::Sha256,
            OtpAlgorithm::Sha512,
        ][usize::from(i.algorithm % 3)],
        digits,
        period: u32::from(i.period % 300) + 1,
    };
    let now = i.now % (1 << 40);
    let skew = i.skew % 5;
    // Any parameters at all: refused with an error when out of range, never a panic.
    let any = OtpParams {
        digits: i.digits,
        period: u32::from(i.period),
        ..params
    };
    let _ = totp::verify(&i.secret, &any, &i.submitted, i.now, i.skew, i.last_step);
    let _ = totp::totp(&i.secret, i.now, &any);
    match totp::verify(&i.secret, &params, &i.submitted, now, skew, i.last_step)
        .expect("valid parameters")
    {
        TotpCheck::Valid { step } => {
            assert!(i.last_step.is_none_or(|l| step > l));
            assert!(step.abs_diff(totp::step_at(now, params.period)) <= u64::from(skew));
        }
        TotpCheck::Malformed => assert!(
            i.submitted.len() > 64
                || i.submitted.chars().filter(|c| !c.is_whitespace()).count()
                    != usize::from(digits)
                || i.submitted
                    .chars()
                    .any(|c| !c.is_whitespace() && !c.is_ascii_digit())
        ),
        TotpCheck::Invalid | TotpCheck::Replay => {}
    }
    // The current code is accepted whenever its step is newer than the last accepted one.
    let current = totp::totp(&i.secret, now, &params).expect("valid parameters");
    if i.last_step
        .is_none_or(|l| totp::step_at(now, params.period) > l)
    {
        assert!(matches!(
            totp::verify(&i.secret, &params, &current, now, skew, i.last_step),
            Ok(TotpCheck::Valid { .. })
        ));
    }

    let _ = recovery::normalize(&i.submitted);
});
