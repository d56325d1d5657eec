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

use crate::keyring::IdentityKey;
use crate::method::{Factor, Method, ResetOption};
use crate::policy::{ADMIN_METHODS, Policy};
use crate::questions;
use crate::reset::OfferedOption;

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
    pub fn validate(&self) -> Result<(), crate::error::MisuseError> {
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

/// A deterministic stream of bytes from a seed (HMAC in counter mode under the identity key).
struct Stream<'a> {
    key: &'a IdentityKey,
    seed: &'a str,
    block: [u8; 32],
    pos: usize,
    counter: u64,
}

impl<'a> Stream<'a> {
    fn new(key: &'a IdentityKey, seed: &'a str) -> Self {
        Self {
            key,
            seed,
            block: [0; 32],
            pos: 32,
            counter: 0,
        }
    }

    fn byte(&mut self) -> u8 {
        if self.pos >= self.block.len() {
            self.block = self
                .key
                .digest("decoy-stream", &format!("{}/{}", self.seed, self.counter));
            self.counter += 1;
            self.pos = 0;
        }
        let b = self.block[self.pos];
        self.pos += 1;
        b
    }

    /// Uniform in `0..n` (n ≥ 1), by rejection sampling on 32-bit words.
    fn below(&mut self, n: u32) -> u32 {
        let n = u64::from(n.max(1));
        let span = 1u64 << 32;
        let limit = span - span % n;
        loop {
            let w = u64::from(u32::from_be_bytes([
                self.byte(),
                self.byte(),
                self.byte(),
                self.byte(),
            ]));
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
    /// The security questions "registered": as many as a real user registers.
    pub questions: Vec<String>,
}

/// Draws the screen for the decoy whose counters are keyed by `subject` (a reference).
pub(crate) fn screen(
    key: &IdentityKey,
    subject: &str,
    policy: &Policy,
    profile: &DecoyProfile,
) -> DecoyScreen {
    let mut s = Stream::new(key, subject);
    let admin_like =
        policy.reset().methods_required < 2 && s.below(100) < u32::from(profile.admin_percent);
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
    let app_present_draw = |s: &mut Stream<'_>| s.below(2) == 0;
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
    let letters = |s: &mut Stream<'_>| char::from(b'a' + (s.below(26) as u8));
    let local_len = 5 + s.below(12) as usize; // 5 to 16 characters
    let mut email = String::new();
    email.push(letters(&mut s));
    email.push(letters(&mut s));
    email.extend(std::iter::repeat_n('*', local_len - 2));
    email.push('@');
    email.push_str(s.weighted(&profile.email_domains));
    let phone = |s: &mut Stream<'_>| {
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
    let mut pool: Vec<String> = questions::PREDEFINED
        .iter()
        .map(|q| (*q).to_owned())
        .chain(policy.security_questions().custom.iter().cloned())
        .collect();
    let mut registered = Vec::new();
    for _ in 0..policy.security_questions().to_register {
        if pool.is_empty() {
            break;
        }
        let i = s.below(pool.len() as u32) as usize;
        registered.push(pool.swap_remove(i));
    }
    DecoyScreen {
        gates,
        options,
        questions: registered,
    }
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
        for i in 0..2000 {
            let sc = screen(&k, &format!("s{i}"), &policy, &profile);
            gates[usize::from(sc.gates)] += 1;
            let set: Vec<ResetOption> = sc.options.iter().map(|o| o.option).collect();
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
