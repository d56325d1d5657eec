//! The policy document: what a tenant configures.
//!
//! A [`Policy`] is parsed from TOML or JSON ([`Policy::from_toml`], [`Policy::from_json`],
//! [`Policy::parse`]) and validated as it is parsed, so a `Policy` value can never be invalid:
//! every field has a value within its limits and the cross-field rules hold. A document that
//! breaks a rule gives a [`PolicyError`] naming the dotted path of the field
//! (`reset.methods_required`) and what is allowed there.
//!
//! Every field is optional; [`Policy::default`] is the empty document. The effective policy,
//! with every default filled in, is available as JSON or TOML ([`Policy::to_json`],
//! [`Policy::to_toml`]) and parses back to an equal policy.
//!
//! Administrators are held to a fixed rule whatever the document says
//! ([`Policy::requirement_for`]): two gates with distinct factors, chosen from email, mobile
//! phone, office phone and the authenticator app, never security questions; and self-service
//! reset is always enabled for them, as in Microsoft Entra ID.

mod odds;
mod parse;

use serde::{Serialize, Serializer};

use crate::method::Method;
use crate::user::DirectoryUser;

pub use odds::{
    GUESS_CEILING_PER_YEAR, GuessingOdds, MAX_AUTHENTICATORS, Odds, WEAKEST_ANSWER_GUESS,
};
pub use parse::PolicyError;

/// A validated policy. Build one with [`Policy::parse`], [`Policy::from_json`],
/// [`Policy::from_toml`], [`Policy::from_value`] or [`Policy::default`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    reset: ResetPolicy,
    registration: RegistrationPolicy,
    security_questions: QuestionPolicy,
    codes: CodePolicy,
    totp: TotpPolicy,
    notifications: NotificationPolicy,
    limits: LimitsPolicy,
    password: PasswordPolicy,
    help_desk: HelpDeskPolicy,
    password_change: PasswordChangePolicy,
}

/// Who may reset and how (`reset`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ResetPolicy {
    /// Which users may reset their password.
    pub enabled_for: Scope,
    /// The methods users may register and use, in the order options are offered.
    pub methods: Vec<Method>,
    /// How many gates (distinct factors) a non-administrator passes: 1 or 2.
    pub methods_required: u8,
    /// How long a reset or registration flow lives, in seconds (1 to 604,800: a week).
    pub session_ttl_s: u64,
    /// Whether a verified user may unlock the account without changing the password.
    pub unlock_without_reset: bool,
    /// Whether unknown, out-of-scope and unregistered users are told so (off by default: they
    /// get decoy flows that look like real ones).
    pub disclose_account_state: bool,
    /// Whether a completed reset also unlocks an account locked out of sign-in (on by default).
    pub unlock_on_reset: bool,
    /// Whether administrators may reset their own password (Entra's `AllowedToUseSspr`, on by
    /// default). Off, an administrator is out of scope like a user outside `enabled_for`.
    pub allow_administrators: bool,
    /// Whether the user types the whole phone number, compared with the one on file, before
    /// a text or a call (on by default, as Entra asks).
    pub confirm_phone_number: bool,
}

/// Changing a known password (`password_change`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PasswordChangePolicy {
    /// Whether a change signs the user out of every other session (on by default).
    pub revoke_sessions: bool,
}

/// Where a user who is stuck gets help (`help_desk`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HelpDeskPolicy {
    /// An email address or an `https://` URL, shown wherever a user is stuck; empty for none.
    pub contact: String,
}

/// Which users a reset policy applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everyone.
    All,
    /// No one (administrators excepted).
    None,
    /// Members of at least one of these groups (names compared without regard to case).
    Groups(Vec<String>),
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Self::All => s.serialize_str("all"),
            Self::None => s.serialize_str("none"),
            Self::Groups(g) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("groups", g)?;
                m.end()
            }
        }
    }
}

/// Registration of security info (`registration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RegistrationPolicy {
    /// Whether users without enough methods are sent to registration when they sign in.
    pub require_on_sign_in: bool,
    /// Days after which users are asked to re-confirm their info; 0 means never.
    pub reconfirm_days: u16,
    /// Days a user who is asked to register (or re-confirm) at sign-in may put it off ("not
    /// now"), 0 to 14; 0: never (asked at every sign-in). Entra's registration campaign
    /// `snoozeDurationInDays`, default 1.
    pub snooze_days: u8,
    /// How many times a user may put it off before registering is required, 0 to 100; 0:
    /// without limit. Entra's campaign allows 3 (`enforceRegistrationAfterAllowedSnoozes`,
    /// default on; off is "without limit"). Administrators never put it off.
    pub snoozes: u8,
}

