//! Times and counts between Rust's `u64`/`u32` and the databases' signed 64-bit integers.
//!
//! Every value read back is hostile: a negative time or a count out of range is a contract
//! error, never a panic or a wrap.

use sspr_core::{PortError, PortErrorKind, PortName};

/// A time as stored: `u64` values beyond `i64::MAX` (the "for ever" of a lock) saturate.
pub(crate) fn to_db(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// A stored time back: `i64::MAX` is `u64::MAX` (for ever); negative is a contract error.
pub(crate) fn from_db(t: i64, port: PortName) -> Result<u64, PortError> {
    if t == i64::MAX {
        return Ok(u64::MAX);
    }
    u64::try_from(t).map_err(|_| PortError::new(port, PortErrorKind::Contract, "a negative time"))
}

/// A stored count back.
pub(crate) fn count_from_db(c: i64, port: PortName) -> Result<u32, PortError> {
    u32::try_from(c)
        .map_err(|_| PortError::new(port, PortErrorKind::Contract, "a count out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_hostile_values_are_errors() {
        for t in [0, 1, 1_750_000_000, i64::MAX as u64 - 1, u64::MAX] {
            assert_eq!(from_db(to_db(t), PortName::CounterStore).unwrap(), t);
        }
        assert_eq!(to_db(u64::MAX - 5), i64::MAX);
        assert!(from_db(-1, PortName::CounterStore).is_err());
        assert!(count_from_db(-1, PortName::CounterStore).is_err());
        assert!(count_from_db(i64::from(u32::MAX) + 1, PortName::CounterStore).is_err());
        assert_eq!(count_from_db(7, PortName::CounterStore).unwrap(), 7);
    }
}
