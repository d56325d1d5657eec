//! Carrying out a transition: guards, the compare-and-set save, the outbox, after-commit
//! effects. Both wizards go through here.
//!
//! The order, and why:
//!
//! 1. **Guards** before the save: they decide whether the step stands (a lost race on the
//!    user's security info, a send over its limit). One-time values bound to the flow (codes,
//!    approvals) need no guard: the save in 2 is what makes them single-use.
//! 2. **Save** the flow by compare-and-set. A lost race re-runs the whole step on fresh data,
//!    giving back the sends it counted.
//! 3. **Outbox** after the save: deliveries, directory changes. Saving first means a step
//!    that loses the race never delivers a code the saved flow does not hold; a delivery that
//!    fails puts the flow back as it was (and gives back its sends), so nothing is lost and
//!    the user can retry at once. A new password is applied in two saves: the flow is saved as
//!    `setting_password` (with the change's id) *before* the directory is called, so a failure
//!    after the directory accepted it never leaves the flow unaware, and completes only after.
//! 4. **After-commit** effects: notices, session revocation, counters, audit. Their failures
//!    are warnings.

use crate::audit::{AuditEvent, AuditKind};
use crate::effect::{Admission, After, Guard, Outbox, Refusal, Transition};
use crate::error::{Error, PortError, PortName};
use crate::flow::{Flow, land_block};
use crate::ports::MessageKind;
use crate::reason::Reason;
use crate::registration::RegistrationFlow;
use crate::reset::ResetFlow;
use crate::security_info::SecurityInfo;
use crate::user::UserId;

use super::Engine;
use super::stored::{Loaded, StoredFlow, encode};
use super::throttle::{Scope, SendHold};

/// How many times a step is re-run after a lost compare-and-set.
pub(crate) const MAX_RETRIES: usize = 8;

/// What one call of a step remembers across its re-runs, so that a re-run after a lost
/// compare-and-set neither counts its attempt twice nor mistakes its own work for someone
/// else's.
#[derive(Default)]
pub(crate) struct Memo {
    /// The attempt this call reserved, and how it was settled.
    pub attempt: Option<super::throttle::Attempted>,
    /// The authenticator step this call recorded: which credential (an app or a hardware
    /// token), the step, and its last step before it.
    pub totp: Option<(usize, u64, Option<u64>)>,
    /// The recovery code this call spent: its digest and where it stood in the list.
    pub recovery: Option<(String, usize)>,
}

impl Memo {
    /// The security info as this call saw it first: an authenticator step it recorded itself is
    /// not a replay on a re-run, and a recovery code it spent itself is still there to match.
    pub(crate) fn unrecord_own_step(&self, info: &mut SecurityInfo) {
        if let Some((i, step, before)) = self.totp
            && let Some(last) = info.last_step_mut(i)
            && *last == Some(step)
        {
            *last = before;
        }
        if let Some((digest, at)) = &self.recovery
            && !info.recovery_codes.contains(digest)
        {
            let at = (*at).min(info.recovery_codes.len());
            info.recovery_codes.insert(at, digest.clone());
        }
    }
}

pub(crate) enum StepError {
    Retry,
    Fail(Error),
}

impl<E: Into<Error>> From<E> for StepError {
    fn from(e: E) -> Self {
        Self::Fail(e.into())
    }
}

/// What the engine needs beyond the flow's shape to carry out a transition.
pub(crate) trait FlowKind: Flow {
    fn stored(&self) -> StoredFlow;
    /// Goes on under the user's new revocation epoch (it raised it itself).
    fn adopt_epoch(&mut self, epoch: u64);
    /// After the directory applied a pending password (reset flows only).
    fn password_applied(self, now: u64) -> Transition<Self>;
    /// The flow of this kind in a stored envelope.
    fn of(stored: &StoredFlow) -> Option<&Self>;
    /// After the directory refused a new password for good (reset flows only).
    fn password_refused(self) -> Self;
}

impl FlowKind for ResetFlow {
    fn stored(&self) -> StoredFlow {
        StoredFlow::Reset(self.clone())
    }
    fn adopt_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }
    fn password_applied(self, now: u64) -> Transition<Self> {
        Self::password_applied(self, now)
    }
    fn of(stored: &StoredFlow) -> Option<&Self> {
        match stored {
            StoredFlow::Reset(f) => Some(f),
            _ => None,
        }
    }
    fn password_refused(self) -> Self {
        Self::password_refused(self)
    }
}

