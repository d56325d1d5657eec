//! Throttling: the counter keys sspr builds, and the rule that every verification attempt is
//! counted *before* anything is compared.
//!
//! An attempt reserves its place in every limit that applies with one atomic increment each:
//!
//! | counter | key | limit | what spending it does |
//! |---|---|---|---|
//! | the challenge | `challenge/<ref>` | `codes.max_attempts` (1 for a question draw) | refuses the attempt uncompared |
//! | the user's failures | `fail/<subject>` | `limits.verify_failures` | blocks for `block_s` |
//! | failures in a row | `row/<subject>` | `limits.consecutive_failures` (compared failures only) | locks self-service (a block until `u64::MAX` on this key) |
//! | the client's failures | `client/<ref>` | the host's `client_limit` | blocks the client |
//!
//! An attempt whose reservation goes over any limit is refused without comparing; one that
//! reaches a limit exactly is compared, and blocks if it is wrong. A right attempt gives its
//! reservations back ([`CounterStore::release`](crate::ports::CounterStore::release)); a refused
//! one gives back its place in the failures-in-a-row budget (only compared failures may lock an
//! account) and keeps the others. So with any number of threads, processes and any store
//! latency, at most `max` comparisons are made against each limit, and none after it is spent.
//!
//! A "this wasn't me" report blocks self-service on a key of its own (`report/<subject>`), which
//! a completed reset does not clear.
//!
//! Every key part that names someone is a keyed reference ([`IdentityKey`]): the subject is the
//! user once an identifier resolves to one (so every spelling of an account shares one
//! budget), else the normalised identifier.

use crate::effect::{Admission, AttemptSpec, Refusal, SendCount};
use crate::error::{PortError, PortErrorKind, PortName};
use crate::keyring::IdentityKey;
use crate::ports::{Channel, CounterState};
use crate::user::UserId;

use super::Engine;

/// The window of the failures-in-a-row counter: long enough to be "every window" (ten
/// years); the counter is cleared by a completed reset, a successful sign-in or a help desk.
const ROW_WINDOW_S: u64 = 10 * 365 * 86_400;

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CounterKind {
    /// Comparisons against one challenge.
    Challenge,
    /// A user's failed verifications in the window.
    Failures,
    /// A user's failed verifications in a row, across windows.
    InARow,
    /// A client's failed verifications.
    Client,
    /// Emails sent for a user.
    EmailSends,
    /// Texts, calls and pushes sent for a user.
    PhoneSends,
    /// Emails sent to one address.
    ToEmail,
    /// Texts, calls and pushes sent to one number or device.
    ToPhone,
    /// Texts and calls to one country calling code.
    Country,
    /// Self-service blocked by a "this wasn't me" report.
    Reported,
}

impl CounterKind {
    const fn id(self) -> &'static str {
        match self {
            Self::Challenge => "challenge",
            Self::Failures => "fail",
            Self::InARow => "row",
            Self::Client => "client",
            Self::EmailSends => "send-email",
            Self::PhoneSends => "send-phone",
            Self::ToEmail => "to-email",
            Self::ToPhone => "to-phone",
            Self::Country => "country",
            Self::Reported => "report",
        }
    }

    /// The counter-store key for `reference` (already a keyed hash, or a calling code).
    pub(crate) fn key(self, reference: &str) -> String {
        format!("sspr/v2/{}/{reference}", self.id())
    }

    /// The kinds keyed by a subject that a completed reset clears (a report's block stays).
    pub(crate) const CLEARED_BY_RESET: [Self; 4] = [
        Self::Failures,
        Self::InARow,
        Self::EmailSends,
        Self::PhoneSends,
    ];
}

/// Which blocks a step respects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A self-service step (reset or registration): every block, the lock, a report's block.
    SelfService,
    /// The host's sign-in check: only the windowed failure block (a right password there is
    /// how a locked user gets back).
    SignIn,
}

impl Scope {
    /// The kinds whose blocks a step of this scope respects.
    const fn kinds(self) -> &'static [CounterKind] {
        match self {
            Self::SelfService => &[
                CounterKind::Failures,
                CounterKind::InARow,
                CounterKind::Reported,
                CounterKind::EmailSends,
                CounterKind::PhoneSends,
            ],
            Self::SignIn => &[CounterKind::Failures],
        }
    }
}

