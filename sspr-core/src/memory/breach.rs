use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::error::{PortError, PortName};
use crate::ports::{BreachChecker, BreachedSuffix};

/// A breached-password checker over an in-memory list, answering k-anonymity range queries
/// exactly as the remote services do. It can be switched off to test fail-open and fail-closed.
#[derive(Debug, Default)]
pub struct MemoryBreachChecker {
    hashes: Mutex<HashMap<String, u64>>,
    down: std::sync::atomic::AtomicBool,
}

impl MemoryBreachChecker {
    /// A checker that knows these passwords as breached (each seen once).
    pub fn with_passwords<'a>(passwords: impl IntoIterator<Item = &'a str>) -> Self {
        let c = Self::default();
        for p in passwords {
            c.add(p, 1);
        }
        c
    }

    /// A checker that knows the common-password list shipped with sspr
    /// ([`common_passwords`](crate::password::common_passwords)), for tests and demos.
    pub fn with_common_passwords() -> Self {
        Self::with_passwords(crate::password::common_passwords())
    }

    /// Records `password` as seen `count` times.
    pub fn add(&self, password: &str, count: u64) {
        let hex = crate::password::sha1_hex(password);
        *lock(&self.hashes).entry(hex).or_default() += count;
    }

    /// Makes every query fail (`true`) or answer again (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
}

impl BreachChecker for MemoryBreachChecker {
    fn range(&self, sha1_prefix: String) -> Result<Vec<BreachedSuffix>, PortError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(PortError::unavailable(
                PortName::BreachChecker,
                "breach service unreachable (simulated)",
            ));
        }
        let prefix = sha1_prefix.to_ascii_uppercase();
        let mut out: Vec<BreachedSuffix> = lock(&self.hashes)
            .iter()
            .filter_map(|(h, &count)| {
                h.strip_prefix(&prefix).map(|s| BreachedSuffix {
                    suffix: s.to_owned(),
                    count,
                })
            })
            .collect();
        out.sort_by(|a, b| a.suffix.cmp(&b.suffix));
        Ok(out)
    }
}
