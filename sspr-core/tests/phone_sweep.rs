//! Every calling-code prefix, every length the form allows, pseudo-random
//! and patterned national digits through `PhoneNumber::parse` (the metadata check): no panic,
//! and no single number slow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use sspr_core::PhoneNumber;

#[test]
#[ignore = "26 s in a debug build: cargo test --test phone_sweep -- --ignored"]
fn no_normalised_number_panics_or_takes_long() {
    PhoneNumber::load_metadata();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut worst, mut worst_input, mut n, mut ok) = (Duration::ZERO, String::new(), 0u64, 0u64);
    let mut panics = Vec::new();
    for cc in 1..=999u32 {
        for len in 8..=15usize {
            let prefix = cc.to_string();
            if prefix.len() >= len {
                continue;
            }
            let rest = len - prefix.len();
            let mut inputs: Vec<String> = (0..20)
                .map(|_| {
                    let mut s = prefix.clone();
                    for _ in 0..rest {
                        s.push(char::from(b'0' + (next() % 10) as u8));
                    }
                    s
                })
                .collect();
            for d in b'0'..=b'9' {
                let mut s = prefix.clone();
                s.extend(std::iter::repeat_n(char::from(d), rest));
                inputs.push(s);
            }
            for digits in inputs {
                let input = format!("+{digits}");
                let t = Instant::now();
                let r = std::panic::catch_unwind(|| PhoneNumber::parse(&input));
                let dt = t.elapsed();
                n += 1;
                match r {
                    Ok(Ok(_)) => ok += 1,
                    Ok(Err(_)) => {}
                    Err(_) => panics.push(input.clone()),
                }
                if dt > worst {
                    worst = dt;
                    worst_input = input;
                }
            }
        }
    }
    eprintln!(
        "{n} numbers, {ok} valid, worst {worst:?} for {worst_input}, {} panics",
        panics.len()
    );
    assert!(
        panics.is_empty(),
        "panicked on {:?}",
        &panics[..panics.len().min(20)]
    );
    assert!(
        worst < Duration::from_millis(50),
        "{worst:?} for {worst_input}"
    );
}
