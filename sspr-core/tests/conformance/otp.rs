//! Suites `hotp` and `totp`: generation and verification of one-time passwords.

use serde_json::Value;
use sspr_core::otp::OtpAlgorithm;
use sspr_core::otp::SecretBytes;
use sspr_core::otp::{OtpParams, TotpCheck};
use sspr_core::testing::internals::totp;

use crate::{Outcome, check_expect_keys};

fn key(case: &Value) -> Result<(SecretBytes, OtpAlgorithm, u8), String> {
    let secret = SecretBytes::from_base32(case["secret_b32"].as_str().ok_or("no secret_b32")?)
        .map_err(|e| e.to_string())?;
    let alg = OtpAlgorithm::parse(case["algorithm"].as_str().unwrap_or("SHA1"))
        .ok_or("unknown algorithm")?;
    let digits = case["digits"].as_u64().ok_or("no digits")? as u8;
    Ok((secret, alg, digits))
}

fn compare(got: &str, case: &Value) -> Outcome {
    let want = case["code"].as_str().ok_or("no code")?;
    if got == want {
        Ok(())
    } else {
        Err(format!("generated {got}, expected {want}"))
    }
}

pub fn hotp(case: &Value) -> Outcome {
    let (secret, alg, digits) = key(case)?;
    let counter = case["counter"].as_u64().ok_or("no counter")?;
    compare(
        &totp::hotp(secret.expose(), counter, alg, digits).map_err(|e| e.to_string())?,
        case,
    )
}

pub fn totp(case: &Value) -> Outcome {
    let (secret, algorithm, digits) = key(case)?;
    let period = case["period"].as_u64().unwrap_or(30) as u32;
    let t = case["t"].as_u64().ok_or("no t")?;
    let params = OtpParams {
        algorithm,
        digits,
        period,
    };
    params.validate().map_err(|e| e.to_string())?;
    let Some(submit) = case.get("submit") else {
        return compare(
            &totp::totp(secret.expose(), t, &params).map_err(|e| e.to_string())?,
            case,
        );
    };
    let expect = &case["expect"];
    check_expect_keys(expect, &["valid", "step", "reason"])?;
    let skew = case["skew"].as_u64().unwrap_or(1) as u8;
    let last_step = case["last_step"].as_u64();
    let got = totp::verify(
        secret.expose(),
        &params,
        submit.as_str().ok_or("submit is not a string")?,
        t,
        skew,
        last_step,
    )
    .map_err(|e| e.to_string())?;
    match (got, expect["valid"].as_bool()) {
        (TotpCheck::Valid { step }, Some(true)) => match expect["step"].as_u64() {
            Some(want) if want != step => Err(format!("matched step {step}, expected {want}")),
            _ => Ok(()),
        },
        (other, Some(false)) => {
            let want = expect["reason"].as_str();
            let reason = other.reason().map(|r| r.id());
            match (reason, want) {
                (None, _) => Err("accepted; expected a refusal".into()),
                (Some(r), Some(w)) if r != w => Err(format!("refused with {r}, expected {w}")),
                _ => Ok(()),
            }
        }
        (other, Some(true)) => Err(format!("refused ({other:?}); expected valid")),
        (_, None) => Err("`expect.valid` must be a boolean".into()),
    }
}
