//! The registration campaign: a user asked to register (or re-confirm) at sign-in may put it
//! off ("not now") for `registration.snooze_days`, at most `registration.snoozes` times, as
//! Entra's registration campaign lets users snooze its nudge. Administrators never put it off.

use crate::audit::{AuditEvent, AuditKind};
use crate::error::{Error, InputError, PortError, PortErrorKind, PortName};
use crate::policy::Policy;
use crate::reason::Reason;
use crate::registration;
use crate::security_info::{SecurityInfo, Snooze};

use super::Engine;
use super::info::INFO_RETRIES;
use super::views::SnoozeOutcome;

/// What sign-in asks of a user about registration, now.
pub(crate) struct Ask {
    /// Sign-in must send the user to the wizard (not snoozed).
    pub required: bool,
    /// The user may put it off now.
    pub may_snooze: bool,
    /// Snoozes left (`None`: without limit).
    pub snoozes_left: Option<u32>,
}

/// Works out [`Ask`] for a user in the policy's scope.
pub(crate) fn ask(info: &SecurityInfo, policy: &Policy, admin: bool, now: u64) -> Ask {
    let enough = registration::registered_factors(info, policy, admin)
        >= registration::factors_required(policy, admin);
    let due = registration::reconfirm_due(info, policy, admin, now);
    let asked = policy.registration().require_on_sign_in && (!enough || due);
    let r = policy.registration();
    // A snooze never reaches further than the policy lets one reach from now, and never holds
    // for an administrator: a stored `until` is hostile data like any other.
    let horizon = now.saturating_add(u64::from(r.snooze_days).saturating_mul(86_400));
    let snoozed = !admin
        && info
            .snooze
            .is_some_and(|s| now < s.until && s.until <= horizon);
    let used = info.snooze.map_or(0, |s| s.count);
    let snoozes_left = if admin || r.snooze_days == 0 {
        Some(0)
    } else if r.snoozes == 0 {
        None
    } else {
        Some(u32::from(r.snoozes).saturating_sub(used))
    };
    let required = asked && !snoozed;
    Ask {
        required,
        may_snooze: required && snoozes_left != Some(0),
        snoozes_left,
    }
}

impl Engine {
    /// "Not now": puts off the registration (or re-confirmation) that [`sign_in_check`]
    /// asked of `username` for the policy's `registration.snooze_days`, counting one of the
    /// policy's `registration.snoozes`; meanwhile `sign_in_check` says
    /// `registration_required: false`. Refused (`snooze.unavailable`, nothing saved) when
    /// `sign_in_check` would not offer it (`may_snooze` false): registration is not asked
    /// for, it is already put off, the policy allows no snooze, every snooze is used, or the
    /// user is an administrator. Finishing the wizard resets the count.
    ///
    /// The host calls it for the user it has just signed in (after `sign_in_check` with the
    /// password), never for a name someone typed: it takes no password.
    ///
    /// [`sign_in_check`]: Engine::sign_in_check
    pub fn snooze_registration(&self, username: &str) -> Result<SnoozeOutcome, Error> {
        super::trace::call("snooze_registration", "user", None).run(|| {
            if username.chars().count() > super::MAX_IDENTIFIER_CHARS {
                return Err(super::too_long("username", super::MAX_IDENTIFIER_CHARS));
            }
            let Some(user) = self.ports.directory.find_user(username.trim().to_owned())? else {
                return Err(InputError::Malformed {
                    what: "username",
                    problem: "is not in the directory",
                }
                .into());
            };
            let now = self.now()?;
            let refused = |left| SnoozeOutcome {
                rejection: Some(Reason::SnoozeUnavailable),
                snoozed_until: None,
                snoozes_left: left,
                warnings: Vec::new(),
            };
            if !self.policy.applies_to(&user) {
                return Ok(refused(Some(0)));
            }
            for _ in 0..INFO_RETRIES {
                let (mut info, version) = self.load_info(&user.id)?;
                let a = ask(&info, &self.policy, user.admin, now);
                if !a.may_snooze {
                    return Ok(refused(a.snoozes_left));
                }
                let days = u64::from(self.policy.registration().snooze_days);
                let count = info.snooze.map_or(0, |s| s.count).saturating_add(1);
                let until = now.saturating_add(days.saturating_mul(86_400));
                info.snooze = Some(Snooze { count, until });
                match self.save_info(&user.id, &info, version) {
                    Ok(()) => {}
                    Err(Error::Port(e)) if e.is_conflict() => continue,
                    Err(e) => return Err(e),
                }
                let mut warnings = Vec::new();
                let mut ev = AuditEvent::new(now, AuditKind::RegistrationSnoozed);
                ev.user = Some(user.id.clone());
                self.audit(ev, &mut warnings);
                return Ok(SnoozeOutcome {
                    rejection: None,
                    snoozed_until: Some(until),
                    snoozes_left: a.snoozes_left.map(|n| n.saturating_sub(1)),
                    warnings,
                });
            }
            Err(PortError::new(
                PortName::SecurityInfoStore,
                PortErrorKind::Conflict,
                "the user's security info kept changing; try again",
            )
            .into())
        })
    }
}
