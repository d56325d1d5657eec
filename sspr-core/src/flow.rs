//! The shape both wizards share. A reset and a registration are each a [`Flow`]: stored under
//! a reference, ending at a deadline, counted under one subject, bound to the user's
//! revocation epoch. Every step opens with the same checks ([`open_step`]), and a block or
//! lock looks the same to both ([`refuse_blocked`], [`land_block`]); each flow decides the
//! rest in its own `handle`.

use std::ops::ControlFlow;

use crate::audit::{AuditEvent, AuditKind};
use crate::effect::{After, Guard, Refusal, Transition};
use crate::reason::Reason;
use crate::security_info::SecurityInfo;
use crate::user::UserId;

/// What every flow has and does, whatever its wizard.
pub(crate) trait Flow: Clone {
    /// The flow's reference (a keyed hash of its id): what audit events and codes name.
    fn flow_ref(&self) -> &str;
    /// When it expires (Unix seconds).
    fn expires_at(&self) -> u64;
    /// The reference that keys the user's failure and send counters.
    fn counter_id(&self) -> &str;
    /// The user, once known (never for a decoy).
    fn user(&self) -> Option<&UserId>;
    /// The client address or fingerprint the host passed, if any.
    fn client(&self) -> Option<&str>;
    /// The user's revocation epoch the flow goes on under.
    fn epoch(&self) -> u64;
    /// Whether it has ended and takes no more input.
    fn is_terminal(&self) -> bool;
    /// Ends it as expired (its time is up, or something later revoked it).
    fn expire(&mut self);
    /// The flow while a block lasts until `until` (`u64::MAX`: locked until a help desk
    /// unblocks).
    fn blocked(self, until: u64) -> Self;

    /// An audit event of `kind` about this flow.
    fn event(&self, now: u64, kind: AuditKind) -> AuditEvent {
        let mut e = AuditEvent::new(now, kind);
        e.flow_ref = Some(self.flow_ref().to_owned());
        e.user = self.user().cloned();
        e.client = self.client().map(str::to_owned);
        e
    }
}

/// The checks that open every step, in order: an ended flow takes no input; one whose time is
/// up expires; one that a later reset, change of security info or "this wasn't me" report
/// revoked (the user's epoch moved on, by someone else) expires too. `info` is the user's
/// security info as the step loaded it (none for a decoy). `Break` is the step's whole answer.
pub(crate) fn open_step<F: Flow>(
    mut flow: F,
    now: u64,
    info: Option<&SecurityInfo>,
) -> ControlFlow<Transition<F>, F> {
    if flow.is_terminal() {
        return ControlFlow::Break(Transition::refuse(flow, Reason::FlowInvalidStep));
    }
    let kind = if now >= flow.expires_at() {
        AuditKind::FlowExpired
    } else if flow.user().is_some() && info.is_some_and(|i| revoked(&flow, i)) {
        AuditKind::FlowRevoked
    } else {
        return ControlFlow::Continue(flow);
    };
    flow.expire();
    let ev = flow.event(now, kind);
    ControlFlow::Break(Transition::refuse(flow, Reason::FlowExpired).audit(ev))
}

/// Whether the user's epoch moved on since the flow opened, by anything but this flow.
fn revoked<F: Flow>(flow: &F, info: &SecurityInfo) -> bool {
    info.epoch != flow.epoch() && info.epoch_owner.as_deref() != Some(flow.flow_ref())
}

/// The step's answer when a block or lock on the user or client is already in force: nothing
/// is compared or sent, and the user learns when to come back.
pub(crate) fn refuse_blocked<F: Flow>(flow: F, r: Refusal, now: u64) -> Transition<F> {
    let until = match r {
        Refusal::Locked => u64::MAX,
        Refusal::Blocked(until) => until,
        Refusal::ChallengeSpent => return Transition::refuse(flow, Reason::CodeExhausted),
    };
    let mut t = Transition::refuse(flow.blocked(until), r.reason());
    t.retry_after = (until != u64::MAX).then(|| until.saturating_sub(now));
    t
}

/// A block or lock that this step's own failure or send landed: the step is refused instead,
/// nothing it meant to deliver goes out, and the block is audited.
pub(crate) fn land_block<F: Flow>(mut t: Transition<F>, r: Refusal, now: u64) -> Transition<F> {
    let (until, reason, kind) = match r {
        Refusal::Locked => (u64::MAX, Reason::UserLocked, AuditKind::UserLocked),
        Refusal::Blocked(u) => (u, Reason::UserBlocked, AuditKind::UserBlocked),
        Refusal::ChallengeSpent => return t,
    };
    t.flow = t.flow.blocked(until);
    t.rejection = Some(reason);
    t.retry_after = (until != u64::MAX).then(|| until.saturating_sub(now));
    t.outbox.clear();
    t.guards.retain(|g| !matches!(g, Guard::CountSend(_)));
    let ev = t.flow.event(now, kind);
    t.after.push(After::Audit(ev));
    t
}
