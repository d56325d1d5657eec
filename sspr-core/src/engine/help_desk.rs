//! What a help desk (or an administrator) does for a user, each action audited with the actor
//! who took it: lifting blocks, setting a temporary password, replacing the policy.

use serde_json::Value;

use crate::audit::{AuditEvent, AuditKind};
use crate::error::{Error, InputError};
use crate::hashing;
use crate::policy::Policy;
use crate::ports::MessageKind;
use crate::ports::PasswordChange;
use crate::random::Entropy;
use crate::secret::SecretString;
use crate::user::UserId;

use super::throttle::{name_subject, user_subject};
use super::{Derived, Engine, MAX_IDENTIFIER_CHARS, too_long};

/// The longest actor id accepted (the host's id of its help-desk agent or administrator).
pub const MAX_ACTOR_CHARS: usize = 256;

/// The characters of a temporary password: no look-alikes (`0`/`O`, `1`/`l`/`I`).
const TEMPORARY_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A temporary password a help desk hands to the user. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct TemporaryPassword {
    /// The password: tell it to the user once, by a channel the help desk trusts.
    pub password: SecretString,
    /// The user must change it at the next sign-in (the directory was told so).
    pub must_change: bool,
}

impl std::fmt::Debug for TemporaryPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryPassword")
            .field("must_change", &self.must_change)
            .finish_non_exhaustive()
    }
}

/// The shortest and longest life of a temporary access pass: 10 minutes to 30 days (Entra's).
pub const ACCESS_PASS_LIFETIME_S: std::ops::RangeInclusive<u64> = 600..=30 * 86_400;

/// A temporary access pass (16 characters of Crockford's base32, as recovery codes use) a help
/// desk hands to a user who lost every method: it proves the user's identity once (or until
/// it expires) in the registration wizard
/// ([`RegistrationInput::AccessPass`](crate::registration::RegistrationInput::AccessPass)).
/// Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct IssuedAccessPass {
    /// The pass (`7KQ2-M9XD-4TRB-HW3N`, 80 bits): tell it to the user once, by a channel the
    /// help desk trusts. Only its keyed hash is stored.
    pub pass: SecretString,
    /// When it stops working (Unix seconds).
    pub expires_at: u64,
    /// Whether it works once only.
    pub one_time: bool,
}

impl std::fmt::Debug for IssuedAccessPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedAccessPass")
            .field("expires_at", &self.expires_at)
            .field("one_time", &self.one_time)
            .finish_non_exhaustive()
    }
}

/// Checks an actor id: 1 to [`MAX_ACTOR_CHARS`] characters, no control characters.
pub(crate) fn actor(actor: &str) -> Result<String, Error> {
    let a = actor.trim();
    if a.chars().count() > MAX_ACTOR_CHARS {
        return Err(InputError::TooLong {
            what: "actor",
            max: MAX_ACTOR_CHARS,
        }
        .into());
    }
    if a.is_empty() || a.chars().any(char::is_control) {
        return Err(InputError::Malformed {
            what: "actor",
            problem: "must name who acts: 1 to 256 characters, no control characters",
        }
        .into());
    }
    Ok(a.to_owned())
}

/// The dotted paths of the leaves that differ between two JSON documents.
fn changed_fields(old: &Value, new: &Value, path: &str, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => changed_fields(x, y, &child, out),
                    _ => out.push(child),
                }
            }
        }
        (a, b) if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

impl Engine {
    /// Sets a password outside a flow (a help desk's, a password change): its history hash,
    /// then every open flow of the user ends (a flow someone else holds must not outlive the
    /// change), then the directory sets it. The inner `Err` is the directory's refusal.
    pub(crate) fn set_password_outside_a_flow(
        &self,
        user: &UserId,
        password: &SecretString,
        must_change: bool,
        now: u64,
    ) -> Result<Result<(), crate::PortError>, Error> {
        let history_hash = hashing::hash(
            password.expose().as_bytes(),
            &self.options.hash_params,
            self.ports.randomness.as_ref(),
        )?;
        let change_id = Entropy::new(self.ports.randomness.as_ref()).token()?;
        self.bump_epoch(user, None)?;
        Ok(self.ports.directory.set_password(
            user.clone(),
            PasswordChange {
                change_id,
                password: password.clone(),
                history_hash,
                requested_at: now,
                must_change,
            },
        ))
    }

