//! Email addresses and phone numbers: validated, normalised, masked for display, and never
//! shown by `Debug`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InputError;

/// The longest email address accepted (RFC 5321 path limit).
pub(crate) const MAX_EMAIL_LEN: usize = 254;

/// A validated email address. The domain is lower-cased; the local part is kept as given.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address: surrounding white space is trimmed; one `@`, a non-empty local part of
    /// at most 64 characters, a domain with at least one dot, no white space or control characters.
    pub fn parse(input: &str) -> Result<Self, InputError> {
        const WHAT: &str = "email address";
        let s = input.trim();
        if s.chars().count() > MAX_EMAIL_LEN {
            return Err(InputError::TooLong {
                what: WHAT,
                max: MAX_EMAIL_LEN,
            });
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InputError::Malformed {
                what: WHAT,
                problem: "contains white space or control characters",
            });
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(InputError::Malformed {
                what: WHAT,
                problem: "has no @",
            });
        };
        if local.is_empty() || local.chars().count() > 64 || local.contains('@') {
            return Err(InputError::Malformed {
                what: WHAT,
                problem: "local part must be 1 to 64 characters without @",
            });
        }
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return Err(InputError::Malformed {
                what: WHAT,
                problem: "domain must be dot-separated labels of letters, digits and hyphens",
            });
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address, for delivery. Never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The display form: the first two characters of the local part, one `*` for each other
    /// character, then the domain: `al*********@fabrikam.example`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let n = local.chars().count();
        let keep = n.saturating_sub(1).min(2);
        let mut out: String = local.chars().take(keep).collect();
        out.extend(std::iter::repeat_n('*', n - keep));
        out.push('@');
        out.push_str(domain);
        out
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

/// A validated phone number in E.164 form (`+` then 8 to 15 digits, no leading zero).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    digits: String,
    country_len: u8,
}

impl PhoneNumber {
    /// Parses a number written in international form: a leading `+`, digits, and optionally
    /// spaces, dots, hyphens and parentheses between them (`+1 (425) 555-0100`). With the
    /// `phone-metadata` feature (on by default) the number must also be one in use in its
    /// country by libphonenumber's metadata: `+1 425 555 0100` passes, `+44 12345` does not.
    pub fn parse(input: &str) -> Result<Self, InputError> {
        let number = Self::parse_form(input)?;
        #[cfg(feature = "phone-metadata")]
        number.check_metadata()?;
        Ok(number)
    }

    /// Loads libphonenumber's metadata now rather than at the first number (about 80 ms, once
    /// a process). The engine calls it when it is built. Without `phone-metadata`, nothing.
    pub fn load_metadata() {
        #[cfg(feature = "phone-metadata")]
        let _ = phonenumber::parse(None, "+14255550100");
    }

    #[cfg(feature = "phone-metadata")]
    fn check_metadata(&self) -> Result<(), InputError> {
        // Only the normalised `+digits` form reaches the parser (at most 16 characters).
        let valid = phonenumber::parse(None, self.e164()).is_ok_and(|n| phonenumber::is_valid(&n));
        if valid {
            Ok(())
        } else {
            Err(InputError::Malformed {
                what: "phone number",
                problem: "is not a number in use in its country",
            })
        }
    }