/// The subject of a user's password checks (the sign-in check, the registration's
/// re-authentication, a password change), counted apart from the verifications of
/// self-service: guesses at a password block password checks, never the way back in (a
/// reset), as a directory's lockout leaves the reset open. A block on self-service (a
/// report, the lock) still holds for password checks.
pub(crate) fn password_checks(subject: &str) -> String {
    format!("{subject}.password")
}

/// The subject reference of a resolved user.
pub(crate) fn user_subject(ids: &IdentityKey, user: &UserId) -> String {
    ids.reference("subject", &format!("user:{}", user.as_str()))
}

/// The subject reference of an identifier that resolves to no user.
pub(crate) fn name_subject(ids: &IdentityKey, identifier: &str) -> String {
    ids.reference(
        "subject",
        &format!("name:{}", identifier.trim().to_lowercase()),
    )
}

/// One reserved place in one limit.
#[derive(Debug, Clone)]
struct Held {
    key: String,
    count: u32,
    max: u32,
    kind: CounterKind,
    block_s: u64,
}

/// The places an attempt holds, to settle once it is compared.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reservation {
    held: Vec<Held>,
    /// The challenge reserved, if any (a re-run of the step on the same challenge reuses the
    /// reservation instead of taking another place).
    pub challenge: Option<String>,
}

/// How a reserved attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Compared and right.
    Verified,
    /// Compared and wrong.
    Failed,
    /// Refused uncompared (a limit was spent).
    Refused,
    /// Admitted but not compared after all (the code had expired, the request was unknown).
    NotCompared,
}

/// The outcome of reserving.
pub(crate) struct Reserved {
    pub admission: Admission,
    /// Whether the attempt holds the challenge's last comparison.
    pub challenge_spent: bool,
    pub reservation: Reservation,
}

/// An attempt a call reserved, and how it was settled (a re-run of the step reuses both).
#[derive(Debug, Clone)]
pub(crate) struct Attempted {
    admission: Admission,
    challenge_spent: bool,
    reservation: Reservation,
    settled: Option<(Settled, Option<Refusal>)>,
}

/// Send counters to give back if the message is not sent after all.
#[derive(Debug, Clone, Default)]
pub(crate) struct SendHold {
    keys: Vec<String>,
}

fn worst(a: Option<Refusal>, b: Refusal) -> Option<Refusal> {
    Some(match (a, b) {
        (Some(Refusal::Locked), _) | (_, Refusal::Locked) => Refusal::Locked,
        (Some(Refusal::Blocked(x)), Refusal::Blocked(y)) => Refusal::Blocked(x.max(y)),
        (Some(Refusal::Blocked(x)), _) | (_, Refusal::Blocked(x)) => Refusal::Blocked(x),
        _ => Refusal::ChallengeSpent,
    })
}

fn in_force(state: CounterState, now: u64) -> Option<Refusal> {
    match state.blocked_until {
        Some(u64::MAX) => Some(Refusal::Locked),
        Some(until) if until > now => Some(Refusal::Blocked(until)),
        _ => None,
    }
}

impl Engine {
    /// A block or lock in force on the subject or the client for a step of `scope`, without
    /// counting anything: one [`get_many`](crate::ports::CounterStore::get_many) of every key
    /// that may hold one.
    pub(crate) fn block_in_force(
        &self,
        subject: &str,
        client: Option<&str>,
        scope: Scope,
        now: u64,
    ) -> Result<Option<Refusal>, PortError> {
        self.blocks_in_force(&[(subject, scope.kinds())], client, now)
    }

    /// A block or lock in force for a password check of `subject`'s: on its self-service (for
    /// `scope`) or on its password checks, or on the client; one `get_many`.
    pub(crate) fn password_block_in_force(
        &self,
        subject: &str,
        client: Option<&str>,
        scope: Scope,
        now: u64,
    ) -> Result<Option<Refusal>, PortError> {
        let checks = password_checks(subject);
        let own: &[CounterKind] = match scope {
            Scope::SelfService => &[CounterKind::Failures, CounterKind::InARow],
            Scope::SignIn => &[CounterKind::Failures],
        };
        self.blocks_in_force(&[(subject, scope.kinds()), (&checks, own)], client, now)
    }

