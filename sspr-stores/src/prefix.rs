//! The prefix of every table and key a backend creates.

use crate::error::StoreError;

/// The longest prefix accepted.
pub const MAX_PREFIX_LEN: usize = 32;

/// A prefix for table names: 1 to 32 characters of `a-z 0-9 _`,
/// starting with a letter. Several applications or tenants share one database by each taking
/// its own prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(String);

impl Prefix {
    /// Checks and wraps `prefix`.
    pub fn new(prefix: impl Into<String>) -> Result<Self, StoreError> {
        let prefix = prefix.into();
        let ok = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX_LEN
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(prefix))
        } else {
            Err(StoreError::BadPrefix {
                max: MAX_PREFIX_LEN,
            })
        }
    }

    /// The prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Prefix {
    /// `sspr_`.
    fn default() -> Self {
        Self("sspr_".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_identifiers_are_prefixes() {
        for good in ["sspr_", "a", "tenant_42_"] {
            assert_eq!(Prefix::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "Sspr",
            "1a",
            "a-b",
            "a;drop table x",
            "a b",
            &"a".repeat(33),
        ] {
            assert!(
                matches!(Prefix::new(bad), Err(StoreError::BadPrefix { .. })),
                "{bad}"
            );
        }
    }
}
