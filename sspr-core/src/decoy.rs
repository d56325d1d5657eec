//! Decoy screens: what a reset flow shows for an unknown, out-of-scope or unregistered user.
//!
//! A decoy must not be told apart from a real user by anything an attacker can see. Its screen
//! is drawn once per identifier, from a seed that is a keyed hash of the identifier under the
//! never-rotated [`IdentityKey`](crate::keyring::IdentityKey): the same identifier always shows
//! the same screen (as a real user does), across key rotation and processes, and two
//! identifiers' screens are independent. The draw covers everything a real screen can be:
//!
//! * every option set the policy allows a real user to have (each method present or not, with
//!   enough distinct factors for the gates);
//! * one gate or two, as often as [`DecoyProfile::admin_percent`] says administrators are
//!   among the users (administrators always have two gates and the administrator methods);
//! * masked destinations with the calling codes and alternate-email domains the host declares
//!   typical for its users, and local parts and national numbers of realistic lengths;
//! * a pool of security questions of the size a real user registers, from which each draw
//!   asks as many as a real reset does.

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand_core::Rng;

use crate::contact::{EmailAddress, PhoneNumber};
use crate::keyring::IdentityKey;
use crate::method::{Factor, Method, ResetOption};
use crate::otp::OtpAlgorithm;
use crate::policy::{ADMIN_METHODS, Policy};
use crate::questions;
use crate::reset::OfferedOption;
use crate::security_info::{AppCredential, RegisteredAnswer, SecretBytes, SecurityInfo};

/// What a host's users typically look like, so that decoys look like them too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyProfile {
    /// Country calling codes of users' phones, with relative weights (`("1", 80), ("44", 20)`).
    pub calling_codes: Vec<(String, u32)>,
    /// Domains of users' alternate email addresses, with relative weights.
    pub email_domains: Vec<(String, u32)>,
    /// Percentage of users who are administrators (0 to 100): how many decoys show two gates
    /// and the administrator methods when the policy asks for one gate.
    pub admin_percent: u8,
}

impl Default for DecoyProfile {
    /// North American numbers and the large consumer mail providers; 2% administrators.
    fn default() -> Self {
        Self {
            calling_codes: vec![("1".into(), 1)],
            email_domains: [
                ("outlook.com", 30),
                ("gmail.com", 40),
                ("hotmail.com", 10),
                ("yahoo.com", 10),
                ("icloud.com", 10),
            ]
            .into_iter()
            .map(|(d, w)| (d.to_owned(), w))
            .collect(),
            admin_percent: 2,
        }
    }
}

impl DecoyProfile {
    /// Checks the profile: at least one calling code and one domain, positive weights, valid
    /// calling codes (1 to 3 digits) and domains, a percentage of at most 100.
    pub(crate) fn validate(&self) -> Result<(), crate::error::MisuseError> {
        let bad = |problem: &str| crate::error::MisuseError::InvalidArgument {
            name: "decoy profile",
            problem: problem.to_owned(),
        };
        if self.calling_codes.is_empty() || self.email_domains.is_empty() {
            return Err(bad("needs at least one calling code and one email domain"));
        }
        if self.calling_codes.len() > 300 || self.email_domains.len() > 1000 {
            return Err(bad("has too many entries"));
        }
        for (code, w) in &self.calling_codes {
            if *w == 0
                || !(1..=3).contains(&code.len())
                || !code.bytes().all(|b| b.is_ascii_digit())
                || code.starts_with('0')
            {
                return Err(bad(
                    "calling codes must be 1 to 3 digits with a positive weight",
                ));
            }
        }
        for (domain, w) in &self.email_domains {
            if *w == 0 || crate::contact::EmailAddress::parse(&format!("x@{domain}")).is_err() {
                return Err(bad("domains must be valid with a positive weight"));
            }
        }
        if self.admin_percent > 100 {
            return Err(bad("admin_percent must be at most 100"));
        }
        Ok(())
    }
}

/// A deterministic stream from a seed: ChaCha20 keyed by one HMAC of the seed under the
/// identity key (one keyed hash per screen, then a fast cipher stream).
struct Stream {
    rng: ChaCha20Rng,
}

impl Stream {
    fn new(key: &IdentityKey, seed: &str) -> Self {
        Self {
            rng: ChaCha20Rng::from_seed(key.digest("decoy-stream", seed)),
        }
    }