    /// Lifts every failure and send block on `identifier` and on the user it resolves to, and
    /// the lock after too many failures in a row (a help-desk action). The audit event names
    /// the `actor`.
    pub fn unblock(&self, identifier: &str, actor: &str) -> Result<(), Error> {
        super::trace::call("unblock", "identifier", None).run(|| {
            if identifier.chars().count() > MAX_IDENTIFIER_CHARS {
                return Err(too_long("identifier", MAX_IDENTIFIER_CHARS));
            }
            let actor = self::actor(actor)?;
            let ids = &self.options.identity;
            self.clear_subject(&name_subject(ids, identifier), true)?;
            let user = self
                .ports
                .directory
                .find_user(identifier.trim().to_owned())?;
            if let Some(u) = &user {
                self.clear_subject(&user_subject(ids, &u.id), true)?;
            }
            let mut ev = AuditEvent::new(self.now()?, AuditKind::AccountUnblocked);
            ev.user = user.map(|u| u.id);
            ev.actor = Some(actor);
            self.audit(ev, &mut Vec::new());
            Ok(())
        })
    }

    /// A help desk resets the user's password: a random temporary password that passes the
    /// policy's rules, set in the directory to be changed at the next sign-in. Every open flow
    /// of the user ends, sessions are revoked, blocks are lifted, the user is told (as after a
    /// reset: their account and alternate email, and for an administrator the other
    /// administrators), and the audit event names the `actor`.
    pub fn reset_password_by_help_desk(
        &self,
        user: &UserId,
        actor: &str,
    ) -> Result<TemporaryPassword, Error> {
        super::trace::call("reset_password_by_help_desk", "user", None).run(|| {
            let actor = self::actor(actor)?;
            let Some(directory_user) = self.ports.directory.user(user.clone())? else {
                return Err(InputError::Malformed {
                    what: "user",
                    problem: "is not in the directory",
                }
                .into());
            };
            let now = self.now()?;
            let mut entropy = Entropy::new(self.ports.randomness.as_ref());
            // Random characters pass any rule the policy can set but the history and a breach
            // list; a few draws make sure.
            let mut chosen = None;
            // 19 characters (16 random), or what the rules ask: at least `min_chars`, and more
            // than `min_guesses_log10` (a random string's estimate grows a digit a
            // character), never past `max_chars`.
            let rules = self.policy.password();
            let len = 19usize
                .max(usize::from(rules.min_chars))
                .max(rules.min_guesses_log10.ceil() as usize + 4)
                .min(usize::from(rules.max_chars));
            // A random string's estimate varies (a run may look like a word): each draw that
            // fails is followed by a longer one, up to `max_chars`.
            for attempt in 0..8 {
                let len = len
                    .saturating_add(4 * attempt)
                    .min(usize::from(rules.max_chars));
                let candidate = SecretString::new(temporary_password(&mut entropy, len)?);
                let verdict = self.evaluate_password(&directory_user, &candidate, &candidate)?;
                if verdict.accepted() {
                    chosen = Some(candidate);
                    break;
                }
            }
            let Some(password) = chosen else {
                return Err(crate::MisuseError::InvalidArgument {
                    name: "policy",
                    problem: "no random password passes its rules".to_owned(),
                }
                .into());
            };
            self.set_password_outside_a_flow(user, &password, true, now)?
                .map_err(Error::from)?;
            // The password changed: from here on a failure is a warning, so that the help
            // desk always gets the password and the audit log the actor.
            let mut warnings = Vec::new();
            let mut ev = AuditEvent::new(now, AuditKind::TemporaryPasswordSet);
            ev.user = Some(user.clone());
            ev.actor = Some(actor);
            self.audit(ev, &mut warnings);
            let alternate = self.alternate_email(user, &mut warnings);
            self.after_reset(user, alternate, now, &mut warnings);
            Ok(TemporaryPassword {
                password,
                must_change: true,
            })
        })
    }