/// Security questions (`security_questions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QuestionPolicy {
    /// How many questions a user answers when registering (3 to 5).
    pub to_register: u8,
    /// How many of those are asked in a reset (3 to 5, at most `to_register`).
    pub to_reset: u8,
    /// The organisation's own questions, offered beside the predefined ones.
    pub custom: Vec<String>,
}

/// Verification codes sent by email, text or call (`codes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CodePolicy {
    /// Digits in a code (6 to 10).
    pub digits: u8,
    /// Seconds a code stays valid (60 to 900).
    pub ttl_s: u64,
    /// Wrong entries allowed per code before it dies (1 to 10).
    pub max_attempts: u8,
}

/// Authenticator-app codes (`totp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TotpPolicy {
    /// Time steps accepted either side of the current one (0 to 10).
    pub skew_steps: u8,
}

/// Who is told about a completed reset (`notifications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NotificationPolicy {
    /// Notify the user at the username and the alternate email.
    pub user_on_reset: bool,
    /// Notify the other administrators when an administrator resets.
    pub admins_on_admin_reset: bool,
}

/// Throttles (`limits`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LimitsPolicy {
    /// Wrong codes, answers and push numbers per user across flows.
    pub verify_failures: Limit,
    /// Texts and calls per user and per number.
    pub phone_sends: Limit,
    /// Emails per user and per address.
    pub email_sends: Limit,
    /// Seconds between two sends to one destination in one flow (0 to 86,400).
    pub resend_cooldown_s: u64,
    /// Failed verifications in a row per user, across every window, after which self-service
    /// is locked until a help desk unblocks the user or the user signs in (1 to 1000; NIST SP
    /// 800-63B §5.2.2 allows at most 100).
    pub consecutive_failures: u32,
}

/// A counter limit: `max` events in `window_s` seconds blocks for `block_s` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Limit {
    /// Events allowed in a window (1 to 1000).
    pub max: u32,
    /// The window, in seconds (1 to 2,592,000: 30 days).
    pub window_s: u64,
    /// How long the block lasts, in seconds (1 to 2,592,000).
    pub block_s: u64,
}

/// Rules for a new password (`password`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PasswordPolicy {
    /// Fewest code points, after NFKC (8 to 256).
    pub min_chars: u16,
    /// Most code points, after NFKC (`min_chars` to 256).
    pub max_chars: u16,
    /// Character classes required out of lower, upper, digit, other (0 to 4).
    pub min_classes: u8,
    /// The organisation's banned terms (at most 1000, each 4 to 16 characters).
    pub banned: Vec<String>,
    /// Whether the built-in global banned list applies.
    pub global_banned_list: bool,
    /// Points a password needs under the banned-password scoring (0 to 256).
    pub min_banned_score: u16,
    /// Whether the user's names and organisation count as banned terms.
    pub user_info: bool,
    /// Least acceptable log10 of the estimated guesses (0 to 20; 0 turns the check off).
    pub min_guesses_log10: f64,
    /// How many previous passwords may not be reused (0 to 24).
    pub history: u8,
    /// Whether passwords found in breaches are refused.
    pub breached: bool,
}

impl Limit {
    /// A limit of `max` events in `window_s` seconds, blocking for `block_s` seconds.
    pub const fn new(max: u32, window_s: u64, block_s: u64) -> Self {
        Self {
            max,
            window_s,
            block_s,
        }
    }
}

/// What a reset requires of one user: which methods count and how many gates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequirement {
    /// Methods that may be used, in the order options are offered.
    pub methods: Vec<Method>,
    /// Gates to pass, each with a factor distinct from the others: 1 or 2.
    pub gates: u8,
}

/// The methods administrators may use, whatever the document says.
pub const ADMIN_METHODS: [Method; 5] = [
    Method::Email,
    Method::MobilePhone,
    Method::OfficePhone,
    Method::AppCode,
    Method::AppNotification,
];