    /// A number read back from a stored record: its form is checked, not the metadata, so that
    /// a number registered before the metadata changed still loads.
    pub(crate) fn parse_form(input: &str) -> Result<Self, InputError> {
        const WHAT: &str = "phone number";
        let s = input.trim();
        if s.len() > 40 {
            return Err(InputError::TooLong {
                what: WHAT,
                max: 40,
            });
        }
        let Some(rest) = s.strip_prefix('+') else {
            return Err(InputError::Malformed {
                what: WHAT,
                problem: "must start with + and the country calling code",
            });
        };
        let mut digits = String::with_capacity(15);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(InputError::Malformed {
                        what: WHAT,
                        problem: "may hold only digits, spaces, dots, hyphens and parentheses",
                    });
                }
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(InputError::Malformed {
                what: WHAT,
                problem: "must have 8 to 15 digits and a country calling code",
            });
        }
        let country_len = country_code_len(&digits);
        Ok(Self {
            digits,
            country_len,
        })
    }

    /// The number in E.164 form, for delivery (`+14255550100`). Never log it.
    pub fn e164(&self) -> String {
        format!("+{}", self.digits)
    }

    /// The country calling code, without `+` (`"1"`, `"44"`, `"358"`).
    pub fn country_code(&self) -> &str {
        &self.digits[..usize::from(self.country_len)]
    }

    /// The display form: country code, then `X` for every national digit but the last two:
    /// `+1 XXXXXXXX00`.
    pub fn masked(&self) -> String {
        let national = &self.digits[usize::from(self.country_len)..];
        let hidden = national.len().saturating_sub(2);
        let mut out = format!("+{} ", self.country_code());
        out.extend(std::iter::repeat_n('X', hidden));
        out.push_str(&national[hidden..]);
        out
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// The length of the ITU-T E.164 country calling code at the start of `digits`. Country codes
/// are prefix-free: `1` and `7` stand alone, these two-digit codes are assigned, and every other
/// code has three digits.
fn country_code_len(digits: &str) -> u8 {
    const TWO_DIGIT: [&str; 44] = [
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    match digits.as_bytes().first() {
        Some(b'1' | b'7') => 1,
        _ if TWO_DIGIT.contains(&&digits[..2]) => 2,
        _ => 3,
    }
}

macro_rules! string_serde {
    ($t:ty, $to:expr, $from:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&$to(self))
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $from(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}
string_serde!(
    EmailAddress,
    |e: &EmailAddress| e.0.clone(),
    EmailAddress::parse
);
string_serde!(PhoneNumber, PhoneNumber::e164, PhoneNumber::parse_form);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_masks_like_the_sign_in_screen() {
        let e = EmailAddress::parse("  alice.smith@Fabrikam.Example ").unwrap();
        assert_eq!(e.as_str(), "alice.smith@fabrikam.example");
        assert_eq!(e.masked(), "al*********@fabrikam.example");
        assert_eq!(EmailAddress::parse("ab@x.io").unwrap().masked(), "a*@x.io");
        assert_eq!(EmailAddress::parse("a@x.io").unwrap().masked(), "*@x.io");
        let shown = format!("{e:?}");
        assert!(!shown.contains("alice"), "{shown}");
    }

    #[test]
    fn bad_emails_get_typed_errors() {
        for bad in [
            "",
            "alice",
            "@x.io",
            "a@",
            "a@nodot",
            "a b@x.io",
            "a@x..io",
            "a@-x.io",
            "a\u{0}b@x.io",
        ] {
            assert!(
                matches!(EmailAddress::parse(bad), Err(InputError::Malformed { .. })),
                "{bad:?}"
            );
        }
        let long = format!("{}@x.io", "a".repeat(300));
        assert!(matches!(
            EmailAddress::parse(&long),
            Err(InputError::TooLong { max: 254, .. })
        ));
    }

    #[test]
    fn phones_normalise_and_mask() {
        let p = PhoneNumber::parse("+1 (425) 555-0100").unwrap();
        assert_eq!(p.e164(), "+14255550100");
        assert_eq!(p.country_code(), "1");
        assert_eq!(p.masked(), "+1 XXXXXXXX00");
        assert_eq!(
            PhoneNumber::parse("+44 20 7946 0958").unwrap().masked(),
            "+44 XXXXXXXX58"
        );
        assert_eq!(
            PhoneNumber::parse("+358 40 1234567")
                .unwrap()
                .country_code(),
            "358"
        );
        assert_eq!(
            PhoneNumber::parse("+7 912 345 67 89")
                .unwrap()
                .country_code(),
            "7"
        );
        let shown = format!("{p:?}");
        assert!(!shown.contains("5550100"), "{shown}");
        for bad in [
            "4255550100",
            "+1",
            "+0123456789",
            "+1 425 555 0100 ext 4",
            "+12345678901234567",
            "+",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let p: PhoneNumber = serde_json::from_str("\"+14255550100\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+14255550100\"");
        assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
    }

    #[cfg(feature = "phone-metadata")]
    #[test]
    fn numbers_not_in_use_in_their_country_are_refused() {
        for good in [
            "+1 (425) 555-0100",
            "+44 20 7946 0958",
            "+358 40 1234567",
            "+7 912 345 67 89",
            "+49 30 901820",
        ] {
            assert!(PhoneNumber::parse(good).is_ok(), "{good}");
        }
        // The right form, but no such number: too short for the UK, no such area code in
        // the NANP, too long for France, a country code nobody has.
        for bad in [
            "+44 12345678",
            "+1 011 555 0100",
            "+33 1234567890123",
            "+999 1234 5678",
        ] {
            assert!(PhoneNumber::parse_form(bad).is_ok(), "{bad} has the form");
            assert_eq!(
                PhoneNumber::parse(bad),
                Err(InputError::Malformed {
                    what: "phone number",
                    problem: "is not a number in use in its country",
                }),
                "{bad}"
            );
        }
    }

    #[cfg(feature = "phone-metadata")]
    #[test]
    fn a_stored_number_loads_whatever_the_metadata_says() {
        // Registered before the metadata changed: it still reads back.
        let p: PhoneNumber = serde_json::from_str("\"+44 12345678\"").unwrap();
        assert_eq!(p.e164(), "+4412345678");
    }
}
