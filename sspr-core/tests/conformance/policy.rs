//! Suite `policy`: documents that must parse, or fail naming a field.

use serde_json::Value;
use sspr_core::Policy;

use crate::{Outcome, check_expect_keys};

pub fn run(case: &Value) -> Outcome {
    let expect = &case["expect"];
    check_expect_keys(expect, &["valid", "field"])?;
    let want_valid = expect["valid"]
        .as_bool()
        .ok_or("`expect.valid` must be a boolean")?;
    match (Policy::from_value(&case["policy"]), want_valid) {
        (Ok(p), true) => {
            // The effective policy must parse back to the same policy.
            let again = Policy::from_value(&p.to_json())
                .map_err(|e| format!("effective policy does not parse back: {e}"))?;
            if again != p {
                return Err("effective policy parses back to a different policy".into());
            }
            Ok(())
        }
        (Ok(_), false) => Err(format!(
            "accepted; expected an error at {}",
            expect["field"]
        )),
        (Err(e), true) => Err(format!("rejected: {e}")),
        (Err(e), false) => match expect["field"].as_str() {
            Some(f) if f != e.field => {
                Err(format!("error names `{}`, expected `{f}` ({e})", e.field))
            }
            _ => Ok(()),
        },
    }
}