impl Default for Policy {
    fn default() -> Self {
        Self {
            reset: ResetPolicy {
                enabled_for: Scope::All,
                methods: vec![
                    Method::Email,
                    Method::MobilePhone,
                    Method::AppCode,
                    Method::AppNotification,
                ],
                methods_required: 1,
                session_ttl_s: 900,
                unlock_without_reset: false,
                disclose_account_state: false,
                unlock_on_reset: true,
                confirm_phone_number: true,
                allow_administrators: true,
            },
            registration: RegistrationPolicy {
                require_on_sign_in: true,
                reconfirm_days: 180,
                snooze_days: 1,
                snoozes: 3,
            },
            security_questions: QuestionPolicy {
                to_register: 3,
                to_reset: 3,
                custom: Vec::new(),
            },
            codes: CodePolicy {
                digits: 8,
                ttl_s: 300,
                max_attempts: 3,
            },
            totp: TotpPolicy { skew_steps: 1 },
            notifications: NotificationPolicy {
                user_on_reset: true,
                admins_on_admin_reset: true,
            },
            limits: LimitsPolicy {
                verify_failures: Limit {
                    max: 5,
                    window_s: 3600,
                    block_s: 86_400,
                },
                phone_sends: Limit {
                    max: 5,
                    window_s: 3600,
                    block_s: 86_400,
                },
                email_sends: Limit {
                    max: 10,
                    window_s: 600,
                    block_s: 86_400,
                },
                resend_cooldown_s: 30,
                consecutive_failures: 100,
            },
            password: PasswordPolicy {
                min_chars: 8,
                max_chars: 256,
                min_classes: 0,
                banned: Vec::new(),
                global_banned_list: true,
                min_banned_score: 5,
                user_info: true,
                min_guesses_log10: 0.0,
                history: 0,
                breached: false,
            },
            help_desk: HelpDeskPolicy {
                contact: String::new(),
            },
            password_change: PasswordChangePolicy {
                revoke_sessions: true,
            },
        }
    }
}

impl Policy {
    /// Parses a document in JSON (when its first non-blank character is `{`) or else TOML.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        if text.trim_start().starts_with('{') {
            Self::from_json(text)
        } else {
            Self::from_toml(text)
        }
    }

    /// Parses a JSON document.
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            PolicyError::syntax(format!(
                "not valid JSON at line {} column {}",
                e.line(),
                e.column()
            ))
        })?;
        Self::from_value(&value)
    }

    /// Parses a TOML document.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let value: serde_json::Value = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" at line {line}")
                })
                .unwrap_or_default();
            PolicyError::syntax(format!("not valid TOML{at}: {}", e.message()))
        })?;
        Self::from_value(&value)
    }

    /// Validates a document already parsed into a JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, PolicyError> {
        parse::policy(value)
    }

    /// The effective policy as a JSON value, every default filled in.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The effective policy as a TOML document, every default filled in.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// `reset`.
    pub fn reset(&self) -> &ResetPolicy {
        &self.reset
    }
    /// `registration`.
    pub fn registration(&self) -> &RegistrationPolicy {
        &self.registration
    }
    /// `security_questions`.
    pub fn security_questions(&self) -> &QuestionPolicy {
        &self.security_questions
    }
    /// `codes`.
    pub fn codes(&self) -> &CodePolicy {
        &self.codes
    }
    /// `totp`.
    pub fn totp(&self) -> &TotpPolicy {
        &self.totp
    }
    /// `notifications`.
    pub fn notifications(&self) -> &NotificationPolicy {
        &self.notifications
    }
    /// `limits`.
    pub fn limits(&self) -> &LimitsPolicy {
        &self.limits
    }
    /// `password`.
    pub fn password(&self) -> &PasswordPolicy {
        &self.password
    }
    /// `help_desk`.
    pub fn help_desk(&self) -> &HelpDeskPolicy {
        &self.help_desk
    }
    /// `password_change`.
    pub fn password_change(&self) -> &PasswordChangePolicy {
        &self.password_change
    }

    /// The worst-case chance that an attacker guesses a code or the answers for one user, per
    /// day and per year, under this policy's limits.
    pub fn guessing_odds(&self) -> GuessingOdds {
        odds::odds(self)
    }

    /// Whether self-service reset is enabled for this user. For administrators, whether
    /// `reset.allow_administrators` is on (whatever `enabled_for` says).
    pub fn applies_to(&self, user: &DirectoryUser) -> bool {
        if user.admin {
            return self.reset.allow_administrators;
        }
        match &self.reset.enabled_for {
            Scope::All => true,
            Scope::None => false,
            Scope::Groups(groups) => user
                .groups
                .iter()
                .any(|g| groups.iter().any(|p| p.to_lowercase() == g.to_lowercase())),
        }
    }

    /// What a reset requires of a user: for administrators two gates from
    /// [`ADMIN_METHODS`]; for everyone else the document's methods and `methods_required`.
    pub fn requirement_for(&self, admin: bool) -> ResetRequirement {
        if admin {
            ResetRequirement {
                methods: ADMIN_METHODS.to_vec(),
                gates: 2,
            }
        } else {
            ResetRequirement {
                methods: self.reset.methods.clone(),
                gates: self.reset.methods_required,
            }
        }
    }

    /// Whether `method` may be registered by some user under this policy (the document's methods;
    /// the administrator methods other than questions are always registrable).
    pub fn allows_registration_of(&self, method: Method, admin: bool) -> bool {
        self.reset.methods.contains(&method) || (admin && ADMIN_METHODS.contains(&method))
    }
}

#[cfg(test)]
mod tests;