impl FlowKind for RegistrationFlow {
    fn stored(&self) -> StoredFlow {
        StoredFlow::Registration(self.clone())
    }
    fn adopt_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }
    fn password_applied(self, _now: u64) -> Transition<Self> {
        Transition::ok(self)
    }
    fn of(stored: &StoredFlow) -> Option<&Self> {
        match stored {
            StoredFlow::Registration(f) => Some(f),
            _ => None,
        }
    }
    fn password_refused(self) -> Self {
        self
    }
}

/// A committed step.
pub(crate) struct Carried<F> {
    pub flow: F,
    pub rejection: Option<Reason>,
    pub retry_after: Option<u64>,
    pub provisioning: Option<crate::effect::Provisioning>,
    pub recovery_codes: Vec<crate::SecretString>,
    pub warnings: Vec<PortError>,
}

/// The state a step started from.
pub(crate) struct Start<'a> {
    pub key: &'a str,
    pub loaded: &'a Loaded,
    /// The user's security info as the step saw it (for real users).
    pub info: Option<&'a SecurityInfo>,
    pub now: u64,
}

impl Engine {
    pub(crate) fn audit(&self, event: AuditEvent, warnings: &mut Vec<PortError>) {
        if let Some(sink) = &self.ports.audit
            && let Err(e) = sink.record(event)
        {
            warnings.push(e);
        }
    }

    /// Settles the attempt the step reserved with the verdict its transition reached; a block
    /// that this lands refuses the step.
    pub(crate) fn settle_step<F: FlowKind>(
        &self,
        memo: &mut Memo,
        t: Transition<F>,
        admission: Admission,
        subject: &str,
        client: Option<&str>,
        now: u64,
    ) -> Result<Transition<F>, Error> {
        let Some(outcome) = super::settled(admission, t.verdict) else {
            return Ok(t);
        };
        Ok(
            match self.settle_once(memo, outcome, subject, client, Scope::SelfService, now)? {
                Some(r) => land_block(t, r, now),
                None => t,
            },
        )
    }

    /// Puts a flow back as it was before the step (after a failed delivery or directory call).
    fn restore(&self, start: &Start<'_>, saved_version: u64, expires_at: u64) {
        if saved_version != start.loaded.version {
            // Best effort: if this fails too, the flow holds an undelivered challenge, which a
            // resend replaces.
            let _ = self.save_record(
                start.key,
                start.loaded.data.clone(),
                saved_version,
                expires_at,
            );
        }
    }

