//! Notices: the messages sspr sends about an account (a changed password, changed security
//! info, another administrator's reset), each with a "this wasn't me" token, and what
//! redeeming such a token does.

use crate::audit::{AuditEvent, AuditKind};
use crate::contact::EmailAddress;
use crate::effect::Notice;
use crate::error::{Error, InputError, PortError};
use crate::ports::{Channel, Message, MessageKind};
use crate::random::Entropy;
use crate::reason::Reason;
use crate::secret::SecretString;
use crate::user::UserId;

use super::Engine;
use super::stored::{MAX_ID_BYTES, NOTICE_FORMAT, NoticeRecord, StoredFlow, encode};
use super::throttle::user_subject;
use super::views::ReportOutcome;

/// How long a "this wasn't me" token can be redeemed: 7 days.
pub const NOTICE_TOKEN_TTL_S: u64 = 7 * 86_400;

impl Engine {
    /// A message with a fresh id.
    pub(crate) fn message(
        &self,
        channel: Channel,
        to: String,
        kind: MessageKind,
        user: UserId,
        now: u64,
    ) -> Result<Message, PortError> {
        Ok(Message::new(
            Entropy::new(self.ports.randomness.as_ref()).token()?,
            channel,
            to,
            kind,
            user,
            now,
        ))
    }

    /// Makes a "this wasn't me" token for a notice of `kind` to `user`, storing (under its
    /// keyed reference) what it stands for.
    fn notice_token(
        &self,
        user: &UserId,
        kind: MessageKind,
        now: u64,
    ) -> Result<SecretString, Error> {
        let token = Entropy::new(self.ports.randomness.as_ref()).token()?;
        let expires_at = now.saturating_add(NOTICE_TOKEN_TTL_S);
        let record = StoredFlow::Notice(NoticeRecord {
            v: NOTICE_FORMAT,
            user: user.clone(),
            kind,
            created_at: now,
            expires_at,
        });
        self.save_record(
            &self.store_key("notice", &token),
            encode(&record)?,
            0,
            expires_at,
        )?;
        Ok(SecretString::new(token))
    }

    /// Makes the "this wasn't me" token the notices of a change will carry, storing it before
    /// the change is saved: a step that cannot store it fails before anything changed.
    pub(crate) fn prepare_notice(
        &self,
        user: &UserId,
        kind: MessageKind,
        now: u64,
    ) -> Result<SecretString, Error> {
        self.notice_token(user, kind, now)
    }

