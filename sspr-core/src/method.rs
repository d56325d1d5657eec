//! Authentication methods, reset options and the factors they belong to.
//!
//! * A [`Method`] is what a policy enables and a user registers (seven of them).
//! * A [`ResetOption`] is what the "get back into your account" screen offers (eight of them:
//!   the mobile phone can text or call).
//! * A [`Factor`] is what counts as *distinct* for a two-gate reset: the authenticator app's code
//!   and its notification are one factor; each phone is its own.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A method a policy enables and a user registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Approve a notification in the authenticator app.
    AppNotification,
    /// Enter a code shown by the authenticator app.
    AppCode,
    /// Receive a code at an alternate email address.
    Email,
    /// Receive a code on a mobile phone, by text or call.
    MobilePhone,
    /// Receive a call on an office phone.
    OfficePhone,
    /// Answer security questions.
    SecurityQuestions,
    /// Enter one of ten single-use recovery codes made at registration and shown once.
    RecoveryCodes,
}

impl Method {
    /// All methods, in the order the policy document lists its defaults then the rest.
    pub const ALL: [Self; 7] = [
        Self::Email,
        Self::MobilePhone,
        Self::OfficePhone,
        Self::AppCode,
        Self::AppNotification,
        Self::SecurityQuestions,
        Self::RecoveryCodes,
    ];

    /// The method's name in policy documents.
    pub const fn id(self) -> &'static str {
        match self {
            Self::AppNotification => "app_notification",
            Self::AppCode => "app_code",
            Self::Email => "email",
            Self::MobilePhone => "mobile_phone",
            Self::OfficePhone => "office_phone",
            Self::SecurityQuestions => "security_questions",
            Self::RecoveryCodes => "recovery_codes",
        }
    }

    /// The factor this method proves.
    pub const fn factor(self) -> Factor {
        match self {
            Self::AppNotification | Self::AppCode => Factor::App,
            Self::Email => Factor::Email,
            Self::MobilePhone => Factor::MobilePhone,
            Self::OfficePhone => Factor::OfficePhone,
            Self::SecurityQuestions => Factor::SecurityQuestions,
            Self::RecoveryCodes => Factor::RecoveryCodes,
        }
    }

    /// Whether this is one of the two authenticator-app methods.
    pub const fn is_app(self) -> bool {
        matches!(self, Self::AppNotification | Self::AppCode)
    }

    /// The reset options this method offers, in screen order.
    pub const fn options(self) -> &'static [ResetOption] {
        match self {
            Self::AppNotification => &[ResetOption::AppNotification],
            Self::AppCode => &[ResetOption::AppCode],
            Self::Email => &[ResetOption::Email],
            Self::MobilePhone => &[ResetOption::MobileText, ResetOption::MobileCall],
            Self::OfficePhone => &[ResetOption::OfficeCall],
            Self::SecurityQuestions => &[ResetOption::SecurityQuestions],
            Self::RecoveryCodes => &[ResetOption::RecoveryCode],
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Method {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.id() == s)
            .ok_or(UnknownName)
    }
}

/// One of the choices on the "choose a contact method" screen of a reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetOption {
    /// Email a code to the alternate address.
    Email,
    /// Text a code to the mobile phone.
    MobileText,
    /// Call the mobile phone and read a code.
    MobileCall,
    /// Call the office phone and read a code.
    OfficeCall,
    /// Enter a code from the authenticator app.
    AppCode,
    /// Approve a notification on the authenticator app.
    AppNotification,
    /// Answer security questions.
    SecurityQuestions,
    /// Enter a recovery code.
    RecoveryCode,
}

impl ResetOption {
    /// All options.
    pub const ALL: [Self; 8] = [
        Self::Email,
        Self::MobileText,
        Self::MobileCall,
        Self::OfficeCall,
        Self::AppCode,
        Self::AppNotification,
        Self::SecurityQuestions,
        Self::RecoveryCode,
    ];

    /// The option's stable name.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::MobileText => "mobile_text",
            Self::MobileCall => "mobile_call",
            Self::OfficeCall => "office_call",
            Self::AppCode => "app_code",
            Self::AppNotification => "app_notification",
            Self::SecurityQuestions => "security_questions",
            Self::RecoveryCode => "recovery_code",
        }
    }

    /// The policy method this option belongs to.
    pub const fn method(self) -> Method {
        match self {
            Self::Email => Method::Email,
            Self::MobileText | Self::MobileCall => Method::MobilePhone,
            Self::OfficeCall => Method::OfficePhone,
            Self::AppCode => Method::AppCode,
            Self::AppNotification => Method::AppNotification,
            Self::SecurityQuestions => Method::SecurityQuestions,
            Self::RecoveryCode => Method::RecoveryCodes,
        }
    }

    /// The factor this option proves.
    pub const fn factor(self) -> Factor {
        self.method().factor()
    }
}

impl fmt::Display for ResetOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ResetOption {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|o| o.id() == s)
            .ok_or(UnknownName)
    }
}

/// What counts as one factor when a reset needs two *distinct* ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// The alternate email address.
    Email,
    /// The mobile phone (text and call are one factor).
    MobilePhone,
    /// The office phone.
    OfficePhone,
    /// The security questions.
    SecurityQuestions,
    /// The authenticator app (code and notification are one factor).
    App,
    /// The recovery codes (any one of them).
    RecoveryCodes,
}

/// A name is not one of the known method or option names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a known method or option name")]
pub struct UnknownName;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Method::ALL {
            assert_eq!(m.id().parse::<Method>(), Ok(m));
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.id())
            );
            for o in m.options() {
                assert_eq!(o.method(), m);
            }
        }
        for o in ResetOption::ALL {
            assert_eq!(o.id().parse::<ResetOption>(), Ok(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.id())
            );
        }
        assert_eq!("sms".parse::<Method>(), Err(UnknownName));
    }

    #[test]
    fn app_code_and_notification_are_one_factor() {
        assert_eq!(
            ResetOption::AppCode.factor(),
            ResetOption::AppNotification.factor()
        );
        assert_eq!(
            ResetOption::MobileText.factor(),
            ResetOption::MobileCall.factor()
        );
        assert_ne!(
            ResetOption::MobileCall.factor(),
            ResetOption::OfficeCall.factor()
        );
    }
}
