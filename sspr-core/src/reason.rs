//! Reason ids: the stable, user-facing outcome of a step.
//!
//! A reason id is what a host shows (after translating it) when a step does not go the user's
//! way: a wrong code, a weak password, a block. Reason ids are part of the public contract and
//! never change spelling; see the conformance format.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident => $id:literal, )*) => {
        /// A stable, user-facing reason id such as `code.mismatch`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Reason {
            $( $(#[$doc])* $variant, )*
        }

        impl Reason {
            /// Every reason id, in declaration order.
            pub const ALL: &'static [Reason] = &[ $( Reason::$variant, )* ];

            /// The reason's stable id, for example `"code.mismatch"`.
            pub const fn id(self) -> &'static str {
                match self { $( Reason::$variant => $id, )* }
            }
        }

        impl FromStr for Reason {
            type Err = UnknownReason;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $id => Ok(Reason::$variant), )*
                    _ => Err(UnknownReason),
                }
            }
        }
    };
}

reasons! {
    /// The CAPTCHA answer was wrong or missing.
    CaptchaFailed => "captcha.failed",
    /// The code entered is not the one sent (or shown by the app).
    CodeMismatch => "code.mismatch",
    /// The code is no longer valid; request a new one.
    CodeExpired => "code.expired",
    /// Too many wrong entries for this code; choose a method again.
    CodeExhausted => "code.exhausted",
    /// At least one security answer is wrong.
    AnswersWrong => "answers.wrong",
    /// The user denied the sign-in request on the app ("this wasn't me").
    PushDenied => "push.denied",
    /// The number chosen on the app is not the number shown.
    PushNumberMismatch => "push.number_mismatch",
    /// The chosen option is not offered here.
    OptionUnavailable => "option.unavailable",
    /// A new code was requested too soon after the last one.
    SendCooldown => "send.cooldown",
    /// The user is blocked for a while after too many attempts.
    UserBlocked => "user.blocked",
    /// Self-service is locked after too many failures in a row; a help desk must unblock it
    /// (or the user signs in successfully).
    UserLocked => "user.locked",
    /// No account has this identifier (only with `disclose_account_state`).
    UserUnknown => "user.unknown",
    /// Self-service reset is not enabled for this account (only with `disclose_account_state`).
    UserNotEnabled => "user.not_enabled",
    /// The account has not registered enough methods (only with `disclose_account_state`).
    UserNotRegistered => "user.not_registered",
    /// The flow timed out; start again.
    FlowExpired => "flow.expired",
    /// This step is not possible in the flow's current state.
    FlowInvalidStep => "flow.invalid_step",
    /// The current password given to re-authenticate is wrong.
    ReauthFailed => "reauth.failed",
    /// Registration cannot finish before enough methods are registered.
    RegistrationIncomplete => "registration.incomplete",
    /// The address, number or answers given for a method are not acceptable.
    MethodInvalid => "method.invalid",
    /// Changing security info needs proof with a method already registered first.
    ProofRequired => "proof.required",
    /// The temporary access pass is wrong, expired or already used.
    AccessPassInvalid => "access_pass.invalid",
    /// A "this wasn't me" token is unknown, already used or expired.
    NoticeInvalid => "notice.invalid",
    /// Registration may not be put off now: it is not asked for, the policy allows no snooze
    /// (`registration.snooze_days` 0), the user used every snooze (`registration.snoozes`),
    /// or the user is an administrator.
    SnoozeUnavailable => "snooze.unavailable",
    /// The password has fewer characters than the policy requires.
    PasswordTooShort => "password.too_short",
    /// The password has more characters than the policy allows.
    PasswordTooLong => "password.too_long",
    /// The password uses fewer character classes than the policy requires.
    PasswordTooFewClasses => "password.too_few_classes",
    /// The password is built from banned terms.
    PasswordBanned => "password.banned",
    /// The password would be guessed too quickly.
    PasswordTooGuessable => "password.too_guessable",
    /// The password was used recently.
    PasswordReused => "password.reused",
    /// The confirmation differs from the password.
    PasswordMismatch => "password.mismatch",
    /// The password appears in a known breach.
    PasswordBreached => "password.breached",
    /// Another new password for this flow is being applied; enter the same password again to
    /// finish, or wait and try another.
    PasswordChangePending => "password.change_pending",
    /// The directory refused the new password (a policy or history of its own, on premises for
    /// example); choose another.
    PasswordRefused => "password.refused",
    /// A one-time password is not made of the expected number of digits.
    TotpMalformed => "totp.malformed",
    /// No step in the accepted window matches the one-time password.
    TotpInvalid => "totp.invalid",
    /// The one-time password's step was already used.
    TotpReplay => "totp.replay",
}

impl Reason {
    /// Whether this refusal leaves the user needing help: nothing they can retry now mends it
    /// (views then carry the policy's help-desk contact).
    pub const fn needs_help(self) -> bool {
        matches!(
            self,
            Self::UserBlocked
                | Self::UserLocked
                | Self::FlowExpired
                | Self::PasswordRefused
                | Self::UserNotEnabled
                | Self::UserNotRegistered
                | Self::ReauthFailed
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A string is not a known reason id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a known reason id")]
pub struct UnknownReason;

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom("unknown reason id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.id()), "duplicate id {}", r.id());
            assert_eq!(r.id().parse::<Reason>(), Ok(*r));
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.id()));
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), *r);
        }
        assert_eq!(Reason::ALL.len(), 36);
        assert_eq!("code.nope".parse::<Reason>(), Err(UnknownReason));
    }
}