    fn blocks_in_force(
        &self,
        subjects: &[(&str, &[CounterKind])],
        client: Option<&str>,
        now: u64,
    ) -> Result<Option<Refusal>, PortError> {
        let mut keys: Vec<String> = subjects
            .iter()
            .flat_map(|(subject, kinds)| kinds.iter().map(|k| k.key(subject)))
            .collect();
        if let Some(c) = client
            && self.options.client_limit.is_some()
        {
            keys.push(CounterKind::Client.key(&self.client_ref(c)));
        }
        let n = keys.len();
        let states = self.ports.counters.get_many(keys, now)?;
        if states.len() != n {
            return Err(PortError::new(
                PortName::CounterStore,
                PortErrorKind::Contract,
                format!("asked for {n} counters, got {}", states.len()),
            ));
        }
        let mut found = None;
        for state in states {
            if let Some(r) = in_force(state, now) {
                found = worst(found, r);
            }
        }
        Ok(found)
    }

    fn client_ref(&self, client: &str) -> String {
        self.options.identity.reference("client", client)
    }

    /// Reserves an attempt's place in every limit that applies, before anything is compared.
    pub(crate) fn reserve(
        &self,
        subject: &str,
        client: Option<&str>,
        spec: &AttemptSpec,
        scope: Scope,
        now: u64,
    ) -> Result<Reserved, PortError> {
        let limits = self.policy.limits();
        let mut held = Vec::with_capacity(4);
        let mut take = |kind: CounterKind,
                        key: String,
                        window: u64,
                        max: u32,
                        block_s: u64|
         -> Result<CounterState, PortError> {
            let state = self.ports.counters.increment(key.clone(), now, window)?;
            held.push(Held {
                key,
                count: state.count,
                max,
                kind,
                block_s,
            });
            Ok(state)
        };
        let mut refusal = None;
        let mut spent = false;
        if let Some(c) = &spec.challenge {
            let s = take(
                CounterKind::Challenge,
                CounterKind::Challenge.key(&c.reference),
                c.window_s,
                c.max,
                0,
            )?;
            if s.count > c.max {
                refusal = worst(refusal, Refusal::ChallengeSpent);
            }
            spent = s.count >= c.max;
        }
        let f = limits.verify_failures;
        let s = take(
            CounterKind::Failures,
            CounterKind::Failures.key(subject),
            f.window_s,
            f.max,
            f.block_s,
        )?;
        if let Some(r) = in_force(s, now) {
            refusal = worst(refusal, r);
        }
        if s.count > f.max {
            refusal = worst(refusal, Refusal::Blocked(now.saturating_add(f.block_s)));
        }
        let row = limits.consecutive_failures;
        let s = take(
            CounterKind::InARow,
            CounterKind::InARow.key(subject),
            ROW_WINDOW_S,
            row,
            0,
        )?;
        if scope == Scope::SelfService && (s.count > row || s.blocked_until == Some(u64::MAX)) {
            refusal = worst(refusal, Refusal::Locked);
        }
        if let (Some(c), Some(l)) = (client, self.options.client_limit) {
            let s = take(
                CounterKind::Client,
                CounterKind::Client.key(&self.client_ref(c)),
                l.window_s,
                l.max,
                l.block_s,
            )?;
            if let Some(r) = in_force(s, now) {
                refusal = worst(refusal, r);
            }
            if s.count > l.max {
                refusal = worst(refusal, Refusal::Blocked(now.saturating_add(l.block_s)));
            }
        }
        if let Some(r) = refusal {
            super::trace::refused(match r {
                Refusal::ChallengeSpent => "challenge_spent",
                Refusal::Blocked(_) => "blocked",
                Refusal::Locked => "locked",
            });
        }
        Ok(Reserved {
            admission: refusal.map_or(Admission::Admitted, Admission::Refused),
            challenge_spent: spent,
            reservation: Reservation {
                held,
                challenge: spec.challenge.as_ref().map(|c| c.reference.clone()),
            },
        })
    }