    /// Delivers notices of `kind` to `to`, all carrying `token`. Failures are warnings: the
    /// change they report stands.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_notices(
        &self,
        user: &UserId,
        kind: MessageKind,
        to: &[Notice],
        token: &SecretString,
        subject: Option<String>,
        now: u64,
        warnings: &mut Vec<PortError>,
    ) {
        for n in to {
            let sent = self
                .message(n.channel, n.to.clone(), kind, user.clone(), now)
                .and_then(|mut m| {
                    m.revoke_token = Some(token.clone());
                    m.subject = subject.clone();
                    self.ports.notifier.deliver(m)
                });
            if let Err(e) = sent {
                warnings.push(e);
            }
        }
    }

    /// After a completed reset: sign the user out everywhere, clear their counters, tell them
    /// at their account and at `alternate` (the alternate email on file when the step began)
    /// and, for an administrator, tell the other administrators.
    pub(crate) fn after_reset(
        &self,
        user_id: &UserId,
        alternate: Option<EmailAddress>,
        now: u64,
        warnings: &mut Vec<PortError>,
    ) {
        let mut run = |r: Result<(), PortError>| {
            if let Err(e) = r {
                warnings.push(e);
            }
        };
        run(self.ports.directory.revoke_sessions(user_id.clone()));
        if self.policy.reset().unlock_on_reset {
            run(self.ports.directory.unlock(user_id.clone()));
        }
        run(self.clear_subject(&user_subject(&self.options.identity, user_id), false));
        self.tell_password_changed(user_id, alternate, now, warnings);
    }

    /// Tells the user of a new password at their account and at `alternate` (when the policy
    /// says so) and, for an administrator, the other administrators. Failures are warnings.
    pub(crate) fn tell_password_changed(
        &self,
        user_id: &UserId,
        alternate: Option<EmailAddress>,
        now: u64,
        warnings: &mut Vec<PortError>,
    ) {
        let user = match self.ports.directory.user(user_id.clone()) {
            Ok(Some(u)) => u,
            Ok(None) => return,
            Err(e) => {
                warnings.push(e);
                return;
            }
        };
        let n = self.policy.notifications();
        if n.user_on_reset {
            let to = account_and_alternate(&user.username, alternate);
            if !to.is_empty() {
                match self.notice_token(user_id, MessageKind::PasswordChanged, now) {
                    Ok(token) => self.send_notices(
                        user_id,
                        MessageKind::PasswordChanged,
                        &to,
                        &token,
                        None,
                        now,
                        warnings,
                    ),
                    Err(Error::Port(e)) => warnings.push(e),
                    Err(_) => {}
                }
            }
        }
        if user.admin && n.admins_on_admin_reset {
            match self.ports.directory.administrators() {
                Ok(admins) => {
                    for admin in admins.into_iter().filter(|a| a.id != user.id) {
                        if let Ok(address) = EmailAddress::parse(&admin.username) {
                            let sent = self
                                .message(
                                    Channel::Email,
                                    address.as_str().to_owned(),
                                    MessageKind::AdminPasswordChanged,
                                    admin.id.clone(),
                                    now,
                                )
                                .and_then(|mut m| {
                                    m.subject = Some(user.username.clone());
                                    self.ports.notifier.deliver(m)
                                });
                            if let Err(e) = sent {
                                warnings.push(e);
                            }
                        }
                    }
                }
                Err(e) => warnings.push(e),
            }
        }
    }

    /// "This wasn't me": redeems the token of a notice. The user's open flows (registration
    /// included) and sessions are revoked, self-service is blocked for the policy's block
    /// period, and the report is audited. A token works once and for
    /// [`NOTICE_TOKEN_TTL_S`]; an unknown, used or expired one is `notice.invalid`.
    pub fn report_not_me(&self, token: &str) -> Result<ReportOutcome, Error> {
        super::trace::call("report_not_me", "token", None).run(|| {
            if token.len() > MAX_ID_BYTES {
                return Err(InputError::TooLong {
                    what: "notice token",
                    max: MAX_ID_BYTES,
                }
                .into());
            }
            let now = self.now()?;
            let mut warnings = Vec::new();
            let key = self.store_key("notice", token);
            let invalid = |engine: &Self, warnings: Vec<PortError>| {
                let mut ev = AuditEvent::new(now, AuditKind::StepRejected);
                ev.reason = Some(Reason::NoticeInvalid);
                engine.audit(ev, &mut Vec::new());
                Ok(ReportOutcome {
                    rejection: Some(Reason::NoticeInvalid),
                    blocked_until: None,
                    warnings,
                })
            };
            let record = match self.load_record(&key)? {
                Some(l) => match l.stored {
                    StoredFlow::Notice(n) => n,
                    _ => return invalid(self, warnings),
                },
                None => return invalid(self, warnings),
            };
            if now >= record.expires_at {
                return invalid(self, warnings);
            }
            // The effects first (each may safely run twice), then the token is spent: a report
            // that fails half-way can be retried with the same token.
            let user = record.user;
            self.bump_epoch(&user, None)?;
            self.ports.directory.revoke_sessions(user.clone())?;
            let until = now.saturating_add(self.policy.limits().verify_failures.block_s);
            self.block_reported(&user_subject(&self.options.identity, &user), until)?;
            if !self.ports.consume_once.consume(
                "sspr/notice".to_owned(),
                key.clone(),
                record.expires_at,
            )? {
                // A concurrent report of the same notice was taken first.
                return invalid(self, warnings);
            }
            if let Err(e) = self.ports.flows.delete(key) {
                warnings.push(e);
            }
            let mut ev = AuditEvent::new(now, AuditKind::NoticeReported);
            ev.user = Some(user);
            self.audit(ev, &mut warnings);
            Ok(ReportOutcome {
                rejection: None,
                blocked_until: Some(until),
                warnings,
            })
        })
    }
}

/// Email notices to the account's own mailbox (when the username is an address) and to the
/// alternate email, once each.
pub(crate) fn account_and_alternate(
    username: &str,
    alternate: Option<EmailAddress>,
) -> Vec<Notice> {
    let mut to: Vec<Notice> = Vec::new();
    for address in [EmailAddress::parse(username).ok(), alternate]
        .into_iter()
        .flatten()
    {
        if !to
            .iter()
            .any(|n| n.to.eq_ignore_ascii_case(address.as_str()))
        {
            to.push(Notice {
                channel: Channel::Email,
                to: address.as_str().to_owned(),
            });
        }
    }
    to
}