    /// Uniform in `0..n` (n ≥ 1), by rejection sampling on 32-bit words.
    fn below(&mut self, n: u32) -> u32 {
        let n = u64::from(n.max(1));
        let span = 1u64 << 32;
        let limit = span - span % n;
        loop {
            let w = u64::from(self.rng.next_u32());
            if w < limit {
                return (w % n) as u32;
            }
        }
    }

    fn weighted<'b>(&mut self, items: &'b [(String, u32)]) -> &'b str {
        let total: u32 = items.iter().map(|(_, w)| *w).fold(0, u32::saturating_add);
        let mut pick = self.below(total.max(1));
        for (item, w) in items {
            if pick < *w {
                return item;
            }
            pick -= w;
        }
        items.first().map_or("1", |(i, _)| i.as_str())
    }
}

/// Typical national number lengths by calling code (the masked form shows all but two digits
/// as `X`, so the length is visible).
fn national_len(code: &str) -> usize {
    match code {
        "1" | "7" | "39" | "44" | "52" | "81" | "82" | "91" => 10,
        "49" => 11,
        "55" | "86" => 11,
        "33" | "31" | "34" | "32" | "41" | "45" | "46" | "47" | "48" | "61" | "351" => 9,
        _ => 9,
    }
}

/// A decoy's screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecoyScreen {
    /// Gates: 1 or 2.
    pub gates: u8,
    /// Options in screen order, with masked destinations.
    pub options: Vec<OfferedOption>,
    /// Every option the drawn role lists (as a real user of that role sees them).
    pub listed: Vec<ResetOption>,
    /// The questions it "has registered" (indices into the predefined, then the custom ones).
    pub questions: Vec<u16>,
}

/// Draws the screen for the decoy whose counters are keyed by `subject` (a reference).
pub(crate) fn screen(
    key: &IdentityKey,
    subject: &str,
    policy: &Policy,
    profile: &DecoyProfile,
) -> DecoyScreen {
    let mut s = Stream::new(key, subject);
    let admin_percent = u32::from(profile.admin_percent);
    // Administrators are among the users whatever the policy: under one gate they differ by
    // their second gate, under two by the administrator methods their screen lists. (Under two
    // gates the draw has a stream of its own, so that one-gate screens stay what they were.)
    let admin_like = if policy.reset().methods_required < 2 {
        s.below(100) < admin_percent
    } else {
        Stream::new(key, &format!("{subject}#administrator")).below(100) < admin_percent
    };
    let req = policy.requirement_for(admin_like);
    let gates = req.gates;
    let methods: Vec<Method> = if admin_like {
        ADMIN_METHODS.to_vec()
    } else {
        req.methods.clone()
    };
    // Each method is registered or not; the app's two methods go together, as a registered
    // app gives both. Redraw until the set has enough distinct factors for the gates (a real
    // user with fewer would be a decoy anyway).
    let app_present_draw = |s: &mut Stream| s.below(2) == 0;
    let mut chosen: Vec<Method>;
    let mut tries = 0;
    loop {
        let app = app_present_draw(&mut s);
        chosen = methods
            .iter()
            .copied()
            .filter(|m| if m.is_app() { app } else { s.below(2) == 0 })
            .collect();
        let mut factors: Vec<Factor> = chosen.iter().map(|m| m.factor()).collect();
        factors.sort_unstable();
        factors.dedup();
        tries += 1;
        if factors.len() >= usize::from(gates) || tries >= 64 {
            break;
        }
    }
    if chosen.is_empty() {
        chosen = methods
            .iter()
            .copied()
            .filter(|m| !m.is_app())
            .take(2)
            .collect();
    }
    let letters = |s: &mut Stream| char::from(b'a' + (s.below(26) as u8));
    let local_len = 5 + s.below(12) as usize; // 5 to 16 characters
    let mut email = String::new();
    email.push(letters(&mut s));
    email.push(letters(&mut s));
    email.extend(std::iter::repeat_n('*', local_len - 2));
    email.push('@');
    email.push_str(s.weighted(&profile.email_domains));
    let phone = |s: &mut Stream| {
        let code = s.weighted(&profile.calling_codes).to_owned();
        let hidden = national_len(&code) - 2;
        format!("+{code} {}{:02}", "X".repeat(hidden), s.below(100))
    };
    let mobile = phone(&mut s);
    let office = phone(&mut s);
    let mut options = Vec::new();
    for m in &chosen {
        for &option in m.options() {
            let masked = match option {
                ResetOption::Email => Some(email.clone()),
                ResetOption::MobileText | ResetOption::MobileCall => Some(mobile.clone()),
                ResetOption::OfficeCall => Some(office.clone()),
                _ => None,
            };
            options.push(OfferedOption {
                option,
                masked,
                factor: option.factor(),
            });
        }
    }
    let questions = question_pool(&mut s, policy);
    // The default method, whose options a real user's screen shows first: a real user's
    // default is the method they registered first unless they changed it, so any of their
    // methods may lead. A decoy draws its default uniformly among its own methods (the app's
    // code and notification count as one method, becoming the default by the rule a real
    // user's first app does), from the same per-identifier stream, after every other draw so
    // that the option sets, masks and questions stay what they were. The first option is
    // then as stable per identifier as a real user's and can be any method the set holds.
    let mut groups: Vec<Method> = Vec::new();
    for m in &chosen {
        let m = crate::registration::app_default(*m, &chosen);
        if !groups.contains(&m) {
            groups.push(m);
        }
    }
    if !groups.is_empty() {
        let pick = s.below(u32::try_from(groups.len()).unwrap_or(u32::MAX)) as usize;
        if let Some(&d) = groups.get(pick) {
            crate::reset::default_first(&mut options, d);
        }
    }
    DecoyScreen {
        gates,
        options,
        listed: crate::reset::listed_options(&methods),
        questions,
    }
}

