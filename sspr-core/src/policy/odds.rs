//! The worst-case chance that an online attacker guesses one user's way in, from the policy's
//! limits: what `policy-check` prints and what the policy ceiling is checked against.
//!
//! The attacker is assumed to make every guess the limits let through, from as many clients as
//! they like (the per-client limit does not bound one user), forever:
//!
//! * in one window of `verify_failures.window_s` they may fail `max − 1` times without being
//!   blocked, or `max` times and then wait `block_s`; whichever gives more guesses per day;
//! * across every window, at most `consecutive_failures` failures in a row before self-service
//!   locks (NIST SP 800-63B §5.2.2); the budget starts again only when the user completes a
//!   reset or signs in;
//! * each guess at a delivered code succeeds with 1/10^digits, at an authenticator code with
//!   (2·skew + 1)·[`MAX_AUTHENTICATORS`]/10^6: every code in the window of every credential a
//!   user may hold (five apps and five hardware tokens, six digits) is accepted;
//! * each guess at the security answers succeeds with q^n for n answers asked, q being the
//!   chance of guessing one answer at the first try. sspr takes q = [`WEAKEST_ANSWER_GUESS`]:
//!   19.7%, the first-guess success rate Bonneau et al. measured for the weakest common question
//!   (English speakers' "favourite food", WWW 2015 "Secrets, Lies, and Account Recovery").
//!
//! Chances are the union bound `min(1, guesses × p)`: an upper bound, never an average.

use serde::Serialize;

use super::Policy;

/// The highest chance per year the policy accepts that one user's delivered or authenticator
/// code is guessed: 1%. With the default budget of 100 failures in a row, a skew of up to four
/// steps stays under it (0.9% for a user holding ten authenticators); a larger skew needs a
/// smaller budget.
pub const GUESS_CEILING_PER_YEAR: f64 = 0.01;

/// The most authenticator credentials one user may hold (apps and hardware tokens): one guess
/// at an authenticator code is compared with every one of them.
pub const MAX_AUTHENTICATORS: u32 = 10;

/// The chance of guessing one security answer at the first try, for the weakest common
/// question (Bonneau et al., WWW 2015).
pub const WEAKEST_ANSWER_GUESS: f64 = 0.197;

const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

/// Worst-case chances over one horizon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Odds {
    /// Failed verifications the limits allow over the horizon.
    pub guesses: u64,
    /// Chance of guessing a code sent by email, text or call.
    pub delivered_code: f64,
    /// Chance of guessing an authenticator-app code.
    pub app_code: f64,
    /// Chance of guessing the security answers (`None` when the policy offers no questions).
    pub answers: Option<f64>,
}

/// Worst-case chances per day and per year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GuessingOdds {
    /// Over one day.
    pub per_day: Odds,
    /// Over one year.
    pub per_year: Odds,
}

fn windowed_guesses(p: &Policy, horizon: u64) -> u64 {
    let l = p.limits.verify_failures;
    let window = l.window_s.max(1);
    let windows = horizon.div_ceil(window);
    let unblocked = u64::from(l.max.saturating_sub(1)).saturating_mul(windows);
    let cycle = l.block_s.max(window);
    let blocked = u64::from(l.max).saturating_mul(horizon.div_ceil(cycle));
    unblocked.max(blocked)
}

fn chance(guesses: u64, p: f64) -> f64 {
    (guesses as f64 * p).min(1.0)
}

fn over(p: &Policy, horizon: u64) -> Odds {
    let guesses = windowed_guesses(p, horizon).min(u64::from(p.limits.consecutive_failures));
    let delivered = 10f64.powi(-i32::from(p.codes.digits));
    let app = f64::from((2 * u32::from(p.totp.skew_steps) + 1) * MAX_AUTHENTICATORS) / 1e6;
    let questions = p
        .reset
        .methods
        .contains(&crate::method::Method::SecurityQuestions);
    Odds {
        guesses,
        delivered_code: chance(guesses, delivered),
        app_code: chance(guesses, app),
        answers: questions.then(|| {
            chance(
                guesses,
                WEAKEST_ANSWER_GUESS.powi(i32::from(p.security_questions.to_reset)),
            )
        }),
    }
}

pub(super) fn odds(p: &Policy) -> GuessingOdds {
    GuessingOdds {
        per_day: over(p, DAY),
        per_year: over(p, YEAR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_odds() {
        let o = Policy::default().guessing_odds();
        // 4 failures an hour without a block: 96 a day; the budget of 100 caps the year.
        assert_eq!(o.per_day.guesses, 96);
        assert_eq!(o.per_year.guesses, 100);
        assert!((o.per_year.delivered_code - 100.0 * 1e-8).abs() < 1e-15);
        assert!((o.per_year.app_code - 3000.0 / 1e6).abs() < 1e-12);
        // Ten credentials of a user, each with its window.
        assert_eq!(
            MAX_AUTHENTICATORS as usize,
            crate::security_info::MAX_APPS + crate::security_info::MAX_TOKENS
        );
        assert_eq!(o.per_year.answers, None);
    }

    #[test]
    fn the_ceiling_refuses_a_budget_too_large_for_the_totp_window() {
        let ok = Policy::parse(r#"{"totp": {"skew_steps": 4}}"#).unwrap();
        assert!(ok.guessing_odds().per_year.app_code < GUESS_CEILING_PER_YEAR);
        let err = Policy::parse(r#"{"totp": {"skew_steps": 5}}"#).unwrap_err();
        assert_eq!(err.field, "limits.consecutive_failures");
        let ok = Policy::parse(
            r#"{"totp": {"skew_steps": 10}, "limits": {"consecutive_failures": 40}}"#,
        )
        .unwrap();
        assert!(ok.guessing_odds().per_year.app_code < GUESS_CEILING_PER_YEAR);
        let err = Policy::parse(
            r#"{"totp": {"skew_steps": 10}, "limits": {"consecutive_failures": 500}}"#,
        )
        .unwrap_err();
        assert_eq!(err.field, "limits.consecutive_failures");
        let err = Policy::parse(r#"{"limits": {"consecutive_failures": 0}}"#).unwrap_err();
        assert_eq!(err.field, "limits.consecutive_failures");
        // Zero-length windows and blocks are refused.
        for doc in [
            r#"{"limits": {"verify_failures": {"window_s": 0}}}"#,
            r#"{"limits": {"phone_sends": {"block_s": 0}}}"#,
        ] {
            assert!(Policy::parse(doc).is_err(), "{doc}");
        }
        // Questions are reported, with their (poor) odds.
        let q = Policy::parse(
            r#"{"reset": {"methods": ["email", "security_questions"], "methods_required": 1}}"#,
        )
        .unwrap();
        let a = q.guessing_odds().per_year.answers.unwrap();
        assert!(a > 0.5 && a <= 1.0, "{a}");
    }
}
