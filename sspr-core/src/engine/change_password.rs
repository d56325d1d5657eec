//! "Change password": a user who knows the current password chooses a new one (the seeds'
//! screen: user id, old password, new password, confirm). The old password is a verification
//! like any other: counted before the directory compares it, refused uncompared while the user
//! is blocked. The new one passes the same rules and history as a reset's.

use crate::audit::{AuditEvent, AuditKind};
use crate::error::{Error, PortErrorKind};
use crate::reason::Reason;
use crate::secret::SecretString;

use super::throttle::Scope;
use super::views::PasswordChangeOutcome;
use super::{Engine, MAX_PASSWORD_BYTES, Reauth, bounded};

impl Engine {
    /// Audits a refused password change of `user`.
    fn audit_refusal(&self, user: &crate::user::UserId, reason: Reason, now: u64) {
        let mut ev = AuditEvent::new(now, AuditKind::StepRejected);
        ev.user = Some(user.clone());
        ev.reason = Some(reason);
        self.audit(ev, &mut Vec::new());
    }

    /// Changes a known password. Every open flow of the user ends; other sessions are signed
    /// out when the policy says so (`password_change.revoke_sessions`, on by default); the user
    /// is told as after a reset. What the user gets wrong is a reason id in the outcome.
    /// `client` counts the old password's check against the client's limit, as at
    /// [`Engine::sign_in_check`].
    pub fn change_password(
        &self,
        username: &str,
        old: &SecretString,
        new: &SecretString,
        confirm: &SecretString,
        client: Option<&str>,
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
            let user = match self.reauthenticate(
                username,
                old.expose(),
                client,
                Scope::SelfService,
                now,
            )? {
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
                self.audit_refusal(&user.id, reason, now);
                return Ok(PasswordChangeOutcome {
                    password: Some(verdict),
                    ..refused(reason, None)
                });
            }
            let applied = self.set_password_outside_a_flow(&user.id, new, false, now)?;
            match applied {
                Ok(()) => {}
                Err(e) if e.kind == PortErrorKind::Rejected => {
                    self.audit_refusal(&user.id, Reason::PasswordRefused, now);
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