/// The security questions a decoy "has registered": as many as a real user registers, drawn
/// once per identifier from the predefined and the policy's custom questions, as indices.
fn question_pool(s: &mut Stream, policy: &Policy) -> Vec<u16> {
    let total = questions::PREDEFINED.len() + policy.security_questions().custom.len();
    let mut pool: Vec<u16> = (0..u16::try_from(total).unwrap_or(u16::MAX)).collect();
    let mut registered = Vec::new();
    for _ in 0..policy.security_questions().to_register {
        if pool.is_empty() {
            break;
        }
        let i = s.below(u32::try_from(pool.len()).unwrap_or(u32::MAX)) as usize;
        registered.push(pool.swap_remove(i.min(pool.len() - 1)));
    }
    registered
}

/// The question texts at `indices` (out-of-range indices, from a tampered record, are skipped).
pub(crate) fn questions_at(indices: &[u16], policy: &Policy) -> Vec<String> {
    let custom = &policy.security_questions().custom;
    indices
        .iter()
        .filter_map(|&i| {
            let i = usize::from(i);
            (i < questions::PREDEFINED.len())
                .then(|| questions::id_at(i))
                .or_else(|| custom.get(i - questions::PREDEFINED.len().min(i)).cloned())
        })
        .collect()
}

/// The methods a screen shows, as a bit set (the index of its representative record).
pub(crate) fn shape(options: &[OfferedOption]) -> usize {
    options.iter().fold(0, |acc, o| {
        acc | match o.option {
            ResetOption::Email => 1,
            ResetOption::MobileText | ResetOption::MobileCall => 2,
            ResetOption::OfficeCall => 4,
            ResetOption::AppCode | ResetOption::AppNotification => 8,
            ResetOption::SecurityQuestions => 16,
            ResetOption::RecoveryCode => 32,
        }
    })
}

