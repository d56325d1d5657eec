//! Prints argon2id PHC strings and `otpauth://` URIs made by sspr, with the values they must
//! verify against, as JSON, for `scripts/interop.py` to check with argon2-cffi and pyotp.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use sspr_core::hashing::{self, HashParams};
use sspr_core::memory::TestRandomness;
use sspr_core::otp::{Credential, OtpAlgorithm, OtpParams, SecretBytes, otpauth_uri};
use sspr_core::ports::Randomness;

fn main() {
    let rng = TestRandomness::new(2026);
    let mut hashes = Vec::new();
    for (secret, params) in [
        ("tin man", HashParams::default()),
        ("Winter-Lantern-58", HashParams::default()),
        (
            "ünïcödé ánswer",
            HashParams {
                memory_kib: 65_536,
                iterations: 3,
                parallelism: 4,
            },
        ),
        ("short", HashParams::insecure_for_tests()),
    ] {
        let phc = hashing::hash(secret.as_bytes(), &params, &rng).unwrap();
        hashes.push(serde_json::json!({"secret": secret, "phc": phc}));
    }
    let mut uris = Vec::new();
    let t = 1_750_000_015u64;
    for (issuer, account, algorithm, digits, period) in [
        (
            "Contoso",
            "alice@contoso.example",
            OtpAlgorithm::Sha1,
            6u8,
            30u32,
        ),
        (
            "Contoso Ltd",
            "bob smith@contoso.example",
            OtpAlgorithm::Sha256,
            8,
            60,
        ),
        (
            "Fabrikam & Co",
            "ops+admin@fabrikam.example",
            OtpAlgorithm::Sha512,
            8,
            30,
        ),
    ] {
        let secret = SecretBytes::new(rng.bytes(20).unwrap());
        let params = OtpParams {
            algorithm,
            digits,
            period,
        };
        let uri = otpauth_uri(issuer, account, &secret, &params).unwrap();
        let app = Credential::new(secret, params).unwrap();
        uris.push(serde_json::json!({
            "uri": uri, "issuer": issuer, "account": account, "t": t,
            "code": app.at(t).unwrap(),
        }));
    }
    println!("{}", serde_json::json!({"argon2": hashes, "otpauth": uris}));
}
