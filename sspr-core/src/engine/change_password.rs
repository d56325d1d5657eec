//! "Change password": a user who knows the current password chooses a new one (the seeds'
//! screen: user id, old password, new password, confirm). The old password is a verification
//! like any other: counted before the directory compares it, refused uncompared while the user
//! is blocked. The new one passes the same rules and history as a reset's.

use crate::audit::{AuditEvent, AuditKind};
use crate::error::{Error, PortErrorKind};
use crate::hashing;
use crate::ports::PasswordChange;
use crate::random::Entropy;
use crate::reason::Reason;
use crate::secret::SecretString;

use super::throttle::Scope;
use super::views::PasswordChangeOutcome;
use super::{Engine, MAX_PASSWORD_BYTES, Reauth, bounded};

impl Engine {
    /// Changes a known password. Every open flow of the user ends; other sessions are signed
    /// out when the policy says so (`password_change.revoke_sessions`, on by default); the user
    /// is told as after a reset. What the user gets wrong is a reason id in the outcome.
    pub fn change_password(
        &self,
        username: &str,
        old: &SecretString,
        new: &SecretString,
        confirm: &SecretString,
    ) -> Result<PasswordChangeOutcome, Error> {
        super::trace::call("change_password", "password", None).run(|| {
            bounded("password", new.expose(), MAX_PASSWORD_BYTES)?;
            bounded("password", confirm.expose(), MAX_PASSWORD_BYTES)?;
            let now = self.now()?;
            let refused = |reason: Reason, retry_after: Option<u64>| PasswordChangeOutcome {
                changed: false,
                rejection: Some(reason),
                retry_after,
                password: None,
                warnings: Vec::new(),
                help_desk: if reason.needs_help() {
                    self.help_desk()
                } else {
                    None
                },
            };
            let user = match self.reauthenticate(username, old.expose(), Scope::SelfService, now)? {
                Reauth::Passed(u) => u,
                Reauth::Failed => {
                    let (reason, retry) = self.reauth_refused(now, None);
                    return Ok(refused(reason, retry));
                }
                Reauth::Refused(r) => {
                    let (reason, retry) = self.reauth_refused(now, Some(r));
                    return Ok(refused(reason, retry));
                }
            };
            let verdict = self.evaluate_password(&user, new, confirm)?;
            if let Some(reason) = verdict.reasons.first().copied() {
                let mut ev = AuditEvent::new(now, AuditKind::StepRejected);
                ev.user = Some(user.id.clone());
                ev.reason = Some(reason);
                self.audit(ev, &mut Vec::new());
                return Ok(PasswordChangeOutcome {
                    password: Some(verdict),
                    ..refused(reason, None)
                });
            }
            let history_hash = hashing::hash(
                new.expose().as_bytes(),
                &self.options.hash_params,
                self.ports.randomness.as_ref(),
            )?;
            let change_id = Entropy::new(self.ports.randomness.as_ref()).token()?;
            // Every open flow of the user ends with the old password.
            self.bump_epoch(&user.id, None)?;
            let applied = self.ports.directory.set_password(
                user.id.clone(),
                PasswordChange {
                    change_id,
                    password: new.clone(),
                    history_hash,
                    requested_at: now,
                    must_change: false,
                },
            );
            match applied {
                Ok(()) => {}
                Err(e) if e.kind == PortErrorKind::Rejected => {
                    let mut ev = AuditEvent::new(now, AuditKind::StepRejected);
                    ev.user = Some(user.id.clone());
                    ev.reason = Some(Reason::PasswordRefused);
                    self.audit(ev, &mut Vec::new());
                    return Ok(PasswordChangeOutcome {
                        password: Some(verdict),
                        ..refused(Reason::PasswordRefused, None)
                    });
                }
                Err(e) => return Err(e.into()),
            }
            // The password changed: from here on a failure is a warning, never an error that
            // would hide the change from the user and the audit log.
            let mut warnings = Vec::new();
            let mut ev = AuditEvent::new(now, AuditKind::PasswordChangedByUser);
            ev.user = Some(user.id.clone());
            self.audit(ev, &mut warnings);
            if self.policy.password_change().revoke_sessions
                && let Err(e) = self.ports.directory.revoke_sessions(user.id.clone())
            {
                warnings.push(e);
            }
            let alternate = self.alternate_email(&user.id, &mut warnings);
            self.tell_password_changed(&user.id, alternate, now, &mut warnings);
            Ok(PasswordChangeOutcome {
                changed: true,
                rejection: None,
                retry_after: None,
                password: Some(verdict),
                warnings,
                help_desk: None,
            })
        })
    }
}
