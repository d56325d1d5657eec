//! Password rules: what a new password must pass.
//!
//! [`PasswordRules::evaluate`] applies the pure rules of the `password` policy section and
//! reports *every* failing reason, not only the first:
//!
//! * length in Unicode code points after NFKC normalisation (`password.too_short`,
//!   `password.too_long`);
//! * character classes out of lower case, upper case, digit and other
//!   (`password.too_few_classes`);
//! * confirmation (`password.mismatch`), compared after NFKC;
//! * banned terms, scored as Microsoft Entra Password Protection does (`password.banned`,
//!   see `banned.rs`);
//! * guessability (`password.too_guessable`, see `strength.rs`).
//!
//! Two more rules need the outside world: the history of previous passwords
//! ([`PasswordRules::check`], `password.reused`, against argon2 hashes the directory keeps) and
//! breached passwords (also [`PasswordRules::check`], `password.breached`, by k-anonymity through the
//! [`BreachChecker`] port, failing open or closed as the host chooses).
//!
//! A password longer than `max_chars` is refused without running the banned-term and
//! guessability checks, so hostile input costs nothing.

// Internals: the index is `pub` for testing::internals (benches and fuzz targets measure and
// cross-check it); its exact-scan twin serves them only.
#[cfg_attr(not(feature = "testing"), allow(unreachable_pub, dead_code))]
pub(crate) mod banned;
pub mod feedback;
#[cfg_attr(not(feature = "testing"), allow(unreachable_pub))] // internals
pub(crate) mod strength;
mod term;

use serde::Serialize;
use sha1::{Digest, Sha1};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, InputError, PortError};
use crate::hashing;
use crate::policy::PasswordPolicy;
use crate::ports::BreachChecker;
use crate::reason::Reason;
use crate::user::DirectoryUser;

use banned::BannedIndex;
pub use feedback::{Feedback, MessageId};

/// What the rules know about the user: the words an attacker would try first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFacts {
    /// Sign-in name; its local part (before `@`) is a banned term.
    pub username: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Organisation name.
    pub org_name: String,
}

impl From<&DirectoryUser> for UserFacts {
    fn from(u: &DirectoryUser) -> Self {
        Self {
            username: u.username.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            org_name: u.org_name.clone(),
        }
    }
}

impl UserFacts {
    fn words(&self) -> [&str; 4] {
        let local = self.username.split('@').next().unwrap_or_default();
        [&self.first_name, &self.last_name, local, &self.org_name]
    }
}

/// Whether the breached-password check passed, and how it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachStatus {
    /// Not checked (off in the policy, or not run yet).
    NotChecked,
    /// Checked: not found in any breach.
    Clean,
    /// Found in breaches this many times.
    Breached {
        /// Times seen.
        count: u64,
    },
    /// The breach service failed and the host chose to fail open.
    Unavailable,
}

/// What the host does when the breach service fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BreachMode {
    /// Accept the password as if it were not breached (and say so in the verdict).
    #[default]
    FailOpen,
    /// Fail the step with the port's error, so the user can retry later.
    FailClosed,
}

/// The verdict on a new password.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PasswordVerdict {
    /// Every rule the password fails, in a fixed order. Empty means accepted.
    pub reasons: Vec<Reason>,
    /// Length in code points after NFKC.
    pub length: usize,
    /// Character classes used (0 to 4).
    pub classes: u8,
    /// Banned-password score (`None` when the password is too long to be scored).
    pub banned_score: Option<u32>,
    /// log10 of the estimated guesses (`None` when too long to be estimated).
    pub guesses_log10: Option<f64>,
    /// 0 to 4 strength meter.
    pub meter: u8,
    /// What to tell the user.
    pub feedback: Feedback,
    /// The breached-password check.
    pub breach: BreachStatus,
}

impl PasswordVerdict {
    /// Whether every rule passed.
    pub fn accepted(&self) -> bool {
        self.reasons.is_empty()
    }