    /// Reserves the step's attempt `spec` (see [`reserve`](Self::reserve)), or, on a re-run of
    /// the same call at the same challenge, reuses the reservation the first run made: an
    /// attempt is counted once however often its step is re-run.
    pub(crate) fn admit(
        &self,
        memo: &mut super::step::Memo,
        spec: Option<AttemptSpec>,
        subject: &str,
        client: Option<&str>,
        scope: Scope,
        now: u64,
    ) -> Result<(Admission, bool), PortError> {
        let Some(spec) = spec else {
            return Ok((Admission::NotAnAttempt, false));
        };
        let challenge = spec.challenge.as_ref().map(|c| c.reference.clone());
        if let Some(a) = &memo.attempt
            && a.reservation.challenge == challenge
        {
            return Ok((a.admission, a.challenge_spent));
        }
        // A re-run at another challenge: the first run's attempt was not compared after all.
        if let Some(old) = memo.attempt.take()
            && old.settled.is_none()
        {
            self.settle(&old.reservation, Settled::NotCompared, now)?;
        }
        let r = self.reserve(subject, client, &spec, scope, now)?;
        let out = (r.admission, r.challenge_spent);
        memo.attempt = Some(Attempted {
            admission: r.admission,
            challenge_spent: r.challenge_spent,
            reservation: r.reservation,
            settled: None,
        });
        Ok(out)
    }

    /// Settles the call's attempt once; a re-run that ends the same way settles nothing more.
    pub(crate) fn settle_once(
        &self,
        memo: &mut super::step::Memo,
        outcome: Settled,
        subject: &str,
        client: Option<&str>,
        scope: Scope,
        now: u64,
    ) -> Result<Option<Refusal>, PortError> {
        let Some(a) = memo.attempt.as_mut() else {
            return Ok(None);
        };
        if let Some((before, refusal)) = a.settled {
            if before == outcome {
                return Ok(refusal);
            }
            let released = |s: Settled| matches!(s, Settled::Verified | Settled::NotCompared);
            if released(before) && !released(outcome) {
                // The places were given back: take them again for this outcome.
                let spec = AttemptSpec { challenge: None };
                a.reservation.held = self
                    .reserve(subject, client, &spec, scope, now)?
                    .reservation
                    .held;
            }
        }
        let refusal = self.settle(&a.reservation, outcome, now)?;
        a.settled = Some((outcome, refusal));
        Ok(refusal)
    }

    /// Settles a reservation once the attempt is decided. `Verified` (or `None`: it turned out
    /// not to be compared) gives every place back; `Failed` keeps them and blocks every limit it
    /// reached or passed, and locks self-service when it spent the failures-in-a-row budget;
    /// `Refused` keeps its places in the windowed limits (blocking as `Failed` does) but gives
    /// back its place in the failures-in-a-row budget: only compared failures lock an account.
    /// Returns the block or lock now in force.
    pub(crate) fn settle(
        &self,
        r: &Reservation,
        outcome: Settled,
        now: u64,
    ) -> Result<Option<Refusal>, PortError> {
        let failed = match outcome {
            Settled::Verified | Settled::NotCompared => {
                for h in &r.held {
                    if h.kind != CounterKind::Challenge {
                        self.ports.counters.release(h.key.clone(), now)?;
                    }
                }
                return Ok(None);
            }
            Settled::Failed => true,
            Settled::Refused => false,
        };
        let mut found = None;
        for h in &r.held {
            match h.kind {
                CounterKind::Failures | CounterKind::Client if h.count >= h.max => {
                    let until = self
                        .ports
                        .counters
                        .block(h.key.clone(), now.saturating_add(h.block_s))?;
                    found = worst(found, Refusal::Blocked(until));
                }
                CounterKind::InARow if !failed => {
                    self.ports.counters.release(h.key.clone(), now)?;
                }
                CounterKind::InARow if h.count >= h.max => {
                    self.ports.counters.block(h.key.clone(), u64::MAX)?;
                    found = worst(found, Refusal::Locked);
                }
                _ => {}
            }
        }
        Ok(found)
    }

