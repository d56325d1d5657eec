//! One challenge check for both wizards. A flow that waits for the user to prove something
//! holds one of four challenges: a code it sent, an authenticator code, a push request with a
//! number to match, or security questions. This module says, for each, how many comparisons
//! it allows (the [`AttemptSpec`] the engine reserves before anything is compared) and how a
//! submission compares. What an outcome means for a flow (pass a gate, go back, register a
//! method) is the flow's own decision.

use std::collections::BTreeMap;

use crate::answers;
use crate::approval::{ApprovalCheck, PendingApproval};
use crate::code::{self, CodeCheck, IssuedCode};
use crate::effect::{AttemptSpec, ChallengeLimit};
use crate::keyring::{Binding, IdentityKey, KeyRing, Purpose};
use crate::policy::Policy;
use crate::secret::SecretString;
use crate::totp::{self, OtpParams, TotpCheck};

/// The longest push request id compared (the engine issues 43-character ids).
const MAX_REQUEST_ID_BYTES: usize = 128;

/// The comparisons each challenge allows, keyed by a reference of the challenge itself, so
/// that they hold across every flow, thread and process that sees it.
pub(crate) struct Limits<'a> {
    ids: &'a IdentityKey,
    now: u64,
    max: u32,
}

impl<'a> Limits<'a> {
    /// The limits at `now` under `policy` (`codes.max_attempts` comparisons per challenge).
    pub(crate) fn new(ids: &'a IdentityKey, policy: &Policy, now: u64) -> Self {
        Self {
            ids,
            now,
            max: u32::from(policy.codes().max_attempts),
        }
    }

    fn spec(&self, what: &str, max: u32, until: u64) -> AttemptSpec {
        AttemptSpec {
            challenge: Some(ChallengeLimit {
                reference: self.ids.reference("challenge", what),
                max,
                window_s: until.saturating_sub(self.now).max(1),
            }),
        }
    }

    /// A code that was sent: `max_attempts` comparisons until it expires.
    pub(crate) fn sent_code(&self, issued: &IssuedCode) -> AttemptSpec {
        self.spec(
            &format!("code:{}", issued.seal.tag),
            self.max,
            issued.expires_at,
        )
    }

    /// The user's authenticator: one budget per user (`counter_id`) and window of accepted
    /// codes (`2 × skew + 1` periods), across all their flows.
    pub(crate) fn app_code(&self, counter_id: &str, period: u32, skew: u8) -> AttemptSpec {
        let span = u64::from(period).saturating_mul(2 * u64::from(skew) + 1);
        self.spec(
            &format!("app:{counter_id}"),
            self.max,
            self.now.saturating_add(span),
        )
    }

    /// An authenticator being set up in a flow (`what` names it): `max_attempts` until
    /// `until`.
    pub(crate) fn new_app(&self, what: &str, until: u64) -> AttemptSpec {
        self.spec(what, self.max, until)
    }

    /// A push request: `max_attempts` number matches until it expires.
    pub(crate) fn push(&self, pending: &PendingApproval) -> AttemptSpec {
        self.spec(
            &format!("push:{}", pending.request_id),
            self.max,
            pending.expires_at,
        )
    }

    /// One draw of security questions (`what` names the flow and the draw): answered once,
    /// right or wrong, until `until`; a wrong answer draws again.
    pub(crate) fn questions(&self, what: &str, until: u64) -> AttemptSpec {
        self.spec(what, 1, until)
    }
}

/// Compares a submitted code with the one a flow sent for `purpose` to `destination`.
pub(crate) fn sent_code(
    issued: &IssuedCode,
    keys: &KeyRing,
    purpose: Purpose,
    flow_ref: &str,
    destination: &str,
    submitted: &SecretString,
    now: u64,
) -> CodeCheck {
    let binding = Binding {
        purpose,
        flow_id: flow_ref,
        destination,
    };
    code::compare(issued, keys, &binding, submitted.expose(), now)
}

/// Compares a submitted authenticator code within `skew` steps, refusing steps not newer than
/// `last_step`: the matched step when it is accepted. Parameters a stored record got wrong
/// make every code wrong.
pub(crate) fn app_code(
    secret: &[u8],
    params: &OtpParams,
    submitted: &SecretString,
    now: u64,
    skew: u8,
    last_step: Option<u64>,
) -> Option<u64> {
    totp::verify(secret, params, submitted.expose(), now, skew, last_step)
        .unwrap_or(TotpCheck::Invalid)
        .step()
}

/// One registered TOTP credential a code may come from.
pub(crate) struct TotpSlot<'a> {
    /// Which credential it is (the index [`SecurityInfo::code_credentials`] gives).
    ///
    /// [`SecurityInfo::code_credentials`]: crate::security_info::SecurityInfo::code_credentials
    pub index: usize,
    /// The shared key.
    pub secret: &'a [u8],
    /// Its parameters.
    pub params: OtpParams,
    /// The step of its last accepted code.
    pub last_step: Option<u64>,
}