    fn fail(&mut self, reason: Reason, suggestion: Option<MessageId>) {
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
        if let Some(s) = suggestion {
            self.feedback.suggest(s);
        }
    }
}

/// NFKC normalisation, as every length and class rule sees the password.
pub(crate) fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// Counts the character classes used: lower case, upper case, digit, other.
pub(crate) fn classes(normalized: &str) -> u8 {
    let (mut lower, mut upper, mut digit, mut other) = (false, false, false, false);
    for c in normalized.chars() {
        if c.is_lowercase() {
            lower = true;
        } else if c.is_uppercase() {
            upper = true;
        } else if c.is_numeric() {
            digit = true;
        } else {
            other = true;
        }
    }
    [lower, upper, digit, other].iter().filter(|b| **b).count() as u8
}

/// The password rules of one policy, with the organisation's banned list indexed once.
#[derive(Debug, Clone)]
pub struct PasswordRules {
    policy: PasswordPolicy,
    custom: BannedIndex,
}

impl PasswordRules {
    /// Prepares the rules of `policy`.
    pub fn new(policy: &PasswordPolicy) -> Self {
        Self {
            policy: policy.clone(),
            custom: BannedIndex::new(policy.banned.iter().map(String::as_str)),
        }
    }

    /// The policy the rules apply.
    pub fn policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// The banned-password score of `password` for `user`.
    pub(crate) fn banned_score(&self, password: &str, user: &UserFacts) -> u32 {
        let pw = term::normalize_term(&normalize(password));
        let mut found = Vec::new();
        if self.policy.global_banned_list {
            BannedIndex::global().find(&pw, &mut found);
        }
        self.custom.find(&pw, &mut found);
        if self.policy.user_info {
            banned::find_exact(&banned::user_terms(&user.words()), &pw, &mut found);
        }
        banned::score(pw.len(), &found).score
    }

    /// Applies the pure rules. `confirm` is what the user typed in the confirmation box.
    pub fn evaluate(&self, password: &str, confirm: &str, user: &UserFacts) -> PasswordVerdict {
        let p = &self.policy;
        let normalized = normalize(password);
        let length = normalized.chars().count();
        let class_count = classes(&normalized);
        let mut v = PasswordVerdict {
            reasons: Vec::new(),
            length,
            classes: class_count,
            banned_score: None,
            guesses_log10: None,
            meter: 0,
            feedback: Feedback::default(),
            breach: BreachStatus::NotChecked,
        };
        let too_long = length > usize::from(p.max_chars);
        if !too_long {
            let inputs = user.words();
            let s = strength::estimate(&normalized, &inputs);
            v.guesses_log10 = Some(s.guesses_log10);
            v.meter = s.meter;
            v.feedback = s.feedback.clone();
            v.banned_score = Some(self.banned_score(password, user));
        }
        if length < usize::from(p.min_chars) {
            v.fail(Reason::PasswordTooShort, Some(MessageId::UseMoreCharacters));
        }
        if too_long {
            v.fail(Reason::PasswordTooLong, None);
        }
        if class_count < p.min_classes {
            v.fail(
                Reason::PasswordTooFewClasses,
                Some(MessageId::MixCharacterKinds),
            );
        }
        if v.banned_score
            .is_some_and(|s| s < u32::from(p.min_banned_score))
        {
            v.fail(Reason::PasswordBanned, Some(MessageId::AvoidBannedTerms));
        }
        if p.min_guesses_log10 > 0.0 && v.guesses_log10.is_some_and(|g| g < p.min_guesses_log10) {
            v.fail(Reason::PasswordTooGuessable, None);
        }
        if normalize(confirm) != normalized {
            v.fail(Reason::PasswordMismatch, None);
        }
        v
    }
}

