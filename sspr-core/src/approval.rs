//! Push approval with number matching: the sign-in screen shows a two-digit number, the
//! authenticator app asks the user to type it, and the request is approved only if the number
//! matches.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::PortError;
use crate::ports::{Approval, Randomness};
use crate::random::Entropy;
use crate::reason::Reason;

/// A pending approval request, as stored in the flow.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingApproval {
    /// The request id sent to the device (256-bit URL-safe token).
    pub request_id: String,
    /// The number the sign-in screen shows: 10 to 99.
    pub number: u8,
    /// When the request stops being answerable (Unix seconds).
    pub expires_at: u64,
}

impl std::fmt::Debug for PendingApproval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingApproval")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl PendingApproval {
    /// A new request with a fresh id and a uniformly drawn two-digit number.
    pub fn new(rng: &dyn Randomness, now: u64, ttl_s: u64) -> Result<Self, PortError> {
        let mut e = Entropy::new(rng);
        Ok(Self {
            request_id: e.token()?,
            number: 10 + e.below(90)? as u8,
            expires_at: now.saturating_add(ttl_s),
        })
    }

    /// What the notifier sends to the device.
    pub fn message_payload(&self) -> Approval {
        Approval {
            request_id: self.request_id.clone(),
            number: self.number,
        }
    }

    /// Checks the device's answer: `approved` (the user tapped approve rather than deny) and the
    /// number the user typed. Ids and numbers are compared in constant time.
    pub fn check(&self, request_id: &str, approved: bool, number: u8, now: u64) -> ApprovalCheck {
        let id_ok: bool = self
            .request_id
            .as_bytes()
            .ct_eq(request_id.as_bytes())
            .into();
        if !id_ok {
            return ApprovalCheck::UnknownRequest;
        }
        if now >= self.expires_at {
            return ApprovalCheck::Expired;
        }
        if !approved {
            return ApprovalCheck::Denied;
        }
        if bool::from(self.number.ct_eq(&number)) {
            ApprovalCheck::Approved
        } else {
            ApprovalCheck::NumberMismatch
        }
    }
}

/// The outcome of a device's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalCheck {
    /// Approved with the right number.
    Approved,
    /// Approved with a different number.
    NumberMismatch,
    /// The user denied the request ("this wasn't me").
    Denied,
    /// The request is too old.
    Expired,
    /// The answer is for another request.
    UnknownRequest,
}

impl ApprovalCheck {
    /// The reason id to show, or `None` when approved.
    pub fn reason(self) -> Option<Reason> {
        match self {
            Self::Approved => None,
            Self::NumberMismatch => Some(Reason::PushNumberMismatch),
            Self::Denied => Some(Reason::PushDenied),
            Self::Expired => Some(Reason::CodeExpired),
            Self::UnknownRequest => Some(Reason::FlowInvalidStep),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::TestRandomness;

    #[test]
    fn number_matching() {
        let rng = TestRandomness::new(11);
        let p = PendingApproval::new(&rng, 100, 120).unwrap();
        assert!((10..=99).contains(&p.number));
        let id = p.request_id.clone();
        assert_eq!(p.check(&id, true, p.number, 110), ApprovalCheck::Approved);
        let wrong = if p.number == 99 { 10 } else { p.number + 1 };
        assert_eq!(
            p.check(&id, true, wrong, 110),
            ApprovalCheck::NumberMismatch
        );
        assert_eq!(p.check(&id, false, p.number, 110), ApprovalCheck::Denied);
        assert_eq!(p.check(&id, true, p.number, 220), ApprovalCheck::Expired);
        assert_eq!(
            p.check("other", true, p.number, 110),
            ApprovalCheck::UnknownRequest
        );
        assert_eq!(ApprovalCheck::Denied.reason(), Some(Reason::PushDenied));
        assert!(!format!("{p:?}").contains(&id));
    }

    #[test]
    fn numbers_cover_10_to_99_uniformly() {
        let rng = TestRandomness::new(12);
        let mut counts = [0u32; 90];
        for _ in 0..45_000 {
            counts[usize::from(PendingApproval::new(&rng, 0, 60).unwrap().number - 10)] += 1;
        }
        let expected = 500.0;
        let chi: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum();
        // 89 degrees of freedom, p = 0.001: 134.6.
        assert!(chi < 134.6, "chi-square {chi}");
    }
}
