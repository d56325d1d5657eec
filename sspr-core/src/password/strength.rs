//! Guessability in bounded time: a zxcvbn estimate that never costs more than a few
//! milliseconds, whatever the input.
//!
//! zxcvbn's cost explodes on long inputs and on inputs with many distinct l33t characters
//! (its l33t matcher enumerates substitution tables): 100 random characters take about 80 ms
//! and 20 distinct l33t characters about 40 ms in a release build. It also stops counting at
//! 10^19.27 guesses (a `u64`). sspr therefore:
//!
//! * calls zxcvbn on the whole password when a cost model says the call is cheap: at most
//!   16 characters with at most 8 distinct l33t characters, or at most 24 characters with at
//!   most 4. That covers typical passwords, whose estimate is then zxcvbn's own, exactly (24 is
//!   also below the length at which zxcvbn 3.1.1's keyboard-pattern arithmetic overflows);
//! * otherwise, if the password is one group repeated (`abcabcabc…`), estimates the group and
//!   multiplies by the repeat count, as zxcvbn's repeat matcher does;
//! * otherwise cuts it into segments that are each cheap (at most 16 characters with at most 4
//!   distinct l33t characters, or at most 10 with at most 8), preferring cuts just after a
//!   space or punctuation, estimates each segment, counts a repeated segment once plus the log
//!   of its repeats, and multiplies the guesses (adds the log10s). The result can exceed
//!   zxcvbn's cap, as long passphrases deserve.
//!
//! Only the first 256 characters are considered.

use zxcvbn::zxcvbn;

use super::feedback::{Feedback, MessageId};

/// Characters beyond this are not estimated.
pub const MAX_ESTIMATED_CHARS: usize = 256;

/// The characters zxcvbn's l33t table knows.
const L33T: &[char] = &[
    '4', '@', '8', '(', '{', '[', '<', '3', '6', '9', '1', '!', '|', '0', '$', '5', '+', '7', '%',
    '2',
];

/// An estimate of how guessable a password is.
#[derive(Debug, Clone, PartialEq)]
pub struct Strength {
    /// log10 of the estimated number of guesses.
    pub guesses_log10: f64,
    /// 0 (too guessable) to 4 (very unguessable), zxcvbn's meter.
    pub meter: u8,
    /// What to tell the user.
    pub feedback: Feedback,
}

fn distinct_l33t(chars: &[char]) -> usize {
    let mut seen = 0u32;
    for c in chars {
        if let Some(i) = L33T.iter().position(|l| l == c) {
            seen |= 1 << i;
        }
    }
    seen.count_ones() as usize
}

/// Whether zxcvbn may see the whole password: cheap enough, and short enough not to reach the
/// u64 overflow in zxcvbn 3.1.1's keyboard-pattern scoring (`degree.pow(turns)`, which panics
/// with overflow checks and wraps silently without them, from about 25 turns).
fn whole_is_cheap(chars: &[char]) -> bool {
    let d = distinct_l33t(chars);
    (chars.len() <= 16 && d <= 8) || (chars.len() <= 24 && d <= 4)
}

fn segment_is_cheap(chars: &[char]) -> bool {
    let d = distinct_l33t(chars);
    (chars.len() <= 16 && d <= 4) || (chars.len() <= 10 && d <= 8)
}

/// zxcvbn's meter from log10 guesses.
pub fn meter(guesses_log10: f64) -> u8 {
    match guesses_log10 {
        g if g < 3.0 => 0,
        g if g < 6.0 => 1,
        g if g < 8.0 => 2,
        g if g < 10.0 => 3,
        _ => 4,
    }
}

fn run_zxcvbn(s: &str, user_inputs: &[&str]) -> Strength {
    let e = zxcvbn(s, user_inputs);
    let mut feedback = Feedback::default();
    if let Some(f) = e.feedback() {
        feedback.warning = f.warning().map(MessageId::from);
        for s in f.suggestions() {
            feedback.suggest(MessageId::from(*s));
        }
    }
    Strength {
        guesses_log10: e.guesses_log10().max(0.0),
        meter: u8::from(e.score()),
        feedback,
    }
}

/// The smallest period of `chars` if it is one group repeated at least twice.
fn period(chars: &[char]) -> Option<usize> {
    (1..=chars.len() / 2).find(|&p| {
        chars
            .iter()
            .enumerate()
            .skip(p)
            .all(|(i, c)| *c == chars[i % p])
    })
}

/// Cuts `chars` into cheap segments, preferring to cut after a separator.
fn segments(chars: &[char]) -> Vec<&[char]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let mut end = start + 1;
        while end < chars.len() && segment_is_cheap(&chars[start..=end]) {
            end += 1;
        }
        if end < chars.len() {
            let half = start + (end - start) / 2;
            if let Some(cut) = (half..end).rev().find(|&i| !chars[i].is_alphanumeric()) {
                end = cut + 1;
            }
        }
        out.push(&chars[start..end]);
        start = end;
    }
    out
}

/// Estimates how many guesses `password` takes, in bounded time. `user_inputs` are words an
/// attacker would try first (names, username, organisation).
pub fn estimate(password: &str, user_inputs: &[&str]) -> Strength {
    let chars: Vec<char> = password.chars().take(MAX_ESTIMATED_CHARS).collect();
    estimate_chars(&chars, user_inputs)
}