/// For every screen shape, a security-info record of that shape (the methods it shows, with
/// `answers` hashed answers when it shows questions), which a decoy parses where a real user's
/// record is parsed, so its steps cost what a real user's with those methods do.
pub(crate) fn representative_records(
    key: &IdentityKey,
    answer_hash: &str,
    answers: u8,
) -> Vec<String> {
    let secret = app_secret(key, "representative");
    // Ten digests of the stored length (a user's first batch).
    let digests: Vec<String> = (0..crate::recovery::BATCH)
        .map(|i| {
            data_encoding::BASE64URL_NOPAD.encode(&key.digest("decoy-recovery", &i.to_string()))
        })
        .collect();
    (0..64usize)
        .map(|bits| {
            SecurityInfo {
                email: (bits & 1 != 0)
                    .then(|| EmailAddress::parse("someone.typical@example.com").ok())
                    .flatten(),
                mobile: (bits & 2 != 0)
                    .then(|| PhoneNumber::parse("+14255550100").ok())
                    .flatten(),
                office: (bits & 4 != 0)
                    .then(|| PhoneNumber::parse("+14255550199").ok())
                    .flatten(),
                apps: (bits & 8 != 0)
                    .then(|| AppCredential {
                        secret: SecretBytes::new(secret.to_vec()),
                        algorithm: OtpAlgorithm::Sha1,
                        digits: 6,
                        period: 30,
                        last_step: Some(58_333_333),
                        device_id: "device-0123456789abcdef".into(),
                    })
                    .into_iter()
                    .collect(),
                questions: if bits & 16 != 0 {
                    (0..usize::from(answers).min(questions::PREDEFINED.len()))
                        .map(|i| RegisteredAnswer {
                            question: questions::id_at(i),
                            answer_hash: answer_hash.to_owned(),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                recovery_codes: if bits & 32 != 0 {
                    digests.clone()
                } else {
                    Vec::new()
                },
                confirmed_at: Some(1_750_000_000),
                ..SecurityInfo::default()
            }
            .to_record()
        })
        .collect()
}

/// The calling code shown in a masked number (`+44 XXXXXXXX12` → `44`).
pub(crate) fn calling_code_of_mask(masked: &str) -> Option<String> {
    let rest = masked.strip_prefix('+')?;
    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!code.is_empty()).then_some(code)
}

/// A decoy's authenticator secret: compared against like a real one (same cost), never
/// accepted.
pub(crate) fn app_secret(key: &IdentityKey, subject: &str) -> [u8; 20] {
    let d = key.digest("decoy-app", subject);
    let mut out = [0u8; 20];
    out.copy_from_slice(&d[..20]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> IdentityKey {
        IdentityKey::new(vec![9; 32]).unwrap()
    }

    #[test]
    fn a_screen_is_stable_per_identifier_and_covers_every_option_set() {
        let policy = Policy::parse(
            r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone", "app_code",
                "app_notification"], "methods_required": 1}}"#,
        )
        .unwrap();
        let profile = DecoyProfile {
            calling_codes: vec![("1".into(), 1), ("44".into(), 1)],
            admin_percent: 10,
            ..DecoyProfile::default()
        };
        let k = key();
        let a = screen(&k, "subject-a", &policy, &profile);
        assert_eq!(a, screen(&k, "subject-a", &policy, &profile));
        let mut sets = std::collections::BTreeSet::new();
        let mut gates = [0u32; 3];
        let mut codes = std::collections::BTreeSet::new();
        let mut leads = std::collections::BTreeSet::new();
        for i in 0..2000 {
            let sc = screen(&k, &format!("s{i}"), &policy, &profile);
            gates[usize::from(sc.gates)] += 1;
            let mut set: Vec<ResetOption> = sc.options.iter().map(|o| o.option).collect();
            leads.insert(set[0]);
            set.sort();
            sets.insert(set);
            for o in &sc.options {
                if let Some(c) = o.masked.as_deref().and_then(calling_code_of_mask) {
                    codes.insert(c);
                }
            }
            assert_eq!(sc.questions.len(), 3);
        }
        // Every non-empty combination of the four method groups (app code+notification go
        // together), one gate: 15 sets; two-gate administrators draw from the same groups.
        assert_eq!(sets.len(), 15, "{sets:?}");
        // Any method may lead (its default); a phone by its text, the app by its notification.
        assert_eq!(
            leads.into_iter().collect::<Vec<_>>(),
            [
                ResetOption::Email,
                ResetOption::MobileText,
                ResetOption::OfficeCall,
                ResetOption::AppNotification
            ]
        );
        assert!(gates[2] > 100 && gates[2] < 300, "{gates:?}");
        assert_eq!(codes.into_iter().collect::<Vec<_>>(), ["1", "44"]);
    }

    #[test]
    fn bad_profiles_are_refused() {
        assert!(DecoyProfile::default().validate().is_ok());
        for p in [
            DecoyProfile {
                calling_codes: vec![],
                ..DecoyProfile::default()
            },
            DecoyProfile {
                calling_codes: vec![("0".into(), 1)],
                ..DecoyProfile::default()
            },
            DecoyProfile {
                email_domains: vec![("not a domain".into(), 1)],
                ..DecoyProfile::default()
            },
            DecoyProfile {
                admin_percent: 101,
                ..DecoyProfile::default()
            },
        ] {
            assert!(p.validate().is_err(), "{p:?}");
        }
    }
}
