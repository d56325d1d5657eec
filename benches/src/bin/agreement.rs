//! How closely sspr's bounded estimate agrees with full zxcvbn on a corpus of typical
//! passwords: the share with the same 0–4 meter, and the mean absolute difference of log10
//! guesses (zxcvbn's own estimate caps at 10^19.27, so ours is capped likewise to compare).
//!
//! Run: `cargo run --release -p sspr-benches --bin agreement`
#![allow(clippy::print_stdout)]

use rand::RngExt;
use sspr_benches::{common_passwords, pseudo_words, rng};
use sspr_core::testing::internals::strength;

fn main() {
    let mut r = rng(11);
    let common = common_passwords();
    let words: Vec<&str> = common
        .iter()
        .copied()
        .filter(|w| w.len() >= 4 && w.chars().all(|c| c.is_ascii_lowercase()))
        .take(5000)
        .collect();
    let syms = ['!', '#', '$', '%', '&', '*', '-', '_', '.', '@'];
    let mut corpus: Vec<(&str, Vec<String>)> = Vec::new();
    corpus.push((
        "common passwords",
        common.iter().take(2000).map(|s| (*s).to_owned()).collect(),
    ));
    corpus.push((
        "word + digits + symbol",
        (0..2000)
            .map(|_| {
                let w = words[r.random_range(0..words.len())];
                let mut s = w[..1].to_uppercase() + &w[1..];
                s.push_str(&r.random_range(0..10_000).to_string());
                s.push(syms[r.random_range(0..syms.len())]);
                s
            })
            .collect(),
    ));
    corpus.push((
        "passphrases of 3-5 words",
        (0..1000)
            .map(|_| {
                (0..r.random_range(3..=5))
                    .map(|_| words[r.random_range(0..words.len())])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect(),
    ));
    corpus.push((
        "random 8-24 characters",
        (0..1000)
            .map(|_| {
                let n = r.random_range(8..=24);
                (0..n)
                    .map(|_| char::from(r.random_range(33u8..127)))
                    .collect()
            })
            .collect(),
    ));
    corpus.push(("pseudo-words", pseudo_words(&mut r, 1000)));
    println!(
        "| corpus | passwords | same meter | mean abs. diff. log10 | identical estimate |\n|---|---|---|---|---|"
    );
    let (mut total, mut same_all, mut ident_all) = (0usize, 0usize, 0usize);
    for (label, list) in &corpus {
        let (mut same, mut ident, mut diff) = (0usize, 0usize, 0f64);
        for pw in list {
            let ours = strength::estimate(pw, &[]);
            let theirs = zxcvbn::zxcvbn(pw, &[]);
            let t = theirs.guesses_log10().max(0.0);
            let o = ours.guesses_log10.min(19.27f64.max(t));
            same += usize::from(ours.meter == u8::from(theirs.score()));
            ident += usize::from(ours.guesses_log10 == t);
            diff += (o - t).abs();
        }
        println!(
            "| {label} | {} | {:.1}% | {:.3} | {:.1}% |",
            list.len(),
            100.0 * same as f64 / list.len() as f64,
            diff / list.len() as f64,
            100.0 * ident as f64 / list.len() as f64
        );
        total += list.len();
        same_all += same;
        ident_all += ident;
    }
    println!(
        "| all | {total} | {:.1}% | | {:.1}% |",
        100.0 * same_all as f64 / total as f64,
        100.0 * ident_all as f64 / total as f64
    );
}