fn estimate_chars(chars: &[char], user_inputs: &[&str]) -> Strength {
    if chars.is_empty() {
        return Strength {
            guesses_log10: 0.0,
            meter: 0,
            feedback: Feedback::default(),
        };
    }
    if whole_is_cheap(chars) {
        return run_zxcvbn(&chars.iter().collect::<String>(), user_inputs);
    }
    if let Some(p) = period(chars) {
        let mut base = estimate_chars(&chars[..p], user_inputs);
        base.guesses_log10 += (chars.len() as f64 / p as f64).log10();
        base.meter = meter(base.guesses_log10);
        base.feedback = Feedback {
            warning: Some(if p == 1 {
                MessageId::RepeatedCharacters
            } else {
                MessageId::RepeatedGroups
            }),
            suggestions: vec![MessageId::AvoidRepeats],
        };
        if base.meter >= 3 {
            base.feedback = Feedback::default();
        }
        return base;
    }
    let mut seen: Vec<(&[char], Strength, usize)> = Vec::new();
    for seg in segments(chars) {
        match seen.iter_mut().find(|(s, _, _)| *s == seg) {
            Some(entry) => entry.2 += 1,
            None => seen.push((seg, estimate_chars(seg, user_inputs), 1)),
        }
    }
    let guesses_log10: f64 = seen
        .iter()
        .map(|(_, s, n)| s.guesses_log10 + (*n as f64).log10())
        .sum();
    let meter = meter(guesses_log10);
    let feedback = if meter >= 3 {
        Feedback::default()
    } else {
        let weakest = seen
            .iter()
            .min_by(|a, b| a.1.guesses_log10.total_cmp(&b.1.guesses_log10))
            .map(|(_, s, _)| s.feedback.clone())
            .unwrap_or_default();
        let mut f = weakest;
        f.suggest(MessageId::AddAnotherWord);
        f
    };
    Strength {
        guesses_log10,
        meter,
        feedback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_passwords_get_zxcvbns_own_estimate() {
        for pw in [
            "password",
            "Winter-Lantern-58",
            "qwertyuiop12",
            "P@ssw0rd!",
            "correct horse battery",
            "Tr0ub4dor&3",
        ] {
            let ours = estimate(pw, &[]);
            let theirs = zxcvbn(pw, &[]);
            assert_eq!(ours.guesses_log10, theirs.guesses_log10(), "{pw}");
            assert_eq!(ours.meter, u8::from(theirs.score()), "{pw}");
        }
        assert!(estimate("qwertyuiop12", &[]).guesses_log10 < 10.0);
    }

    #[test]
    fn user_inputs_lower_the_estimate() {
        assert!(
            estimate("marguerite1987", &["Marguerite"]).guesses_log10
                < estimate("marguerite1987", &[]).guesses_log10
        );
    }

    #[test]
    fn repeats_stay_weak_at_any_length() {
        let s = estimate(&"a".repeat(256), &[]);
        assert!(s.guesses_log10 < 6.0, "{s:?}");
        assert_eq!(s.feedback.warning, Some(MessageId::RepeatedCharacters));
        let s = estimate(&"password".repeat(32), &[]);
        assert!(s.guesses_log10 < 6.0, "{s:?}");
        // 256 characters of a 20-character group: the group's estimate times 12.8 repeats.
        let group = "4@8({[<3691!|70$5+%2";
        let s = estimate(&group.repeat(13), &[]);
        let base = estimate(group, &[]);
        assert!(
            (s.guesses_log10 - (base.guesses_log10 + 12.8f64.log10())).abs() < 1e-9,
            "{s:?} {base:?}"
        );
    }

    #[test]
    fn long_passphrases_exceed_zxcvbns_cap() {
        let s = estimate(
            "violet tugboat ladders whisper under a copper moon by the quiet harbour",
            &[],
        );
        assert!(s.guesses_log10 > 19.3, "{s:?}");
        assert_eq!(s.meter, 4);
        assert_eq!(s.feedback, Feedback::default());
    }

    #[test]
    fn segments_are_cheap_and_cover_everything() {
        let chars: Vec<char> = "4@8({[<3691!|70$5+%2 and some words-here, 1234567890!@#$%^&*()"
            .chars()
            .collect();
        let segs = segments(&chars);
        assert_eq!(segs.iter().map(|s| s.len()).sum::<usize>(), chars.len());
        assert!(segs.iter().all(|s| segment_is_cheap(s)), "{segs:?}");
    }

    #[test]
    fn long_keypad_walks_do_not_overflow_zxcvbn() {
        // Found by fuzzing: zxcvbn overflows on this as a whole (a keypad walk with ~30 turns).
        let s = estimate("2020202020202020202021020202021", &[]);
        assert!(
            s.guesses_log10.is_finite() && s.guesses_log10 > 0.0,
            "{s:?}"
        );
        for n in 17..=64 {
            let walk: String = "20".repeat(40).chars().take(n).collect();
            assert!(estimate(&walk, &[]).guesses_log10.is_finite());
        }
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(estimate("", &[]).meter, 0);
    }
}