    /// Counts a send against the user's and the destination's limits and the country budget.
    /// Returns the end of the block it causes, if it goes over a limit (then nothing is sent),
    /// and what to give back if the send does not happen.
    pub(crate) fn count_send(
        &self,
        subject: &str,
        send: &SendCount,
        now: u64,
        hold: &mut SendHold,
    ) -> Result<Option<u64>, PortError> {
        let limits = self.policy.limits();
        let (by_user, by_dest, l) = match send.channel {
            Channel::Email => (
                CounterKind::EmailSends,
                CounterKind::ToEmail,
                limits.email_sends,
            ),
            Channel::Sms | Channel::Voice | Channel::Push => (
                CounterKind::PhoneSends,
                CounterKind::ToPhone,
                limits.phone_sends,
            ),
        };
        let user_key = by_user.key(subject);
        let dest_key = by_dest.key(&send.destination);
        let a = self
            .ports
            .counters
            .increment(user_key.clone(), now, l.window_s)?;
        hold.keys.push(user_key.clone());
        let b = self
            .ports
            .counters
            .increment(dest_key.clone(), now, l.window_s)?;
        hold.keys.push(dest_key.clone());
        let mut until = None;
        let over = a.count > l.max || b.count > l.max;
        let blocked = [a, b]
            .iter()
            .filter_map(|s| s.blocked_until)
            .filter(|u| *u > now)
            .max();
        if over {
            let end = now.saturating_add(l.block_s);
            let x = self.ports.counters.block(user_key, end)?;
            let y = if b.count > l.max {
                self.ports.counters.block(dest_key, end)?
            } else {
                x
            };
            until = Some(x.max(y));
        } else if let Some(u) = blocked {
            until = Some(u);
        }
        if let (Some(budget), Channel::Sms | Channel::Voice, Some(code)) =
            (self.options.country_budget, send.channel, &send.country)
        {
            // Keyed like every other reference, so that tenants sharing a store each have
            // their own budget.
            let key = CounterKind::Country.key(&self.options.identity.reference("country", code));
            let c = self
                .ports
                .counters
                .increment(key.clone(), now, budget.window_s)?;
            hold.keys.push(key);
            if c.count > budget.max {
                let end = now.saturating_add(budget.window_s);
                until = Some(until.map_or(end, |u: u64| u.max(end)));
            }
        }
        Ok(until)
    }

    /// Gives back the send counters of a message that was not sent.
    pub(crate) fn release_sends(&self, hold: &SendHold, now: u64) {
        for key in &hold.keys {
            // Best effort: a failure here only leaves the count one higher (fail closed).
            let _ = self.ports.counters.release(key.clone(), now);
        }
    }

    /// Clears the subject's failure and send counters and blocks, and those of its password
    /// checks (a completed reset); with `report`, also a report's block (a help desk's
    /// unblock).
    pub(crate) fn clear_subject(&self, subject: &str, report: bool) -> Result<(), PortError> {
        for kind in CounterKind::CLEARED_BY_RESET {
            self.ports.counters.clear(kind.key(subject))?;
        }
        let checks = password_checks(subject);
        for kind in [CounterKind::Failures, CounterKind::InARow] {
            self.ports.counters.clear(kind.key(&checks))?;
        }
        if report {
            self.ports
                .counters
                .clear(CounterKind::Reported.key(subject))?;
        }
        Ok(())
    }

    /// Blocks self-service for the subject until `until` (a "this wasn't me" report).
    pub(crate) fn block_reported(&self, subject: &str, until: u64) -> Result<(), PortError> {
        self.ports
            .counters
            .block(CounterKind::Reported.key(subject), until)
            .map(|_| ())
    }

    /// Clears the failures-in-a-row counters and their locks, of self-service and of password
    /// checks: the user succeeded on another path.
    pub(crate) fn clear_row(&self, subject: &str) -> Result<(), PortError> {
        self.ports
            .counters
            .clear(CounterKind::InARow.key(subject))?;
        self.ports
            .counters
            .clear(CounterKind::InARow.key(&password_checks(subject)))
    }
}