/// Compares a submitted code with every credential in `slots` (a user's apps, or a decoy's
/// one), then with stand-ins up to [`MAX_APPS`](crate::security_info::MAX_APPS) plus
/// [`MAX_TOKENS`](crate::security_info::MAX_TOKENS), so that the work does not tell how many
/// apps and tokens a user has, or whether the user is a decoy. The first credential that
/// accepts it: its index and step.
pub(crate) fn any_app_code(
    slots: &[TotpSlot<'_>],
    submitted: &SecretString,
    now: u64,
    skew: u8,
) -> Option<(usize, u64)> {
    const STAND_IN: [u8; 20] = [0x5a; 20];
    let mut found = None;
    for slot in slots {
        let step = app_code(
            slot.secret,
            &slot.params,
            submitted,
            now,
            skew,
            slot.last_step,
        );
        if let (None, Some(step)) = (found, step) {
            found = Some((slot.index, step));
        }
    }
    let most = crate::security_info::MAX_APPS + crate::security_info::MAX_TOKENS;
    for _ in slots.len()..most {
        std::hint::black_box(app_code(
            &STAND_IN,
            &OtpParams::default(),
            submitted,
            now,
            skew,
            None,
        ));
    }
    found
}

/// The slots of every credential `info` holds for the `app_code` factor.
pub(crate) fn code_slots(info: &crate::security_info::SecurityInfo) -> Vec<TotpSlot<'_>> {
    info.code_credentials()
        .into_iter()
        .map(|(index, secret, params, last_step)| TotpSlot {
            index,
            secret,
            params,
            last_step,
        })
        .collect()
}

/// Checks a push answer. An overlong request id is an unknown request.
pub(crate) fn push(
    pending: &PendingApproval,
    request_id: &str,
    approve: bool,
    number: u8,
    now: u64,
) -> ApprovalCheck {
    let request_id = if request_id.len() > MAX_REQUEST_ID_BYTES {
        ""
    } else {
        request_id
    };
    pending.check(request_id, approve, number, now)
}

/// Whether every asked question got its registered answer. `stored` gives a question's
/// registered answer hash; a question without one is compared with `stand_in` (a decoy's
/// hash at the same cost) and never passes. Every asked question costs one argon2
/// verification whatever was submitted, so that time tells nothing.
pub(crate) fn answers<'h>(
    asked: &[String],
    stored: impl Fn(&str) -> Option<&'h str>,
    stand_in: Option<&'h str>,
    given: &BTreeMap<String, SecretString>,
) -> bool {
    let mut all_right = !asked.is_empty();
    // A predefined question may be named by its id or its English text.
    let given: BTreeMap<String, &SecretString> = given
        .iter()
        .map(|(q, a)| (crate::questions::canonical(q), a))
        .collect();
    for q in asked {
        let registered = stored(q);
        let answer = given
            .get(&crate::questions::canonical(q))
            .map_or("", |a| a.expose());
        let bounded = if answer.len() > 4 * answers::MAX_ANSWER_CHARS {
            ""
        } else {
            answer
        };
        let ok = registered
            .or(stand_in)
            .is_some_and(|hash| answers::verify(bounded, hash).unwrap_or(false));
        all_right &= ok && registered.is_some() && !bounded.is_empty();
    }
    all_right
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::HashParams;
    use crate::memory::TestRandomness;

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, SecretString> {
        pairs
            .iter()
            .map(|(q, a)| ((*q).to_owned(), SecretString::new(*a)))
            .collect()
    }

    #[test]
    fn answers_pass_only_when_every_asked_question_is_right() {
        let rng = TestRandomness::new(1);
        let p = HashParams::insecure_for_tests();
        let pet = answers::hash("tin man", &p, &rng).unwrap();
        let town = answers::hash("springfield", &p, &rng).unwrap();
        let asked = vec!["pet".to_owned(), "town".to_owned()];
        let stored = |q: &str| match q {
            "pet" => Some(pet.as_str()),
            "town" => Some(town.as_str()),
            _ => None,
        };
        let right = given(&[("pet", "  Tin   MAN "), ("town", "Springfield")]);
        assert!(answers(&asked, stored, None, &right));
        let one_wrong = given(&[("pet", "tin man"), ("town", "shelbyville")]);
        assert!(!answers(&asked, stored, None, &one_wrong));
        let missing = given(&[("pet", "tin man")]);
        assert!(!answers(&asked, stored, None, &missing));
        assert!(
            !answers(&[], stored, None, &right),
            "nothing asked passes nothing"
        );
        let huge = given(&[("pet", &"a".repeat(10_000)), ("town", "springfield")]);
        assert!(!answers(&asked, stored, None, &huge));
        // A question without a registered answer never passes, even against its stand-in.
        let unregistered = vec!["pet".to_owned(), "school".to_owned()];
        let with_school = given(&[("pet", "tin man"), ("school", "tin man")]);
        assert!(!answers(
            &unregistered,
            stored,
            Some(pet.as_str()),
            &with_school
        ));
    }

    #[test]
    fn an_overlong_request_id_is_an_unknown_request() {
        let pending = PendingApproval {
            request_id: "r".repeat(200),
            number: 42,
            expires_at: 100,
        };
        assert_eq!(
            push(&pending, &"r".repeat(200), true, 42, 10),
            ApprovalCheck::UnknownRequest
        );
    }

    #[test]
    fn limits_are_keyed_by_the_challenge_and_end_with_it() {
        let ids = IdentityKey::new(vec![5; 32]).unwrap();
        let policy = Policy::default();
        let limits = Limits::new(&ids, &policy, 1_000);
        let pending = PendingApproval {
            request_id: "req".into(),
            number: 42,
            expires_at: 1_090,
        };
        let push = limits.push(&pending).challenge.unwrap();
        assert_eq!(push.window_s, 90);
        assert_eq!(push.max, u32::from(policy.codes().max_attempts));
        let app = limits.app_code("user", 30, 1).challenge.unwrap();
        assert_eq!(app.window_s, 90);
        assert_ne!(app.reference, push.reference);
        let q = limits.questions("questions:f:0", 900).challenge.unwrap();
        assert_eq!(
            (q.max, q.window_s),
            (1, 1),
            "an ended window still lasts a second"
        );
    }
}