    /// Carries out a transition (see the module docs for the order).
    pub(crate) fn carry_out<F: FlowKind>(
        &self,
        t: Transition<F>,
        start: &Start<'_>,
        memo: &mut Memo,
    ) -> Result<Carried<F>, StepError> {
        let now = start.now;
        let Transition {
            mut flow,
            verdict: _,
            guards,
            mut outbox,
            mut after,
            mut rejection,
            mut retry_after,
            provisioning,
            recovery_codes,
        } = t;
        let mut warnings = Vec::new();
        let mut sends = SendHold::default();
        let mut notices: Vec<(UserId, Vec<crate::effect::Notice>, crate::SecretString)> =
            Vec::new();
        for g in guards {
            match g {
                Guard::AdvanceTotp {
                    app: index,
                    step,
                    info_version,
                } => {
                    let user = flow.user().ok_or(StepError::Retry)?.clone();
                    let (mut info, v) = self.load_info(&user)?;
                    if v != info_version {
                        return Err(StepError::Retry);
                    }
                    let mut before = None;
                    if let Some(last) = info.last_step_mut(index) {
                        before = *last;
                        *last = Some(last.map_or(step, |l| l.max(step)));
                    }
                    self.save_or_retry(&user, &info, v)?;
                    if memo.totp.is_none_or(|(i, s, _)| (i, s) != (index, step)) {
                        memo.totp = Some((index, step, before));
                    }
                }
                Guard::SpendRecoveryCode {
                    digest,
                    info_version,
                } => {
                    let user = flow.user().ok_or(StepError::Retry)?.clone();
                    let (mut info, v) = self.load_info(&user)?;
                    if v != info_version {
                        return Err(StepError::Retry);
                    }
                    let Some(at) = info.recovery_codes.iter().position(|d| *d == digest) else {
                        // Spent by an earlier run of this very call (its flow save lost a
                        // race): done. Spent by anyone else: the re-run finds it gone.
                        if memo.recovery.as_ref().is_some_and(|(d, _)| *d == digest) {
                            continue;
                        }
                        return Err(StepError::Retry);
                    };
                    info.recovery_codes.remove(at);
                    self.save_or_retry(&user, &info, v)?;
                    memo.recovery = Some((digest, at));
                }
                Guard::SaveSecurityInfo {
                    info,
                    expected_version,
                    notices: to,
                } => {
                    let user = flow.user().ok_or(StepError::Retry)?.clone();
                    let already_ours = start.info.is_some_and(|loaded| {
                        info.epoch != loaded.epoch
                            && loaded.epoch_owner.is_some()
                            && loaded.epoch_owner == info.epoch_owner
                            && info.same_methods(loaded)
                    });
                    if already_ours {
                        // An earlier run of this step saved it: go on under that epoch.
                        if let Some(loaded) = start.info {
                            flow.adopt_epoch(loaded.epoch);
                        }
                        continue;
                    }
                    // The token the notices carry is stored before the change is saved.
                    let token = if to.is_empty() {
                        None
                    } else {
                        Some(self.prepare_notice(&user, MessageKind::SecurityInfoChanged, now)?)
                    };
                    self.save_or_retry(&user, &info, expected_version)?;
                    flow.adopt_epoch(info.epoch);
                    if let Some(token) = token {
                        notices.push((user, to, token));
                    }
                }
                Guard::CountSend(send) => {
                    if let Some(until) =
                        self.count_send(flow.counter_id(), &send, now, &mut sends)?
                    {
                        let t = land_block(
                            Transition {
                                flow,
                                verdict: None,
                                guards: Vec::new(),
                                outbox,
                                after: Vec::new(),
                                rejection,
                                retry_after,
                                provisioning: None,
                                recovery_codes: Vec::new(),
                            },
                            Refusal::Blocked(until),
                            now,
                        );
                        flow = t.flow;
                        outbox = t.outbox;
                        rejection = t.rejection;
                        retry_after = t.retry_after;
                        after.retain(
                            |a| !matches!(a, After::Audit(e) if e.kind == AuditKind::ChallengeSent),
                        );
                        after.extend(t.after);
                        self.release_sends(&sends, now);
                        sends = SendHold::default();
                    }
                }
            }
        }
        // The security info changed: tell its owner, whatever happens to the flow.
        for (user, to, token) in &notices {
            self.send_notices(
                user,
                MessageKind::SecurityInfoChanged,
                to,
                token,
                None,
                now,
                &mut warnings,
            );
        }
        let mut version = start.loaded.version;
        let data = encode(&flow.stored())?;
        if data != start.loaded.data {
            match self.save_record(start.key, data, version, flow.expires_at()) {
                Ok(()) => version += 1,
                Err(e) => {
                    self.release_sends(&sends, now);
                    return Err(if e.is_conflict() {
                        StepError::Retry
                    } else {
                        StepError::Fail(e.into())
                    });
                }
            }
        }
        for action in outbox {
            let done: Result<(), Error> = match action {
                Outbox::Deliver(m) => self.ports.notifier.deliver(m).map_err(Error::from),
                Outbox::Unlock => match flow.user().cloned() {
                    Some(u) => match self.bump_epoch_from(&u, flow.epoch(), flow.flow_ref()) {
                        Ok(None) => return Err(StepError::Retry),
                        Ok(Some(_)) => self.ports.directory.unlock(u).map_err(Error::from),
                        Err(e) => Err(e),
                    },
                    None => Ok(()),
                },
                Outbox::SetPassword(change) => {
                    let Some(user) = flow.user().cloned() else {
                        continue;
                    };
                    // Raises the epoch by compare-and-set, and only if nothing ended this flow
                    // since it loaded: a report or another reset in the meantime wins.
                    let applied =
                        match self.bump_epoch_from(&user, flow.epoch(), flow.flow_ref()) {
                            Ok(None) => return Err(StepError::Retry),
                            Ok(Some(epoch)) => Ok(epoch),
                            Err(e) => Err(e),
                        }
                        .and_then(|epoch| {
                            match self.ports.directory.set_password(user.clone(), change) {
                                Ok(()) => Ok(Ok(epoch)),
                                // Refused for good (a policy or history of the directory's own).
                                Err(e) if e.kind == crate::error::PortErrorKind::Rejected => {
                                    Ok(Err(epoch))
                                }
                                Err(e) => Err(Error::from(e)),
                            }
                        });
                    match applied {
                        // An ambiguous failure (a timeout, a store down) may have applied the
                        // password: the flow stays `setting_password` with the change's id, so
                        // a retry with the same password finishes that change, and
                        // a different one is refused as pending.
                        Err(Error::Port(e)) if e.kind != crate::error::PortErrorKind::Rejected => {
                            self.release_sends(&sends, now);
                            return Err(StepError::Fail(e.into()));
                        }
                        // The directory refused this password: the user's outcome, not an
                        // error. The flow goes back to where the step found it, under the epoch
                        // it raised (other flows ended with it), and the user chooses another.
                        Ok(Err(epoch)) => {
                            let Some(before) = F::of(&start.loaded.stored).cloned() else {
                                return Err(StepError::Retry);
                            };
                            let mut before = before.password_refused();
                            before.adopt_epoch(epoch);
                            let data = encode(&before.stored())?;
                            match self.save_record(start.key, data, version, before.expires_at()) {
                                Ok(()) => {}
                                Err(e) if e.is_conflict() => return Err(StepError::Retry),
                                Err(e) => {
                                    self.release_sends(&sends, now);
                                    return Err(StepError::Fail(e.into()));
                                }
                            }
                            self.release_sends(&sends, now);
                            let mut ev = before.event(now, AuditKind::StepRejected);
                            ev.reason = Some(Reason::PasswordRefused);
                            self.audit(ev, &mut warnings);
                            return Ok(Carried {
                                flow: before,
                                rejection: Some(Reason::PasswordRefused),
                                retry_after: None,
                                provisioning: None,
                                recovery_codes: Vec::new(),
                                warnings,
                            });
                        }
                        Ok(Ok(epoch)) => {
                            let mut done = flow.clone().password_applied(now);
                            done.flow.adopt_epoch(epoch);
                            let data = encode(&done.flow.stored())?;
                            match self.save_record(start.key, data, version, flow.expires_at()) {
                                Ok(()) => version += 1,
                                Err(e) if e.is_conflict() => return Err(StepError::Retry),
                                Err(e) => return Err(StepError::Fail(e.into())),
                            }
                            flow = done.flow;
                            after.extend(done.after);
                            Ok(())
                        }
                        Err(e) => Err(e),
                    }
                }
            };
            if let Err(e) = done {
                self.restore(start, version, flow.expires_at());
                self.release_sends(&sends, now);
                return Err(StepError::Fail(e));
            }
        }
        if let Some(reason) = rejection
            && !after
                .iter()
                .any(|a| matches!(a, After::Audit(ev) if ev.reason.is_some()))
        {
            let mut ev = flow.event(now, AuditKind::StepRejected);
            ev.reason = Some(reason);
            after.push(After::Audit(ev));
        }
        for a in after {
            match a {
                After::ResetCompleted => {
                    if let Some(user) = flow.user().cloned() {
                        let alternate = start.info.and_then(|i| i.email.clone());
                        self.after_reset(&user, alternate, now, &mut warnings);
                    }
                }
                After::Audit(ev) => self.audit(ev, &mut warnings),
            }
        }
        if warnings.iter().any(|w| w.port != PortName::Audit) {
            let ev = flow.event(now, AuditKind::PortFailed);
            self.audit(ev, &mut Vec::new());
        }
        Ok(Carried {
            flow,
            rejection,
            retry_after,
            provisioning,
            recovery_codes,
            warnings,
        })
    }

    fn save_or_retry(
        &self,
        user: &UserId,
        info: &SecurityInfo,
        expected: u64,
    ) -> Result<(), StepError> {
        match self.save_info(user, info, expected) {
            Ok(()) => Ok(()),
            Err(Error::Port(e)) if e.is_conflict() => Err(StepError::Retry),
            Err(e) => Err(StepError::Fail(e)),
        }
    }
}
