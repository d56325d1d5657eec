//! Builds the global banned-password index at build time from data/common-passwords.txt:
//! normalised (Entra rules), 4 to 16 characters, de-duplicated, the 10,000 most common terms,
//! with hash tables of their half-keys.

use std::fmt::Write as _;

#[allow(dead_code)]
mod term {
    include!("src/password/term.rs");
}

/// How many terms the global list holds.
const GLOBAL_TERMS: usize = 10_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=data/common-passwords.txt");
    println!("cargo::rerun-if-changed=src/password/term.rs");
    let src = std::fs::read_to_string("data/common-passwords.txt")?;
    let mut seen = std::collections::HashSet::new();
    let mut terms: Vec<Vec<u32>> = Vec::new();
    for line in src.lines().filter(|l| !l.starts_with('#')) {
        let t = term::normalize_term(line.trim());
        if (term::MIN_TERM_CHARS..=term::MAX_TERM_CHARS).contains(&t.len())
            && seen.insert(t.clone())
        {
            terms.push(t);
            if terms.len() == GLOBAL_TERMS {
                break;
            }
        }
    }
    if terms.len() != GLOBAL_TERMS {
        return Err(format!(
            "data/common-passwords.txt yields {} terms, not {GLOBAL_TERMS}",
            terms.len()
        )
        .into());
    }

    let mut text: Vec<u32> = Vec::new();
    let mut spans: Vec<(u32, u32)> = Vec::new();
    let mut prefix = Vec::new();
    let mut suffix = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        spans.push((text.len() as u32, t.len() as u32));
        text.extend_from_slice(t);
        let [p, s] = term::term_entries(t, i as u32);
        prefix.push(p);
        suffix.push(s);
    }
    let (prefix_slots, prefix_ids) = term::build_table(prefix);
    let (suffix_slots, suffix_ids) = term::build_table(suffix);

    let mut out = String::new();
    let list = |out: &mut String, name: &str, ty: &str, items: Vec<String>| {
        let _ = writeln!(
            out,
            "pub(crate) static {name}: [{ty}; {}] = [{}];",
            items.len(),
            items.join(",")
        );
    };
    let slots =
        |v: &[(u64, u32, u32)]| v.iter().map(|(a, b, c)| format!("({a},{b},{c})")).collect();
    let cands =
        |v: &[term::Candidate]| v.iter().map(|(a, b, c)| format!("({a},{b},{c})")).collect();
    list(
        &mut out,
        "GLOBAL_TEXT",
        "u32",
        text.iter().map(u32::to_string).collect(),
    );
    list(
        &mut out,
        "GLOBAL_SPANS",
        "(u32, u32)",
        spans.iter().map(|(a, b)| format!("({a},{b})")).collect(),
    );
    list(
        &mut out,
        "GLOBAL_PREFIX_SLOTS",
        "(u64, u32, u32)",
        slots(&prefix_slots),
    );
    list(
        &mut out,
        "GLOBAL_PREFIX_IDS",
        "(u32, u16, u16)",
        cands(&prefix_ids),
    );
    list(
        &mut out,
        "GLOBAL_SUFFIX_SLOTS",
        "(u64, u32, u32)",
        slots(&suffix_slots),
    );
    list(
        &mut out,
        "GLOBAL_SUFFIX_IDS",
        "(u32, u16, u16)",
        cands(&suffix_ids),
    );
    let dest = std::path::Path::new(&std::env::var("OUT_DIR")?).join("global_banned.rs");
    std::fs::write(dest, out)?;
    Ok(())
}