    /// A help desk issues a temporary access pass to `user`, living `lifetime_s` seconds (10
    /// minutes to 30 days), usable once or until it expires. It replaces any pass outstanding.
    /// The audit event names the `actor`; the pass is never stored, only its keyed hash.
    pub fn issue_access_pass(
        &self,
        user: &UserId,
        actor: &str,
        lifetime_s: u64,
        one_time: bool,
    ) -> Result<IssuedAccessPass, Error> {
        super::trace::call("issue_access_pass", "user", None).run(|| {
            let actor = self::actor(actor)?;
            if !ACCESS_PASS_LIFETIME_S.contains(&lifetime_s) {
                return Err(InputError::Malformed {
                    what: "access pass lifetime",
                    problem: "must be from 600 seconds (10 minutes) to 2592000 (30 days)",
                }
                .into());
            }
            let Some(directory_user) = self.ports.directory.user(user.clone())? else {
                return Err(InputError::Malformed {
                    what: "user",
                    problem: "is not in the directory",
                }
                .into());
            };
            let now = self.now()?;
            let mut entropy = Entropy::new(self.ports.randomness.as_ref());
            let raw = entropy.string(crate::recovery::ALPHABET, 16)?;
            let digest = self.options.identity.reference(
                "access-pass",
                &crate::registration::normalize_access_pass(&raw),
            );
            let expires_at = now.saturating_add(lifetime_s);
            let record = crate::security_info::AccessPass {
                digest,
                issued_at: now,
                expires_at,
                one_time,
            };
            // The "this wasn't me" token is stored before the pass: a report ends the pass
            // (it raises the epoch, which clears it).
            let token = self.prepare_notice(user, MessageKind::SecurityInfoChanged, now)?;
            let info = self.update_info(user, |info| info.access_pass = Some(record.clone()))?;
            let mut warnings = Vec::new();
            let mut ev = AuditEvent::new(now, AuditKind::AccessPassIssued);
            ev.user = Some(user.clone());
            ev.actor = Some(actor);
            self.audit(ev, &mut warnings);
            // The user is told at the account and the alternate email, so that a pass a
            // stranger talked a help desk into is reported.
            let to = super::notices::account_and_alternate(&directory_user.username, info.email);
            self.send_notices(
                user,
                MessageKind::SecurityInfoChanged,
                &to,
                &token,
                None,
                now,
                &mut warnings,
            );
            let pass = raw
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-");
            Ok(IssuedAccessPass {
                pass: SecretString::new(pass),
                expires_at,
                one_time,
            })
        })
    }

    /// Replaces the policy of this engine (the steps already running finish under the one they
    /// started with; hosts that share an engine hold it in a lock). Audits who replaced it and
    /// the dotted paths of the fields that changed, which it also returns.
    pub fn replace_policy(&mut self, policy: Policy, actor: &str) -> Result<Vec<String>, Error> {
        let actor = self::actor(actor)?;
        let now = self.now()?;
        let derived = Derived::of(&policy, &self.options)?;
        let mut changed = Vec::new();
        changed_fields(&self.policy.to_json(), &policy.to_json(), "", &mut changed);
        self.policy = policy;
        self.rules = derived.rules;
        self.decoy_answer_hash = derived.decoy_answer_hash;
        self.decoy_records = derived.decoy_records;
        self.decoy_sealing = derived.decoy_sealing;
        let mut ev = AuditEvent::new(now, AuditKind::PolicyChanged);
        ev.actor = Some(actor);
        ev.changed = changed.clone();
        self.audit(ev, &mut Vec::new());
        Ok(changed)
    }
}

/// `len` characters in groups of four random characters joined by hyphens
/// (`Hk7m-Pq2r-Tz9w-Hn4c` at 19), each drawn uniformly from 57: about 5.8 bits a character.
fn temporary_password(entropy: &mut Entropy<'_>, len: usize) -> Result<String, crate::PortError> {
    let random = entropy.string(TEMPORARY_ALPHABET, len)?;
    let mut chars = random.chars();
    let mut out = String::with_capacity(len);
    while out.len() < len {
        if out.len() % 5 == 4 && out.len() + 1 < len {
            out.push('-');
        } else if let Some(c) = chars.next() {
            out.push(c);
        }
    }
    Ok(out)
}