impl PasswordRules {
    /// Every rule at once, as a reset's new-password step applies them: [`Self::evaluate`],
    /// then the history (read through `history(n)`, the newest `n` hashes, only when the
    /// policy keeps one and the password is not already too long) and, when the policy checks
    /// breaches, the breach service. A policy that checks breaches with no `breach` checker
    /// given is a [`MisuseError`](crate::MisuseError), before anything is evaluated: the check
    /// is never skipped silently.
    pub fn check(
        &self,
        password: &str,
        confirm: &str,
        user: &UserFacts,
        history: impl FnOnce(u8) -> Result<Vec<String>, Error>,
        breach: Option<(&dyn BreachChecker, BreachMode)>,
    ) -> Result<PasswordVerdict, Error> {
        let p = self.policy();
        if p.breached && breach.is_none() {
            return Err(crate::MisuseError::InvalidArgument {
                name: "breach",
                problem: "the policy checks breached passwords but no breach checker was given"
                    .into(),
            }
            .into());
        }
        let mut verdict = self.evaluate(password, confirm, user);
        if p.history > 0 && !verdict.reasons.contains(&Reason::PasswordTooLong) {
            check_history(&mut verdict, p, password, &history(p.history)?)?;
        }
        if p.breached
            && let Some((checker, mode)) = breach
        {
            check_breach(&mut verdict, password, checker, mode)?;
        }
        Ok(verdict)
    }
}

/// Refuses `password` if it matches one of the newest `policy.history` hashes in `history`
/// (argon2 PHC strings, newest first). A hash sspr cannot read is a corrupt record.
pub(crate) fn check_history(
    verdict: &mut PasswordVerdict,
    policy: &PasswordPolicy,
    password: &str,
    history: &[String],
) -> Result<(), InputError> {
    let mut reused = false;
    for phc in history.iter().take(usize::from(policy.history)) {
        reused |= hashing::verify(password.as_bytes(), phc)?;
    }
    if reused {
        verdict.fail(Reason::PasswordReused, Some(MessageId::ChooseANewPassword));
    }
    Ok(())
}

/// Upper-case hex SHA-1 of the password's UTF-8 bytes, as breach services index them.
pub(crate) fn sha1_hex(password: &str) -> String {
    data_encoding::HEXUPPER.encode(&Sha1::digest(password.as_bytes()))
}

/// Looks `password` up in breaches: only the first five hex digits of its SHA-1 leave the
/// process. With [`BreachMode::FailOpen`] a failing service leaves the verdict as it is and
/// records [`BreachStatus::Unavailable`]; with [`BreachMode::FailClosed`] the error is returned.
pub(crate) fn check_breach(
    verdict: &mut PasswordVerdict,
    password: &str,
    checker: &dyn BreachChecker,
    mode: BreachMode,
) -> Result<(), PortError> {
    let hex = sha1_hex(password);
    let (prefix, suffix) = hex.split_at(5);
    match checker.range(prefix.to_owned()) {
        Ok(entries) => {
            let count: u64 = entries
                .iter()
                .filter(|e| e.suffix.eq_ignore_ascii_case(suffix))
                .map(|e| e.count.max(1))
                .sum();
            if count > 0 {
                verdict.breach = BreachStatus::Breached { count };
                verdict.fail(
                    Reason::PasswordBreached,
                    Some(MessageId::ChooseAnUnbreachedPassword),
                );
            } else {
                verdict.breach = BreachStatus::Clean;
            }
            Ok(())
        }
        Err(e) => match mode {
            BreachMode::FailOpen => {
                verdict.breach = BreachStatus::Unavailable;
                Ok(())
            }
            BreachMode::FailClosed => Err(e),
        },
    }
}

#[cfg(test)]
mod tests;

/// The common-password list shipped with sspr (the source of the global banned list), one
/// password per item. Useful to seed an in-memory breach checker in tests and demos.
pub fn common_passwords() -> impl Iterator<Item = &'static str> {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}
