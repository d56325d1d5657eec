//! Which security questions a wizard asks.
//!
//! A draw is a pure function of the user, the day and how many draws the flow has made: a
//! fresh flow shows the same questions as the last one that day, so restarting the wizard
//! never fishes for a subset the attacker happens to know. Only a counted failure (a wrong
//! answer, or asking for other questions) moves to the next draw. Decoys draw the same way
//! from their stand-in questions, so the two are indistinguishable.

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand_core::Rng;

use crate::keyring::IdentityKey;

/// Seconds in the period over which draws repeat.
const DAY_S: u64 = 86_400;

/// Draws `n` of `pool` (all of them, when fewer) for `subject` at `now`, the `index`-th draw
/// of its flow. The pool's order does not matter.
pub(crate) fn draw(
    ids: &IdentityKey,
    subject: &str,
    now: u64,
    index: u32,
    mut pool: Vec<String>,
    n: usize,
) -> Vec<String> {
    pool.sort();
    pool.dedup();
    let seed = format!("{subject}:{}:{index}", now / DAY_S);
    let mut rng = ChaCha20Rng::from_seed(ids.digest("question-draw", &seed));
    let mut out = Vec::with_capacity(n.min(pool.len()));
    while out.len() < n && !pool.is_empty() {
        let len = u32::try_from(pool.len()).unwrap_or(u32::MAX);
        let i = below(&mut rng, len) as usize;
        out.push(pool.swap_remove(i.min(pool.len() - 1)));
    }
    out
}

/// Uniform in `0..n` (n ≥ 1), by rejection sampling on 32-bit words.
fn below(rng: &mut ChaCha20Rng, n: u32) -> u32 {
    let n = u64::from(n.max(1));
    let span = 1u64 << 32;
    let limit = span - span % n;
    loop {
        let w = u64::from(rng.next_u32());
        if w < limit {
            return (w % n) as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> IdentityKey {
        IdentityKey::new(vec![9; 32]).unwrap()
    }

    fn pool() -> Vec<String> {
        (0..5).map(|i| format!("q{i}")).collect()
    }

    #[test]
    fn the_same_user_day_and_index_give_the_same_questions_whatever_the_order() {
        let mut reversed = pool();
        reversed.reverse();
        let a = draw(&key(), "s", 86_400 * 3 + 5, 0, pool(), 3);
        let b = draw(&key(), "s", 86_400 * 3 + 80_000, 0, reversed, 3);
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn the_next_draw_or_day_moves_and_every_question_comes_up() {
        let mut seen = std::collections::BTreeSet::new();
        let mut distinct = std::collections::BTreeSet::new();
        for index in 0..40 {
            let d = draw(&key(), "s", 0, index, pool(), 3);
            let set: std::collections::BTreeSet<_> = d.iter().cloned().collect();
            assert_eq!(set.len(), 3, "no question twice in one draw");
            seen.extend(d.clone());
            distinct.insert(d);
        }
        assert_eq!(seen.len(), 5);
        assert!(distinct.len() > 5, "draws vary with the index");
        assert_ne!(
            (0..8)
                .map(|d| draw(&key(), "s", d * 86_400, 0, pool(), 3))
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            1
        );
    }

    #[test]
    fn a_short_pool_is_asked_whole() {
        let d = draw(&key(), "s", 0, 0, vec!["b".into(), "a".into()], 3);
        assert_eq!(d.len(), 2);
    }
}
