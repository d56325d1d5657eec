//! Password protection, side by side:
//! * banned-term matching: sspr's index vs a plain scan of the same 100,000-term list;
//! * guessability: sspr's bounded estimate vs the zxcvbn crate, on typical and hostile input;
//! * the whole rule set on typical passwords.
//!
//! Run: `cargo bench -p sspr-benches --bench password`
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use sspr_benches::{
    clustered_words, common_passwords, fmt, measure, measure_pair, pseudo_words, rng, row,
};
use sspr_core::Policy;
use sspr_core::password::PasswordRules;
use sspr_core::testing::internals::banned::{self, BannedIndex};
use sspr_core::testing::internals::strength;

const TYPICAL: [&str; 8] = [
    "Winter-Lantern-58",
    "P@ssw0rd2024!",
    "correcthorse",
    "Tr0ub4dor&3",
    "violet tugboat ladders",
    "MyDog$Rex1987",
    "qwertyuiop12",
    "Nebula-Quartz-72",
];

fn main() {
    let mut r = rng(7);
    let common: Vec<String> = common_passwords().into_iter().map(str::to_owned).collect();
    let lists = [
        (
            "dictionary-like",
            pseudo_words(&mut r, 100_000 - common.len()),
        ),
        (
            "clustered (stress)",
            clustered_words(&mut r, 100_000 - common.len()),
        ),
    ];
    for (label, extra) in lists {
        let big = BannedIndex::new(common.iter().chain(&extra).map(String::as_str));
        println!(
            "## Banned-term matching: 30,000 common passwords + 70,000 {label} words ({} distinct terms)\n",
            big.len()
        );
        println!("| password | sspr index | plain scan | ratio |\n|---|---|---|---|");
        let mut worst = std::time::Duration::ZERO;
        for pw in TYPICAL {
            let p = banned::normalize(pw);
            let (ours, theirs) = measure_pair(
                7,
                (200, || {
                    let mut out = Vec::new();
                    big.find(&p, &mut out);
                    out
                }),
                (1, || {
                    let mut out = Vec::new();
                    big.find_by_scan(&p, &mut out);
                    out
                }),
            );
            worst = worst.max(ours.median);
            row(pw, ours, theirs);
        }
        println!(
            "\nSlowest median with the index: {} (target: 20 µs)\n",
            fmt(worst)
        );
    }
    let global = BannedIndex::global();
    let g = measure(31, 200, || {
        let mut out = Vec::new();
        for pw in TYPICAL {
            global.find(&banned::normalize(pw), &mut out);
        }
        out
    });
    println!(
        "Global list ({} terms), all {} typical passwords: {} per password\n",
        global.len(),
        TYPICAL.len(),
        fmt(g.median / TYPICAL.len() as u32)
    );

    println!("## Guessability: bounded estimate vs zxcvbn\n");
    println!("| input | sspr | zxcvbn crate | ratio |\n|---|---|---|---|");
    let l33t = "4@8({[<3691!|70$5+%2";
    let random = "q7#Lm9$vXz!2pR@kW4&nB8^tY6*hJ3%fD5(gS1)cV0_";
    let hostile: Vec<(String, String)> = vec![
        ("typical (8 passwords, total)".into(), String::new()),
        ("l33t, 20 chars".into(), l33t.to_owned()),
        ("l33t, 100 chars".into(), l33t.repeat(5)),
        (
            "random, 64 chars".into(),
            random.repeat(2).chars().take(64).collect(),
        ),
        (
            "random, 100 chars".into(),
            random.repeat(3).chars().take(100).collect(),
        ),
        ("repeated 'a', 100 chars".into(), "a".repeat(100)),
        (
            "passphrase, 72 chars".into(),
            "violet tugboat ladders whisper under a copper moon by the quiet harbour".into(),
        ),
    ];
    let mut worst_ours = std::time::Duration::ZERO;
    for (label, input) in &hostile {
        let (ours, theirs) = if input.is_empty() {
            measure_pair(
                21,
                (5, || {
                    TYPICAL
                        .iter()
                        .map(|p| strength::estimate(p, &[]).guesses_log10)
                        .sum::<f64>()
                }),
                (5, || {
                    TYPICAL
                        .iter()
                        .map(|p| zxcvbn::zxcvbn(p, &[]).guesses_log10())
                        .sum::<f64>()
                }),
            )
        } else {
            measure_pair(
                7,
                (3, || strength::estimate(input, &[])),
                (1, || zxcvbn::zxcvbn(input, &[])),
            )
        };
        if !input.is_empty() {
            worst_ours = worst_ours.max(ours.max);
        }
        row(label, ours, theirs);
    }
    // Inputs zxcvbn would truncate at 100 characters; sspr looks at 256. Only sspr is timed.
    for (label, input) in [
        ("l33t, 256 chars", l33t.repeat(13)),
        (
            "random, 256 chars",
            random.repeat(6).chars().take(256).collect(),
        ),
        (
            "mixed words and l33t, 256 chars",
            format!("{}{}", "Tr0ub4dor&3 horse ".repeat(8), l33t.repeat(7))
                .chars()
                .take(256)
                .collect(),
        ),
    ] {
        let ours = measure(11, 3, || strength::estimate(&input, &[]));
        worst_ours = worst_ours.max(ours.max);
        println!(
            "| {label} | {} (max {}) | (truncated at 100) | |",
            fmt(ours.median),
            fmt(ours.max)
        );
    }
    println!(
        "\nSlowest sspr estimate of any input above: {} (target: 5 ms)\n",
        fmt(worst_ours)
    );

    let policy = Policy::default();
    let rules = PasswordRules::new(policy.password());
    let user = sspr_core::testing::fixtures::ALICE.facts();
    let all = measure(21, 5, || {
        TYPICAL
            .iter()
            .map(|p| rules.evaluate(p, p, &user).accepted())
            .filter(|a| *a)
            .count()
    });
    println!(
        "## Whole rule set (default policy, global list, user info)\n\n{} per typical password\n",
        fmt(all.median / TYPICAL.len() as u32)
    );
}
